"""The sales pipeline channel: leads worked through stages by sales staff become orders."""

from __future__ import annotations

import re

import pytest

from sim.errors import ScenarioError
from sim.model.build import Model
from sim.scenario.loader import loads

BASE = """
name: p
run: {horizon: 60d, warmup: 5d, seed: 3}
demand:
  - name: web
    arrivals: {rate: 10/day}
  - name: b2b
    pipeline:
      leads: 20/day
      stages:
        - {stage: qualify, staff: sdr, time: 20min, win: 100%}
        - {stage: demo, staff: aes, time: 1h, then: 2d, win: 100%}
staff:
  sdr: {headcount: 10, wage: 30/h}
  aes: {headcount: 10, wage: 50/h}
process:
  - {step: pack, staff: packers, time: 5min}
"""
PACKERS = "  packers: {headcount: 5}\n"


def scenario(text: str = BASE, **changes):
    made = loads(text.replace("process:", PACKERS + "process:", 1))
    return made.with_changes(changes) if changes else made


def metrics(made, replication: int = 0):
    model = Model(made, replication)
    model.run(series=False)
    return model, model.metrics()


def test_a_lead_that_wins_every_stage_becomes_an_order_after_its_stage_times():
    """With sure wins and ample staff, every lead is an order 20 min + 1 h + 2 d after it came."""
    _, m = metrics(scenario())
    assert m["win_rate", "b2b"] == 1.0
    assert m["sales_cycle_mean_d", "b2b"] == pytest.approx((20 / 60 + 1 + 48) / 24)


def test_won_leads_are_orders_of_their_channel():
    """Orders that arrive = web orders + b2b leads won; without web orders, exactly the wins."""
    model, m = metrics(scenario(**{"demand.0.arrivals.rate": "0/day"}))
    pipeline = model.pipelines[0]
    assert m["orders_arrived", "all"] == pipeline.won  # both counted in the window, when won
    assert pipeline.won > 0


def test_a_lost_stage_ends_the_lead():
    """A first stage never won: no order comes from the pipeline, and its second stage is idle."""
    model, m = metrics(scenario(**{
        "demand.1.pipeline.stages.0.win": 0, "demand.0.arrivals.rate": "0/day",
    }))
    assert m["win_rate", "b2b"] == 0.0
    assert m["orders_arrived", "all"] == 0
    assert m["utilization", "aes"] == 0.0


def test_stages_report_waits_queues_and_utilisation_like_steps():
    """Each staffed stage has wait_mean_h and queue_mean under its name; its pool, utilization."""
    _, m = metrics(scenario())
    for stage in ("qualify", "demo"):
        assert ("wait_mean_h", stage) in m and ("queue_mean", stage) in m
    assert m["utilization", "sdr"] == pytest.approx(20 / 24 * (20 / 60) / 10, rel=0.15)
    assert m["cost_labor", "aes"] > 0


def test_a_busy_rep_makes_leads_wait():
    """One rep for 20 leads a day of 1 h each (offered 0.83 erlang) makes demo leads queue."""
    _, ample = metrics(scenario())
    _, one = metrics(scenario(**{"staff.aes.headcount": 1}))
    assert ample["wait_mean_h", "demo"] == 0.0
    assert one["wait_mean_h", "demo"] > 0.5
    assert one["sales_cycle_mean_d", "b2b"] > ample["sales_cycle_mean_d", "b2b"]


def test_more_staff_meets_the_same_leads():
    """A variant with more reps sees the identical leads (common random numbers)."""
    _, base = metrics(scenario(**{"staff.aes.headcount": 1}))
    _, more = metrics(scenario(**{"staff.aes.headcount": 2}))
    assert base["leads", "b2b"] == more["leads", "b2b"]


def test_pipeline_metrics_are_reported_only_for_pipeline_channels():
    """leads, win_rate, sales_cycle_mean_d and pipeline_mean have the b2b subject, not web."""
    _, m = metrics(scenario())
    for name in ("leads", "win_rate", "sales_cycle_mean_d", "pipeline_mean"):
        assert (name, "b2b") in m
        assert (name, "web") not in m


def test_a_scenario_without_a_pipeline_has_no_pipeline_metrics():
    """A plain scenario reports no leads at all."""
    plain = loads("{name: x, run: {horizon: 2d}, demand: {arrivals: {rate: 5/day}}}")
    _, m = metrics(plain)
    assert not any(metric == "leads" for metric, _ in m)


def test_a_promotion_multiplies_the_lead_rate():
    """A calendar demand factor of 3 on a pipeline channel triples its leads on those dates."""
    text = BASE.replace("run: {horizon: 60d, warmup: 5d, seed: 3}",
                        "run: {horizon: 60d, start: 2026-01-05, seed: 3}")
    promoted = text.replace(
        "    pipeline:\n", "    calendar: [{from: 2026-01-05, to: 2026-03-31, demand: 3}]\n"
        "    pipeline:\n", 1,
    )
    _, plain = metrics(scenario(text))
    _, more = metrics(scenario(promoted))
    assert more["leads", "b2b"] == pytest.approx(3 * plain["leads", "b2b"], rel=0.1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"demand.1.pipeline.stages.0.stage": "pack"},
         "demand.1.pipeline.stages.0.stage: stage 'pack' has the name of a process step"),
        ({"demand.1.pipeline.stages.1.staff": "closers"},
         "demand.1.pipeline.stages.1.staff: no staff pool 'closers'"),
        ({"demand.1.pipeline.stages.1.stage": "qualify"}, "stage 'qualify' appears twice"),
        ({"demand.1.pipeline.stages.0.staff": None}, "has a time but no staff"),
        ({"demand.1.name": None}, "a pipeline channel needs a name"),
        ({"demand.1.arrivals": {"rate": "1/day"}}, "give one source of orders, not arrivals"),
    ],
)
def test_pipeline_problems_are_named_at_their_key(change, message):
    """Stage names that clash, unknown pools, missing names and two sources are refused."""
    with pytest.raises(ScenarioError, match=re.escape(message)):
        scenario().with_changes(change)


def test_sales_staff_offered_more_than_they_can_do_get_a_warning():
    """The load check counts pipeline stages: 32.4 h a week of demos and negotiations for
    16 h on duty is an overload naming the pool and both stages."""
    from sim.scenario.checks import check

    text = """
name: over
run: {horizon: 30d}
demand:
  - name: b2b
    pipeline:
      leads: 30/week
      stages:
        - {stage: qualify, time: 20min, staff: sdr, win: 40%}
        - {stage: demo, staff: aes, time: 1.5h, then: 5d, win: 60%}
        - {stage: negotiate, staff: aes, time: 2h, then: 10d, win: 45%}
staff:
  sdr: {headcount: 1}
  aes: {shifts: [{days: [mon], start: "09:00", end: "17:00", headcount: 2}]}
"""
    findings = [f for f in check(loads(text)) if f.code == "overload"]
    assert [f.key for f in findings] == ["staff.aes"]
    assert "demo and negotiate need 203%" in findings[0].message


def test_a_sales_pool_drowning_in_the_busy_season_gets_a_warning():
    """The busiest-week check follows a pipeline's by_month: account executives busy 70% of
    a plain week but 1.8 times that in December are warned about, naming the stage."""
    from sim.scenario.checks import check

    months = "[0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 1.8, 1.8]"
    text = f"""
name: season
run: {{horizon: 1y, warmup: 1w, start: 2026-01-05}}
demand:
  - name: b2b
    calendar: [{{from: 2026-04-06, to: 2026-04-12, demand: 1.2}}]
    pipeline:
      leads: 28/week
      by_month: {months}
      stages:
        - {{stage: demo, staff: aes, time: 1h, win: 50%}}
staff:
  aes: {{shifts: [{{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00",
                   headcount: 1}}]}}
"""
    findings = [f for f in check(loads(text)) if f.code == "busiest_week"]
    assert [f.key for f in findings] == ["staff.aes"]
    assert "demo needs 70%" in findings[0].message
