"""Order intake: customers of each sales channel place orders at random times.

Each channel is a Poisson stream of orders. Its rate may follow the hour of the day
and the day of the week (``by_hour``, ``by_weekday``): the rate is then constant
within each hour of the week, ``rate × profile[hour]``, and the next arrival is found
by *inversion*: draw a unit exponential and walk forward through the hours, spending
``rate_h`` of it per hour, until it is used up. Several channels are superposed: each
schedules its own arrivals.

Everything random about an order is drawn the moment it arrives, in arrival order:
its lines, their SKUs and quantities, its patience and its task time at every step.
Each of those comes from its own named stream (``lines:<channel>``, ``sku:<channel>``,
``quantity:<channel>``, ``patience:<channel>``, ``service:<step>``), so a variant with
more staff meets the identical orders with identical task times (common random
numbers), and adding a staff pool or a product does not shift the arrivals.

Duplicate SKUs within an order are kept as separate lines (two lines of the same
product are allocated one after the other).

Arrivals are a callback that schedules the next one, not a SimPy process: a process
resume costs an extra event and a generator switch per order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from heapq import heappush
from operator import call
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.process import Call
from sim.model.streams import stream
from sim.scenario.distributions import BLOCK

if TYPE_CHECKING:
    import simpy

    from sim.scenario.models import DemandStream

__all__ = ["Channel", "Order"]

_INF = math.inf
_HOURS_PER_WEEK = 168


class Order:
    """One customer order on its way through allocation and the process steps.

    ``lines`` holds ``[stock, quantity, units_to_ship, oldest_expiry]`` lists;
    ``units`` is the number of units that will ship (all demanded units until
    allocation says otherwise); ``stage`` is the index of the next timed step;
    ``waiting`` is the step whose queue the order is in, or None.
    """

    __slots__ = (
        "arrived", "deadline", "times", "lines", "units", "stage", "allocated",
        "short", "queued_at", "waiting", "impatient", "backorder",
    )

    def __init__(
        self, arrived: float, deadline: float, times: list[float], lines: list[list[Any]],
        units: int, backorder: bool,
    ) -> None:
        self.arrived = arrived
        self.deadline = deadline
        self.times = times
        self.lines = lines
        self.units = units
        self.stage = 0
        self.allocated = False
        self.short = 0  # units still backordered
        self.queued_at = 0.0
        self.waiting: Any = None
        self.impatient = False  # a patience event is scheduled
        self.backorder = backorder


def _blocks(draw: Callable[[int], np.ndarray]) -> Iterator[Any]:
    """``draw(BLOCK)`` block after block, one value at a time (as in the distributions)."""
    return itertools.chain.from_iterable(iter(lambda: draw(BLOCK).tolist(), None))


def _count(dist: Any) -> Any:
    """The count distribution itself; a plain mapping is validated first.

    ``DemandStream.lines`` and ``quantity`` default to an unvalidated mapping
    (pydantic does not validate defaults), so it is turned into a spec here.
    """
    if isinstance(dist, dict):
        from pydantic import TypeAdapter

        from sim.scenario.distributions import CountDist

        return TypeAdapter(CountDist).validate_python(dist)
    return dist


class Channel:
    """One sales channel: its arrival stream and what its orders contain."""

    def __init__(
        self,
        name: str,
        spec: DemandStream,
        env: simpy.Environment,
        seed: int,
        replication: int,
        stocks: list[Any],
        step_times: list[Callable[[], float]],
        flow: Any,
    ) -> None:
        self.name = name
        self.env = env
        self._heap, self._ids = env._queue, env._eid  # for env.schedule inlined in _arrive
        self.flow = flow
        self.backorder = spec.when_out_of_stock == "backorder"
        self.rate = spec.arrivals.rate
        rng = stream(seed, replication, f"arrivals:{name}")
        self._unit_exp = _blocks(lambda n: rng.standard_exponential(n)).__next__
        profile = spec.arrivals.profile()
        if spec.arrivals.by_hour is None and spec.arrivals.by_weekday is None:
            self._hourly: list[float] | None = None
        else:
            self._hourly = [self.rate * f for f in profile]
        self._step_times = step_times
        self._patience = (
            spec.patience.sampler(stream(seed, replication, f"patience:{name}"))
            if spec.patience is not None else None
        )
        self._stocks = stocks
        if stocks:
            self._lines = _count(spec.lines).sampler(stream(seed, replication, f"lines:{name}"))
            self._quantity = _count(spec.quantity).sampler(
                stream(seed, replication, f"quantity:{name}")
            )
            names = [s.name for s in stocks]
            mix = spec.sku_mix
            weights = np.array(
                [1.0] * len(names) if mix is None else [mix.get(n, 0.0) for n in names]
            )
            p = weights / weights.sum()
            sku_rng = stream(seed, replication, f"sku:{name}")
            count = len(names)
            self._sku = _blocks(lambda n: sku_rng.choice(count, n, p=p)).__next__

    def start(self) -> None:
        """Schedule the first arrival (a channel with rate 0 never sends an order)."""
        if self.rate > 0:
            self.env.schedule(Call(self._arrive, None), 1, self._next_time(0.0))

    def _next_time(self, t: float) -> float:
        """The arrival after time ``t``: a unit exponential spent against the rate."""
        e = self._unit_exp()
        hourly = self._hourly
        if hourly is None:
            return t + e / self.rate
        while True:
            hour = math.floor(t)
            rate = hourly[hour % _HOURS_PER_WEEK]
            end = hour + 1.0
            if rate > 0.0:
                left = (end - t) * rate
                if e < left:
                    return t + e / rate
                e -= left
            t = end

    def _arrive(self, _call: Call) -> None:
        """The Poisson stream's next order arrives; the one after it is scheduled."""
        now = self.env.now
        order = self.new_order(now)
        if self._hourly is None:  # homogeneous: inlined for performance
            gap = self._unit_exp() / self.rate
        else:
            gap = self._next_time(now) - now
        # env.schedule(Call(self._arrive, None), 1, gap), inlined for performance.
        heappush(self._heap, (now + gap, 1, next(self._ids), Call(self._arrive, None)))
        self.flow.arrive(order, now)

    def order_at(self, t: float) -> None:
        """Schedule one extra order at time ``t`` (outside the Poisson stream; for tests)."""
        self.env.schedule(Call(self._extra, None), 1, t - self.env.now)

    def _extra(self, _call: Call) -> None:
        now = self.env.now
        self.flow.arrive(self.new_order(now), now)

    def new_order(self, now: float) -> Order:
        """An order arriving now, with everything about it drawn from this channel's streams."""
        patience = self._patience
        deadline = now + patience() if patience is not None else _INF
        times = list(map(call, self._step_times))  # [draw() for ...] without a Python frame
        lines: list[list[Any]] = []
        units = 0
        if self._stocks:
            stocks, sku, quantity = self._stocks, self._sku, self._quantity
            for _ in range(self._lines()):
                qty = quantity()
                lines.append([stocks[sku()], qty, qty, _INF])
                units += qty
        return Order(now, deadline, times, lines, units, self.backorder)
