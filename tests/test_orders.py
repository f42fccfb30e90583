"""Order intake: Poisson arrivals, hourly and weekday profiles, lines, SKUs and quantities."""

from __future__ import annotations

import pytest

from sim.model.build import simulate
from sim.scenario.models import Scenario


def metrics(data):
    """``{(metric, subject): value}`` of replication 0 of the scenario ``data``."""
    return {(m, s): v for m, s, v, _ in simulate(Scenario.model_validate(data), 0).metrics}


def shop(demand, horizon="100h", products=None):
    """A scenario with plenty of stock and no steps: orders complete at allocation."""
    return {
        "name": "orders-test",
        "run": {"horizon": horizon},
        "demand": demand,
        "products": products or {"a": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 10**7}},
    }


def test_poisson_arrivals_average_the_rate():
    """100/h over 100h gives about 10,000 orders (within 4 standard deviations)."""
    m = metrics(shop({"arrivals": {"rate": "100/h"}}))
    assert abs(m["orders_arrived", "all"] - 10_000) < 4 * 100


def test_no_orders_arrive_in_hours_whose_weight_is_zero():
    """With all weight on 08:00-09:00, nothing arrives before 08:00."""
    weights = [0] * 24
    weights[8] = 1
    m = metrics(shop({"arrivals": {"rate": "10/h", "by_hour": weights}}, horizon="8h"))
    assert m["orders_arrived", "all"] == 0


def test_an_hourly_profile_keeps_the_mean_rate_over_the_day():
    """All of a day's 240 expected orders at 10/h arrive in the one hour with weight."""
    weights = [0] * 24
    weights[8] = 1
    m = metrics(shop({"arrivals": {"rate": "10/h", "by_hour": weights}}, horizon="9h"))
    assert abs(m["orders_arrived", "all"] - 240) < 4 * 240**0.5


def test_no_orders_arrive_on_weekdays_whose_weight_is_zero():
    """A weekend-only profile sends nothing from Monday to Friday."""
    demand = {"arrivals": {"rate": "10/h", "by_weekday": [0, 0, 0, 0, 0, 1, 1]}}
    m = metrics(shop(demand, horizon="5d"))
    assert m["orders_arrived", "all"] == 0


def test_weekday_profile_keeps_the_weekly_mean_rate():
    """Over whole weeks, a weekday profile gives rate × hours orders on average."""
    demand = {"arrivals": {"rate": "10/h", "by_weekday": [3, 1, 1, 1, 1, 0.5, 0.5]}}
    m = metrics(shop(demand, horizon="4w"))
    expected = 10 * 4 * 168
    assert abs(m["orders_arrived", "all"] - expected) < 4 * expected**0.5


def test_channels_are_superposed():
    """Two channels of 30/h and 70/h together send about 100/h."""
    demand = [
        {"name": "web", "arrivals": {"rate": "30/h"}},
        {"name": "phone", "arrivals": {"rate": "70/h"}},
    ]
    m = metrics(shop(demand))
    assert abs(m["orders_arrived", "all"] - 10_000) < 4 * 100


def test_every_line_carries_its_quantity():
    """Orders of 2 lines of 3 units ship 6 units each."""
    m = metrics(shop({"arrivals": {"rate": "10/h"}, "lines": 2, "quantity": 3}))
    assert m["units_shipped", "all"] == 6 * m["orders_completed", "all"]


def test_sku_mix_sends_no_demand_to_a_zero_weight_sku():
    """With sku_mix {a: 1, b: 0} every unit shipped is an a."""
    products = {
        "a": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 10**6},
        "b": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 10**6},
    }
    m = metrics(shop({"arrivals": {"rate": "10/h"}, "sku_mix": {"a": 1, "b": 0}},
                     products=products))
    assert m["units_shipped", "b"] == 0
    assert m["units_shipped", "a"] == m["orders_completed", "all"]


def test_default_sku_mix_is_equal_over_products():
    """Without sku_mix, two products each get about half of the lines."""
    products = {
        "a": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 10**6},
        "b": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 10**6},
    }
    m = metrics(shop({"arrivals": {"rate": "100/h"}}, products=products))
    assert m["units_shipped", "a"] / m["units_shipped", "all"] == pytest.approx(0.5, abs=0.03)


def test_per_unit_time_grows_with_the_units_of_the_order():
    """A step of 1h + 30min per unit takes 2.5h for an order of 3 units."""
    data = shop({"arrivals": {"rate": "0.01/h"}, "quantity": 3}, horizon="1000h")
    data["process"] = [{"step": "cure", "time": "1h", "per_unit": "30min"}]
    m = metrics(data)
    assert m["orders_completed", "all"] > 0
    assert m["cycle_time_mean_h", "all"] == pytest.approx(2.5)


def test_a_channel_with_rate_zero_sends_no_orders():
    """A rate of 0/h means no orders at all."""
    m = metrics(shop({"arrivals": {"rate": "0/h"}}))
    assert m["orders_arrived", "all"] == 0


# --------------------------------------------------------------------------- units and per_unit
def one_order_cycle(demand, process, products=None):
    """The cycle time of one order placed at hour 1, with a free worker at every step."""
    from sim.model.build import Model

    data = {
        "name": "units-test",
        "run": {"horizon": "1d"},
        "demand": {"arrivals": {"rate": "0/h"}, **demand},
        "staff": {"desk": {"headcount": 1}},
        "process": process,
    }
    if products:
        data["products"] = products
    model = Model(Scenario.model_validate(data), 0)
    model.channels[0].order_at(1.0)
    model.run()
    return model.metrics()["cycle_time_mean_h", "all"]


def test_per_unit_counts_the_units_of_an_order_without_products():
    """A service order of 2 lines of 3 items takes time + 6 × per_unit (1h + 6 × 10min)."""
    process = [{"step": "serve", "staff": "desk", "time": "1h", "per_unit": "10min"}]
    hours = one_order_cycle({"lines": 2, "quantity": 3}, process)
    assert hours == pytest.approx(2.0)


def test_an_order_without_products_has_one_unit_by_default():
    """With the default lines and quantity (1 and 1), per_unit is added once."""
    process = [{"step": "serve", "staff": "desk", "time": "1h", "per_unit": "30min"}]
    assert one_order_cycle({}, process) == pytest.approx(1.5)


LOST_SALES = {"quantity": 5, "when_out_of_stock": "lost"}
TWO_IN_STOCK = {"a": {"price": 1.0, "unit_cost": 0.0, "initial_stock": 2}}


def test_after_allocation_per_unit_counts_only_the_units_that_ship():
    """5 units demanded, 2 in stock, lost sales: a step after allocation takes 1h + 2 × 1h."""
    process = [
        {"step": "allocate"},
        {"step": "pick", "staff": "desk", "time": "1h", "per_unit": "1h"},
    ]
    assert one_order_cycle(LOST_SALES, process, TWO_IN_STOCK) == pytest.approx(3.0)


def test_before_allocation_per_unit_counts_every_unit_demanded():
    """The same order at a step before allocation takes 1h + 5 × 1h."""
    process = [
        {"step": "check", "staff": "desk", "time": "1h", "per_unit": "1h"},
        {"step": "allocate"},
    ]
    assert one_order_cycle(LOST_SALES, process, TWO_IN_STOCK) == pytest.approx(6.0)
