"""Inventory: the stock of one SKU, how orders take from it and how it is replenished.

Picture a shelf and a clipboard. The shelf holds the units **on hand** (for a
perishable product, batches in the order they came in, each with its use-by time).
The clipboard lists units **on order** from the supplier and units **backordered**:
promised to customers who are waiting for them, first come first served. The
**inventory position** = on hand + on order − backordered is what the reorder policy
looks at, after every change and at time 0:

* ``s_S``: position <= s → order S − position;
* ``r_Q``: position <= r → order n·Q, the smallest n that lifts the position above r;
* ``base_stock``: position < S → order S − position (one for one);
* ``periodic``: at time 0 and every ``review``, order up to S (only if position <= s,
  when s is given);
* ``none``: never reorder.

A supplier's ``min_order`` raises any purchase order to that minimum.

Allocation takes ``min(on hand, quantity)`` of each line now. The short units are
lost sales (``when_out_of_stock: lost``; the rest ships) or backordered: the order
waits at allocation until all of its backordered units have been delivered.

Perishables leave the shelf oldest first; at its use-by time a batch's remaining units
are removed and counted as expired, which lowers the position (and may trigger a
reorder). Units reserved for an order that is later lost (it balked or abandoned)
go back on the shelf; a perishable batch put back keeps the use-by time of the oldest
batch it was taken from (never later than the truth).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from sim.model.metrics import TimeAverage

if TYPE_CHECKING:
    import simpy

    from sim.model.suppliers import SupplyLine
    from sim.scenario.models import Product

__all__ = ["Stock", "allocate"]

_INF = float("inf")
_NONE, _S_S, _R_Q, _BASE, _PERIODIC = range(5)
_KINDS = {"none": _NONE, "s_S": _S_S, "r_Q": _R_Q, "base_stock": _BASE, "periodic": _PERIODIC}


class Stock:
    """The stock of one SKU: shelf, clipboard, reorder policy and their statistics."""

    __slots__ = (
        "name", "env", "window", "price", "unit_cost", "holding_per_hour", "shelf_life",
        "supply", "on_hand", "on_order", "backordered", "batches", "waiters", "resume", "_filling",
        "kind", "s", "S", "r", "Q", "review",
        "demanded", "served", "lost", "shipped", "expired", "purchase_orders", "ordered_units",
        "on_hand_level", "backorder_level",
    )

    def __init__(
        self, name: str, spec: Product, env: simpy.Environment, window: tuple[float, float],
        supply: SupplyLine | None, resume: Any,
    ) -> None:
        self.name = name
        self.env = env
        self.window = window
        self.price = spec.price
        self.unit_cost = spec.unit_cost
        self.holding_per_hour = spec.holding_cost_per_hour
        self.shelf_life = spec.shelf_life
        self.supply = supply
        self.resume = resume  # called with (order, now) when its backorders are all filled
        self.on_hand = spec.initial_stock
        self.on_order = 0
        self.backordered = 0
        self.batches: deque[list[float]] = deque()  # [use-by time, units], oldest first
        self.waiters: deque[list[Any]] = deque()  # [order, units still owed, line], FCFS
        self._filling = False
        policy = spec.policy
        self.kind = _KINDS[policy.type] if supply is not None else _NONE
        self.s = getattr(policy, "s", None)
        self.S = getattr(policy, "S", 0)
        self.r = getattr(policy, "r", 0)
        self.Q = getattr(policy, "Q", 1)
        self.review = getattr(policy, "review", 0.0)
        # Counts inside the window.
        self.demanded = self.served = self.lost = self.shipped = 0
        self.expired = self.purchase_orders = 0
        self.ordered_units = 0  # every unit ever ordered, window or not (for balances)
        start, end = window
        self.on_hand_level = TimeAverage(start, end, level=self.on_hand)
        self.backorder_level = TimeAverage(start, end)

    # ----------------------------------------------------------------- start
    def start(self) -> None:
        """Time 0: the initial stock is fresh; the policy takes its first look."""
        if self.shelf_life is not None and self.on_hand:
            self._add_batch(self.on_hand, self.shelf_life)
        if self.kind == _PERIODIC:
            self._periodic_review(None)
        else:
            self.check(0.0)

    @property
    def position(self) -> int:
        """On hand + on order − backordered."""
        return self.on_hand + self.on_order - self.backordered

    # ----------------------------------------------------------------- shelf
    def _take(self, units: int, now: float) -> float:
        """Remove ``units`` (<= on hand) from the shelf; return the oldest use-by time touched."""
        self.on_hand -= units
        self.on_hand_level.add(now, -units)
        if self.shelf_life is None:
            return _INF
        batches = self.batches
        oldest = batches[0][0]
        while units:
            batch = batches[0]
            if batch[1] > units:
                batch[1] -= units
                break
            units -= int(batch[1])
            batch[1] = 0
            batches.popleft()
        return oldest

    def _add_batch(self, units: int, use_by: float) -> None:
        """Shelve a perishable batch in use-by order and schedule its expiry."""
        batch = [use_by, units]
        batches = self.batches
        if not batches or batches[-1][0] <= use_by:
            batches.append(batch)
        else:  # a put-back batch older than some on the shelf: rare, keep the order
            i = 0
            while batches[i][0] <= use_by:
                i += 1
            batches.insert(i, batch)
        now = self.env.now
        self.env.timeout(use_by - now, batch).callbacks.append(self._expire)

    def _expire(self, event: Any) -> None:
        batch = event._value
        units = int(batch[1])
        if not units:
            return
        now = self.env.now
        batch[1] = 0
        self.batches.remove(batch)
        self.on_hand -= units
        self.on_hand_level.add(now, -units)
        if self.window[0] <= now <= self.window[1]:
            self.expired += units
        self.check(now)

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

    # ----------------------------------------------------------------- allocation
    def allocate_line(self, order: Any, line: list[Any], now: float, counted: bool) -> int:
        """Take what is on hand for ``line``; lose or backorder the rest. Return the short units."""
        qty = line[1]
        take = qty if qty <= self.on_hand else self.on_hand
        if take:
            if self.shelf_life is None:  # self._take(take, now) inlined: no batches to walk
                self.on_hand -= take
                self.on_hand_level.add(now, -take)
            else:
                line[3] = self._take(take, now)
        short = qty - take
        if counted:
            self.demanded += qty
            self.served += take
        if short:
            if order.backorder:
                self.backordered += short
                self.backorder_level.add(now, short)
                self.waiters.append([order, short, line])
                order.short += short
            else:
                if counted:
                    self.lost += short
                line[2] = take
                order.units -= short
        if self.kind:
            self.check(now)
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
            waiters = self.waiters
            while waiters and self.on_hand:
                ready = []
                while waiters and self.on_hand:
                    waiter = waiters[0]
                    owed = waiter[1]
                    take = owed if owed <= self.on_hand else self.on_hand
                    use_by = self._take(take, now)
                    line = waiter[2]
                    if use_by < line[3]:
                        line[3] = use_by
                    self.backordered -= take
                    self.backorder_level.add(now, -take)
                    order = waiter[0]
                    order.short -= take
                    if take == owed:
                        waiters.popleft()
                        if order.short == 0:
                            ready.append(order)
                    else:
                        waiter[1] = owed - take
                for order in ready:
                    self.resume(order, now)
        finally:
            self._filling = False

    # ----------------------------------------------------------------- replenishment
    def check(self, now: float) -> None:
        """Continuous review: place a purchase order if the policy asks for one."""
        kind = self.kind
        if kind == _NONE or kind == _PERIODIC:
            return
        position = self.on_hand + self.on_order - self.backordered
        if kind == _S_S:
            if position > self.s:
                return
            wanted = self.S - position
        elif kind == _R_Q:
            if position > self.r:
                return
            wanted = ((self.r - position) // self.Q + 1) * self.Q
        else:  # base stock
            if position >= self.S:
                return
            wanted = self.S - position
        self._order(wanted, now)

    def _periodic_review(self, _event: Any) -> None:
        now = self.env.now
        position = self.on_hand + self.on_order - self.backordered
        if (self.s is None or position <= self.s) and position < self.S:
            self._order(self.S - position, now)
        self.env.timeout(self.review).callbacks.append(self._periodic_review)

    def _order(self, wanted: int, now: float) -> None:
        assert self.supply is not None
        units = self.supply.order_size(wanted)
        self.on_order += units
        self.ordered_units += units
        if self.window[0] <= now <= self.window[1]:
            self.purchase_orders += 1
        self.supply.place(units, self._receive)

    def _receive(self, event: Any) -> None:
        """A purchase order arrives: shelve it, then fill backorders."""
        units = event._value
        now = self.env.now
        self.on_order -= units
        if self.shelf_life is not None:
            self._add_batch(units, now + self.shelf_life)
        self.on_hand += units
        self.on_hand_level.add(now, units)
        self._fill_backorders(now)
        self.check(now)


def allocate(order: Any, now: float, counted: bool) -> bool:
    """Allocate every line of ``order``; True if every unit was served from stock now.

    Short units are lost or backordered (then ``order.short`` counts them and the
    order waits). ``counted`` says whether ``now`` is inside the window.
    """
    complete = True
    for line in order.lines:
        if line[0].allocate_line(order, line, now, counted):
            complete = False
    order.allocated = True
    return complete
