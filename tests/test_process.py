"""Process steps: task times, FIFO queues, balking, patience and pure delays."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.build import Model
from sim.scenario.models import Scenario


def build(process, staff, *, horizon="20h", patience=None, orders=(0.0,)):
    """A model with no random arrivals, the given steps, and orders placed at fixed hours."""
    demand = {"arrivals": {"rate": "0/h"}}
    if patience is not None:
        demand["patience"] = patience
    data = {
        "name": "process-test",
        "run": {"horizon": horizon},
        "demand": demand,
        "staff": staff,
        "process": process,
    }
    model = Model(Scenario.model_validate(data), 0)
    for t in orders:
        model.channels[0].order_at(t)
    model.run()
    return model.metrics()


ONE_DESK = {"desk": {"headcount": 1, "wage": "10/h"}}


def test_single_order_through_three_steps_takes_the_sum_of_the_task_times():
    """An order through steps of 1h, 2h and 3h with free workers completes 6h after arriving."""
    staff = {name: {"headcount": 1} for name in ("a", "b", "c")}
    process = [
        {"step": "one", "staff": "a", "time": "1h"},
        {"step": "two", "staff": "b", "time": "2h"},
        {"step": "three", "staff": "c", "time": "3h"},
    ]
    m = build(process, staff, horizon="10h", orders=(1.0,))
    assert m["orders_completed", "all"] == 1
    assert m["cycle_time_mean_h", "all"] == pytest.approx(6.0)
    assert m["cycle_time_p95_h", "all"] == pytest.approx(6.0, rel=0.005)
    assert m["wait_mean_h", "two"] == 0.0
    assert m["utilization", "c"] == pytest.approx(3.0 / 10.0)


def test_second_order_waits_for_the_only_worker_first_come_first_served():
    """Two orders half an hour apart at a one-worker 1h step: the second waits 0.5h."""
    process = [{"step": "serve", "staff": "desk", "time": "1h"}]
    m = build(process, ONE_DESK, horizon="10h", orders=(0.0, 0.5))
    assert m["wait_mean_h", "serve"] == pytest.approx(0.25)
    assert m["queue_mean", "serve"] == pytest.approx(0.5 / 10.0)
    assert m["cycle_time_mean_h", "all"] == pytest.approx((1.0 + 1.5) / 2)
    assert m["utilization", "desk"] == pytest.approx(2.0 / 10.0)


def test_queue_limit_zero_refuses_an_order_when_every_worker_is_busy():
    """With queue_limit 0 (a loss system) an order that finds the worker busy balks."""
    process = [{"step": "serve", "staff": "desk", "time": "1h", "queue_limit": 0}]
    m = build(process, ONE_DESK, orders=(0.0, 0.5, 2.0))
    assert m["orders_completed", "all"] == 2
    assert m["balk_rate", "serve"] == pytest.approx(1 / 3)
    assert m["balk_rate", "all"] == pytest.approx(1 / 3)


def test_queue_limit_lets_that_many_orders_wait():
    """With queue_limit 1, the second order waits and the third, finding one waiting, balks."""
    process = [{"step": "serve", "staff": "desk", "time": "1h", "queue_limit": 1}]
    m = build(process, ONE_DESK, orders=(0.0, 0.1, 0.2))
    assert m["orders_completed", "all"] == 2
    assert m["balk_rate", "serve"] == pytest.approx(1 / 3)


def test_an_order_abandons_the_queue_when_its_patience_runs_out():
    """With 0.5h of patience, an order stuck behind a 1h task leaves after 0.5h in the queue."""
    process = [{"step": "serve", "staff": "desk", "time": "1h"}]
    m = build(process, ONE_DESK, horizon="10h", patience="30min", orders=(0.0, 0.1))
    assert m["orders_completed", "all"] == 1
    assert m["abandon_rate", "all"] == pytest.approx(0.5)
    assert m["queue_mean", "serve"] == pytest.approx(0.5 / 10.0)
    assert m["wait_mean_h", "serve"] == 0.0  # only the order that started counts


def test_an_order_joining_a_queue_after_its_deadline_abandons_at_once():
    """An order whose patience ran out during a delay step abandons when it must queue."""
    process = [
        {"step": "cure", "time": "2h"},
        {"step": "serve", "staff": "desk", "time": "3h"},
    ]
    m = build(process, ONE_DESK, horizon="10h", patience="1h", orders=(0.0, 0.5))
    # The first order is past its deadline too, but it never waits: it is served.
    assert m["orders_completed", "all"] == 1
    assert m["abandon_rate", "all"] == pytest.approx(0.5)
    assert m["queue_mean", "serve"] == 0.0


def test_a_step_without_staff_is_a_pure_delay_with_no_queue():
    """Two orders reaching a 2h delay step together both finish 2h later."""
    m = build([{"step": "cure", "time": "2h"}], {}, horizon="10h", orders=(1.0, 1.0))
    assert m["orders_completed", "all"] == 2
    assert m["cycle_time_mean_h", "all"] == pytest.approx(2.0)
    assert m["wait_mean_h", "cure"] == 0.0


def test_a_pool_shared_by_two_steps_serves_them_first_come_first_served():
    """One worker shared by two 1h steps: the second order's first step waits for the first's."""
    process = [
        {"step": "one", "staff": "desk", "time": "1h"},
        {"step": "two", "staff": "desk", "time": "1h"},
    ]
    m = build(process, ONE_DESK, horizon="10h", orders=(0.0, 0.5))
    # 0-1 A one; 1-2 B one (queued since 0.5, ahead of A's step two); 2-3 A two (queued
    # since 1); 3-4 B two (queued since 2).
    assert m["wait_mean_h", "one"] == pytest.approx(0.25)
    assert m["wait_mean_h", "two"] == pytest.approx(1.0)
    assert m["cycle_time_mean_h", "all"] == pytest.approx((3.0 + 3.5) / 2)


def test_nothing_completed_gives_nan_cycle_time():
    """Ratios and means with nothing to average over are NaN, not zero."""
    m = build([{"step": "serve", "staff": "desk", "time": "1h"}], ONE_DESK, orders=())
    assert math.isnan(m["cycle_time_mean_h", "all"])
    assert math.isnan(m["balk_rate", "serve"])
    assert math.isnan(m["abandon_rate", "all"])


POOLS = st.one_of(
    st.builds(lambda n: {"headcount": n}, st.integers(0, 3)),
    st.builds(
        lambda start, length, n: {"shifts": [{
            "start": f"{start:02d}:00", "end": f"{(start + length) % 24:02d}:00", "headcount": n}]},
        st.integers(0, 23), st.integers(1, 23), st.integers(1, 3)),
    # Two shifts handing over: the outgoing workers finish on overtime.
    st.builds(
        lambda start, first, second, n, m: {"shifts": [
            {"start": f"{start:02d}:00", "end": f"{(start + first) % 24:02d}:00", "headcount": n},
            {"start": f"{(start + first) % 24:02d}:00",
             "end": f"{(start + first + second) % 24:02d}:00", "headcount": m},
        ]},
        st.integers(0, 23), st.integers(1, 11), st.integers(1, 11), st.integers(1, 3),
        st.integers(0, 3)),
)


@settings(max_examples=40, deadline=None)
@given(
    pools=st.lists(POOLS, min_size=1, max_size=2),
    steps=st.lists(
        st.tuples(st.integers(0, 1), st.one_of(st.none(), st.integers(0, 3)),
                  st.floats(0.05, 2.0)),
        min_size=1, max_size=3),
    patience=st.one_of(st.none(), st.floats(0.05, 3.0)),
    rate=st.floats(0.2, 6.0),
    seed=st.integers(0, 1000),
)
def test_every_order_is_accounted_for(pools, steps, patience, rate, seed):
    """Arrived = completed + balked + abandoned + still waiting + in service, at any horizon."""
    staff = {f"p{i}": spec for i, spec in enumerate(pools)}
    process = []
    for i, (pool, limit, mean) in enumerate(steps):
        step = {"step": f"s{i}", "staff": f"p{pool % len(pools)}",
                "time": {"dist": "exponential", "mean": f"{mean}h"}}
        if limit is not None:
            step["queue_limit"] = limit
        process.append(step)
    demand = {"arrivals": {"rate": f"{rate}/h"}}
    if patience is not None:
        demand["patience"] = {"dist": "exponential", "mean": f"{patience}h"}
    data = {"name": "flow", "run": {"horizon": "100h", "seed": seed}, "demand": demand,
            "staff": staff, "process": process}
    model = Model(Scenario.model_validate(data), 0)
    model.run()
    flow = model.flow
    waiting = sum(step.queue_length for step in model.steps)
    live = sum(
        sum(1 for o in pool.queue if o.waiting_in is not None) for pool in model.pools.values()
    )
    working = sum(pool.working for pool in model.pools.values())
    assert waiting == live
    assert flow.arrived == flow.completed + flow.balked + flow.abandoned + waiting + working
    assert flow.balked == sum(step.balked for step in model.steps)
    for pool in model.pools.values():
        assert 0 <= pool.busy <= pool.on_duty
        assert pool.overtime_level.level == pool.overtime >= 0
        assert pool.busy_level.level == pool.busy + pool.overtime
        if pool.busy < pool.on_duty:  # work-conserving: no one waits while a worker is free
            assert all(o.waiting_in is None for o in pool.queue)


def test_queue_limit_counts_only_the_orders_waiting_at_its_own_step():
    """In a pool shared by two steps, orders waiting at the other step do not fill this
    step's queue: with queue_limit 1 the third order waits and only the fourth balks."""
    process = [
        {"step": "take", "staff": "desk", "time": "1h", "queue_limit": 1},
        {"step": "do", "staff": "desk", "time": "3h"},
    ]
    m = build(process, ONE_DESK, orders=(0.0, 0.5, 1.5, 1.7))
    # At 1.5 the only order waiting is the first, at "do": "take" has room for the third.
    assert m["balk_rate", "take"] == pytest.approx(1 / 4)
    assert m["orders_completed", "all"] == 3


def test_on_overtime_no_worker_is_free_so_orders_queue_up_to_the_limit():
    """After a shift ends, a worker still finishing a task is not free: the next order waits
    (up to queue_limit) for the next shift, and the one after balks."""
    staff = {"desk": {"shifts": [{"start": "08:00", "end": "10:00", "headcount": 1}]}}
    process = [{"step": "serve", "staff": "desk", "time": "2h", "queue_limit": 1}]
    m = build(process, staff, horizon="2d", orders=(9.0, 10.5, 10.75))
    # 09:00-11:00 on overtime; the 10:30 order waits until Tuesday 08:00; 10:45 balks.
    assert m["balk_rate", "serve"] == pytest.approx(1 / 3)
    assert m["wait_mean_h", "serve"] == pytest.approx((0.0 + (32.0 - 10.5)) / 2)
