"""Benchmark (run by hand, not a test): one M/M/c queue in our engine, plain SimPy and Ciw.

    python bench/mmc.py                        # 500,000 customers, 3 interleaved repeats
    python bench/mmc.py --customers 100000 --repeats 5 --no-ciw

The same M/M/3 system at 90% load (Poisson arrivals 2.7/h, exponential service of
mean 1 h, one unbounded FCFS queue, starting empty, no warm-up) is simulated for
``customers / 2.7`` hours, so about ``--customers`` customers arrive, by:

(a) ``engine``: our engine, from a scenario written in YAML (``sim.scenario.loader.loads``) and
    run by ``sim.model.build.simulate`` with every metric and the level series on, exactly
    as ``sim.run`` would run one replication (building the model and its metric rows
    are timed too; parsing the YAML is not, it is done once);
(b) ``simpy``: the minimal idiomatic hand-written SimPy model: a ``simpy.Resource``
    with 3 servers, one process per customer, every wait appended to a list, random
    numbers from the standard library's ``random.Random``;
(c) ``ciw``: the same network in Ciw (if installed), waits read from its records.

The three are run in turn, round after round (the order rotates every round), so a
slow patch on a shared machine hits every contestant alike. For each we report the best
and the median over the rounds of the CPU time of this process (``time.process_time``,
which other processes on the machine do not inflate) and of the wall time, customers per
CPU second (best round), the ratio of that to (b), and the mean wait in the queue
against Erlang C (``sim.theory.mmc``): a fast model that gets the wrong answer is no use.
At 90% load successive waits are strongly correlated, so one long run still has a
sampling error of a few per cent; the ``s.e.`` column gives it, by batch means (20
batches of consecutive customers) over the waits of (b) and (c), which keep them (the
engine keeps no per-order data; the same system and length give it about the same).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import simpy  # noqa: E402

from sim.model.build import simulate  # noqa: E402
from sim.scenario.loader import loads  # noqa: E402
from sim.theory import mmc  # noqa: E402

SERVERS = 3
LOAD = 0.9
MEAN_SERVICE_H = 1.0
ARRIVAL_RATE = SERVERS * LOAD / MEAN_SERVICE_H  # per hour

SCENARIO = """\
name: mmc-bench
run: {{horizon: {horizon}, warmup: 0h, replications: 1, seed: {seed}}}
demand:
  arrivals: {{rate: {rate}/h}}
staff:
  desk: {{headcount: {servers}, wage: 20/h}}
process:
  - {{step: serve, staff: desk, time: {{dist: exponential, mean: 1h}}}}
"""

# One contestant: takes (horizon in hours, seed), returns (customers arrived, mean wait h,
# and None or a function giving the waits in order of arrival, called after the timing).
Waits = Callable[[], list[float]] | None
Contestant = Callable[[float, int], tuple[int, float, Waits]]
BATCHES = 20


def _batch_se(waits: list[float]) -> float:
    """Standard error of the mean of correlated ``waits`` by the method of batch means."""
    size = len(waits) // BATCHES
    means = [sum(waits[i * size:(i + 1) * size]) / size for i in range(BATCHES)]
    return statistics.stdev(means) / BATCHES**0.5


def engine(horizon: float, seed: int) -> tuple[int, float, Waits]:
    """(a) Our engine, every metric on."""
    scenario = _ENGINE_SCENARIOS[(horizon, seed)]
    out = simulate(scenario, 0)
    metrics = {(m, s): v for m, s, v, _ in out.metrics}
    return int(metrics["orders_arrived", "all"]), metrics["wait_mean_h", "serve"], None


_ENGINE_SCENARIOS: dict[tuple[float, int], object] = {}


def prepare_engine(horizon: float, seed: int) -> float:
    """Parse and validate the scenario once (not timed); return the seconds it took."""
    t = time.perf_counter()
    text = SCENARIO.format(
        horizon=f"{horizon:.6f}h", seed=seed, rate=f"{ARRIVAL_RATE:g}", servers=SERVERS
    )
    _ENGINE_SCENARIOS[(horizon, seed)] = loads(text)
    return time.perf_counter() - t


def plain_simpy(horizon: float, seed: int) -> tuple[int, float, Waits]:
    """(b) The textbook SimPy model: a Resource and a process per customer."""
    rng = random.Random(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=SERVERS)
    waits: list[float] = []
    arrived = 0

    def customer(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        arrive = env.now
        with desk.request() as request:
            yield request
            waits.append(env.now - arrive)
            yield env.timeout(rng.expovariate(1.0 / MEAN_SERVICE_H))

    def source(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        nonlocal arrived
        while True:
            yield env.timeout(rng.expovariate(ARRIVAL_RATE))
            arrived += 1
            env.process(customer(env))

    env.process(source(env))
    env.run(until=horizon)
    return arrived, sum(waits) / len(waits), lambda: waits


def ciw_model(horizon: float, seed: int) -> tuple[int, float, Waits]:
    """(c) The same queue in Ciw; waits of the customers that have finished service."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / MEAN_SERVICE_H)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon)
    records = simulation.get_all_records()
    waits = [r.waiting_time for r in records]
    # Customers who arrived: finished ones plus those still in the system at the end.
    in_system = sum(len(node.all_individuals) for node in simulation.transitive_nodes)
    # Records come in order of leaving; batch means want the order of arrival.
    def in_arrival_order() -> list[float]:
        return [r.waiting_time for r in sorted(records, key=lambda r: r.arrival_date)]

    return len(records) + in_system, sum(waits) / len(waits), in_arrival_order


def _timed(fn: Contestant, horizon: float, seed: int) -> tuple[float, float, Any]:
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    answer = fn(horizon, seed)
    c1, w1 = time.process_time(), time.perf_counter()
    return c1 - c0, w1 - w0, answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500_000,
                        help="customers expected to arrive per run (default 500,000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-ciw", action="store_true", help="leave Ciw out")
    args = parser.parse_args(argv)

    horizon = args.customers / ARRIVAL_RATE
    exact = mmc(ARRIVAL_RATE, 1.0 / MEAN_SERVICE_H, SERVERS)
    contestants: dict[str, Contestant] = {"engine": engine, "simpy": plain_simpy}
    if not args.no_ciw:
        try:
            import ciw  # noqa: F401

            contestants["ciw"] = ciw_model
        except ImportError:
            print("ciw is not installed: left out")
    parse_s = prepare_engine(horizon, args.seed)

    print(f"M/M/{SERVERS}, load {LOAD:.0%}, about {args.customers:,} customers "
          f"(horizon {horizon:,.1f} h), {args.repeats} interleaved rounds, seed {args.seed}")
    print(f"Python {platform.python_version()}, simpy {simpy.__version__}"
          + (f", ciw {sys.modules['ciw'].__version__}" if "ciw" in sys.modules else ""))
    print(f"(engine: YAML parsed and validated once in {parse_s * 1000:.0f} ms, not timed)")

    cpu: dict[str, list[float]] = {name: [] for name in contestants}
    wall: dict[str, list[float]] = {name: [] for name in contestants}
    answers: dict[str, Any] = {}
    names = list(contestants)
    for round_ in range(args.repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            c, w, answer = _timed(contestants[name], horizon, args.seed)
            cpu[name].append(c)
            wall[name].append(w)
            answers[name] = answer  # the same every round (same seed)
            print(f"  round {round_ + 1} {name:<7} cpu {c:7.2f} s  wall {w:7.2f} s", flush=True)

    base = answers["simpy"][0] / min(cpu["simpy"])
    print()
    print("| model | customers | CPU s best | CPU s median | wall s best | wall s median "
          "| customers/CPU s | vs simpy | mean wait h | Erlang C h | error | s.e. |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        customers, wait, waits = answers[name]
        se = None if waits is None else _batch_se(waits())
        rate = customers / min(cpu[name])
        print(
            f"| {name} | {customers:,} | {min(cpu[name]):.2f} | {statistics.median(cpu[name]):.2f}"
            f" | {min(wall[name]):.2f} | {statistics.median(wall[name]):.2f} | {rate:,.0f}"
            f" | {rate / base:.2f}x | {wait:.4f} | {exact['wq']:.4f}"
            f" | {(wait - exact['wq']) / exact['wq']:+.1%}"
            f" | {'-' if se is None else format(se / exact['wq'], '.1%')} |"
        )
    if "ciw" in answers:
        ratio = (answers["engine"][0] / min(cpu["engine"])) / (
            answers["ciw"][0] / min(cpu["ciw"]))
        print(f"\nengine vs ciw: {ratio:.2f}x customers per CPU second")


if __name__ == "__main__":
    main()
