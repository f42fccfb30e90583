"""Benchmark (run by hand, not a test): the run-size estimate against measured CPU time.

    python bench/estimate.py                   # every example scenario, 182 days each
    python bench/estimate.py --days 365 --repeats 3

``sim.experiment.estimate`` sizes a run before it starts: events per replication
(``rate × horizon × (1 + timed steps)``, plus shift changes and reviews per day) times
``SECONDS_PER_EVENT``. This measures, for the base of every file in ``scenarios/``
with ``run.horizon`` set to ``--days`` and no warm-up, the CPU seconds of one
replication (``sim.model.build.simulate``, the best of ``--repeats``, each in a fresh
process) and prints them beside the estimate: the measured µs per event is what
``SECONDS_PER_EVENT`` is rounded up from, and ``measured / estimated`` says how far
off the estimate is for each kind of business.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
from sim.model.build import simulate
from sim.scenario.loader import load
scenario = load(sys.argv[1]).base().with_changes({"run.horizon": sys.argv[2], "run.warmup": "0d"})
c0 = time.process_time()
simulate(scenario, 0)
print(json.dumps({"cpu_s": time.process_time() - c0}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=182, help="horizon in days (default 182)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per scenario (best kept)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from sim.experiment.estimate import SECONDS_PER_EVENT, events
    from sim.scenario.loader import load

    print(f"SECONDS_PER_EVENT = {SECONDS_PER_EVENT * 1e6:g} µs; horizon {args.days} days\n")
    print("| scenario | events (estimated) | CPU s measured | µs per event | CPU s estimated "
          "| measured / estimated |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = load(path).base().with_changes(
            {"run.horizon": f"{args.days}d", "run.warmup": "0d"}
        )
        n = events(scenario)
        cpu = min(
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", _CHILD, str(path), f"{args.days}d", str(ROOT)],
                    capture_output=True, text=True, check=True,
                ).stdout
            )["cpu_s"]
            for _ in range(args.repeats)
        )
        estimated = n * SECONDS_PER_EVENT
        print(f"| {scenario.name} | {n:,.0f} | {cpu:.2f} | {cpu / n * 1e6:.1f} | "
              f"{estimated:.2f} | {cpu / estimated:.2f} |", flush=True)


if __name__ == "__main__":
    main()
