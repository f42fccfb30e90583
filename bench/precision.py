"""Benchmark (run by hand, not a test): coverage of warm-up auto + replications auto.

    python bench/precision.py                   # 200 macro-replications per configuration
    python bench/precision.py --macros 50 --processes 1 --horizon 2000h

An M/M/1 queue at 80% load (λ = 0.8/h, μ = 1/h, promise 10 h) that starts empty and
idle, horizon 1,000 h (``--horizon``; its relaxation time 1/(μ(1−√ρ)²) is 90 h, and
without a warm-up the mean wait over 1,000 h is biased low by about 2.5%), at most
1,000 replications, is run by ``sim.run`` many times over, each time on fresh random
numbers (a *macro-replication*: seed 1000 + m), and each final interval is compared with
the exact steady-state answer:

* ``wait_mean_h[serve]``: Erlang C, W_q = ρ / (μ − λ) = 4 h;
* ``cycle_time_mean_h``: W = 1 / (μ − λ) = 5 h;
* ``service_level``: P(T <= 10 h) = 1 − exp(−(μ − λ) 10) = 0.8647;
* ``throughput_per_day``: λ × 24 = 19.2.

Configurations:

* ``auto + 5% headline``: ``warmup: auto`` and ``replications: auto`` with precision 5%
  on the headline measures (the default): the wait is not in the stopping rule;
* ``auto + 5% on the wait``: the same with ``precision_metrics=["wait_mean_h[serve]"]``:
  the stopping rule watches the noisiest measure;
* ``no warm-up + 5% on the wait``: the control: the same stopping rule, warm-up 0, so
  the empty start biases every replication.

For each: the share of macro-replications whose final 95% interval contains the exact
value (with its Wilson 95% interval: 200 macro-replications resolve coverage to about
±3 points), the mean replications used, the mean warm-up chosen, and the share of final
estimates within 5% of the exact value. Macro-replications run in ``--processes``
worker processes (each ``sim.run`` itself with ``workers=1``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MM1 = """
name: mm1-from-empty
run: {{horizon: {horizon}, warmup: {warmup}, replications: auto, precision: 5%,
      max_replications: 1000, seed: {seed}}}
demand: {{arrivals: {{rate: 0.8/h}}}}
staff: {{desk: {{headcount: 1, wage: 20/h}}}}
process: [{{step: serve, staff: desk, time: {{dist: exponential, mean: 1h}}}}]
service: {{promise: 10h}}
"""
LAMBDA, MU, PROMISE = 0.8, 1.0, 10.0
MEASURES = {
    "wait_mean_h[serve]": ("wait_mean_h", "serve"),
    "cycle_time_mean_h": ("cycle_time_mean_h", "all"),
    "service_level": ("service_level", "all"),
    "throughput_per_day": ("throughput_per_day", "all"),
}
CONFIGS = {
    "auto + 5% headline": ("auto", None),
    "auto + 5% on the wait": ("auto", ["wait_mean_h[serve]"]),
    "no warm-up + 5% on the wait": ("0h", ["wait_mean_h[serve]"]),
}


def exact() -> dict[str, float]:
    from sim import theory

    return {
        "wait_mean_h[serve]": theory.mmc(LAMBDA, MU, 1)["wq"],
        "cycle_time_mean_h": theory.mmc(LAMBDA, MU, 1)["w"],
        "service_level": theory.mm1_sojourn_within(LAMBDA, MU, PROMISE),
        "throughput_per_day": LAMBDA * 24.0,
    }


def macro(task: tuple[str, int, str]) -> dict:
    """One macro-replication of one configuration: the final intervals and counts."""
    import sim

    config, m, horizon = task
    warmup, metrics = CONFIGS[config]
    scenario = sim.loads(MM1.format(warmup=warmup, seed=1000 + m, horizon=horizon))
    start = time.process_time()
    results = sim.run(scenario, workers=1, progress=False, precision_metrics=metrics)
    summary = results.summary().set_index(["metric", "subject"])
    found = {"config": config, "macro": m, "cpu": time.process_time() - start,
             "replications": results.replication_count, "warmup_h": results.warmup_h(),
             "met": results.precision_report.met}  # fmt: skip
    for name, key in MEASURES.items():
        row = summary.loc[key]
        found[name] = (float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
    return found


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macros", type=int, default=200, help="macro-replications each")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", nargs="*", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--horizon", default="1000h", help="each replication's horizon")
    args = parser.parse_args(argv)
    truth = exact()
    tasks = [(config, m, args.horizon) for config in args.only for m in range(args.macros)]
    wall = time.perf_counter()
    load_before = os.getloadavg()
    if args.processes > 1:
        with ProcessPoolExecutor(args.processes) as pool:
            done = list(pool.map(macro, tasks, chunksize=4))
    else:
        done = [macro(task) for task in tasks]
    wall = time.perf_counter() - wall
    print(f"M/M/1 ρ = 0.8 from empty, horizon {args.horizon}, {args.macros} macro-replications per "
          f"configuration; {platform.python_version()}, {os.cpu_count()} cores, "
          f"{args.processes} processes, {wall:.0f} s wall, "
          f"{sum(d['cpu'] for d in done):.0f} s CPU, load average before "
          f"{load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print("| configuration | measure | exact | coverage of the 95% interval | Wilson 95% "
          "| mean estimate | mean relative half-width | within 5% of exact |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    by_config = {config: [d for d in done if d["config"] == config] for config in args.only}
    for config, rows in by_config.items():
        for name, value in truth.items():
            hits = sum(lo <= value <= hi for _, lo, hi in (r[name] for r in rows))
            low, high = wilson(hits, len(rows))
            means = [r[name][0] for r in rows]
            halves = [(r[name][2] - r[name][1]) / 2 / abs(r[name][0]) for r in rows]
            close = sum(abs(mean - value) <= 0.05 * value for mean in means)
            print(f"| {config} | `{name}` | {value:.4g} | {hits / len(rows):.1%} "
                  f"({hits}/{len(rows)}) | {low:.1%}–{high:.1%} | {statistics.mean(means):.4g} "
                  f"| {statistics.mean(halves):.2%} | {close / len(rows):.1%} |")  # fmt: skip
    print("\n| configuration | replications: mean (min–max) | warm-up h: mean (min–max) "
          "| stopped by precision | CPU s per macro-replication |")
    print("|---|---|---|---:|---:|")
    for config, rows in by_config.items():
        reps = [r["replications"] for r in rows]
        warm = [r["warmup_h"] for r in rows]
        print(f"| {config} | {statistics.mean(reps):.1f} ({min(reps)}–{max(reps)}) | "
              f"{statistics.mean(warm):.0f} ({min(warm):.0f}–{max(warm):.0f}) | "
              f"{sum(r['met'] for r in rows) / len(rows):.0%} | "
              f"{statistics.mean(r['cpu'] for r in rows):.2f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
