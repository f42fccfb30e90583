"""The simulation against queueing and inventory theory, as one family of checks.

Every case in :mod:`cases` is a small classical system whose steady-state answer is
known exactly (Erlang B and C, Erlang A, M/M/c/K, the M/M/1 waiting and sojourn time
distributions, base-stock, (r, Q), periodic review, Little's law, wage arithmetic). Each
case runs its replications serially on random streams of its own (seeded from the
case's id, so no two cases share a draw and no seed was tuned).

**The criterion.** Each check gives a two-sided p-value: the paired Student-t test of
"the simulated mean equals the analytic value" over the case's replications (a check's
``slack``, the quantile sketch's known 0.5% for a percentile, is allowed first; a
deterministic check, zero spread, has p = 1 when equal up to rounding, else p = 0).
The p-values of the whole family are adjusted by Holm's step-down procedure (Holm
1979), and a check fails when its adjusted p-value is below :data:`FAMILY_ALPHA` =
1%. So a correct model fails this suite with probability at most 1% however the checks
depend on each other, on any fresh set of random numbers (a changed stream, a new draw)
rather than the roughly one in four of 40 checks each at 99%. Every check must also be
*tight*: its 99% half-width at most the check's tolerance, so that passing means the
simulation agrees with theory to within that tolerance, not that the interval was wide.

Nothing here compares against a number copied from an earlier run.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pytest

from sim.experiment.stats import adjust_p_values, t_interval

from .cases import CASES, Case, Check, Metrics, case_by_id

pytestmark = pytest.mark.slow

#: Family-wise error rate: a correct model fails the suite with at most this probability.
FAMILY_ALPHA = 0.01
#: Confidence of the interval whose half-width must be within each check's tolerance.
CONFIDENCE = 0.99
#: Floating-point slack on the comparison (matters only for deterministic checks).
ROUNDING = 1e-9

CHECKS = [(case, check) for case in CASES for check in case.checks]


def _check_id(pair: tuple[Case, Check]) -> str:
    case, check = pair
    return f"{case.id}:{check.metric}[{check.subject}]"


@functools.cache
def replication_metrics(case_id: str) -> tuple[tuple[Metrics, ...], float]:
    """Run every replication of a case, serially; return their metrics and the CPU seconds."""
    from sim.model.build import simulate

    case = case_by_id(case_id)
    start = time.process_time()
    runs = []
    for replication in range(case.replications):
        output = simulate(case.scenario, replication, series=False)
        runs.append({(metric, subject): value for metric, subject, value, _unit in output.metrics})
    return tuple(runs), time.process_time() - start


def values_of(case: Case, check: Check) -> list[float]:
    runs, _ = replication_metrics(case.id)
    return [check.value(metrics) for metrics in runs]


def p_value(values: list[float], check: Check) -> float:
    """Two-sided t-test p-value of mean == expected, after the check's slack."""
    from scipy import stats as scipy_stats

    interval = t_interval(values, CONFIDENCE)
    allowed = check.slack + ROUNDING * max(1.0, abs(check.expected))
    gap = max(0.0, abs(interval.mean - check.expected) - allowed)
    if interval.sd == 0:
        return 1.0 if gap == 0 else 0.0
    t = gap / (interval.sd / math.sqrt(interval.n))
    return float(2.0 * scipy_stats.t.sf(t, interval.n - 1))


@functools.cache
def family() -> dict[str, tuple[float, float]]:
    """Every check's (p-value, Holm-adjusted p-value), by check id."""
    raw = [p_value(values_of(case, check), check) for case, check in CHECKS]
    adjusted = adjust_p_values(raw, "holm")
    return {
        _check_id(pair): (p, float(q)) for pair, p, q in zip(CHECKS, raw, adjusted, strict=True)
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_reports_every_checked_metric(case):
    """Each replication of the case reports, as a finite number, every metric its checks read."""
    runs, _ = replication_metrics(case.id)
    assert len(runs) == case.replications
    for replication, metrics in enumerate(runs):
        for check in case.checks:
            for key in check.needs():
                assert key in metrics, f"replication {replication} lacks {key}"
                assert math.isfinite(metrics[key]), f"replication {replication}: {key} = NaN/inf"


@pytest.mark.parametrize("pair", CHECKS, ids=[_check_id(p) for p in CHECKS])
def test_analytic_value_agrees_within_the_family_criterion(pair):
    """The check's Holm-adjusted p-value over the whole family is at least 1%."""
    case, check = pair
    p, adjusted = family()[_check_id(pair)]
    interval = t_interval(values_of(case, check), CONFIDENCE)
    assert adjusted >= FAMILY_ALPHA, (
        f"{case.id}: {check.name}: analytic {check.expected:.6g} against simulated mean "
        f"{interval.mean:.6g} (99% interval [{interval.ci_low:.6g}, {interval.ci_high:.6g}], "
        f"n={interval.n}): p = {p:.2g}, Holm-adjusted over {len(CHECKS)} checks "
        f"{adjusted:.2g} < {FAMILY_ALPHA}"
    )


@pytest.mark.parametrize("pair", CHECKS, ids=[_check_id(p) for p in CHECKS])
def test_interval_is_tight(pair):
    """The 99% interval is narrow enough (half-width within tolerance) to mean something."""
    case, check = pair
    interval = t_interval(values_of(case, check), CONFIDENCE)
    half_width = (interval.ci_high - interval.ci_low) / 2.0
    assert half_width <= check.max_half_width, (
        f"{case.id}: {check.name}: 99% half-width {half_width:.4g} exceeds "
        f"{check.max_half_width:.4g} ({check.tolerance_text}); run longer"
    )


def test_cases_run_on_streams_of_their_own():
    """No two cases share a seed, so no two cases share a random draw (review P6)."""
    seeds = [case.seed for case in CASES]
    assert len(set(seeds)) == len(seeds)


def test_family_criterion_rejects_a_biased_check():
    """A check whose analytic value is off by twice its tolerance fails the family criterion."""
    case, check = next((c, k) for c, k in CHECKS if k.metric == "wait_mean_h")
    values = np.array(values_of(case, check))
    biased = Check(check.metric, check.subject, check.expected + 2 * check.max_half_width,
                   check.max_half_width, check.source)  # fmt: skip
    raw = [p_value(values_of(c, k), k) for c, k in CHECKS] + [p_value(list(values), biased)]
    assert adjust_p_values(raw, "holm")[-1] < FAMILY_ALPHA


def test_partial_window_case_can_tell_the_shape_from_a_flat_rate():
    """Over the partial window the shape moves the expectation by far more than the tolerance."""
    case = case_by_id("shaped-arrivals-partial")
    (check,) = case.checks
    flat = case.scenario.demand[0].arrivals.rate * case.window_h
    assert abs(check.expected - flat) > 3 * check.max_half_width


def test_whole_weeks_case_keeps_the_mean_rate():
    """Over whole weeks the shaped expectation is exactly rate × hours (shape keeps the mean)."""
    case = case_by_id("shaped-arrivals-weeks")
    (check,) = case.checks
    flat = case.scenario.demand[0].arrivals.rate * case.window_h
    assert check.expected == pytest.approx(flat, rel=1e-12)


def test_loss_case_is_not_exponential():
    """The Erlang B case uses a service law far from exponential, so it tests insensitivity."""
    time_spec = case_by_id("erlang-b-lognormal").scenario.steps[0].time
    assert time_spec.dist == "lognormal"
    assert time_spec.variance > 2 * time_spec.mean**2
