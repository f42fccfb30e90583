"""The simulation against queueing and inventory theory.

Every case in :mod:`cases` is a small classical system whose steady-state answer is
known exactly (Erlang B and C, Erlang A, M/M/c/K, base-stock, (r, Q), periodic
review, Little's law, wage arithmetic). Each case is run for its replications, serially,
with fixed seeds; for every check the Student-t interval at 99% of the simulated value
over the replications must contain the analytic value, and must be narrow enough (at
most the check's ``max_half_width``) for containing it to mean something.

Nothing here compares against a number copied from an earlier run: the seeds only
make CI deterministic; the assertion is statistical. The seed in ``cases.SEED`` was
fixed before any case was run and is not tuned to make anything pass. (With 99%
intervals and a few dozen checks, some seed would make a correct model miss one check
by chance; if a check fails, rerun the case with many more replications through
``docs/make_validation.py`` before blaming the model or the formula.)
"""

from __future__ import annotations

import functools
import math
import time

import pytest

from sim.experiment.stats import t_interval

from .cases import CASES, Case, Check, Metrics, case_by_id

pytestmark = pytest.mark.slow

#: Confidence of the interval that must contain the analytic value.
CONFIDENCE = 0.99
#: Floating-point slack on the containment test (matters only for deterministic checks,
#: whose interval has zero width).
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
        output = simulate(case.scenario, replication)
        runs.append({(metric, subject): value for metric, subject, value, _unit in output.metrics})
    return tuple(runs), time.process_time() - start


def values_of(case: Case, check: Check) -> list[float]:
    runs, _ = replication_metrics(case.id)
    return [check.value(metrics) for metrics in runs]


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
def test_analytic_value_inside_interval(pair):
    """The analytic value lies inside the 99% replication interval of the simulated value."""
    case, check = pair
    interval = t_interval(values_of(case, check), CONFIDENCE)
    slack = ROUNDING * max(1.0, abs(check.expected))
    assert interval.ci_low - slack <= check.expected <= interval.ci_high + slack, (
        f"{case.id}: {check.name}: analytic {check.expected:.6g} is outside the "
        f"{CONFIDENCE:.0%} interval [{interval.ci_low:.6g}, {interval.ci_high:.6g}] "
        f"(mean {interval.mean:.6g}, n={interval.n})"
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

