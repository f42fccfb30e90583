"""Process: the route every order takes, from arrival to shipping.

Think of a work ticket clipped to each order, listing the desks it must visit in order
(the timed steps of :mod:`sim.model.steps`), with one box where the stock is reserved
(``allocate``, before the step at ``allocate_at``). The :class:`Flow` is the person who
reads the ticket: each time an order arrives, finishes a desk or gets the last of its
backordered units, the flow sends it to its next box; after the last desk the order
ships. The flow is the steps' *route* (:class:`~sim.model.steps.Route`): a desk tells
it when an order is done, balked at a full queue or abandoned for lack of patience.

It also keeps the statistics about whole orders: arrivals, completions, cycle times,
balking and abandonment, each counted when it happens, if in the window; and the same
per named sales channel (:class:`OrderCounts`, carried by each order as ``counts``).

**Resolved and served on time** (``service_level``). An order is *resolved* when it
leaves the business, by any door: it completes, balks at a full queue or abandons. It
is *served on time* when it completes within the promise (any completion, without a
promise) having shipped at least one unit, or having had nothing to ship (a pure
service). An order with no unit served in a lost-sales business still goes through
its steps (as in version 1, so the staff's work and every version 1 measure stay as
they were) and completes, but it is not served on time: the customer got nothing.

An order's task times are drawn when it arrives (see :mod:`sim.model.orders`), so a
variant with more staff serves exactly the same orders with exactly the same task times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sim.model.inventory import allocate
from sim.model.metrics import QuantileSketch, Tally

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.model.orders import Order
    from sim.model.steps import Step
    from sim.scenario.distributions import Sampler

__all__ = ["Flow", "OrderCounts"]


class OrderCounts:
    """Counts of one sales channel's orders in the window, kept by the flow.

    ``arrived``, ``completed``, ``on_time`` (completed within the promise),
    ``served_on_time`` (completed within the promise, or at all without one, with
    something served), ``resolved`` (completed, balked or abandoned) and ``cycle``
    (hours from arrival to completion).
    """

    __slots__ = ("arrived", "completed", "on_time", "served_on_time", "resolved", "cycle")

    def __init__(self, start: float, end: float) -> None:
        self.arrived = self.completed = self.on_time = 0
        self.served_on_time = self.resolved = 0
        self.cycle = Tally(start, end)


class Flow:
    """The route of every order: allocation, the steps in order, then completion.

    ``task_times`` holds one sampler per step: a channel draws an order's task times
    from them the moment it arrives.
    """

    __slots__ = (
        "window", "steps", "task_times", "n_steps", "allocate_at", "promise",
        "arrived", "completed", "balked", "abandoned", "on_time", "served_on_time",
        "allocated", "filled", "cycle", "cycle_p95", "_watch", "_watch_every", "_until_watch",
    )

    def __init__(
        self, ctx: ModelContext, steps: Sequence[Step], task_times: Sequence[Sampler],
        allocate_at: int, promise: float | None,
    ) -> None:
        self.window = start, end = ctx.window
        self.steps = list(steps)
        self.task_times = list(task_times)
        self.n_steps = len(self.steps)
        # Index of the timed step before which stock is allocated; -1: no products.
        self.allocate_at = allocate_at
        self.promise = promise
        self.arrived = self.completed = self.balked = self.abandoned = 0
        self.on_time = self.served_on_time = self.allocated = self.filled = 0
        self.cycle = Tally(start, end)
        self.cycle_p95 = QuantileSketch()
        for step in self.steps:
            step.route = self
        self._watch: Callable[[float], None] | None = None
        self._watch_every = self._until_watch = 0  # counts down past 0 when nothing watches

    def watch(self, every: int, check: Callable[[float], None]) -> None:
        """Call ``check(now)`` at every ``every``-th arrival (the model's run.max_waiting guard).

        A countdown per arrival is all it costs; ``check`` may raise to stop the run.
        """
        self._watch, self._watch_every, self._until_watch = check, every, every

    def arrive(self, order: Order, now: float) -> None:
        """A new order enters the business."""
        self._until_watch -= 1
        if not self._until_watch:
            self._until_watch = self._watch_every
            self._watch(now)  # type: ignore[misc]  # set with the countdown, by watch()
        if self.window[0] <= now <= self.window[1]:
            self.arrived += 1
            if order.counts is not None:
                order.counts.arrived += 1
        if self.allocate_at == 0:
            self.proceed(order, now)
        elif self.n_steps:  # proceed() without the allocation check, inlined (stage 0)
            self.steps[0].arrive(order, now)
        else:
            self.complete(order, now)

    def proceed(self, order: Order, now: float) -> None:
        """Send the order to its next stage: allocation, a step, or completion.

        Inventory calls it too, when the last backordered unit of an order has come in.
        """
        stage = order.stage
        if stage == self.allocate_at and not order.allocated:
            counted = self.window[0] <= now <= self.window[1]
            full = allocate(order, now, counted)
            if counted:
                self.allocated += 1
                if full:
                    self.filled += 1
            if order.short:
                return  # waits for its backorders; inventory calls proceed() again
        if stage < self.n_steps:
            self.steps[stage].arrive(order, now)
        else:
            self.complete(order, now)

    def done(self, order: Order, now: float) -> None:
        """The order finished a step (the steps' route callback)."""
        stage = order.stage = order.stage + 1
        if stage == self.allocate_at:
            self.proceed(order, now)
        elif stage < self.n_steps:  # proceed() without the allocation check, inlined
            self.steps[stage].arrive(order, now)
        else:
            self.complete(order, now)

    def complete(self, order: Order, now: float) -> None:
        """The order has finished its last step: it ships."""
        if self.window[0] <= now <= self.window[1]:
            self.completed += 1
            hours = now - order.arrived
            self.cycle.add_unchecked(hours)
            self.cycle_p95.add(hours)
            promise = self.promise
            on_time = promise is not None and hours <= promise
            if on_time:
                self.on_time += 1
            # Served on time: within the promise (or no promise), and something served.
            served = (on_time or promise is None) and (order.units or not order.lines)
            if served:
                self.served_on_time += 1
            for line in order.lines:
                line.stock.shipped += line.to_ship
            counts = order.counts
            if counts is not None:
                counts.completed += 1
                counts.resolved += 1
                counts.cycle.add_unchecked(hours)
                counts.on_time += on_time
                counts.served_on_time += bool(served)

    def balk(self, order: Order, now: float) -> None:
        """The order was refused by a full queue (the steps' route callback)."""
        if self.window[0] <= now <= self.window[1]:
            self.balked += 1
            self._count_lost(order)
        self._return_stock(order, now)

    def abandon(self, order: Order, now: float) -> None:
        """The order ran out of patience (the steps' route callback)."""
        if self.window[0] <= now <= self.window[1]:
            self.abandoned += 1
            self._count_lost(order)
        self._return_stock(order, now)

    @staticmethod
    def _count_lost(order: Order) -> None:
        """An order left unserved in the window: its channel resolved it, its units are lost."""
        if order.counts is not None:
            order.counts.resolved += 1
        for line in order.lines:
            line.stock.walked_away += line.to_ship

    @staticmethod
    def _return_stock(order: Order, now: float) -> None:
        if order.allocated:
            for line in order.lines:
                line.stock.put_back(line.to_ship, line.use_by, now)
