"""Benchmark (run by hand, not a test): does ``sim.optimize`` pick the right plan often enough?

    python bench/optimize.py                      # 100 macro-replications per case
    python bench/optimize.py --macros 20 --processes 1

Two cases whose answer is known in closed form, each run by ``sim.optimize`` many times
over on fresh random numbers (a *macro-replication*: ``run.seed = 1000 + m``):

* **staffing** (M/M/c, Erlang C): calls at 12/h, exponential handling of 10 min (2
  erlangs), agents 3..7 at 20/h; minimise the operating cost (the wages) subject to
  ``wait_mean_h[serve] <= 0.04 ± 0.01`` (2.4 min ± 0.6). Erlang C: W_q = 0.074 h with 3
  agents (unacceptable: above 0.05), 0.0145 h with 4 (desirable: below 0.03): the answer is
  4. Horizon 10 days, warm-up 1 day.
* **call centre** (M/M/c, Erlang C): calls at 60/h, 5 min each (5 erlangs), agents 6..10;
  the same objective, ``wait_mean_h[serve] <= 30s ± 9s``. Erlang C: 0.81 min with 7
  agents (unacceptable), 0.28 min with 8 (desirable): the answer is 8. Horizon 3 days,
  warm-up 4 hours.
* **base stock** (one-for-one, backorders, Poisson): unit demand 20/day, constant lead
  time 1 day, S in 26..31, holding 0.1/day per unit; minimise the operating cost subject
  to ``fill_rate[widget] >= 95.6% ± 0.4%``. Fill rate P(D <= S - 1), D ~ Poisson(20):
  94.75% at S = 28 (unacceptable: below 95.2%), 96.57% at S = 29 (desirable: above
  96.0%): the answer is 29. Horizon 120 days, warm-up 5 days.

For each case: the share of correct selections (with its Wilson 95% interval) against
the confidence asked (95%), the share that finished within the budget, the mean and
largest replications used, and those of a **brute-force grid that reaches the same
precision**: every candidate run the same number n of replications, n the smallest for
which every candidate's one-sided t interval on each constraint measure is within its
tolerance and every paired difference in objective within the objective's tolerance, at
the same error split as the procedure (Bonferroni: alpha/2 over k x s constraint checks,
alpha/2 over the k - 1 comparisons with the best). Its variances come from a pilot of 30
replications of every candidate (its own seeds). Macro-replications run in
``--processes`` worker processes, each ``sim.optimize`` with ``workers=1``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAFFING = """
name: staffing
run: {{horizon: 10d, warmup: 1d, seed: {seed}}}
demand: {{arrivals: {{rate: 12/h}}}}
staff: {{agents: {{headcount: 3, wage: 20/h}}}}
process: [{{step: serve, staff: agents, time: {{dist: exponential, mean: 10min}}}}]
optimize:
  decisions: {{staff.agents.headcount: {{min: 3, max: 7}}}}
  objective: {{minimize: operating_cost}}
  constraints: ["wait_mean_h[serve] <= 0.04 ± 0.01"]
  budget: 2000
"""

CALL_CENTRE = """
name: call-centre
run: {{horizon: 3d, warmup: 4h, seed: {seed}}}
demand: {{arrivals: {{rate: 60/h}}}}
staff: {{agents: {{headcount: 8, wage: 20/h}}}}
process: [{{step: serve, staff: agents, time: {{dist: exponential, mean: 5min}}}}]
optimize:
  decisions: {{staff.agents.headcount: {{min: 6, max: 10}}}}
  objective: {{minimize: operating_cost}}
  constraints: ["wait_mean_h[serve] <= 30s ± 9s"]
  budget: 2000
"""

BASE_STOCK = """
name: base-stock
run: {{horizon: 120d, warmup: 5d, seed: {seed}}}
demand:
  arrivals: {{rate: 20/day}}
  lines: {{dist: constant, value: 1}}
  quantity: {{dist: constant, value: 1}}
products:
  widget: {{price: 10, unit_cost: 5, holding_cost: 0.1/day, initial_stock: 28,
            supplier: acme, policy: {{type: base_stock, S: 28}}}}
suppliers:
  acme: {{lead_time: 1d}}
optimize:
  decisions: {{products.widget.policy.S: {{min: 26, max: 31}}}}
  objective: {{minimize: operating_cost}}
  constraints: ["fill_rate[widget] >= 95.6% ± 0.4%"]
  budget: 2000
"""


def staffing_answer() -> int:
    from sim import theory

    return next(c for c in range(3, 8) if 6 * c > 12 and theory.mmc(12, 6, c)["wq"] <= 0.04)


def call_centre_answer() -> int:
    from sim import theory

    return next(c for c in range(6, 11) if theory.mmc(60, 12, c)["wq"] <= 30 / 3600)


def base_stock_answer() -> int:
    from sim import theory

    return next(s for s in range(26, 32)
                if theory.base_stock_backorder(20, 1, s)["fill_rate"] >= 0.956)  # fmt: skip


CASES = {
    "staffing": (STAFFING, "staff.agents.headcount", staffing_answer),
    "call centre": (CALL_CENTRE, "staff.agents.headcount", call_centre_answer),
    "base stock": (BASE_STOCK, "products.widget.policy.S", base_stock_answer),
}


def one_macro(case: str, seed: int) -> dict[str, object]:
    import sim

    text, key, _ = CASES[case]
    start = time.process_time()
    decision = sim.optimize(sim.loads(text.format(seed=seed)), workers=1, progress=False)
    return {
        "best": None if decision.best is None else decision.best[key],
        "guaranteed": decision.guaranteed,
        "replications": decision.replications_used,
        "cpu": time.process_time() - start,
    }


def brute_force(case: str, pilot: int = 30) -> tuple[int, int, int]:
    """``(n, k, k * n)``: the equal-replication grid with the procedure's precision."""
    import numpy as np
    from scipy import stats

    import sim
    from sim.experiment.optimize.plan import constraint_tolerance, evaluate, plan_optimize

    text, _, _ = CASES[case]
    plan = plan_optimize(sim.loads(text.format(seed=99)))
    k = len(plan.candidates)
    data = np.array([[evaluate(plan.scenario(c), r, plan.measures)["values"]
                      for r in range(pilot)] for c in range(k)], dtype=float)  # fmt: skip
    alpha = 1 - plan.block.confidence
    constraints = plan.constraints
    s = len(constraints)
    objective = data[:, :, 0]
    delta = 0.01 * float(np.median(np.abs(objective.mean(axis=1))))
    needs = []
    for n in range(2, 100_000):
        t_f = stats.t.ppf(1 - alpha / 2 / (k * s), n - 1)
        t_s = stats.t.ppf(1 - alpha / 2 / (k - 1), n - 1)
        ok = True
        for j, con in enumerate(constraints):
            eps = constraint_tolerance(con, plan.block)
            sd = data[:, :, 1 + j].std(axis=1, ddof=1)
            ok &= bool((t_f * sd / math.sqrt(n) <= eps).all())
        diffs = objective[:, None, :] - objective[None, :, :]
        sd_pair = diffs.std(axis=2, ddof=1)
        ok &= bool((t_s * sd_pair / math.sqrt(n) <= delta).all())
        if ok:
            needs.append(n)
            break
    n = needs[0]
    return n, k, k * n


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macros", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    print(f"# bench/optimize.py --macros {args.macros} --processes {args.processes}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {platform.node()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| case | answer (closed form) | correct selections | finished | replications: "
          "mean (max) | brute-force grid | ratio | CPU s per macro |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        _, _, answer_of = CASES[case]
        answer = answer_of()
        seeds = [1000 + m for m in range(args.macros)]
        # spawn: each worker a fresh interpreter (a forked one inherits the parent's locks)
        context = multiprocessing.get_context("spawn")
        runs = []
        with ProcessPoolExecutor(args.processes, mp_context=context) as pool:
            for run in pool.map(one_macro, [case] * len(seeds), seeds):
                runs.append(run)
                if len(runs) % 10 == 0:
                    print(f"  {case}: {len(runs)} of {len(seeds)}", file=sys.stderr, flush=True)
        correct = sum(run["best"] == answer for run in runs)
        finished = sum(bool(run["guaranteed"]) for run in runs)
        low, high = wilson(correct, len(runs))
        used = [int(run["replications"]) for run in runs]  # type: ignore[call-overload]
        n, k, grid = brute_force(case)
        mean_used = statistics.mean(used)
        cpu = statistics.mean(float(run["cpu"]) for run in runs)  # type: ignore[arg-type]
        print(f"| {case} | {answer} | {correct}/{len(runs)} = {correct / len(runs):.1%} "
              f"(Wilson 95%: {low:.1%}-{high:.1%}) | {finished}/{len(runs)} | "
              f"{mean_used:.0f} ({max(used)}) | {k} x {n} = {grid} | "
              f"{mean_used / grid:.2f} | {cpu:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
