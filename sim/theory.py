"""Theory: exact analytic values that the simulation is checked against.

A simulation that cannot reproduce a textbook answer on a textbook system cannot be
trusted on a real one. Each function here gives the known steady-state answer for a
small classical model (a call centre with Poisson arrivals, a stock point with Poisson
demand), so that a test can run the simulator on the same model and check that the
answer lies inside the replication confidence interval.

The functions are pure: numbers in, numbers (or a flat ``dict`` of numbers) out, any
consistent time unit. Only numpy is needed (scipy.stats, slow to import, is used by
the tests as an independent check). Probabilities are computed by recursions, in
log-space, and as sums of non-negative terms (never by subtracting nearly equal
quantities where that can be avoided), so that they stay accurate with thousands of
servers, a mean demand of millions, or a stock level far out in the tail.

References used throughout:

- [GH]  Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed.,
  Wiley 2008, Ch. 2 (birth-death queues: M/M/c, M/M/c/K, Erlang's loss formula,
  impatience).
- [GMR] Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
  customers", *Manufacturing & Service Operations Management* 4(3), 2002 (Erlang A).
- [Z]   Zipkin, *Foundations of Inventory Management*, McGraw-Hill 2000, Ch. 6-7
  (base-stock and (r, q) policies with Poisson demand; periodic review).
- [A]   Axsäter, *Inventory Control*, 3rd ed., Springer 2015, Ch. 5 (reorder points
  with Poisson demand; inventory position uniform on r+1..r+Q).
- [K]   Karush, "A queuing model for an inventory problem", *Operations Research*
  5(5), 1957 (lost-sales one-for-one replenishment as an M/G/S/S loss system).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

__all__ = [
    "base_stock_backorder",
    "base_stock_lost_sales",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "expected_shaped_arrivals",
    "littles_law",
    "mm1_sojourn",
    "mm1_sojourn_within",
    "mmc",
    "mmc_loss",
    "mmc_queue_limit",
    "mmc_wait_quantile",
    "periodic_order_up_to",
    "rq_backorder",
    "shift_labor_cost",
]

#: Birth-death chains are truncated where the remaining tail mass is below this.
_TAIL = 1e-15
#: Largest truncated state space we are willing to build for Erlang A.
_MAX_STATES = 50_000_000


# ----------------------------------------------------------------------------- checks
def _count(name: str, value: object, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum``; integral floats like 3.0 are accepted."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # ints, numpy integers
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise ValueError(
                f"{name} must be a whole number >= {minimum} (got {value!r})"
            ) from None
    if number < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    return number


def _integer(name: str, value: object) -> int:
    """Return ``value`` as an int of any sign; integral floats like -3.0 are accepted."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)  # type: ignore[arg-type]  # TypeError if not
        except TypeError:
            if isinstance(value, float) and value.is_integer():
                return int(value)
    raise ValueError(f"{name} must be a whole number (got {value!r})")


def _nonneg(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (got {value!r})")
    return number


def _positive(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return number


# ----------------------------------------------------------------------------- queues
def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang's loss formula: the blocking probability of an M/G/c/c system.

    Model: Poisson arrivals, ``servers`` parallel servers, no waiting room; an arrival
    that finds every server busy is lost. ``offered_load`` a = arrival rate x mean
    service time (erlangs), any real a >= 0. By insensitivity the answer depends on the
    service distribution only through its mean.

    Formula: B(c, a) = (a^c / c!) / sum_{k=0}^{c} a^k / k!, evaluated by the stable
    recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which never overflows.

    Source: [GH] Ch. 2, Erlang's loss formula (M/M/c/c).
    """
    c = _count("servers", servers)
    a = _nonneg("offered_load", offered_load)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang's delay formula: the probability that an arrival waits in an M/M/c queue.

    Model: Poisson arrivals, c exponential servers, unlimited FCFS waiting room;
    offered load a = lambda / mu erlangs. For a >= c there is no steady state and every
    arrival eventually waits, so 1.0 is returned.

    Formula: C(c, a) = c B(c, a) / (c - a (1 - B(c, a))), with B Erlang's loss formula.

    Source: [GH] Ch. 2, M/M/c queue.
    """
    c = _count("servers", servers, 1)
    a = _nonneg("offered_load", offered_load)
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc(arrival_rate: float, service_rate: float, servers: int) -> dict[str, float]:
    """Steady-state measures of the M/M/c queue.

    Model: Poisson arrivals (rate lambda), c identical exponential servers (rate mu
    each), unlimited FCFS queue, stable only if rho = lambda / (c mu) < 1 (otherwise a
    ``ValueError``).

    Formulas, with a = lambda / mu and C = Erlang C(c, a):
    utilization = rho; p_wait = C; wq = C / (c mu - lambda); lq = lambda wq (Little);
    w = wq + 1 / mu; l = lambda w = lq + a.

    Source: [GH] Ch. 2, M/M/c queue.
    """
    lam = _nonneg("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    c = _count("servers", servers, 1)
    if lam >= c * mu:
        raise ValueError(
            "mmc: arrival_rate must be below servers * service_rate for a steady state "
            f"(got arrival_rate={arrival_rate!r}, servers * service_rate={c * mu!r})"
        )
    p_wait = erlang_c(c, lam / mu)
    wq = p_wait / (c * mu - lam)
    w = wq + 1.0 / mu
    return {
        "utilization": lam / (c * mu),
        "p_wait": p_wait,
        "wq": wq,
        "lq": lam * wq,
        "w": w,
        "l": lam * w,
    }


def mmc_wait_quantile(
    arrival_rate: float, service_rate: float, servers: int, q: float
) -> float:
    """The ``q``-quantile of the waiting time in queue of the M/M/c queue (FCFS).

    The wait is 0 with probability 1 - C and otherwise exponential with rate
    c mu - lambda: P(W > t) = C exp(-(c mu - lambda) t), C = Erlang C(c, lambda / mu).
    So the quantile is 0 when 1 - q >= C, else ln(C / (1 - q)) / (c mu - lambda); for
    M/M/1, C = rho. Source: [GH] Ch. 2 (waiting-time distribution of M/M/c, FCFS).
    """
    q = float(q)
    if not 0.0 <= q < 1.0:
        raise ValueError(f"mmc_wait_quantile: q must be in [0, 1) (got {q!r})")
    c = _count("servers", servers, 1)
    measures = mmc(arrival_rate, service_rate, c)
    p_wait = measures["p_wait"]
    if 1.0 - q >= p_wait:
        return 0.0
    rate = c * float(service_rate) - float(arrival_rate)
    return math.log(p_wait / (1.0 - q)) / rate


def mm1_sojourn(arrival_rate: float, service_rate: float) -> dict[str, float]:
    """The time in system (wait + service) of the M/M/1 queue, FCFS: exponential.

    The sojourn time is exponential with rate mu - lambda, so its 95th percentile is
    ln(20) / (mu - lambda) and P(T <= t) = 1 - exp(-(mu - lambda) t). Returns the
    ``rate``, the ``mean`` and the ``p95``; see :func:`mm1_sojourn_within` for the
    distribution function. Source: [GH] Ch. 2 (M/M/1 waiting-time distributions).
    """
    mmc(arrival_rate, service_rate, 1)  # checks the arguments and stability
    rate = float(service_rate) - float(arrival_rate)
    return {"rate": rate, "mean": 1.0 / rate, "p95": math.log(20.0) / rate}


def mm1_sojourn_within(arrival_rate: float, service_rate: float, t: float) -> float:
    """P(T <= t) for the M/M/1 time in system T: the share served within ``t``."""
    rate = mm1_sojourn(arrival_rate, service_rate)["rate"]
    return -math.expm1(-rate * _nonneg("t", t))


def mmc_loss(arrival_rate: float, mean_service: float, servers: int) -> dict[str, float]:
    """Erlang loss system M/G/c/c: blocking, carried load and server utilization.

    Model: Poisson arrivals (rate lambda), c servers, no waiting room, service times of
    any distribution with mean E[S] (the loss formula is insensitive to its shape).

    Formulas, with a = lambda E[S]: blocking = B(c, a) (Erlang B); carried_load = mean
    number of busy servers = a (1 - B); utilization = carried_load / c.

    Source: [GH] Ch. 2 (Erlang's loss formula and its insensitivity).
    """
    lam = _nonneg("arrival_rate", arrival_rate)
    es = _nonneg("mean_service", mean_service)
    c = _count("servers", servers, 1)
    a = lam * es
    blocking = erlang_b(c, a)
    carried = a * (1.0 - blocking)
    return {"blocking": blocking, "carried_load": carried, "utilization": carried / c}


def _log_normalized(log_weights: np.ndarray) -> np.ndarray:
    """Turn unnormalized log-probabilities into probabilities, without overflow."""
    shifted = np.exp(log_weights - log_weights.max())
    return shifted / shifted.sum()


def _erlang_a_distribution(lam: float, mu: float, c: int, theta: float) -> np.ndarray:
    """Stationary distribution of the M/M/c+M chain, truncated where the tail < 1e-15.

    Birth rate lambda in every state; death rate min(n, c) mu + (n - c)^+ theta. Past
    the state where the death rate first exceeds lambda the terms fall faster than a
    geometric series of ratio r = lambda / death(N + 1), so the mass beyond N is at
    most p_N r / (1 - r): the state space is doubled until that bound is below 1e-15.
    """
    excess = max(0.0, (lam - c * mu) / theta)  # states above c where deaths catch up
    size = int(c + math.ceil(excess) + 64)
    while True:
        n = np.arange(1, size + 1, dtype=float)
        deaths = np.minimum(n, c) * mu + np.maximum(n - c, 0.0) * theta
        log_p = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(deaths))))
        p = _log_normalized(log_p)
        next_death = min(size + 1, c) * mu + max(size + 1 - c, 0) * theta
        ratio = lam / next_death
        if ratio < 1.0 and p[-1] * ratio / (1.0 - ratio) < _TAIL:
            return p
        if size > _MAX_STATES:
            raise ValueError(
                "erlang_a: the state space needed exceeds "
                f"{_MAX_STATES} states (abandon_rate={theta!r} is too small for "
                f"arrival_rate={lam!r} against servers * service_rate={c * mu!r})"
            )
        size *= 2


def erlang_a(
    arrival_rate: float, service_rate: float, servers: int, abandon_rate: float
) -> dict[str, float]:
    """Erlang A (M/M/c+M): a queue whose customers abandon after exponential patience.

    Model: Poisson arrivals (rate lambda), c exponential servers (rate mu), unlimited
    FCFS queue; each waiting customer abandons at rate theta (patience ~ Exp(theta)),
    independently. With theta > 0 the system is stable for every lambda.

    Method: the number in system is a birth-death chain with birth rate lambda and
    death rate min(n, c) mu + (n - c)^+ theta; its stationary law p_n is computed in
    log-space and truncated where the remaining tail is below 1e-15 (exact to that
    precision, no asymptotics).

    Results: p_wait = P(N >= c) (an arrival finds all servers busy, by PASTA);
    lq = sum (n - c)^+ p_n; p_abandon = theta lq / lambda (abandonment rate over arrival
    rate); wq = lq / lambda, the mean wait over *all* arrivals (Little), abandoners
    counted until they leave; utilization = E[min(N, c)] / c = lambda (1 - p_abandon) /
    (c mu). With theta = 0 the model is M/M/c (see :func:`mmc`).

    Source: [GMR] (Erlang A, following Palm 1943); [GH] Ch. 2 (reneging).
    """
    lam = _positive("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    c = _count("servers", servers, 1)
    theta = _nonneg("abandon_rate", abandon_rate)
    if theta == 0.0:
        base = mmc(lam, mu, c)
        return {
            "p_abandon": 0.0,
            "p_wait": base["p_wait"],
            "wq": base["wq"],
            "lq": base["lq"],
            "utilization": base["utilization"],
        }
    p = _erlang_a_distribution(lam, mu, c, theta)
    n = np.arange(p.size)
    lq = float(np.dot(np.maximum(n - c, 0), p))
    busy = float(np.dot(np.minimum(n, c), p))
    return {
        "p_abandon": theta * lq / lam,
        "p_wait": min(1.0, float(p[c:].sum())),  # min: rounding only
        "wq": lq / lam,
        "lq": lq,
        "utilization": min(1.0, busy / c),
    }


def mmc_queue_limit(
    arrival_rate: float, service_rate: float, servers: int, queue_limit: int
) -> dict[str, float]:
    """M/M/c/c+K: an M/M/c queue with room for at most K waiting customers.

    Model: Poisson arrivals (rate lambda), c exponential servers (rate mu), FCFS; an
    arrival that finds all c servers busy and K customers waiting balks (is lost).
    K = 0 is the Erlang loss system; K -> infinity is M/M/c (when lambda < c mu).

    Formulas: p_n proportional to a^n / n! for n <= c and to a^c / c! (a / c)^(n - c) for
    c < n <= c + K, a = lambda / mu (computed in log-space). balk = p_balk = p_{c+K}
    (PASTA); lq = sum (n - c)^+ p_n; wq = lq / (lambda (1 - balk)), the mean wait of
    admitted customers (Little); utilization = lambda (1 - balk) / (c mu).

    Source: [GH] Ch. 2, M/M/c/K (queues with truncation).
    """
    lam = _nonneg("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    c = _count("servers", servers, 1)
    k = _count("queue_limit", queue_limit)
    if lam == 0.0:
        return {"balk": 0.0, "p_balk": 0.0, "lq": 0.0, "wq": 0.0, "utilization": 0.0}
    n = np.arange(1, c + k + 1, dtype=float)
    deaths = np.minimum(n, c) * mu
    log_p = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(deaths))))
    p = _log_normalized(log_p)
    states = np.arange(p.size)
    balk = float(p[-1])
    lq = float(np.dot(np.maximum(states - c, 0), p))
    admitted = lam * (1.0 - balk)
    return {
        "balk": balk,
        "p_balk": balk,
        "lq": lq,
        "wq": lq / admitted,
        "utilization": admitted / (c * mu),
    }


# -------------------------------------------------------------------------- inventory
def _poisson_window(mean: float) -> tuple[int, np.ndarray]:
    """Return ``(lo, pmf)``: P(D = lo + i) for D ~ Poisson(mean) over the window where
    the mass outside is negligible (< 1e-30, 20 standard deviations each side).

    The pmf is built outward from the mode by the ratios p(n+1)/p(n) = mean/(n+1),
    summed in log-space, and normalized over the window. This keeps its total at 1 to
    rounding and its relative accuracy near 1e-13 even for a mean of millions, where
    evaluating each term on its own (n log m - m - log n!) loses several digits.
    """
    if mean == 0.0:
        return 0, np.array([1.0])
    sd = math.sqrt(mean)
    lo = max(0, math.floor(mean - 20.0 * sd - 20.0))
    hi = math.ceil(mean + 20.0 * sd + 40.0)
    mode = math.floor(mean)
    up = np.arange(mode + 1, hi + 1, dtype=float)  # log p(n) - log p(n-1) = log(mean / n)
    down = np.arange(mode, lo, -1, dtype=float)  # log p(n-1) - log p(n) = log(n / mean)
    log_up = np.cumsum(np.log1p((mean - up) / up))
    log_down = np.cumsum(np.log1p((down - mean) / mean))
    log_w = np.concatenate((log_down[::-1], [0.0], log_up))
    return lo, _log_normalized(log_w)


def _poisson_stock(mean: float, levels: np.ndarray) -> dict[str, np.ndarray]:
    """For D ~ Poisson(mean) and integer stock levels y, return arrays of

    - ``served``: P(D <= y - 1), a unit demand arriving now finds stock;
    - ``short``: P(D >= y), it does not (computed from the upper tail, not 1 - served);
    - ``on_hand``: E[(y - D)^+] = sum_{k < y} P(D <= k);
    - ``backorders``: E[(D - y)^+] = sum_{k >= y} P(D > k).

    Every quantity is a cumulative sum of non-negative terms, so small values (a tiny
    shortage far in the tail) keep their relative accuracy.
    """
    lo, pmf = _poisson_window(mean)
    size = pmf.size
    cdf = np.cumsum(pmf)  # P(D <= lo + i)
    sf = np.concatenate((np.cumsum(pmf[::-1])[::-1][1:], [0.0]))  # P(D > lo + i)
    # on_hand(lo + j) = sum_{i < j} cdf[i] ; backorders(lo + j) = sum_{i >= j} sf[i]
    on_hand_w = np.concatenate(([0.0], np.cumsum(cdf)))
    back_w = np.concatenate((np.cumsum(sf[::-1])[::-1], [0.0]))

    y = np.asarray(levels, dtype=np.int64)
    j = np.clip(y - lo, 0, size)  # index into the window, clipped to its ends
    outside = y - lo - j  # < 0 left of the window (D >= lo surely), > 0 right of it
    on_hand = on_hand_w[j] + np.maximum(outside, 0)
    backorders = back_w[j] - np.minimum(outside, 0)
    i = y - 1 - lo  # index of P(D <= y - 1)
    inside = (i >= 0) & (i < size)
    ic = np.clip(i, 0, size - 1)
    served = np.where(inside, cdf[ic], np.where(i >= size, 1.0, 0.0))
    short = np.where(inside, sf[ic], np.where(i >= size, 0.0, 1.0))
    return {"served": served, "short": short, "on_hand": on_hand, "backorders": backorders}


def base_stock_backorder(lam: float, lead_time: float, S: int) -> dict[str, float]:
    """One-for-one (base-stock) replenishment with backorders and a constant lead time.

    Model: unit demands arrive as a Poisson process of rate lambda; every demand
    triggers a replenishment order of one unit that arrives after the constant lead
    time L; unmet demand is backordered and filled FCFS. In steady state the net
    inventory is S - D with D ~ Poisson(lambda L), the demand over one lead time.

    Results: fill_rate = P(D <= S - 1) (fraction of units served from stock on arrival,
    PASTA); stockout_fraction = P(D >= S) (fraction of time with nothing on hand);
    on_hand_mean = E[(S - D)^+]; backorders_mean = E[(D - S)^+]; so on_hand_mean -
    backorders_mean = S - lambda L.

    Source: [Z] Ch. 6 (base-stock policy, Poisson demand); [A] Ch. 5.
    """
    lam = _positive("lam", lam)
    lead = _nonneg("lead_time", lead_time)
    s = _count("S", S)
    r = _poisson_stock(lam * lead, np.array([s]))
    return {
        "fill_rate": float(r["served"][0]),
        "on_hand_mean": float(r["on_hand"][0]),
        "backorders_mean": float(r["backorders"][0]),
        "stockout_fraction": float(r["short"][0]),
    }


def base_stock_lost_sales(lam: float, mean_lead_time: float, S: int) -> dict[str, float]:
    """One-for-one (base-stock) replenishment where demand that finds no stock is lost.

    Model: unit Poisson demand of rate lambda; every *served* demand triggers an order
    of one unit; lead times are i.i.d. of any distribution with mean E[L] (orders may
    cross); a demand arriving with nothing on hand is lost. The orders outstanding
    form an M/G/S/S loss system (each unit of the S is a "server" while it is on
    order, and a demand is lost exactly when all S are on order), so by insensitivity
    only E[L] matters.

    Results, with a = lambda E[L] and B = Erlang B(S, a):
    lost_rate = B, the *fraction* of demand lost (lost units per unit time are
    lambda B, given as lost_per_time); fill_rate = 1 - B; on_hand_mean = S - a (1 - B)
    (S minus the mean number on order); stockout_fraction = B (fraction of time with
    nothing on hand, equal to the lost fraction by PASTA).

    Source: [K]; [Z] Ch. 6 (lost sales, one-for-one).
    """
    lam = _positive("lam", lam)
    lead = _nonneg("mean_lead_time", mean_lead_time)
    s = _count("S", S)
    a = lam * lead
    lost = erlang_b(s, a)
    return {
        "lost_rate": lost,
        "lost_per_time": lam * lost,
        "fill_rate": 1.0 - lost,
        "on_hand_mean": s - a * (1.0 - lost),
        "stockout_fraction": lost,
    }


def rq_backorder(
    lam: float,
    lead_time: float,
    r: int,
    Q: int,
    order_cost: float = 0.0,
    holding_cost: float = 0.0,
    backorder_cost: float = 0.0,
) -> dict[str, float]:
    """Continuous-review (r, Q) policy with unit Poisson demand and backorders.

    Model: unit demands arrive as a Poisson process of rate lambda; when the
    inventory position (on hand + on order - backorders) falls to r, an order of Q
    units is placed; it arrives after the constant lead time L; backorders are filled
    FCFS. The inventory position is then uniform on r+1, ..., r+Q in steady state and
    independent of the lead-time demand D ~ Poisson(lambda L), and the net inventory
    is IP - D.

    Results (averages over y = r+1..r+Q of the base-stock values at level y):
    orders_per_time = lambda / Q; on_hand_mean = mean E[(y - D)^+]; backorders_mean =
    mean E[(D - y)^+]; fill_rate = mean P(D <= y - 1); stockout_fraction = mean
    P(D >= y); cost_ordering_per_time = order_cost lambda / Q; cost_holding_per_time =
    holding_cost on_hand_mean; cost_backorder_per_time = backorder_cost
    backorders_mean; cost_total_per_time = their sum. Holding and backorder costs are
    per unit per unit time.

    Source: [A] Ch. 5 ((R, Q) policy, Poisson demand); [Z] Ch. 6.
    """
    lam = _positive("lam", lam)
    lead = _nonneg("lead_time", lead_time)
    r = _integer("r", r)
    q = _count("Q", Q, 1)
    k = _nonneg("order_cost", order_cost)
    h = _nonneg("holding_cost", holding_cost)
    b = _nonneg("backorder_cost", backorder_cost)
    res = _poisson_stock(lam * lead, np.arange(r + 1, r + q + 1))
    on_hand = float(res["on_hand"].mean())
    backorders = float(res["backorders"].mean())
    ordering = k * lam / q
    holding = h * on_hand
    backorder = b * backorders
    return {
        "orders_per_time": lam / q,
        "on_hand_mean": on_hand,
        "backorders_mean": backorders,
        "fill_rate": float(res["served"].mean()),
        "stockout_fraction": float(res["short"].mean()),
        "cost_ordering_per_time": ordering,
        "cost_holding_per_time": holding,
        "cost_backorder_per_time": backorder,
        "cost_total_per_time": ordering + holding + backorder,
    }


def _periodic_integrals(rate: float, t: float, s: int) -> tuple[float, float, float, float]:
    """Integrals over [0, t] of the base-stock quantities at level s when the demand
    up to time u is N(u) ~ Poisson(rate u). With N = N(t) and M = min(N, s):

    - int P(N(u) <= s - 1) du = E[M] / rate
    - int P(N(u) >= s) du = E[(N - s)^+] / rate
    - int E[(s - N(u))^+] du = E[M s - M (M - 1) / 2] / rate
    - int E[(N(u) - s)^+] du = E[(N - s)(N - s - 1) / 2; N > s] / rate

    These follow from d/du P(N(u) >= j + 1) = rate P(N(u) = j), summed over j.
    """
    lo, pmf = _poisson_window(rate * t)
    n = np.arange(lo, lo + pmf.size, dtype=float)
    m = np.minimum(n, s)
    excess = np.maximum(n - s, 0.0)
    served = float(np.dot(m, pmf)) / rate
    short = float(np.dot(excess, pmf)) / rate
    on_hand = float(np.dot(m * s - m * (m - 1.0) / 2.0, pmf)) / rate
    backorders = float(np.dot(excess * np.maximum(excess - 1.0, 0.0) / 2.0, pmf)) / rate
    return served, short, on_hand, backorders


def periodic_order_up_to(lam: float, review: float, lead_time: float, S: int) -> dict[str, float]:
    """Periodic review, order up to S, constant lead time, backorders.

    Model: unit Poisson demand of rate lambda; every ``review`` period R the inventory
    position is raised to S; orders arrive after the constant lead time L (L may exceed
    R); backorders are filled FCFS. A time u in [0, R) after an order's arrival, the
    net inventory is S - N(L + u) with N(t) ~ Poisson(lambda t) (everything ordered up
    to the review L + u ago has arrived; nothing later has).

    Results, time-averaged over the cycle:
    on_hand_mean = (1/R) int_0^R E[(S - N(L+u))^+] du; backorders_mean likewise with
    E[(N(L+u) - S)^+]; fill_rate = (1/R) int_0^R P(N(L+u) <= S - 1) du (PASTA);
    stockout_fraction = 1 - fill_rate (computed from the upper tail). The integrals are
    exact closed forms (see ``_periodic_integrals``): e.g. fill_rate = (E[min(N(L+R),
    S)] - E[min(N(L), S)]) / (lambda R), no numerical quadrature.

    Source: [Z] Ch. 7 (periodic review, base-stock); Hadley & Whitin, *Analysis of
    Inventory Systems*, Prentice-Hall 1963, Ch. 5.
    """
    lam = _positive("lam", lam)
    period = _positive("review", review)
    lead = _nonneg("lead_time", lead_time)
    s = _count("S", S)
    end = _periodic_integrals(lam, lead + period, s)
    start = _periodic_integrals(lam, lead, s) if lead > 0 else (0.0, 0.0, 0.0, 0.0)
    served, short, on_hand, backorders = (
        (e - b) / period for e, b in zip(end, start)
    )
    return {
        "fill_rate": served,
        "on_hand_mean": on_hand,
        "backorders_mean": backorders,
        "stockout_fraction": short,
    }


# ---------------------------------------------------------------------------- other
def littles_law(arrival_rate: float, mean_time: float) -> float:
    """Little's law L = lambda W: the mean number present in a stable system.

    Holds for any stationary system: lambda the long-run arrival rate of the customers
    counted, W their mean time in the system. Source: [GH] Ch. 1 (Little 1961).
    """
    return _nonneg("arrival_rate", arrival_rate) * _nonneg("mean_time", mean_time)


def _shift_hours(start: float, end: float) -> float:
    for name, hour in (("start", start), ("end", end)):
        if not 0.0 <= float(hour) <= 24.0:
            raise ValueError(f"shift {name} must be an hour in [0, 24] (got {hour!r})")
    length = float(end) - float(start)
    return length if length > 0 else length + 24.0


def shift_labor_cost(
    shifts: Sequence[tuple[Sequence[int] | None, float, float, int]],
    wage: float,
    weeks: float,
    overtime: float = 0.0,
    *,
    overtime_multiplier: float = 1.5,
) -> float:
    """Wages of a weekly shift pattern: on-duty hours x headcount x wage.

    ``shifts`` is a list of ``(days, start_hour, end_hour, headcount)``: ``days`` a list
    of weekday indexes (0 = Monday ... 6 = Sunday; ``None`` means every day), hours in
    [0, 24]. A shift with end <= start crosses midnight and lasts end - start + 24 hours
    (a Sunday-night shift runs into Monday: the pattern repeats every week, so a
    whole number of weeks counts every shift in full; a fractional number of weeks is
    pro-rated). ``overtime`` is extra worker-hours over the whole period (work finished
    after a shift's end), paid at ``wage x overtime_multiplier``.

    Cost = weeks x sum over shifts of len(days) x hours x headcount x wage
           + overtime x wage x overtime_multiplier.
    """
    wage = _nonneg("wage", wage)
    weeks = _nonneg("weeks", weeks)
    overtime = _nonneg("overtime", overtime)
    multiplier = _nonneg("overtime_multiplier", overtime_multiplier)
    weekly_hours = 0.0
    for days, start, end, headcount in shifts:
        day_list = range(7) if days is None else list(days)
        for day in day_list:
            if _count("shift day", day) > 6:
                raise ValueError(f"shift day must be a weekday index 0..6 (got {day!r})")
        weekly_hours += len(day_list) * _shift_hours(start, end) * _count("headcount", headcount)
    return weeks * weekly_hours * wage + overtime * wage * multiplier


def _profile(name: str, weights: Sequence[float] | None, size: int) -> np.ndarray:
    if weights is None:
        return np.ones(size)
    array = np.asarray(weights, dtype=float)
    if array.shape != (size,) or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be {size} finite weights >= 0 (got {weights!r})")
    return array


def expected_shaped_arrivals(
    rate_per_hour: float,
    by_hour: Sequence[float] | None,
    by_weekday: Sequence[float] | None,
    hours: float,
) -> float:
    """Expected number of arrivals in [0, hours) of a weekly-shaped Poisson process.

    Model: time in hours from Monday 00:00. During hour h of weekday d the arrival
    rate is rate x f(d, h) with f(d, h) = by_weekday[d] by_hour[h] / mean over the 168
    (d, h) of by_weekday[d] by_hour[h], so the mean rate over a week is ``rate`` and a
    week brings rate x 168 arrivals on average. A missing profile (``None``) is all
    ones. The expected count is the integral of this piecewise-constant rate (exact,
    for any number of hours, fractional or beyond a week).
    """
    rate = _nonneg("rate_per_hour", rate_per_hour)
    span = _nonneg("hours", hours)
    shape = np.outer(_profile("by_weekday", by_weekday, 7), _profile("by_hour", by_hour, 24))
    shape = shape.ravel()  # hour of week 0..167, Monday 00:00 first
    if shape.sum() <= 0:
        raise ValueError("by_hour x by_weekday must have some positive weight (got all zero)")
    per_hour = rate * shape / shape.mean()
    weeks, rest = divmod(span, 168.0)
    whole = int(rest)
    return float(
        weeks * per_hour.sum()
        + per_hour[:whole].sum()
        + (rest - whole) * per_hour[min(whole, 167)]
    )
