"""The v2 measures: service level, operating cost and margin, lost revenue, wait p95, channels."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.model.build import Model, simulate
from sim.scenario.models import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def model(data, orders=(), channel=0):
    """Build and run one replication of ``data``, with extra orders at fixed hours."""
    built = Model(Scenario.model_validate(data), 0)
    for t in orders:
        built.channels[channel].order_at(t)
    built.run()
    return built.metrics()


def desk(**extra):
    """One agent, 1h tasks, no random arrivals, a 4h promise."""
    data = {
        "name": "desk",
        "run": {"horizon": "20h"},
        "demand": {"arrivals": {"rate": "0/h"}},
        "staff": {"agent": {"headcount": 1, "wage": "10/h"}},
        "process": [{"step": "serve", "staff": "agent", "time": "1h"}],
        "service": {"promise": "4h"},
    }
    for key, value in extra.items():
        data[key] = value
    return data


def shop(when_out_of_stock="lost", initial_stock=0):
    """A shop with one product and no supplier: what is on the shelf is all there is."""
    return {
        "name": "shop",
        "run": {"horizon": "20h"},
        "demand": {"arrivals": {"rate": "0/h"}, "when_out_of_stock": when_out_of_stock,
                   "quantity": 2},
        "products": {"widget": {"price": 10, "unit_cost": 4, "initial_stock": initial_stock}},
        "staff": {"packer": {"headcount": 1}},
        "process": [{"step": "allocate"}, {"step": "pack", "staff": "packer", "time": "1h"}],
        "service": {"promise": "4h"},
    }  # fmt: skip


# --------------------------------------------------------------------------- money
@pytest.mark.parametrize("name", ["ecommerce", "restaurant", "retail_store", "distributor"])
def test_money_identities_hold_replication_by_replication(name):
    """operating_cost = cost_total − cost_of_goods and gross_margin = revenue − cost_of_goods,
    and operating_income = gross_margin − operating_cost, in every replication."""
    scenario = sim.load(SCENARIOS / f"{name}.yaml").base()
    short = scenario.with_changes({"run.horizon": "21d", "run.warmup": "7d"})
    for replication in range(3):
        v = {(m, s): x for m, s, x, _ in simulate(short, replication, series=False).metrics}
        cogs = v["cost_of_goods", "all"]
        assert v["operating_cost", "all"] == pytest.approx(v["cost_total", "all"] - cogs)
        assert v["gross_margin", "all"] == pytest.approx(v["revenue", "all"] - cogs)
        assert v["operating_income", "all"] == pytest.approx(
            v["gross_margin", "all"] - v["operating_cost", "all"]
        )
        assert cogs > 0  # the identities say something: goods were sold


# --------------------------------------------------------------------------- service level
def test_service_level_counts_customers_who_gave_up():
    """Three customers at once, one agent, 30 min patience: one served, two gone: 1/3."""
    data = desk()
    data["demand"]["patience"] = "30min"
    m = model(data, orders=(1.0, 1.0, 1.0))
    assert m["on_time_rate", "all"] == 1.0  # of those completed: all on time
    assert m["abandon_rate", "all"] == pytest.approx(2 / 3)
    assert m["service_level", "all"] == pytest.approx(1 / 3)


def test_service_level_counts_customers_refused_by_a_full_queue():
    """With no room to wait, the second and third of three simultaneous orders balk."""
    data = desk(process=[{"step": "serve", "staff": "agent", "time": "1h", "queue_limit": 0}])
    m = model(data, orders=(1.0, 1.0, 1.0))
    assert m["balk_rate", "all"] == pytest.approx(2 / 3)
    assert m["service_level", "all"] == pytest.approx(1 / 3)


def test_service_level_counts_late_completions_as_not_served_on_time():
    """Six orders at once at a one-agent 1h desk: the fifth and sixth finish after 4h."""
    m = model(desk(), orders=(1.0,) * 6)
    assert m["on_time_rate", "all"] == pytest.approx(4 / 6)
    assert m["service_level", "all"] == pytest.approx(4 / 6)


def test_an_order_with_nothing_to_ship_is_not_served_on_time_in_a_lost_sales_business():
    """An empty shelf: the order goes through packing (as in v1) but counts as not served."""
    m = model(shop(initial_stock=0), orders=(1.0,))
    assert m["orders_completed", "all"] == 1
    assert m["on_time_rate", "all"] == 1.0  # v1 meaning: completed within the promise
    assert m["service_level", "all"] == 0.0
    assert m["units_shipped", "all"] == 0


def test_a_partly_served_order_on_time_counts_as_served():
    """One of two units on the shelf: the order ships one unit in time and is served."""
    m = model(shop(initial_stock=1), orders=(1.0,))
    assert m["units_shipped", "all"] == 1
    assert m["service_level", "all"] == 1.0


def test_without_a_promise_every_served_completion_counts():
    """No promise: the service level is the share of resolved customers who were served."""
    data = desk(service={})
    data["demand"]["patience"] = "30min"
    m = model(data, orders=(1.0, 1.0, 1.0, 10.0))
    assert ("on_time_rate", "all") not in m
    assert m["service_level", "all"] == pytest.approx(2 / 4)


# --------------------------------------------------------------------------- lost revenue
def test_lost_revenue_prices_units_lost_for_stock():
    """Two units wanted, one on the shelf, lost sales: one unit's price is lost."""
    m = model(shop(initial_stock=1), orders=(1.0,))
    assert m["lost_revenue", "widget"] == 10.0
    assert m["lost_revenue", "all"] == 10.0


def test_lost_revenue_prices_the_units_of_orders_that_walked_away():
    """An order that balks at a full packing queue loses both its units' revenue."""
    data = shop(when_out_of_stock="backorder", initial_stock=10)
    data["process"][1]["queue_limit"] = 0
    m = model(data, orders=(1.0, 1.0))
    assert m["balk_rate", "all"] == pytest.approx(0.5)
    assert m["lost_revenue", "widget"] == 2 * 10.0
    assert m["revenue", "all"] == 2 * 10.0  # the one that stayed


# --------------------------------------------------------------------------- wait p95
def test_wait_p95_is_the_95th_percentile_of_the_waits_including_zeros():
    """Twenty orders at once at a 1h one-agent desk wait 0, 1, ..., 19 h: p95 (lower) = 18 h."""
    m = model(desk(run={"horizon": "30h"}), orders=(0.0,) * 20)
    assert m["wait_mean_h", "serve"] == pytest.approx(9.5)
    assert m["wait_p95_h", "serve"] == pytest.approx(18.0, rel=0.005)


def test_wait_p95_is_zero_when_nobody_waits():
    """Orders that never queue have a 95th percentile wait of 0."""
    m = model(desk(), orders=(1.0, 3.0, 5.0))
    assert m["wait_p95_h", "serve"] == 0.0


# --------------------------------------------------------------------------- channels
def two_channels():
    data = desk()
    data["demand"] = [
        {"name": "phone", "arrivals": {"rate": "0/h"}, "patience": "30min"},
        {"name": "web", "arrivals": {"rate": "0/h"}},
    ]
    return data


def test_named_channels_have_their_own_order_measures():
    """Phone callers who give up lower the phone channel's service level, not the web's."""
    built = Model(Scenario.model_validate(two_channels()), 0)
    for t in (1.0, 1.0, 1.0):
        built.channels[0].order_at(t)
    built.channels[1].order_at(1.0)
    built.run()
    m = built.metrics()
    assert (m["orders_arrived", "phone"], m["orders_arrived", "web"]) == (3, 1)
    assert m["orders_arrived", "all"] == 4
    assert m["orders_completed", "phone"] + m["orders_completed", "web"] == m[
        "orders_completed", "all"
    ]
    assert m["service_level", "web"] == 1.0
    assert m["service_level", "phone"] == pytest.approx(1 / 3)
    assert m["cycle_time_mean_h", "web"] == pytest.approx(2.0)  # waited 1h behind a caller
    assert m["on_time_rate", "web"] == 1.0


def test_an_unnamed_channel_is_reported_in_all_only():
    """One unnamed channel adds no channel subjects."""
    out = simulate(Scenario.model_validate(desk()), 0)
    subjects = {s for metric, s, _, _ in out.metrics if metric == "orders_arrived"}
    assert subjects == {"all"}


# --------------------------------------------------------------------------- the example
def test_service_desk_comparison_no_longer_prefers_the_variant_that_loses_customers():
    """On the shipped service desk, later_staffing (which doubles the give-ups) has the lowest
    service level of the four, significantly below the base, in the comparison figure too."""
    from sim.output import plots

    scenario = sim.load(SCENARIOS / "service_desk.yaml")
    results = sim.run(scenario, replications=5, horizon="21d", workers=1, progress=False)
    level = results.metric("service_level")["mean"]
    assert level.idxmin() == "later_staffing"
    row = results.compare().query("scenario == 'later_staffing' and metric == 'service_level'")
    assert bool(row["significant"].iloc[0]) and row["diff_mean"].iloc[0] < 0
    figure = plots.comparison_figure(results)
    panel = next(ax for ax in figure.get_axes() if ax.get_title() == "Service level")
    widths = [bar.get_width() for bar in panel.patches]
    assert widths.index(min(widths)) == results.names.index("later_staffing")
