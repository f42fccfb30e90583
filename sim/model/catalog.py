"""Catalog: the single source of truth for every metric and series the model reports.

Each metric has a name (exactly as in ``docs/outputs.md``), a unit, the kinds of
subject it is reported for (``sku``, ``step``, ``pool``, ``channel`` or ``all``), its meaning in
one line and what the scenario must have for it to be reported (``requires``). Each
series names the level it samples on its subjects. The model emits its metric rows in
catalog order, leaves out those whose requirement the scenario lacks, and samples the
series listed here, :data:`SERIES_POINTS` times over the horizon; the results layer
and the reference docs read units and meanings from here.

Money is reported in the scenario's currency: its unit is the placeholder
:data:`CURRENCY`, which :func:`unit_of` fills in.

Definitions where ``outputs.md`` is brief:

* Every statistic covers the window ``[warmup, horizon]``. Counts count events that
  *happen* in the window (an arrival, a completion, a balk, an allocation, a purchase
  order, an expiry), whenever the order itself arrived.
* Ratios whose denominator is zero are NaN (not a number): no orders, no demand.
* ``fill_rate``, ``lost_rate`` and ``order_fill_rate`` count at allocation.
* ``wait_mean_h`` averages over orders that started the step in the window (those
  that did not wait count as 0 hours); ``cycle_time_*`` over orders completed in the
  window; the 95th percentile comes from a bounded-memory sketch (within 0.5%).
* ``on_time_rate`` is reported only when ``service.promise`` is set; ``service_level``
  always (without a promise every completion with something served counts as on time).
* ``channel`` subjects are the named sales channels (``demand`` as a list with
  ``name``); an unnamed channel is counted in ``all`` only.
* The money identities hold in every replication: ``operating_cost = cost_total −
  cost_of_goods``, ``gross_margin = revenue − cost_of_goods``, ``operating_income =
  revenue − cost_total = gross_margin − operating_cost`` (up to floating-point rounding).
* Inventory metrics (``requires="products"``) are left out when there are no
  products, ``on_time_rate`` (``requires="promise"``) when there is no promise; staff
  metrics (``requires="staff"``) have no subject when there is no staff, nor step
  metrics (``requires="steps"``) when there are no timed steps. Money lines for
  ``all`` are always reported.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CURRENCY", "METRICS", "REQUIREMENTS", "SERIES", "SERIES_POINTS", "Metric", "Series",
    "metric", "unit_of",
]

#: Placeholder in a money metric's unit for the scenario's currency code.
CURRENCY = "{currency}"

#: What a metric may require of the scenario (``Metric.requires``).
REQUIREMENTS = ("products", "staff", "steps", "promise")

#: Number of intervals the series sampler divides ``[0, horizon]`` into (so each series
#: has ``SERIES_POINTS + 1`` samples, the last at the horizon).
SERIES_POINTS = 400


@dataclass(frozen=True)
class Metric:
    """One reported statistic: its name, unit, subjects and meaning."""

    name: str
    unit: str
    subjects: tuple[str, ...]  # kinds of subject, in report order: sku, step, pool, channel, all
    meaning: str
    requires: str | None = None  # one of REQUIREMENTS: omitted when the scenario lacks it


@dataclass(frozen=True)
class Series:
    """A level sampled at ``SERIES_POINTS + 1`` evenly spaced times over ``[0, horizon]``."""

    name: str
    unit: str
    subject: str  # "sku", "step" or "pool"
    meaning: str
    level: str  # the attribute of the subject's model object (Stock, Step, Pool) sampled


_P, _S, _T = "products", "staff", "steps"

METRICS: tuple[Metric, ...] = (
    Metric("orders_arrived", "orders", ("channel", "all"), "orders that arrived in the window"),
    Metric("orders_completed", "orders", ("channel", "all"),
           "orders that finished their last step in the window"),
    Metric("throughput_per_day", "orders/day", ("all",),
           "orders_completed per day of window"),
    Metric("units_shipped", "units", ("sku", "all"),
           "units in orders completed in the window", _P),
    Metric("fill_rate", "fraction", ("sku", "all"),
           "units served from stock at the moment they were allocated ÷ units demanded "
           "(allocated in the window; NaN without demand)", _P),
    Metric("order_fill_rate", "fraction", ("all",),
           "orders whose every unit was served from stock at allocation ÷ orders allocated "
           "in the window", _P),
    Metric("lost_rate", "fraction", ("sku", "all"),
           "units lost for want of stock ÷ units demanded (at allocation)", _P),
    Metric("balk_rate", "fraction", ("step", "all"),
           "orders refused by a full queue ÷ orders that reached the step; for all: "
           "balked orders ÷ orders arrived"),
    Metric("abandon_rate", "fraction", ("all",),
           "orders that ran out of patience in a queue ÷ orders arrived"),
    Metric("backorders_mean", "units", ("sku",),
           "time-weighted mean of backordered units", _P),
    Metric("on_hand_mean", "units", ("sku",), "time-weighted mean of units on hand", _P),
    Metric("stockout_fraction", "fraction", ("sku",),
           "fraction of the window with nothing on hand", _P),
    Metric("purchase_orders", "orders", ("sku",), "purchase orders placed in the window", _P),
    Metric("expired_units", "units", ("sku",),
           "perishable units that expired in the window", _P),
    Metric("wait_mean_h", "hours", ("step",),
           "mean hours an order waited in that step's queue, over orders that started "
           "the step in the window", _T),
    Metric("wait_p95_h", "hours", ("step",),
           "95th percentile of the hours waited in that step's queue, over the same orders "
           "as wait_mean_h (within 0.5%)", _T),
    Metric("queue_mean", "orders", ("step",),
           "time-weighted mean number of orders waiting at that step", _T),
    Metric("utilization", "fraction", ("pool",),
           "busy worker-hours ÷ (on-duty + overtime worker-hours)", _S),
    Metric("cycle_time_mean_h", "hours", ("channel", "all"),
           "mean hours from arrival to completion, over orders completed in the window"),
    Metric("cycle_time_p95_h", "hours", ("all",),
           "95th percentile of the same (within 0.5%)"),
    Metric("on_time_rate", "fraction", ("channel", "all"),
           "orders completed within service.promise of arrival ÷ orders completed", "promise"),
    Metric("service_level", "fraction", ("channel", "all"),
           "orders completed within service.promise (any completion, without a promise) "
           "with something served ÷ orders resolved in the window (completed, balked or "
           "abandoned): a customer who left, or got no unit in a lost-sales business, was "
           "not served on time"),
    Metric("revenue", CURRENCY, ("all",), "price × units shipped"),
    Metric("cost_of_goods", CURRENCY, ("all",), "unit_cost × units shipped"),
    Metric("cost_ordering", CURRENCY, ("all",), "order_cost × purchase orders"),
    Metric("cost_holding", CURRENCY, ("all",),
           "holding cost per unit-hour × unit-hours on hand"),
    Metric("cost_backorder", CURRENCY, ("all",),
           "costs.backorder × backordered unit-hours"),
    Metric("cost_lost_sales", CURRENCY, ("all",),
           "costs.lost_sale × units lost for want of stock"),
    Metric("cost_waste", CURRENCY, ("all",), "(unit_cost + costs.waste) × units expired"),
    Metric("cost_labor", CURRENCY, ("pool", "all"),
           "wage × (on-duty worker-hours + overtime_multiplier × overtime worker-hours); "
           "overtime is the time workers spend finishing a task after their own shift ended"),
    Metric("cost_total", CURRENCY, ("all",),
           "cost_of_goods + cost_ordering + cost_holding + cost_backorder + cost_lost_sales "
           "+ cost_waste + cost_labor"),
    Metric("operating_cost", CURRENCY, ("all",),
           "cost_total − cost_of_goods: what running the operation costs"),
    Metric("gross_margin", CURRENCY, ("all",), "revenue − cost_of_goods"),
    Metric("operating_income", CURRENCY, ("all",), "revenue − cost_total"),
    Metric("lost_revenue", CURRENCY, ("sku", "all"),
           "price × units demanded but never shipped: lost for want of stock at allocation, "
           "or in orders that balked or abandoned in the window", _P),
)

SERIES: tuple[Series, ...] = (
    Series("on_hand", "units", "sku", "units on hand", "on_hand"),
    Series("backorders", "units", "sku", "units backordered", "backordered"),
    Series("queue", "orders", "step", "orders waiting at the step", "queue_length"),
    Series("busy", "workers", "pool", "workers busy on a task", "working"),
    Series("on_duty", "workers", "pool", "workers on duty", "on_duty"),
)

_BY_NAME = {m.name: m for m in METRICS}


def metric(name: str) -> Metric:
    """The catalog entry of metric ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no metric {name!r} (known: {', '.join(_BY_NAME)})") from None


def unit_of(name: str, currency: str) -> str:
    """The unit of metric ``name``, with the currency filled in for money."""
    return metric(name).unit.replace(CURRENCY, currency)
