"""Benchmark of sweeps (run by hand, not a test): wall time and per-point overhead.

    python bench/sweep.py            # prints a Markdown table for bench/RESULTS.md

1. A 100-point sweep (a 10 x 10 grid of desk headcount x reorder point on a small shop,
   20 simulated days, 3 replications per point) on 1 and 2 local worker processes and on
   a Dask ``LocalCluster`` (2 worker processes, 1 thread each), each into a fresh output
   folder (so every finished point is stored on disk as it would be for real).
2. Per-point overhead: the same 100 points with a 1-hour horizon and 1 replication, so
   that simulating costs next to nothing and the wall time is the cost of planning,
   validating, shipping, storing and summarising a point.
3. Resuming: the 100-point sweep started again in its finished folder (nothing to run).

Figures (sweep_*.png) are drawn once, after the timings, and timed on their own.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIO = """\
name: bench-shop
run: {horizon: 20d, warmup: 2d, replications: 3, seed: 1}
demand:
  arrivals: {rate: 150/day}
  lines: {dist: constant, value: 1}
  quantity: {dist: geometric, mean: 1.3}
products:
  widget:
    price: 20
    unit_cost: 8
    holding_cost: 0.05/day
    initial_stock: 300
    supplier: acme
    policy: {type: s_S, s: 100, S: 500}
suppliers:
  acme: {lead_time: {dist: gamma, mean: 2d, cv: 0.4}, order_cost: 50}
staff:
  desk: {headcount: 3, wage: 20/h}
process:
  - {step: pick, staff: desk, time: {dist: exponential, mean: 20min}}
service: {promise: 8h}
costs: {backorder: 2/day}
sweep:
  grid:
    staff.desk.headcount: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    products.widget.policy.s: [20, 60, 100, 140, 180, 220, 260, 300, 340, 380]
"""


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", file=sys.stderr)
    return seconds, result


def main() -> None:
    import dask
    import distributed
    import numpy
    import pandas
    import simpy

    from sim.experiment.sweep.runner import sweep
    from sim.scenario.loader import load

    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    file = work / "bench.yaml"
    file.write_text(SCENARIO, encoding="utf-8")
    trivial = work / "trivial.yaml"
    trivial.write_text(SCENARIO.replace("horizon: 20d, warmup: 2d", "horizon: 1h, warmup: 0h"))
    scenario, quick = load(file), load(trivial)
    import sim.experiment.stats  # noqa: F401 - scipy's import (about 1.5 s) is not a sweep's cost

    rows = []

    def run(label, scenario, **kwargs):
        out = work / f"out-{len(rows)}"
        load_average = os.getloadavg()[0]
        seconds, results = timed(
            label, sweep, scenario, out=out, progress=False, plots=False, **kwargs
        )
        assert results.failed == 0, results.failures()
        cpu = sum(results._records[p].get("cpu_seconds") or 0.0 for p in results.ran)
        rows.append((label, seconds, results, cpu, load_average))
        return out, results

    print("100-point sweep, 3 replications per point:", file=sys.stderr)
    one_out, _ = run("1 local worker", scenario, workers=1)
    two_out, _ = run("2 local workers", scenario, workers=2)
    print("100 trivial points (1 h horizon, 1 replication):", file=sys.stderr)
    run("overhead, 1 local worker", quick, workers=1, replications=1)
    run("overhead, 2 local workers", quick, workers=2, replications=1)

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        # Warm the workers (imports of sim, simpy, pydantic), as a long-lived cluster is.
        sweep(
            quick,
            {"staff.desk.headcount": [2, 3]},
            replications=1,
            scheduler=address,
            progress=False,
        )
        dask_out, _ = run("Dask LocalCluster (2 x 1 thread)", scenario, scheduler=address)
        run("overhead, Dask LocalCluster", quick, scheduler=address, replications=1)

    identical = (
        (one_out / "sweep.csv").read_bytes()
        == (two_out / "sweep.csv").read_bytes()
        == (dask_out / "sweep.csv").read_bytes()
    )
    resume_seconds, resumed = timed(
        "resume a finished sweep",
        sweep,
        scenario,
        out=one_out,
        workers=2,
        progress=False,
        plots=False,
    )
    assert resumed.ran == []
    plot_seconds, _ = timed("figures", resumed.save, one_out)

    print(f"\nDate: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    print(
        f"Versions: Python {platform.python_version()}, simpy {simpy.__version__}, "
        f"numpy {numpy.__version__}, pandas {pandas.__version__}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}"
    )
    print("Command: `python bench/sweep.py`\n")
    print(
        "| run | points | replications | wall time (s) | wall per point (ms) "
        "| simulation CPU, all points (s) | cores used (CPU / wall) | load average before |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, seconds, results, cpu, load_average in rows:
        n = len(results.plan.points)
        print(
            f"| {label} | {n} | {results.plan.replications} | {seconds:.2f} | "
            f"{1000 * seconds / n:.0f} | {cpu:.2f} | {cpu / seconds:.2f} | {load_average:.1f} |"
        )
    print(f"| resume a finished sweep (nothing to run) | 100 | 3 | {resume_seconds:.2f} | | | | |")
    print(f"| draw and save the figures | | | {plot_seconds:.2f} | | | | |")
    print(f"\nsweep.csv byte-identical on 1 worker, 2 workers and Dask: {identical}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
