"""The calendar: dates, months, growth, closed dates, promotions, staffing changes,
delivery slots, partial deliveries and reviews at a time of day.

Counts of arrivals are checked against what the format says they are (a Poisson
count, so its total over replications is Poisson with the stated mean) at a level of
99.9% per comparison; everything else is checked exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest
import simpy
from scipy import stats

from sim.errors import ScenarioError
from sim.model.build import Model, calendar_of, simulate
from sim.model.calendar import Calendar
from sim.model.context import ModelContext
from sim.model.policies import reorder_policy
from sim.model.staff import change_plan, weekly_levels
from sim.model.suppliers import DeliverySlots, SupplyLine
from sim.scenario.loader import loads
from sim.scenario.models import MONTH_DAYS, PeriodicPolicy, Scenario, Shift, Supplier
from sim.scenario.units import parse_growth

Z = stats.norm.ppf(1 - 0.001 / 2)  # 99.9% per comparison


def demand_only(demand, run, staff=None):
    """A scenario of demand alone (no products, no steps): arrivals are all it does."""
    return Scenario.model_validate(
        {"name": "calendar-test", "run": run, "demand": demand, "staff": staff or {}}
    )


def arrival_times(scenario, replication=0):
    """The hours at which orders arrived in one replication."""
    model = Model(scenario, replication)
    times = []
    for channel in model.channels:
        emit = channel.emit

        def record(lines=None, emit=emit):
            times.append(model.env.now)
            emit(lines)

        channel.emit = record
    model.run(series=False)
    return np.array(times)


def daily_counts(scenario, replications, days):
    """Orders per day (rows: replications)."""
    return np.array(
        [
            np.bincount((arrival_times(scenario, r) // 24).astype(int), minlength=days)[:days]
            for r in range(replications)
        ]
    )


def assert_poisson_total(observed, expected, what):
    """A Poisson total is within its 99.9% normal interval of the stated mean."""
    assert abs(observed - expected) <= Z * math.sqrt(expected) + 1, (
        f"{what}: {observed} orders where {expected:.1f} were expected"
    )


# --------------------------------------------------------------------------- dates
def test_time_zero_has_the_weekday_of_the_start_date():
    """With start on a Wednesday, orders of a Wednesday-only profile arrive on days 0, 7, 14."""
    scenario = demand_only(
        {"arrivals": {"rate": "70/day", "by_weekday": [0, 0, 1, 0, 0, 0, 0]}},
        {"horizon": "21d", "start": "2026-01-07"},
    )
    days = set((arrival_times(scenario) // 24).astype(int).tolist())
    assert days == {0, 7, 14}


def test_a_monday_start_alone_leaves_every_number_as_without_a_start():
    """run.start on a Monday, without other dated keys, gives the same rows as no start."""
    text = """
name: same
run: {horizon: 14d, seed: 3}
demand: {arrivals: {rate: 300/day, by_hour: [0,0,0,0,0,0,1,2,4,6,6,5,5,5,6,6,5,4,3,2,1,1,0,0]}}
staff: {desk: {shifts: [{days: [mon, tue, wed], start: "08:00", end: "16:00", headcount: 3}]}}
process: [{step: serve, staff: desk, time: {dist: exponential, mean: 4min}}]
"""
    plain = loads(text)
    dated = plain.with_changes({"run.start": "2026-01-05"})
    assert simulate(dated, 0).metrics == simulate(plain, 0).metrics


def test_the_calendar_maps_days_to_dates_weekdays_and_months():
    """Day 30 after 2026-01-07 (a Wednesday) is Friday 2026-02-06, in February."""
    calendar = Calendar(dt.date(2026, 1, 7))
    assert (calendar.date(30), calendar.weekday(30), calendar.month(30)) == (
        dt.date(2026, 2, 6), 4, 1,
    )


def test_a_year_is_365_days():
    """A horizon of 1y is 365 days of hours."""
    scenario = demand_only({"arrivals": {"rate": "1/day"}}, {"horizon": "1y"})
    assert scenario.run.horizon == 365 * 24


def test_growth_is_compounded_per_period():
    """8%/year multiplies the rate by 1.08 after 365 days."""
    assert math.exp(parse_growth("8%/year") * 365 * 24) == pytest.approx(1.08)


# --------------------------------------------------------------------------- demand
def test_a_closed_date_has_no_orders():
    """No order arrives on a closed date; the days around it have theirs."""
    scenario = demand_only(
        {"arrivals": {"rate": "200/day"}, "calendar": [{"date": "2026-01-07", "closed": True}]},
        {"horizon": "5d", "start": "2026-01-05"},
    )
    counts = daily_counts(scenario, 1, 5)[0]
    assert counts[2] == 0
    assert (np.delete(counts, 2) > 100).all()


def test_a_promotion_multiplies_the_rate_on_its_dates_only():
    """demand: 3 from the 8th to the 14th: those days expect 600 orders, the others 200."""
    scenario = demand_only(
        {
            "arrivals": {"rate": "200/day"},
            "calendar": [{"from": "2026-01-12", "to": "2026-01-18", "demand": 3}],
        },
        {"horizon": "21d", "start": "2026-01-05"},
    )
    counts = daily_counts(scenario, 5, 21)
    assert_poisson_total(counts[:, 7:14].sum(), 5 * 7 * 600, "promotion week")
    assert_poisson_total(counts[:, list(range(7)) + list(range(14, 21))].sum(), 5 * 14 * 200,
                         "other weeks")


def test_by_month_shapes_each_month_and_keeps_the_mean_over_the_year():
    """Each month gets rate × its normalised weight × its days; the year's total is rate × 365."""
    weights = [1, 1, 2, 2, 3, 3, 3, 3, 2, 2, 1, 1]
    scenario = demand_only(
        {"arrivals": {"rate": "40/day", "by_month": weights}},
        {"horizon": "365d", "start": "2025-01-01"},
    )
    counts = daily_counts(scenario, 4, 365).sum(axis=0)
    mean_weight = sum(w * d for w, d in zip(weights, MONTH_DAYS)) / 365
    start = 0
    for month, days in enumerate(MONTH_DAYS):
        expected = 4 * 40 * days * weights[month] / mean_weight
        assert_poisson_total(counts[start : start + days].sum(), expected, f"month {month + 1}")
        start += days
    assert_poisson_total(counts.sum(), 4 * 40 * 365, "the year")


def test_growth_compounds_from_time_zero():
    """At 50%/year, year two brings 1.5 times the orders of year one (each its exact mean)."""
    scenario = demand_only(
        {"arrivals": {"rate": "50/day", "growth": "50%/year"}}, {"horizon": "730d"}
    )
    counts = daily_counts(scenario, 3, 730)
    g = math.log(1.5) / 365
    expected = [3 * 50 * sum(math.exp(g * (d + 0.5)) for d in range(a, a + 365)) for a in (0, 365)]
    assert_poisson_total(counts[:, :365].sum(), expected[0], "year one")
    assert_poisson_total(counts[:, 365:].sum(), expected[1], "year two")
    assert expected[1] / expected[0] == pytest.approx(1.5)


def test_dated_keys_need_a_start_date():
    """by_month and a calendar without run.start are refused at their lines."""
    with pytest.raises(ScenarioError) as error:
        loads(
            "name: x\nrun: {horizon: 7d}\ndemand:\n  arrivals: {rate: 5/day, by_month: "
            "[1,1,1,1,1,1,1,1,1,1,1,2]}\n  calendar: [{date: 2026-01-01, closed: true}]\n",
            file="shop.yaml",
        )
    assert str(error.value).splitlines() == [
        "shop.yaml:4: demand.arrivals.by_month: needs run.start (the calendar date at time 0, "
        "like start: 2026-01-05)",
        "shop.yaml:5: demand.calendar: needs run.start (the calendar date at time 0, like "
        "start: 2026-01-05)",
    ]


def test_a_calendar_names_only_staff_pools_that_exist():
    """A staffing change for an unknown pool is refused at its key."""
    with pytest.raises(ScenarioError, match=r"calendar\.0\.staff\.pikers: no staff pool 'pikers'"):
        loads(
            "name: x\nrun: {horizon: 7d, start: 2026-01-05}\ndemand:\n  arrivals: {rate: 5/day}\n"
            "  calendar: [{date: 2026-01-06, staff: {pikers: 0.5}}]\n"
            "staff: {pickers: {headcount: 2}}\n"
        )


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{closed: true}", "give the date, or from and to"),
        ("{from: 2026-01-09}", "give both from and to"),
        ("{from: 2026-01-09, to: 2026-01-08, demand: 2}", "to (2026-01-08) is before from"),
        ("{date: 2026-01-09}", "say what changes"),
        ("{date: 2026-01-09, closed: true, demand: 2}", "a closed date has no orders"),
        ("{date: 2026-02-30, closed: true}", "no such date: '2026-02-30'"),
    ],
)
def test_a_calendar_entry_says_what_is_wrong_with_it(entry, message):
    """Each kind of broken calendar entry gets its own message."""
    with pytest.raises(ScenarioError, match=re.escape(message)):
        loads(
            "name: x\nrun: {horizon: 7d, start: 2026-01-05}\ndemand:\n  arrivals: {rate: 5/day}\n"
            f"  calendar: [{entry}]\n"
        )


# --------------------------------------------------------------------------- staff
def plan(levels, calendar, horizon=24 * 14, pool="desk"):
    """The headcount on duty over time, ``[(0.0, level), (time, new level), ...]``."""
    changes = [
        (hour, max(0, before - after), max(0, after - before))
        for (_, before), (hour, after) in zip(levels, levels[1:])
    ]
    last, first = levels[-1][1], levels[0][1]
    if last != first:  # the week turns: back to the level of hour 0
        changes.append((0.0, max(0, last - first), max(0, first - last)))
    changes.sort()
    level, steps = change_plan(levels[0][1], levels, changes, calendar, pool, horizon)
    seen = [(0.0, level)]
    for time, ending, starting in steps:
        if time >= horizon:
            break
        level += starting - ending
        seen.append((time, level))
    return seen


def test_shifts_follow_the_weekday_of_the_start():
    """A Monday 08:00-16:00 shift, with time 0 a Wednesday, is on duty from hour 128 to 136."""
    levels = weekly_levels([Shift(days=["mon"], start="08:00", end="16:00", headcount=2)])
    assert plan(levels, Calendar(dt.date(2026, 1, 7)), horizon=24 * 7) == [
        (0.0, 0), (128.0, 2), (136.0, 0),
    ]


def test_nobody_is_on_duty_on_a_closed_date():
    """Daily 08:00-16:00 shifts skip the closed second day (Tuesday)."""
    levels = weekly_levels([Shift(start="08:00", end="16:00", headcount=2)])
    calendar = Calendar(dt.date(2026, 1, 5), closed=[dt.date(2026, 1, 6)])
    assert plan(levels, calendar, horizon=72) == [
        (0.0, 0), (8.0, 2), (16.0, 0), (56.0, 2), (64.0, 0),
    ]


def test_a_staffing_change_multiplies_the_headcount_rounded_down():
    """Headcount 3 at 0.5 on one date is 1 that day (3 × 0.5 = 1.5, rounded down)."""
    calendar = Calendar(dt.date(2026, 1, 5), staff={dt.date(2026, 1, 6): {"desk": 0.5}})
    assert plan([(0.0, 3)], calendar, horizon=72) == [(0.0, 3), (24.0, 1), (48.0, 3)]


def test_a_staffing_change_for_another_pool_leaves_this_one_alone():
    """A date with a factor for pickers does not change the desk."""
    calendar = Calendar(dt.date(2026, 1, 5), staff={dt.date(2026, 1, 6): {"pickers": 0.5}})
    assert plan([(0.0, 3)], calendar, horizon=72) == [(0.0, 3)]


def test_a_closed_date_costs_no_labour():
    """Two workers on duty around the clock for 3 days, one of them closed: 96 paid hours."""
    scenario = Scenario.model_validate(
        {
            "name": "closed-labour",
            "run": {"horizon": "3d", "start": "2026-01-05"},
            "demand": {
                "arrivals": {"rate": "0/h"},
                "calendar": [{"date": "2026-01-06", "closed": True}],
            },
            "staff": {"desk": {"headcount": 2, "wage": "1/h"}},
        }
    )
    metrics = {(m, s): v for m, s, v, _ in simulate(scenario, 0).metrics}
    assert metrics["cost_labor", "desk"] == pytest.approx(2 * 48)


# --------------------------------------------------------------------------- suppliers
def slots(deliveries, calendar, horizon=24 * 30):
    spec = Supplier.model_validate({"lead_time": "1h", "deliveries": deliveries})
    return DeliverySlots(spec, calendar, horizon)


def test_an_order_waits_for_the_first_delivery_slot():
    """Due Sunday 02:00 with Monday-to-Saturday 06:00 slots: delivered Monday 06:00."""
    mon_to_sat = {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "at": "06:00"}
    assert slots(mon_to_sat, Calendar()).first_on_or_after(6 * 24 + 2) == 7 * 24 + 6


def test_an_order_due_at_a_slot_is_delivered_then():
    """Due exactly at Tuesday 06:00: delivered at Tuesday 06:00."""
    assert slots({"at": "06:00"}, Calendar()).first_on_or_after(30.0) == 30.0


def test_there_is_no_delivery_on_a_closed_date():
    """With Tuesday closed, an order due Monday 07:00 comes Wednesday 06:00."""
    calendar = Calendar(dt.date(2026, 1, 5), closed=[dt.date(2026, 1, 6)])
    assert slots({"at": "06:00"}, calendar).first_on_or_after(7.0) == 2 * 24 + 6


def test_without_delivery_slots_a_closed_date_moves_the_delivery_to_the_next_midnight():
    """Without deliveries, an order due on a closed Tuesday comes Wednesday 00:00."""
    calendar = Calendar(dt.date(2026, 1, 5), closed=[dt.date(2026, 1, 6)])
    spec = Supplier.model_validate({"lead_time": "1h"})
    assert DeliverySlots(spec, calendar, 240).first_on_or_after(30.0) == 48.0


def deliveries(reliability, short_fraction, orders=400, units=10):
    """What a supplier delivers for ``orders`` purchase orders of ``units`` each."""
    ctx = ModelContext(simpy.Environment(), 0.0, 1e6, seed=1, replication=0)
    spec = Supplier.model_validate(
        {"lead_time": "1h", "reliability": reliability, "short_fraction": short_fraction}
    )
    line = SupplyLine("acme", spec, "w", ctx)
    got = []
    for _ in range(orders):
        line.place(units, lambda event: got.append(event.value))
    ctx.env.run()
    return got


def test_a_reliable_supplier_delivers_every_unit():
    """reliability 1: every delivery is the whole order, as a plain count."""
    assert set(deliveries(1.0, 0.0, orders=20)) == {10}


def test_an_order_delivered_short_brings_its_short_fraction_rounded_down():
    """reliability 0, short_fraction 0.55: every order of 10 brings 5."""
    assert set(deliveries(0.0, 0.55, orders=20)) == {(10, 5)}


def test_the_share_of_orders_delivered_in_full_is_the_reliability():
    """At reliability 0.8, the share of full deliveries of 400 is within its binomial interval."""
    got = deliveries(0.8, 0.5)
    full = sum(1 for value in got if value == 10)
    low, high = stats.binom.interval(0.999, len(got), 0.8)
    assert low <= full <= high


def test_units_that_never_come_leave_the_inventory_position():
    """A periodic review up to 10 with every order half delivered: 5 on hand, none on order."""
    scenario = Scenario.model_validate(
        {
            "name": "short",
            "run": {"horizon": "20h"},
            "demand": {"arrivals": {"rate": "0/h"}},
            "products": {
                "w": {"price": 1, "unit_cost": 1, "supplier": "acme",
                      "policy": {"type": "periodic", "review": "1w", "S": 10}},
            },
            "suppliers": {"acme": {"lead_time": "2h", "reliability": 0, "short_fraction": 0.5}},
        }
    )
    model = Model(scenario, 0)
    model.run(series=False)
    stock = model.stocks[0]
    assert (stock.on_hand, stock.on_order, stock.position) == (5, 0, 5)


# --------------------------------------------------------------------------- reviews
class _Shelf:
    """A stand-in stock that notes when it is reviewed."""

    position = 0

    def __init__(self):
        self.reviews = []

    def order(self, units, now):
        self.reviews.append(now)


def review_times(policy, calendar, horizon):
    ctx = ModelContext(simpy.Environment(), 0.0, horizon, 0, 0, calendar)
    shelf = _Shelf()
    reorder_policy(PeriodicPolicy.model_validate(policy)).start(shelf, ctx)
    ctx.env.run(until=horizon)
    return shelf.reviews


def test_reviews_happen_at_a_time_of_day_on_chosen_days():
    """review: 1d at 20:00 Monday to Saturday: six evenings a week, none on Sunday."""
    policy = {"type": "periodic", "review": "1d", "at": "20:00",
              "days": ["mon", "tue", "wed", "thu", "fri", "sat"], "S": 5}
    assert review_times(policy, Calendar(), 24 * 14) == [
        d * 24 + 20.0 for d in range(14) if d % 7 != 6
    ]


def test_a_weekly_review_on_a_chosen_day():
    """review: 1w on Thursdays at 09:30, from a Monday start: hours 81.5, 249.5, ..."""
    policy = {"type": "periodic", "review": "1w", "at": "09:30", "days": ["thu"], "S": 5}
    assert review_times(policy, Calendar(), 24 * 21) == [3 * 24 + 9.5 + 168 * k for k in range(3)]


def test_a_review_due_on_a_closed_date_does_not_happen():
    """Daily reviews at 20:00 skip the closed Wednesday."""
    policy = {"type": "periodic", "review": "1d", "at": "20:00", "S": 5}
    calendar = Calendar(dt.date(2026, 1, 5), closed=[dt.date(2026, 1, 7)])
    assert review_times(policy, calendar, 24 * 4) == [20.0, 44.0, 92.0]


def test_without_at_or_days_a_review_is_at_time_zero_and_every_period():
    """review: 36h without at or days: hours 0, 36, 72 (as in version 1)."""
    policy = {"type": "periodic", "review": "36h", "S": 5}
    assert review_times(policy, Calendar(), 100) == [0.0, 36.0, 72.0]


def test_calendar_of_a_scenario_holds_its_closed_and_staffing_dates():
    """Closures and staffing changes of every channel make the business's calendar."""
    scenario = loads(
        "name: x\nrun: {horizon: 7d, start: 2026-01-05}\n"
        "demand:\n  - name: a\n    arrivals: {rate: 5/day}\n"
        "    calendar: [{from: 2026-01-06, to: 2026-01-07, closed: true}]\n"
        "  - name: b\n    arrivals: {rate: 5/day}\n"
        "    calendar: [{date: 2026-01-08, staff: {desk: 0.5}}]\n"
        "staff: {desk: {headcount: 2}}\n"
    )
    calendar = calendar_of(scenario, {})
    assert [calendar.closed(d) for d in range(4)] == [False, True, True, False]
    assert calendar.staff_factor(3, "desk") == 0.5
