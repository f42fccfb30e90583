"""Suppliers: where purchase orders go, how long they take and what each one costs.

Every purchase order draws its own lead time from the supplier's distribution, so
orders may cross: a later order can arrive first. Lead times of a SKU come from its
own stream, ``lead_time:<sku>``, so that the deliveries of one product do not depend
on how often another is reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simpy import Timeout

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.scenario.models import Supplier

__all__ = ["SupplyLine"]


class SupplyLine:
    """One SKU's link to its supplier: places purchase orders and delivers them later."""

    __slots__ = ("supplier", "env", "order_cost", "min_order", "_lead_time")

    def __init__(self, supplier: str, spec: Supplier, sku: str, ctx: ModelContext) -> None:
        self.supplier = supplier
        self.env = ctx.env
        self.order_cost = spec.order_cost
        self.min_order = spec.min_order or 0
        self._lead_time = spec.lead_time.sampler(ctx.stream(f"lead_time:{sku}"))

    def order_size(self, wanted: int) -> int:
        """The units actually ordered: at least the supplier's minimum."""
        return wanted if wanted >= self.min_order else self.min_order

    def place(self, units: int, receive: Callable[[Timeout], None]) -> None:
        """Send a purchase order; ``receive`` gets an event whose ``value`` is ``units``."""
        Timeout(self.env, self._lead_time(), units).callbacks.append(receive)
