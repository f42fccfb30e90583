"""The model: wires order intake, inventory, suppliers, staff and process together.

``simulate(scenario, replication)`` compiles the validated scenario into small plain
objects (no pydantic look-ups in the hot paths), runs one replication on a fresh SimPy
environment, and returns plain rows: ``(metric, subject, value, unit)`` for every
metric in :mod:`sim.model.catalog`, and ``(series, subject, time_h, value)`` samples of
levels over time. The clock is in hours from Monday 00:00; statistics cover the window
``[run.warmup, run.horizon]``.

No I/O, no printing, no pandas: the rows are cheap to pickle across processes.

Speed: every order is a plain object moved along by callbacks; the only recurring
events are arrivals, task ends, patience deadlines, deliveries, expiries, shift
changes, reviews and the series sampler. Statistics are updated in O(1) per event
and nothing is kept per order, so memory does not grow with the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from heapq import heappop
from typing import Any

import simpy

from sim.model.catalog import METRICS, unit_of
from sim.model.inventory import Stock
from sim.model.orders import Channel
from sim.model.process import DelayStep, Flow, StaffedStep
from sim.model.staff import Pool
from sim.model.streams import stream
from sim.model.suppliers import SupplyLine
from sim.scenario.models import ALLOCATE, Scenario

__all__ = ["SERIES_POINTS", "Model", "ReplicationOutput", "simulate"]

#: Number of intervals the series sampler divides ``[0, horizon]`` into.
SERIES_POINTS = 400

_NAN = math.nan


@dataclass
class ReplicationOutput:
    """The plain rows of one replication of one scenario."""

    scenario: str
    replication: int
    metrics: list[tuple[str, str, float, str]] = field(default_factory=list)
    series: list[tuple[str, str, float, float]] = field(default_factory=list)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else _NAN


class Model:
    """One replication's simulation objects: build, (optionally add orders), run, read rows.

    ``simulate`` is the front door; tests use this class to place orders at fixed times
    (``model.channels[0].order_at(t)``) in a scenario whose arrival rate is 0.
    """

    def __init__(self, scenario: Scenario, replication: int) -> None:
        self.scenario = scenario
        run = scenario.run
        seed = run.seed
        self.env = env = simpy.Environment()
        self.window = window = (run.warmup, run.horizon)

        self.pools = {name: Pool(name, spec, env, window) for name, spec in scenario.staff.items()}

        # Timed steps in order; stock is allocated before the step at allocate_at.
        self.steps: list[Any] = []
        step_times = []
        allocate_at = 0
        for spec in scenario.process:
            if spec.step == ALLOCATE:
                allocate_at = len(self.steps)
                continue
            index = len(self.steps)
            if spec.staff is not None:
                step: Any = StaffedStep(
                    spec.step,
                    index,
                    env,
                    self.pools[spec.staff],
                    spec.per_unit,
                    spec.queue_limit,
                    window,
                )
            else:
                step = DelayStep(spec.step, index, env, spec.per_unit, window)
            self.steps.append(step)
            assert spec.time is not None
            step_times.append(spec.time.sampler(stream(seed, replication, f"service:{spec.step}")))
        if not scenario.products:
            allocate_at = -1
        self.flow = Flow(env, window, self.steps, allocate_at, scenario.service.promise)

        self.stocks = []
        for sku, product in scenario.products.items():
            supply = None
            if product.supplier is not None:
                supply = SupplyLine(
                    product.supplier,
                    scenario.suppliers[product.supplier],
                    sku,
                    env,
                    seed,
                    replication,
                )
            self.stocks.append(Stock(sku, product, env, window, supply, self.flow.resume))

        self.channels = [
            Channel(
                spec.name if spec.name is not None else str(i),
                spec,
                env,
                seed,
                replication,
                self.stocks,
                step_times,
                self.flow,
            )
            for i, spec in enumerate(scenario.demand)
        ]
        self.series: list[tuple[str, str, float, float]] = []
        self._samples = 0

    # ----------------------------------------------------------------- running
    def run(self, series: bool = True) -> None:
        """Start every source at time 0 and simulate up to the horizon.

        With ``series=False`` no levels are sampled over time; the sampler only reads
        levels, so every metric is the same either way.
        """
        horizon = self.scenario.run.horizon
        self._samples = 0
        if series:
            self._sample(None)
        for stock in self.stocks:
            stock.start()
        for channel in self.channels:
            channel.start()
        self._run_until(horizon)
        if series:
            self._sample(None, horizon)

    def _run_until(self, horizon: float) -> None:
        """What ``self.env.run(until=horizon)`` does, with SimPy's event loop inlined.

        ``Environment.run`` calls ``Environment.step()`` once per event; at about four
        events per order that call is a measurable share of the run (see
        bench/RESULTS.md). This loop does the same work in the same order: pop the
        earliest event, move the clock, call the event's callbacks. What it leaves out
        cannot happen here: every event the model schedules is a ``Timeout`` or a
        :class:`~sim.model.process.Call`, which never fail, and nothing stops the simulation
        early. As with ``run(until=horizon)``, an event due exactly at the horizon is
        not processed and the clock ends at the horizon.
        """
        env = self.env
        queue = env._queue  # SimPy's heap of (time, priority, id, event)
        while queue and queue[0][0] < horizon:
            env._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
        env._now = horizon

    def _sample(self, _event: Any, at: float | None = None) -> None:
        """Record every level; schedule the next sample (sample i is at i × horizon / 400)."""
        now = self.env.now if at is None else at
        rows = self.series
        for stock in self.stocks:
            rows.append(("on_hand", stock.name, now, float(stock.on_hand)))
            rows.append(("backorders", stock.name, now, float(stock.backordered)))
        for step in self.steps:
            rows.append(("queue", step.name, now, float(getattr(step, "waiting", 0))))
        for pool in self.pools.values():
            rows.append(("busy", pool.name, now, float(pool.busy)))
            rows.append(("on_duty", pool.name, now, float(pool.on_duty)))
        if at is None:
            self._samples += 1
            if self._samples < SERIES_POINTS:  # the last one, at the horizon, is taken by run()
                horizon = self.scenario.run.horizon
                next_at = self._samples * horizon / SERIES_POINTS
                self.env.timeout(next_at - now).callbacks.append(self._sample)

    # ----------------------------------------------------------------- results
    def values(self) -> dict[tuple[str, str], float]:
        """Every metric value by (metric, subject)."""
        scenario, flow = self.scenario, self.flow
        costs = scenario.costs
        start, end = self.window
        days = (end - start) / 24.0
        v: dict[tuple[str, str], float] = {}
        a = "all"
        v["orders_arrived", a] = flow.arrived
        v["orders_completed", a] = flow.completed
        v["throughput_per_day", a] = flow.completed / days
        v["abandon_rate", a] = _ratio(flow.abandoned_count, flow.arrived)
        v["balk_rate", a] = _ratio(flow.balked, flow.arrived)
        v["cycle_time_mean_h", a] = flow.cycle.mean
        v["cycle_time_p95_h", a] = flow.cycle_p95.quantile(0.95)
        if scenario.service.promise is not None:
            v["on_time_rate", a] = _ratio(flow.on_time, flow.completed)

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
        if self.stocks:
            shipped = demanded = served = lost = 0
            for s in self.stocks:
                n = s.name
                v["units_shipped", n] = s.shipped
                v["fill_rate", n] = _ratio(s.served, s.demanded)
                v["lost_rate", n] = _ratio(s.lost, s.demanded)
                v["backorders_mean", n] = s.backorder_level.mean()
                v["on_hand_mean", n] = s.on_hand_level.mean()
                v["stockout_fraction", n] = s.on_hand_level.time_at_zero()
                v["purchase_orders", n] = s.purchase_orders
                v["expired_units", n] = s.expired
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
            v["units_shipped", a] = shipped
            v["fill_rate", a] = _ratio(served, demanded)
            v["lost_rate", a] = _ratio(lost, demanded)
            v["order_fill_rate", a] = _ratio(flow.filled, flow.allocated)

        for step in self.steps:
            reached = step.reached
            v["balk_rate", step.name] = _ratio(getattr(step, "balked", 0), reached)
            v["wait_mean_h", step.name] = step.wait.mean
            v["queue_mean", step.name] = step.queue.mean() if hasattr(step, "queue") else 0.0

        for pool in self.pools.values():
            busy, on_duty, overtime = pool.hours()
            v["utilization", pool.name] = _ratio(busy, on_duty + overtime)
            labor = pool.wage * (on_duty + costs.overtime_multiplier * overtime)
            v["cost_labor", pool.name] = labor
            money["cost_labor"] += labor

        for name, amount in money.items():
            v[name, a] = amount
        total = sum(amount for name, amount in money.items() if name != "revenue")
        v["cost_total", a] = total
        v["operating_income", a] = money["revenue"] - total
        return v

    def metrics(self) -> dict[tuple[str, str], float]:
        """Shorthand for tests: ``{(metric, subject): value}`` from :meth:`rows`."""
        return {(m, s): v for m, s, v, _ in self.rows()}

    def rows(self) -> list[tuple[str, str, float, str]]:
        """Metric rows in catalog order, subjects in scenario order then ``all``."""
        values = self.values()
        subjects = {
            "sku": [s.name for s in self.stocks],
            "step": [s.name for s in self.steps],
            "pool": list(self.pools),
            "all": ["all"],
        }
        currency = self.scenario.currency
        rows = []
        for m in METRICS:
            unit = unit_of(m.name, currency)
            for kind in m.subjects:
                for subject in subjects[kind]:
                    value = values.get((m.name, subject))
                    if value is not None:
                        rows.append((m.name, subject, float(value), unit))
        return rows


def simulate(scenario: Scenario, replication: int, *, series: bool = True) -> ReplicationOutput:
    """Run one replication of ``scenario`` and return its metric and series rows.

    Replication ``i`` under ``scenario.run.seed`` gives the same rows wherever and
    whenever it runs; every random source has its own stream (see :mod:`sim.model.streams`).
    ``series=False`` skips the levels over time (sweeps do not keep them): the metric
    rows are the same, and short runs are up to a third faster.
    """
    model = Model(scenario, replication)
    model.run(series=series)
    return ReplicationOutput(scenario.name, replication, model.rows(), model.series)
