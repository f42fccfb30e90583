"""Sweeps on a real Dask cluster give the same numbers as on one local process."""

from __future__ import annotations

import argparse
from pathlib import Path

import distributed
import pytest

from sim.cli.sweep import main as sweep_main
from sim.experiment.sweep.runner import sweep

REPO = Path(__file__).resolve().parents[1]

SCENARIO = """\
name: dask-shop
run: {horizon: 6d, warmup: 1d, replications: 2, seed: 5}
demand:
  arrivals: {rate: 100/day}
  lines: {dist: constant, value: 1}
  quantity: {dist: constant, value: 1}
products:
  widget:
    price: 20
    unit_cost: 8
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
sweep:
  grid:
    staff.desk.headcount: [2, 3]
    products.widget.policy.s: [50, 150, 250]
"""


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, as on a small real cluster."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def test_dask_cluster_gives_byte_identical_sweep_csv(tmp_path, cluster):
    """``sweep --scheduler ADDRESS`` on two Dask workers writes the sweep.csv of one process."""
    file = tmp_path / "shop.yaml"
    file.write_text(SCENARIO, encoding="utf-8")
    args = argparse.Namespace(
        file=str(file),
        out=str(tmp_path / "dask"),
        workers=None,
        scheduler=cluster.scheduler_address,
        quiet=True,
        replications=None,
        set=[],
    )
    assert sweep_main(args) == 0
    sweep(file, workers=1, out=tmp_path / "local", progress=False, plots=False)
    dask_csv = (tmp_path / "dask" / "sweep.csv").read_bytes()
    assert dask_csv == (tmp_path / "local" / "sweep.csv").read_bytes()
    assert len(dask_csv.splitlines()) > 6


def test_identical_points_on_dask_are_run_not_deduplicated(tmp_path, cluster):
    """Two points with the same values are two tasks on Dask, each recorded as its own point."""
    file = tmp_path / "shop.yaml"
    file.write_text(SCENARIO, encoding="utf-8")
    results = sweep(
        file,
        {"staff.desk.headcount": [2, 2, 3]},
        replications=1,
        scheduler=cluster.scheduler_address,
        progress=False,
    )
    assert results.succeeded == 3
    summary = results.summary()
    first, second = (summary[summary["point"] == p].drop(columns="point") for p in (0, 1))
    assert first.reset_index(drop=True).equals(second.reset_index(drop=True))


def test_optimize_on_a_dask_cluster_decides_as_one_process(cluster):
    """``sim.optimize(..., scheduler=ADDRESS)`` gives the decision table of one process."""
    import sim
    from sim.scenario.loader import loads

    text = """\
name: desk
run: {horizon: 5d, warmup: 1d, seed: 3}
demand: {arrivals: {rate: 12/h}}
staff: {agents: {headcount: 3, wage: 20/h}}
process: [{step: serve, staff: agents, time: {dist: exponential, mean: 10min}}]
optimize:
  decisions: {staff.agents.headcount: {min: 3, max: 5}}
  objective: {minimize: operating_cost}
  constraints: ["wait_mean_h[serve] <= 0.04 ± 0.01"]
  budget: 300
"""
    on_dask = sim.optimize(loads(text), scheduler=cluster.scheduler_address, progress=False)
    local = sim.optimize(loads(text), workers=1, progress=False)
    assert on_dask.table().equals(local.table())
