"""The calendar: which date, weekday and month an hour of the clock falls on, and the
dated exceptions (closed dates, staffing changes) that the whole business shares.

The clock counts hours from time 0. Without ``run.start`` time 0 is a Monday at 00:00
and there are no dates; with it, time 0 is 00:00 of that date and the weekday follows
the date, so every weekly table (``by_hour`` x ``by_weekday``, shifts, delivery and
review days) is read from the weekday of the start. Day ``d`` is the 24 hours from
``24 d``; its date is ``start + d days``.

Promotions belong to the channel whose ``calendar`` lists them (see
:mod:`sim.model.arrivals`); closures and staffing changes hold for the whole business,
whichever channel's calendar lists them, and exceptions on the same date multiply.
Dates before the start or after the horizon are ignored.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping

__all__ = ["Calendar"]

_HOURS_PER_DAY = 24.0


class Calendar:
    """Dates for the clock of one replication, and the business's dated exceptions.

    >>> import datetime
    >>> cal = Calendar(datetime.date(2026, 1, 7), closed=[datetime.date(2026, 1, 8)])
    >>> cal.offset, cal.weekday(0), cal.date(1), cal.closed(1), cal.closed_at(47.5)
    (48.0, 2, datetime.date(2026, 1, 8), True, True)
    """

    __slots__ = ("start", "offset", "_closed", "_staff", "_weekday0")

    def __init__(
        self,
        start: _dt.date | None = None,
        *,
        closed: Iterable[_dt.date] = (),
        staff: Mapping[_dt.date, Mapping[str, float]] | None = None,
    ) -> None:
        #: The date at time 0, or None (then time 0 is a Monday and there are no dates).
        self.start = start
        self._weekday0 = start.weekday() if start is not None else 0
        #: Hours from the Monday 00:00 before (or at) time 0 to time 0: add it to a time to
        #: index an hour-of-week table that starts on Monday.
        self.offset = self._weekday0 * _HOURS_PER_DAY
        self._closed = frozenset(self.day_of(date) for date in closed) if start else frozenset()
        self._staff: dict[int, dict[str, float]] = {}
        for date, factors in (staff or {}).items():
            if start is None:
                break
            day = self._staff.setdefault(self.day_of(date), {})
            for pool, factor in factors.items():
                day[pool] = day.get(pool, 1.0) * factor

    @property
    def plain(self) -> bool:
        """No dates and no exceptions: the weekly clock of a scenario without ``run.start``."""
        return self.start is None

    @property
    def has_closures(self) -> bool:
        """Whether any date is closed."""
        return bool(self._closed)

    def day_of(self, date: _dt.date) -> int:
        """The day number of ``date`` (0 for the start; negative before it)."""
        assert self.start is not None
        return (date - self.start).days

    def weekday(self, day: int) -> int:
        """0 for Monday ... 6 for Sunday."""
        return (self._weekday0 + day) % 7

    def date(self, day: int) -> _dt.date | None:
        """The date of day ``day``, or None without ``run.start``."""
        return None if self.start is None else self.start + _dt.timedelta(days=day)

    def month(self, day: int) -> int:
        """0 for January ... 11 for December (needs ``run.start``)."""
        date = self.date(day)
        if date is None:
            raise ValueError("months need run.start")
        return date.month - 1

    def closed(self, day: int) -> bool:
        """Whether day ``day`` is a closed date."""
        return day in self._closed

    def closed_at(self, t: float) -> bool:
        """Whether the time ``t`` (hours) falls on a closed date."""
        return bool(self._closed) and math.floor(t / _HOURS_PER_DAY) in self._closed

    def staff_factor(self, day: int, pool: str) -> float:
        """What the headcount of ``pool`` is multiplied by on day ``day`` (1: no change)."""
        factors = self._staff.get(day)
        return 1.0 if factors is None else factors.get(pool, 1.0)

    def staff_days(self, pool: str) -> list[int]:
        """The days on which ``pool``'s headcount differs from its weekly plan."""
        days = [d for d, factors in self._staff.items() if factors.get(pool, 1.0) != 1.0]
        return sorted(set(days) | self._closed)
