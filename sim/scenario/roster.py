"""The weekly roster of a staff pool: how many workers are on duty when, and who changes over.

A pool's ``shifts`` repeat every week from Monday 00:00. Two views of them are needed:

* :func:`weekly_levels`: the on-duty headcount as a step function over the week (what
  labour costs and capacity checks read);
* :func:`weekly_changes`: the moments workers go off and come on duty, kept apart
  (what the engine reads). When one shift ends as another starts, the outgoing workers
  and the incoming ones are different people: the outgoing ones finish the task in
  hand (overtime) while the incoming ones start on new work at once, so a hand-over is
  not the same as a level that stays put. The one exception is a shift meeting itself:
  a ``00:00``-``24:00`` shift on consecutive days is one unbroken stretch, the same
  workers staying on.

Times are counted in whole minutes, so that a shift ending exactly when another starts
leaves no sliver. Only the standard library is used (the engine and the checks share
this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.models import Shift, StaffPool

__all__ = ["HOURS_PER_WEEK", "hourly_on_duty", "weekly_changes", "weekly_levels"]

HOURS_PER_WEEK = 168
_MINUTES_PER_DAY = 24 * 60
_MINUTES_PER_WEEK = HOURS_PER_WEEK * 60


def _spans(shifts: Sequence[Shift]) -> list[tuple[int, int, int, int]]:
    """``(entry, start minute of week, length in minutes, headcount)`` of every shift worked."""
    spans = []
    for entry, shift in enumerate(shifts):
        length = round(shift.length * 60)
        for day in shift.days:
            start = (day * _MINUTES_PER_DAY + round(shift.start * 60)) % _MINUTES_PER_WEEK
            spans.append((entry, start, length, shift.headcount))
    return spans


def _level_at(spans: list[tuple[int, int, int, int]], minute: int) -> int:
    return sum(h for _, s, n, h in spans if (minute - s) % _MINUTES_PER_WEEK < n)


def weekly_levels(shifts: Sequence[Shift]) -> list[tuple[float, int]]:
    """The on-duty headcount over a week as ``[(hour_of_week, level), ...]``, from hour 0.

    Each level holds from its hour until the next one (and the last until the end of
    the week). A shift starts on each of its ``days`` at ``start`` and lasts
    ``shift.length`` hours (crossing midnight when ``end <= start``; Sunday's night
    shift runs into Monday morning). Overlapping shifts add up.

    >>> from sim.scenario.models import Shift
    >>> weekly_levels([Shift(days=["mon"], start="22:00", end="06:00", headcount=2)])
    [(0.0, 0), (22.0, 2), (30.0, 0)]
    """
    spans = _spans(shifts)
    points = {0}
    for _, start, length, _ in spans:
        points.add(start)
        points.add((start + length) % _MINUTES_PER_WEEK)
    levels: list[tuple[float, int]] = []
    for minute in sorted(points):
        level = _level_at(spans, minute)
        if not levels or levels[-1][1] != level:
            levels.append((minute / 60.0, level))
    return levels


def weekly_changes(shifts: Sequence[Shift]) -> tuple[int, list[tuple[float, int, int]]]:
    """On duty at hour 0, and every change of the week as ``(hour_of_week, ending, starting)``.

    ``ending`` workers go off duty and ``starting`` ones come on at that hour; a
    hand-over between two shifts has both. A shift that starts as the same shift (the
    same entry of ``shifts``) ends is a continuation: those workers stay on and the
    change is not listed. A change at hour 0 applies from the second week on (at time 0
    the workers then on duty are already counted in the first number).

    >>> from sim.scenario.models import Shift
    >>> weekly_changes([
    ...     Shift(days=["mon"], start="08:00", end="16:00", headcount=6),
    ...     Shift(days=["mon"], start="16:00", end="24:00", headcount=3),
    ... ])
    (0, [(8.0, 0, 6), (16.0, 6, 3), (24.0, 3, 0)])
    """
    spans = _spans(shifts)
    # (minute, entry) -> [ending, starting]
    moves: dict[tuple[int, int], list[int]] = {}
    for entry, start, length, headcount in spans:
        if not headcount:
            continue
        moves.setdefault((start, entry), [0, 0])[1] += headcount
        moves.setdefault(((start + length) % _MINUTES_PER_WEEK, entry), [0, 0])[0] += headcount
    by_minute: dict[int, list[int]] = {}
    for (minute, _), (ending, starting) in moves.items():
        stay = min(ending, starting)  # the same shift going on: nobody changes over
        total = by_minute.setdefault(minute, [0, 0])
        total[0] += ending - stay
        total[1] += starting - stay
    changes = [
        (minute / 60.0, ending, starting)
        for minute, (ending, starting) in sorted(by_minute.items())
        if ending or starting
    ]
    return _level_at(spans, 0), changes


def hourly_on_duty(pool: StaffPool) -> list[float]:
    """The mean number of workers on duty in each hour of the week (168 values, Monday first).

    A shift that starts or ends within an hour counts for the part of the hour it covers.
    """
    if pool.shifts is None:
        assert pool.headcount is not None
        return [float(pool.headcount)] * HOURS_PER_WEEK
    levels = weekly_levels(pool.shifts)
    hours = [0.0] * HOURS_PER_WEEK
    bounds = [hour for hour, _ in levels[1:]] + [float(HOURS_PER_WEEK)]
    for (start, level), end in zip(levels, bounds):
        hour = start
        while hour < end - 1e-12:
            index = int(hour)
            upto = min(end, index + 1.0)
            hours[index] += level * (upto - hour)
            hour = upto
    return hours
