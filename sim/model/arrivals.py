"""Arrivals: when a sales channel's orders come in.

Think of a shop's door with a bell above it. The *arrival process* rings the bell; the
shop (the :class:`~sim.model.orders.Channel`) sees who came in: it draws what the order
contains from the channel's own distributions and sends it on. Keeping the two apart
lets any source of timing drive a channel: a Poisson stream today; later a replay of a
file of past orders (which also knows what each order contained), past days drawn at
random, or a sales pipeline whose won leads become orders the moment they are won.

An arrival process is started once, at time 0, with the replication's
:class:`~sim.model.context.ModelContext` and the channel's ``emit`` function. It
schedules its own events on the context, and calls ``emit()`` each time an order
arrives. ``emit(lines)`` hands over an order whose lines the source knows: a list of
``(sku, quantity)`` pairs, each SKU given by name or by its index in the scenario's
products.

The Poisson process with an hour-of-week profile (``by_hour``, ``by_weekday``) has a
rate that is constant within each hour of the week, ``rate × profile[hour]``; the next
arrival is found by *inversion*: draw a unit exponential and walk forward through the
hours, spending ``rate_h`` of it per hour, until it is used up. Its unit exponentials
come from the stream ``arrivals:<channel>``.

With a calendar (``run.start``), the rate may also change from day to day: by
``by_month``, by ``growth`` (compounded from time 0, taken at the middle of each day),
by the channel's promotions, and to zero on closed dates. The same inversion then
spends the unit exponentials against ``rate × profile[hour of week] × day
factor[day]``, the hour of week counted from the weekday of the start. A scenario that
uses none of these keys draws exactly the numbers it always did.

Past orders come from an :class:`~sim.model.orderbook.OrderBook`: :class:`ReplayArrivals`
sends the book's orders at their times (the same in every replication);
:class:`ResampleArrivals` makes each simulated day a past day of the same weekday,
drawn at random (one draw per open day, from the stream ``resample:<channel>``). Both
hand the recorded lines to the channel; closed dates have no orders.

Arrivals are callbacks that schedule the next one, not SimPy processes: a process
resume costs an extra event and a generator switch per order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from simpy import Timeout

from sim.model.context import HOURS_PER_DAY, HOURS_PER_WEEK
from sim.model.orderbook import EPOCH, SECONDS_PER_DAY
from sim.scenario.distributions import from_blocks

if TYPE_CHECKING:
    from sim.model.calendar import Calendar
    from sim.model.context import ModelContext
    from sim.model.orderbook import OrderBook
    from sim.scenario.models import DemandStream

__all__ = [
    "ArrivalProcess",
    "Emit",
    "PoissonArrivals",
    "ReplayArrivals",
    "ResampleArrivals",
    "arrival_process",
    "day_factors",
]

_INF = math.inf
_SECONDS_PER_HOUR = 3600.0

#: One line of an order whose content its source knows: a SKU (name or product index)
#: and a quantity.
KnownLine = tuple[str | int, int]


class Emit(Protocol):
    """The channel's doorbell: an order arrives now (its lines drawn, or as given)."""

    def __call__(self, lines: Sequence[KnownLine] | None = None) -> None: ...


class ArrivalProcess:
    """When a channel's orders arrive: the extension point for sources of demand.

    A subclass implements :meth:`start`. It is called once, at time 0, and schedules the
    process's own events with ``ctx.schedule(delay, callback)``; whenever an order
    arrives, the process calls ``emit()`` (the channel draws the order's content) or
    ``emit(lines)`` (the source knows it). One instance serves one channel in one
    replication; random numbers come from ``ctx.stream(name)``, under a name of their
    own so that nothing else shifts them.

    A replay of known orders at known hours, for example::

        class Replay(ArrivalProcess):
            def __init__(self, orders):  # [(hour, [(sku, quantity), ...]), ...]
                self.orders = orders

            def start(self, ctx, emit):
                for hour, lines in self.orders:
                    ctx.schedule(hour, lambda event: emit(event.value), lines)
    """

    __slots__ = ()

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Begin: schedule the first arrival (or all of them)."""
        raise NotImplementedError


class PoissonArrivals(ArrivalProcess):
    """A Poisson stream of orders at ``rate`` per hour, shaped by an hour-of-week profile
    and, with a calendar, by the day.

    ``profile`` is None for a constant rate, or the 168 hourly factors from Monday 00:00
    (mean 1). ``days`` is None, or one factor per day from time 0 (see
    :func:`day_factors`): then the rate in hour ``h`` is ``rate × profile[(h + offset)
    % 168] × days[h // 24]``, ``offset`` being the hours from Monday 00:00 to time 0,
    and there are no arrivals after the last day. A rate of 0 sends no orders.
    """

    __slots__ = (
        "rate", "stream_name", "_hourly", "_days", "_offset", "_env", "_emit", "_unit_exp",
    )

    def __init__(
        self, rate: float, profile: Sequence[float] | None, stream_name: str,
        days: Sequence[float] | None = None, offset: float = 0.0,
    ) -> None:
        self.rate = rate
        self.stream_name = stream_name
        if days is not None and profile is None:
            profile = [1.0] * HOURS_PER_WEEK
        self._hourly = None if profile is None else [rate * f for f in profile]
        self._days = None if days is None else list(days)
        self._offset = round(offset)

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Schedule the first arrival."""
        if not self.rate > 0:
            return
        rng = ctx.stream(self.stream_name)
        self._unit_exp = from_blocks(lambda n: rng.standard_exponential(n))
        self._env = ctx.env
        self._emit = emit
        first = self._next_time(0.0)
        if first < _INF:
            ctx.schedule(first, self._arrive)

    def _next_time(self, t: float) -> float:
        """The arrival after time ``t``: a unit exponential spent against the rate
        (inf: none before the last day ends)."""
        e = self._unit_exp()
        hourly = self._hourly
        if hourly is None:
            return t + e / self.rate
        days, offset = self._days, self._offset
        while True:
            hour = math.floor(t)
            if days is None:
                rate = hourly[hour % HOURS_PER_WEEK]
            else:
                day = hour // 24
                if day >= len(days):
                    return _INF
                if days[day] == 0.0:  # a closed date, or a month without orders: skip it
                    t = (day + 1) * HOURS_PER_DAY
                    continue
                rate = hourly[(hour + offset) % HOURS_PER_WEEK] * days[day]
            end = hour + 1.0
            if rate > 0.0:
                left = (end - t) * rate
                if e < left:
                    return t + e / rate
                e -= left
            t = end

    def _arrive(self, _event: Any) -> None:
        """An order arrives; the one after it is scheduled first (as the numbers always were)."""
        if self._hourly is None:  # homogeneous: inlined for performance
            gap = self._unit_exp() / self.rate
        else:
            now = self._env.now
            gap = self._next_time(now) - now
            if gap == _INF:
                self._emit()
                return
        Timeout(self._env, gap).callbacks.append(self._arrive)  # ctx.schedule, a call less
        self._emit()


def day_factors(spec: DemandStream, calendar: Calendar, horizon: float) -> list[float] | None:
    """One rate factor per day from day 0 to the horizon, or None when every day is plain.

    A day's factor is ``by_month`` (normalised to a mean of 1 over a 365-day year) ×
    ``exp(growth × the day's middle hour)`` × the channel's promotions that day, and 0
    on a closed date.
    """
    arrivals = spec.arrivals
    assert arrivals is not None
    promotions = _promotions(spec, calendar)
    if (
        arrivals.by_month is None
        and not arrivals.growth
        and not promotions
        and not calendar.has_closures
    ):
        return None
    months = arrivals.month_factors() if arrivals.by_month is not None else None
    growth = arrivals.growth or 0.0
    factors = []
    for day in range(math.ceil(horizon / HOURS_PER_DAY) + 1):
        factor = 1.0
        if months is not None:
            factor *= months[calendar.month(day)]
        if growth:
            factor *= math.exp(growth * (day + 0.5) * HOURS_PER_DAY)
        factor *= promotions.get(day, 1.0)
        factors.append(0.0 if calendar.closed(day) else factor)
    return factors


def _promotions(spec: DemandStream, calendar: Calendar) -> dict[int, float]:
    """The channel's demand factors by day (factors on the same day multiply)."""
    found: dict[int, float] = {}
    for entry in spec.calendar:
        if entry.demand is None or calendar.start is None:
            continue
        for day in range(calendar.day_of(entry.first), calendar.day_of(entry.last) + 1):
            found[day] = found.get(day, 1.0) * entry.demand
    return found


class _KnownOrders(ArrivalProcess):
    """What replay and resample share: the book's lines, handed to the channel."""

    __slots__ = ("_sku", "_quantity", "_first_line", "_codes", "_env", "_emit")
    _emit: Emit

    def __init__(self, book: OrderBook, products: Sequence[str]) -> None:
        self._sku = book.sku
        self._quantity = book.quantity
        self._first_line = book.first_line
        # The book's SKU codes as product indices; None: no products, orders have no lines.
        index = {name: i for i, name in enumerate(products)}
        self._codes = [index.get(name, -1) for name in book.skus] if products else None

    def _send(self, order: int) -> None:
        codes = self._codes
        if codes is None:
            self._emit()
            return
        a, b = self._first_line[order], self._first_line[order + 1]
        skus = self._sku[a:b].tolist()
        quantities = self._quantity[a:b].tolist()
        self._emit([(codes[sku], qty) for sku, qty in zip(skus, quantities)])


class ReplayArrivals(_KnownOrders):
    """The orders of a book, exactly, at their times (hour 0 is ``start_second``).

    Orders before time 0, at or after the horizon, or on a closed date are left out.
    """

    __slots__ = ("_hours", "_orders", "_next")

    def __init__(
        self, book: OrderBook, products: Sequence[str], start_second: int, horizon: float,
        calendar: Calendar,
    ) -> None:
        super().__init__(book, products)
        hours = (book.time - start_second) / _SECONDS_PER_HOUR
        keep = (hours >= 0.0) & (hours < horizon)
        if calendar.has_closures:
            days = np.floor(hours / HOURS_PER_DAY).astype(np.int64)
            keep &= ~np.isin(days, [d for d in range(math.ceil(horizon / 24) + 1)
                                   if calendar.closed(d)])
        self._orders = np.flatnonzero(keep)
        self._hours = hours[self._orders]
        self._next = 0

    def __len__(self) -> int:
        """How many orders will arrive."""
        return len(self._orders)

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Schedule the first order."""
        self._env = ctx.env
        self._emit = emit
        if len(self._orders):
            ctx.schedule(float(self._hours[0]), self._arrive)

    def _arrive(self, _event: Any) -> None:
        i = self._next
        self._next = i + 1
        if i + 1 < len(self._orders):
            now = self._env.now
            Timeout(self._env, float(self._hours[i + 1]) - now).callbacks.append(self._arrive)
        self._send(int(self._orders[i]))


class ResampleArrivals(_KnownOrders):
    """Each simulated day a past day of the same weekday, drawn at random from the book.

    Every date from the first order's to the last order's counts as a past day, with
    the orders it had (none, for a day without orders). An open simulated day draws one
    uniform number from the stream ``stream_name``; a closed date draws none and has no
    orders.
    """

    __slots__ = (
        "stream_name", "_calendar", "_last_day", "_day_start", "_candidates", "_hour_in_day",
        "_uniform", "_day", "_i", "_end",
    )

    def __init__(
        self, book: OrderBook, products: Sequence[str], horizon: float, calendar: Calendar,
        stream_name: str,
    ) -> None:
        super().__init__(book, products)
        self.stream_name = stream_name
        self._calendar = calendar
        self._last_day = math.ceil(horizon / HOURS_PER_DAY)
        days = book.days()
        first, last = int(days[0]), int(days[-1])
        #: Orders of past day ``first + k`` are ``_day_start[k]:_day_start[k + 1]``.
        self._day_start = np.searchsorted(days, np.arange(first, last + 2)).tolist()
        epoch_weekday = EPOCH.weekday()
        self._candidates: list[list[int]] = [[] for _ in range(7)]
        for k in range(last - first + 1):
            self._candidates[(epoch_weekday + first + k) % 7].append(k)
        self._hour_in_day = (book.time - days * SECONDS_PER_DAY) / _SECONDS_PER_HOUR

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Draw the first day and schedule its first order."""
        rng = ctx.stream(self.stream_name)
        self._uniform = from_blocks(lambda n: rng.random(n))
        self._env = ctx.env
        self._emit = emit
        self._day = -1
        self._i = self._end = 0
        self._schedule_next()

    def _schedule_next(self) -> None:
        """Schedule the next order: later today, or on the next day that has one."""
        while self._i >= self._end:
            self._day += 1
            day = self._day
            if day >= self._last_day:
                return
            if self._calendar.closed(day):
                continue
            candidates = self._candidates[self._calendar.weekday(day)]
            past = candidates[int(self._uniform() * len(candidates))]
            self._i, self._end = self._day_start[past], self._day_start[past + 1]
        at = self._day * HOURS_PER_DAY + float(self._hour_in_day[self._i])
        Timeout(self._env, at - self._env.now).callbacks.append(self._arrive)

    def _arrive(self, _event: Any) -> None:
        order = self._i
        self._i += 1
        self._schedule_next()
        self._send(order)


def arrival_process(
    spec: DemandStream,
    channel: str,
    calendar: Calendar | None = None,
    horizon: float = _INF,
    book: OrderBook | None = None,
    products: Sequence[str] = (),
) -> ArrivalProcess:
    """The arrival process a channel's spec asks for.

    ``calendar`` and ``horizon`` shape a Poisson channel by date; ``book`` holds the
    channel's past orders for ``replay`` and ``resample``; ``products`` names the
    scenario's products in order (the SKUs of recorded lines).
    """
    if spec.arrivals is None:
        if book is None:
            raise ValueError(
                f"channel {channel}: the orders of {spec.data_file} were not given to the "
                "model (sim.run reads the file; see sim.data)"
            )
        assert calendar is not None
        if spec.replay is not None:
            assert calendar.start is not None
            start_second = (calendar.start - EPOCH).days * SECONDS_PER_DAY
            return ReplayArrivals(book, products, start_second, horizon, calendar)
        return ResampleArrivals(book, products, horizon, calendar, f"resample:{channel}")
    arrivals = spec.arrivals
    shaped = arrivals.by_hour is not None or arrivals.by_weekday is not None
    profile = arrivals.profile() if shaped else None
    days = day_factors(spec, calendar, horizon) if calendar is not None else None
    if days is not None:
        assert calendar is not None
        return PoissonArrivals(
            arrivals.rate, profile, f"arrivals:{channel}", days, calendar.offset
        )
    if profile is not None and calendar is not None and calendar.offset:
        shift = round(calendar.offset)  # hour-of-week tables start on Monday; time 0 may not
        profile = [*profile[shift:], *profile[:shift]]
    return PoissonArrivals(arrivals.rate, profile, f"arrivals:{channel}")
