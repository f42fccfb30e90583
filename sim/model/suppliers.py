"""Suppliers: where purchase orders go, how long they take and what each one costs.

Every purchase order draws its own lead time from the supplier's distribution, so
orders may cross: a later order can arrive first. Lead times of a SKU come from its
own stream, ``lead_time:<sku>``, so that the deliveries of one product do not depend
on how often another is reordered.

A supplier with ``deliveries`` delivers only in its slots (``at`` on ``days``): a
purchase order arrives at the first slot on or after the moment its lead time has
passed. Nothing is delivered on a closed date: an order due then comes at the next
open slot (without ``deliveries``, at 00:00 of the next open date). A supplier with
``reliability`` below 1 delivers some orders short: each purchase order draws one
uniform number from the stream ``reliability:<sku>`` when it is placed; an order
that is not delivered in full brings ``short_fraction`` of its units, rounded down,
and the rest never comes (it leaves the inventory position when the delivery does).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from simpy import Timeout

from sim.model.context import HOURS_PER_DAY
from sim.scenario.distributions import from_blocks

if TYPE_CHECKING:
    from sim.model.calendar import Calendar
    from sim.model.context import ModelContext
    from sim.scenario.models import Supplier

__all__ = ["DeliverySlots", "SupplyLine"]


class SupplyLine:
    """One SKU's link to its supplier: places purchase orders and delivers them later."""

    __slots__ = (
        "supplier", "env", "order_cost", "min_order", "_lead_time", "_slots", "_reliable",
        "_reliability", "_short_fraction", "_plain",
    )

    def __init__(self, supplier: str, spec: Supplier, sku: str, ctx: ModelContext) -> None:
        self.supplier = supplier
        self.env = ctx.env
        self.order_cost = spec.order_cost
        self.min_order = spec.min_order or 0
        self._lead_time = spec.lead_time.sampler(ctx.stream(f"lead_time:{sku}"))
        calendar = ctx.calendar
        self._slots = (
            DeliverySlots(spec, calendar, ctx.horizon)
            if spec.deliveries is not None or calendar.has_closures
            else None
        )
        self._reliability = spec.reliability
        self._short_fraction = spec.short_fraction
        self._reliable: Callable[[], float] | None = None
        if spec.reliability < 1.0:
            rng = ctx.stream(f"reliability:{sku}")
            self._reliable = from_blocks(lambda n: rng.random(n))
        self._plain = self._slots is None and self._reliable is None

    def order_size(self, wanted: int) -> int:
        """The units actually ordered: at least the supplier's minimum."""
        return wanted if wanted >= self.min_order else self.min_order

    def place(self, units: int, receive: Callable[[Timeout], None]) -> None:
        """Send a purchase order; ``receive`` gets an event whose ``value`` is ``units``,
        or ``(units, delivered)`` when the supplier delivers fewer."""
        if self._plain:
            Timeout(self.env, self._lead_time(), units).callbacks.append(receive)
            return
        now = self.env.now
        due = now + self._lead_time()
        value: int | tuple[int, int] = units
        if self._reliable is not None and self._reliable() >= self._reliability:
            value = (units, math.floor(units * self._short_fraction + 1e-9))
        if self._slots is not None:
            due = self._slots.first_on_or_after(due)
            if due == math.inf:
                return  # no open slot before the horizon: it stays on order
        Timeout(self.env, due - now, value).callbacks.append(receive)


class DeliverySlots:
    """When a supplier can deliver: ``deliveries.at`` on ``deliveries.days``, never on a
    closed date (without ``deliveries``: any time of an open date)."""

    __slots__ = ("_calendar", "_days", "_at", "_last_day")

    def __init__(self, spec: Supplier, calendar: Calendar, horizon: float) -> None:
        self._calendar = calendar
        deliveries = spec.deliveries
        self._days = frozenset(deliveries.days) if deliveries is not None else None
        self._at = deliveries.at if deliveries is not None else None
        self._last_day = math.ceil(horizon / HOURS_PER_DAY)

    def first_on_or_after(self, t: float) -> float:
        """The first delivery time at or after ``t`` (inf: none before the horizon)."""
        calendar = self._calendar
        day = math.floor(t / HOURS_PER_DAY)
        if self._at is None:  # any time of an open date
            if not calendar.closed(day):
                return t
            while day <= self._last_day:
                day += 1
                if not calendar.closed(day):
                    return day * HOURS_PER_DAY
            return math.inf
        at, days = self._at, self._days
        assert days is not None
        day = math.floor((t - at) / HOURS_PER_DAY)
        while day <= self._last_day:
            slot = day * HOURS_PER_DAY + at
            if slot >= t - 1e-9 and calendar.weekday(day) in days and not calendar.closed(day):
                return slot
            day += 1
        return math.inf
