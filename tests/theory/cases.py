"""Validation cases: small classical systems whose steady-state answer is known exactly.

Each :class:`Case` is one scenario, written in the scenario format (plain data with the
YAML keys) and validated through :meth:`sim.scenario.models.Scenario.model_validate` at import, plus
the :class:`Check` s to make on its output: which metric of which subject, and the
analytic value that :mod:`sim.theory` gives for it. The test suite
(``tests/theory/test_theory.py``) and the published table (``docs/make_validation.py``
writing ``docs/validation.md``) both run these cases, so the numbers in the document
are the numbers the tests check.

A check passes when the analytic value lies inside the Student-t confidence interval of
the simulated value over independent replications, *and* that interval is tight
(its half-width at most ``max_half_width``), so that passing means something: a wide
interval would contain almost any answer. The seeds are fixed so CI is deterministic,
but no simulated number is ever written down here.

Conventions:

* Service and patience times are in hours, demand rates per hour or per day; the model
  reports waits in hours (``wait_mean_h``) and money as totals over the window
  ``warmup .. horizon`` -- a money check divides by the window's length in days.
* Every case has a warm-up that removes the bias of starting empty (or with a full
  shelf); horizons and warm-ups of periodic systems are whole review periods (or whole
  weeks, for shift patterns), so that the window holds whole cycles.
* Tolerances are chosen per check from the variance of the estimator: a mean wait near
  90% load is far noisier than a blocking probability, and the budget of the suite
  (under four minutes on one core) is shared by every case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sim import theory
from sim.model.streams import stream_key
from sim.scenario.models import Scenario

__all__ = ["CASES", "Case", "Check", "Metrics", "case_by_id"]

#: One replication's metrics: ``{(metric, subject): value}``.
Metrics = Mapping[tuple[str, str], float]

# Sources, cited by every check (see the module docstring of sim.theory).
GH = "Gross, Shortle, Thompson & Harris, Fundamentals of Queueing Theory, 4th ed. (2008), ch. 2"
GMR = "Garnett, Mandelbaum & Reiman, MSOM 4(3) 2002 (Erlang A, after Palm 1943)"
ZIPKIN6 = "Zipkin, Foundations of Inventory Management (2000), ch. 6"
AXSATER5 = "Axsäter, Inventory Control, 3rd ed. (2015), ch. 5"
KARUSH = "Karush, Operations Research 5(5) 1957; Zipkin (2000) ch. 6"
ZIPKIN7 = "Zipkin (2000) ch. 7; Hadley & Whitin, Analysis of Inventory Systems (1963) ch. 5"
LITTLE = "Little, Operations Research 9(3) 1961; Gross et al. (2008) ch. 1"
WORK = "Work conservation: busy servers = arrival rate × mean work (Gross et al. 2008, ch. 1)"
DEFINITION = "Definition of the metric (scenario format: wages × on-duty hours)"
NHPP = (
    "Mean of a nonhomogeneous Poisson process: the integral of its rate "
    "(Ross, Stochastic Processes, ch. 2)"
)


@dataclass(frozen=True)
class Check:
    """One number to compare: a metric of a subject (or a quantity derived from metrics).

    ``expected`` is the analytic value, in the units of the metric (or of ``derive``'s
    result). ``max_half_width`` is the widest interval half-width that still makes the
    check meaningful. ``derive``, when given, computes the compared quantity from one
    replication's metrics (e.g. a money total per day); otherwise the metric itself is
    compared. ``slack`` is a known systematic error of the measurement itself, allowed on
    top of the statistical one: the 0.5% of the quantile sketch behind a percentile.
    """

    metric: str
    subject: str
    expected: float
    max_half_width: float
    source: str
    quantity: str = ""
    derive: Callable[[Metrics], float] | None = None
    #: metrics (metric, subject) that ``derive`` reads; default: just this one.
    reads: tuple[tuple[str, str], ...] = ()
    slack: float = 0.0

    @property
    def name(self) -> str:
        return self.quantity or f"{self.metric}[{self.subject}]"

    def needs(self) -> tuple[tuple[str, str], ...]:
        return self.reads or ((self.metric, self.subject),)

    def value(self, metrics: Metrics) -> float:
        """The compared quantity in one replication."""
        if self.derive is not None:
            return float(self.derive(metrics))
        return float(metrics[(self.metric, self.subject)])

    @property
    def tolerance_text(self) -> str:
        if self.expected:
            fraction = self.max_half_width / abs(self.expected)
            if fraction < 1e-6:
                return f"{fraction:.0e} relative (deterministic: rounding only)"
            return f"{fraction:.1%} of the analytic value"
        return f"{self.max_half_width:g} absolute"


@dataclass(frozen=True)
class Case:
    """A scenario, its checks, and how many replications the test suite runs."""

    id: str
    description: str
    data: dict[str, Any]
    checks: tuple[Check, ...]
    scenario: Scenario = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Each case on streams of its own: seeded from its id, never shared (review P6).
        self.data["run"]["seed"] = case_seed(self.id)
        object.__setattr__(self, "scenario", Scenario.model_validate(self.data))

    @property
    def replications(self) -> int:
        """Replications the test suite runs (``run.replications`` of the scenario)."""
        return self.scenario.run.replications

    @property
    def horizon_h(self) -> float:
        return self.scenario.run.horizon

    @property
    def warmup_h(self) -> float:
        return self.scenario.run.warmup

    @property
    def window_h(self) -> float:
        return self.horizon_h - self.warmup_h

    @property
    def seed(self) -> int:
        return self.scenario.run.seed


def rel(expected: float, fraction: float) -> float:
    """Half-width limit: ``fraction`` of the analytic value."""
    return fraction * abs(expected)


def case_seed(case_id: str, salt: int = 0) -> int:
    """The seed of a case: from its id (and ``salt``, for a fresh set of draws), so that no
    two cases share random streams and none is tuned to pass."""
    return stream_key(case_id if not salt else f"{case_id}#{salt}") % 2**31


def run(horizon: str, warmup: str, replications: int) -> dict[str, Any]:
    """A run block; the seed is set by the case (:func:`case_seed`)."""
    return {"horizon": horizon, "warmup": warmup, "replications": replications}


def window_hours(data: dict[str, Any]) -> float:
    """Length of the statistics window (horizon − warm-up) of a scenario, in hours."""
    run_ = Scenario.model_validate(data).run
    return run_.horizon - run_.warmup


# ============================================================================ queues
#: The quantile sketch behind a percentile is within 0.5% of the sample quantile.
SKETCH = 0.005


def _mmc_case(case_id: str, servers: int, load: float, horizon: str, warmup: str,
              replications: int, tolerance: float, promise_h: float | None = None) -> Case:
    """M/M/c: Poisson arrivals, c exponential servers of mean 1 h, unbounded FCFS queue.

    Every case checks the mean wait and queue, and the 95th percentile of the wait
    (P(W > t) = C exp(-(c mu - lambda) t)). With ``promise_h`` (M/M/1 only) it also checks
    the sojourn time's 95th percentile (exponential, rate mu - lambda) and the service
    level, P(T <= promise).
    """
    lam = servers * load  # per hour, with a mean service of 1 h
    exact = theory.mmc(lam, 1.0, servers)
    data = {
        "name": case_id,
        "run": run(horizon, warmup, replications),
        "demand": {"arrivals": {"rate": f"{lam:g}/h"}},
        "staff": {"desk": {"headcount": servers, "wage": "20/h"}},
        "process": [{"step": "serve", "staff": "desk",
                     "time": {"dist": "exponential", "mean": "1h"}}],
    }
    wait_p95 = theory.mmc_wait_quantile(lam, 1.0, servers, 0.95)
    checks = [
        Check("wait_mean_h", "serve", exact["wq"], rel(exact["wq"], tolerance),
              GH + " (M/M/c, Erlang C)"),
        Check("queue_mean", "serve", exact["lq"], rel(exact["lq"], tolerance),
              GH + " (M/M/c, Erlang C)"),
        Check("wait_p95_h", "serve", wait_p95, rel(wait_p95, 0.05),
              GH + " (M/M/c waiting time: P(W > t) = C exp(-(cμ-λ)t))",
              slack=SKETCH * wait_p95),
    ]
    description = f"M/M/{servers} at {load:.0%} load (λ={lam:g}/h, mean service 1 h): Erlang C"
    if promise_h is not None:
        data["service"] = {"promise": f"{promise_h:g}h"}
        sojourn = theory.mm1_sojourn(lam, 1.0)
        within = theory.mm1_sojourn_within(lam, 1.0, promise_h)
        checks += [
            Check("cycle_time_p95_h", "all", sojourn["p95"], rel(sojourn["p95"], 0.05),
                  GH + " (M/M/1 sojourn time exponential with rate μ-λ: ln 20 / (μ-λ))",
                  slack=SKETCH * sojourn["p95"]),
            Check("service_level", "all", within, rel(within, 0.02),
                  GH + f" (M/M/1: P(T <= {promise_h:g} h) = 1 - exp(-(μ-λ) {promise_h:g}))"),
        ]
        description += f"; sojourn-time distribution, promise {promise_h:g} h"
    return Case(case_id, description, data, tuple(checks))


def _loss_case() -> Case:
    servers, lam, mean_service = 5, 4.0, 1.0
    exact = theory.mmc_loss(lam, mean_service, servers)
    data = {
        "name": "erlang-b-lognormal",
        "run": run("8000h", "20h", 12),
        "demand": {"arrivals": {"rate": f"{lam:g}/h"}},
        "staff": {"lines": {"headcount": servers, "wage": "20/h"}},
        "process": [{"step": "call", "staff": "lines", "queue_limit": 0,
                     "time": {"dist": "lognormal", "mean": "1h", "cv": 1.5}}],
    }
    return Case(
        "erlang-b-lognormal",
        "M/G/5/5 loss system, lognormal service (mean 1 h, cv 1.5), 4 erlangs: Erlang B "
        "(insensitivity)",
        data,
        (
            Check("balk_rate", "call", exact["blocking"], rel(exact["blocking"], 0.03),
                  GH + " (Erlang's loss formula, insensitive to the service law)"),
            Check("utilization", "lines", exact["utilization"],
                  rel(exact["utilization"], 0.03),
                  GH + " (carried load a(1-B) of the loss system)"),
            Check("service_level", "all", 1 - exact["blocking"],
                  rel(1 - exact["blocking"], 0.01),
                  GH + " (no promise: a refused call is resolved and not served; 1 - B)"),
        ),
    )


def _erlang_a_case() -> Case:
    servers, lam, mu, theta = 3, 3.0, 1.0, 1.0
    exact = theory.erlang_a(lam, mu, servers, theta)
    data = {
        "name": "erlang-a",
        "run": run("7000h", "50h", 12),
        "demand": {"arrivals": {"rate": f"{lam:g}/h"},
                   "patience": {"dist": "exponential", "mean": f"{1 / theta:g}h"}},
        "staff": {"agents": {"headcount": servers, "wage": "20/h"}},
        "process": [{"step": "call", "staff": "agents",
                     "time": {"dist": "exponential", "mean": f"{1 / mu:g}h"}}],
    }
    return Case(
        "erlang-a",
        "M/M/3+M at 100% offered load, exponential patience of mean 1 h: Erlang A",
        data,
        (
            Check("abandon_rate", "all", exact["p_abandon"], rel(exact["p_abandon"], 0.03),
                  GMR),
            Check("service_level", "all", 1 - exact["p_abandon"],
                  rel(1 - exact["p_abandon"], 0.01),
                  GMR + " (no promise: a caller who abandons is not served)"),
        ),
    )


def _queue_limit_case() -> Case:
    servers, lam, mu, limit = 2, 2.0, 1.0, 3
    exact = theory.mmc_queue_limit(lam, mu, servers, limit)
    data = {
        "name": "mmc-queue-limit",
        "run": run("15000h", "50h", 12),
        "demand": {"arrivals": {"rate": f"{lam:g}/h"}},
        "staff": {"desk": {"headcount": servers, "wage": "20/h"}},
        "process": [{"step": "serve", "staff": "desk", "queue_limit": limit,
                     "time": {"dist": "exponential", "mean": f"{1 / mu:g}h"}}],
    }
    return Case(
        "mmc-queue-limit",
        "M/M/2/5 (2 servers, at most 3 waiting) at 100% offered load: balking probability",
        data,
        (
            Check("balk_rate", "serve", exact["balk"], rel(exact["balk"], 0.04),
                  GH + " (M/M/c/K, PASTA)"),
            Check("queue_mean", "serve", exact["lq"], rel(exact["lq"], 0.03),
                  GH + " (M/M/c/K)"),
            Check("service_level", "all", 1 - exact["balk"], rel(1 - exact["balk"], 0.01),
                  GH + " (M/M/c/K, no promise: a refused order is not served)"),
        ),
    )


# ============================================================================ inventory
def _one_unit_demand(rate: str, when_out_of_stock: str) -> dict[str, Any]:
    """Poisson orders of exactly one line of one unit: unit Poisson demand."""
    return {
        "arrivals": {"rate": rate},
        "lines": {"dist": "constant", "value": 1},
        "quantity": {"dist": "constant", "value": 1},
        "when_out_of_stock": when_out_of_stock,
    }


def _base_stock_case() -> Case:
    lam, lead, stock = 20.0, 1.0, 22  # per day, days
    exact = theory.base_stock_backorder(lam, lead, stock)
    data = {
        "name": "base-stock-backorders",
        "run": run("2000d", "5d", 12),
        "demand": _one_unit_demand(f"{lam:g}/day", "backorder"),
        "products": {"widget": {"price": 10, "unit_cost": 5, "initial_stock": stock,
                                "supplier": "acme",
                                "policy": {"type": "base_stock", "S": stock}}},
        "suppliers": {"acme": {"lead_time": f"{lead:g}d"}},
    }
    source = ZIPKIN6 + " (base stock, Poisson demand: net stock = S − Poisson(λL))"
    return Case(
        "base-stock-backorders",
        "Base stock S=22, unit Poisson demand 20/day, constant lead time 1 d, backorders",
        data,
        (
            Check("fill_rate", "widget", exact["fill_rate"], rel(exact["fill_rate"], 0.02),
                  source),
            Check("on_hand_mean", "widget", exact["on_hand_mean"],
                  rel(exact["on_hand_mean"], 0.03), source),
            Check("backorders_mean", "widget", exact["backorders_mean"],
                  rel(exact["backorders_mean"], 0.06), source),
            Check("stockout_fraction", "widget", exact["stockout_fraction"],
                  rel(exact["stockout_fraction"], 0.03), source),
        ),
    )


def _lost_sales_case() -> Case:
    lam, mean_lead, stock = 4.0, 1.0, 5  # per day, days
    exact = theory.base_stock_lost_sales(lam, mean_lead, stock)
    data = {
        "name": "base-stock-lost-sales",
        "run": run("5000d", "10d", 12),
        "demand": _one_unit_demand(f"{lam:g}/day", "lost"),
        "products": {"widget": {"price": 10, "unit_cost": 5, "initial_stock": stock,
                                "supplier": "acme",
                                "policy": {"type": "base_stock", "S": stock}}},
        "suppliers": {"acme": {"lead_time": {"dist": "lognormal", "mean": f"{mean_lead:g}d",
                                             "cv": 1.0}}},
    }
    days = window_hours(data) / 24.0
    lost_per_day = 10.0 * lam * exact["lost_rate"]  # price × demand × lost fraction
    return Case(
        "base-stock-lost-sales",
        "Lost-sales base stock S=5, unit Poisson demand 4/day, lognormal lead time "
        "(mean 1 d, cv 1, orders cross): Erlang B",
        data,
        (
            Check("lost_rate", "widget", exact["lost_rate"], rel(exact["lost_rate"], 0.04),
                  KARUSH + " (M/G/S/S: lost fraction = Erlang B(S, λE[L]))"),
            Check("service_level", "all", 1 - exact["lost_rate"],
                  rel(1 - exact["lost_rate"], 0.01),
                  KARUSH + " (an order of one unit with nothing served is not served: 1 - B)"),
            Check("lost_revenue", "widget", lost_per_day, rel(lost_per_day, 0.04),
                  KARUSH + " (price × λ × B per day)", "lost_revenue[widget] per day",
                  lambda m: m[("lost_revenue", "widget")] / days),
            Check("on_hand_mean", "widget", exact["on_hand_mean"],
                  rel(exact["on_hand_mean"], 0.02),
                  KARUSH + " (on hand = S − mean number on order)"),
            Check("stockout_fraction", "widget", exact["stockout_fraction"],
                  rel(exact["stockout_fraction"], 0.04),
                  KARUSH + " (time with all S on order = Erlang B, PASTA)"),
        ),
    )


def _rq_case() -> Case:
    lam, lead, r, q = 20.0, 1.0, 15, 20  # per day, days
    order_cost, holding, backorder = 50.0, 0.5, 2.0  # per order; per unit-day
    exact = theory.rq_backorder(lam, lead, r, q, order_cost, holding, backorder)
    data = {
        "name": "r-q-costs",
        "run": run("2500d", "5d", 12),
        "demand": _one_unit_demand(f"{lam:g}/day", "backorder"),
        "products": {"widget": {"price": 10, "unit_cost": 5, "initial_stock": r + q,
                                "holding_cost": f"{holding:g}/day", "supplier": "acme",
                                "policy": {"type": "r_Q", "r": r, "Q": q}}},
        "suppliers": {"acme": {"lead_time": f"{lead:g}d", "order_cost": order_cost}},
        "costs": {"backorder": f"{backorder:g}/day"},
    }
    days = window_hours(data) / 24.0
    source = AXSATER5 + " (inventory position uniform on r+1..r+Q)"

    def per_day(metric: str) -> Callable[[Metrics], float]:
        return lambda m: m[(metric, "all")] / days

    checks = (
        Check("cost_ordering", "all", exact["cost_ordering_per_time"],
              rel(exact["cost_ordering_per_time"], 0.01), source + "; K λ / Q",
              "cost_ordering[all] per day", per_day("cost_ordering")),
        Check("cost_holding", "all", exact["cost_holding_per_time"],
              rel(exact["cost_holding_per_time"], 0.02), source,
              "cost_holding[all] per day", per_day("cost_holding")),
        Check("cost_backorder", "all", exact["cost_backorder_per_time"],
              rel(exact["cost_backorder_per_time"], 0.05), source,
              "cost_backorder[all] per day", per_day("cost_backorder")),
        Check("fill_rate", "widget", exact["fill_rate"], rel(exact["fill_rate"], 0.02), source),
    )
    return Case(
        "r-q-costs",
        "(r, Q) = (15, 20), unit Poisson demand 20/day, constant lead time 1 d: cost rates "
        "(order 50, holding 0.5/unit-day, backorder 2/unit-day)",
        data,
        checks,
    )


def _periodic_case() -> Case:
    lam, review, lead, stock = 10.0, 2.0, 3.0, 55  # per day, days, days
    exact = theory.periodic_order_up_to(lam, review, lead, stock)
    data = {
        "name": "periodic-order-up-to",
        "run": run("3000d", "10d", 12),  # whole review periods
        "demand": _one_unit_demand(f"{lam:g}/day", "backorder"),
        "products": {"widget": {"price": 10, "unit_cost": 5, "initial_stock": stock,
                                "supplier": "acme",
                                "policy": {"type": "periodic", "review": f"{review:g}d",
                                           "S": stock}}},
        "suppliers": {"acme": {"lead_time": f"{lead:g}d"}},
    }
    source = ZIPKIN7
    return Case(
        "periodic-order-up-to",
        "Periodic review every 2 d, order up to S=55, unit Poisson demand 10/day, constant "
        "lead time 3 d, backorders",
        data,
        (
            Check("fill_rate", "widget", exact["fill_rate"], rel(exact["fill_rate"], 0.01),
                  source),
            Check("on_hand_mean", "widget", exact["on_hand_mean"],
                  rel(exact["on_hand_mean"], 0.03), source),
        ),
    )


# ============================================================================ staff
def _labor_case() -> Case:
    wage = 20.0
    shifts = [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00",
         "headcount": 3},
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "16:00", "end": "24:00",
         "headcount": 2},
        # crosses midnight; the Sunday one runs into Monday of the next week
        {"days": ["wed", "sun"], "start": "22:00", "end": "06:00", "headcount": 1},
    ]
    servers, lam, mean_service = 4, 3.0, 1.0
    data = {
        "name": "labor-and-utilization",
        "run": run("98d", "7d", 10),  # a window of 13 whole weeks, Monday to Monday
        "demand": {"arrivals": {"rate": f"{lam:g}/h"}},
        "staff": {
            # on duty but never given work: no overtime, so the cost is exact
            "support": {"wage": f"{wage:g}/h", "shifts": shifts},
            "desk": {"headcount": servers, "wage": f"{wage:g}/h"},
        },
        "process": [{"step": "serve", "staff": "desk",
                     "time": {"dist": "gamma", "mean": f"{mean_service:g}h", "cv": 0.5}}],
    }
    weeks = window_hours(data) / 168.0
    day_index = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
    pattern = [
        ([day_index[d] for d in s["days"]], _clock(s["start"]), _clock(s["end"]),
         s["headcount"])
        for s in shifts
    ]
    shift_cost = theory.shift_labor_cost(pattern, wage, weeks)
    desk_cost = theory.shift_labor_cost([(None, 0.0, 24.0, servers)], wage, weeks)
    exactness = 1e-9  # deterministic: only floating-point rounding is allowed
    checks = (
        Check("cost_labor", "support", shift_cost, rel(shift_cost, exactness), DEFINITION),
        Check("cost_labor", "desk", desk_cost, rel(desk_cost, exactness), DEFINITION),
        Check("cost_labor", "all", shift_cost + desk_cost,
              rel(shift_cost + desk_cost, exactness), DEFINITION),
        Check("utilization", "desk", lam * mean_service / servers,
              rel(lam * mean_service / servers, 0.03), WORK),
    )
    return Case(
        "labor-and-utilization",
        "Wages of a shift pattern with midnight-crossing shifts (no work, so no overtime); "
        "utilization of a 4-server pool under 3 erlangs",
        data,
        checks,
    )


def _clock(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) + int(minutes) / 60.0


# ============================================================================ arrivals
BY_HOUR = [0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 6, 5, 5, 5, 6, 6, 5, 4, 3, 2, 1, 1, 0, 0]
BY_WEEKDAY = [1.4, 1.2, 1.0, 1.0, 1.1, 0.5, 0.3]


def _shaped_case(case_id: str, horizon_h: float, warmup_h: float, what: str) -> Case:
    rate = 40.0  # per hour, averaged over a week
    data = {
        "name": case_id,
        "run": run(f"{horizon_h:g}h", f"{warmup_h:g}h", 10),
        "demand": {"arrivals": {"rate": f"{rate:g}/h", "by_hour": BY_HOUR,
                                "by_weekday": BY_WEEKDAY}},
    }
    expected = theory.expected_shaped_arrivals(
        rate, BY_HOUR, BY_WEEKDAY, horizon_h
    ) - theory.expected_shaped_arrivals(rate, BY_HOUR, BY_WEEKDAY, warmup_h)
    return Case(
        case_id,
        f"Poisson arrivals 40/h shaped by hour and weekday, counted over {what}",
        data,
        (Check("orders_arrived", "all", expected, rel(expected, 0.02), NHPP),),
    )


# ============================================================================ Little
def _little_case() -> Case:
    lam = 3.0  # orders per hour
    steps = [
        # step, pool, time spec, mean hours
        ("order_entry", "desk", {"dist": "exponential", "mean": "30min"}, 0.5),
        ("pick", "pickers", {"dist": "gamma", "mean": "50min", "cv": 0.6}, 50 / 60),
        ("pack", "desk", {"dist": "erlang", "mean": "10min", "k": 3}, 10 / 60),
        ("ship", "dock", {"dist": "uniform", "min": "6min", "max": "14min"}, 10 / 60),
    ]
    pools = {"desk": 3, "pickers": 3, "dock": 1}
    data = {
        "name": "little-multi-step",
        "run": run("5000h", "50h", 10),
        "demand": {"arrivals": {"rate": f"{lam:g}/h"}},
        "staff": {pool: {"headcount": n, "wage": "20/h"} for pool, n in pools.items()},
        "process": [{"step": s, "staff": p, "time": t} for s, p, t, _ in steps],
    }
    window = window_hours(data)
    checks: list[Check] = []
    for step, _, _, _ in steps:
        # Little's law with the arrival rate each replication actually saw: it holds
        # path by path up to edge effects, so the ratio is 1 within a fraction of a
        # percent, and any bookkeeping error in queue_mean or wait_mean_h shows.
        checks.append(Check(
            "queue_mean", step, 1.0, 0.01, LITTLE + " (L_q = λ W_q at each step)",
            f"queue_mean[{step}] / (arrival rate × wait_mean_h[{step}])",
            (lambda m, s=step: m[("queue_mean", s)] / theory.littles_law(
                m[("orders_arrived", "all")] / window, m[("wait_mean_h", s)])),
            (("queue_mean", step), ("orders_arrived", "all"), ("wait_mean_h", step)),
        ))
    total_service = sum(mean for *_, mean in steps)
    waits = tuple(("wait_mean_h", s) for s, *_ in steps)
    checks.append(Check(
        "cycle_time_mean_h", "all", total_service, rel(total_service, 0.01),
        "Cycle time = sum of waits + sum of mean service times (no loss, FCFS)",
        "cycle_time_mean_h[all] − Σ wait_mean_h[step]",
        lambda m: m[("cycle_time_mean_h", "all")] - sum(m[w] for w in waits),
        (("cycle_time_mean_h", "all"), *waits),
    ))
    for pool, n in pools.items():
        load = lam * sum(mean for _, p, _, mean in steps if p == pool) / n
        checks.append(Check("utilization", pool, load, rel(load, 0.03), WORK))
    return Case(
        "little-multi-step",
        "Four steps on three pools (one pool shared by two steps), 3 orders/h, mixed "
        "service laws: Little's law per step, cycle time, utilization",
        data,
        tuple(checks),
    )


CASES: list[Case] = [
    _mmc_case("mmc-c1-rho80", 1, 0.8, "65000h", "500h", 20, 0.05, promise_h=10.0),
    _mmc_case("mmc-c3-rho70", 3, 0.7, "25000h", "100h", 20, 0.05),
    _mmc_case("mmc-c3-rho90", 3, 0.9, "45000h", "500h", 20, 0.05),
    _loss_case(),
    _erlang_a_case(),
    _queue_limit_case(),
    _base_stock_case(),
    _lost_sales_case(),
    _rq_case(),
    _periodic_case(),
    _labor_case(),
    _shaped_case("shaped-arrivals-weeks", 3 * 168.0, 168.0, "two whole weeks"),
    _shaped_case("shaped-arrivals-partial", 13.75 * 24, 4.5 * 24,
                 "Friday 12:00 to Sunday 18:00 of the next week (9.25 days)"),
    _little_case(),
]


def case_by_id(case_id: str) -> Case:
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)


def _check_ids_unique() -> None:
    ids = [c.id for c in CASES]
    if len(ids) != len(set(ids)):
        raise ValueError(f"case ids must be unique (got {ids})")
    for case in CASES:
        for check in case.checks:
            if not (math.isfinite(check.expected) and check.max_half_width > 0):
                raise ValueError(f"{case.id}: {check.name}: bad expected or tolerance")


_check_ids_unique()
