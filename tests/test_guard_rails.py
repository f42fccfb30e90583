"""Guard rails: runs that end (size check, max_waiting), scripts that work, records kept."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.experiment.runner
from sim.cli.app import main
from sim.experiment.estimate import LIMIT_SECONDS, RunTooLong, estimate
from sim.experiment.sweep.runner import sweep
from sim.model.build import simulate
from sim.output.report import format_table

ROOT = Path(__file__).resolve().parents[1]

# A desk offered ten times what it can do (100 calls an hour, one agent at 10 an hour),
# and a variant with enough agents; a year long, so that without run.max_waiting the
# queue would reach some 800,000 calls.
OVERLOAD = """\
name: overload
run: {horizon: 365d, replications: 2, max_waiting: 5000}
demand: {arrivals: {rate: 100/h}}
staff: {desk: {headcount: 1}}
process: [{step: serve, staff: desk, time: {dist: exponential, mean: 6min}}]
variants:
  enough_agents: {staff.desk.headcount: 14, run.horizon: 2d}
"""

# A century of a busy desk, thirty replications: hours of work on any machine.
HUGE = """\
name: huge
run:
  horizon: 100y
  replications: 30
demand: {arrivals: {rate: 2000/day}}
staff: {desk: {headcount: 20}}
process: [{step: serve, staff: desk, time: 10min}]
"""


class Reached(Exception):
    """Raised by a stand-in executor: the run got past its checks."""


@pytest.fixture
def no_execution(monkeypatch):
    """Replace the executor of sim.run by one that records its arguments and stops."""
    calls = []

    def stop(simulate, tasks, **kwargs):
        calls.append((tasks, kwargs))
        raise Reached("reached the executor")

    monkeypatch.setattr(sim.experiment.runner, "execute", stop)
    return calls


# --------------------------------------------------------------------------- run size
def test_a_run_estimated_over_an_hour_is_refused_with_its_estimate(tmp_path, capsys):
    """The command line refuses a run of days with exit 2, one line naming the estimate."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    assert main([str(path), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.fullmatch(
        rf"{re.escape(str(path))}:3: run\.horizon: about [\d.]+ (days|h) of work on 2 workers "
        r"\(30 replications of up to about 73,000,000 orders each\); add --force to run it "
        r"anyway, or shorten the horizon or run fewer replications\n",
        err,
    ), err


def test_force_runs_a_long_run_anyway(tmp_path, no_execution):
    """With --force the same run passes the size check and reaches the executor."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    assert main([str(path), "--workers", "2", "--force", "--quiet"]) == 1  # Reached
    tasks, _ = no_execution[0]
    assert len(tasks) == 30


def test_a_horizon_given_on_the_command_line_is_refused_at_the_file(tmp_path, capsys):
    """--horizon 1000y on a small scenario is refused, naming the file (the line is not its)."""
    path = tmp_path / "desk.yaml"
    path.write_text(HUGE.replace("100y", "1d").replace("30", "3"))
    assert main([str(path), "--horizon", "1000y", "--workers", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"{path}: run.horizon: about ")


def test_sim_run_refuses_a_long_run_unless_forced(no_execution):
    """From Python, sim.run raises RunTooLong (a ScenarioError) saying force=True; force passes."""
    huge = sim.loads(HUGE, file="huge.yaml")
    with pytest.raises(RunTooLong, match=r"pass force=True to run it anyway"):
        sim.run(huge, workers=2)
    with pytest.raises(Reached):
        sim.run(huge, workers=2, force=True)


def test_a_long_sweep_is_refused_unless_forced(tmp_path, capsys):
    """sweep estimates the points it has to run: days of work need --force (exit 2 without)."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE + "sweep: {grid: {staff.desk.headcount: [20, 21, 22, 23]}}\n")
    assert main(["sweep", str(path), "--workers", "2", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "(4 points of 30 replications of up to about 73,000,000 orders each)" in err
    assert "add --force" in err
    assert not (tmp_path / "o" / "points" / "point-000000.json").exists()


def test_the_estimate_shares_work_among_workers_but_not_a_replication():
    """Wall time is the work over the workers, never less than one whole replication."""
    huge = sim.loads(HUGE)
    one = estimate([(huge, 1)], workers=8)
    thirty = estimate([(huge, 1)] * 30, workers=2)
    assert one.wall == one.seconds  # a single replication cannot be split
    assert thirty.wall == pytest.approx(15 * one.seconds)
    assert thirty.wall > LIMIT_SECONDS


def test_the_progress_bar_names_the_estimate_before_anything_finishes(no_execution):
    """A run of minutes shows its estimate in the bar's description from the start."""
    minutes = sim.loads(HUGE.replace("100y", "50w").replace("30", "4"))
    with pytest.raises(Reached):
        sim.run(minutes, workers=2)
    _, kwargs = no_execution[0]
    assert re.fullmatch(r"replications \(about \d+ (s|min)\)", kwargs["description"])


# --------------------------------------------------------------------------- max_waiting
def test_an_exploding_queue_stops_at_max_waiting_with_bounded_memory():
    """A replication offered 10x its capacity stops once 5,000 calls wait; memory stays
    within what 5,000 waiting orders take (under 1 KB each), far from a year's queue."""
    scenario = sim.loads(OVERLOAD).base()
    tracemalloc.start()
    try:
        output = simulate(scenario, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    hours, waiting = output.unstable
    assert hours < scenario.run.horizon / 100  # stopped within the first four days
    assert 5000 < waiting <= 5000 + 50  # counted every 1% of the limit
    assert peak < 5000 * 1024 + 2_000_000
    assert all(math.isnan(value) for _, _, value, _ in output.metrics)


def test_an_unstable_scenario_is_reported_without_numbers():
    """sim.run marks the scenario unstable: NaN summary, a message in the table and the record,
    while its stable variant keeps its numbers."""
    results = sim.run(sim.loads(OVERLOAD), workers=1, progress=False)
    summary = results.summary().set_index("scenario")
    assert summary.loc["overload", "mean"].isna().all()
    assert (summary.loc["overload", "n"] == 0).all()
    assert summary.loc["enough_agents", "mean"].notna().any()
    table = format_table(results)
    assert re.search(
        r"^overload +unstable: 5,0\d\d orders waiting at day \d\.\d \(run\.max_waiting\)$",
        table,
        re.MULTILINE,
    ), table
    assert "vs base" not in table  # nothing is compared with an unstable base
    unstable = results.record.details["unstable"]
    assert list(unstable) == ["overload"]
    assert set(unstable["overload"]["replications"]) == {"0", "1"}
    # After what the checks before running found (the overload itself), the instability:
    assert results.record.warnings[-1].startswith("overload: unstable: ")


def test_the_comparison_figure_says_why_an_unstable_row_is_empty():
    """The comparison figure writes "unstable" where the unstable scenario's bars would be."""
    results = sim.run(sim.loads(OVERLOAD).with_changes({"run.replications": 1}), workers=1,
                      progress=False)  # fmt: skip
    texts = [text.get_text() for ax in results.plot().axes for text in ax.texts]
    assert texts.count("unstable (run.max_waiting)") == 3  # throughput, cost, service


def test_an_unstable_sweep_point_is_kept_without_numbers_and_not_run_again(tmp_path):
    """A sweep point whose queue explodes is recorded unstable (in failures.csv), has no
    rows in sweep.csv, and is not run again when the sweep resumes."""
    path = tmp_path / "overload.yaml"
    grid = "sweep: {grid: {staff.desk.headcount: [1, 14]}}\n"
    path.write_text(OVERLOAD.split("variants:")[0].replace("365d", "10d") + grid)
    results = sweep(str(path), workers=1, out=tmp_path / "o", progress=False, plots=False)
    assert results.status_line() == (
        "2 points: 1 succeeded, 1 unstable (run.max_waiting), 0 failed (see failures.csv)"
    )
    assert set(results.summary()["point"]) == {1}
    failures = pd.read_csv(tmp_path / "o" / "failures.csv")
    assert failures["error"].str.startswith("unstable: ").tolist() == [True]
    again = sweep(str(path), workers=1, out=tmp_path / "o", progress=False, plots=False)
    assert again.ran == []


# --------------------------------------------------------------------------- scripts
def _readme_snippet() -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## In a notebook", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_the_readme_snippet_runs_as_a_plain_script(tmp_path):
    """The README's Python block, verbatim in a file, runs as `python script.py` on worker
    processes (no __main__ guard) and gives the numbers of workers=1."""
    snippet = _readme_snippet()
    assert "__main__" not in snippet and "workers" not in snippet
    # The example scenario, shortened so that its 10 + 5 replications take seconds.
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    text = (ROOT / "scenarios" / "ecommerce.yaml").read_text(encoding="utf-8")
    text = re.sub(r"horizon: 49d", "horizon: 4d", re.sub(r"warmup: 7d", "warmup: 1d", text))
    (scenarios / "ecommerce.yaml").write_text(text, encoding="utf-8")
    script = tmp_path / "script.py"
    script.write_text(snippet + 'results.summary().to_csv("summary.csv", index=False)\n')
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    in_process = sim.run(
        sim.load(scenarios / "ecommerce.yaml"), replications=10, workers=1, progress=False
    )
    expected = in_process.summary().to_csv(index=False)
    assert (tmp_path / "summary.csv").read_text() == expected


def test_worker_processes_do_not_run_the_main_script_again(tmp_path):
    """A script that runs on two workers is executed once: its top level is not re-run."""
    script = tmp_path / "count.py"
    script.write_text(
        "import sim\n"
        f"with open({str(tmp_path / 'ran.txt')!r}, 'a') as f:\n"
        "    f.write('ran\\n')\n"
        "desk = sim.loads('{name: d, run: {horizon: 1d, replications: 4}, "
        "demand: {arrivals: {rate: 5/h}}}')\n"
        "sim.run(desk, workers=2, progress=False)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ran.txt").read_text() == "ran\n"


# --------------------------------------------------------------------------- records
DESK = """\
name: desk
run: {horizon: 2d, warmup: 1d, replications: 2}
demand: {arrivals: {rate: 5/h}}
staff: {agents: {headcount: 2}}
process: [{step: answer, staff: agents, time: {dist: exponential, mean: 20min}}]
"""


def test_replacing_earlier_results_says_so_and_is_recorded(tmp_path, capsys, quick_figures):
    """A second run into the same folder prints a line and records the run it replaced."""
    path = tmp_path / "desk.yaml"
    path.write_text(DESK)
    out = tmp_path / "out"
    assert main([str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    first = json.loads((out / "run.json").read_text())
    assert "holds earlier results" not in capsys.readouterr().err
    assert main([str(path), "--workers", "1", "--quiet", "--out", str(out), "--seed", "3"]) == 0
    assert capsys.readouterr().err == (
        f"{out}{os.sep} holds earlier results (run {first['started']}): this run replaces "
        "them when it finishes\n"
    )
    replaced = json.loads((out / "run.json").read_text())["details"]["replaced"]
    assert replaced == {"folder": str(out), "started": first["started"], "argv": first["argv"]}


def test_a_sweep_writes_run_json(tmp_path):
    """sweep's folder holds run.json: the command, scenario, grid, points and replications."""
    path = tmp_path / "desk.yaml"
    path.write_text(DESK + "sweep: {grid: {staff.agents.headcount: [2, 3]}, replications: 3}\n")
    out = tmp_path / "o"
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "sweep"
    assert record["scenarios"][0]["name"] == "desk"
    assert record["scenarios"][0]["replications"] == 3
    assert record["details"]["grid"] == {"staff.agents.headcount": [2, 3]}
    assert (record["details"]["points"], record["details"]["ran"]) == (2, 2)
    assert record["workers"] == 1 and record["finished"] is not None


def test_the_estimate_counts_the_orders_a_replay_will_bring():
    """A replay of a whole file over its whole span is sized at the file's order count, and
    a replay cut to half the span at half of it; without the file's sizes it would be 0."""
    from sim.data.orders import read_orders
    from sim.data.store import prepare
    from sim.experiment.estimate import orders_per_replication

    replay = sim.load(ROOT / "scenarios" / "garden_replay.yaml")
    past = prepare([replay])
    in_file = len(read_orders(ROOT / "scenarios" / "data" / "garden_orders.csv"))
    assert orders_per_replication(replay, past) == pytest.approx(in_file)
    half = replay.with_changes({"run.horizon": f"{731 / 2}d"})
    assert orders_per_replication(half, past) == pytest.approx(in_file / 2)
    assert orders_per_replication(replay) == 0
