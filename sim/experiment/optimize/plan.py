"""What an optimization will try: the candidates, the measures, and its identity.

The ``optimize`` block of a scenario (:class:`~sim.scenario.models.Optimize`) names
decisions (dotted keys, each with a range or a list of values), an objective and
constraints. A **candidate** is one combination of decision values: the base scenario
with those values written in, as a variant would be. The candidates are the full cross
product of the decisions' values, numbered in order, the first key varying slowest (as
a sweep's grid), so candidate 7 is the same plan in every run of the same block.

Light: no pandas, no scipy; a worker imports :func:`evaluate` from here.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.models import Constraint, Optimize, Scenario

__all__ = ["FIRST_STAGE", "SEARCH_REPLICATIONS", "OptimizePlan", "evaluate", "plan_optimize"]

#: First-stage replications of every candidate the procedure compares (``n0``; Kim and
#: Nelson recommend at least 10: the variances it estimates set every later decision).
FIRST_STAGE = 10
#: Replications per point of the search stage (common random numbers: replications
#: 0..4 of every point, reused as the first replications of the short list).
SEARCH_REPLICATIONS = 5
#: The most candidates the search stage passes to the guaranteed procedure.
SHORT_LIST = 10


def evaluate(
    scenario: Scenario,
    replication: int,
    measures: Sequence[tuple[str, str]],
    cache: str | None = None,
) -> dict[str, Any]:
    """Run one replication (in a worker) and return only the measures asked for.

    ``{"values": [float or None per measure], "subjects": {metric: [subjects it has]},
    "unstable": None or the one-line reason}``: a measure the model does not report is
    None, with the subjects its metric has; a replication whose waiting orders passed
    ``run.max_waiting`` is unstable and has no values. ``cache`` is where the parent
    prepared the orders files of replay and resample channels.
    """
    from sim.data.store import simulate
    from sim.model.build import Unstable

    output = simulate(scenario, replication, series=False, cache=cache)
    if output.unstable is not None:
        return {"values": [None] * len(measures), "subjects": {},
                "unstable": str(Unstable(*output.unstable))}  # fmt: skip
    found = {(metric, subject): float(value) for metric, subject, value, _ in output.metrics}
    values = [found.get((metric, subject)) for metric, subject in measures]
    subjects = {
        metric: sorted({s for m, s in found if m == metric})
        for (metric, subject), value in zip(measures, values)
        if value is None
    }
    return {"values": values, "subjects": subjects, "unstable": None}


@dataclass
class OptimizePlan:
    """Everything an optimization needs before it runs anything.

    ``base`` is the scenario without its variants, sweep and optimize block; ``keys``
    the decision keys; ``candidates`` every combination of their values, in order;
    ``constraints`` the parsed constraints; ``budget`` the most replications to run.
    """

    base: Scenario
    block: Optimize
    keys: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]
    budget: int
    file: str | None = None
    _built: dict[int, Scenario] = field(default_factory=dict, repr=False)

    @property
    def constraints(self) -> list[Constraint]:
        return list(self.block.constraints)

    @property
    def measures(self) -> list[tuple[str, str]]:
        """The objective first, then each constraint's measure (``(metric, subject)``)."""
        return [self.block.metric] + [(c.metric, c.subject) for c in self.block.constraints]

    @property
    def objective_name(self) -> str:
        metric, subject = self.block.metric
        return metric if subject == "all" else f"{metric}[{subject}]"

    def scenario(self, candidate: int) -> Scenario:
        """The scenario of one candidate: the base with its decision values written in."""
        if candidate not in self._built:
            values = self.candidates[candidate]
            try:
                self._built[candidate] = self.base.with_changes(dict(values))
            except ScenarioError as exc:
                where = ", ".join(f"{k}={v}" for k, v in values.items())
                raise ScenarioError.one(
                    f"the candidate {where} is not a valid scenario: "
                    + "; ".join(
                        p.message if p.key == "" else f"{p.key}: {p.message}" for p in exc.problems
                    ),  # fmt: skip
                    file=self.file,
                    key="optimize.decisions",
                ) from None
        return self._built[candidate]

    def label(self, candidate: int) -> str:
        """``agents.headcount=9, widget.policy.S=250``: a candidate's values, each key
        shortened to the fewest last parts (at least two) that tell the keys apart."""
        names = short_names(self.keys)
        return ", ".join(f"{names[k]}={v}" for k, v in self.candidates[candidate].items())

    def identity(self) -> dict[str, Any]:
        """What makes two optimizations the same (for the resumable store): the base
        scenario, the optimize block but its budget, and the model (see
        :func:`sim.experiment.sweep.store.sweep_identity`)."""
        from sim.experiment.sweep.store import sweep_identity

        identity = sweep_identity(self.base.raw, self.keys, self.candidates, 0)
        identity.pop("replications")
        # Not the budget: a replication is the same whatever the budget, so a run stopped by
        # its budget goes on with a larger one from where it stopped.
        settings = self.block.model_dump(mode="json", exclude={"budget"})
        block = json.dumps(settings, sort_keys=True, default=str)
        identity["optimize_sha256"] = hashlib.sha256(block.encode()).hexdigest()
        return identity


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Each dotted key shortened to its fewest last parts (at least two, and never starting
    with a list index) that no other key ends with.

    >>> list(short_names(["staff.a.shifts.0.headcount", "staff.b.shifts.0.headcount"]).values())
    ['a.shifts.0.headcount', 'b.shifts.0.headcount']
    """
    names = {}
    for key in keys:
        parts = key.split(".")
        for n in range(min(2, len(parts)), len(parts) + 1):
            tail = parts[-n:]
            if tail[0].isdigit():
                continue
            text = ".".join(tail)
            if not any(other != key and other.split(".")[-n:] == tail for other in keys):
                break
        names[key] = text
    return names


def plan_optimize(
    scenario: Scenario, *, budget: int | None = None, seed: int | None = None
) -> OptimizePlan:
    """The plan of ``scenario``'s ``optimize`` block; ``budget`` and ``seed`` replace the
    block's budget and ``run.seed``.

    Raises :class:`ScenarioError` (at the file's ``optimize`` key) when there is no
    block, the budget cannot hold one first stage, or the smallest or largest
    candidate is not a valid scenario.
    """
    from sim.experiment.sweep.points import grid_points

    file = getattr(scenario.source, "file", None)
    block = scenario.optimize
    if block is None:
        raise ScenarioError.one(
            "no optimize section: add one with decisions and an objective "
            "(see docs/scenario-format.md, optimize)",
            file=file,
            key="optimize",
        )
    if seed is not None:
        scenario = scenario.with_changes({"run.seed": seed})
    if scenario.run.auto_warmup:
        raise ScenarioError.one(
            "optimize needs a fixed warm-up: run the scenario once with warmup: auto and "
            "write the warm-up it chooses (see run.json)",
            file=file,
            key="run.warmup",
        )
    if budget is None:
        budget = block.budget
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 2 * FIRST_STAGE:
        raise ScenarioError.one(
            f"the budget must allow at least {2 * FIRST_STAGE} replications (got {budget!r})",
            file=file,
            key="optimize.budget",
        )
    values = block.candidate_values()
    candidates = tuple(grid_points(values))
    plan = OptimizePlan(scenario.base(), block, tuple(values), candidates, budget, file)
    for candidate in dict.fromkeys((0, len(candidates) - 1)):
        plan.scenario(candidate)  # a bad path or value is found before anything runs
    return plan


def relative_tolerance(block: Optimize) -> float | None:
    """The block's tolerance as a fraction when relative (``1%`` -> 0.01), else None."""
    from sim.scenario.units import parse_fraction

    tolerance = block.tolerance
    return parse_fraction(tolerance) if isinstance(tolerance, str) else None


def constraint_tolerance(constraint: Constraint, block: Optimize) -> float:
    """A constraint's tolerance in its metric's unit: the one written after ``±``, else the
    block's relative tolerance (1% when the block's is absolute) of its threshold."""
    if constraint.tolerance is not None:
        return constraint.tolerance
    relative = relative_tolerance(block) or 0.01
    value = abs(constraint.value) * relative
    if not value > 0 or not math.isfinite(value):
        raise ScenarioError.one(
            f"{constraint.text}: a threshold of 0 needs its own tolerance, like "
            f'"{constraint.text} ± 0.5"',
            key="optimize.constraints",
        )
    return value
