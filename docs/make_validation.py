"""Write docs/validation.md: the simulation against queueing and inventory theory.

Runs every case of ``tests/theory/cases.py`` (the same scenarios and analytic values the
test suite checks) with more replications than the tests use, and tabulates, for every
check, the analytic value, the simulated mean over replications, its Student-t
interval, and whether the analytic value lies inside.

    python docs/make_validation.py                      # 50 replications per case
    python docs/make_validation.py --replications 100 --out docs/validation.md

Replications run serially, one after another, with the seed of the cases (replication
``i`` of a case is the same here and in the tests, so the first replications coincide).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import importlib.util
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from sim.experiment.stats import t_interval  # noqa: E402
from sim.model.build import simulate  # noqa: E402
from sim.scenario.loader import loads  # noqa: E402
from sim.scenario.models import Scenario  # noqa: E402


def _load_cases():  # noqa: ANN202
    """Import tests/theory/cases.py by path (a ``tests`` package elsewhere may shadow ours)."""
    path = ROOT / "tests" / "theory" / "cases.py"
    spec = importlib.util.spec_from_file_location("theory_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


_cases = _load_cases()
CASES, SEED, Case, Check = _cases.CASES, _cases.SEED, _cases.Case, _cases.Check

DEFAULT_REPLICATIONS = 50
CONFIDENCE = 0.95
ROUNDING = 1e-9


def run_case(case: Case, replications: int, seed: int) -> tuple[list[dict], float, Scenario]:
    """Every replication of one case, serially; the metrics of each and the CPU seconds."""
    data = copy.deepcopy(case.data)
    data["run"]["replications"] = replications
    data["run"]["seed"] = seed
    scenario = Scenario.model_validate(data)
    start = time.process_time()
    runs = []
    for replication in range(replications):
        output = simulate(scenario, replication)
        runs.append({(m, s): v for m, s, v, _unit in output.metrics})
    return runs, time.process_time() - start, scenario


def fmt(value: float) -> str:
    """A number for the table: enough digits to compare, no more."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:.4f}"
    return f"{value:.5f}"


def check_row(case: Case, check: Check, runs: list[dict], first: bool) -> tuple[list[str], bool]:
    values = [check.value(m) for m in runs]
    interval = t_interval(values, CONFIDENCE)
    slack = ROUNDING * max(1.0, abs(check.expected))
    inside = interval.ci_low - slack <= check.expected <= interval.ci_high + slack
    if interval.sd > 0:
        z = f"{(interval.mean - check.expected) / (interval.sd / math.sqrt(interval.n)):+.2f}"
    else:
        z = "exact" if inside else "—"
    row = [
        f"`{case.id}`",
        case.description if first else "",
        check.name,
        fmt(check.expected),
        fmt(interval.mean),
        f"[{fmt(interval.ci_low)}, {fmt(interval.ci_high)}]",
        "yes" if inside else "**no**",
        z,
        _tolerance(check),
        check.source,
    ]
    return row, inside


def _tolerance(check: Check) -> str:
    """The test suite's limit on the 99% half-width, relative to the analytic value."""
    fraction = check.max_half_width / abs(check.expected)
    return "exact" if fraction < 1e-6 else f"±{fraction:.1%}"


def table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS,
                        help=f"replications per case (default {DEFAULT_REPLICATIONS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    parser.add_argument("--only", nargs="*", default=None, metavar="CASE",
                        help="run only these case ids (for a quick look; the output is partial)")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be at least 2 (an interval needs two values)")

    cases = [c for c in CASES if args.only is None or c.id in args.only]
    check_rows: list[list[str]] = []
    case_rows: list[list[str]] = []
    appendix: list[str] = []
    outside: list[str] = []
    n_checks = 0
    total_cpu = 0.0
    for case in cases:
        runs, cpu, scenario = run_case(case, args.replications, args.seed)
        total_cpu += cpu
        print(f"{case.id}: {args.replications} replications, {cpu:.1f} s CPU", file=sys.stderr)
        for i, check in enumerate(case.checks):
            row, inside = check_row(case, check, runs, i == 0)
            check_rows.append(row)
            n_checks += 1
            if not inside:
                outside.append(f"`{case.id}` {check.name}")
        case_rows.append([
            f"`{case.id}`",
            str(case.data["run"]["horizon"]),
            str(case.data["run"]["warmup"]),
            str(case.replications),
            str(args.replications),
            f"{cpu:.1f}",
        ])
        data = copy.deepcopy(case.data)
        data["run"]["replications"] = args.replications
        data["run"]["seed"] = args.seed
        listing = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                                 default_flow_style=None)
        # The published YAML must be exactly the scenario that ran.
        if loads(listing, f"<{case.id}>").model_dump() != scenario.model_dump():
            raise RuntimeError(f"{case.id}: the YAML listing does not load as the scenario run")
        appendix.append(f"### `{case.id}`\n\n{case.description}\n\n```yaml\n{listing}```\n")

    command = "python docs/make_validation.py"
    if args.replications != DEFAULT_REPLICATIONS:
        command += f" --replications {args.replications}"
    if args.seed != SEED:
        command += f" --seed {args.seed}"
    if args.only:
        command += " --only " + " ".join(args.only)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = (
        f"All {n_checks} analytic values lie inside their {CONFIDENCE:.0%} intervals."
        if not outside
        else f"{n_checks - len(outside)} of {n_checks} analytic values lie inside their "
        f"{CONFIDENCE:.0%} intervals; outside: {', '.join(outside)}. At {CONFIDENCE:.0%}, "
        f"a correct model leaves about one check in twenty outside by chance: look at z "
        f"(|z| a little above 2 is chance; a large |z| is a discrepancy)."
    )
    text = f"""# Validation against queueing and inventory theory

Generated by `{command}` on {now} (seed {args.seed}, {args.replications} replications
per case, run serially: {total_cpu:.0f} s of CPU on Python {platform.python_version()}).
Do not edit by hand: regenerate it with that command.

Each case below is a small classical system whose steady-state answer is known exactly.
The simulator runs it from a scenario written in the ordinary scenario format (listed in
full at the end), and every statistic covers the window from warm-up to horizon only.
For each check the table gives the analytic value (from `sim/theory.py`), the mean of
the simulated value over independent replications, its Student-t {CONFIDENCE:.0%}
confidence interval, whether the analytic value lies inside, and
z = (mean − analytic) / standard error. {summary}

The same cases, with fewer replications and 99% intervals, are the test suite in
`tests/theory/` (`python -m pytest -q tests/theory`): there every analytic value must lie
inside its interval and every interval must be narrower than the stated tolerance
(column "Test tolerance": the largest 99% half-width allowed, relative to the analytic
value; "exact" means equal up to floating-point rounding), so that passing means
something.

Conventions: times in hours (`wait_mean_h`), money as totals over the window (the
(r, Q) costs are divided by the window's length in days and compared with cost rates
per day). Quantities derived from several metrics are named by their formula: Little's
law is checked as the ratio queue_mean / (arrival rate × wait_mean_h) = 1 at each step,
with the arrival rate each replication saw, and the cycle time as cycle_time_mean_h − Σ
wait_mean_h = the sum of the mean service times.

## Results

{table(["Case", "Description", "Metric", "Analytic", "Simulated mean",
        f"{CONFIDENCE:.0%} interval", "Within?", "z", "Test tolerance", "Source"],
        check_rows)}

## Run lengths

Horizon and warm-up of every replication, replications in the test suite and here, and
the CPU time of this run.

{table(["Case", "Horizon", "Warm-up", "Replications (tests)", "Replications (here)",
        "CPU s (here)"], case_rows)}

## Scenarios

{chr(10).join(appendix)}"""
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({n_checks} checks, {len(outside)} outside)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
