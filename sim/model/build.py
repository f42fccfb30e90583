"""The model: wires order intake, inventory, suppliers, staff and process together.

``simulate(scenario, replication)`` compiles the validated scenario into small plain
objects (no pydantic look-ups in the hot paths), runs one replication on a fresh SimPy
environment, and returns plain rows: ``(metric, subject, value, unit)`` for every
metric in :mod:`sim.model.catalog`, and ``(series, subject, time_h, value)`` samples of
the catalog's levels over time. The clock is in hours from Monday 00:00; statistics
cover the window ``[run.warmup, run.horizon]``. Every object is built with the
replication's :class:`~sim.model.context.ModelContext`.

No I/O, no printing, no pandas: the rows are cheap to pickle across processes.

Speed: every order is a plain object moved along by callbacks; the only recurring
events are arrivals, task ends, patience deadlines, deliveries, expiries, shift
changes, reviews and the series sampler. Statistics are updated in O(1) per event
and nothing is kept per order, so memory does not grow with the horizon.

Memory: what does grow is the orders waiting, in queues and for backordered stock,
when a business is offered more than it can do. Every so many arrivals the model
counts them; past ``run.max_waiting`` the replication stops (:class:`Unstable`) and
``simulate`` returns it marked unstable, every metric NaN: its numbers would only
say how long it ran.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.arrivals import arrival_process
from sim.model.calendar import Calendar
from sim.model.catalog import METRICS, SERIES, SERIES_POINTS, unit_of
from sim.model.context import HOURS_PER_DAY, ModelContext
from sim.model.inventory import Stock
from sim.model.orderbook import OrderBook
from sim.model.orders import Channel
from sim.model.policies import NoReorder, reorder_policy
from sim.model.process import Flow, OrderCounts
from sim.model.staff import Pool
from sim.model.steps import DelayStep, StaffedStep, Step
from sim.model.suppliers import SupplyLine
from sim.scenario.models import ALLOCATE, Scenario

__all__ = ["SERIES_POINTS", "Model", "ReplicationOutput", "Unstable", "simulate"]

_NAN = math.nan


@dataclass
class ReplicationOutput:
    """The plain rows of one replication of one scenario.

    ``unstable`` is ``(hours, orders waiting)`` when the replication stopped early because
    its waiting orders passed ``run.max_waiting`` (then every metric value is NaN).
    """

    scenario: str
    replication: int
    metrics: list[tuple[str, str, float, str]] = field(default_factory=list)
    series: list[tuple[str, str, float, float]] = field(default_factory=list)
    unstable: tuple[float, int] | None = None


class Unstable(Exception):
    """The orders waiting passed ``run.max_waiting`` at ``hours``: the run stops there.

    >>> str(Unstable(76.8, 100_001))
    'unstable: 100,001 orders waiting at day 3.2 (run.max_waiting)'
    """

    def __init__(self, hours: float, waiting: int) -> None:
        day = hours / HOURS_PER_DAY
        super().__init__(f"unstable: {waiting:,} orders waiting at day {day:.1f} (run.max_waiting)")
        self.hours = hours
        self.waiting = waiting


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else _NAN


class Model:
    """One replication's simulation objects: build, (optionally add orders), run, read rows.

    ``simulate`` is the front door; tests use this class to place orders at fixed times
    (``model.channels[0].order_at(t)``) in a scenario whose arrival rate is 0.
    """

    def __init__(
        self, scenario: Scenario, replication: int, orders: Mapping[str, OrderBook] | None = None,
        series_points: int = SERIES_POINTS,
    ) -> None:
        self.scenario = scenario
        run = scenario.run
        orders = orders or {}
        if isinstance(run.warmup, str):  # "auto": sim.run() chooses it before simulating
            raise ValueError(
                f'scenario "{scenario.name}": run.warmup is auto; sim.run() chooses it from '
                "pilot replications (to simulate one replication, give a duration)"
            )
        if series_points < 1:
            raise ValueError(f"series_points must be 1 or more (got {series_points!r})")
        self.series_points = series_points
        self.ctx = ctx = ModelContext(
            simpy.Environment(), run.warmup, run.horizon, run.seed, replication,
            calendar_of(scenario, orders),
        )
        self.env = ctx.env
        self.window = ctx.window

        self.pools = {name: Pool(name, spec, ctx) for name, spec in scenario.staff.items()}

        # Timed steps in order; stock is allocated before the step at allocate_at.
        self.steps: list[Step] = []
        task_times = []
        allocate_at = 0
        for spec in scenario.process:
            if spec.step == ALLOCATE:
                allocate_at = len(self.steps)
                continue
            index = len(self.steps)
            step: Step
            if spec.staff is not None:
                step = StaffedStep(
                    spec.step, index, self.pools[spec.staff], spec.per_unit, spec.queue_limit,
                    ctx,
                )
            else:
                step = DelayStep(spec.step, index, spec.per_unit, ctx)
            self.steps.append(step)
            assert spec.time is not None
            task_times.append(spec.time.sampler(ctx.stream(f"service:{spec.step}")))
        if not scenario.products:
            allocate_at = -1
        self.flow = Flow(ctx, self.steps, task_times, allocate_at, scenario.service.promise)

        self.stocks = []
        for sku, product in scenario.products.items():
            supply = None
            if product.supplier is not None:
                supply = SupplyLine(
                    product.supplier, scenario.suppliers[product.supplier], sku, ctx
                )
            policy = reorder_policy(product.policy) if supply is not None else NoReorder()
            self.stocks.append(Stock(sku, product, ctx, supply, policy, self.flow.proceed))

        self.channels = []
        products = list(scenario.products)
        #: Statistics of each named channel, by name, in scenario order.
        self.channel_counts: dict[str, OrderCounts] = {}
        for i, demand in enumerate(scenario.demand):
            name = demand.name if demand.name is not None else str(i)
            book = None
            if demand.data_file is not None:
                book = orders.get(demand.data_file)
                if book is not None:
                    book = book.for_channel(demand.name)
            arrivals = arrival_process(demand, name, ctx.calendar, run.horizon, book, products)
            counts = None
            if demand.name is not None:
                counts = self.channel_counts[name] = OrderCounts(*ctx.window)
            self.channels.append(
                Channel(name, demand, ctx, self.stocks, self.flow, arrivals, counts)
            )

        # What the series sampler reads, in catalog order within each kind of subject.
        subjects: dict[str, list[Any]] = {
            "sku": self.stocks, "step": self.steps, "pool": list(self.pools.values()),
        }
        self._levels = [
            (series.name, subject.name, subject, series.level)
            for kind in dict.fromkeys(series.subject for series in SERIES)
            for subject in subjects[kind]
            for series in SERIES
            if series.subject == kind
        ]
        self.series: list[tuple[str, str, float, float]] = []
        self._samples = 0
        # Counted every 1% of the limit (at most every 1000 arrivals): at most that many over.
        self.max_waiting = run.max_waiting
        self.flow.watch(min(max(run.max_waiting // 100, 1), 1000), self._check_waiting)

    # ----------------------------------------------------------------- running
    def run(self, series: bool = True) -> None:
        """Start every source at time 0 and simulate up to the horizon.

        As with SimPy's ``env.run(until=horizon)``, which runs it, an event due exactly
        at the horizon is not processed, and an exception raised in any callback or
        SimPy process stops the run and propagates. With ``series=False`` no levels are
        sampled over time; the sampler only reads levels, so every metric is the same
        either way.
        """
        horizon = self.ctx.horizon
        self._samples = 0
        if series:
            self._sample(None)
        for stock in self.stocks:
            stock.start()
        for channel in self.channels:
            channel.start()
        self.env.run(until=horizon)
        if series:
            self._sample(None, horizon)

    def waiting(self) -> int:
        """Orders waiting now: in the steps' queues and for backordered stock (an order
        short of several products counts once for each)."""
        return sum(step.queue_length for step in self.steps) + sum(
            len(stock.backorders) for stock in self.stocks
        )

    def _check_waiting(self, now: float) -> None:
        waiting = self.waiting()
        if waiting > self.max_waiting:
            raise Unstable(now, waiting)

    def _sample(self, _event: Any, at: float | None = None) -> None:
        """Record every level; schedule the next (sample i is at i × horizon / series_points)."""
        now = self.env.now if at is None else at
        rows = self.series
        for name, subject, owner, level in self._levels:
            rows.append((name, subject, now, float(getattr(owner, level))))
        if at is None:
            self._samples += 1
            if self._samples < self.series_points:  # the last, at the horizon, is run()'s
                next_at = self._samples * self.ctx.horizon / self.series_points
                self.ctx.schedule(next_at - now, self._sample)

    # ----------------------------------------------------------------- results
    def values(self) -> dict[tuple[str, str], float]:
        """Every metric value by (metric, subject), whether the scenario reports it or not."""
        costs, flow = self.scenario.costs, self.flow
        start, end = self.window
        days = (end - start) / HOURS_PER_DAY
        value: dict[tuple[str, str], float] = {}
        whole = "all"
        value["orders_arrived", whole] = flow.arrived
        value["orders_completed", whole] = flow.completed
        value["throughput_per_day", whole] = flow.completed / days
        value["abandon_rate", whole] = _ratio(flow.abandoned, flow.arrived)
        value["balk_rate", whole] = _ratio(flow.balked, flow.arrived)
        value["cycle_time_mean_h", whole] = flow.cycle.mean
        value["cycle_time_p95_h", whole] = flow.cycle_p95.quantile(0.95)
        value["on_time_rate", whole] = _ratio(flow.on_time, flow.completed)
        resolved = flow.completed + flow.balked + flow.abandoned
        value["service_level", whole] = _ratio(flow.served_on_time, resolved)
        for name, counts in self.channel_counts.items():
            value["orders_arrived", name] = counts.arrived
            value["orders_completed", name] = counts.completed
            value["cycle_time_mean_h", name] = counts.cycle.mean
            value["on_time_rate", name] = _ratio(counts.on_time, counts.completed)
            value["service_level", name] = _ratio(counts.served_on_time, counts.resolved)

        money = dict.fromkeys(
            (
                "revenue",
                "cost_of_goods",
                "cost_ordering",
                "cost_holding",
                "cost_backorder",
                "cost_lost_sales",
                "cost_waste",
                "cost_labor",
            ),
            0.0,
        )
        shipped = demanded = served = lost = 0
        lost_revenue = 0.0
        for s in self.stocks:
            n = s.name
            value["units_shipped", n] = s.shipped
            value["fill_rate", n] = _ratio(s.served, s.demanded)
            value["lost_rate", n] = _ratio(s.lost, s.demanded)
            value["backorders_mean", n] = s.backorder_level.mean()
            value["on_hand_mean", n] = s.on_hand_level.mean()
            value["stockout_fraction", n] = s.on_hand_level.time_at_zero()
            value["purchase_orders", n] = s.purchase_orders
            value["expired_units", n] = s.expired
            value["lost_revenue", n] = s.price * (s.lost + s.walked_away)
            lost_revenue += value["lost_revenue", n]
            shipped += s.shipped
            demanded += s.demanded
            served += s.served
            lost += s.lost
            money["revenue"] += s.price * s.shipped
            money["cost_of_goods"] += s.unit_cost * s.shipped
            if s.supply is not None:
                money["cost_ordering"] += s.supply.order_cost * s.purchase_orders
            money["cost_holding"] += s.holding_per_hour * s.on_hand_level.integral()
            money["cost_backorder"] += costs.backorder * s.backorder_level.integral()
            money["cost_lost_sales"] += costs.lost_sale * s.lost
            money["cost_waste"] += (s.unit_cost + costs.waste) * s.expired
        value["units_shipped", whole] = shipped
        value["fill_rate", whole] = _ratio(served, demanded)
        value["lost_rate", whole] = _ratio(lost, demanded)
        value["order_fill_rate", whole] = _ratio(flow.filled, flow.allocated)
        value["lost_revenue", whole] = lost_revenue

        for step in self.steps:
            value["balk_rate", step.name] = _ratio(step.balked, step.reached)
            value["wait_mean_h", step.name] = step.wait.mean
            value["wait_p95_h", step.name] = step.wait_quantile(0.95)
            value["queue_mean", step.name] = step.queue_level.mean()

        for pool in self.pools.values():
            busy, on_duty, overtime = pool.hours()
            value["utilization", pool.name] = _ratio(busy, on_duty + overtime)
            labor = pool.wage * (on_duty + costs.overtime_multiplier * overtime)
            value["cost_labor", pool.name] = labor
            money["cost_labor"] += labor

        for name, amount in money.items():
            value[name, whole] = amount
        total = sum(amount for name, amount in money.items() if name != "revenue")
        value["cost_total", whole] = total
        value["operating_income", whole] = money["revenue"] - total
        # The lines of the operation itself: every cost but the goods sold.
        value["operating_cost", whole] = sum(
            amount for name, amount in money.items() if name not in ("revenue", "cost_of_goods")
        )
        value["gross_margin", whole] = money["revenue"] - money["cost_of_goods"]
        return value

    def metrics(self) -> dict[tuple[str, str], float]:
        """Shorthand for tests: ``{(metric, subject): value}`` from :meth:`rows`."""
        return {(m, s): v for m, s, v, _ in self.rows()}

    def rows(self) -> list[tuple[str, str, float, str]]:
        """Metric rows in catalog order, subjects in scenario order then ``all``.

        A metric whose ``requires`` the scenario lacks (no products, no promise...) is
        left out, as the catalog says.
        """
        values = self.values()
        has = {
            None: True,
            "products": bool(self.stocks),
            "staff": bool(self.pools),
            "steps": bool(self.steps),
            "promise": self.scenario.service.promise is not None,
        }
        subjects = {
            "sku": [s.name for s in self.stocks],
            "step": [s.name for s in self.steps],
            "pool": list(self.pools),
            "channel": list(self.channel_counts),
            "all": ["all"],
        }
        currency = self.scenario.currency
        rows = []
        for m in METRICS:
            if not has[m.requires]:
                continue
            unit = unit_of(m.name, currency)
            for kind in m.subjects:
                for subject in subjects[kind]:
                    rows.append((m.name, subject, float(values[m.name, subject]), unit))
        return rows


def calendar_of(scenario: Scenario, orders: Mapping[str, OrderBook]) -> Calendar:
    """The calendar of a scenario: its start date and its closed and staffing dates.

    The start is ``run.start``, or without it the date of the first order of the
    ``replay`` channels' files (None when neither: time 0 is a Monday, without dates).
    """
    start = scenario.run.start
    if start is None:
        firsts = [
            book.first_date()
            for stream in scenario.demand
            if stream.replay is not None
            and (book := orders.get(stream.replay)) is not None
            and len(book)
        ]
        start = min(firsts) if firsts else None
    closed: list[datetime.date] = []
    staff: dict[datetime.date, dict[str, float]] = {}
    for stream in scenario.demand:
        for entry in stream.calendar:
            dates = [
                entry.first + datetime.timedelta(days=k)
                for k in range((entry.last - entry.first).days + 1)
            ]
            if entry.closed:
                closed.extend(dates)
            for date in dates if entry.staff else ():
                day = staff.setdefault(date, {})
                for pool, factor in (entry.staff or {}).items():
                    day[pool] = day.get(pool, 1.0) * factor
    return Calendar(start, closed=closed, staff=staff)


def simulate(
    scenario: Scenario, replication: int, *, series: bool = True,
    orders: Mapping[str, OrderBook] | None = None, series_points: int = SERIES_POINTS,
) -> ReplicationOutput:
    """Run one replication of ``scenario`` and return its metric and series rows.

    Replication ``i`` under ``scenario.run.seed`` gives the same rows wherever and
    whenever it runs; every random source has its own stream (see :mod:`sim.model.streams`).
    ``series=False`` skips the levels over time (sweeps do not keep them): the metric
    rows are the same, and short runs are up to a third faster. ``orders`` holds the
    past orders of the ``replay`` and ``resample`` channels, by the file's path as the
    scenario gives it (:func:`sim.data.simulate` reads them for you). ``series_points``
    sets how finely the levels are sampled (``series_points + 1`` samples over ``[0,
    horizon]``; the warm-up's pilot replications sample finely).

    A replication whose waiting orders pass ``run.max_waiting`` stops there: its output
    is marked ``unstable`` (when, how many), its metric rows hold NaN, and its series
    end where it stopped.
    """
    model = Model(scenario, replication, orders, series_points)
    try:
        model.run(series=series)
    except Unstable as stop:
        rows = [(metric, subject, _NAN, unit) for metric, subject, _, unit in model.rows()]
        unstable = (stop.hours, stop.waiting)
        return ReplicationOutput(scenario.name, replication, rows, model.series, unstable)
    return ReplicationOutput(scenario.name, replication, model.rows(), model.series)
