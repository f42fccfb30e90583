"""Benchmark (run by hand, not a test): peak memory of 1 and of 10 simulated years.

    python bench/memory.py                     # 1 and 10 years of scenarios/ecommerce.yaml
    python bench/memory.py --years 1 10 --no-tracemalloc

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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecommerce import measure  # noqa: E402

TARGET = 1.10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, nargs="+", default=[1.0, 10.0],
                        help="lengths of run in simulated years (default: 1 10)")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help="only ru_maxrss (skips the slow traced runs)")
    args = parser.parse_args(argv)

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
