"""Inventory: the stock of one SKU, how orders take from it and how it is replenished.

Picture a shelf and a clipboard. The shelf holds the units **on hand** (for a
perishable product, batches in the order they came in, each a :class:`Batch` with its
use-by time). The clipboard lists units **on order** from the supplier and units
**backordered**: promised to customers who are waiting for them, first come first
served (one :class:`Backorder` per short order line). The **inventory position** =
on hand + on order − backordered is what the reorder policy looks at: a
:class:`~sim.model.policies.ReorderPolicy` object, told of every change of the
position if it reviews continuously, or scheduling its own reviews if it is periodic.
A supplier's ``min_order`` raises any purchase order to that minimum.

Allocation takes ``min(on hand, quantity)`` of each :class:`~sim.model.orders.Line`
now. The short units are lost sales (``when_out_of_stock: lost``; the rest ships) or
backordered: the order waits at allocation until all of its backordered units have
been delivered.

Perishables leave the shelf oldest first; at its use-by time a batch's remaining units
are removed and counted as expired, which lowers the position (and may trigger a
reorder). Units reserved for an order that is later lost (it balked or abandoned)
go back on the shelf; a perishable batch put back keeps the use-by time of the oldest
batch it was taken from (never later than the truth).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from simpy import Timeout

from sim.model.metrics import TimeAverage

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.model.orders import Line, Order
    from sim.model.policies import ReorderPolicy
    from sim.model.suppliers import SupplyLine
    from sim.scenario.models import Product

__all__ = ["Backorder", "Batch", "Stock", "allocate"]

_INF = float("inf")


class Batch:
    """Units of a perishable product that came in together and share a use-by time."""

    __slots__ = ("use_by", "units")

    def __init__(self, use_by: float, units: int) -> None:
        self.use_by = use_by
        self.units = units


class Backorder:
    """Units of an order line still owed to a waiting customer."""

    __slots__ = ("order", "owed", "line")

    def __init__(self, order: Order, owed: int, line: Line) -> None:
        self.order = order
        self.owed = owed
        self.line = line


class Stock:
    """The stock of one SKU: shelf, clipboard, reorder policy and their statistics."""

    __slots__ = (
        "name", "ctx", "env", "window", "price", "unit_cost", "holding_per_hour", "shelf_life",
        "supply", "policy", "on_hand", "on_order", "backordered", "batches", "backorders",
        "resume", "_filling", "_review",
        "demanded", "served", "lost", "shipped", "expired", "purchase_orders", "walked_away",
        "demanded_to_date", "on_hand_level", "backorder_level",
    )

    def __init__(
        self, name: str, spec: Product, ctx: ModelContext, supply: SupplyLine | None,
        policy: ReorderPolicy, resume: Callable[[Order, float], None],
    ) -> None:
        self.name = name
        self.ctx = ctx
        self.env = ctx.env
        self.window = window = ctx.window
        self.price = spec.price
        self.unit_cost = spec.unit_cost
        self.holding_per_hour = spec.holding_cost_per_hour
        self.shelf_life = spec.shelf_life
        self.supply = supply
        self.policy = policy
        self._review: Callable[[Stock, float], None] | None = None  # set by start()
        self.resume = resume  # called with (order, now) when its backorders are all filled
        self.on_hand = spec.initial_stock
        self.on_order = 0
        self.backordered = 0
        self.batches: deque[Batch] = deque()  # oldest use-by first
        self.backorders: deque[Backorder] = deque()  # first come, first served
        self._filling = False
        # Counts inside the window.
        self.demanded = self.served = self.lost = self.shipped = 0
        self.expired = self.purchase_orders = 0
        # Units in orders that balked or abandoned in the window (what would have shipped).
        self.walked_away = 0
        # Every unit ever demanded, window or not: a policy differences it between reviews.
        self.demanded_to_date = 0
        start, end = window
        self.on_hand_level = TimeAverage(start, end, level=self.on_hand)
        self.backorder_level = TimeAverage(start, end)

    # ----------------------------------------------------------------- start
    def start(self) -> None:
        """Time 0: the initial stock is fresh; the policy takes its first look."""
        if self.shelf_life is not None and self.on_hand:
            self._add_batch(self.on_hand, self.shelf_life)
        policy = self.policy
        # Continuous review: the policy's look, called after every change of the position.
        self._review = policy.review if policy.continuous else None
        policy.start(self, self.ctx)

    @property
    def position(self) -> int:
        """The inventory position: on hand + on order − backordered."""
        return self.on_hand + self.on_order - self.backordered

    # ----------------------------------------------------------------- shelf
    def _take(self, units: int, now: float) -> float:
        """Remove ``units`` (<= on hand) from the shelf; return the oldest use-by time touched."""
        self.on_hand -= units
        self.on_hand_level.add(now, -units)
        if self.shelf_life is None:
            return _INF
        batches = self.batches
        oldest = batches[0].use_by
        while units:
            batch = batches[0]
            if batch.units > units:
                batch.units -= units
                break
            units -= batch.units
            batch.units = 0
            batches.popleft()
        return oldest

    def _add_batch(self, units: int, use_by: float) -> None:
        """Shelve a perishable batch in use-by order and schedule its expiry."""
        batch = Batch(use_by, units)
        batches = self.batches
        if not batches or batches[-1].use_by <= use_by:
            batches.append(batch)
        else:  # a put-back batch older than some on the shelf: rare, keep the order
            i = 0
            while batches[i].use_by <= use_by:
                i += 1
            batches.insert(i, batch)
        Timeout(self.env, use_by - self.env.now, batch).callbacks.append(self._expire)

    def _expire(self, event: Timeout) -> None:
        batch = cast(Batch, event.value)
        units = batch.units
        if not units:
            return
        now = self.env.now
        batch.units = 0
        self.batches.remove(batch)
        self.on_hand -= units
        self.on_hand_level.add(now, -units)
        if self.window[0] <= now <= self.window[1]:
            self.expired += units
        if self._review is not None:
            self._review(self, now)

    def put_back(self, units: int, use_by: float, now: float) -> None:
        """Units reserved for an order that was lost return to the shelf."""
        if not units:
            return
        if self.shelf_life is not None:
            if use_by <= now:  # past its use-by time while reserved: waste
                if self.window[0] <= now <= self.window[1]:
                    self.expired += units
                return
            self._add_batch(units, use_by)
        self.on_hand += units
        self.on_hand_level.add(now, units)
        self._fill_backorders(now)
        if self._review is not None:
            self._review(self, now)

    # ----------------------------------------------------------------- allocation
    def allocate_line(self, order: Order, line: Line, now: float, counted: bool) -> int:
        """Take what is on hand for ``line``; lose or backorder the rest. Return the short units."""
        qty = line.quantity
        take = qty if qty <= self.on_hand else self.on_hand
        if take:
            if self.shelf_life is None:  # self._take(take, now) inlined: no batches to walk
                self.on_hand -= take
                self.on_hand_level.add(now, -take)
            else:
                line.use_by = self._take(take, now)
        short = qty - take
        self.demanded_to_date += qty
        if counted:
            self.demanded += qty
            self.served += take
        if short:
            if order.backorder:
                self.backordered += short
                self.backorder_level.add(now, short)
                self.backorders.append(Backorder(order, short, line))
                order.short += short
            else:
                if counted:
                    self.lost += short
                line.to_ship = take
                order.units -= short
        if self._review is not None:
            self._review(self, now)
        return short

    def _fill_backorders(self, now: float) -> None:
        """Give units on hand to waiting customers, first come first served.

        A resumed order may be lost at once (out of patience at its next queue) and put
        its units back; they go to the next customer in this same loop, not through a
        nested call, so a long line of such customers cannot exhaust the stack.
        """
        if self._filling:
            return  # the loop below is running further up the stack and will see the units
        self._filling = True
        try:
            backorders = self.backorders
            while backorders and self.on_hand:
                ready = []
                while backorders and self.on_hand:
                    backorder = backorders[0]
                    owed = backorder.owed
                    take = owed if owed <= self.on_hand else self.on_hand
                    use_by = self._take(take, now)
                    line = backorder.line
                    if use_by < line.use_by:
                        line.use_by = use_by
                    self.backordered -= take
                    self.backorder_level.add(now, -take)
                    order = backorder.order
                    order.short -= take
                    if take == owed:
                        backorders.popleft()
                        if order.short == 0:
                            ready.append(order)
                    else:
                        backorder.owed = owed - take
                for order in ready:
                    self.resume(order, now)
        finally:
            self._filling = False

    # ----------------------------------------------------------------- replenishment
    def order(self, wanted: int, now: float) -> None:
        """Place a purchase order for ``wanted`` units (raised to the supplier's minimum)."""
        supply = self.supply
        if supply is None:
            raise ValueError(f"{self.name}: no supplier to order from")
        units = supply.order_size(wanted)
        self.on_order += units
        if self.window[0] <= now <= self.window[1]:
            self.purchase_orders += 1
        supply.place(units, self._receive)

    def _receive(self, event: Timeout) -> None:
        """A purchase order arrives: shelve it, then fill backorders (the position stays).

        A short delivery, ``(ordered, delivered)``, also takes the units that never come
        off the order book: the position falls, and a continuous policy looks again.
        """
        delivered = event.value
        now = self.env.now
        short = type(delivered) is tuple
        if short:
            ordered, units = cast(tuple[int, int], delivered)
            self.on_order -= ordered - units
        else:
            units = cast(int, delivered)
        self.on_order -= units
        if self.shelf_life is not None and units:
            self._add_batch(units, now + self.shelf_life)
        self.on_hand += units
        self.on_hand_level.add(now, units)
        self._fill_backorders(now)
        if short and self._review is not None:
            self._review(self, now)


def allocate(order: Order, now: float, counted: bool) -> bool:
    """Allocate every line of ``order``; True if every unit was served from stock now.

    Short units are lost or backordered (then ``order.short`` counts them and the
    order waits). ``counted`` says whether ``now`` is inside the window.
    """
    complete = True
    for line in order.lines:
        if line.stock.allocate_line(order, line, now, counted):
            complete = False
    order.allocated = True
    return complete
