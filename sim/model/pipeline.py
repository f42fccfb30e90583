"""Sales pipeline: a channel whose orders are the leads that sales staff win.

Think of a funnel drawn on the sales office's whiteboard. Leads come in (a Poisson
stream, shaped like any channel's arrivals); each goes through the stages in order. At
a stage with staff, the lead waits first come, first served for a worker of that pool
(a sales development rep, an account executive), who works it for the stage's
``time``; then the customer decides for ``then``; then the lead goes on with
probability ``win``, or is lost. A lead that wins the last stage becomes an order of the
channel at that moment: the channel draws its lines and quantities as for any order.

So the pipeline *is* the channel's :class:`~sim.model.arrivals.ArrivalProcess`
(``start(ctx, emit)``; a won lead calls ``emit()``), and its staffed stages are
ordinary :class:`~sim.model.steps.StaffedStep` objects on the ordinary staff
:class:`~sim.model.staff.Pool` (shifts, overtime, wages): their waits, queues and the
pools' utilisation are reported like any step's. The pipeline is their
:class:`~sim.model.steps.Route`.

Everything random about a lead is drawn when it arrives, stage by stage: the work time
(stream ``service:<stage>``), the customer's decision time (``then:<stage>``) and a
uniform number that decides the stage (``win:<stage>``: won when below ``win``).
The leads themselves come from ``leads:<channel>``. So a variant with one more account
executive meets the same leads with the same fates; only the waiting changes (common
random numbers).

Statistics, in the window: ``leads`` (arrived), ``won`` and ``lost`` (resolved), the
sales cycle (hours from arrival to order, over leads won) and the time-weighted number
of open leads (arrived, neither won nor lost). By Little's law, ``pipeline_mean`` =
lead rate × mean time a lead stays open (won or lost).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from simpy import Timeout

from sim.model.arrivals import ArrivalProcess, Emit, PoissonArrivals
from sim.model.metrics import Tally, TimeAverage
from sim.model.steps import StaffedStep
from sim.scenario.distributions import from_blocks

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.model.staff import Pool
    from sim.model.steps import Step
    from sim.scenario.distributions import Sampler
    from sim.scenario.models import Pipeline

__all__ = ["Lead", "SalesPipeline"]

_INF = math.inf


class Lead:
    """One sales lead: when it came, its draws at every stage, and where it is.

    ``times[j]``, ``thens[j]`` and ``wins[j]`` are stage ``j``'s work time, decision
    time and outcome; the other slots are what a step reads and writes
    (:class:`~sim.model.steps.Item`).
    """

    __slots__ = (
        "arrived", "times", "thens", "wins", "stage", "units", "deadline", "waiting_in",
        "queued_since", "impatient",
    )

    def __init__(
        self, arrived: float, times: list[float], thens: list[float], wins: list[bool]
    ) -> None:
        self.arrived = arrived
        self.times = times
        self.thens = thens
        self.wins = wins
        self.stage = 0
        self.units = 0  # a lead has no units: a stage's time is its time
        self.deadline = _INF  # leads do not give up waiting for a worker
        self.waiting_in: Step | None = None
        self.queued_since = 0.0
        self.impatient = False


class SalesPipeline(ArrivalProcess):
    """The leads of one channel, worked through its stages; won leads are its orders.

    ``stages`` holds, per stage, its :class:`StaffedStep` (or None: no staff, only the
    customer's ``then``); build it with :meth:`build`.
    """

    def __init__(
        self, name: str, spec: Pipeline, leads: PoissonArrivals,
        stages: Sequence[StaffedStep | None], ctx: ModelContext,
    ) -> None:
        self.name = name
        self.leads = leads
        self.stages = list(stages)
        self.n = len(self.stages)
        self.window = start, end = ctx.window
        self.env = ctx.env
        self.arrived = self.won = self.lost = 0
        self.cycle = Tally(start, end)  # hours from arrival to order, leads won
        self.open = 0
        self.open_level = TimeAverage(start, end)
        for step in self.stages:
            if step is not None:
                step.route = self
        self._p = [stage.win for stage in spec.stages]
        self._time: list[Sampler | None] = []
        self._then: list[Sampler | None] = []
        self._uniform: list[Callable[[], float]] = []
        for stage in spec.stages:
            self._time.append(
                stage.time.sampler(ctx.stream(f"service:{stage.stage}"))
                if stage.time is not None else None
            )
            self._then.append(
                stage.then.sampler(ctx.stream(f"then:{stage.stage}"))
                if stage.then is not None else None
            )
            self._uniform.append(_uniforms(ctx.stream(f"win:{stage.stage}")))
        self._emit: Emit | None = None

    @classmethod
    def build(
        cls, name: str, spec: Pipeline, leads: PoissonArrivals, pools: dict[str, Pool],
        ctx: ModelContext,
    ) -> SalesPipeline:
        """A pipeline whose staffed stages take workers of ``pools`` (by name)."""
        stages: list[StaffedStep | None] = []
        for j, stage in enumerate(spec.stages):
            if stage.staff is None:
                stages.append(None)
            else:
                stages.append(StaffedStep(stage.stage, j, pools[stage.staff], 0.0, None, ctx))
        return cls(name, spec, leads, stages, ctx)

    @property
    def steps(self) -> list[StaffedStep]:
        """The staffed stages (reported like process steps)."""
        return [step for step in self.stages if step is not None]

    # ----------------------------------------------------------------- running
    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Leads begin to arrive; ``emit`` makes the channel's order when one is won."""
        self._emit = emit
        self.leads.start(ctx, self._lead)

    def _lead(self, lines: Any = None) -> None:
        """A lead arrives now: draw its fate at every stage, then send it to the first."""
        now = self.env.now
        times = [0.0 if draw is None else draw() for draw in self._time]
        thens = [0.0 if draw is None else draw() for draw in self._then]
        wins = [u() < p for u, p in zip(self._uniform, self._p)]
        lead = Lead(now, times, thens, wins)
        if self.window[0] <= now <= self.window[1]:
            self.arrived += 1
        self.open += 1
        self.open_level.add(now, 1)
        self._enter(lead, now)

    def _enter(self, lead: Lead, now: float) -> None:
        """The lead reaches its current stage: a worker's queue, or straight to the decision."""
        step = self.stages[lead.stage]
        if step is not None:
            step.arrive(lead, now)
        else:
            self.done(lead, now)

    def done(self, lead: Lead, now: float) -> None:
        """The stage's work is over: the customer decides (after ``then``, if any)."""
        then = lead.thens[lead.stage]
        if then > 0.0:
            Timeout(self.env, then, lead).callbacks.append(self._decided)
        else:
            self._decide(lead, now)

    def _decided(self, event: Timeout) -> None:
        lead: Any = event.value
        self._decide(lead, self.env.now)

    def _decide(self, lead: Lead, now: float) -> None:
        """On to the next stage, won (an order now), or lost."""
        if not lead.wins[lead.stage]:
            self._close(lead, now, won=False)
            return
        lead.stage += 1
        if lead.stage < self.n:
            self._enter(lead, now)
            return
        self._close(lead, now, won=True)
        assert self._emit is not None
        self._emit()

    def _close(self, lead: Lead, now: float, won: bool) -> None:
        self.open -= 1
        self.open_level.add(now, -1)
        if self.window[0] <= now <= self.window[1]:
            if won:
                self.won += 1
                self.cycle.add_unchecked(now - lead.arrived)
            else:
                self.lost += 1

    def balk(self, lead: Lead, now: float) -> None:
        """Not reached (a stage's queue has no limit); a refused lead would be lost."""
        self._close(lead, now, won=False)

    def abandon(self, lead: Lead, now: float) -> None:
        """Not reached (leads have no patience); a lead that left would be lost."""
        self._close(lead, now, won=False)


def _uniforms(rng: Any) -> Callable[[], float]:
    return from_blocks(lambda n: rng.random(n))
