"""The whole model: metric rows, reproducibility, common random numbers, memory, series."""

from __future__ import annotations

import copy
import math
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.build import SERIES_POINTS, Model, simulate
from sim.model.catalog import CURRENCY, METRICS, REQUIREMENTS, SERIES
from sim.scenario.models import Scenario

# The full example of docs/scenario-format.md, sections put together.
EXAMPLE = """
name: ecommerce-baseline
description: Mid-size web shop
currency: EUR
run:
  horizon: 21d
  warmup: 7d
  replications: 10
  seed: 2026
  confidence: 0.95
demand:
  arrivals:
    rate: 400/day
    by_hour: [0,0,0,0,0,0,1,2,4,6,6,5,5,5,6,6,5,4,3,2,1,1,0,0]
    by_weekday: [1.1, 1, 1, 1, 1.2, 0.8, 0.6]
  lines: {dist: poisson, mean: 1.4, min: 1}
  sku_mix: {widget: 0.7, gadget: 0.3}
  quantity: {dist: geometric, mean: 1.8}
  when_out_of_stock: backorder
  patience: {dist: exponential, mean: 20min}
products:
  widget:
    price: 25.0
    unit_cost: 10.0
    holding_cost: 0.02/day
    initial_stock: 300
    shelf_life: 5d
    supplier: acme
    policy: {type: s_S, s: 100, S: 400}
  gadget:
    price: 40.0
    unit_cost: 18.0
    holding_cost: 25%/year
    initial_stock: 200
    supplier: acme
    policy: {type: periodic, review: 7d, s: 200, S: 500}
suppliers:
  acme:
    lead_time: {dist: lognormal, mean: 5d, cv: 0.3}
    order_cost: 75
    min_order: 50
staff:
  order_desk: {headcount: 3, wage: 22/h}
  pickers:
    wage: 18/h
    shifts:
      - {days: [mon, tue, wed, thu, fri], start: "08:00", end: "16:00", headcount: 6}
      - {days: [mon, tue, wed, thu, fri], start: "16:00", end: "24:00", headcount: 3}
      - {days: [sat], start: "09:00", end: "13:00", headcount: 2}
  back_office: {headcount: 2, wage: 20/h}
process:
  - step: order_entry
    staff: order_desk
    time: {dist: triangular, min: 2min, mode: 4min, max: 10min}
  - {step: allocate}
  - {step: pick_pack, staff: pickers, time: {dist: gamma, mean: 6min, cv: 0.5}, per_unit: 30s}
  - {step: invoicing, staff: back_office, time: 3min, queue_limit: 50}
service:
  promise: 48h
costs:
  backorder: 0.5/day
  lost_sale: 5
  waste: 0
  overtime_multiplier: 1.5
"""

# Every metric of the "Metrics" table of outputs.md, with its subject kinds.
OUTPUTS_TABLE = {
    "orders_arrived": {"channel", "all"},
    "orders_completed": {"channel", "all"},
    "throughput_per_day": {"all"},
    "units_shipped": {"sku", "all"},
    "fill_rate": {"sku", "all"},
    "order_fill_rate": {"all"},
    "lost_rate": {"sku", "all"},
    "balk_rate": {"step", "all"},
    "abandon_rate": {"all"},
    "backorders_mean": {"sku"},
    "on_hand_mean": {"sku"},
    "stockout_fraction": {"sku"},
    "purchase_orders": {"sku"},
    "expired_units": {"sku"},
    "wait_mean_h": {"step"},
    "wait_p95_h": {"step"},
    "queue_mean": {"step"},
    "utilization": {"pool"},
    "cycle_time_mean_h": {"channel", "all"},
    "cycle_time_p95_h": {"all"},
    "on_time_rate": {"channel", "all"},
    "service_level": {"channel", "all"},
    "revenue": {"all"},
    "cost_of_goods": {"all"},
    "cost_ordering": {"all"},
    "cost_holding": {"all"},
    "cost_backorder": {"all"},
    "cost_lost_sales": {"all"},
    "cost_waste": {"all"},
    "cost_labor": {"pool", "all"},
    "cost_total": {"all"},
    "operating_cost": {"all"},
    "gross_margin": {"all"},
    "operating_income": {"all"},
    "lost_revenue": {"sku", "all"},
}


def example_data():
    """The example scenario as plain data."""
    return yaml.safe_load(EXAMPLE)


def values(data, replication=0):
    """``{(metric, subject): value}`` of one replication of the scenario ``data``."""
    out = simulate(Scenario.model_validate(data), replication)
    return {(m, s): v for m, s, v, _ in out.metrics}


def same(a, b):
    """Equal, counting NaN as equal to NaN."""
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_catalog_lists_exactly_the_metrics_of_outputs_md():
    """The catalog has every metric of the outputs contract, with the same subjects."""
    assert {m.name: set(m.subjects) for m in METRICS} == OUTPUTS_TABLE
    assert {s.name for s in SERIES} == {"on_hand", "backorders", "queue", "busy", "on_duty"}


def test_every_metric_requirement_is_one_the_model_decides():
    """Each metric's ``requires`` is None or one of the catalog's REQUIREMENTS."""
    assert {m.requires for m in METRICS} <= {None, *REQUIREMENTS}


def test_every_metric_is_reported_for_every_subject_of_the_full_example():
    """The full example of the format page reports each metric for each of its subjects."""
    out = simulate(Scenario.model_validate(example_data()), 0)
    subjects = {
        "sku": {"widget", "gadget"},
        "step": {"order_entry", "pick_pack", "invoicing"},
        "pool": {"order_desk", "pickers", "back_office"},
        "channel": set(),  # one unnamed channel: counted in "all" only
        "all": {"all"},
    }
    expected = {
        (name, subject)
        for name, kinds in OUTPUTS_TABLE.items()
        for kind in kinds
        for subject in subjects[kind]
    }
    got = [(m, s) for m, s, _, _ in out.metrics]
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert out.scenario == "ecommerce-baseline"
    assert out.replication == 0


def test_money_is_in_the_scenario_currency():
    """Money metrics carry the scenario's currency code as their unit."""
    out = simulate(Scenario.model_validate(example_data()), 0)
    units = {m: u for m, _, _, u in out.metrics}
    assert units["revenue"] == "EUR"
    assert units["cost_total"] == "EUR"
    assert units["utilization"] == "fraction"
    assert all(CURRENCY not in u for u in units.values())


def test_cost_total_is_the_sum_of_the_cost_lines():
    """cost_total adds the seven cost lines; operating income is revenue minus it."""
    v = values(example_data())
    lines = (
        "cost_of_goods",
        "cost_ordering",
        "cost_holding",
        "cost_backorder",
        "cost_lost_sales",
        "cost_waste",
        "cost_labor",
    )
    total = sum(v[name, "all"] for name in lines)
    assert v["cost_total", "all"] == pytest.approx(total)
    assert v["operating_income", "all"] == pytest.approx(v["revenue", "all"] - total)


def test_the_same_seed_and_replication_give_identical_rows():
    """Two runs of the same replication give the same metrics and series, value for value."""
    scenario = Scenario.model_validate(example_data())
    a, b = simulate(scenario, 3), simulate(scenario, 3)
    assert len(a.metrics) == len(b.metrics)
    assert all(x[:2] == y[:2] and same(x[2], y[2]) for x, y in zip(a.metrics, b.metrics))
    assert a.series == b.series


def test_different_replications_give_different_numbers():
    """Replications 0 and 1 draw different random numbers."""
    assert (
        values(example_data(), 0)["orders_arrived", "all"]
        != values(example_data(), 1)["orders_arrived", "all"]
    )


def test_a_variant_with_more_staff_sees_the_same_orders():
    """Common random numbers: doubling the order desk leaves arrivals and demand unchanged."""
    data = example_data()
    more = copy.deepcopy(data)
    more["staff"]["order_desk"]["headcount"] = 6
    a, b = values(data), values(more)
    assert a["orders_arrived", "all"] == b["orders_arrived", "all"]
    assert a["cost_labor", "order_desk"] * 2 == pytest.approx(b["cost_labor", "order_desk"])
    assert a["wait_mean_h", "order_entry"] > b["wait_mean_h", "order_entry"]


def test_identical_orders_get_identical_task_times_whatever_the_staff():
    """With ample staff either way, a variant's cycle times match the base's exactly."""
    data = {
        "name": "crn",
        "run": {"horizon": "200h"},
        "demand": {"arrivals": {"rate": "5/h"}},
        "staff": {"desk": {"headcount": 50}},
        "process": [
            {"step": "serve", "staff": "desk", "time": {"dist": "exponential", "mean": "1h"}}
        ],
    }
    more = copy.deepcopy(data)
    more["staff"]["desk"]["headcount"] = 80
    a, b = values(data), values(more)
    assert a["cycle_time_mean_h", "all"] == b["cycle_time_mean_h", "all"]


def test_adding_a_staff_pool_and_step_does_not_shift_the_arrivals():
    """Streams are independent: a new pool and step leave orders_arrived as it was."""
    data = example_data()
    more = copy.deepcopy(data)
    more["staff"]["packers"] = {"headcount": 1, "wage": "15/h"}
    more["process"].append({"step": "gift_wrap", "staff": "packers", "time": "1min"})
    assert values(data)["orders_arrived", "all"] == values(more)["orders_arrived", "all"]


def test_the_warm_up_is_left_out_of_every_statistic():
    """An order arriving in the warm-up is not counted as arrived but counts when it completes."""
    data = {
        "name": "window",
        "run": {"horizon": "10h", "warmup": "2h"},
        "demand": {"arrivals": {"rate": "0/h"}},
        "process": [{"step": "cure", "time": "2h"}],
    }
    model = Model(Scenario.model_validate(data), 0)
    model.channels[0].order_at(1.0)
    model.run()
    m = model.metrics()
    assert m["orders_arrived", "all"] == 0
    assert m["orders_completed", "all"] == 1
    assert m["throughput_per_day", "all"] == pytest.approx(1 / (8 / 24))


def test_a_pure_service_business_reports_no_inventory_metrics():
    """Without products, the SKU metrics and fill rates are left out; money lines stay."""
    data = {
        "name": "service",
        "run": {"horizon": "10h"},
        "demand": {"arrivals": {"rate": "1/h"}},
        "staff": {"desk": {"headcount": 2, "wage": "10/h"}},
        "process": [{"step": "serve", "staff": "desk", "time": "30min"}],
    }
    v = values(data)
    names = {m for m, _ in v}
    assert not names & {"fill_rate", "units_shipped", "on_hand_mean", "order_fill_rate"}
    assert "on_time_rate" not in names  # no promise
    assert v["revenue", "all"] == 0.0
    assert v["cost_labor", "all"] == pytest.approx(200.0)


def test_without_staff_there_are_no_staff_metrics():
    """A business with no staff pools reports no utilization and no labour by pool."""
    data = {"name": "bare", "run": {"horizon": "10h"}, "demand": {"arrivals": {"rate": "1/h"}}}
    v = values(data)
    assert not any(m == "utilization" for m, _ in v)
    assert [s for m, s in v if m == "cost_labor"] == ["all"]


def test_series_sample_every_level_over_the_horizon():
    """Each series has SERIES_POINTS + 1 samples per subject, from 0 to the horizon."""
    out = simulate(Scenario.model_validate(example_data()), 0)
    times = sorted(
        {t for name, subject, t, _ in out.series if (name, subject) == ("busy", "pickers")}
    )
    assert len(times) == SERIES_POINTS + 1
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(21 * 24)
    kinds = {(name, subject) for name, subject, _, _ in out.series}
    assert ("on_hand", "widget") in kinds and ("queue", "invoicing") in kinds
    assert ("on_duty", "order_desk") in kinds and ("backorders", "gadget") in kinds


def _peak_memory(horizon_h):
    data = {
        "name": "memory",
        "run": {"horizon": f"{horizon_h}h"},
        "demand": {"arrivals": {"rate": "20/h"}, "patience": "30min"},
        "products": {
            "a": {
                "price": 1.0,
                "unit_cost": 0.5,
                "initial_stock": 100,
                "supplier": "s",
                "policy": {"type": "s_S", "s": 50, "S": 200},
            }
        },
        "suppliers": {"s": {"lead_time": {"dist": "exponential", "mean": "2h"}}},
        "staff": {"desk": {"headcount": 3}},
        "process": [
            {"step": "serve", "staff": "desk", "time": {"dist": "exponential", "mean": "8min"}}
        ],
    }
    scenario = Scenario.model_validate(data)
    tracemalloc.start()
    try:
        simulate(scenario, 0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_horizon():
    """A run ten times longer (ten times the orders) does not use much more memory."""
    short, long = _peak_memory(50), _peak_memory(500)
    assert long < 2 * short


@settings(max_examples=30, deadline=None)
@given(
    mode=st.sampled_from(["backorder", "lost"]),
    allocate_at=st.integers(0, 2),
    shelf_life=st.one_of(st.none(), st.integers(2, 60)),
    patience=st.one_of(st.none(), st.floats(0.05, 2.0)),
    queue_limit=st.one_of(st.none(), st.integers(0, 2)),
    headcount=st.integers(0, 2),
    seed=st.integers(0, 1000),
)
def test_stock_and_staff_levels_stay_consistent_in_any_combination(
    mode, allocate_at, shelf_life, patience, queue_limit, headcount, seed
):
    """Whatever the mix of backorders, perishables, patience and balking, no level goes wrong."""
    product = {
        "price": 2.0,
        "unit_cost": 1.0,
        "initial_stock": 5,
        "supplier": "s",
        "policy": {"type": "s_S", "s": 3, "S": 12},
    }
    if shelf_life is not None:
        product["shelf_life"] = f"{shelf_life}h"
    demand = {
        "arrivals": {"rate": "3/h"},
        "when_out_of_stock": mode,
        "lines": {"dist": "uniform", "min": 0, "max": 2},
        "quantity": {"dist": "geometric", "mean": 2},
    }
    if patience is not None:
        demand["patience"] = {"dist": "exponential", "mean": f"{patience}h"}
    steps = [
        {"step": "pick", "staff": "desk", "time": {"dist": "exponential", "mean": "15min"}},
        {"step": "pack", "staff": "desk", "time": "10min", "per_unit": "1min"},
    ]
    if queue_limit is not None:
        steps[1]["queue_limit"] = queue_limit
    steps.insert(allocate_at, {"step": "allocate"})
    data = {
        "name": "mix",
        "run": {"horizon": "100h", "warmup": "10h", "seed": seed},
        "demand": demand,
        "products": {"w": product},
        "suppliers": {"s": {"lead_time": {"dist": "exponential", "mean": "6h"}}},
        "staff": {
            "desk": {"shifts": [{"start": "06:00", "end": "22:00", "headcount": headcount + 1}]}
        },
        "process": steps,
    }
    model = Model(Scenario.model_validate(data), 0)
    model.run()
    stock = model.stocks[0]
    assert stock.on_hand >= 0 and stock.backordered >= 0 and stock.on_order >= 0
    assert stock.backordered == sum(b.owed for b in stock.backorders)
    assert stock.on_hand_level.level == stock.on_hand
    assert stock.backorder_level.level == stock.backordered
    if shelf_life is not None:
        assert stock.on_hand == sum(batch.units for batch in stock.batches)
    m = model.metrics()
    assert 0.0 <= m["utilization", "desk"] <= 1.0
    assert m["orders_completed", "all"] <= m["orders_arrived", "all"] + 100


@pytest.mark.parametrize(
    "path",
    sorted(Path(__file__).resolve().parents[1].glob("scenarios/*.yaml")),
    ids=lambda p: p.stem,
)
def test_skipping_the_series_changes_no_metric(path):
    """simulate(series=False) returns exactly the metric rows of a run that samples levels."""
    from sim.data.store import prepare
    from sim.data.store import simulate as simulate_with_orders  # replay examples too
    from sim.scenario.loader import load

    scenario = load(path).with_changes({"run.horizon": "10d", "run.warmup": "2d"})
    prepare([scenario])
    with_series = simulate_with_orders(scenario, 1)
    without = simulate_with_orders(scenario, 1, series=False)
    assert with_series.series and not without.series
    assert without.metrics == with_series.metrics
