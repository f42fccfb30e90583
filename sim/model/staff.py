"""Staff: pools of interchangeable workers, on duty by headcount or by weekly shifts.

A pool is a room of workers and one first-come first-served line of work in front of
it (orders today; anything a :class:`~sim.model.steps.StaffedStep` routes, such as a
sales lead), shared by every step the pool works on. The room's size (*on duty*)
follows the weekly roster (:mod:`sim.scenario.roster`). A worker on duty and free takes
the next item at once; ``busy`` counts the on-duty workers at a task, and never exceeds
``on_duty``.

When a shift ends, its workers go off duty: the idle ones at once, the busy ones when
their task is done. Which of the busy workers those are does not matter to anyone but
the payroll, so the rule is: **the workers going off duty are the ones whose tasks end
first**. Until then they are working *overtime* (``overtime`` counts them; they are no
longer in ``busy``), and their task times are paid at the overtime rate. The workers
of a shift starting at the same moment are new people: they start on waiting work at
once, whatever the outgoing shift is still finishing (a hand-over). A shift that meets
itself (a 24-hour shift on consecutive days) simply goes on.

With dates (``run.start``), the week is read from the start's weekday, and the
calendar changes the plan on its dates (:func:`change_plan`): nobody is on duty on a
closed date, and a staffing exception multiplies the headcount of its day (rounded
down). On and around such a date the headcount moves straight to its new level: a
change there is workers leaving or joining, not a hand-over.

The pool is a small class of counters and a deque rather than a ``simpy.Resource``:
a resource costs a request event, a release event and a process switch per task.
Abandoned items are left in the deque and skipped when popped (lazy deletion); the
deque is compacted when they outnumber the live entries, so memory stays bounded.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from simpy import Timeout

from sim.model.context import HOURS_PER_DAY, HOURS_PER_WEEK
from sim.model.metrics import TimeAverage
from sim.scenario.roster import weekly_changes, weekly_levels

if TYPE_CHECKING:
    from sim.model.calendar import Calendar
    from sim.model.context import ModelContext
    from sim.scenario.models import StaffPool

__all__ = ["Pool", "change_plan", "weekly_levels"]

# Lazy deletion: the deque is rebuilt once more than this many abandoned items sit in it
# (and they are more than half of it), so that a rebuild is rare and memory bounded.
_COMPACT_AFTER = 64


Change = tuple[float, int, int]  # (time in hours, workers going off duty, coming on)


def change_plan(
    initial: int,
    levels: list[tuple[float, int]],
    changes: list[tuple[float, int, int]],
    calendar: Calendar,
    pool: str,
    horizon: float,
) -> tuple[int, Iterator[Change]]:
    """The headcount on duty at time 0, and every later change as ``(time, ending, starting)``.

    ``initial``, ``levels`` and ``changes`` are the weekly roster from Monday 00:00
    (:func:`~sim.scenario.roster.weekly_changes` and ``weekly_levels``). Without dates,
    and with no closed date or staffing exception for this pool, the week's changes
    repeat for ever, hand-overs and all. Otherwise the week is read from the start's
    weekday, nobody is on duty from 00:00 to 24:00 of a closed date, and on a date with
    a staffing factor for this pool the headcount at every moment is multiplied by it
    and rounded down; a change on or at the edge of such a date moves the headcount
    straight to its new level (workers leave or join; no hand-over). Then only real
    changes are given, up to the horizon.
    """
    exceptions = calendar.staff_days(pool)
    if calendar.offset == 0 and not exceptions:
        return initial, _weekly(changes)
    offset = calendar.offset
    base = next(level for hour, level in reversed(levels) if hour <= offset)
    shifted = sorted(((hour - offset) % HOURS_PER_WEEK, end, start) for hour, end, start in changes)

    def effective(t: float, level: int) -> int:
        day = math.floor(t / HOURS_PER_DAY)
        if calendar.closed(day):
            return 0
        return math.floor(level * calendar.staff_factor(day, pool) + 1e-9)

    def ordinary(t: float) -> bool:
        day = math.floor(t / HOURS_PER_DAY)
        return not calendar.closed(day) and calendar.staff_factor(day, pool) == 1.0

    def midnights() -> Iterator[tuple[float, int, int] | tuple[float, None, None]]:
        for day in exceptions:
            if day >= 0:
                yield day * HOURS_PER_DAY, None, None
                yield (day + 1) * HOURS_PER_DAY, None, None

    def plan(level: int, last: int) -> Iterator[Change]:
        events = heapq.merge(_weekly(shifted), midnights())
        for t, together in itertools.groupby(events, key=lambda change: change[0]):
            if t >= horizon:
                return
            ending = starting = 0
            for _, end, start in together:
                if end is not None and start is not None:
                    level += start - end
                    ending += end
                    starting += start
            now = effective(t, level)
            if ordinary(t) and last == level - starting + ending:  # a plain day: hand-overs kept
                if ending or starting:
                    yield t, ending, starting
            elif now != last:
                yield t, max(0, last - now), max(0, now - last)
            last = now

    first = effective(0.0, base)
    return first, plan(base, first)


def _weekly(changes: list[Change]) -> Iterator[Change]:
    """The week's ``changes`` repeated week after week, but a change at hour 0 of the first
    week: the level at time 0 already has it."""
    if not changes:
        return
    week = 0
    while True:
        for hour, ending, starting in changes:
            if week or hour > 0.0:
                yield week * HOURS_PER_WEEK + hour, ending, starting
        week += 1


class Pool:
    """Workers of one staff pool: how many are on duty, busy, on overtime, and who waits."""

    __slots__ = (
        "name", "env", "wage", "window", "on_duty", "busy", "overtime", "queue", "dead",
        "busy_level", "on_duty_level", "overtime_level", "_plan", "_next",
    )

    def __init__(self, name: str, spec: StaffPool, ctx: ModelContext) -> None:
        self.name = name
        self.env = ctx.env
        self.wage = spec.wage
        self.window = window = ctx.window
        self.busy = 0  # on-duty workers at a task
        self.overtime = 0  # off-duty workers still finishing a task
        self.queue: deque[Any] = deque()  # items waiting for any step of this pool, FIFO
        self.dead = 0  # abandoned items still sitting in the deque
        changes: list[Change]
        if spec.shifts is None:
            assert spec.headcount is not None
            initial, levels, changes = spec.headcount, [(0.0, spec.headcount)], []
        else:
            initial, changes = weekly_changes(spec.shifts)
            levels = weekly_levels(spec.shifts)
        self.on_duty, self._plan = change_plan(
            initial, levels, changes, ctx.calendar, name, ctx.horizon
        )
        self._next: Change | None = None
        start, end = window
        self.busy_level = TimeAverage(start, end)  # every worker at a task, overtime too
        self.on_duty_level = TimeAverage(start, end, level=self.on_duty)
        self.overtime_level = TimeAverage(start, end)
        self._schedule_change()

    @property
    def working(self) -> int:
        """Workers at a task now, on duty or on overtime (the ``busy`` series)."""
        return self.busy + self.overtime

    # ----------------------------------------------------------------- shifts
    def _schedule_change(self) -> None:
        self._next = following = next(self._plan, None)
        if following is not None:
            Timeout(self.env, following[0] - self.env.now).callbacks.append(self._shift_change)

    def _shift_change(self, _event: Any) -> None:
        assert self._next is not None
        _, ending, starting = self._next
        self.change(self.env.now, ending, starting)
        self._schedule_change()

    def change(self, now: float, ending: int, starting: int) -> None:
        """``ending`` workers go off duty and ``starting`` come on; the free ones take waiting work.

        The idle workers go first; if more must go, busy ones finish their task on
        overtime (the first tasks to end are theirs: see :meth:`release`).
        """
        if ending:
            idle = self.on_duty - self.busy
            late = ending - idle if ending > idle else 0
            if late:
                self.busy -= late
                self.overtime += late
                self.overtime_level.add(now, late)
        self.on_duty = level = self.on_duty - ending + starting
        self.on_duty_level.set(now, level)
        queue = self.queue
        while self.busy < level and queue:
            item = queue.popleft()
            step = item.waiting_in
            if step is None:  # abandoned: lazily deleted here
                self.dead -= 1
                continue
            self.busy += 1
            self.busy_level.add(now, 1)
            step.start(item, now)

    def set_on_duty(self, now: float, level: int) -> None:
        """Set the headcount on duty to ``level``: workers leave or join (no hand-over)."""
        on_duty = self.on_duty
        self.change(now, max(0, on_duty - level), max(0, level - on_duty))

    # ----------------------------------------------------------------- tasks
    def release(self, now: float) -> None:
        """A task is over: a worker on overtime goes home, or this one takes the next item."""
        if self.overtime:  # the workers going off duty are the ones whose tasks end first
            self.overtime -= 1
            self.overtime_level.add(now, -1)
            self.busy_level.add(now, -1)
            return
        queue = self.queue
        while queue:
            item = queue.popleft()
            step = item.waiting_in
            if step is not None:
                step.start(item, now)  # the same worker goes straight on
                return
            self.dead -= 1
        self.busy -= 1
        self.busy_level.add(now, -1)

    def forget(self, item: Any) -> None:
        """An item left the queue without being served; compact the deque if it is mostly dead."""
        self.dead += 1
        if self.dead > _COMPACT_AFTER and self.dead > len(self.queue) // 2:
            self.queue = deque(o for o in self.queue if o.waiting_in is not None)
            self.dead = 0

    # ----------------------------------------------------------------- results
    def hours(self) -> tuple[float, float, float]:
        """(busy, on-duty, overtime) worker-hours inside the window."""
        return (
            self.busy_level.integral(),
            self.on_duty_level.integral(),
            self.overtime_level.integral(),
        )
