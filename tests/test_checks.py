"""Checks before running: overload, unstaffed hours, supply, money and mix, shifts.

Every figure a check prints is worked out here by hand from the scenario, and the
offered load is compared with the utilization the simulation measures.
"""

from __future__ import annotations

import html

import pytest

import sim
from sim.output.report import format_html, format_table
from sim.scenario.checks import Facts, check, warnings
from sim.scenario.loader import loads

DESK = """\
name: desk
run: {horizon: 4w, warmup: 1w, replications: 4, seed: 3}
demand:
  arrivals: {rate: %(rate)s}
staff:
  desk: {headcount: 2}
process:
  - {step: serve, staff: desk, time: 2min}
"""


def found(text: str, code: str | None = None) -> list:
    """The findings of the scenario written in ``text`` (of one code, if given)."""
    return [f for f in check(loads(text)) if code is None or f.code == code]


# --------------------------------------------------------------------------- overload
def test_a_rate_typo_overloads_the_pool_and_says_both_figures():
    """350/h instead of 350/day: 350 × 168 × 2min = 1,960 h of work for 2 × 168 = 336 h."""
    (finding,) = found(DESK % {"rate": "350/h"}, "overload")
    assert finding.key == "staff.desk" and finding.level == "warning"
    assert "serve needs 583% of the on-duty hours of desk over the week" in finding.message
    assert "(1,960 h of work, 336 h on duty)" in finding.message
    assert "queues grow without bound; results depend on the horizon" in finding.message


def test_the_same_rate_per_day_raises_nothing():
    """350/day brings 81.7 h of work a week for 336 h on duty: nothing to say."""
    assert found(DESK % {"rate": "350/day"}) == []


WEEKDAYS = """\
name: weekdays
run: {horizon: 2w}
demand:
  arrivals: {rate: 100/day, by_weekday: [1, 1, 1, 1, 1, 0, 0]}
  lines: 2
  quantity: 3
staff:
  crew: {shifts: [{days: [mon, tue, wed, thu, fri], start: "08:00", end: "16:00", headcount: 2}]}
process:
  - {step: pick, staff: crew, time: 10min, per_unit: 1min}
  - {step: pack, staff: crew, time: 4min}
"""


def test_the_weekly_load_counts_the_profile_units_per_unit_and_every_step_of_the_pool():
    """700 orders a week × (10min + 6 units × 1min + 4min) = 233 h for 5 × 8 × 2 = 80 h."""
    (finding,) = found(WEEKDAYS, "overload")
    assert finding.message.startswith("pick and pack need 292% of the on-duty hours of crew")
    assert "(233 h of work, 80 h on duty" in finding.message


def test_with_patience_the_overload_says_what_share_cannot_be_done():
    """At 583% with impatient customers, at least 1 − 1/5.83 = 83% of the work is never done."""
    text = (DESK % {"rate": "350/h"}).replace(
        "arrivals: {rate: 350/h}", "arrivals: {rate: 350/h}\n  patience: 5min"
    )
    (finding,) = found(text, "overload")
    assert "at least 83% of it cannot be done: orders will give up or be refused" in finding.message


def test_offered_load_matches_the_utilization_the_simulation_measures():
    """A stable pool's weekly load (profile, lines, per_unit) lies in the CI of its utilization."""
    text = """\
name: measured
run: {horizon: 5w, warmup: 1w, replications: 5, seed: 11}
demand:
  arrivals: {rate: 9/h, by_hour: [1,1,1,1,1,1,2,3,3,3,3,3,3,3,3,3,3,2,2,2,1,1,1,1]}
  lines: {dist: poisson, mean: 1.5, min: 1}
  quantity: {dist: geometric, mean: 2}
staff:
  desk: {headcount: 4}
process:
  - {step: serve, staff: desk, time: {dist: exponential, mean: 12min}, per_unit: 1min}
"""
    scenario = loads(text)
    facts = Facts(scenario)
    offered = sum(facts.work_by_hour("desk")) / sum(facts.on_duty["desk"])
    assert offered == pytest.approx(9 * (12 + 1.5 * 2) / 60 / 4)  # 0.5625
    summary = sim.run(scenario, workers=1, progress=False).summary().set_index(
        ["metric", "subject"]
    )
    row = summary.loc[("utilization", "desk")]
    assert row["ci_low"] <= offered <= row["ci_high"]


PEAK = """\
name: peak
run: {horizon: 2w}
demand:
  arrivals: {rate: 1/h, by_hour: [0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}
%(extra)s
staff:
  desk: {headcount: 1}
process:
  - {step: serve, staff: desk, time: 5min}
"""


def test_a_peak_hour_warns_when_its_noise_free_wait_is_longer_than_patience():
    """24 orders of 5min at 08:00-09:00 for one worker leave 1 h of work at 09:00: 1 h of wait."""
    (finding,) = found(PEAK % {"extra": "  patience: 20min"}, "peak_overload")
    assert "(Mon 08:00-09:00: 2 h of work for 1 on duty, 200%)" in finding.message
    assert "work arriving by Mon 09:00 would wait about 1 h" in finding.message
    assert "longer than the customers' mean patience (20min)" in finding.message


def test_a_peak_hour_is_measured_against_the_promise_without_patience():
    """With no patience, the same 1 h wait is compared with a 30min promise."""
    (finding,) = found(PEAK % {"extra": "service: {promise: 30min}"}, "peak_overload")
    assert "longer than the promise (30min)" in finding.message


def test_a_peak_hour_that_clears_within_a_day_is_not_a_warning():
    """With neither patience nor a promise, a 1 h backlog is normal: no finding."""
    assert found(PEAK % {"extra": ""}, "peak_overload") == []


# --------------------------------------------------------------------------- unstaffed hours
OFFICE = """\
name: office
run: {horizon: 2w}
demand:
  arrivals: {rate: 10/h, by_hour: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0]}
%(extra)s
staff:
  desk: {shifts: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", headcount: 3}]}
process:
  - {step: serve, staff: desk, time: 10min%(limit)s}
"""


def test_demand_when_nobody_is_on_duty_names_the_days_and_hours():
    """Orders from 08:00 to 18:00 every day, staff 09:00-17:00 on weekdays: 10 + 20 of 70 hours."""
    (finding,) = found(OFFICE % {"extra": "", "limit": ""}, "unstaffed_hours")
    assert finding.key == "staff.desk" and finding.level == "note"
    assert "no one from desk is on duty for serve when 43% of the orders arrive" in finding.message
    assert "(Mon-Fri 08:00-09:00 and 17:00-18:00, Sat-Sun 08:00-18:00)" in finding.message


def test_impatient_customers_arriving_when_nobody_works_are_a_warning():
    """With patience, those orders give up: the finding says so and is a warning."""
    (finding,) = found(OFFICE % {"extra": "  patience: 15min", "limit": ""}, "unstaffed_hours")
    assert finding.level == "warning"
    assert "customers give up after 15min on average" in finding.message


def test_more_orders_in_a_closed_stretch_than_the_queue_limit_is_a_warning():
    """Friday 17:00 to Monday 09:00 brings 22 open hours × 24/h = 528 orders; the limit is 50."""
    (finding,) = found(OFFICE % {"extra": "", "limit": ", queue_limit: 50"}, "unstaffed_hours")
    assert finding.level == "warning"
    assert "more than queue_limit 50: the rest are refused" in finding.message


def test_a_pool_never_on_duty_is_a_warning():
    """Zero staff on every shift: every order waits for ever."""
    text = (OFFICE % {"extra": "", "limit": ""}).replace("headcount: 3", "headcount: 0")
    (finding,) = found(text, "never_on_duty")
    assert "no one from desk is ever on duty" in finding.message


# --------------------------------------------------------------------------- supply
SHOP = """\
name: shop
run: {horizon: 2w}
demand:
  arrivals: {rate: 50/day}
  when_out_of_stock: %(when)s
products:
  widget: {price: 10, unit_cost: 4, supplier: acme, policy: %(policy)s}
suppliers:
  acme: {lead_time: 5d}
"""


def test_a_policy_that_cannot_cover_the_lead_time_demand_says_how_short_it_falls():
    """50/day over 5 days is 250 units; an s_S policy with S = 100 leaves 150 backordered."""
    text = SHOP % {"when": "backorder", "policy": "{type: s_S, s: 20, S: 100}"}
    (finding,) = found(text, "supply")
    assert finding.key == "products.widget.policy"
    assert "is about 250 units, more than the 100 its s_S policy can ever have" in finding.message
    assert "on average at least 150 units will be backordered" in finding.message


def test_with_lost_sales_the_supply_check_bounds_the_share_served():
    """r + Q = 100 of 250: at most 40% of the demand can be sold."""
    text = SHOP % {"when": "lost", "policy": "{type: r_Q, r: 20, Q: 80}"}
    (finding,) = found(text, "supply")
    assert "(r + Q = 100): at most 40% of it can be sold" in finding.message


def test_a_policy_that_covers_the_lead_time_demand_raises_nothing():
    """S = 300 covers 250 units: no supply finding."""
    text = SHOP % {"when": "backorder", "policy": "{type: base_stock, S: 300}"}
    assert found(text, "supply") == []


# --------------------------------------------------------------------------- money, mix, shifts
MIX = """\
name: mix
run: {horizon: 2w}
demand:
  arrivals: {rate: %(rate)s}
  sku_mix: %(mix)s
products:
  bread: {price: 3.2, unit_cost: 1.1}
  croissant: {price: 1.6, unit_cost: %(cost)s}
"""


def test_a_product_nobody_orders_is_a_warning():
    """croissant missing from the only sku_mix is never sold."""
    (finding,) = found(MIX % {"rate": "9/h", "mix": "{bread: 1}", "cost": 0.45}, "never_demanded")
    assert finding.key == "products.croissant"


def test_a_unit_cost_above_the_price_is_a_warning():
    """Buying at 1.75 and selling at 1.60 loses 0.15 a unit."""
    text = MIX % {"rate": "9/h", "mix": "{bread: 0.5, croissant: 0.5}", "cost": 1.75}
    (finding,) = found(text, "unit_cost_above_price")
    assert finding.key == "products.croissant.unit_cost"
    assert "every unit of croissant sold loses 0.15" in finding.message


def test_sku_mix_weights_that_do_not_sum_to_one_are_a_note():
    """0.6 and 0.6 are used as 50% and 50%: a note, since weights are relative."""
    text = MIX % {"rate": "9/h", "mix": "{bread: 0.6, croissant: 0.6}", "cost": 0.45}
    (finding,) = found(text, "sku_mix_total")
    assert finding.level == "note"
    assert "sum to 1.2; they are relative, so they are used as bread 50%, croissant 50%" in (
        finding.message
    )


def test_an_arrival_rate_of_zero_is_a_warning():
    """rate: 0/day: no orders at all."""
    text = MIX % {"rate": "0/day", "mix": "{bread: 0.5, croissant: 0.5}", "cost": 0.45}
    (finding,) = found(text, "no_arrivals")
    assert finding.key == "demand.arrivals.rate"


NIGHT = """\
name: night
run: {horizon: 2w}
demand: {arrivals: {rate: 1/h}}
staff:
  desk: {shifts: [{start: "%(start)s", end: "%(end)s", headcount: 1}]}
process:
  - {step: serve, staff: desk, time: 5min}
"""


def test_a_night_shift_crossing_midnight_is_a_note_with_its_length():
    """22:00-06:00 crosses midnight and lasts 8 hours: worth a note."""
    (finding,) = found(NIGHT % {"start": "22:00", "end": "06:00"}, "shift_crosses_midnight")
    assert finding.level == "note" and finding.key == "staff.desk.shifts.0"
    assert "crosses midnight and lasts 8 h" in finding.message


def test_a_shift_of_more_than_12_hours_across_midnight_is_a_warning():
    """13:00-07:00 lasts 18 hours: probably 07:00-13:00 was meant."""
    (finding,) = found(NIGHT % {"start": "13:00", "end": "07:00"}, "shift_crosses_midnight")
    assert finding.level == "warning"
    assert "lasts 18 h; did you mean 07:00-13:00?" in finding.message


# --------------------------------------------------------------------------- where and for whom
def test_a_finding_is_located_at_its_key_in_the_file():
    """The overload of pool desk is reported at the line of staff.desk."""
    (finding,) = found(DESK % {"rate": "350/h"})
    assert (finding.file, finding.line) == ("<string>", 6)
    assert str(finding).startswith("<string>:6: staff.desk: serve needs 583%")
    assert finding.labelled().startswith("warning: <string>:6:")


def test_a_finding_of_some_variants_only_names_them():
    """A variant with 72/h is overloaded (2.4 h of work an hour for 2); the others are not."""
    text = DESK % {"rate": "15/h"} + (
        "variants:\n  busy: {demand.arrivals.rate: 72/h}\n  calm: {demand.arrivals.rate: 5/h}\n"
    )
    (finding,) = found(text)
    assert finding.scenarios == ("busy",)
    assert "staff.desk: [busy] serve needs 120%" in str(finding)


def test_warnings_checks_one_scenario_without_its_variants():
    """warnings() looks at the scenario as it is; check() adds its variants."""
    text = DESK % {"rate": "15/h"} + "variants:\n  busy: {demand.arrivals.rate: 72/h}\n"
    assert warnings(loads(text)) == []
    assert len(check(loads(text))) == 1


def test_sim_check_is_the_front_door():
    """``sim.check`` is the same function, for notebooks."""
    assert sim.check is check


@pytest.fixture(scope="module")
def overloaded_run():
    """A short run of the 350/h desk, in this process."""
    scenario = loads(DESK % {"rate": "350/h"}).with_changes(
        {"run.horizon": "2d", "run.warmup": "1d", "run.replications": 2}
    )
    return sim.run(scenario, workers=1, progress=False)


def test_a_run_records_the_warnings_and_prints_them_under_the_table(overloaded_run):
    """sim.run() keeps the findings in results.record.warnings; the table shows them."""
    (line,) = overloaded_run.record.warnings
    assert line.startswith("warning: <string>:6: staff.desk: serve needs 583%")
    footnote = f"Found before the run (also in run.json):\n  {line}"
    assert format_table(overloaded_run).endswith(footnote)


def test_the_notebook_table_shows_the_warnings_too(overloaded_run):
    """The HTML a notebook shows for a Results ends with the same warning."""
    (line,) = overloaded_run.record.warnings
    assert format_html(overloaded_run).endswith(f"<br>{html.escape(line)}</small></p></div>")


# --------------------------------------------------------------------------- calendar
SEASONAL = """\
name: shop
run: {horizon: 52w, start: 2026-01-05, replications: 2}
demand:
  arrivals: {rate: 36/day%(months)s}
%(calendar)s
staff:
  desk: {headcount: 1}
process:
  - {step: serve, staff: desk, time: 20min}
"""


def seasonal(months: str = "", calendar: str = "") -> str:
    return SEASONAL % {"months": months, "calendar": calendar}


def test_a_plain_week_at_half_load_raises_nothing_about_the_calendar():
    """36 orders a day × 20 min = 12 h of work for 24 h on duty: 50%, every week alike."""
    assert found(seasonal(), "busiest_week") == []


def test_a_peak_month_overloads_the_pool_in_its_weeks():
    """by_month with March at 3 × the other months (mean 1): March runs at 3 × 50% / mean
    weight, above 100%, while the plain week is at 50%: the week named is in March."""
    months = ", by_month: [1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1]"
    (finding,) = found(seasonal(months), "busiest_week")
    assert finding.key == "staff.desk"
    mean = (11 * 1 + 3) / 12  # close enough to the day-weighted mean for the figure below
    assert "needs 50% of the on-duty hours of desk" in finding.message
    assert "in the week 2026-03-" in finding.message
    assert 3 * 0.5 / mean > 1.0


def test_a_promotion_overloads_the_week_it_runs_unless_the_staff_is_raised_with_it():
    """demand × 3 from 2026-06-01 to 06-07 makes that week 150%; staff × 2 those days makes
    it 75%, and the finding goes."""
    promo = "  calendar:\n    - {from: 2026-06-01, to: 2026-06-07, demand: 3}\n"
    (finding,) = found(seasonal(calendar=promo), "busiest_week")
    assert "in the week 2026-06-01 to 2026-06-07" in finding.message
    assert "150%" in finding.message
    staffed = promo + "    - {from: 2026-06-01, to: 2026-06-07, staff: {desk: 2}}\n"
    assert found(seasonal(calendar=staffed), "busiest_week") == []


def test_a_dated_exception_outside_the_run_is_named_at_its_line():
    """A closure dated before run.start never applies: a warning at that calendar entry."""
    text = seasonal(calendar="  calendar:\n    - {date: 2025-12-25, closed: true}\n")
    (finding,) = found(text, "calendar_outside_run")
    assert finding.key == "demand.calendar.0" and finding.line == 6
    assert finding.message.startswith("2025-12-25 is outside the run (2026-01-05 to 2027-01-03)")
