"""Benchmark (run by hand, not a test): 20 replications on 1 and on 2 worker processes.

    python bench/replications.py               # base of scenarios/ecommerce.yaml, 3 rounds
    python bench/replications.py --horizon 98d --rounds 2

Times ``sim.run(scenario, replications=20, workers=N, progress=False)`` for N = 1 (in
this process) and N = 2 (local worker processes, see ``sim/experiment/executors.py``), interleaved
round after round, on the base of the e-commerce example (its variants left out, so
there are exactly 20 tasks). Parallel speed-up is a matter of elapsed time, so the wall
time is what is compared (best and median over the rounds); the load average of the
machine is printed beside it, because other work on the cores eats into it.

Then it measures what could keep the speed-up below 2:

* the task sizes: CPU seconds of each of the 20 ``simulate(base, r)`` in this process
  (unequal tasks leave one worker idle at the end);
* worker start-up: the time to import ``sim.model.build`` in a fresh interpreter, the time
  for a fresh 2-worker pool (``sim.experiment.executors.executor(workers=2)``) to return its first
  results, and the CPU seconds each worker had used by then (its imports);
* pickling: the bytes and the time to pickle a task (the scenario) and a result (the
  metric and series rows), which cross between processes once per task;
* the machine's own ceiling: the wall time of two independent processes, each running
  the same 5 replications at the same time, against one alone. On an idle 2-core
  machine this is close to 2; vCPUs that share a physical core or a busy host give less,
  and no executor can beat it.

``--preload`` first calls ``set_forkserver_preload(["sim.model.build"])`` on the forkserver
context that ``sim.experiment.executors`` uses (before any pool starts), so that the forkserver
imports the model once and every worker is forked with it loaded: the fix proposed in
RESULTS.md, measured without editing ``sim/experiment/executors.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.experiment.executors import executor  # noqa: E402
from sim.model.build import simulate  # noqa: E402
from sim.scenario.loader import load  # noqa: E402

REPLICATIONS = 20


def _worker_cpu(_: int) -> tuple[int, float]:
    """(pid, CPU seconds this worker process has used so far)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return os.getpid(), usage.ru_utime + usage.ru_stime


def _timed_run(scenario: object, workers: int) -> float:
    t = time.perf_counter()
    sim.run(scenario, replications=REPLICATIONS, workers=workers, progress=False)
    return time.perf_counter() - t


def _import_time() -> float:
    code = "import time; t = time.perf_counter(); import sim.model; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return float(done.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ecommerce.yaml"))
    parser.add_argument("--horizon", default=None, help="override run.horizon, like 98d")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--preload", action="store_true",
                        help="forkserver preloads sim.model.build (the proposed fix)")
    args = parser.parse_args(argv)
    if args.preload:
        multiprocessing.get_context("forkserver").set_forkserver_preload(["sim.model.build"])

    scenario = load(args.scenario).variant_scenarios()[0]  # the base alone: 20 tasks
    if args.horizon:
        scenario = scenario.with_changes({"run.horizon": args.horizon})
    print(f"{scenario.name}: horizon {scenario.run.horizon:g} h, warm-up "
          f"{scenario.run.warmup:g} h, {REPLICATIONS} replications; {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; forkserver preload of sim.model.build: "
          f"{'on (--preload)' if args.preload else 'off (as sim/experiment/executors.py is)'}")

    wall: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(args.rounds):
        for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
            load_before = os.getloadavg()[0]
            seconds = _timed_run(scenario, workers)
            wall[workers].append(seconds)
            print(f"  round {round_ + 1}: {workers} worker(s) {seconds:6.2f} s wall "
                  f"(load average before: {load_before:.1f})", flush=True)

    best = min(wall[1]) / min(wall[2])
    median = statistics.median(wall[1]) / statistics.median(wall[2])
    print()
    print("| workers | wall s best | wall s median | speed-up (best) | speed-up (median) |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| 1 | {min(wall[1]):.2f} | {statistics.median(wall[1]):.2f} | 1.00x | 1.00x |")
    print(f"| 2 | {min(wall[2]):.2f} | {statistics.median(wall[2]):.2f} | {best:.2f}x "
          f"| {median:.2f}x |")

    # ---------------------------------------------------------------- diagnosis
    print("\nwhere the time goes:")
    sizes = []
    for r in range(REPLICATIONS):
        t = time.process_time()
        out = simulate(scenario, r)
        sizes.append(time.process_time() - t)
    total = sum(sizes)
    print(f"  task CPU s: min {min(sizes):.3f}, mean {total / len(sizes):.3f}, max "
          f"{max(sizes):.3f}; sum {total:.2f} (the best split on 2 workers: "
          f"{_best_split(sizes):.2f} s of work for the busier one)")
    imports = [_import_time() for _ in range(3)]
    print(f"  import sim.model.build in a fresh interpreter: {min(imports):.2f} s "
          f"(median {statistics.median(imports):.2f} s)")
    starts, worker_cpu = [], []
    for _ in range(3):
        t = time.perf_counter()
        with executor(workers=2) as pool:
            first = dict(pool.map(_worker_cpu, range(2)))
        starts.append(time.perf_counter() - t)
        worker_cpu.extend(first.values())
    print(f"  a fresh 2-worker pool, 2 trivial tasks, shut down: {min(starts):.2f} s "
          f"(median {statistics.median(starts):.2f} s); CPU a worker has used before its "
          f"first task: median {statistics.median(worker_cpu):.2f} s")
    alone, together = _ceiling(args.scenario, args.horizon)
    print(f"  machine ceiling: 5 replications take {alone:.2f} s alone, {together:.2f} s in "
          f"each of two processes at once -> at most {2 * alone / together:.2f}x on 2 workers")
    for what, obj in (("task (scenario, replication)", (scenario, 0)), ("result", out)):
        t = time.perf_counter()
        blob = pickle.dumps(obj)
        pickle.loads(blob)
        print(f"  pickle + unpickle one {what}: {len(blob) / 1024:.0f} KiB, "
              f"{(time.perf_counter() - t) * 1000:.1f} ms")


_SOLO = """
import sys, time
sys.path.insert(0, {root!r})
from sim.scenario.loader import load
from sim.model.build import simulate
scenario = load({scenario!r}).variant_scenarios()[0]
if {horizon!r}:
    scenario = scenario.with_changes({{"run.horizon": {horizon!r}}})
time.sleep(max(0.0, {start!r} - time.time()))  # start together
t = time.perf_counter()
for r in range(5):
    simulate(scenario, r)
print(time.perf_counter() - t)
"""


def _ceiling(scenario_path: str, horizon: str | None) -> tuple[float, float]:
    """Wall seconds of 5 replications in one process alone, and in each of two at once."""

    def launch(n: int) -> list[float]:
        start = time.time() + 2.0  # after both interpreters have imported everything
        code = _SOLO.format(root=str(ROOT), scenario=scenario_path, horizon=horizon,
                            start=start)
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                  text=True) for _ in range(n)]
        return [float(p.communicate()[0]) for p in procs]

    alone = min(launch(1)[0] for _ in range(2))
    together = min(max(launch(2)) for _ in range(2))
    return alone, together


def _best_split(sizes: list[float]) -> float:
    """Work of the busier worker when tasks are handed out in order to whoever is free."""
    loads = [0.0, 0.0]
    for s in sizes:
        loads[loads.index(min(loads))] += s
    return max(loads)


if __name__ == "__main__":  # worker processes re-import this file
    main()
