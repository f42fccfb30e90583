"""Staff pools: weekly shifts, overtime past a shift's end, labour cost and utilization."""

from __future__ import annotations

import pytest

from sim.model.build import Model
from sim.model.staff import weekly_levels
from sim.scenario.models import Scenario, Shift


def build(staff, *, process=None, horizon="1w", orders=(), overtime_multiplier=1.5):
    """A model with one desk step, no random arrivals, and orders placed at fixed hours."""
    data = {
        "name": "staff-test",
        "run": {"horizon": horizon},
        "demand": {"arrivals": {"rate": "0/h"}},
        "staff": staff,
        "process": process or [{"step": "serve", "staff": "desk", "time": "2h"}],
        "costs": {"overtime_multiplier": overtime_multiplier},
    }
    model = Model(Scenario.model_validate(data), 0)
    for t in orders:
        model.channels[0].order_at(t)
    model.run()
    return model.metrics()


def test_a_shift_crossing_midnight_is_on_duty_into_the_next_day():
    """A Monday 22:00-06:00 shift is on duty from hour 22 to hour 30 of the week."""
    levels = weekly_levels([Shift(days=["mon"], start="22:00", end="06:00", headcount=2)])
    assert levels == [(0.0, 0), (22.0, 2), (30.0, 0)]


def test_a_sunday_night_shift_wraps_into_monday_morning():
    """A Sunday 22:00-06:00 shift covers the first six hours of the week."""
    levels = weekly_levels([Shift(days=["sun"], start="22:00", end="06:00", headcount=1)])
    assert levels == [(0.0, 1), (6.0, 0), (166.0, 1)]


def test_overlapping_shifts_add_up():
    """Two shifts overlapping from 12:00 to 14:00 put both headcounts on duty."""
    levels = weekly_levels([
        Shift(days=["mon"], start="08:00", end="14:00", headcount=2),
        Shift(days=["mon"], start="12:00", end="18:00", headcount=3),
    ])
    assert levels == [(0.0, 0), (8.0, 2), (12.0, 5), (14.0, 3), (18.0, 0)]


def test_a_shift_ending_at_24_00_hands_over_without_a_gap():
    """16:00-24:00 followed by the next day's 00:00-08:00 is one unbroken stretch."""
    levels = weekly_levels([
        Shift(days=["mon"], start="16:00", end="24:00", headcount=1),
        Shift(days=["tue"], start="00:00", end="08:00", headcount=1),
    ])
    assert levels == [(0.0, 0), (16.0, 1), (32.0, 0)]


def test_labour_is_paid_for_every_on_duty_hour_of_a_night_shift():
    """A Monday night shift of 2 workers for 8h at 10/h costs 160 over a week, idle or not."""
    staff = {"desk": {"wage": "10/h", "shifts": [
        {"days": ["mon"], "start": "22:00", "end": "06:00", "headcount": 2}]}}
    m = build(staff)
    assert m["cost_labor", "desk"] == pytest.approx(160.0)
    assert m["cost_labor", "all"] == pytest.approx(160.0)
    assert m["utilization", "desk"] == 0.0


def test_a_task_running_past_the_end_of_a_shift_is_overtime():
    """A 2h task started at 09:00 in a 08:00-10:00 shift runs 1h of overtime at 1.5x."""
    staff = {"desk": {"wage": "10/h", "shifts": [
        {"days": ["mon"], "start": "08:00", "end": "10:00", "headcount": 1}]}}
    m = build(staff, orders=(9.0,))
    assert m["orders_completed", "all"] == 1
    assert m["cycle_time_mean_h", "all"] == pytest.approx(2.0)
    assert m["cost_labor", "desk"] == pytest.approx(10.0 * (2.0 + 1.5 * 1.0))
    assert m["utilization", "desk"] == pytest.approx(2.0 / 3.0)


def test_no_task_starts_after_the_shift_ends_and_the_queue_waits_for_the_next_shift():
    """An order queued when the shift ends starts when the next day's shift begins."""
    shift = {"start": "08:00", "end": "10:00", "headcount": 1}
    staff = {"desk": {"wage": "10/h", "shifts": [shift]}}
    m = build(staff, horizon="2d", orders=(9.0, 9.5))
    # First: 9:00-11:00 (1h overtime). Second: waits from 9:30 until Tuesday 08:00 (hour 32).
    assert m["orders_completed", "all"] == 2
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + 22.5) / 2)
    assert m["cycle_time_mean_h", "all"] == pytest.approx((2.0 + 24.5) / 2)


def test_a_rising_headcount_starts_queued_work_at_once():
    """Orders waiting overnight all start when a 3-worker shift comes on duty."""
    staff = {"desk": {"shifts": [{"start": "08:00", "end": "16:00", "headcount": 3}]}}
    m = build(staff, horizon="1d", orders=(1.0, 2.0, 3.0))
    assert m["orders_completed", "all"] == 3
    assert m["wait_mean_h", "serve"] == pytest.approx((7.0 + 6.0 + 5.0) / 3)


def test_a_constant_headcount_is_on_duty_around_the_clock():
    """Three workers at 20/h with no work cost 3 x 24 x 20 a day and are 0% utilized."""
    m = build({"desk": {"headcount": 3, "wage": "20/h"}}, horizon="1d")
    assert m["cost_labor", "desk"] == pytest.approx(3 * 24 * 20.0)
    assert m["utilization", "desk"] == 0.0


def test_labour_is_counted_only_inside_the_window():
    """Labour before the warm-up ends is not part of the window's cost."""
    data = {
        "name": "window",
        "run": {"horizon": "2d", "warmup": "1d"},
        "demand": {"arrivals": {"rate": "0/h"}},
        "staff": {"desk": {"headcount": 1, "wage": "1/h"}},
    }
    model = Model(Scenario.model_validate(data), 0)
    model.run()
    assert model.metrics()["cost_labor", "desk"] == pytest.approx(24.0)


def test_weekly_shifts_repeat_every_week():
    """Weekday, evening and Saturday shifts over two weeks are paid for every on-duty hour."""
    staff = {"desk": {"wage": "1/h", "shifts": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00",
         "headcount": 6},
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "16:00", "end": "24:00",
         "headcount": 3},
        {"days": ["sat"], "start": "09:00", "end": "13:00", "headcount": 2},
    ]}}
    m = build(staff, horizon="2w")
    assert m["cost_labor", "desk"] == pytest.approx(2 * (5 * 8 * 6 + 5 * 8 * 3 + 4 * 2))


# --------------------------------------------------------------------------- hand-over rules
HAND_OVER = {"desk": {"wage": "10/h", "shifts": [
    {"days": ["mon"], "start": "08:00", "end": "16:00", "headcount": 1},
    {"days": ["mon"], "start": "16:00", "end": "24:00", "headcount": 1}]}}
OVERLAPPING = {"desk": {"wage": "10/h", "shifts": [
    {"days": ["mon"], "start": "08:00", "end": "16:00", "headcount": 1},
    {"days": ["mon"], "start": "08:00", "end": "20:00", "headcount": 1}]}}


def test_the_incoming_shift_starts_on_waiting_work_while_the_outgoing_one_finishes():
    """At a 16:00 hand-over the evening worker takes the waiting order at once; the day worker
    finishes the 15:00-17:00 task on overtime."""
    m = build(HAND_OVER, horizon="1d", orders=(15.0, 15.5))
    # Order 1: 15:00-17:00 (1h overtime). Order 2: waits 15:30-16:00, served 16:00-18:00.
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + 0.5) / 2)
    assert m["cycle_time_mean_h", "all"] == pytest.approx((2.0 + 2.5) / 2)
    assert m["cost_labor", "desk"] == pytest.approx(10.0 * (16.0 + 1.5 * 1.0))


def test_the_workers_going_off_duty_are_the_ones_whose_tasks_end_first():
    """When one of two busy workers goes off duty at 16:00, the first task to end (16:30) is
    the last of that shift: its worker goes home, and the queued order waits for 17:00."""
    m = build(OVERLAPPING, horizon="1d", orders=(14.5, 15.0, 15.5))
    # Tasks 14:30-16:30 and 15:00-17:00; the third order waits 15:30-17:00.
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + 0.0 + 1.5) / 3)
    assert m["cost_labor", "desk"] == pytest.approx(10.0 * (8.0 + 12.0 + 1.5 * 0.5))


def test_idle_workers_go_off_duty_before_busy_ones():
    """With one of two workers idle when a shift ends, the idle one leaves: no overtime, and
    the busy one stays on duty."""
    m = build(OVERLAPPING, horizon="1d", orders=(15.0, 16.25))
    # The 16:15 order waits for the remaining worker, free at 17:00.
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + 0.75) / 2)
    assert m["cost_labor", "desk"] == pytest.approx(10.0 * (8.0 + 12.0))


def test_a_24_hour_shift_on_consecutive_days_goes_on_without_a_hand_over():
    """A 00:00-24:00 shift on Monday and Tuesday is one stretch: no overtime at midnight and no
    fresh worker for the order waiting since 23:30."""
    staff = {"desk": {"wage": "10/h", "shifts": [
        {"days": ["mon", "tue"], "start": "00:00", "end": "24:00", "headcount": 1}]}}
    m = build(staff, horizon="2d", orders=(23.0, 23.5))
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + 1.5) / 2)
    assert m["cost_labor", "desk"] == pytest.approx(10.0 * 48.0)


def test_weekly_changes_keep_the_outgoing_and_incoming_workers_apart():
    """A hand-over from 6 day workers to 3 evening workers is 6 leaving and 3 joining."""
    from sim.scenario.roster import weekly_changes

    on_duty, changes = weekly_changes([
        Shift(days=["mon"], start="08:00", end="16:00", headcount=6),
        Shift(days=["mon"], start="16:00", end="24:00", headcount=3),
    ])
    assert on_duty == 0
    assert changes == [(8.0, 0, 6), (16.0, 6, 3), (24.0, 3, 0)]
