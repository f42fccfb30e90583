"""The analytic values in sim.theory against independent known answers.

Each test checks one formula against something computed another way: a textbook
number, a closed form for a special case, a limit, a brute-force sum or linear solve,
or a direct numpy Monte Carlo of the model's defining identity.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import poisson

from sim import theory


def _mc_close(samples: np.ndarray, expected: float, sigmas: float = 5.0) -> bool:
    """True when ``expected`` lies within ``sigmas`` standard errors of the sample mean."""
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return abs(samples.mean() - expected) <= sigmas * se + 1e-12


def _direct_erlang_b(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def _stationary(birth: np.ndarray, death: np.ndarray) -> np.ndarray:
    """Stationary law of a finite birth-death chain by solving pi Q = 0 directly."""
    size = birth.size + 1
    q = np.zeros((size, size))
    for n in range(size - 1):
        q[n, n + 1] = birth[n]
        q[n + 1, n] = death[n]
    q -= np.diag(q.sum(axis=1))
    a = np.vstack([q.T, np.ones(size)])
    b = np.zeros(size + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(a, b, rcond=None)[0]


# ----------------------------------------------------------------------------- Erlang B/C
def test_erlang_b_textbook_value():
    """Erlang B with 5 servers and 3 erlangs is the tabulated 0.1101."""
    assert theory.erlang_b(5, 3) == pytest.approx(0.110054, abs=1e-6)


@pytest.mark.parametrize("c, a", [(1, 0.5), (3, 2.7), (7, 4.25), (10, 12.5), (0, 3.0)])
def test_erlang_b_matches_direct_sum(c, a):
    """The recursion equals the defining ratio (a^c/c!) / sum a^k/k!, non-integer loads too."""
    assert theory.erlang_b(c, a) == pytest.approx(_direct_erlang_b(c, a), rel=1e-12)


def test_erlang_b_is_stable_for_many_servers():
    """With 2000 servers Erlang B equals the Poisson ratio pmf(c)/cdf(c) without overflow."""
    c, a = 2000, 1950.5
    expected = poisson.pmf(c, a) / poisson.cdf(c, a)
    assert theory.erlang_b(c, a) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_single_server_equals_rho():
    """For one server the probability of waiting is rho = lambda / mu."""
    assert theory.erlang_c(1, 0.73) == pytest.approx(0.73, rel=1e-12)


def test_erlang_c_matches_textbook_formula():
    """Erlang C equals (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a)))."""
    c, a = 6, 4.8
    top = a**c / math.factorial(c) * c / (c - a)
    expected = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    assert theory.erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_is_one_when_overloaded():
    """With offered load at or above the number of servers every arrival waits."""
    assert theory.erlang_c(4, 4.0) == 1.0


# ----------------------------------------------------------------------------- M/M/c
def test_mm1_closed_forms():
    """M/M/1: wq = rho/(mu - lambda), l = rho/(1 - rho), p_wait = rho."""
    lam, mu = 0.8, 1.25
    rho = lam / mu
    r = theory.mmc(lam, mu, 1)
    assert r["wq"] == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert r["l"] == pytest.approx(rho / (1 - rho), rel=1e-12)
    assert r["p_wait"] == pytest.approx(rho, rel=1e-12)


def test_mm2_closed_forms():
    """M/M/2: p_wait = 2rho^2/(1+rho), lq = 2rho^3/(1-rho^2), w = 1/(mu(1-rho^2))."""
    lam, mu = 3.0, 2.0
    rho = lam / (2 * mu)
    r = theory.mmc(lam, mu, 2)
    assert r["utilization"] == pytest.approx(rho)
    assert r["p_wait"] == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    assert r["lq"] == pytest.approx(2 * rho**3 / (1 - rho**2), rel=1e-12)
    assert r["w"] == pytest.approx(1 / (mu * (1 - rho**2)), rel=1e-12)


def test_mmc_obeys_littles_law():
    """M/M/c measures satisfy lq = lambda wq, l = lambda w and l - lq = lambda/mu."""
    lam, mu, c = 9.0, 1.0, 11
    r = theory.mmc(lam, mu, c)
    assert r["lq"] == pytest.approx(theory.littles_law(lam, r["wq"]), rel=1e-12)
    assert r["l"] == pytest.approx(theory.littles_law(lam, r["w"]), rel=1e-12)
    assert r["l"] - r["lq"] == pytest.approx(lam / mu, rel=1e-12)


def test_mmc_refuses_an_unstable_queue():
    """An M/M/c queue with lambda >= c mu has no steady state and is refused."""
    with pytest.raises(ValueError, match="below servers \\* service_rate"):
        theory.mmc(4.0, 1.0, 4)


def test_mmc_loss_uses_erlang_b_and_carried_load():
    """M/G/c/c: blocking is Erlang B and carried load is a(1 - B), spread over c servers."""
    r = theory.mmc_loss(arrival_rate=1.5, mean_service=2.0, servers=5)
    b = _direct_erlang_b(5, 3.0)
    assert r["blocking"] == pytest.approx(b, rel=1e-12)
    assert r["carried_load"] == pytest.approx(3.0 * (1 - b), rel=1e-12)
    assert r["utilization"] == pytest.approx(3.0 * (1 - b) / 5, rel=1e-12)


# ----------------------------------------------------------------------------- Erlang A
def test_erlang_a_approaches_mmc_as_patience_grows():
    """With abandon rate near 0 Erlang A gives the M/M/c waiting probability and queue."""
    a = theory.erlang_a(10.0, 1.0, 12, 1e-7)
    m = theory.mmc(10.0, 1.0, 12)
    assert a["p_wait"] == pytest.approx(m["p_wait"], rel=1e-5)
    assert a["lq"] == pytest.approx(m["lq"], rel=1e-5)
    assert a["p_abandon"] < 1e-5


def test_erlang_a_with_abandon_rate_equal_to_service_rate_is_poisson():
    """With theta = mu the number present is Poisson(lambda/mu) (an M/M/infinity)."""
    lam, mu, c = 7.0, 1.0, 5
    r = theory.erlang_a(lam, mu, c, mu)
    a = lam / mu
    n = np.arange(200)
    lq = float(np.dot(np.maximum(n - c, 0), poisson.pmf(n, a)))
    assert r["p_wait"] == pytest.approx(poisson.sf(c - 1, a), rel=1e-10)
    assert r["lq"] == pytest.approx(lq, rel=1e-10)
    assert r["p_abandon"] == pytest.approx(mu * lq / lam, rel=1e-10)


def test_erlang_a_matches_generator_solve():
    """Erlang A equals the stationary law of its truncated generator, solved as pi Q = 0."""
    lam, mu, c, theta, size = 10.0, 1.0, 8, 0.5, 120
    n = np.arange(1, size + 1)
    pi = _stationary(np.full(size, lam), np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta)
    states = np.arange(size + 1)
    lq = float(np.dot(np.maximum(states - c, 0), pi))
    r = theory.erlang_a(lam, mu, c, theta)
    assert r["lq"] == pytest.approx(lq, rel=1e-8)
    assert r["p_wait"] == pytest.approx(pi[c:].sum(), rel=1e-8)
    assert r["wq"] == pytest.approx(lq / lam, rel=1e-8)


def test_erlang_a_overloaded_balances_flow():
    """Overloaded Erlang A: served rate lambda(1 - p_abandon) equals c mu utilization."""
    lam, mu, c, theta = 15.0, 1.0, 12, 0.2
    r = theory.erlang_a(lam, mu, c, theta)
    assert 0 < r["p_abandon"] < 1
    assert lam * (1 - r["p_abandon"]) == pytest.approx(c * mu * r["utilization"], rel=1e-10)


# ----------------------------------------------------------------------------- M/M/c/c+K
def test_queue_limit_zero_is_erlang_b():
    """With no waiting room the balk probability is Erlang B and nobody waits."""
    r = theory.mmc_queue_limit(3.0, 1.0, 5, 0)
    assert r["balk"] == pytest.approx(0.110054, abs=1e-6)
    assert r["p_balk"] == r["balk"]
    assert r["lq"] == 0.0


def test_large_queue_limit_approaches_mmc():
    """With a very long waiting room M/M/c/c+K gives the M/M/c queue and wait."""
    r = theory.mmc_queue_limit(10.0, 1.0, 12, 2000)
    m = theory.mmc(10.0, 1.0, 12)
    assert r["lq"] == pytest.approx(m["lq"], rel=1e-10)
    assert r["wq"] == pytest.approx(m["wq"], rel=1e-10)
    assert r["balk"] < 1e-100


def test_queue_limit_matches_generator_solve():
    """M/M/c/c+K equals the stationary law of its generator; wq is over admitted arrivals."""
    lam, mu, c, k = 5.0, 1.5, 3, 4
    n = np.arange(1, c + k + 1)
    pi = _stationary(np.full(c + k, lam), np.minimum(n, c) * mu)
    lq = float(np.dot(np.maximum(np.arange(c + k + 1) - c, 0), pi))
    r = theory.mmc_queue_limit(lam, mu, c, k)
    assert r["balk"] == pytest.approx(pi[-1], rel=1e-9)
    assert r["lq"] == pytest.approx(lq, rel=1e-9)
    assert r["wq"] == pytest.approx(lq / (lam * (1 - pi[-1])), rel=1e-9)


# ----------------------------------------------------------------------------- base stock
def test_base_stock_backorder_matches_monte_carlo():
    """Base stock: the formulas agree with S - D for 400k draws of D ~ Poisson(lambda L)."""
    lam, lead, s = 2.0, 3.0, 8
    d = np.random.default_rng(1).poisson(lam * lead, 400_000)
    r = theory.base_stock_backorder(lam, lead, s)
    assert _mc_close(np.maximum(s - d, 0), r["on_hand_mean"])
    assert _mc_close(np.maximum(d - s, 0), r["backorders_mean"])
    assert _mc_close((d <= s - 1).astype(float), r["fill_rate"])
    assert _mc_close((d >= s).astype(float), r["stockout_fraction"])


def test_base_stock_on_hand_minus_backorders_is_s_minus_lead_time_demand():
    """E[on hand] - E[backorders] = S - lambda L, also far into either tail."""
    for lam, lead, s in [(2.0, 3.0, 8), (0.5, 1.0, 40), (50.0, 4.0, 150), (1e4, 2.0, 20_300)]:
        r = theory.base_stock_backorder(lam, lead, s)
        assert r["on_hand_mean"] - r["backorders_mean"] == pytest.approx(
            s - lam * lead, abs=1e-9 * max(1.0, s)
        )
        assert r["fill_rate"] + r["stockout_fraction"] == pytest.approx(1.0, abs=1e-12)


def test_base_stock_tail_stockout_keeps_relative_accuracy():
    """A stock level far above mean demand gives a tiny stockout equal to poisson.sf."""
    r = theory.base_stock_backorder(1.0, 2.0, 30)
    assert r["stockout_fraction"] == pytest.approx(poisson.sf(29, 2.0), rel=1e-9)


def test_base_stock_lost_sales_single_unit():
    """With S = 1 the lost fraction is a / (1 + a) and on hand is 1 - a(1 - B)."""
    r = theory.base_stock_lost_sales(0.5, 3.0, 1)
    assert r["lost_rate"] == pytest.approx(1.5 / 2.5, rel=1e-12)
    assert r["fill_rate"] == pytest.approx(1 / 2.5, rel=1e-12)
    assert r["on_hand_mean"] == pytest.approx(1 - 1.5 / 2.5, rel=1e-12)
    assert r["stockout_fraction"] == r["lost_rate"]


def test_base_stock_lost_sales_matches_event_simulation_with_constant_lead_time():
    """Lost sales with a constant (not exponential) lead time lose Erlang B(S, lambda L)."""
    lam, lead, s, n = 1.0, 3.0, 4, 60_000
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.exponential(1 / lam, n))
    due: list[float] = []
    lost = np.zeros(n)
    for i, t in enumerate(times):
        while due and due[0] <= t:
            heapq.heappop(due)
        if len(due) == s:  # all S units on order: nothing on hand
            lost[i] = 1.0
        else:
            heapq.heappush(due, t + lead)
    r = theory.base_stock_lost_sales(lam, lead, s)
    assert abs(lost.mean() - r["lost_rate"]) < 0.012


# ----------------------------------------------------------------------------- (r, Q)
def test_rq_with_unit_batches_is_base_stock():
    """An (r, 1) policy is the base-stock policy with S = r + 1."""
    rq = theory.rq_backorder(2.0, 3.0, 7, 1)
    bs = theory.base_stock_backorder(2.0, 3.0, 8)
    for key in ("on_hand_mean", "backorders_mean", "fill_rate", "stockout_fraction"):
        assert rq[key] == pytest.approx(bs[key], rel=1e-12)


def test_rq_matches_brute_force_sums_and_costs():
    """(r, Q): averages of Poisson sums over y = r+1..r+Q, and costs K lam/Q, h I, b B."""
    lam, lead, r, q, k, h, b = 2.0, 3.0, 4, 5, 10.0, 1.0, 5.0
    d = np.arange(200)
    p = poisson.pmf(d, lam * lead)
    ys = range(r + 1, r + q + 1)
    on_hand = np.mean([np.dot(np.maximum(y - d, 0), p) for y in ys])
    back = np.mean([np.dot(np.maximum(d - y, 0), p) for y in ys])
    fill = np.mean([p[:y].sum() for y in ys])
    res = theory.rq_backorder(lam, lead, r, q, k, h, b)
    assert res["on_hand_mean"] == pytest.approx(on_hand, rel=1e-12)
    assert res["backorders_mean"] == pytest.approx(back, rel=1e-12)
    assert res["fill_rate"] == pytest.approx(fill, rel=1e-12)
    assert res["orders_per_time"] == pytest.approx(lam / q)
    assert res["cost_ordering_per_time"] == pytest.approx(k * lam / q)
    assert res["cost_holding_per_time"] == pytest.approx(h * on_hand, rel=1e-12)
    assert res["cost_backorder_per_time"] == pytest.approx(b * back, rel=1e-12)


def test_rq_matches_monte_carlo_with_negative_reorder_point():
    """(r, Q) with r < 0 agrees with IP uniform on r+1..r+Q minus Poisson lead-time demand."""
    lam, lead, r, q = 1.5, 2.0, -2, 6
    rng = np.random.default_rng(3)
    net = rng.integers(r + 1, r + q + 1, 300_000) - rng.poisson(lam * lead, 300_000)
    res = theory.rq_backorder(lam, lead, r, q)
    assert _mc_close(np.maximum(net, 0), res["on_hand_mean"])
    assert _mc_close(np.maximum(-net, 0), res["backorders_mean"])
    assert _mc_close((net >= 1).astype(float), res["fill_rate"])


# ----------------------------------------------------------------------------- periodic
def test_periodic_matches_numerical_integration():
    """Periodic order-up-to equals (1/R) times quad integrals of the base-stock values."""
    lam, review, lead, s = 2.0, 1.5, 3.0, 10

    def avg(f):
        return integrate.quad(lambda u: f(lam * (lead + u)), 0, review, epsabs=1e-13)[0] / review

    d = np.arange(200)
    r = theory.periodic_order_up_to(lam, review, lead, s)
    assert r["fill_rate"] == pytest.approx(avg(lambda m: poisson.cdf(s - 1, m)), rel=1e-9)
    assert r["on_hand_mean"] == pytest.approx(
        avg(lambda m: np.dot(np.maximum(s - d, 0), poisson.pmf(d, m))), rel=1e-9
    )
    assert r["backorders_mean"] == pytest.approx(
        avg(lambda m: np.dot(np.maximum(d - s, 0), poisson.pmf(d, m))), rel=1e-9
    )


def test_periodic_matches_monte_carlo():
    """Periodic order-up-to agrees with S - Poisson(lambda(L + u)), u uniform on [0, R)."""
    lam, review, lead, s = 3.0, 2.0, 1.0, 9
    rng = np.random.default_rng(11)
    u = rng.uniform(0.0, review, 300_000)
    net = s - rng.poisson(lam * (lead + u))
    r = theory.periodic_order_up_to(lam, review, lead, s)
    assert _mc_close(np.maximum(net, 0), r["on_hand_mean"])
    assert _mc_close(np.maximum(-net, 0), r["backorders_mean"])
    assert _mc_close((net >= 1).astype(float), r["fill_rate"])


def test_periodic_with_short_review_is_base_stock():
    """As the review period shrinks to 0 the periodic policy becomes base stock."""
    p = theory.periodic_order_up_to(2.0, 1e-6, 3.0, 8)
    b = theory.base_stock_backorder(2.0, 3.0, 8)
    for key in ("on_hand_mean", "backorders_mean", "fill_rate"):
        assert p[key] == pytest.approx(b[key], rel=1e-5)


def test_periodic_zero_lead_time_identity():
    """With L = 0, on hand - backorders averages S - lambda R / 2 over the cycle."""
    lam, review, s = 4.0, 2.0, 7
    r = theory.periodic_order_up_to(lam, review, 0.0, s)
    assert r["on_hand_mean"] - r["backorders_mean"] == pytest.approx(s - lam * review / 2)
    assert r["fill_rate"] + r["stockout_fraction"] == pytest.approx(1.0, abs=1e-12)


# ----------------------------------------------------------------------------- other
def test_littles_law():
    """Little's law multiplies the arrival rate by the mean time in system."""
    assert theory.littles_law(12.0, 0.25) == 3.0


def test_shift_labor_cost_of_a_weekly_pattern():
    """Five 8h days of 6 and of 3 workers plus a 4h Saturday of 2 is 368 worker-hours a week."""
    shifts = [([0, 1, 2, 3, 4], 8, 16, 6), ([0, 1, 2, 3, 4], 16, 24, 3), ([5], 9, 13, 2)]
    assert theory.shift_labor_cost(shifts, 18.0, 2) == pytest.approx(2 * 368 * 18.0)


def test_shift_labor_cost_night_shift_and_overtime():
    """A 22:00-06:00 shift lasts 8 hours; overtime hours are paid at the multiplier."""
    shifts = [([6], 22, 6, 1), (None, 0, 0, 1)]  # Sunday night, plus one 24h post every day
    cost = theory.shift_labor_cost(shifts, 10.0, 1, overtime=3.0, overtime_multiplier=2.0)
    assert cost == pytest.approx((8 + 7 * 24) * 10.0 + 3 * 10.0 * 2.0)


def test_shaped_arrivals_keep_the_weekly_mean():
    """Whatever the profiles, a week brings rate x 168 arrivals and flat profiles rate x t."""
    by_hour = [0] * 6 + [1, 2, 4, 6, 6, 5, 5, 5, 6, 6, 5, 4, 3, 2, 1, 1, 0, 0]
    by_weekday = [1.1, 1, 1, 1, 1.2, 0.8, 0.6]
    assert theory.expected_shaped_arrivals(3.0, by_hour, by_weekday, 168) == pytest.approx(504)
    assert theory.expected_shaped_arrivals(3.0, by_hour, by_weekday, 336) == pytest.approx(1008)
    assert theory.expected_shaped_arrivals(3.0, None, None, 50.5) == pytest.approx(151.5)


def test_shaped_arrivals_match_an_hour_by_hour_sum():
    """A partial span equals the sum of rate x w_day x w_hour / mean over its hours."""
    rng = np.random.default_rng(5)
    by_hour, by_weekday = rng.uniform(0, 2, 24), rng.uniform(0.5, 1.5, 7)
    mean = np.mean(np.outer(by_weekday, by_hour))
    hours = 168 + 30.25  # one week, Monday, then Tuesday 00:00-06:15
    rates = [2.0 * by_weekday[(h // 24) % 7] * by_hour[h % 24] / mean for h in range(199)]
    expected = sum(rates[:198]) + 0.25 * rates[198]
    got = theory.expected_shaped_arrivals(2.0, list(by_hour), list(by_weekday), hours)
    assert got == pytest.approx(expected, rel=1e-12)


def test_bad_input_names_the_argument_and_value():
    """A negative server count is refused with the argument, the rule and the value."""
    with pytest.raises(ValueError, match=r"servers must be a whole number >= 0 \(got -1\)"):
        theory.erlang_b(-1, 2.0)


def test_mmc_wait_quantile_inverts_the_waiting_time_distribution():
    """P(W > t) at the returned quantile is 1 - q, from the M/M/c waiting-time formula."""
    lam, mu, c = 2.7, 1.0, 3
    t = theory.mmc_wait_quantile(lam, mu, c, 0.95)
    p_wait = theory.mmc(lam, mu, c)["p_wait"]
    assert p_wait * math.exp(-(c * mu - lam) * t) == pytest.approx(0.05, rel=1e-12)


def test_mmc_wait_quantile_is_zero_when_most_customers_do_not_wait():
    """At light load fewer than 5% wait at all: the 95th percentile of the wait is 0."""
    assert theory.mmc_wait_quantile(0.5, 1.0, 3, 0.95) == 0.0


def test_mm1_wait_quantile_is_ln_of_20_rho_over_mu_minus_lambda():
    """For M/M/1 (Erlang C = rho) the 95th percentile of the wait is ln(20 rho)/(mu - lambda)."""
    lam, mu = 0.8, 1.0
    expected = math.log(20 * lam / mu) / (mu - lam)
    assert theory.mmc_wait_quantile(lam, mu, 1, 0.95) == pytest.approx(expected, rel=1e-12)


def test_mm1_sojourn_is_exponential_with_rate_mu_minus_lambda():
    """The M/M/1 time in system: scipy's exponential quantile and cdf at rate mu - lambda."""
    from scipy import stats as scipy_stats

    lam, mu = 0.8, 1.0
    law = scipy_stats.expon(scale=1 / (mu - lam))
    sojourn = theory.mm1_sojourn(lam, mu)
    assert sojourn["p95"] == pytest.approx(law.ppf(0.95), rel=1e-12)
    assert sojourn["mean"] == pytest.approx(theory.mmc(lam, mu, 1)["w"], rel=1e-12)
    assert theory.mm1_sojourn_within(lam, mu, 10.0) == pytest.approx(law.cdf(10.0), rel=1e-12)
