"""How long a run will take, estimated before it starts, and the check that asks for ``force``.

A typo in a horizon (``1000y`` for ``100d``) or a replication count should cost a
planner a message, not an afternoon. Before anything runs, the work is estimated from
the scenarios alone:

* the **events** of one replication: every order's arrival and each of its timed
  steps (``rate × horizon × (1 + steps)``), plus a few per simulated day for each
  staff pool (shift changes) and product (reviews, deliveries);
* the **CPU seconds**: events × :data:`SECONDS_PER_EVENT`, a constant measured by
  ``bench/estimate.py`` on the example scenarios (see ``bench/RESULTS.md``, "Run size");
* the **wall time**: the CPU seconds shared out over the workers, but never less than
  the longest single task (one long replication cannot be split).

It is an estimate of the order of magnitude: a faster or slower machine, a business
whose queues are long (more events per order) or short-lived orders change it by a
factor of about two. A run estimated at more than :data:`LIMIT_SECONDS` of wall time
is refused with :class:`RunTooLong` (``python run_sim.py`` exits with status 2) unless
``force=True`` (``--force``). Only the standard library is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from sim.scenario.models import Scenario

__all__ = [
    "LIMIT_SECONDS",
    "SECONDS_PER_EVENT",
    "Estimate",
    "RunTooLong",
    "check_size",
    "estimate",
    "events",
    "format_seconds",
]

#: CPU seconds per event: the slowest of the six example scenarios in bench/estimate.py
#: (3.7-6.2 µs at 182 and 730 days; bench/RESULTS.md, "Run size", 2026-12-01, 2-core VM).
SECONDS_PER_EVENT = 6e-6
#: A run whose estimated wall time passes this needs ``force=True`` (``--force``).
LIMIT_SECONDS = 3600.0
# Events per simulated day that do not come from orders: shift changes of a staff pool,
# reviews and deliveries of a product.
_DAILY_PER_POOL = 4
_DAILY_PER_PRODUCT = 2


#: What the orders files hold, for the channels that read one: ``(file, channel name)``
#: -> ``(orders, hours the file spans)`` (:func:`sim.data.store.prepare` returns it).
PastOrders = Mapping[tuple[str, "str | None"], tuple[int, float]]


def events(scenario: Scenario, past: PastOrders | None = None) -> float:
    """Roughly how many events one replication of ``scenario`` simulates.

    >>> import sim
    >>> desk = sim.loads('''
    ... name: desk
    ... run: {horizon: 10d}
    ... demand: {arrivals: {rate: 100/day}}
    ... staff: {agents: {headcount: 2}}
    ... process: [{step: serve, staff: agents, time: 10min}]
    ... ''')
    >>> round(events(desk))  # 1000 orders x (arrival + 1 step) + 10 days x 4 shift changes
    2040
    """
    hours = float(scenario.run.horizon)
    orders = orders_per_replication(scenario, past)
    steps = sum(1 for step in scenario.process if step.time is not None)
    daily = _DAILY_PER_POOL * len(scenario.staff) + _DAILY_PER_PRODUCT * len(scenario.products)
    return orders * (1 + steps) + daily * hours / 24


def orders_per_replication(scenario: Scenario, past: PastOrders | None = None) -> float:
    """The expected orders of one replication: every channel's mean rate × the horizon.

    A channel that reads an orders file (``replay``, ``resample``) counts the file's
    orders per hour of its span (``past``, from :func:`sim.data.store.prepare`); a
    replay never more than the file holds. Without ``past`` such a channel counts 0.
    """
    horizon = float(scenario.run.horizon)
    total = 0.0
    for channel in scenario.demand:
        arrivals = getattr(channel, "arrivals", None)
        if arrivals is not None:
            total += float(getattr(arrivals, "rate", 0.0) or 0.0) * horizon
            continue
        data_file = getattr(channel, "data_file", None)
        if past is None or data_file is None or (data_file, channel.name) not in past:
            continue
        orders, span = past[(data_file, channel.name)]
        expected = orders / span * horizon if span > 0 else float(orders)
        total += min(expected, orders) if getattr(channel, "replay", None) else expected
    return total


def format_seconds(seconds: float) -> str:
    """A duration of work as a planner reads it: ``"about 40 s"``, ``"about 6 h"``.

    >>> format_seconds(42), format_seconds(1500), format_seconds(21600), format_seconds(4e6)
    ('about 40 s', 'about 25 min', 'about 6 h', 'about 46 days')
    """
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size or (unit != "days" and seconds >= size):
            return f"about {_round(seconds / size)} {unit}"
    return f"about {_round(max(seconds, 1.0), tens=True)} s"


def _round(value: float, tens: bool = False) -> str:
    if tens and value >= 20:
        return f"{round(value, -1):.0f}"
    return f"{value:.1f}" if value < 2 else f"{value:,.0f}"


@dataclass(frozen=True)
class Estimate:
    """The estimated size of a run: CPU seconds in all, of its longest task, and workers.

    ``tasks`` says what is run, for messages (``"60 replications"``); ``orders`` is the
    most orders one replication simulates; ``where`` is the scenario of the longest task.
    """

    seconds: float
    longest: float
    workers: int
    tasks: str
    orders: float
    where: Scenario | None = None

    @property
    def wall(self) -> float:
        """Estimated seconds from start to end: the work shared out, or the longest task."""
        return max(self.seconds / max(self.workers, 1), self.longest)

    def describe(self) -> str:
        """``"about 6 h of work on 2 workers (60 replications of about 128,000,000 orders)"``."""
        workers = f"{self.workers} worker" + ("s" if self.workers != 1 else "")
        return (
            f"{format_seconds(self.wall)} of work on {workers} ({self.tasks} of up to "
            f"about {self.orders:,.0f} orders each)"
        )


def estimate(
    tasks: Sequence[tuple[Scenario, int]],
    workers: int,
    *,
    what: str | None = None,
    past: PastOrders | None = None,
) -> Estimate:
    """The size of a run of ``tasks``, each ``(scenario, replications it runs)``, on ``workers``.

    ``what`` describes the tasks for messages (default: ``"N replications"``); ``past``
    sizes the channels that read orders files (see :func:`orders_per_replication`).
    """
    seconds = longest = orders = 0.0
    where = None
    cost: dict[int, tuple[float, float]] = {}  # per scenario object: (seconds, orders)
    replications = 0
    for scenario, count in tasks:
        key = id(scenario)
        if key not in cost:
            cost[key] = (
                events(scenario, past) * SECONDS_PER_EVENT,
                orders_per_replication(scenario, past),
            )
        each, many = cost[key]
        seconds += each * count
        replications += count
        orders = max(orders, many)
        if each * count > longest or where is None:
            longest, where = max(longest, each * count), scenario
    label = what or f"{replications} replication" + ("s" if replications != 1 else "")
    return Estimate(seconds, longest, max(1, min(workers, len(tasks))), label, orders, where)


class RunTooLong(ScenarioError):
    """A run estimated at more than :data:`LIMIT_SECONDS`, refused without ``force``.

    ``estimate`` is the :class:`Estimate`; :meth:`advice` words the message for the
    caller (``force=True`` from Python, ``--force`` on the command line).
    """

    def __init__(self, size: Estimate, hint: str = "pass force=True to run it anyway") -> None:
        self.estimate = size
        where = size.where.source if size.where is not None else None
        file, line = where.where(("run", "horizon")) if where is not None else (None, None)
        if file in (None, "--set"):  # a --horizon or a change made in code: no line
            file, line = (where.file if where is not None else None), None
        message = f"{size.describe()}; {hint}, or shorten the horizon or run fewer replications"
        super().__init__(Problem(file, line, "run.horizon", message))

    def advice(self, hint: str) -> RunTooLong:
        """The same refusal with another way to run it anyway (``"add --force ..."``)."""
        return RunTooLong(self.estimate, hint)

    def __reduce__(self) -> tuple[type[RunTooLong], tuple[Estimate]]:  # type: ignore[override]
        return (type(self), (self.estimate,))


def check_size(size: Estimate, *, force: bool) -> None:
    """Raise :class:`RunTooLong` when ``size`` passes :data:`LIMIT_SECONDS` and not ``force``."""
    if not force and size.wall > LIMIT_SECONDS:
        raise RunTooLong(size)
