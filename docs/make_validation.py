"""Write docs/validation.md: the simulation against queueing and inventory theory.

Runs every case of ``tests/theory/cases.py`` (the same scenarios and analytic values the
test suite checks) with more replications than the tests use, and tabulates, for every
check, the analytic value, the simulated mean over replications, its Student-t
interval, z, the p-value of "mean = analytic" and that p-value adjusted by Holm's
procedure over the whole family of checks. The family passes when no adjusted p-value
is below 5%; the document also compares the misses expected at 95% per check with
those observed, and the sum of z² with its chi-square distribution.

    python docs/make_validation.py                      # 50 replications per case
    python docs/make_validation.py --replications 100 --out docs/validation.md
    python docs/make_validation.py --salt 1             # a fresh set of random numbers

Replications run serially, one after another, each case on its own seed (from its id,
as in the tests: replication ``i`` of a case is the same here and in the tests, so the
first replications coincide; ``--salt`` draws fresh ones).
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

from sim.experiment.stats import adjust_p_values, t_interval  # noqa: E402
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
CASES, Case, Check = _cases.CASES, _cases.Case, _cases.Check
case_seed = _cases.case_seed

DEFAULT_REPLICATIONS = 50
CONFIDENCE = 0.95
#: The family criterion: no Holm-adjusted p-value below this.
FAMILY_ALPHA = 0.05
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
        output = simulate(scenario, replication, series=False)
        runs.append({(m, s): v for m, s, v, _unit in output.metrics})
    return runs, time.process_time() - start, scenario


def p_value(interval, check: Check) -> tuple[float, float | None]:  # noqa: ANN001
    """(two-sided t-test p-value of mean = analytic after the check's slack, z or None)."""
    from scipy import stats as scipy_stats

    allowed = check.slack + ROUNDING * max(1.0, abs(check.expected))
    gap = max(0.0, abs(interval.mean - check.expected) - allowed)
    if interval.sd == 0:
        return (1.0 if gap == 0 else 0.0), None
    se = interval.sd / math.sqrt(interval.n)
    z = (interval.mean - check.expected) / se
    return float(2.0 * scipy_stats.t.sf(gap / se, interval.n - 1)), z


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


def check_row(case: Case, check: Check, runs: list[dict], first: bool) -> dict:
    """One check's numbers: its row cells (p_adjusted filled in later), p, z and inside."""
    values = [check.value(m) for m in runs]
    interval = t_interval(values, CONFIDENCE)
    allowed = check.slack + ROUNDING * max(1.0, abs(check.expected))
    inside = interval.ci_low - allowed <= check.expected <= interval.ci_high + allowed
    p, z = p_value(interval, check)
    cells = [
        f"`{case.id}`",
        case.description if first else "",
        check.name,
        fmt(check.expected),
        fmt(interval.mean),
        f"[{fmt(interval.ci_low)}, {fmt(interval.ci_high)}]",
        "yes" if inside else "**no**",
        "exact" if z is None else f"{z:+.2f}",
        f"{p:.3f}",
        "",  # Holm-adjusted p, once the family is complete
        _tolerance(check),
        check.source,
    ]
    return {"cells": cells, "p": p, "z": z, "inside": inside, "name": f"`{case.id}` {check.name}"}


def _tolerance(check: Check) -> str:
    """The test suite's limit on the 99% half-width, relative to the analytic value."""
    fraction = check.max_half_width / abs(check.expected)
    return "exact" if fraction < 1e-6 else f"±{fraction:.1%}"


def table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    from scipy import stats as scipy_stats

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS,
                        help=f"replications per case (default {DEFAULT_REPLICATIONS})")
    parser.add_argument("--salt", type=int, default=0,
                        help="0 (default): each case's own seed, as in the tests; another "
                        "number draws a fresh set of random numbers for every case")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    parser.add_argument("--only", nargs="*", default=None, metavar="CASE",
                        help="run only these case ids (for a quick look; the output is partial)")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be at least 2 (an interval needs two values)")

    cases = [c for c in CASES if args.only is None or c.id in args.only]
    rows: list[dict] = []
    case_rows: list[list[str]] = []
    appendix: list[str] = []
    total_cpu = 0.0
    for case in cases:
        seed = case_seed(case.id, args.salt)
        runs, cpu, scenario = run_case(case, args.replications, seed)
        total_cpu += cpu
        print(f"{case.id}: {args.replications} replications, {cpu:.1f} s CPU", file=sys.stderr)
        for i, check in enumerate(case.checks):
            rows.append(check_row(case, check, runs, i == 0))
        case_rows.append([
            f"`{case.id}`",
            str(case.data["run"]["horizon"]),
            str(case.data["run"]["warmup"]),
            str(case.replications),
            str(args.replications),
            str(seed),
            f"{cpu:.1f}",
        ])
        data = copy.deepcopy(case.data)
        data["run"]["replications"] = args.replications
        data["run"]["seed"] = seed
        listing = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                                 default_flow_style=None)
        # The published YAML must be exactly the scenario that ran.
        if loads(listing, f"<{case.id}>").model_dump() != scenario.model_dump():
            raise RuntimeError(f"{case.id}: the YAML listing does not load as the scenario run")
        appendix.append(f"### `{case.id}`\n\n{case.description}\n\n```yaml\n{listing}```\n")

    adjusted = adjust_p_values([row["p"] for row in rows], "holm")
    for row, q in zip(rows, adjusted, strict=True):
        row["cells"][9] = f"{q:.3f}"
        row["q"] = float(q)
    n_checks = len(rows)
    stochastic = [row for row in rows if row["z"] is not None]
    outside = [row["name"] for row in rows if not row["inside"]]
    failed = [row["name"] for row in rows if row["q"] < FAMILY_ALPHA]
    expected_misses = (1 - CONFIDENCE) * len(stochastic)
    chi2 = sum(row["z"] ** 2 for row in stochastic)
    chi2_p = float(scipy_stats.chi2.sf(chi2, len(stochastic)))
    chi2_low = float(scipy_stats.chi2.cdf(chi2, len(stochastic)))
    verdict = (
        f"**The family passes**: no Holm-adjusted p-value is below {FAMILY_ALPHA:.0%}."
        if not failed
        else f"**The family fails** on {', '.join(failed)}: an adjusted p-value below "
        f"{FAMILY_ALPHA:.0%}."
    )

    command = "python docs/make_validation.py"
    if args.replications != DEFAULT_REPLICATIONS:
        command += f" --replications {args.replications}"
    if args.salt:
        command += f" --salt {args.salt}"
    if args.only:
        command += " --only " + " ".join(args.only)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Validation against queueing and inventory theory

Generated by `{command}` on {now} ({args.replications} replications per case, each case
on its own seed (from its id), run serially: {total_cpu:.0f} s of CPU on Python
{platform.python_version()}). Do not edit by hand: regenerate it with that command.

Each case below is a small classical system whose steady-state answer is known exactly.
The simulator runs it from a scenario written in the ordinary scenario format (listed in
full at the end), and every statistic covers the window from warm-up to horizon only.
For each check the table gives the analytic value (from `sim/theory.py`), the mean of
the simulated value over independent replications, its Student-t {CONFIDENCE:.0%}
confidence interval, whether the analytic value lies inside, z = (mean − analytic) /
standard error, the p-value of the t-test "the mean equals the analytic value", and that
p-value adjusted by Holm's step-down procedure over all {n_checks} checks (Holm 1979).
A percentile is allowed the quantile sketch's known 0.5% before it is tested.

## The criterion, and how it came out

Many checks at once: even a perfect simulator leaves about one check in twenty outside
its 95% interval by chance, so "every value inside its interval" is not the test. The
family passes when **no Holm-adjusted p-value is below {FAMILY_ALPHA:.0%}**: the
chance that a correct simulator fails it is at most {FAMILY_ALPHA:.0%}, however the
checks depend on each other (several checks read the same replications).

{verdict}

- Checks: {n_checks}, of which {len(stochastic)} are random (the others are exact
  arithmetic: equal up to floating-point rounding).
- Outside their 95% interval: **{len(outside)}** observed, against
  {expected_misses:.1f} expected by chance for a correct simulator ({len(stochastic)} ×
  5%){(": " + ", ".join(outside)) if outside else ""}.
- Sum of z² over the random checks: {chi2:.1f}, against {len(stochastic)} expected (a
  chi-square with {len(stochastic)} degrees of freedom if the checks were independent:
  P(larger) = {chi2_p:.2f}, P(smaller) = {chi2_low:.2f}). A sum far above its degrees of
  freedom would mean biased estimates; far below, intervals wider than they need to be.
  (Checks of one case share replications, so this is a rough guide, not a test.)

The same cases, with fewer replications, are the test suite in `tests/theory/`
(`python -m pytest -q tests/theory`): there the family criterion is Holm at 1%, and
every check's 99% interval must also be narrower than the stated tolerance (column
"Test tolerance": the largest 99% half-width allowed, relative to the analytic value;
"exact" means equal up to floating-point rounding), so that passing means something.

Conventions: times in hours (`wait_mean_h`), money as totals over the window (the
(r, Q) costs and the lost revenue are divided by the window's length in days and
compared with rates per day). Quantities derived from several metrics are named by
their formula: Little's law is checked as the ratio queue_mean / (arrival rate ×
wait_mean_h) = 1 at each step, with the arrival rate each replication saw, and the
cycle time as cycle_time_mean_h − Σ wait_mean_h = the sum of the mean service times.
`service_level` counts every resolved order: without a promise it is the share served
at all (1 − Erlang B for a loss system, 1 − P(abandon) for Erlang A, 1 − the lost
fraction for lost sales of one unit), with one the share served within it.

## Results

{table(["Case", "Description", "Metric", "Analytic", "Simulated mean",
        f"{CONFIDENCE:.0%} interval", "Within?", "z", "p", "Holm p", "Test tolerance",
        "Source"], [row["cells"] for row in rows])}

## Run lengths

Horizon and warm-up of every replication, replications in the test suite and here, the
seed, and the CPU time of this run.

{table(["Case", "Horizon", "Warm-up", "Replications (tests)", "Replications (here)", "Seed",
        "CPU s (here)"], case_rows)}

## Scenarios

{chr(10).join(appendix)}"""
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({n_checks} checks, {len(outside)} outside their intervals, "
          f"{len(failed)} failing the family criterion)", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
