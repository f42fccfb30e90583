"""Inventory: allocation, backorders, lost sales, reorder policies and perishables."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.build import Model
from sim.scenario.models import Scenario


def build(product, *, channels=None, supplier=None, horizon="20h", orders=(), process=None,
          costs=None):
    """One SKU ``w``, no random arrivals, orders placed at fixed hours by channel.

    ``orders`` lists ``(hour, channel index)`` pairs (or bare hours for channel 0);
    ``channels`` lists ``(quantity, when_out_of_stock)`` for each channel.
    """
    channels = channels or [(1, "backorder")]
    data = {
        "name": "inventory-test",
        "run": {"horizon": horizon},
        "demand": [
            {"name": f"c{i}", "arrivals": {"rate": "0/h"}, "quantity": qty,
             "when_out_of_stock": mode}
            for i, (qty, mode) in enumerate(channels)
        ],
        "products": {"w": {"price": 10.0, "unit_cost": 4.0, **product}},
        "suppliers": {"acme": supplier or {"lead_time": "10h", "order_cost": 5}},
        "process": process or [],
        "costs": costs or {},
    }
    model = Model(Scenario.model_validate(data), 0)
    for order in orders:
        t, i = order if isinstance(order, tuple) else (order, 0)
        model.channels[i].order_at(t)
    model.run()
    return model


def test_backorders_are_filled_first_come_first_served_on_receipt():
    """A delivery of 5 fills the first order's 3 units before the second order's 4."""
    model = build(
        {"initial_stock": 0, "supplier": "acme", "policy": {"type": "s_S", "s": 0, "S": 5}},
        channels=[(3, "backorder"), (4, "backorder")],
        orders=[(1.0, 0), (2.0, 1)],
        horizon="11h",
    )
    m = model.metrics()
    # t=0: order 5 (due t=10). t=1: 3 backordered. t=2: 4 more, position -2: order 7 (t=12).
    # t=10: the first order gets its 3 and ships; the second gets 2 of its 4 and waits.
    assert m["orders_completed", "all"] == 1
    assert m["units_shipped", "w"] == 3
    assert model.stocks[0].backordered == 2
    assert m["purchase_orders", "w"] == 2
    assert m["fill_rate", "w"] == 0.0
    assert m["order_fill_rate", "all"] == 0.0
    # Backordered units: 3 over [1, 2], 7 over [2, 10], 2 over [10, 11].
    assert m["backorders_mean", "w"] == pytest.approx((3 * 1 + 7 * 8 + 2 * 1) / 11)


def test_a_backordered_order_completes_when_its_last_unit_arrives():
    """The second order, short 2 units after the first delivery, ships with the second."""
    model = build(
        {"initial_stock": 0, "supplier": "acme", "policy": {"type": "s_S", "s": 0, "S": 5}},
        channels=[(3, "backorder"), (4, "backorder")],
        orders=[(1.0, 0), (2.0, 1)],
        horizon="20h",
    )
    m = model.metrics()
    assert m["orders_completed", "all"] == 2
    assert m["cycle_time_mean_h", "all"] == pytest.approx(((10 - 1) + (12 - 2)) / 2)
    assert m["on_hand_mean", "w"] == pytest.approx(5 * 8 / 20)
    assert m["stockout_fraction", "w"] == pytest.approx(12 / 20)


def test_lost_sales_ship_what_is_on_hand_and_lose_the_rest():
    """With 2 on hand, an order for 3 ships 2 and loses 1 sale."""
    model = build(
        {"initial_stock": 2}, channels=[(3, "lost")], orders=[1.0],
        costs={"lost_sale": 7},
    )
    m = model.metrics()
    assert m["units_shipped", "w"] == 2
    assert m["fill_rate", "w"] == pytest.approx(2 / 3)
    assert m["lost_rate", "all"] == pytest.approx(1 / 3)
    assert m["cost_lost_sales", "all"] == pytest.approx(7.0)
    assert m["revenue", "all"] == pytest.approx(20.0)
    assert m["cost_of_goods", "all"] == pytest.approx(8.0)


def test_r_q_orders_as_many_q_as_it_takes_to_rise_above_r():
    """Position 2 under r=10, Q=5 orders 2 x 5 = 10 units in one purchase order."""
    model = build(
        {"initial_stock": 20, "supplier": "acme", "policy": {"type": "r_Q", "r": 10, "Q": 5}},
        channels=[(18, "backorder")], orders=[1.0], horizon="5h",
    )
    m = model.metrics()
    assert m["purchase_orders", "w"] == 1
    assert model.stocks[0].on_order == 10


def test_s_s_orders_up_to_big_s_when_the_position_falls_to_small_s():
    """An order taking the position from 8 to 5 (s=5) orders S - 5 = 15 units."""
    model = build(
        {"initial_stock": 8, "supplier": "acme", "policy": {"type": "s_S", "s": 5, "S": 20}},
        channels=[(3, "backorder")], orders=[1.0], horizon="5h",
    )
    assert model.metrics()["purchase_orders", "w"] == 1
    assert model.stocks[0].on_order == 15


def test_min_order_raises_a_purchase_order_to_the_minimum():
    """s_S wants 5 units at time 0 but the supplier's minimum is 50."""
    model = build(
        {"initial_stock": 5, "supplier": "acme", "policy": {"type": "s_S", "s": 5, "S": 10}},
        supplier={"lead_time": "10h", "order_cost": 5, "min_order": 50}, horizon="5h",
    )
    m = model.metrics()
    assert m["purchase_orders", "w"] == 1
    assert model.stocks[0].on_order == 50
    assert m["cost_ordering", "all"] == pytest.approx(5.0)


def test_base_stock_reorders_one_for_one():
    """Under base stock S=10, each demand of 3 units triggers a purchase order of 3."""
    model = build(
        {"initial_stock": 10, "supplier": "acme", "policy": {"type": "base_stock", "S": 10}},
        channels=[(3, "backorder")], orders=[1.0, 2.0], horizon="5h",
    )
    assert model.metrics()["purchase_orders", "w"] == 2
    assert model.stocks[0].on_order == 6


def test_periodic_review_orders_up_to_s_at_time_zero_and_each_review():
    """Reviews at 0h and 24h: order 10 at first, then the 4 units sold in between."""
    model = build(
        {"initial_stock": 0, "supplier": "acme",
         "policy": {"type": "periodic", "review": "24h", "S": 10}},
        supplier={"lead_time": "1h"}, channels=[(4, "backorder")], orders=[5.0],
        horizon="30h",
    )
    m = model.metrics()
    assert m["purchase_orders", "w"] == 2
    assert model.stocks[0].on_hand == 10


def test_periodic_review_with_small_s_orders_only_at_or_below_it():
    """With s=5 the review at 24h sees position 6 and orders nothing."""
    model = build(
        {"initial_stock": 0, "supplier": "acme",
         "policy": {"type": "periodic", "review": "24h", "s": 5, "S": 10}},
        supplier={"lead_time": "1h"}, channels=[(4, "backorder")], orders=[5.0],
        horizon="30h",
    )
    assert model.metrics()["purchase_orders", "w"] == 1
    assert model.stocks[0].on_hand == 6


def test_perishable_units_expire_at_their_use_by_time():
    """5 units with a 10h shelf life and no demand all expire at hour 10."""
    model = build({"initial_stock": 5, "shelf_life": "10h"}, costs={"waste": 1}, horizon="20h")
    m = model.metrics()
    assert m["expired_units", "w"] == 5
    assert m["cost_waste", "all"] == pytest.approx(5 * (4.0 + 1.0))
    assert m["on_hand_mean", "w"] == pytest.approx(5 * 10 / 20)
    assert m["stockout_fraction", "w"] == pytest.approx(0.5)


def test_perishables_are_issued_oldest_first_and_expiry_triggers_a_reorder():
    """Demand takes the old batch first, so only its 2 leftovers expire, lowering the position."""
    model = build(
        {"initial_stock": 5, "shelf_life": "10h", "supplier": "acme",
         "policy": {"type": "s_S", "s": 5, "S": 10}},
        supplier={"lead_time": "5h"}, channels=[(3, "backorder")], orders=[6.0],
        horizon="14h",
    )
    m = model.metrics()
    # t=0: order 5 (arrives t=5, use-by 15). t=6: 3 taken from the t=0 batch (use-by 10).
    # t=10: its 2 leftovers expire; position 5 <= s: a second purchase order.
    assert m["expired_units", "w"] == 2
    assert m["purchase_orders", "w"] == 2
    assert model.stocks[0].on_hand == 5


def test_holding_and_backorder_costs_are_per_unit_hour():
    """10 units held 20h at 0.5/h cost 100; 2 units backordered 10h at 1/h cost 20."""
    model = build(
        {"initial_stock": 10, "holding_cost": "0.5/h"},
        channels=[(12, "backorder")], orders=[10.0], costs={"backorder": "1/h"},
    )
    m = model.metrics()
    assert m["cost_holding", "all"] == pytest.approx(0.5 * 10 * 10)
    assert m["cost_backorder", "all"] == pytest.approx(1.0 * 2 * 10)


def test_stock_reserved_for_an_order_that_balks_goes_back_on_the_shelf():
    """An order allocated on arrival then refused by a full desk returns its units."""
    data = {
        "name": "return",
        "run": {"horizon": "5h"},
        "demand": {"arrivals": {"rate": "0/h"}, "quantity": 2},
        "products": {"w": {"price": 1.0, "unit_cost": 1.0, "initial_stock": 5}},
        "staff": {"desk": {"headcount": 1}},
        "process": [{"step": "pack", "staff": "desk", "time": "1h", "queue_limit": 0}],
    }
    model = Model(Scenario.model_validate(data), 0)
    model.channels[0].order_at(1.0)
    model.channels[0].order_at(1.5)
    model.run()
    assert model.metrics()["balk_rate", "all"] == pytest.approx(0.5)
    assert model.stocks[0].on_hand == 3


def test_fill_rate_is_nan_without_demand():
    """A SKU nobody ordered has no fill rate (NaN), not a perfect one."""
    m = build({"initial_stock": 5}).metrics()
    assert math.isnan(m["fill_rate", "w"])
    assert math.isnan(m["order_fill_rate", "all"])


class CountingSupply:
    """A supply line that counts every unit ordered from it, window or not."""

    def __init__(self, supply):
        self.supply = supply
        self.units = 0

    def __getattr__(self, name):
        return getattr(self.supply, name)

    def place(self, units, receive):
        self.units += units
        self.supply.place(units, receive)


POLICIES = st.one_of(
    st.builds(lambda s, d: {"type": "s_S", "s": s, "S": s + d},
              st.integers(0, 30), st.integers(1, 40)),
    st.builds(lambda r, q: {"type": "r_Q", "r": r, "Q": q},
              st.integers(0, 30), st.integers(1, 40)),
    st.builds(lambda s: {"type": "base_stock", "S": s}, st.integers(0, 40)),
    st.builds(lambda review, s: {"type": "periodic", "review": f"{review}h", "S": s},
              st.integers(1, 48), st.integers(1, 60)),
    st.just({"type": "none"}),
)


@settings(max_examples=40, deadline=None)
@given(
    policy=POLICIES,
    initial=st.integers(0, 50),
    shelf_life=st.one_of(st.none(), st.integers(1, 100)),
    min_order=st.one_of(st.none(), st.integers(1, 30)),
    rate=st.floats(0.1, 5.0),
    quantity=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_every_unit_is_accounted_for(policy, initial, shelf_life, min_order, rate, quantity,
                                     seed):
    """Initial plus ordered units equal on hand + on order + shipped + expired (lost sales)."""
    product = {"price": 1.0, "unit_cost": 1.0, "initial_stock": initial,
               "supplier": "acme", "policy": policy}
    if shelf_life is not None:
        product["shelf_life"] = f"{shelf_life}h"
    supplier = {"lead_time": {"dist": "exponential", "mean": "8h"}}
    if min_order is not None:
        supplier["min_order"] = min_order
    data = {
        "name": "balance",
        "run": {"horizon": "200h", "seed": seed},
        "demand": {"arrivals": {"rate": f"{rate}/h"}, "when_out_of_stock": "lost",
                   "quantity": {"dist": "uniform", "min": 1, "max": quantity}},
        "products": {"w": product},
        "suppliers": {"acme": supplier},
    }
    model = Model(Scenario.model_validate(data), 0)
    stock = model.stocks[0]
    supply = stock.supply = CountingSupply(stock.supply)
    model.run()
    m = model.metrics()
    assert initial + supply.units == (
        stock.on_hand + stock.on_order + stock.shipped + stock.expired
    )
    assert stock.on_hand >= 0 and stock.on_order >= 0
    if stock.demanded:
        assert m["fill_rate", "w"] + m["lost_rate", "w"] == pytest.approx(1.0)
    assert stock.on_hand == sum(batch.units for batch in stock.batches) or shelf_life is None
