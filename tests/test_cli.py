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


def test_excel_writes_results_xlsx_beside_the_report(tmp_path, capsys, quick_figures):
    """--excel adds results.xlsx to the folder and to the line that lists the files."""
    out = tmp_path / "o"
    assert main([ECOMMERCE, *SMALL, "--set", "variants={}", "--out", str(out), "--quiet",
                 "--excel"]) == 0  # fmt: skip
    assert (out / "results.xlsx").stat().st_size > 0 and (out / "report.html").exists()
    assert capsys.readouterr().out.rstrip().endswith("report.html, results.xlsx")


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
    # Without its variants the example has notes only, which --quiet does not print.
    assert main([ECOMMERCE, "--set", "variants={}", "--quiet"]) == 1
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


@pytest.fixture
def desk(tmp_path):
    path = tmp_path / "desk.yaml"
    path.write_text(DESK)
    return str(path)


def test_validate_prints_ok_per_good_file_and_problems_to_stderr(desk, broken, capsys):
    """validate: 'FILE: ok' on stdout for each good file, problems on stderr, exit 2 if any."""
    assert main(["validate", desk, broken]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{desk}: ok\n"
    assert captured.err.startswith(f"{broken}:4: demand.arrivals.rate:")


def test_validate_exits_0_when_every_file_is_good(desk, capsys):
    """validate of good files only: exit 0."""
    assert main(["validate", desk]) == 0
    assert capsys.readouterr().out == f"{desk}: ok\n"


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


# --------------------------------------------------------------------------- guard rails
OVERLOADED = DESK.replace("rate: 5/h", "rate: 50/h")  # 50 × 20min = 16.7 h of work an hour for 2


@pytest.fixture
def overloaded(tmp_path):
    path = tmp_path / "overloaded.yaml"
    path.write_text(OVERLOADED)
    return str(path)


OVERLOAD = "staff.agents: answer needs 833% of the on-duty hours of agents over the week"


def test_validate_prints_the_overload_after_ok_and_exits_0(overloaded, capsys):
    """validate of a file that runs but cannot work: ok, then the warning naming both figures."""
    assert main(["validate", overloaded]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{overloaded}: ok"
    assert lines[1].startswith(f"warning: {overloaded}:6: {OVERLOAD} (2,800 h of work, 336 h on")


def test_run_warns_before_running_under_the_table_and_in_run_json(overloaded, tmp_path, capsys,
                                                                  quick_figures):
    """run prints the overload before it starts, as the table's footnote and into run.json."""
    out = tmp_path / "out"
    assert main([overloaded, "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"warning: {overloaded}:6: {OVERLOAD}")
    table, _, _ = captured.out.partition("Results written to")
    footnote = f"Found before the run (also in run.json):\n  warning: {overloaded}:6: {OVERLOAD}"
    assert footnote in table
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (warning,) = record["warnings"]
    assert OVERLOAD in warning


def test_version_prints_the_tool_and_its_version(capsys):
    """--version prints 'opsim X.Y.Z' and exits 0, with or without a verb after it."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"opsim {sim.__version__}\n"


def test_help_names_the_command_as_it_was_typed(monkeypatch, capsys):
    """Run as the console script ``sim``, the usage line says ``usage: sim``."""
    monkeypatch.setattr(sys, "argv", ["/somewhere/bin/sim", "--help"])
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: sim ")


def test_run_variants_runs_the_base_and_only_those(tmp_path, spy, quick_figures):
    """--variants peak_season,faster_supplier runs the base and those two, in file order."""
    argv = [ECOMMERCE, *SMALL, "--variants", "peak_season,faster_supplier",
            "--out", str(tmp_path / "o"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    ((_, results),) = spy
    assert results.names == ["ecommerce-baseline", "faster_supplier", "peak_season"]


def test_run_variants_empty_runs_the_base_alone(tmp_path, spy, quick_figures):
    """--variants '' runs the base without any variant."""
    assert main([ECOMMERCE, *SMALL, "--variants", "", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    ((_, results),) = spy
    assert results.names == ["ecommerce-baseline"]


def test_run_variants_with_an_unknown_name_exits_2_and_lists_the_known(capsys):
    """A variant the files do not have is bad input: exit 2, the name and the known ones."""
    assert main([ECOMMERCE, "--variants", "peak_seasons"]) == 2
    err = capsys.readouterr().err
    assert err.startswith('--variants: no variant "peak_seasons" (did you mean "peak_season"?)')
    assert "known: two_more_pickers, higher_reorder_point, faster_supplier, peak_season" in err


def test_validate_applies_set(desk, capsys):
    """validate --set checks the changed scenario: ten times the demand is an overload."""
    assert main(["validate", desk, "--set", "demand.arrivals.rate=50/h"]) == 0
    assert OVERLOAD in capsys.readouterr().out


def test_set_reaches_a_value_of_a_variant(tmp_path, spy, quick_figures):
    """--set variants.peak_season.demand.arrivals.rate=450/day changes that variant's change."""
    argv = [ECOMMERCE, *SMALL, "--variants", "peak_season", "--set",
            "variants.peak_season.demand.arrivals.rate=450/day",
            "--out", str(tmp_path / "o"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    ((_, results),) = spy
    assert results.scenarios[1].demand[0].arrivals.rate == pytest.approx(450 / 24)


def test_sweep_seed_and_horizon_replace_the_files_run_settings(tmp_path, monkeypatch):
    """sweep --seed 9 --horizon 2d plans the sweep on a scenario with that seed and horizon."""
    import sim.experiment.sweep.runner as runner

    seen = []

    def plan_sweep(scenario, **kwargs):
        seen.append(scenario.run)
        raise KeyboardInterrupt  # enough: the plan is what this test is about

    monkeypatch.setattr(runner, "plan_sweep", plan_sweep)
    path = tmp_path / "desk.yaml"
    path.write_text(DESK + "sweep: {grid: {staff.agents.headcount: [2, 3]}}\n")
    main(["sweep", str(path), "--seed", "9", "--horizon", "2d", "--out", str(tmp_path / "o")])
    ((run,),) = [seen]
    assert (run.seed, run.horizon) == (9, 48.0)


def test_scheduler_without_dask_installed_exits_2_with_the_install_command(tmp_path, monkeypatch,
                                                                           capsys):
    """--scheduler needs the dask extra: without it, exit 2 and how to install it."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name)
    )
    path = tmp_path / "desk.yaml"
    path.write_text(DESK + "sweep: {grid: {staff.agents.headcount: [2, 3]}}\n")
    assert main(["sweep", str(path), "--scheduler", "tcp://nowhere:8786"]) == 2
    assert 'pip install "opsim[dask]"' in capsys.readouterr().err
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
