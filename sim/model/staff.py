"""Staff: pools of interchangeable workers, on duty by headcount or by weekly shifts.

A pool is a room of workers and one first-come first-served line of work in front of
it (orders today; anything a :class:`~sim.model.steps.StaffedStep` routes, such as a
sales lead), shared by every step the pool works on. The room's size (*on duty*) follows
the weekly shift plan; the number at work (*busy*) never exceeds it when a task
starts. When a shift ends mid-task the worker finishes the task: that time is
**overtime**, the integral of ``max(0, busy - on_duty)``, and no new task starts until
``busy < on_duty`` again. When on-duty rises, the queue is served at once.

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

if TYPE_CHECKING:
    from sim.model.calendar import Calendar
    from sim.model.context import ModelContext
    from sim.scenario.models import Shift, StaffPool

__all__ = ["Pool", "level_plan", "weekly_levels"]

_MINUTES_PER_DAY = round(HOURS_PER_DAY * 60)
_MINUTES_PER_WEEK = HOURS_PER_WEEK * 60
# Lazy deletion: the deque is rebuilt once more than this many abandoned items sit in it
# (and they are more than half of it), so that a rebuild is rare and memory bounded.
_COMPACT_AFTER = 64


def weekly_levels(shifts: list[Shift]) -> list[tuple[float, int]]:
    """The on-duty headcount over a week as ``[(hour_of_week, level), ...]``, from hour 0.

    Each level holds from its hour until the next one (and the last until the end of
    the week). A shift starts on each of its ``days`` at ``start`` and lasts
    ``shift.length`` hours (crossing midnight when ``end <= start``; Sunday's night
    shift runs into Monday morning). Overlapping shifts add up. Times are counted in
    whole minutes so that a shift ending exactly when another starts leaves no sliver.

    >>> from sim.scenario.models import Shift
    >>> weekly_levels([Shift(days=["mon"], start="22:00", end="06:00", headcount=2)])
    [(0.0, 0), (22.0, 2), (30.0, 0)]
    """
    spans: list[tuple[int, int, int]] = []  # (start minute of week, length in minutes, headcount)
    points = {0}
    for shift in shifts:
        length = round(shift.length * 60)
        for day in shift.days:
            start = (day * _MINUTES_PER_DAY + round(shift.start * 60)) % _MINUTES_PER_WEEK
            spans.append((start, length, shift.headcount))
            points.add(start)
            points.add((start + length) % _MINUTES_PER_WEEK)
    levels: list[tuple[float, int]] = []
    for minute in sorted(points):
        level = sum(h for s, n, h in spans if (minute - s) % _MINUTES_PER_WEEK < n)
        if not levels or levels[-1][1] != level:
            levels.append((minute / 60.0, level))
    return levels


def level_plan(
    levels: list[tuple[float, int]], calendar: Calendar, pool: str, horizon: float
) -> Iterator[tuple[float, int]]:
    """The on-duty headcount over time: ``(0.0, level at time 0)``, then each change.

    ``levels`` is the weekly plan from Monday 00:00 (:func:`weekly_levels`). Without
    dates it repeats every week, for ever (a week's first level is given again when
    the week turns, changed or not). With ``run.start`` the week is read from the
    start's weekday, and on the calendar's dates the plan is changed: nobody is on duty
    from 00:00 to 24:00 of a closed date, and on a date with a staffing factor for this
    pool the headcount at every moment is multiplied by it and rounded down. Then only
    real changes are given, up to the horizon.
    """
    exceptions = calendar.staff_days(pool)
    if calendar.offset == 0 and not exceptions:
        yield levels[0]
        if len(levels) == 1:
            return
        week, index = 0, 1
        while True:
            if index == len(levels):
                index, week = 0, week + 1
            yield week * HOURS_PER_WEEK + levels[index][0], levels[index][1]
            index += 1
    # The weekly plan shifted so that time 0 is the start's weekday, as change times.
    offset = calendar.offset
    shifted = sorted(((hour - offset) % HOURS_PER_WEEK, level) for hour, level in levels)
    base = next(level for hour, level in reversed(sorted(levels)) if hour <= offset)

    def weekly() -> Iterator[tuple[float, int | None]]:
        week = 0
        while True:
            for hour, level in shifted:
                yield week * HOURS_PER_WEEK + hour, level
            week += 1

    def midnights() -> Iterator[tuple[float, int | None]]:
        for day in exceptions:
            if day >= 0:
                yield day * HOURS_PER_DAY, None
                yield (day + 1) * HOURS_PER_DAY, None

    def effective(t: float, level: int) -> int:
        day = math.floor(t / HOURS_PER_DAY)
        if calendar.closed(day):
            return 0
        return math.floor(level * calendar.staff_factor(day, pool) + 1e-9)

    last = effective(0.0, base)
    yield 0.0, last
    changes = heapq.merge(weekly(), midnights(), key=lambda change: change[0])
    for t, together in itertools.groupby(changes, key=lambda change: change[0]):
        if t >= horizon:
            return
        for _, level in together:
            if level is not None:
                base = level
        now = effective(t, base)
        if t > 0.0 and now != last:
            last = now
            yield t, now


class Pool:
    """Workers of one staff pool: how many are on duty, how many are busy, who waits."""

    __slots__ = (
        "name", "env", "wage", "window", "on_duty", "busy", "queue", "dead",
        "busy_level", "on_duty_level", "overtime_level", "_levels", "_plan", "_next",
    )

    def __init__(self, name: str, spec: StaffPool, ctx: ModelContext) -> None:
        self.name = name
        self.env = ctx.env
        self.wage = spec.wage
        self.window = window = ctx.window
        self.busy = 0
        self.queue: deque[Any] = deque()  # items waiting for any step of this pool, FIFO
        self.dead = 0  # abandoned items still sitting in the deque
        if spec.shifts is None:
            assert spec.headcount is not None
            self._levels = [(0.0, spec.headcount)]
        else:
            self._levels = weekly_levels(spec.shifts)
        self._plan = level_plan(self._levels, ctx.calendar, name, ctx.horizon)
        self.on_duty = next(self._plan)[1]
        start, end = window
        self.busy_level = TimeAverage(start, end)
        self.on_duty_level = TimeAverage(start, end, level=self.on_duty)
        self.overtime_level = TimeAverage(start, end)
        self._next: tuple[float, int] | None = None
        self._schedule_change()

    # ----------------------------------------------------------------- shifts
    def _schedule_change(self) -> None:
        self._next = following = next(self._plan, None)
        if following is not None:
            Timeout(self.env, following[0] - self.env.now).callbacks.append(self._shift_change)

    def _shift_change(self, _event: Any) -> None:
        assert self._next is not None
        self.set_on_duty(self.env.now, self._next[1])
        self._schedule_change()

    def set_on_duty(self, now: float, level: int) -> None:
        """Workers come on or go off duty; newly free workers take waiting items."""
        busy = self.busy
        old_over = busy - self.on_duty if busy > self.on_duty else 0
        new_over = busy - level if busy > level else 0
        self.on_duty_level.set(now, level)
        if new_over != old_over:
            self.overtime_level.set(now, new_over)
        self.on_duty = level
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

    # ----------------------------------------------------------------- tasks
    def release(self, now: float) -> None:
        """A worker finished a task: take the next waiting item, or go idle (or home)."""
        busy = self.busy
        if busy > self.on_duty:  # working past the end of the shift: go home
            self.overtime_level.add(now, -1)
        elif busy == self.on_duty:
            queue = self.queue
            while queue:
                item = queue.popleft()
                step = item.waiting_in
                if step is not None:
                    step.start(item, now)  # the same worker goes straight on
                    return
                self.dead -= 1
        self.busy = busy - 1
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
