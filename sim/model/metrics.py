"""Metrics: running statistics that the model updates as simulated time passes.

Think of three instruments on a warehouse wall. A **tally** is a clicker and a
cash register: it counts events (orders completed) and adds up their values (hours
each order took). A **time average** is a chart recorder on a gauge (stock on hand,
orders waiting, busy staff): it remembers the level and for how long it held, so the
mean weighs each level by its duration. A **quantile sketch** is a row of pigeonholes
whose widths grow geometrically: each value drops into its hole, and the 95th
percentile is read back from the holes' counts to within a fixed relative error,
however many values went in.

Every statistic covers only the window ``[start, end]`` of simulated time, so the
warm-up (before ``start``) and anything after the horizon are left out.

These objects sit in the simulation's hot paths: they use only the standard library
(importing this module costs milliseconds), keep ``__slots__``, do O(1) work per
update and hold memory that does not grow with the number of observations.
"""

from __future__ import annotations

import math
from math import ceil, log

__all__ = ["QuantileSketch", "Tally", "TimeAverage"]

_NAN = math.nan


def _check_window(owner: str, start: float, end: float) -> tuple[float, float]:
    """Return ``(start, end)`` as floats, or say which rule the window breaks."""
    start = float(start)
    end = float(end)
    if math.isnan(start) or math.isnan(end) or start > end or math.isinf(start):
        raise ValueError(
            f"{owner}: expected a window with a finite start <= end (got start={start!r}, "
            f"end={end!r})"
        )
    return start, end


class Tally:
    """Count and total of values observed inside the window ``[start, end]``.

    >>> cycle_hours = Tally(start=24.0, end=48.0)
    >>> cycle_hours.add(10.0, 5.0)   # during the warm-up: not counted
    >>> cycle_hours.add(30.0, 2.0)
    >>> cycle_hours.add(40.0, 4.0)
    >>> cycle_hours.count, cycle_hours.total, cycle_hours.mean
    (2, 6.0, 3.0)
    """

    __slots__ = ("start", "end", "count", "total")

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = _check_window("Tally", start, end)
        self.count = 0
        self.total = 0.0

    def add(self, t: float, x: float) -> None:
        """Count ``x``, observed at time ``t``, if ``start <= t <= end``."""
        if self.start <= t <= self.end:
            self.count += 1
            self.total += x

    def add_unchecked(self, x: float) -> None:
        """Count ``x`` without looking at the clock: the caller knows it is in the window."""
        self.count += 1
        self.total += x

    @property
    def mean(self) -> float:
        """Mean of the counted values; NaN when none were counted."""
        return self.total / self.count if self.count else _NAN

    def __repr__(self) -> str:
        return (
            f"Tally(start={self.start!r}, end={self.end!r}, count={self.count}, "
            f"total={self.total!r})"
        )


class TimeAverage:
    """A level that changes over time, integrated over the window ``[start, end]``.

    The level is ``level`` from time ``t0`` on and changes only through :meth:`set`
    and :meth:`add`, whose times must never decrease (the SimPy clock guarantees
    this). Only the part of each constant stretch that lies inside the window is
    counted, so the warm-up and anything after ``end`` are left out.

    >>> on_hand = TimeAverage(start=10.0, end=30.0, level=5.0)
    >>> on_hand.set(20.0, 0.0)    # 5 units from 10 to 20 (0 to 10 is warm-up)
    >>> on_hand.add(25.0, 8.0)    # nothing on hand from 20 to 25, then 8 units
    >>> on_hand.integral(), on_hand.mean(), on_hand.time_at_zero()
    (90.0, 4.5, 0.25)
    """

    # Four numbers are the whole state: the time and level of the last change,
    # the area under the level and the time spent at zero so far.
    __slots__ = ("start", "end", "level", "_last_t", "_area", "_zero_time")

    def __init__(
        self, start: float, end: float, level: float = 0.0, t0: float = 0.0
    ) -> None:
        self.start, self.end = _check_window("TimeAverage", start, end)
        t0 = float(t0)
        if not t0 <= self.start:
            raise ValueError(
                f"TimeAverage: t0 must be <= start, so the level is known over the whole "
                f"window (got t0={t0!r}, start={self.start!r})"
            )
        self.level = level
        self._last_t = t0
        self._area = 0.0
        self._zero_time = 0.0

    def set(self, t: float, level: float) -> None:
        """The level becomes ``level`` at time ``t``."""
        last = self._last_t
        if t > last:
            # Clip the stretch [last, t] to the window; inlined for performance.
            lo = self.start if last < self.start else last
            hi = self.end if t > self.end else t
            if hi > lo:
                old = self.level
                if old:
                    self._area += old * (hi - lo)
                else:
                    self._zero_time += hi - lo
            self._last_t = t
        elif t < last:
            raise ValueError(
                f"TimeAverage.set: time must not go backwards (got t={t!r} after {last!r})"
            )
        self.level = level

    def add(self, t: float, delta: float) -> None:
        """The level changes by ``delta`` at time ``t`` (negative to take away)."""
        # A copy of set() rather than a call to it: one call frame less per update.
        last = self._last_t
        if t > last:
            if self.start <= last and t <= self.end:
                # The whole stretch lies in the window (the usual case): no clipping.
                old = self.level
                if old:
                    self._area += old * (t - last)
                else:
                    self._zero_time += t - last
            else:
                lo = self.start if last < self.start else last
                hi = self.end if t > self.end else t
                if hi > lo:
                    old = self.level
                    if old:
                        self._area += old * (hi - lo)
                    else:
                        self._zero_time += hi - lo
            self._last_t = t
        elif t < last:
            raise ValueError(
                f"TimeAverage.add: time must not go backwards (got t={t!r} after {last!r})"
            )
        self.level += delta

    def _closed(self, until: float | None, method: str) -> tuple[float, float, float]:
        """Return (area, zero time, window length) with the integral closed at ``until``.

        The integral is closed at ``end``, or at ``until`` if that is earlier (a run
        stopped before the horizon). Nothing is changed, so a statistic can be read
        mid-run and the level can go on changing.
        """
        end = self.end
        close = end if until is None or until > end else float(until)
        if math.isinf(close):
            raise ValueError(
                f"TimeAverage.{method}: the window has no end; pass until= (got end={end!r})"
            )
        start = self.start
        if close <= start:
            return 0.0, 0.0, 0.0  # nothing of the window has passed yet
        last = self._last_t
        covered = start if last < start else (end if last > end else last)
        if close < covered:
            raise ValueError(
                f"TimeAverage.{method}: until must not be earlier than the last change "
                f"(got until={close!r}, last change at {last!r})"
            )
        area = self._area
        zero = self._zero_time
        if close > covered:
            if self.level:
                area += self.level * (close - covered)
            else:
                zero += close - covered
        return area, zero, close - start

    def integral(self, until: float | None = None) -> float:
        """Area under the level inside the window (level x time), closed at ``until``."""
        return self._closed(until, "integral")[0]

    def mean(self, until: float | None = None) -> float:
        """Time-weighted mean level over the window; NaN when the window has no length."""
        area, _, length = self._closed(until, "mean")
        return area / length if length > 0 else _NAN

    def time_at_zero(self, until: float | None = None) -> float:
        """Fraction (0 to 1, not hours) of the window during which the level was exactly 0.

        This is ``stockout_fraction`` when the level is the stock on hand. NaN when
        the window has no length. :meth:`zero_duration` gives the same in hours.
        """
        _, zero, length = self._closed(until, "time_at_zero")
        return zero / length if length > 0 else _NAN

    def zero_duration(self, until: float | None = None) -> float:
        """Simulated time (hours) inside the window during which the level was exactly 0."""
        return self._closed(until, "zero_duration")[1]

    def __repr__(self) -> str:
        return (
            f"TimeAverage(start={self.start!r}, end={self.end!r}, level={self.level!r}, "
            f"last_change={self._last_t!r})"
        )


class QuantileSketch:
    """Quantiles of non-negative values to within a relative error, in bounded memory.

    This is the DDSketch of Masson, Rim and Lee (VLDB 2019). With ``a`` the relative
    accuracy and ``gamma = (1 + a) / (1 - a)``, a positive value ``x`` is counted in
    bucket ``i = ceil(log(x) / log(gamma))``, which holds the values in
    ``(gamma**(i-1), gamma**i]``; zeros have a count of their own. Every value in
    bucket ``i`` is within relative error ``a`` of ``2 * gamma**i / (gamma + 1)``,
    the value the bucket reports.

    **Which quantile, and how close.** ``quantile(q)`` estimates the *lower empirical
    quantile*: the value of rank ``k = floor(q * (n - 1))`` (0-based) among the ``n``
    values sorted ascending, which is ``numpy.quantile(values, q, method="lower")``.
    The answer ``v`` satisfies ``|v - x_k| <= a * x_k`` (up to floating-point rounding
    of about 1e-15 relative), and is exactly 0 when ``x_k`` is 0, provided ``x_k`` lies
    above the collapsed buckets described next.

    **Memory.** Each bucket is one dict entry; the number of buckets is about
    ``ln(max / min) / (2 * a)`` for positive values between ``min`` and ``max``:
    from 1 second to 1 year at ``a = 0.005`` that is about 1,700 buckets, and from
    1e-6 to 1e6 about 2,800. Whatever the data, there are never more than
    ``max_buckets``: when a new bucket would exceed it, the lowest buckets are merged
    into one (in a batch of ``max_buckets // 16``, so the merging costs O(1) per
    update on average). High quantiles such as the 95th percentile keep their
    guarantee; quantiles that fall in the merged lowest bucket lose it.

    >>> sketch = QuantileSketch(relative_accuracy=0.01)
    >>> for hours in range(1, 101):
    ...     sketch.add(float(hours))
    >>> abs(sketch.quantile(0.95) - 95.0) <= 0.01 * 95.0
    True
    """

    __slots__ = (
        "relative_accuracy",
        "max_buckets",
        "_gamma",
        "_inv_log_gamma",
        "_counts",
        "_zero_count",
        "_floor",
    )

    def __init__(self, relative_accuracy: float = 0.005, max_buckets: int = 4096) -> None:
        a = float(relative_accuracy)
        if not 0.0 < a < 1.0:
            raise ValueError(
                f"QuantileSketch: relative_accuracy must be between 0 and 1, like 0.005 "
                f"(got {relative_accuracy!r})"
            )
        if isinstance(max_buckets, bool) or not isinstance(max_buckets, int) or max_buckets < 2:
            raise ValueError(
                f"QuantileSketch: max_buckets must be a whole number >= 2 (got {max_buckets!r})"
            )
        self.relative_accuracy = a
        self.max_buckets = max_buckets
        self._gamma = (1.0 + a) / (1.0 - a)
        self._inv_log_gamma = 1.0 / log(self._gamma)
        self._counts: dict[int, int] = {}
        self._zero_count = 0
        # Bucket indices below _floor have been merged into bucket _floor.
        self._floor: int | None = None

    def add(self, x: float) -> None:
        """Count the value ``x`` (a non-negative number, such as hours of cycle time)."""
        if x > 0.0:
            try:
                i = ceil(log(x) * self._inv_log_gamma)
            except OverflowError:
                raise ValueError(
                    f"QuantileSketch.add: expected a finite number (got {x!r})"
                ) from None
            # Existing buckets take the fast path; a new one goes through _new_bucket.
            try:
                self._counts[i] += 1
            except KeyError:
                self._new_bucket(i, 1)
        elif x == 0.0:
            self._zero_count += 1
        else:
            raise ValueError(f"QuantileSketch.add: expected a number >= 0 (got {x!r})")

    def _new_bucket(self, i: int, count: int) -> None:
        """Add ``count`` to bucket ``i`` (new, or merged away), keeping under the cap."""
        counts = self._counts
        floor = self._floor
        if floor is not None and i < floor:
            i = floor  # merged into the lowest bucket
        counts[i] = counts.get(i, 0) + count
        if len(counts) > self.max_buckets:
            self._collapse_lowest()

    def _collapse_lowest(self) -> None:
        """Merge the lowest buckets into one, leaving room for new ones above."""
        counts = self._counts
        keep = self.max_buckets - max(1, self.max_buckets // 16)
        keys = sorted(counts)
        n_merge = len(keys) - keep + 1
        floor = keys[n_merge - 1]
        merged = 0
        for key in keys[:n_merge]:
            merged += counts.pop(key)
        counts[floor] = merged
        self._floor = floor

    @property
    def count(self) -> int:
        """How many values have been added."""
        return self._zero_count + sum(self._counts.values())

    @property
    def buckets(self) -> int:
        """How many buckets hold counts (the memory in use), not counting zeros."""
        return len(self._counts)

    def quantile(self, q: float, zeros: int = 0) -> float:
        """The lower empirical ``q``-quantile, within ``relative_accuracy``; NaN when empty.

        ``q`` is a fraction from 0 to 1: 0.95 for the 95th percentile. ``zeros`` counts
        that many more values of 0 as if they had been added (a hot path that sees many
        zeros, such as waits at a free desk, counts them itself and adds them here).

        >>> waits = QuantileSketch()
        >>> waits.add(2.0)
        >>> round(waits.quantile(0.5), 2), waits.quantile(0.5, zeros=3)
        (2.0, 0.0)
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(
                f"QuantileSketch.quantile: q must be between 0 and 1, like 0.95 (got {q!r})"
            )
        if zeros < 0:
            raise ValueError(f"QuantileSketch.quantile: zeros must be >= 0 (got {zeros!r})")
        n = self.count + zeros
        if n == 0:
            return _NAN
        rank = math.floor((n - 1) * q)  # 0-based, as numpy's method="lower"
        seen = self._zero_count + zeros
        if rank < seen:
            return 0.0
        counts = self._counts
        for i in sorted(counts):
            seen += counts[i]
            if rank < seen:
                return 2.0 * self._gamma**i / (self._gamma + 1.0)
        raise AssertionError("unreachable: rank is below the total count")

    def merge(self, other: QuantileSketch) -> None:
        """Add every value counted by ``other`` (a sketch with the same accuracy) to this one."""
        if not isinstance(other, QuantileSketch):
            raise TypeError(
                f"QuantileSketch.merge: expected a QuantileSketch (got {type(other).__name__})"
            )
        if other._gamma != self._gamma:
            raise ValueError(
                f"QuantileSketch.merge: both sketches need the same relative_accuracy "
                f"(got {other.relative_accuracy!r}, this one has {self.relative_accuracy!r})"
            )
        if other._floor is not None and (self._floor is None or other._floor > self._floor):
            # Raise this sketch's floor to the other's, folding our own lower buckets in.
            floor = other._floor
            below = [i for i in self._counts if i < floor]
            folded = sum(self._counts.pop(i) for i in below)
            if folded:
                self._counts[floor] = self._counts.get(floor, 0) + folded
            self._floor = floor
        self._zero_count += other._zero_count
        counts = self._counts
        for i, c in other._counts.items():
            if i in counts:
                counts[i] += c
            else:
                self._new_bucket(i, c)

    def __repr__(self) -> str:
        return (
            f"QuantileSketch(relative_accuracy={self.relative_accuracy!r}, "
            f"count={self.count}, buckets={self.buckets})"
        )
