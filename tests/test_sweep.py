"""Sweeps: points, samples, failures, resuming, executors, the frontier and plots."""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.sweep import main as sweep_main
from sim.errors import ScenarioError, SweepMismatchError
from sim.experiment.sweep.points import grid_points, sample_points
from sim.experiment.sweep.runner import SweepPlan, SweepResults, pareto_mask, plan_sweep, sweep
from sim.scenario.loader import loads
from sim.scenario.models import Sample

REPO = Path(__file__).resolve().parents[1]

TINY = """\
name: tiny-shop
run: {horizon: 6d, warmup: 1d, replications: 2, seed: 11}
demand:
  arrivals: {rate: 100/day}
  lines: {dist: constant, value: 1}
  quantity: {dist: constant, value: 1}
products:
  widget:
    price: 20
    unit_cost: 8
    holding_cost: 0.05/day
    initial_stock: 150
    supplier: acme
    policy: {type: s_S, s: 100, S: 300}
suppliers:
  acme: {lead_time: {dist: gamma, mean: 1d, cv: 0.4}, order_cost: 50}
staff:
  desk: {headcount: 2, wage: 20/h}
process:
  - {step: pick, staff: desk, time: {dist: exponential, mean: 20min}}
service: {promise: 8h}
costs: {backorder: 2/day}
"""

GRID = """\
sweep:
  grid:
    staff.desk.headcount: [2, 3]
    products.widget.policy.s: [50, 150, 250]
  replications: 2
"""


def write_scenario(folder: Path, extra: str = GRID, name: str = "shop.yaml") -> Path:
    path = folder / name
    path.write_text(TINY + extra, encoding="utf-8")
    return path


def cli_args(file: Path, out: Path, **changes) -> argparse.Namespace:
    args = {
        "file": str(file),
        "out": str(out),
        "workers": 1,
        "scheduler": None,
        "quiet": True,
        "replications": None,
        "set": [],
    }
    args.update(changes)
    return argparse.Namespace(**args)


# --------------------------------------------------------------------------- points
def test_grid_is_the_cross_product_with_the_first_key_slowest():
    """Grid points are every combination, numbered 0..N-1 with the first key varying slowest."""
    scenario = loads(TINY + GRID)
    plan = plan_sweep(scenario)
    assert plan.keys == ("staff.desk.headcount", "products.widget.policy.s")
    assert list(plan.points) == [
        {"staff.desk.headcount": h, "products.widget.policy.s": s}
        for h in (2, 3)
        for s in (50, 150, 250)
    ]
    assert plan.replications == 2


def test_replications_argument_beats_the_sweep_section():
    """``replications=`` overrides ``sweep.replications``, which overrides ``run.replications``."""
    scenario = loads(TINY + GRID.replace("  replications: 2\n", ""))
    assert plan_sweep(scenario).replications == 2  # run.replications
    assert (
        plan_sweep(loads(TINY + GRID.replace("replications: 2", "replications: 4"))).replications
        == 4
    )
    assert plan_sweep(scenario, replications=7).replications == 7


def test_point_is_the_base_with_the_changes_and_without_variants():
    """A point's scenario is the base with its values set, validated, without variants or sweep."""
    scenario = loads(TINY + "variants:\n  big: {staff.desk.headcount: 9}\n" + GRID)
    plan = plan_sweep(scenario)
    point = plan.point_scenario(4)
    assert point.staff["desk"].headcount == 3
    assert point.products["widget"].policy.s == 150
    assert point.variants == {} and point.sweep is None


def test_sample_hits_every_stratum_of_every_key_once():
    """A Latin hypercube of n points puts exactly one point in each of the n strata of each key."""
    sample = Sample(n=20, ranges={"a": {"min": 0.0, "max": 1.0}, "b": {"min": 10.0, "max": 30.0}})
    points = sample_points(sample)
    assert len(points) == 20
    for key, (low, high) in {"a": (0.0, 1.0), "b": (10.0, 30.0)}.items():
        strata = sorted(math.floor((p[key] - low) / (high - low) * 20) for p in points)
        assert strata == list(range(20))


def test_sample_with_whole_number_bounds_gives_whole_numbers():
    """Whole-number bounds give ints; with as many points as values, each value appears once."""
    points = sample_points(Sample(n=5, ranges={"staff.desk.headcount": {"min": 2, "max": 6}}))
    values = [p["staff.desk.headcount"] for p in points]
    assert all(type(v) is int for v in values)
    assert sorted(values) == [2, 3, 4, 5, 6]


def test_sample_interpolates_quantities_and_keeps_their_unit():
    """``"300/day"`` to ``"600/day"`` gives rates in that range, each stratum once, still "/day"."""
    sample = Sample(n=10, ranges={"rate": {"min": "300.0/day", "max": "600.0/day"}})
    values = [p["rate"] for p in sample_points(sample)]
    assert all(v.endswith("/day") for v in values)
    numbers = [float(v.removesuffix("/day")) for v in values]
    assert sorted(math.floor((x - 300) / 30) for x in numbers) == list(range(10))


def test_sample_is_reproducible_from_its_seed():
    """The same seed gives the same points; another seed gives others."""
    ranges = {"a": {"min": 0.0, "max": 1.0}}
    assert sample_points(Sample(n=8, ranges=ranges, seed=3)) == sample_points(
        Sample(n=8, ranges=ranges, seed=3)
    )
    assert sample_points(Sample(n=8, ranges=ranges, seed=3)) != sample_points(
        Sample(n=8, ranges=ranges, seed=4)
    )


def test_sampled_sweep_runs_valid_scenarios():
    """A sweep over a sample turns each sampled value into a valid scenario (rates keep "/day")."""
    sample = (
        "sweep:\n  sample:\n    n: 3\n    ranges:\n"
        "      demand.arrivals.rate: {min: 80/day, max: 120/day}\n"
    )
    results = sweep(loads(TINY + sample), workers=1, replications=1, progress=False)
    assert results.failed == 0 and results.succeeded == 3
    assert set(results.summary().columns[:2]) == {"point", "demand.arrivals.rate"}


def test_every_point_meets_the_same_customers():
    """Common random numbers: points that differ only in staffing see the same arrivals."""
    results = sweep(loads(TINY), {"staff.desk.headcount": [2, 3, 4]}, workers=1, progress=False)
    rows = results.replications()
    arrived = rows[rows["metric"] == "orders_arrived"].pivot(
        index="replication", columns="point", values="value"
    )
    assert (arrived.nunique(axis=1) == 1).all()


# --------------------------------------------------------------------------- failures
def test_invalid_point_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    """A point whose scenario is invalid fails with its one-line error; the others run; exit 1."""
    file = write_scenario(tmp_path, GRID.replace("[2, 3]", "[-1, 2]"))
    status = sweep_main(cli_args(file, tmp_path / "out"))
    assert status == 1
    failures = (tmp_path / "out" / "failures.csv").read_text().splitlines()
    assert failures[0] == "point,staff.desk.headcount,products.widget.policy.s,error"
    assert [line.split(",")[0] for line in failures[1:]] == ["0", "1", "2"]
    assert "staff.desk.headcount" in failures[1] and "-1" in failures[1]
    summary = (tmp_path / "out" / "sweep.csv").read_text().splitlines()
    assert {line.split(",")[0] for line in summary[1:]} == {"3", "4", "5"}
    assert "6 points: 3 succeeded, 3 failed (see failures.csv)" in capsys.readouterr().out


def test_simulation_error_is_recorded_with_its_message(monkeypatch):
    """A point whose simulation raises is recorded as failed with one line naming the error."""
    import sim.model.build

    real = sim.model.build.simulate

    def fragile(scenario, replication, **options):
        if scenario.staff["desk"].headcount == 3:
            raise ZeroDivisionError("no desk\nat all")
        return real(scenario, replication, **options)

    monkeypatch.setattr(sim.model.build, "simulate", fragile)
    results = sweep(loads(TINY), {"staff.desk.headcount": [2, 3, 4]}, workers=1, progress=False)
    points = results.points()
    assert list(points["status"]) == ["ok", "failed", "ok"]
    assert points.loc[1, "error"] == "ZeroDivisionError: no desk; at all"


def test_failed_points_are_retried_when_the_sweep_is_run_again(tmp_path, monkeypatch):
    """Started again, a sweep reruns exactly its failed points and then drops failures.csv."""
    import sim.model.build

    real = sim.model.build.simulate

    def flaky(scenario, replication, **options):
        if scenario.staff["desk"].headcount == 3:
            raise RuntimeError("cluster node lost")
        return real(scenario, replication, **options)

    grid = {"staff.desk.headcount": [2, 3, 4]}
    monkeypatch.setattr(sim.model.build, "simulate", flaky)
    first = sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    assert first.failed == 1 and (tmp_path / "failures.csv").exists()
    monkeypatch.setattr(sim.model.build, "simulate", real)
    second = sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    assert second.ran == [1] and second.failed == 0
    assert not (tmp_path / "failures.csv").exists()


def test_file_without_sweep_section_exits_2(tmp_path, capsys):
    """``sweep`` on a file with no ``sweep`` section says so in one line and exits 2."""
    file = write_scenario(tmp_path, extra="")
    assert sweep_main(cli_args(file, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no sweep section" in err and "shop.yaml" in err


def test_the_sweep_command_plans_its_sweep_once(tmp_path, monkeypatch):
    """The command checks the sweep by planning it, then runs that plan: points are made once."""
    from sim.experiment.sweep import runner

    plans = []
    real = runner.plan_sweep

    def counted(*args, **options):
        plans.append(real(*args, **options))
        return plans[-1]

    monkeypatch.setattr(runner, "plan_sweep", counted)
    file = write_scenario(tmp_path, GRID)
    assert sweep_main(cli_args(file, tmp_path / "out")) == 0
    assert len(plans) == 1


def test_a_grid_given_with_a_plan_is_refused():
    """sweep() runs a SweepPlan as planned: a grid given beside it is refused, not half-applied."""
    plan = plan_sweep(loads(TINY), {"staff.desk.headcount": [2, 3]}, replications=1)
    with pytest.raises(ValueError, match="a SweepPlan has its points and replications already"):
        sweep(plan, {"staff.desk.headcount": [4]}, workers=1, progress=False)


# --------------------------------------------------------------------------- the store
def test_store_refuses_results_of_another_sweep(tmp_path, capsys):
    """An output folder holding another sweep (other replications) is refused with exit 2."""
    grid = {"staff.desk.headcount": [2, 3]}
    sweep(loads(TINY), grid, workers=1, out=tmp_path / "out", progress=False, plots=False)
    with pytest.raises(SweepMismatchError, match="replications \\(2 there, 3 now\\)"):
        sweep(loads(TINY), grid, replications=3, workers=1, out=tmp_path / "out", progress=False)
    file = write_scenario(tmp_path, GRID)
    assert sweep_main(cli_args(file, tmp_path / "out")) == 2
    assert "holds results of a different sweep" in capsys.readouterr().err


def test_resume_by_another_version_of_sim_is_refused(tmp_path, monkeypatch):
    """A folder of points from one version of sim is not resumed by another: new --out."""
    import sim

    grid = {"staff.desk.headcount": [2, 3]}
    sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    expected = (
        f"another version of the model \\(sim {sim.__version__} there, 9.9.9 now\\); "
        "points of two versions are never mixed in one sweep: choose a new --out folder"
    )
    monkeypatch.setattr(sim, "__version__", "9.9.9")
    with pytest.raises(SweepMismatchError, match=expected):
        sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)


def test_resume_after_the_model_source_changed_is_refused(tmp_path, monkeypatch):
    """Points simulated before sim/model or sim/scenario was edited are not mixed with new ones."""
    from sim.experiment.sweep import store

    grid = {"staff.desk.headcount": [2, 3]}
    sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    monkeypatch.setattr(store, "model_source_sha256", lambda: "0" * 64)
    with pytest.raises(
        SweepMismatchError,
        match="the source of sim/model or sim/scenario changed since.*choose a new --out folder",
    ):
        sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)


def test_model_source_hash_follows_every_model_and_scenario_file(tmp_path):
    """The model's hash is that of the installed files; editing one file of them changes it."""
    import shutil

    import sim
    from sim.experiment.sweep.store import model_source_sha256

    installed = Path(sim.__file__).resolve().parent
    copies = []
    for name in ("same", "edited"):
        for package in ("model", "scenario"):
            shutil.copytree(installed / package, tmp_path / name / package)
        copies.append(tmp_path / name)
    with open(copies[1] / "model" / "staff.py", "a", encoding="utf-8") as edited:
        edited.write("# one more line\n")
    assert model_source_sha256(copies[0]) == model_source_sha256()
    assert model_source_sha256(copies[1]) != model_source_sha256()


def _run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run_sim.py", "sweep", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


# The sweep command, SIGKILLing itself the moment its third point file is written: a
# kill at a known instant, however fast or loaded the machine is.
KILLED_AFTER_THREE_POINTS = """
import os, signal, sys
from sim.cli import main
from sim.experiment.sweep.store import SweepStore

write, written = SweepStore.write, []

def write_then_die(self, point, record):
    write(self, point, record)
    written.append(point)
    if len(written) == 3:
        os.kill(os.getpid(), signal.SIGKILL)

SweepStore.write = write_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_killed_sweep_resumes_and_ends_byte_identical(tmp_path):
    """SIGKILLed mid-way and run again, a sweep runs only its missing points; same sweep.csv."""
    grid = GRID.replace("[2, 3]", "[2, 3, 4]").replace("[50, 150, 250]", "[50, 100, 150, 200, 250]")
    file = write_scenario(tmp_path, grid)
    killed, points = tmp_path / "killed", tmp_path / "killed" / "points"
    command = ["sweep", str(file), "--out", str(killed), "--workers", "1", "--quiet"]
    process = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_THREE_POINTS, *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert not (killed / "sweep.csv").exists()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in points.glob("point-*.json")}
    assert len(before) == 3

    again = _run_cli(str(file), "--out", str(killed), "--workers", "1", "--quiet")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "Resumed: 3 points were already done; ran the other 12" in out
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in points.glob("point-*.json")}
    assert len(after) == 15
    assert {name: after[name] for name in before} == before  # finished points were not rerun

    fresh = tmp_path / "fresh"
    sweep(file, workers=1, out=fresh, progress=False, plots=False)
    assert (killed / "sweep.csv").read_bytes() == (fresh / "sweep.csv").read_bytes()


# --------------------------------------------------------------------------- executors
def test_one_and_two_workers_give_byte_identical_results(tmp_path):
    """Two local worker processes give the same sweep.csv, byte for byte, as one."""
    file = write_scenario(tmp_path)
    sweep(file, workers=1, out=tmp_path / "one", progress=False, plots=False)
    sweep(file, workers=2, out=tmp_path / "two", progress=False, plots=False)
    one = (tmp_path / "one" / "sweep.csv").read_bytes()
    assert one == (tmp_path / "two" / "sweep.csv").read_bytes()
    header = one.decode().splitlines()[0]
    assert header == (
        "point,staff.desk.headcount,products.widget.policy.s,"
        "metric,subject,mean,ci_low,ci_high,sd,n,unit"
    )


# --------------------------------------------------------------------------- frontier
def test_pareto_mask_keeps_exactly_the_undominated_points():
    """The frontier drops a point only when another is as cheap and as good, one strictly."""
    cost = [10, 20, 30, 20, 40, 30, 10]
    service = [0.5, 0.9, 0.95, 0.8, 0.95, 0.95, 0.5]
    # 3 is beaten by 1; 4 by 2 (same service, cheaper); 5 ties 2 exactly; 6 ties 0 exactly.
    assert pareto_mask(cost, service) == [True, True, True, False, False, True, True]


def fake_results(
    keys: dict[str, list], values: dict[int, tuple[float, float]], kind="grid", revenue=5000.0
):
    """SweepResults over ``keys`` whose point p has (operating_cost, service_level) ``values[p]``
    and an income of ``revenue`` minus that cost."""
    base = loads(TINY)
    points = grid_points(keys)
    plan = SweepPlan(base, kind, tuple(keys), tuple(points), 2)
    records = {}
    for p, (cost, service) in values.items():
        rows = []
        for r, wiggle in enumerate((-1.0, 1.0)):
            rows += [
                [r, "operating_cost", "all", cost + wiggle * 100, "USD"],
                [r, "revenue", "all", revenue, "USD"],
                [r, "operating_income", "all", revenue - cost - wiggle * 100, "USD"],
                [r, "service_level", "all", service + wiggle * 0.01, "fraction"],
                [r, "throughput_per_day", "all", 90 + p + wiggle, "orders/day"],
            ]
        records[p] = {"status": "ok", "error": None, "rows": rows}
    return SweepResults(plan, records)


FRONTIER_VALUES = {
    0: (1000, 0.60),
    1: (1500, 0.70),
    2: (2000, 0.90),
    3: (1800, 0.65),
    4: (3000, 0.99),
    5: (3200, 0.95),
}


def test_frontier_lists_the_pareto_points_by_income():
    """``frontier()`` returns the points undominated on income and service level, best first."""
    keys = {"staff.desk.headcount": [1, 2, 3], "products.widget.policy.s": [10, 20]}
    frontier = fake_results(keys, FRONTIER_VALUES).frontier()
    assert list(frontier["point"]) == [0, 1, 2, 4]
    assert list(frontier["staff.desk.headcount"]) == [1, 1, 2, 3]
    assert list(frontier.columns) == [
        "point", *keys, "operating_income_mean", "operating_income_low", "operating_income_high",
        "service_level_mean", "service_level_low", "service_level_high", "within_noise",
    ]


def _noisy_results(series: dict[int, tuple[list[float], list[float]]]):
    """SweepResults whose point p has, replication by replication, the operating costs and
    service levels ``series[p]`` (revenue 5000)."""
    keys = {"staff.desk.headcount": list(range(1, len(series) + 1))}
    plan = SweepPlan(loads(TINY), "grid", tuple(keys), tuple(grid_points(keys)), 4)
    records = {}
    for p, (costs, services) in series.items():
        rows = []
        for r, (cost, service) in enumerate(zip(costs, services)):
            rows += [[r, "operating_cost", "all", cost, "USD"], [r, "revenue", "all", 5000, "USD"],
                     [r, "operating_income", "all", 5000 - cost, "USD"],
                     [r, "service_level", "all", service, "fraction"]]  # fmt: skip
        records[p] = {"status": "ok", "error": None, "rows": rows}
    return SweepResults(plan, records)


def test_a_point_beaten_only_by_noise_stays_on_the_frontier_marked_within_noise():
    """Point 1 is a little dearer and a little worse on the means, but the paired
    differences' intervals include zero: it stays, marked within_noise."""
    results = _noisy_results({
        0: ([1000, 1100, 900, 1000], [0.90, 0.92, 0.88, 0.90]),
        1: ([1010, 1050, 960, 1000], [0.89, 0.93, 0.87, 0.905]),
    })  # fmt: skip
    frontier = results.frontier()
    assert list(frontier["point"]) == [0, 1]
    assert list(frontier["within_noise"]) == [False, True]


def test_common_random_numbers_drop_a_point_beaten_beyond_noise():
    """Point 1 is dearer and worse in every replication by a steady margin, though each
    point's own intervals overlap: the paired intervals exclude zero and it is dropped."""
    results = _noisy_results({
        0: ([1000, 1400, 600, 1000], [0.90, 0.95, 0.85, 0.90]),
        1: ([1020, 1420, 620, 1020], [0.89, 0.94, 0.84, 0.89]),
    })  # fmt: skip
    assert list(results.frontier()["point"]) == [0]


def test_frontier_minimises_a_cost_objective():
    """With objective="operating_cost" the same points are kept, cheapest first."""
    keys = {"staff.desk.headcount": [1, 2, 3], "products.widget.policy.s": [10, 20]}
    frontier = fake_results(keys, FRONTIER_VALUES).frontier(objective="operating_cost")
    assert list(frontier["point"]) == [0, 1, 2, 4]
    assert frontier["operating_cost_mean"].is_monotonic_increasing


def test_sweep_plots_show_income_where_the_business_sells_and_cost_where_it_does_not():
    """The money measure of the sweep plots is income with revenue, operating cost without."""
    keys = {"staff.desk.headcount": [1, 2, 3]}
    values = {p: FRONTIER_VALUES[p] for p in range(3)}
    assert fake_results(keys, values).objective_metric() == "operating_income"
    assert fake_results(keys, values, revenue=0.0).objective_metric() == "operating_cost"


# --------------------------------------------------------------------------- plots
@pytest.mark.parametrize(
    ("keys", "kind", "expected"),
    [
        ({"staff.desk.headcount": [1, 2, 3, 4]}, "grid", {"sweep_metrics.png", "sweep_pareto.png"}),
        (
            {"staff.desk.headcount": [1, 2], "products.widget.policy.s": [10, 20]},
            "grid",
            {"sweep_heatmaps.png", "sweep_pareto.png"},
        ),
        (
            {"staff.desk.headcount": [1, 2], "demand.arrivals.rate": ["80/day", "90/day"]},
            "sample",
            {"sweep_keys.png", "sweep_pareto.png"},
        ),
    ],
)
def test_plots_are_written_for_each_kind_of_sweep(tmp_path, keys, kind, expected):
    """One key gives metric lines, two keys heat maps, a sample scatters; always the Pareto plot."""
    pytest.importorskip("matplotlib").use("Agg")
    n = len(grid_points(keys))
    values = {p: (1000 + 300 * p, 0.5 + 0.1 * (p % 4)) for p in range(n)}
    results = fake_results(keys, values, kind)
    results.save(tmp_path)
    written = {p.name for p in tmp_path.glob("sweep_*.png")}
    assert written == expected
    assert all((tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)


def test_sim_sweep_is_callable_even_after_importing_the_module():
    """``sim.sweep(...)`` runs a sweep although ``sim.sweep`` is also a module (imported here)."""
    import sim
    import sim.experiment.sweep.runner  # noqa: F401 - binds sim.experiment.sweep.runner to the module

    results = sim.sweep(loads(TINY), {"staff.desk.headcount": [2]}, workers=1, progress=False)
    assert isinstance(results, SweepResults) and results.succeeded == 1


def test_a_grid_and_a_sample_together_are_refused():
    """A sweep section with both a grid and a sample (easy to get with extends) is bad input."""
    sample = "  sample: {n: 2, ranges: {staff.desk.headcount: {min: 1, max: 3}}}\n"
    with pytest.raises(ScenarioError, match="give a grid or a sample, not both"):
        plan_sweep(loads(TINY + GRID + sample))


def test_a_worker_running_a_point_never_imports_pandas_scipy_or_matplotlib():
    """The task a worker unpickles and runs pulls in the model only, not the parent's libraries."""
    import pickle

    from sim.experiment.sweep.points import run_point

    task = pickle.dumps((run_point, plan_sweep(loads(TINY + GRID)).point_scenario(0), 1))
    code = (
        "import pickle, sys; fn, scenario, reps = pickle.loads(sys.stdin.buffer.read()); "
        "assert fn(scenario, reps)['error'] is None; print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=task, capture_output=True, cwd=REPO, check=True
    )
    loaded = {name.split(".")[0] for name in out.stdout.decode().split()}
    assert "simpy" in loaded
    assert not loaded & {"pandas", "scipy", "matplotlib", "tqdm", "distributed"}


def test_an_unreadable_point_file_is_run_again(tmp_path):
    """A point file left empty by a machine crash counts as missing: that point runs again."""
    grid = {"staff.desk.headcount": [2, 3]}
    sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    expected = (tmp_path / "sweep.csv").read_bytes()
    (tmp_path / "points" / "point-000001.json").write_text("")
    again = sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    assert again.ran == [1]
    assert (tmp_path / "sweep.csv").read_bytes() == expected


def test_figures_are_byte_identical_from_run_to_run(tmp_path):
    """The same results draw the same PNG files, byte for byte (no timestamps, no version)."""
    pytest.importorskip("matplotlib").use("Agg")
    keys = {"staff.desk.headcount": [1, 2], "products.widget.policy.s": [10, 20]}
    values = {p: (1000 + 300 * p, 0.5 + 0.1 * p) for p in range(4)}
    for folder in ("a", "b"):
        fake_results(keys, values).save(tmp_path / folder)
    for png in (tmp_path / "a").glob("*.png"):
        assert png.read_bytes() == (tmp_path / "b" / png.name).read_bytes()


def test_two_sweeps_writing_to_one_folder_at_once_are_refused(tmp_path):
    """While one sweep holds an output folder, a second one into it stops with a clear error."""
    from sim.errors import SweepLockedError
    from sim.experiment.sweep.store import SweepStore

    plan = plan_sweep(loads(TINY + GRID))
    with SweepStore(tmp_path, plan.identity()):
        with pytest.raises(SweepLockedError, match="another sweep is writing to this folder"):
            sweep(loads(TINY + GRID), workers=1, out=tmp_path, progress=False)
    assert sweep(loads(TINY + GRID), workers=1, out=tmp_path, progress=False, plots=False).ran


def test_ctrl_c_keeps_the_finished_points(tmp_path, monkeypatch):
    """After Ctrl-C a sweep keeps the points that finished; run again, it runs only the rest."""
    import sim.model.build

    real = sim.model.build.simulate

    def interrupted(scenario, replication, **options):
        if scenario.staff["desk"].headcount == 4:
            raise KeyboardInterrupt
        return real(scenario, replication, **options)

    grid = {"staff.desk.headcount": [2, 3, 4, 5]}
    monkeypatch.setattr(sim.model.build, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    kept = sorted(p.name for p in (tmp_path / "points").glob("point-*.json"))
    assert kept == ["point-000000.json", "point-000001.json"]
    monkeypatch.setattr(sim.model.build, "simulate", real)
    again = sweep(loads(TINY), grid, workers=1, out=tmp_path, progress=False, plots=False)
    assert again.ran == [2, 3] and again.succeeded == 4
