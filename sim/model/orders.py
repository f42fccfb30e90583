"""Order intake: each sales channel's orders, and what is in them.

A channel is a shop door. *When* its customers come in is the business of its
:class:`~sim.model.arrivals.ArrivalProcess` (a Poisson stream, shaped by the hour and
the weekday); *what* each one orders is the channel's: every time the process rings,
the channel makes an :class:`Order` and hands it to the order flow. Several channels
are superposed: each has its own arrival process.

Everything random about an order is drawn the moment it arrives, in arrival order:
its lines, their SKUs and quantities, its patience and its task time at every step.
Each of those comes from its own named stream (``lines:<channel>``, ``sku:<channel>``,
``quantity:<channel>``, ``patience:<channel>``, ``service:<step>``), so a variant with
more staff meets the identical orders with identical task times (common random
numbers), and adding a staff pool or a product does not shift the arrivals.

Duplicate SKUs within an order are kept as separate lines (two lines of the same
product are allocated one after the other).

An order's **units** are the total quantity of its lines, and a step's ``per_unit``
time counts them. A business without products still draws ``lines`` and ``quantity``
(a help-desk ticket about 3 laptops is 3 units) but keeps no :class:`Line` records.
With products, allocation with lost sales takes the lost units off the order: a step
after allocation counts the units that will ship, a step before it every unit demanded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import call
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from sim.scenario.distributions import blocks

if TYPE_CHECKING:
    from sim.model.arrivals import ArrivalProcess, KnownLine
    from sim.model.context import ModelContext
    from sim.model.inventory import Stock
    from sim.model.process import Flow, OrderCounts
    from sim.model.steps import Step
    from sim.scenario.models import DemandStream

__all__ = ["Channel", "Line", "Order"]

_INF = math.inf
Count = Callable[[], int]


class Line:
    """One line of an order: ``quantity`` units of the SKU kept by ``stock``.

    ``to_ship`` is what will ship (all of it, unless sales are lost at allocation);
    ``use_by`` is the oldest use-by time of the units taken for it (inf: not perishable,
    or none taken yet).
    """

    __slots__ = ("stock", "quantity", "to_ship", "use_by")

    def __init__(self, stock: Stock, quantity: int, to_ship: int, use_by: float) -> None:
        self.stock = stock
        self.quantity = quantity
        self.to_ship = to_ship
        self.use_by = use_by


class Order:
    """One customer order on its way through allocation and the process steps.

    ``units`` is the total quantity of its lines: every unit demanded, until allocation
    takes lost sales off (then the units that will ship); ``stage`` is the index of the
    next timed step; ``waiting_in`` is the step whose queue the order is in, or None (see
    :class:`~sim.model.steps.Item` for what the steps read and write); ``counts`` the
    statistics of its named channel, or None.
    """

    __slots__ = (
        "arrived", "deadline", "times", "lines", "units", "stage", "allocated",
        "short", "queued_since", "waiting_in", "impatient", "backorder", "counts",
    )

    def __init__(
        self, arrived: float, deadline: float, times: list[float], lines: list[Line],
        units: int, backorder: bool, counts: OrderCounts | None = None,
    ) -> None:
        self.arrived = arrived
        self.deadline = deadline
        self.times = times
        self.lines = lines
        self.units = units
        self.stage = 0
        self.allocated = False
        self.short = 0  # units still backordered
        self.queued_since = 0.0
        self.waiting_in: Step | None = None
        self.impatient = False  # a patience event is scheduled
        self.backorder = backorder
        self.counts = counts


class Channel:
    """One sales channel: what its orders contain; its arrival process says when they come."""

    def __init__(
        self, name: str, spec: DemandStream, ctx: ModelContext, stocks: Sequence[Stock],
        flow: Flow, arrivals: ArrivalProcess, counts: OrderCounts | None = None,
    ) -> None:
        self.name = name
        self.counts = counts  # statistics of a named channel (None: not reported apart)
        self.ctx = ctx
        self.env = ctx.env
        self.flow = flow
        self.arrivals = arrivals
        self.backorder = spec.when_out_of_stock == "backorder"
        self._step_times = flow.task_times
        self._patience = (
            spec.patience.sampler(ctx.stream(f"patience:{name}"))
            if spec.patience is not None else None
        )
        self._stocks = list(stocks)
        self._by_sku = {stock.name: stock for stock in self._stocks}
        # Count samplers give whole numbers (typed as the float samplers they share).
        self._lines = cast(Count, spec.lines.sampler(ctx.stream(f"lines:{name}")))
        self._quantity = cast(Count, spec.quantity.sampler(ctx.stream(f"quantity:{name}")))
        if stocks:
            names = [s.name for s in stocks]
            mix = spec.sku_mix
            weights = np.array(
                [1.0] * len(names) if mix is None else [mix.get(n, 0.0) for n in names]
            )
            p = weights / weights.sum()
            sku_rng = ctx.stream(f"sku:{name}")
            count = len(names)
            self._sku = blocks(lambda n: sku_rng.choice(count, n, p=p)).__next__

    def start(self) -> None:
        """Time 0: the arrival process begins."""
        self.arrivals.start(self.ctx, self.emit)

    def emit(self, lines: Sequence[KnownLine] | None = None) -> None:
        """An order arrives now, with everything about it drawn from this channel's streams.

        Given ``lines`` (each a SKU, by name or product index, and a quantity), the order
        holds those instead of drawn ones; its patience and task times are drawn as ever.
        """
        now = self.env.now
        patience = self._patience
        deadline = now + patience() if patience is not None else _INF
        times = list(map(call, self._step_times))  # [draw() for ...] without a Python frame
        made: list[Line] = []
        units = 0
        if lines is not None:
            for sku, qty in lines:
                stock = self._by_sku[sku] if isinstance(sku, str) else self._stocks[sku]
                made.append(Line(stock, qty, qty, _INF))
                units += qty
        elif self._stocks:
            stocks, sku_index, quantity = self._stocks, self._sku, self._quantity
            for _ in range(self._lines()):
                qty = quantity()
                made.append(Line(stocks[sku_index()], qty, qty, _INF))
                units += qty
        else:  # no products: the order still has its lines and units (a ticket with 3 items)
            quantity = self._quantity
            for _ in range(self._lines()):
                units += quantity()
        self.flow.arrive(
            Order(now, deadline, times, made, units, self.backorder, self.counts), now
        )

    def order_at(self, t: float) -> None:
        """Schedule one extra order at time ``t``, outside the arrival process (for tests)."""
        self.ctx.schedule(t - self.env.now, self._extra)

    def _extra(self, _event: Any) -> None:
        self.emit()
