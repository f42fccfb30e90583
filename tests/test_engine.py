"""The engine's contract: SimPy through its public API only, failures that surface, and
extension points (arrival processes, reorder policies, steps and routes) that plug in."""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import simpy

import sim.model.context
from sim.model.arrivals import ArrivalProcess, PoissonArrivals
from sim.model.build import Model, simulate
from sim.model.context import ModelContext
from sim.model.policies import POLICIES, ReorderPolicy, reorder_policy
from sim.model.process import Flow
from sim.model.staff import Pool
from sim.model.steps import StaffedStep, Step
from sim.scenario.models import POLICY_TYPES, Scenario, StaffPool

SIM = Path(__file__).resolve().parents[1] / "sim"
PRIVATE_SIMPY = re.compile(r"env\._|\._queue|\._now|\._eid|\._value|\._ok")


def test_no_module_reaches_into_simpy_internals():
    """No file in sim/ names SimPy's private state (env._*, _queue, _now, _eid, _value, _ok)."""
    found = [
        f"{path.relative_to(SIM.parent)}:{number}: {line.strip()}"
        for path in sorted(SIM.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_SIMPY.search(line)
    ]
    assert not found, "private SimPy names in sim/:\n" + "\n".join(found)


def service_desk(horizon="10h"):
    """A one-desk service business with Poisson arrivals."""
    return Scenario.model_validate({
        "name": "desk",
        "run": {"horizon": horizon},
        "demand": {"arrivals": {"rate": "2/h"}},
        "staff": {"desk": {"headcount": 1}},
        "process": [{"step": "serve", "staff": "desk", "time": "20min"}],
    })


def test_an_exception_in_a_callback_stops_the_run_and_propagates():
    """A callback that raises at 2h ends Model.run with that exception, at 2h."""
    model = Model(service_desk(), 0)

    def boom(event):
        raise RuntimeError("boom")

    model.ctx.schedule(2.0, boom)
    with pytest.raises(RuntimeError, match="boom"):
        model.run()
    assert model.env.now == 2.0


def test_a_failing_simpy_process_stops_the_run_and_propagates():
    """A SimPy process started in the model that raises makes Model.run raise."""
    model = Model(service_desk(), 0)

    def broken(env):
        yield env.timeout(1.0)
        raise ValueError("broken process")

    model.env.process(broken(model.env))
    with pytest.raises(ValueError, match="broken process"):
        model.run()


def test_an_exception_in_the_model_propagates_out_of_simulate(monkeypatch):
    """A model callback that fails (here: completing an order) makes simulate() raise."""

    def fail(self, order, now):
        raise RuntimeError("completion failed")

    monkeypatch.setattr(Flow, "complete", fail)
    with pytest.raises(RuntimeError, match="completion failed"):
        simulate(service_desk(), 0)


def test_a_failing_simpy_process_propagates_out_of_simulate(monkeypatch):
    """An arrival process written as a SimPy process that fails makes simulate() raise."""

    def start(self, ctx, emit):
        def source(env):
            yield env.timeout(1.0)
            emit()
            raise ValueError("the source broke")

        ctx.env.process(source(ctx.env))

    monkeypatch.setattr(PoissonArrivals, "start", start)
    with pytest.raises(ValueError, match="the source broke"):
        simulate(service_desk(), 0)


def test_the_context_example_runs():
    """The example in ModelContext's docstring gives the output it shows."""
    result = doctest.testmod(sim.model.context, raise_on_error=False)
    assert result.attempted and not result.failed


# ------------------------------------------------------------------- reorder policies
def test_every_policy_type_of_the_scenario_format_has_a_policy_class():
    """The registry covers exactly the policy types a scenario may name."""
    assert set(POLICIES) == set(POLICY_TYPES)
    assert all(cls.type == name for name, cls in POLICIES.items())


class MinMax(ReorderPolicy):
    """The example of ReorderPolicy's docstring."""

    def __init__(self, spec):
        self.low, self.high = spec.min, spec.max

    def review(self, stock, now):
        position = stock.position
        if position <= self.low:
            stock.order(self.high - position, now)


def test_a_new_reorder_policy_plugs_in_without_changing_the_stock(monkeypatch):
    """A policy registered under a new type is reviewed after every demand, as the built-ins."""
    monkeypatch.setitem(POLICIES, "min_max", MinMax)
    data = {
        "name": "min-max",
        "run": {"horizon": "5h"},
        "demand": {"arrivals": {"rate": "0/h"}, "quantity": 2},
        "products": {"w": {"price": 1.0, "unit_cost": 1.0, "initial_stock": 5,
                           "supplier": "acme"}},
        "suppliers": {"acme": {"lead_time": "10h"}},
    }
    model = Model(Scenario.model_validate(data), 0)
    stock = model.stocks[0]
    stock.policy = reorder_policy(SimpleNamespace(type="min_max", min=2, max=9))
    model.channels[0].order_at(1.0)  # position 3: nothing
    model.channels[0].order_at(2.0)  # position 1 <= 2: order 9 - 1
    model.run()
    assert stock.on_order == 8
    assert model.metrics()["purchase_orders", "w"] == 1


# ------------------------------------------------------------------- arrival processes
class Replay(ArrivalProcess):
    """The example of ArrivalProcess's docstring: known orders at known hours."""

    def __init__(self, orders):
        self.orders = orders

    def start(self, ctx, emit):
        for hour, lines in self.orders:
            ctx.schedule(hour, lambda event: emit(event.value), lines)


def test_an_arrival_process_may_give_the_lines_of_its_orders():
    """Orders emitted with their lines (SKU by name or index) hold those lines."""
    products = {sku: {"price": 1.0, "unit_cost": 0.0, "initial_stock": 100} for sku in "ab"}
    data = {"name": "replay", "run": {"horizon": "5h"},
            "demand": {"arrivals": {"rate": "0/h"}}, "products": products}
    model = Model(Scenario.model_validate(data), 0)
    model.channels[0].arrivals = Replay([(1.0, [("a", 3)]), (2.0, [("b", 1), (0, 2)])])
    model.run()
    m = model.metrics()
    assert m["orders_arrived", "all"] == 2
    assert (m["units_shipped", "a"], m["units_shipped", "b"]) == (5, 1)


# ------------------------------------------------------------------- steps and routes
class Lead:
    """An item that is not an order: what a sales pipeline would send through its stages."""

    __slots__ = ("name", "times", "units", "deadline", "waiting_in", "queued_since",
                 "impatient")

    def __init__(self, name, hours, patience=float("inf"), at=0.0):
        self.name, self.times, self.units = name, [hours], 0
        self.deadline = at + patience
        self.waiting_in, self.queued_since, self.impatient = None, 0.0, False


class Log:
    """A route that writes down what the step tells it."""

    def __init__(self):
        self.events = []

    def done(self, item, now):
        self.events.append(("done", item.name, now))

    def balk(self, item, now):
        self.events.append(("balk", item.name, now))

    def abandon(self, item, now):
        self.events.append(("abandon", item.name, now))


def test_a_staffed_step_and_its_pool_serve_any_item_on_any_route():
    """Leads through a one-worker step with a queue of 1: served, refused, or out of patience."""
    ctx = ModelContext(simpy.Environment(), warmup=0.0, horizon=10.0, seed=0, replication=0)
    pool = Pool("sdr", StaffPool(headcount=1), ctx)
    step = StaffedStep("qualify", 0, pool, 0.0, 1, ctx)
    step.route = log = Log()
    leads = [
        (0.0, Lead("A", 2.0)),  # served at once, done at 2
        (0.5, Lead("B", 1.0, patience=1.0, at=0.5)),  # waits; its patience ends at 1.5
        (0.6, Lead("C", 1.0)),  # the queue holds B: refused
        (1.6, Lead("D", 1.0)),  # waits for A, served 2-3
    ]
    for at, lead in leads:
        ctx.schedule(at, lambda event: step.arrive(event.value, ctx.env.now), lead)
    ctx.env.run(until=ctx.horizon)
    assert log.events == [
        ("balk", "C", 0.6), ("abandon", "B", 1.5), ("done", "A", 2.0), ("done", "D", 3.0),
    ]
    assert (step.reached, step.balked, step.queue_length) == (4, 1, 0)
    assert step.wait.mean == pytest.approx((0.0 + 0.4) / 2)
    assert pool.busy == 0 and not pool.queue


class Hold(Step):
    """The example of Step's docstring: a step that holds items for a fixed time."""

    __slots__ = ("hours",)

    def arrive(self, item, now):
        if self.window[0] <= now <= self.window[1]:
            self.reached += 1
            self.wait.count += 1  # no queue: a wait of 0
        self.ctx.schedule(self.hours, lambda event: self.route.done(item, self.env.now))


def test_a_new_kind_of_step_has_the_reporting_surface_of_every_step():
    """A step written on the Step base class reports like the built-in ones and routes on."""
    ctx = ModelContext(simpy.Environment(), warmup=0.0, horizon=10.0, seed=0, replication=0)
    hold = Hold("cool", 0, 0.0, ctx)
    hold.hours = 2.0
    hold.route = log = Log()
    ctx.schedule(1.0, lambda event: hold.arrive(Lead("A", 0.0), ctx.env.now))
    ctx.env.run(until=ctx.horizon)
    assert log.events == [("done", "A", 3.0)]
    assert (hold.reached, hold.balked, hold.queue_length, hold.wait.mean) == (1, 0, 0, 0.0)
    assert hold.queue_level.mean() == 0.0
