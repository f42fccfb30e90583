"""Context: what every part of one replication shares, handed over once.

Think of the folder a new employee gets on the first day: the clock on the wall, the
dates of the period being measured, and the keys to the supply cupboard (here, the
random streams). Every model object (a channel, a stock, a staff pool, a step) is
built with that same folder, ``ctx``, instead of half a dozen loose arguments, so a
thing every part needs (a calendar with real dates, say) is added in one place.

The clock is a SimPy :class:`~simpy.Environment`, used through its public API only:
``ctx.schedule(delay, callback, value)`` is ``simpy.Timeout(env, delay, value)`` with
``callback`` appended to its callbacks, and ``env.run(until=horizon)`` runs it. So an
exception raised in any callback, or a failed SimPy process, stops the run and reaches
the caller, as SimPy promises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import simpy
from simpy import Timeout

from sim.model.calendar import Calendar
from sim.model.streams import stream
from sim.scenario.units import HOURS_PER

__all__ = ["HOURS_PER_DAY", "HOURS_PER_WEEK", "ModelContext"]

#: The clock is in hours from Monday 00:00; a week of hours indexes hour-of-week tables.
HOURS_PER_WEEK = round(HOURS_PER["w"])
HOURS_PER_DAY = HOURS_PER["d"]


class ModelContext:
    """The clock, the calendar, the statistics window and the random streams of one replication.

    ``env`` is the SimPy environment (``env.now`` is the time in hours); ``calendar``
    maps hours to dates, weekdays and months and holds the closed dates and staffing
    changes (:class:`~sim.model.calendar.Calendar`; without ``run.start`` time 0 is a
    Monday); statistics cover ``window = (warmup, horizon)``; ``stream(name)`` is the
    named random stream of this seed and replication (see :mod:`sim.model.streams`).

    >>> ctx = ModelContext(simpy.Environment(), warmup=24.0, horizon=48.0, seed=1,
    ...                    replication=0)
    >>> seen = []
    >>> _ = ctx.schedule(30.0, lambda event: seen.append((ctx.env.now, event.value)), "hello")
    >>> ctx.env.run(until=ctx.horizon)
    >>> seen, ctx.window
    ([(30.0, 'hello')], (24.0, 48.0))
    """

    __slots__ = ("env", "window", "horizon", "seed", "replication", "calendar")

    def __init__(
        self, env: simpy.Environment, warmup: float, horizon: float, seed: int,
        replication: int, calendar: Calendar | None = None,
    ) -> None:
        self.env = env
        self.calendar = calendar if calendar is not None else Calendar()
        self.window = (warmup, horizon)
        self.horizon = horizon
        self.seed = seed
        self.replication = replication

    def stream(self, name: str) -> np.random.Generator:
        """The random stream ``name`` of this seed and replication (the same wherever it runs)."""
        return stream(self.seed, self.replication, name)

    def schedule(
        self, delay: float, callback: Callable[[Timeout], None], value: Any = None
    ) -> Timeout:
        """Call ``callback(event)`` ``delay`` hours from now; ``event.value`` is ``value``.

        The hottest places (a task's end, the next arrival) write the same two steps
        out, a call less per event.
        """
        event = Timeout(self.env, delay, value)
        event.callbacks.append(callback)
        return event
