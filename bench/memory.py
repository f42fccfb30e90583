"""Benchmark (run by hand, not a test): peak memory of 1 and of 10 simulated years.

    python bench/memory.py                     # 1 and 10 years of scenarios/ecommerce.yaml
    python bench/memory.py --years 1 10 --no-tracemalloc
    python bench/memory.py --explode           # an exploding queue, horizons 30d to 100y

``--explode`` (issue #12): a desk offered 100 times what it can do (1000 calls an hour,
one agent serving 10), so its queue grows by some 24,000 calls a day. Each horizon is
one replication in a fresh process; it prints where the run stopped, the calls waiting
then, the peak RSS and the CPU seconds. With ``run.max_waiting`` (default 100,000) the
replication stops on day 4 whatever the horizon, so the peak stays flat; with the guard
lifted (``--no-guard``: max_waiting 10**9, short horizons only) memory grows with the
horizon, about 0.5 KB per waiting call.

Each length of run is simulated in a fresh ``python`` process (see
``bench/ecommerce.py``, whose :func:`measure` this uses): one replication of the
e-commerce example with ``run.horizon`` set to the number of years and no warm-up.
Two measures of the peak, because they answer different questions:

* ``ru_maxrss``: the peak resident memory of the whole process (interpreter, numpy,
  pydantic, simpy, the scenario and the simulation) -- what a planner's machine or a
  worker process must hold;
* the ``tracemalloc`` peak during ``simulate()`` alone (a second fresh process, not
  timed: tracing is several times slower) -- the part that would grow if the model
  kept anything per order.

Target (issue #7): the peak for 10 years is at most 1.10 x the peak for 1 year. The
engine keeps no per-order history (running statistics, a bounded quantile sketch and
400 series samples whatever the horizon), so only the queues and the event heap in
flight take memory, and those do not grow with the horizon.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecommerce import measure  # noqa: E402

TARGET = 1.10
ROOT = Path(__file__).resolve().parents[1]

EXPLODING = """\
name: exploding
run: {{horizon: {horizon}, replications: 1, max_waiting: {max_waiting}}}
demand: {{arrivals: {{rate: 1000/h}}}}
staff: {{desk: {{headcount: 1}}}}
process: [{{step: serve, staff: desk, time: {{dist: exponential, mean: 6min}}}}]
"""

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import sim
from sim.model.build import simulate
scenario = sim.loads(sys.argv[1])
c0 = time.process_time()
out = simulate(scenario, 0)
print(json.dumps({"unstable": out.unstable, "cpu_s": time.process_time() - c0,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def explode(horizons: list[str], max_waiting: int) -> None:
    """One replication of the exploding desk per horizon, each in a fresh process."""
    print("| horizon | run.max_waiting | stopped at day | calls waiting then | peak RSS MiB "
          "| CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for horizon in horizons:
        text = EXPLODING.format(horizon=horizon, max_waiting=max_waiting)
        done = subprocess.run([sys.executable, "-c", _CHILD, text, str(ROOT)],
                              capture_output=True, text=True, check=True)
        r = json.loads(done.stdout)
        day, waiting = ("-", "-") if r["unstable"] is None else (
            f"{r['unstable'][0] / 24:.1f}", f"{r['unstable'][1]:,}")
        print(f"| {horizon} | {max_waiting:,} | {day} | {waiting} | "
              f"{r['maxrss_kib'] / 1024:.1f} | {r['cpu_s']:.1f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, nargs="+", default=[1.0, 10.0],
                        help="lengths of run in simulated years (default: 1 10)")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help="only ru_maxrss (skips the slow traced runs)")
    parser.add_argument("--explode", action="store_true",
                        help="an exploding queue at growing horizons (run.max_waiting)")
    parser.add_argument("--no-guard", action="store_true",
                        help="with --explode: max_waiting 10**9 (default horizons 2d 8d 32d)")
    parser.add_argument("--horizons", nargs="+",
                        help="with --explode: horizons (default 30d 1y 10y 100y)")
    args = parser.parse_args(argv)
    if args.explode:
        default = ["2d", "8d", "32d"] if args.no_guard else ["30d", "1y", "10y", "100y"]
        explode(args.horizons or default, 10**9 if args.no_guard else 100_000)
        return

    rows = []
    for years in args.years:
        r = measure(years)
        t = None if args.no_tracemalloc else measure(years, trace=True)
        rows.append((years, r, t))
        traced = "" if t is None else f", tracemalloc peak {t['traced_peak_bytes'] / 2**20:.2f} MiB"
        print(f"  {years:g} year(s): {r['orders']:,.0f} orders, maxrss "
              f"{r['maxrss_kib'] / 1024:.1f} MiB{traced}", flush=True)

    first = rows[0]
    print()
    print("| simulated years | orders | peak RSS (ru_maxrss) MiB | ratio "
          "| RSS before simulating MiB | tracemalloc peak in simulate() MiB | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for years, r, t in rows:
        rss_ratio = r["maxrss_kib"] / first[1]["maxrss_kib"]
        if t is not None and first[2] is not None:
            traced = f"{t['traced_peak_bytes'] / 2**20:.2f}"
            traced_ratio = f"{t['traced_peak_bytes'] / first[2]['traced_peak_bytes']:.3f}"
        else:
            traced = traced_ratio = "-"
        print(f"| {years:g} | {r['orders']:,.0f} | {r['maxrss_kib'] / 1024:.1f} | {rss_ratio:.3f} "
              f"| {r['maxrss_ready_kib'] / 1024:.1f} | {traced} | {traced_ratio} |")
    last = rows[-1]
    verdict = last[1]["maxrss_kib"] <= TARGET * first[1]["maxrss_kib"]
    print(f"\ntarget: peak RSS for {last[0]:g} years <= {TARGET} x {first[0]:g} year(s): "
          f"{'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
