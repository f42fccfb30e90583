"""Sales and operations planning against theory: the funnel, its queues, and the forecasts.

Each case is a small scenario whose answer is known: the win rate and order rate of a
funnel are the product of its stages' win probabilities (times the lead rate); with
ample staff a won lead's sales cycle is the sum of its stages' work and decision times;
Little's law gives the open leads (lead rate × mean time open, every stage weighted by
the probability of reaching it); a single sales rep with exponential work is an M/M/1
queue; simple exponential smoothing of i.i.d. demand is unbiased with error variance
σ²(1 + α/(2 − α)); and on a weekly season Holt-Winters beats simple smoothing on the
same random numbers.

As in :mod:`tests.theory.test_theory`: the 99% Student-t interval over independent
replications must contain the analytic value and be narrow enough (``max_half``) for
that to mean something. The seed is fixed for a deterministic CI, not tuned.
"""

from __future__ import annotations

import functools
import math

import pytest

from sim.experiment.stats import paired_difference, t_interval
from sim.model.build import simulate
from sim.scenario.loader import loads

pytestmark = pytest.mark.slow

CONFIDENCE = 0.99
SEED = 16
LITTLE = "Little, Operations Research 9(3) 1961"

# Ample staff (50 per pool, offered < 1 erlang): no lead waits for a worker.
FUNNEL = f"""
name: funnel
run: {{horizon: 500d, warmup: 20d, replications: 10, seed: {SEED}}}
demand:
  - name: b2b
    pipeline:
      leads: 40/day
      stages:
        - {{stage: qualify, staff: sdr, time: {{dist: exponential, mean: 30min}}, win: 50%}}
        - {{stage: demo, staff: aes, time: 1h, then: {{dist: exponential, mean: 2d}}, win: 60%}}
        - {{stage: negotiate, then: 3d, win: 70%}}
staff: {{sdr: {{headcount: 50}}, aes: {{headcount: 50}}}}
"""
LEADS_PER_H = 40 / 24
P_WIN = 0.5 * 0.6 * 0.7
CYCLE_H = 0.5 + (1 + 48) + 72  # every stage's work and decision time, no waiting
OPEN_H = 0.5 + 0.5 * (1 + 48) + 0.5 * 0.6 * 72  # each stage weighted by reaching it

# One sales rep, exponential work, 80% busy: the qualify stage is an M/M/1 queue.
MM1 = f"""
name: mm1
run: {{horizon: 300d, warmup: 20d, replications: 8, seed: {SEED}}}
demand:
  - name: b2b
    pipeline:
      leads: 1.6/h
      stages:
        - {{stage: qualify, staff: sdr, time: {{dist: exponential, mean: 30min}}, win: 25%}}
        - {{stage: close, then: 5d, win: 50%}}
staff: {{sdr: {{headcount: 1}}}}
"""
MM1_RHO = 1.6 * 0.5
MM1_WQ = MM1_RHO / (2.0 - 1.6)  # ρ / (μ − λ), hours (Gross et al. 2008, ch. 2)

SES_ALPHA = 0.3
SES = f"""
name: ses
run: {{horizon: 156w, warmup: 10w, replications: 12, seed: {SEED}}}
demand: {{arrivals: {{rate: 300/week}}}}
products:
  w:
    price: 1
    unit_cost: 1
    initial_stock: 600
    supplier: a
    policy:
      type: forecast
      review: 1w
      forecast: {{method: exponential_smoothing, alpha: {SES_ALPHA}}}
      initial_forecast: 300/week
suppliers: {{a: {{lead_time: 1w}}}}
"""

SEASONAL = f"""
name: seasonal
run: {{horizon: 150d, warmup: 30d, replications: 10, seed: {SEED}}}
demand: {{arrivals: {{rate: 100/day, by_weekday: [1.6, 1.2, 1, 1, 1.2, 0.6, 0.4]}}}}
products:
  w:
    price: 1
    unit_cost: 1
    initial_stock: 300
    supplier: a
    policy:
      type: forecast
      review: 1d
      forecast: {{method: exponential_smoothing, alpha: 0.2}}
      initial_forecast: 100/day
suppliers: {{a: {{lead_time: 2d}}}}
"""


@functools.cache
def runs(text: str, changes: tuple[tuple[str, object], ...] = ()) -> tuple[dict, ...]:
    """Every replication's metrics ``{(metric, subject): value}`` of a scenario."""
    scenario = loads(text)
    if changes:
        scenario = scenario.with_changes(dict(changes))
    return tuple(
        {(m, s): v for m, s, v, _ in simulate(scenario, r, series=False).metrics}
        for r in range(scenario.run.replications)
    )


def assert_contains(values, expected: float, max_half: float, source: str) -> None:
    ci = t_interval(values, CONFIDENCE)
    half = (ci.ci_high - ci.ci_low) / 2
    assert half <= max_half, f"interval too wide to test ({half:.4g} > {max_half}); {source}"
    assert ci.ci_low <= expected <= ci.ci_high, (
        f"{expected:.5g} outside [{ci.ci_low:.5g}, {ci.ci_high:.5g}]; {source}"
    )


def column(text: str, metric: str, subject: str, changes=()) -> list[float]:
    return [run[metric, subject] for run in runs(text, changes)]


def test_win_rate_is_the_product_of_the_stage_win_probabilities():
    """win_rate estimates P(win every stage) = 0.5 × 0.6 × 0.7 (stages decided independently)."""
    assert_contains(column(FUNNEL, "win_rate", "b2b"), P_WIN, 0.01, "product of wins")


def test_order_rate_is_lead_rate_times_the_win_probability():
    """Orders per day from the funnel = 40 leads/day × 0.21 (a thinned Poisson stream)."""
    days = 480.0
    per_day = [v / days for v in column(FUNNEL, "orders_arrived", "all")]
    assert_contains(per_day, 40 * P_WIN, 0.3, "thinning of a Poisson process")


def test_sales_cycle_is_the_sum_of_stage_times_with_ample_staff():
    """With no waiting, a won lead's cycle is 0.5 h + (1 h + 2 d) + 3 d on average."""
    assert_contains(column(FUNNEL, "sales_cycle_mean_d", "b2b"), CYCLE_H / 24, 0.05,
                    "sum of the stages' mean times")


def test_open_leads_obey_littles_law():
    """pipeline_mean = lead rate × mean time open, each stage weighted by reaching it."""
    assert_contains(column(FUNNEL, "pipeline_mean", "b2b"), LEADS_PER_H * OPEN_H, 2.0, LITTLE)


def test_a_single_rep_stage_is_an_mm1_queue():
    """One rep at 80% load: the stage's mean wait is ρ/(μ − λ) = 2 h and the pool is 80% busy."""
    assert_contains(column(MM1, "wait_mean_h", "qualify"), MM1_WQ, 0.35, "M/M/1")
    assert_contains(column(MM1, "utilization", "sdr"), MM1_RHO, 0.02, "M/M/1")


def test_open_leads_with_a_queue_obey_littles_law():
    """With waiting: pipeline_mean = λ × (Wq + 0.5 h + 0.25 × 5 d), Wq the M/M/1 wait."""
    open_h = MM1_WQ + 0.5 + 0.25 * 120
    assert_contains(column(MM1, "pipeline_mean", "b2b"), 1.6 * open_h, 2.0, LITTLE)


def test_simple_smoothing_is_unbiased_on_iid_demand():
    """On Poisson demand (i.i.d. weekly totals) SES's forecast_bias is 0 on average."""
    assert_contains(column(SES, "forecast_bias", "w"), 0.0, 0.01, "unbiased SES")


def test_simple_smoothing_error_has_the_known_variance_factor():
    """forecast_mape = E|e| / μ with e ~ Normal(0, σ²(1 + α/(2 − α))), σ² = μ = 300 per week
    (Brown 1963; the Poisson total of 300 is close to normal), so E|e| = σ_e √(2/π)."""
    mu = 300.0
    sigma_e = math.sqrt(mu * (1 + SES_ALPHA / (2 - SES_ALPHA)))
    assert_contains(column(SES, "forecast_mape", "w"), sigma_e * math.sqrt(2 / math.pi) / mu,
                    0.004, "SES error variance")


def test_holt_winters_beats_simple_smoothing_on_a_weekly_season():
    """On demand with a weekday pattern, daily Holt-Winters with a one-week season has a lower
    forecast_mape than simple smoothing on the same random numbers (paired, 99%)."""
    at = "products.w.policy.forecast."
    hw = ((at + "method", "holt_winters"), (at + "beta", 0.02), (at + "gamma", 0.3),
          (at + "season", "1w"))
    ses = column(SEASONAL, "forecast_mape", "w")
    holt_winters = column(SEASONAL, "forecast_mape", "w", hw)
    diff = paired_difference(holt_winters, ses, CONFIDENCE)
    assert diff.ci_high < 0, f"Holt-Winters minus SES: [{diff.ci_low:.3g}, {diff.ci_high:.3g}]"
