"""optimize: the block, the procedure on simulations with known answers, files, exits, resuming."""

from __future__ import annotations

import argparse
import json
import math
import os

import pytest

import sim
from sim import theory
from sim.cli.app import main as cli_main
from sim.errors import ScenarioError, SweepMismatchError
from sim.scenario.loader import loads
from sim.scenario.models import Constraint, DecisionRange

# M/M/c: 12 calls/h, 10 min each (2 erlangs); wait target 0.04 h (2.4 min) ± 0.01 h.
MMC = """\
name: desk
run: {horizon: 10d, warmup: 1d, seed: 3}
demand: {arrivals: {rate: 12/h}}
staff: {agents: {headcount: 3, wage: 20/h}}
process: [{step: serve, staff: agents, time: {dist: exponential, mean: 10min}}]
optimize:
  decisions: {staff.agents.headcount: {min: 3, max: 6}}
  objective: {minimize: operating_cost}
  constraints: ["wait_mean_h[serve] <= 0.04 ± 0.01"]
  budget: 600
"""

# Base stock: unit Poisson demand 20/day, constant lead time 1 d, backorders.
BASE_STOCK = """\
name: stock
run: {horizon: 120d, warmup: 5d, seed: 5}
demand:
  arrivals: {rate: 20/day}
  lines: {dist: constant, value: 1}
  quantity: {dist: constant, value: 1}
products:
  widget:
    price: 10
    unit_cost: 5
    holding_cost: 0.1/day
    initial_stock: 28
    supplier: acme
    policy: {type: base_stock, S: 28}
suppliers:
  acme: {lead_time: 1d}
optimize:
  decisions: {products.widget.policy.S: {min: 26, max: 31}}
  objective: {minimize: operating_cost}
  constraints: ["fill_rate[widget] >= 95.6% ± 0.4%"]
  budget: 1200
"""


def _theory_staffing(rate: float, service_rate: float, target: float, servers: range) -> int:
    """The fewest servers whose Erlang C mean wait is within the target."""
    return next(c for c in servers if c * service_rate > rate
                and theory.mmc(rate, service_rate, c)["wq"] <= target)  # fmt: skip


def _theory_base_stock(rate: float, lead: float, target: float, levels: range) -> int:
    """The lowest base-stock level whose fill rate P(D <= S - 1) reaches the target."""
    return next(s for s in levels if theory.base_stock_backorder(rate, lead, s)["fill_rate"]
                >= target)  # fmt: skip


# --------------------------------------------------------------------------- the block
def test_a_constraint_is_parsed_with_subject_threshold_and_tolerance():
    """"fill_rate[widget] >= 95.6% ± 0.4%" gives its metric, subject, 0.956 and 0.004."""
    c = Constraint.parse("fill_rate[widget] >= 95.6% ± 0.4%")
    assert (c.metric, c.subject, c.op) == ("fill_rate", "widget", ">=")
    assert c.value == pytest.approx(0.956) and c.tolerance == pytest.approx(0.004)


def test_a_constraint_threshold_may_be_a_duration_in_hours():
    """"wait_mean_h[serve] <= 3min" is a threshold of 0.05 h, subject all when left out."""
    c = Constraint.parse("wait_p95_h <= 3min")
    assert c.subject == "all" and c.value == pytest.approx(0.05)


def test_a_range_of_quantities_keeps_its_unit():
    """{min: 3d, max: 7d, step: 2d} gives 3d, 5d and 7d."""
    assert DecisionRange(min="3d", max="7d", step="2d").values() == ["3d", "5d", "7d"]


def test_a_bad_constraint_is_refused_at_its_line():
    """A constraint without >= or <= is bad input at its line in the file."""
    text = MMC.replace('"wait_mean_h[serve] <= 0.04 ± 0.01"', '"wait_mean_h[serve] = 0.04"')
    with pytest.raises(ScenarioError, match=r"desk.yaml:9: optimize.constraints.0: expected a "
                       r"constraint like"):  # fmt: skip
        loads(text, file="desk.yaml")


def test_a_misspelt_decision_path_is_refused_before_anything_runs():
    """A decision key that is not a path of the scenario is bad input, naming the candidate."""
    scenario = loads(MMC.replace("staff.agents.headcount", "staff.agent.headcount"))
    with pytest.raises(ScenarioError, match="staff.agent.headcount=3 is not a valid scenario"):
        sim.optimize(scenario, workers=1, progress=False)


def test_a_measure_the_scenario_does_not_report_is_bad_input():
    """A constraint on a step that does not exist names the subjects the metric has."""
    scenario = loads(MMC.replace("wait_mean_h[serve]", "wait_mean_h[triage]"))
    with pytest.raises(ScenarioError, match=r"wait_mean_h\[triage\] is not a measure of this "
                       r"scenario; wait_mean_h has serve"):  # fmt: skip
        sim.optimize(scenario, workers=1, progress=False)


def test_an_automatic_warm_up_is_refused_with_what_to_do():
    """optimize needs a fixed warm-up: warmup: auto is bad input at run.warmup."""
    scenario = loads(MMC.replace("warmup: 1d", "warmup: auto"))
    with pytest.raises(ScenarioError, match="run.warmup: optimize needs a fixed warm-up"):
        sim.optimize(scenario, workers=1, progress=False)


# --------------------------------------------------------------------------- known answers
def test_staffing_matches_erlang_c():
    """The cheapest M/M/c staffing with a mean wait within target is Erlang C's answer."""
    decision = sim.optimize(loads(MMC), workers=1, progress=False)
    expected = _theory_staffing(12.0, 6.0, 0.04, range(3, 7))
    assert decision.guaranteed
    assert decision.best == {"staff.agents.headcount": expected}


@pytest.mark.slow
def test_base_stock_level_matches_the_fill_rate_formula():
    """The cheapest base-stock level with fill rate >= 95.6% is the Poisson formula's S."""
    decision = sim.optimize(loads(BASE_STOCK), workers=1, progress=False)
    expected = _theory_base_stock(20.0, 1.0, 0.956, range(26, 32))
    assert decision.guaranteed
    assert decision.best == {"products.widget.policy.S": expected}


def test_clearly_infeasible_and_clearly_worse_candidates_run_only_the_first_stage():
    """Three agents (wait 0.074 h against 0.04 h) and six (dearer) stop after 10 replications."""
    table = sim.optimize(loads(MMC), workers=1, progress=False).table().set_index(
        "staff.agents.headcount")  # fmt: skip
    assert table.loc[3, "status"] == "infeasible" and table.loc[3, "replications"] == 10
    assert table.loc[6, "status"] == "eliminated" and table.loc[6, "replications"] == 10


@pytest.mark.slow
def test_a_large_space_is_searched_first_and_the_output_says_so():
    """With 40 candidates and a budget of 400, a search short-lists and the sentence says so."""
    text = MMC.replace("{min: 3, max: 6}", "{min: 3, max: 42}").replace("budget: 600",
                                                                       "budget: 400")  # fmt: skip
    decision = sim.optimize(loads(text), workers=1, progress=False)
    assert decision.stage == "search + selection"
    assert decision.best == {"staff.agents.headcount": 4}
    assert "short-listed by the search" in decision.conclusion
    assert decision.record.details["optimize"]["stage"] == "search + selection"


# --------------------------------------------------------------------------- command line
def _args(**kw):
    base = {"budget": None, "seed": None, "set": [], "workers": 1, "scheduler": None,
            "quiet": True, "out": None}  # fmt: skip
    return argparse.Namespace(**{**base, **kw})


def test_the_command_prints_the_best_plan_and_writes_the_contract_files(tmp_path, capsys):
    """optimize exits 0, names the best plan with its guarantee and writes the four files."""
    file = tmp_path / "desk.yaml"
    file.write_text(MMC)
    status = cli_main(["optimize", str(file), "--out", str(tmp_path / "out"), "--workers", "1",
                       "--quiet"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert "Best: agents.headcount=4 (operating cost" in out
    assert "With 95% confidence it meets wait_mean_h[serve] <= 0.04 ± 0.01, and no other " \
        "feasible plan is better by more than 1%." in out  # fmt: skip
    for name in ("decision.csv", "best.yaml", "decision.png", "run.json"):
        assert (tmp_path / "out" / name).is_file()
    best = sim.load(tmp_path / "out" / "best.yaml")
    assert best.staff["agents"].headcount == 4
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["command"] == "optimize" and record["details"]["optimize"]["guaranteed"]


def test_no_feasible_plan_exits_3_and_lists_the_nearest(tmp_path, capsys):
    """A wait target no headcount can meet: exit status 3, the nearest candidates listed."""
    file = tmp_path / "desk.yaml"
    file.write_text(MMC.replace("max: 6", "max: 4"))
    status = cli_main(["optimize", str(file), "--out", str(tmp_path / "out"), "--workers", "1",
                       "--quiet", "--set", "optimize.constraints.0=wait_mean_h[serve] <= 0.001 "
                       "± 0.0005"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 3
    assert "No feasible plan" in out and "nearest candidates" in out
    assert not (tmp_path / "out" / "best.yaml").exists()


def test_a_file_without_an_optimize_block_is_bad_input(tmp_path, capsys):
    """optimize on a file with no optimize section exits 2 with one line naming the key."""
    file = tmp_path / "plain.yaml"
    file.write_text(MMC[: MMC.index("optimize:")])
    assert cli_main(["optimize", str(file), "--workers", "1", "--quiet"]) == 2
    assert "optimize: no optimize section" in capsys.readouterr().err


# --------------------------------------------------------------------------- resuming
def test_a_resumed_optimization_reuses_the_store_and_decides_the_same(tmp_path):
    """Run again on the same folder, nothing is simulated and the table is identical."""
    first = sim.optimize(loads(MMC), workers=1, progress=False, out=tmp_path)
    stored = len(os.listdir(tmp_path / "replications"))
    again = sim.optimize(loads(MMC), workers=1, progress=False, out=tmp_path)
    assert again.record.details["optimize"]["replications_reused"] == first.replications_used
    assert len(os.listdir(tmp_path / "replications")) == stored
    assert again.table().equals(first.table())


def test_a_half_finished_store_is_completed_to_the_same_decision(tmp_path):
    """Replications deleted from the store (a kill mid-run) are run again: same table."""
    first = sim.optimize(loads(MMC), workers=1, progress=False, out=tmp_path)
    reps = sorted((tmp_path / "replications").glob("rep-*.json"))
    for path in reps[len(reps) // 2 :]:
        path.unlink()
    again = sim.optimize(loads(MMC), workers=1, progress=False, out=tmp_path)
    assert again.table().equals(first.table())


def test_a_run_stopped_by_its_budget_goes_on_with_a_larger_one(tmp_path):
    """A tight target stops budget 80 undecided; budget 160 on the same folder reuses what
    it needs of the 80 replications (a round the budget cut short may differ) and goes on."""
    tight = loads(MMC.replace("<= 0.04 ± 0.01", "<= 0.015 ± 0.0004"))
    short = sim.optimize(tight, budget=80, workers=1, progress=False, out=tmp_path)
    assert not short.guaranteed and "nothing is guaranteed" in short.conclusion
    longer = sim.optimize(tight, budget=160, workers=1, progress=False, out=tmp_path)
    assert 75 <= longer.record.details["optimize"]["replications_reused"] <= 80
    assert longer.replications_used > 80


def test_a_store_of_another_optimize_block_is_refused(tmp_path):
    """The same folder with another tolerance is refused, naming the optimize block."""
    sim.optimize(loads(MMC), workers=1, progress=False, out=tmp_path)
    changed = loads(MMC.replace("budget: 600", "budget: 600\n  tolerance: 2%"))
    with pytest.raises(SweepMismatchError, match="different optimization .*the optimize block"):
        sim.optimize(changed, workers=1, progress=False, out=tmp_path)


def test_the_decision_is_the_same_on_two_worker_processes():
    """Local processes give the decision and numbers of one process."""
    one = sim.optimize(loads(MMC), workers=1, progress=False).table()
    two = sim.optimize(loads(MMC), workers=2, progress=False).table()
    assert one.equals(two)
    assert not math.isnan(one["objective_mean"].iloc[0])
