"""Tests for running replications: where they run never changes the numbers."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError, SimulationError
from sim.experiment.executors import (
    InProcessExecutor,
    TaskError,
    as_finished,
    default_workers,
    executor,
    run_tasks,
    start_method,
)
from sim.experiment.runner import execute, plan

SHOP = """
name: tiny-shop
currency: EUR
run: {horizon: 6d, warmup: 1d, replications: 3, seed: 7}
demand:
  arrivals: {rate: 100/day}
products:
  widget: {price: 20, unit_cost: 8, holding_cost: 0.01/day, initial_stock: 150,
           supplier: acme, policy: {type: s_S, s: 60, S: 200}}
suppliers:
  acme: {lead_time: {dist: exponential, mean: 1d}, order_cost: 30}
staff:
  pickers: {headcount: 2, wage: 18/h}
process:
  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}
service: {promise: 4h}
variants:
  more_pickers: {staff.pickers.headcount: 3}
"""


@pytest.fixture(scope="module")
def shop():
    return sim.loads(SHOP, file="shop.yaml")


# --- helpers run in worker processes (module level, so they can be pickled) -------------


def slow_when_early(scenario, replication):
    """A fake replication whose early tasks finish last."""
    time.sleep(0.05 * (3 - replication))
    return SimpleNamespace(scenario=scenario, replication=replication)


def broken(scenario, replication):
    """A fake replication that fails on replication 1."""
    if replication == 1:
        raise ZeroDivisionError("division by zero")
    return replication


# --- executors ------------------------------------------------------------------------


def test_in_process_executor_runs_at_submit_and_stores_errors():
    """workers=1 runs each task at once in this process; a task's error is kept in its future."""
    with executor(workers=1) as pool:
        assert isinstance(pool, InProcessExecutor)
        assert pool.submit(pow, 2, 10).result() == 1024
        failed = pool.submit(broken, "s", 1)
    assert isinstance(failed.exception(), ZeroDivisionError)


def test_run_tasks_returns_task_order_not_completion_order():
    """Results come back in the order the tasks were given, whichever worker finished first."""
    tasks = [("a", r) for r in range(4)]
    results = run_tasks(slow_when_early, tasks, workers=2, progress=False)
    assert [(out.scenario, out.replication) for out in results] == tasks


def test_run_tasks_names_the_failed_task():
    """A failing task raises TaskError with its position and the original error as the cause."""
    with pytest.raises(TaskError) as caught:
        run_tasks(broken, [("s", 0), ("s", 1), ("s", 2)], workers=1, progress=False)
    assert caught.value.index == 1
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_executor_refuses_a_bad_worker_count(workers):
    """workers must be a whole number of at least 1."""
    with pytest.raises(ValueError, match="workers: expected a whole number of 1 or more"):
        with executor(workers=workers):
            pass


def test_tasks_are_built_only_as_workers_free_up():
    """as_finished takes the next task from its generator only when a worker can run it."""
    built = []

    def tasks():
        for r in range(3):
            built.append(r)
            yield r, ("s", r)

    with as_finished(slow_when_early, tasks(), count=3, workers=1) as finished:
        first, _ = next(finished)
        assert (first, built) == (0, [0])
        assert [key for key, _ in finished] == [1, 2]


def test_a_task_that_cannot_be_submitted_finishes_with_its_error(monkeypatch):
    """A pool that refuses a task (a broken pool) gives that task a future holding the error."""

    def refuse(self, fn, *args, **kwargs):
        raise RuntimeError("the pool is broken")

    monkeypatch.setattr(InProcessExecutor, "submit", refuse)
    with as_finished(pow, [("a", (2, 3)), ("b", (2, 4))], count=2, workers=1) as finished:
        errors = {key: str(future.exception()) for key, future in finished}
    assert errors == {"a": "the pool is broken", "b": "the pool is broken"}


def test_start_method_is_spawn_where_forkserver_does_not_exist(monkeypatch):
    """Where the platform has no forkserver (Windows), worker processes are spawned."""
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert start_method() == "spawn"


def test_default_workers_counts_the_cpus_this_process_may_use(monkeypatch):
    """By default there is one worker per CPU the affinity mask allows, not per machine CPU."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers() == 2


def test_default_workers_falls_back_to_every_cpu_without_an_affinity_mask(monkeypatch):
    """Where the system keeps no affinity mask (Windows, macOS), every CPU is counted."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_workers() == 3


def test_worker_processes_never_import_pandas_scipy_or_matplotlib(shop):
    """A forkserver worker that unpickles a scenario and simulates it loads no heavy library."""
    probe = (
        "(__import__('sim.model.build').model.simulate(s, 0), sorted({m.split('.')[0] for m in "
        "__import__('sys').modules} & {'pandas', 'scipy', 'matplotlib'}))[1]"
    )
    with executor(workers=2) as pool:
        loaded = pool.submit(eval, probe, {"s": shop}).result()
    assert loaded == []


def test_parent_side_modules_import_light():
    """Importing sim, its runner and its executors pulls in no pandas, scipy or matplotlib."""
    code = (
        "import sys, sim, sim.experiment.runner, sim.experiment.executors; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas','scipy','matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- planning -------------------------------------------------------------------------


def test_plan_runs_base_then_variants_compared_with_the_base(shop):
    """A file contributes its base then its variants; each variant is compared with that base."""
    scenarios, baselines = plan(shop)
    assert [s.name for s in scenarios] == ["tiny-shop", "more_pickers"]
    assert baselines == {"tiny-shop": "tiny-shop", "more_pickers": "tiny-shop"}
    assert scenarios[1].staff["pickers"].headcount == 3


def test_plan_overrides_replace_the_run_block_of_base_and_variants(shop):
    """seed, horizon and replications replace the file's run settings in every scenario."""
    scenarios, _ = plan(shop, replications=2, seed=99, horizon="3d")
    for scenario in scenarios:
        assert (scenario.run.replications, scenario.run.seed, scenario.run.horizon) == (2, 99, 72.0)


def test_plan_validates_overrides(shop):
    """A horizon shorter than the warm-up is refused as a ScenarioError, before anything runs."""
    with pytest.raises(ScenarioError, match="warmup"):
        plan(shop, horizon="12h")


def test_plan_refuses_two_scenarios_with_one_name(shop):
    """Two files whose scenarios share a name cannot be told apart in the results."""
    with pytest.raises(ScenarioError, match='two scenarios are named "tiny-shop"'):
        plan([shop, shop])


def test_plan_compares_a_second_file_with_the_first(shop):
    """With several files, a later file's base is compared with the first file's base."""
    other = shop.with_changes({"name": "other-shop", "variants": {"fast": {"run.seed": 7}}})
    _, baselines = plan([shop, other])
    assert baselines["other-shop"] == "tiny-shop"
    assert baselines["fast"] == "other-shop"


def test_execute_says_which_replication_failed(shop):
    """A replication that raises is reported with its scenario name and replication number."""
    expected = r'scenario "tiny-shop", replication 1: ZeroDivisionError'
    with pytest.raises(SimulationError, match=expected):
        execute(broken, [(shop, 0), (shop, 1)], workers=1, progress=False)


# --- real runs ------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_summary_with_one_and_two_workers(shop, tmp_path):
    """One worker or two, the same seed writes the same summary.csv to the last byte."""
    one = sim.run(shop, workers=1, progress=False)
    two = sim.run(shop, workers=2, progress=False)
    one.summary().to_csv(tmp_path / "one.csv", index=False)
    two.summary().to_csv(tmp_path / "two.csv", index=False)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_spawned_workers_give_the_numbers_of_one_worker(shop, monkeypatch):
    """Where worker processes are spawned (no forkserver), two give what one gives, to the bit."""
    asked = []
    real = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(
        multiprocessing, "get_context", lambda method=None: asked.append(method) or real(method)
    )
    two = sim.run(shop, workers=2, progress=False)
    assert asked == ["spawn"]
    one = sim.run(shop, workers=1, progress=False)
    assert two.replications().equals(one.replications())
    assert two.summary().to_csv(index=False) == one.summary().to_csv(index=False)


def test_a_different_seed_gives_different_numbers(shop):
    """The seed matters: another seed gives other replications."""
    a = sim.run(shop, workers=1, progress=False, replications=2)
    b = sim.run(shop, workers=1, progress=False, replications=2, seed=8)
    assert not np.array_equal(a.replications()["value"], b.replications()["value"])


def test_paired_interval_is_narrower_than_unpaired_on_a_staffing_variant(shop):
    """Common random numbers make the paired interval of a staffing change narrower."""
    from scipy import stats as scipy_stats  # here, not at the top: workers import this module

    results = sim.run(shop, workers=1, progress=False, replications=8, horizon="10d")
    where = "metric == 'cycle_time_mean_h' and subject == 'all'"
    row = results.compare().query(where).iloc[0]
    paired = (row["diff_high"] - row["diff_low"]) / 2

    rows = results.replications().query(where)
    base = rows[rows["scenario"] == "tiny-shop"]["value"].to_numpy()
    variant = rows[rows["scenario"] == "more_pickers"]["value"].to_numpy()
    n = len(base)
    se = np.sqrt(base.var(ddof=1) / n + variant.var(ddof=1) / n)
    unpaired = scipy_stats.t.ppf(0.975, 2 * n - 2) * se
    assert paired < unpaired


def test_front_door_exports_a_sorted_list_of_working_names():
    """sim.__all__ is sorted and every name in it can be used."""
    assert sim.__all__ == sorted(sim.__all__)
    assert {"Results", "Scenario", "ScenarioError", "load", "loads", "run"} <= set(sim.__all__)
    for name in sim.__all__:
        assert getattr(sim, name) is not None
    with pytest.raises(AttributeError, match="module 'sim' has no attribute 'nope'"):
        sim.nope  # noqa: B018
