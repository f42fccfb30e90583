"""Benchmark (run by hand, not a test): the e-commerce example for one simulated year.

    python bench/ecommerce.py                  # 1 year, 3 runs, each in a fresh process
    python bench/ecommerce.py --years 2 --repeats 5 --tracemalloc

``scenarios/ecommerce.yaml`` (shifts, four SKUs with reorder policies, two suppliers,
three staffed steps, backorders) is run as it is, except ``run.horizon`` (365 days per
year) and ``run.warmup`` (0, so every simulated order is counted in
``orders_arrived``): one replication (replication 0) of the base scenario, through
``sim.model.build.simulate``, exactly as ``sim.run`` runs each replication.

Every run is a fresh ``python`` process, so the peak resident memory it reports
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that of one replication alone: the
interpreter, the imports (numpy, pydantic, simpy), the scenario and the simulation.
The child reports its RSS after the imports too, so the part due to simulating shows.
With ``--tracemalloc`` one more child runs the same replication under ``tracemalloc``
(several times slower, so it is not timed) and reports the peak of memory allocated by
Python during ``simulate`` alone.

Orders per second are orders simulated per CPU second of the child
(``time.process_time``, which other work on a shared machine does not inflate); wall
time is shown beside it. ``bench/memory.py`` uses :func:`measure` from here.

``--compare DIR`` times another copy of the model too (``DIR/sim``, e.g. the committed
one: ``mkdir /tmp/before && git archive 207bc4a sim | tar -x -C /tmp/before``) on the same
scenario file, alternating runs of the two, and checks that they give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ecommerce.yaml"


def _child(years: float, trace: bool, root: str) -> None:
    """Runs in the fresh process: one replication, then one JSON line on stdout."""
    import resource
    import time

    sys.path.insert(0, root)  # the copy of ``sim`` to time
    from sim.model.build import simulate
    from sim.scenario.loader import load

    scenario = load(SCENARIO).with_changes(
        {"run.horizon": f"{365 * years:g}d", "run.warmup": "0d"}
    )
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        import tracemalloc

        tracemalloc.start()
    c0, w0 = time.process_time(), time.perf_counter()
    out = simulate(scenario, 0)
    c1, w1 = time.process_time(), time.perf_counter()
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    metrics = {(m, s): v for m, s, v, _ in out.metrics}
    print(json.dumps({
        "years": years,
        "orders": metrics["orders_arrived", "all"],
        "completed": metrics["orders_completed", "all"],
        "cost_total": metrics["cost_total", "all"],
        "cpu_s": c1 - c0,
        "wall_s": w1 - w0,
        "maxrss_ready_kib": rss_ready,  # Linux: ru_maxrss is in KiB
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "traced_peak_bytes": traced_peak,
        "metric_rows": len(out.metrics),
        "series_rows": len(out.series),
    }))


def measure(years: float, trace: bool = False, root: Path = ROOT) -> dict[str, Any]:
    """One replication of ``years`` simulated years in a fresh process: its measurements.

    ``root`` is the folder whose ``sim`` package is timed (this repository by default).
    """
    env = dict(os.environ, PYTHONHASHSEED="0")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--years", str(years),
               "--root", str(root)]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise RuntimeError(f"child failed ({' '.join(command)}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=1.0, help="simulated years (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="one more run under tracemalloc for the Python-allocated peak")
    parser.add_argument("--compare", type=Path, default=None, metavar="DIR",
                        help="also time DIR/sim, alternating with this tree's")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.years, args.tracemalloc, args.root)
        return
    if args.compare is not None:
        _compare(args.compare.resolve(), args.years, args.repeats)
        return

    runs = []
    for i in range(args.repeats):
        r = measure(args.years)
        runs.append(r)
        print(f"  run {i + 1}: {r['orders']:,.0f} orders, cpu {r['cpu_s']:.2f} s, "
              f"wall {r['wall_s']:.2f} s, maxrss {r['maxrss_kib'] / 1024:.1f} MiB", flush=True)
    cpu = [r["cpu_s"] for r in runs]
    wall = [r["wall_s"] for r in runs]
    orders = runs[0]["orders"]
    assert all(r["orders"] == orders and r["cost_total"] == runs[0]["cost_total"] for r in runs)
    print()
    print(f"scenario {SCENARIO.relative_to(ROOT)}, {args.years:g} simulated year(s), "
          f"replication 0, {args.repeats} runs, each in a fresh process")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| orders simulated | {orders:,.0f} |")
    print(f"| orders completed | {runs[0]['completed']:,.0f} |")
    print(f"| cost_total (checksum) | {runs[0]['cost_total']:,.2f} |")
    print(f"| CPU s, best / median | {min(cpu):.2f} / {statistics.median(cpu):.2f} |")
    print(f"| wall s, best / median | {min(wall):.2f} / {statistics.median(wall):.2f} |")
    print(f"| orders per CPU second (best) | {orders / min(cpu):,.0f} |")
    print(f"| orders per wall second (best) | {orders / min(wall):,.0f} |")
    rss = max(r["maxrss_kib"] for r in runs) / 1024
    ready = max(r["maxrss_ready_kib"] for r in runs) / 1024
    print(f"| peak RSS (ru_maxrss), whole process | {rss:.1f} MiB |")
    print(f"| peak RSS after imports + scenario, before simulating | {ready:.1f} MiB |")
    if args.tracemalloc:
        t = measure(args.years, trace=True)
        print(f"| tracemalloc peak during simulate() | {t['traced_peak_bytes'] / 2**20:.2f} MiB |")


def _compare(other: Path, years: float, repeats: int) -> None:
    """Alternate runs of ``other``/sim and this tree's sim; one table row each."""
    roots = {"this tree": ROOT, str(other): other}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in roots}
    for i in range(repeats):
        order = list(roots) if i % 2 == 0 else list(roots)[::-1]
        for label in order:
            r = measure(years, root=roots[label])
            runs[label].append(r)
            print(f"  {label}: cpu {r['cpu_s']:.2f} s, wall {r['wall_s']:.2f} s, cost_total "
                  f"{r['cost_total']:,.2f}", flush=True)
    print()
    print("| code | orders | CPU s best | CPU s median | wall s best | wall s median "
          "| orders/CPU s best | orders/CPU s median | cost_total (checksum) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, rs in runs.items():
        cpu = [r["cpu_s"] for r in rs]
        wall = [r["wall_s"] for r in rs]
        n = rs[0]["orders"]
        print(f"| {label} | {n:,.0f} | {min(cpu):.2f} | {statistics.median(cpu):.2f} "
              f"| {min(wall):.2f} | {statistics.median(wall):.2f} | {n / min(cpu):,.0f} "
              f"| {n / statistics.median(cpu):,.0f} | {rs[0]['cost_total']:,.2f} |")
    mine, theirs = runs["this tree"], runs[str(other)]
    same = all(a["cost_total"] == b["cost_total"] and a["orders"] == b["orders"]
               for a, b in zip(mine, theirs))
    best = min(r["cpu_s"] for r in theirs) / min(r["cpu_s"] for r in mine)
    median = (statistics.median(r["cpu_s"] for r in theirs)
              / statistics.median(r["cpu_s"] for r in mine))
    print(f"\nthis tree is {best:.2f}x (best) / {median:.2f}x (median) as fast in CPU time; "
          f"same numbers: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
