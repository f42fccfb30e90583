"""Benchmark (run by hand, not a test): how soon Ctrl-C stops a run and a sweep.

    python bench/interrupt.py                  # 8 interrupts of each, at random moments
    python bench/interrupt.py --trials 20 --seed 7

Target (issue #12): Ctrl-C stops ``run``, ``sweep`` (and ``optimize``, on the same
executors) within 5 seconds, with exit status 130. Each trial starts
``python run_sim.py`` in a process group of its own, as a terminal does, waits a random
time (seeded: 0.5 to 6 s, so some land during start-up, most mid-run), sends SIGINT to
the whole group (what Ctrl-C does: the workers get it too), and measures the wall time
from the signal to the command's exit. The scenarios are long on purpose: one
replication takes about 5 CPU seconds, so a tool that waited for the running
replications to finish would take that long to stop. It also checks that no process
of the group is left behind.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 5.0

LONG = """\
name: long-desk
run: {horizon: 3y, replications: 8, seed: 1}
demand: {arrivals: {rate: 300/day}}
staff: {agents: {headcount: 3}}
process: [{step: serve, staff: agents, time: {dist: exponential, mean: 10min}}]
sweep: {grid: {staff.agents.headcount: [3, 4, 5, 6, 7, 8]}, replications: 2}
"""


def trial(verb: list[str], delay: float, folder: Path) -> tuple[float, int, str, int]:
    """(seconds from SIGINT to exit, exit status, last line of stderr, processes left)."""
    command = [sys.executable, str(ROOT / "run_sim.py"), *verb, "--workers", "2", "--quiet",
               "--force", "--out", str(folder / f"out-{time.monotonic_ns()}")]
    process = subprocess.Popen(command, cwd=folder, start_new_session=True, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    seconds = time.monotonic() - sent
    time.sleep(0.2)
    left = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    alive = [pid for pid in left.stdout.split() if _alive(int(pid))]
    for pid in alive:
        os.kill(int(pid), signal.SIGKILL)
    return seconds, process.returncode, (err.strip().splitlines() or [""])[-1], len(alive)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    moments = random.Random(args.seed)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "long.yaml").write_text(LONG)
        for name, verb in (("run", ["long.yaml"]), ("sweep", ["sweep", "long.yaml"])):
            rows = [trial(verb, moments.uniform(0.5, 6.0), folder) for _ in range(args.trials)]
            times = [r[0] for r in rows]
            print(f"\n{name}: {args.trials} interrupts")
            print("| SIGINT to exit, s: median | max | exit statuses | processes left | "
                  "last line (one example) |")
            print("|---:|---:|---|---:|---|")
            print(f"| {statistics.median(times):.2f} | {max(times):.2f} | "
                  f"{sorted({r[1] for r in rows})} | {sum(r[3] for r in rows)} | {rows[-1][2]} |")
            verdict = "met" if max(times) <= TARGET_S else "NOT met"
            print(f"target: every interrupt ends within {TARGET_S:g} s: {verdict}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
