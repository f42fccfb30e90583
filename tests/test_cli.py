"""Tests for the command line: verbs, flags, files written, exit status 0 / 2 / 1, no tracebacks."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.experiment.runner
from sim.cli.app import main
from sim.output.report import FILES

ROOT = Path(__file__).resolve().parents[1]
ECOMMERCE = str(ROOT / "scenarios" / "ecommerce.yaml")
# The example scenario, made small: two replications of three days, one day of warm-up.
SMALL = ["--replications", "2", "--horizon", "3d", "--set", "run.warmup=1d", "--workers", "1"]

DESK = """\
name: desk
run: {horizon: 2d, warmup: 1d, replications: 2}
demand:
  arrivals: {rate: 5/h}
staff:
  agents: {headcount: 2, wage: 30/h}
process:
  - {step: answer, staff: agents, time: {dist: exponential, mean: 20min}}
"""

BROKEN = """\
name: broken
run: {horizon: 10d}
demand:
  arrivals: {rate: 400}
"""


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return str(path)


@pytest.fixture
def spy(monkeypatch):
    """Record the keyword arguments and the Results of every sim.experiment.runner.run call."""
    calls = []
    real = sim.experiment.runner.run

    def recording(scenarios, **kwargs):
        results = real(scenarios, **kwargs)
        calls.append((kwargs, results))
        return results

    monkeypatch.setattr(sim.experiment.runner, "run", recording)
    return calls


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The example scenario, small, run once through the command line: (status, out, stdout)."""
    out = tmp_path_factory.mktemp("cli") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([ECOMMERCE, *SMALL, "--out", str(out)])
    return status, out, printed.getvalue()


def test_run_writes_every_file_and_says_where(example_run):
    """The default verb runs the file, prints the table and where the files went, exit 0."""
    status, out, printed = example_run
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert printed.startswith("ecommerce-baseline: 2 replications, 95% confidence intervals")
    assert f"Results written to {out}" in printed


def test_run_writes_the_contract_columns_for_base_and_variants(example_run):
    """summary.csv and replications.csv have exactly the contract's columns, every scenario."""
    _, out, _ = example_run
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "scenario", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit",
    ]  # fmt: skip
    replications = pd.read_csv(out / "replications.csv")
    assert list(replications.columns) == [
        "scenario", "replication", "metric", "subject", "value", "unit",
    ]  # fmt: skip
    assert list(dict.fromkeys(summary["scenario"])) == [
        "ecommerce-baseline", "two_more_pickers", "higher_reorder_point",
        "faster_supplier", "peak_season",
    ]  # fmt: skip


def test_run_json_records_the_files_settings_and_command(example_run):
    """run.json says which file (and its SHA-256), seed, horizon, warm-up and --set made it."""
    _, out, _ = example_run
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["tool"] == {"name": "opsim", "version": sim.__version__}
    assert record["command"] == "run" and record["overrides"] == ["run.warmup=1d"]
    base = record["scenarios"][0]
    assert base["name"] == "ecommerce-baseline"
    digest = hashlib.sha256(Path(ECOMMERCE).read_bytes()).hexdigest()
    assert base["files"] == [{"file": ECOMMERCE, "sha256": digest}]
    assert (base["seed"], base["horizon_h"], base["warmup_h"], base["replications"]) == (
        2026, 72.0, 24.0, 2,
    )
    assert record["started"] <= record["finished"]


def test_quiet_prints_one_line_and_default_out_is_results_slash_name(
    tmp_path, monkeypatch, capsys, quick_figures
):
    """--quiet prints only where the files went; without --out that is results/<name>/."""
    monkeypatch.chdir(tmp_path)
    assert main([ECOMMERCE, *SMALL, "--set", "variants={}", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Results written to {Path('results', 'ecommerce-baseline')}")
    assert captured.out.count("\n") == 1 and captured.err == ""
    assert (tmp_path / "results" / "ecommerce-baseline" / "summary.csv").exists()


def test_set_horizon_seed_and_replications_are_applied(tmp_path, spy, quick_figures):
    """--horizon, --seed, --replications and --set reach the scenarios that run."""
    argv = [ECOMMERCE, *SMALL, "--seed", "5", "--set", "staff.order_desk.headcount=3"]
    argv += ["--set", "variants={}", "--out", str(tmp_path / "o"), "--quiet"]
    assert main(argv) == 0
    ((kwargs, results),) = spy
    assert (kwargs["horizon"], kwargs["seed"], kwargs["replications"]) == ("3d", 5, 2)
    base = results.scenarios[0]
    assert (base.run.horizon, base.run.warmup, base.run.seed) == (72.0, 24.0, 5)
    assert base.staff["order_desk"].headcount == 3
    assert set(results.replications()["replication"]) == {0, 1}


def test_a_wrong_flag_exits_2_with_one_line(capsys):
    """An unknown flag is bad input: exit 2 and a one-line message, no usage block."""
    assert main([ECOMMERCE, "--replicatons", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unrecognized arguments: --replicatons" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--replications", "0", "argument --replications: expected 1 or more (got 0)"),
        ("--workers", "two", "argument --workers: expected a whole number (got 'two')"),
        ("--horizon", "30", "argument --horizon: expected a duration"),
        ("--precision", "0%", "argument --precision: expected a fraction above 0 and below 1"),
        ("--precision", "fast", "argument --precision: expected a fraction like"),
    ],
)
def test_a_bad_flag_value_exits_2(flag, value, message, capsys):
    """A flag value that cannot be used is bad input: exit 2, naming the flag."""
    assert main([ECOMMERCE, flag, value]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_file_exits_2(tmp_path, capsys):
    """A scenario file that does not exist: exit 2 and the file named, no traceback."""
    missing = str(tmp_path / "nope.yaml")
    assert main([missing]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"{missing}: file not found"


def test_a_broken_scenario_exits_2_with_file_line_and_key(broken, capsys):
    """A scenario with a mistake: exit 2, one line per problem with file, line and key."""
    assert main([broken]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:4: demand.arrivals.rate:" in err
    assert "Traceback" not in err


def test_a_horizon_inside_the_warmup_exits_2(capsys):
    """--horizon shorter than the file's warm-up is refused as bad input (exit 2)."""
    assert main([ECOMMERCE, "--horizon", "2d", "--workers", "1", "--quiet"]) == 2
    assert "warmup" in capsys.readouterr().err


def test_an_unexpected_error_exits_1_with_one_line(monkeypatch, capsys):
    """An error that is not the user's: exit 1, a one-line message and a hint, no traceback."""

    def crash(*args, **kwargs):
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(sim.experiment.runner, "run", crash)
    monkeypatch.delenv("SIM_DEBUG", raising=False)
    assert main([ECOMMERCE, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: the model fell over",
        "(set SIM_DEBUG=1 to see the full traceback)",
    ]


def test_sim_debug_shows_the_traceback(monkeypatch, capsys):
    """With SIM_DEBUG=1 an unexpected error prints its traceback (still exit 1)."""
    monkeypatch.setattr(sim.experiment.runner, "run", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("SIM_DEBUG", "1")
    assert main([ECOMMERCE, "--quiet"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_validate_prints_ok_per_good_file_and_problems_to_stderr(broken, capsys):
    """validate: 'FILE: ok' on stdout for each good file, problems on stderr, exit 2 if any."""
    assert main(["validate", ECOMMERCE, broken]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{ECOMMERCE}: ok\n"
    assert captured.err.startswith(f"{broken}:4: demand.arrivals.rate:")


def test_validate_exits_0_when_every_file_is_good(capsys):
    """validate of good files only: exit 0."""
    assert main(["validate", ECOMMERCE]) == 0
    assert capsys.readouterr().out == f"{ECOMMERCE}: ok\n"


def test_schema_prints_the_json_schema(capsys):
    """schema prints the scenario format's JSON Schema."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_no_arguments_exits_2_with_a_hint(capsys):
    """Nothing to run is bad input: exit 2 and a hint to give a scenario file."""
    assert main([]) == 2
    assert "give a scenario file to run" in capsys.readouterr().err


def test_help_exits_0(capsys):
    """--help prints the usage and exits 0."""
    assert main(["--help"]) == 0
    assert "validate" in capsys.readouterr().out


def test_run_sim_py_runs_with_worker_processes(tmp_path):
    """The documented command, with two worker processes (which re-import it), writes the files."""
    scenario = tmp_path / "desk.yaml"
    scenario.write_text(DESK)
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "run_sim.py"), str(scenario), "--workers", "2",
               "--out", str(out), "--quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "summary.csv").exists()


def test_folder_name_keeps_safe_characters_and_adds_a_suffix_once():
    """Scenario names become safe folder names; a sweep's '-sweep' suffix is not doubled."""
    from sim.output.format import folder_name

    assert folder_name("Shop: north/east") == "Shop_north_east"
    assert folder_name("shop", "-sweep") == "shop-sweep"
    assert folder_name("shop-sweep", "-sweep") == "shop-sweep"


def test_precision_runs_replications_until_met_and_records_it(tmp_path, capsys, quick_figures):
    """--precision 5% sets replications: auto; run.json holds the target and what was reached."""
    path = tmp_path / "desk.yaml"
    path.write_text(DESK)
    out = tmp_path / "out"
    assert main([str(path), "--precision", "5%", "--workers", "1", "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    precision = record["scenarios"][0]["precision"]
    assert precision["target"] == pytest.approx(0.05)
    assert precision["replications"] == record["scenarios"][0]["replications"] >= 10
    assert precision["stopped_by"] in ("precision", "max_replications")
    assert {m["metric"] for m in precision["measures"]} >= {"throughput_per_day"}
    assert "replications:" in capsys.readouterr().out.splitlines()[-3]


def test_precision_and_replications_together_exit_2(capsys):
    """--precision asks for replications: auto, so a count beside it is refused."""
    assert main([ECOMMERCE, "--precision", "2%", "--replications", "3"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
