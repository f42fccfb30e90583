"""Fitting a ``demand`` section to a file of past orders, with estimators a planner can check.

``fit_orders(book)`` turns an :class:`~sim.model.orderbook.OrderBook` (a file read by
:func:`sim.data.orders.read_orders`) into a :class:`DemandFit`: one :class:`ChannelFit`
per value of the ``channel`` column (one in all without it), the dated exceptions it
found, and how well a Poisson process describes the days. The output layer writes it
as YAML, prints its report and draws ``fit.png`` (:mod:`sim.output.fit`).

The estimators (docs/outputs.md, "Demand from data", says the same):

* **The span** is whole days: from 00:00 of the first order's date to 24:00 of the
  last order's date. A day inside it without orders counts as a day with 0 orders. An
  export that starts or ends in the middle of a day makes that day look quiet: cut the
  file at midnight.
* **Daily counts** of each channel are fitted by maximum likelihood with a Poisson
  log-linear model, the model the simulation runs: ``log E[orders on day d] = weekday
  effect + month effect + g × (days since the first date + 0.5)``. Month effects are
  fitted only with at least 365 days of data; a weekday or month without a single order
  gets weight 0 and its days are left out. The fitted total equals the observed total.
* **Dated exceptions**: a day whose count is implausible under the fitted model (the
  two-sided Poisson probability of a count as extreme is below 0.001 / number of days,
  a Bonferroni bound: about one false alarm in a thousand files) is set aside, with
  the days next to it whose count is off on the same side with a probability below
  0.001 on their own (a promotion lasts several days), and the model is fitted again,
  until no more days are found. A run of such days found in one channel is then
  tested as one block in each other channel (its total against the model's, at
  0.001). Days without any order in all channels together become ``closed`` dates;
  other days become ``demand`` factors (observed ÷ fitted, consecutive days with a
  factor on the same side of 1 merged).
  When more than 5% of the days (and more than 3) would be set aside, the counts are
  overdispersed rather than exceptional: none is, and the report says so.
* **by_weekday** and **by_month** are the fitted effects, scaled to a mean of 1 (over
  the 7 weekdays; over the days of a 365-day year). Without a trend and over whole
  weeks, the weekday weights are the ratios of the mean counts per weekday.
* **growth** is ``g`` as a compounded rate per year, written only when its 95%
  confidence interval (Wald, from the Fisher information, widened by the Pearson
  dispersion when that is above 1) excludes 0; otherwise the model is fitted again
  without it. With exactly one year of data, a trend and the months cannot be told
  apart: the months absorb the trend.
* **rate** is the fitted mean per day over a plain week at the start date (by default
  the first date of the history): over a span of whole years without a trend, the
  orders per day over the span.
* **by_hour**: ratios of the mean number of orders in each hour of the day (over the
  days kept), scaled to a mean of 1.
* **lines** per order and **quantity** per line: a constant when every value is the
  same; else Poisson with ``min: 1`` (1 + Poisson(mean − 1)) when a chi-square
  goodness-of-fit test at the 1% level does not reject it; else geometric (mean) under
  the same test; else the empirical distribution (each value and how often it was
  seen). Expected counts below 5 are pooled into the last bin.
* **sku_mix**: each SKU's share of the lines.
* **The overdispersion check**: the Pearson statistic of the daily counts against the
  fitted model (the days kept), ``X² = Σ (n − μ)² / μ``, against its chi-square
  reference with ``days − parameters`` degrees of freedom. Its ratio to the degrees of
  freedom is the dispersion index (1 for a Poisson process). When the test rejects at
  the 1% level, the days vary more than the fitted Poisson process says: a ``resample``
  channel describes the data better.

pandas is not needed here (the book is numpy arrays); scipy gives the distributions.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.orderbook import EPOCH, SECONDS_PER_DAY, OrderBook
from sim.scenario.models import MONTH_DAYS

__all__ = [
    "ALPHA_EXCEPTION",
    "ChannelFit",
    "CountFit",
    "DatedException",
    "DemandFit",
    "Dispersion",
    "fit",
    "fit_count",
    "fit_orders",
]

#: Family-wise level of the search for dated exceptions (divided by the number of days).
ALPHA_EXCEPTION = 0.001
#: Level of the goodness-of-fit tests (counts) and of the overdispersion test.
ALPHA_TEST = 0.01
#: Share of the days beyond which exceptions are taken for overdispersion.
MAX_EXCEPTIONS = 0.05
_DAYS_FOR_MONTHS = 365
_DAYS_PER_YEAR = 365.0


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CountFit:
    """The distribution fitted to a count (lines per order, units per line)."""

    kind: str  # constant, poisson, geometric or empirical
    mean: float
    n: int
    p_value: float | None = None  # of the test that accepted it (None: too few to test)
    values: tuple[int, ...] = ()
    weights: tuple[int, ...] = ()
    rejected: tuple[tuple[str, float], ...] = ()  # (kind, p-value) of the ones before

    def spec(self) -> int | dict[str, Any]:
        """As a scenario writes it."""
        if self.kind == "constant":
            return int(round(self.mean))
        if self.kind == "poisson":
            return {"dist": "poisson", "mean": self.mean, "min": 1}
        if self.kind == "geometric":
            return {"dist": "geometric", "mean": self.mean}
        return {"dist": "empirical", "values": list(self.values), "weights": list(self.weights)}


@dataclass(frozen=True)
class Dispersion:
    """The overdispersion check of daily counts: Pearson X² against chi-square(df)."""

    statistic: float
    df: int
    p_value: float

    @property
    def index(self) -> float:
        """X² / df: 1 for a Poisson process, more when days vary more than that."""
        return self.statistic / self.df if self.df > 0 else math.nan

    @property
    def overdispersed(self) -> bool:
        """Whether the test rejects a Poisson process at :data:`ALPHA_TEST`."""
        return self.p_value < ALPHA_TEST


@dataclass(frozen=True)
class DatedException:
    """A run of dated exceptions: closed, or the rate times ``factor``."""

    first: _dt.date
    last: _dt.date
    closed: bool = False
    factor: float = 1.0
    observed: int = 0
    expected: float = 0.0


@dataclass
class ChannelFit:
    """What was fitted to one channel's orders (see the module docstring)."""

    name: str | None
    orders: int
    lines: int
    rate_per_day: float
    mean_per_day: float
    by_hour: list[float]
    by_weekday: list[float]
    by_month: list[float] | None
    growth: float | None  # compounded per year, when written
    growth_estimate: float | None  # compounded per year, as fitted (None: not fitted)
    growth_ci: tuple[float, float] | None
    exceptions: list[DatedException]
    lines_fit: CountFit
    quantity_fit: CountFit
    sku_mix: dict[str, float]
    dispersion: Dispersion
    too_many_exceptions: int = 0
    #: For the figure: per day of the span, orders seen and expected (with exceptions),
    #: and which days were kept for the fit.
    daily: np.ndarray = field(default_factory=lambda: np.zeros(0))
    expected: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    hour_counts: np.ndarray = field(default_factory=lambda: np.zeros(24))


@dataclass
class DemandFit:
    """The fit of a whole orders file: its channels, closed dates and where it came from."""

    file: str
    sha256: str
    rows: int
    orders: int
    first: _dt.date
    last: _dt.date
    start: _dt.date
    channels: list[ChannelFit]
    closed: list[DatedException]
    warnings: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        """Days in the span, both ends included."""
        return (self.last - self.first).days + 1

    def dates(self) -> list[_dt.date]:
        """Every date of the span."""
        return [self.first + _dt.timedelta(days=k) for k in range(self.days)]

    # Convenience accessors, handed to the output layer (like Results.plot()).
    def to_yaml(self) -> str:
        """The fitted demand as YAML (what ``fit`` writes)."""
        from sim.output.fit import fit_yaml

        return fit_yaml(self)

    def report(self) -> str:
        """The short text report ``fit`` prints."""
        from sim.output.fit import format_fit_report

        return format_fit_report(self)

    def plot(self) -> Any:
        """The figure of ``fit.png``: observed against fitted (a matplotlib Figure)."""
        from sim.output.fit import fit_figure

        return fit_figure(self)

    def save(self, out: str | os.PathLike[str]) -> tuple[str, str]:
        """Write the YAML to ``out`` and ``fit.png`` beside it; return both paths."""
        from sim.output.fit import write_fit

        return write_fit(self, out)

    def __repr__(self) -> str:
        return self.report()


# --------------------------------------------------------------------------- counts
def fit_count(values: np.ndarray) -> CountFit:
    """The distribution of whole numbers >= 1, by the rule of the module docstring."""
    from scipy import stats

    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    mean = float(values.mean())
    if n == 0 or values.min() == values.max():
        return CountFit("constant", float(values[0]) if n else 1.0, n)
    seen = np.bincount(values)
    rejected: list[tuple[str, float]] = []
    top = int(values.max())
    k = np.arange(1, top + 1)
    candidates = {
        "poisson": stats.poisson.pmf(k - 1, mean - 1.0),
        "geometric": stats.geom.pmf(k, 1.0 / mean),
    }
    for kind, pmf in candidates.items():
        p = _goodness_of_fit(seen[1:], pmf, n)
        if p is None or p >= ALPHA_TEST:  # too few values to test: the simpler model stays
            return CountFit(kind, _round(mean, 4), n, p, rejected=tuple(rejected))
        rejected.append((kind, p))
    present = np.flatnonzero(seen)
    return CountFit(
        "empirical", mean, n, None,
        tuple(int(v) for v in present), tuple(int(seen[v]) for v in present), tuple(rejected),
    )


def _goodness_of_fit(observed: np.ndarray, pmf: np.ndarray, n: int) -> float | None:
    """The chi-square goodness-of-fit p-value, bins pooled until each expects 5 or more.

    One parameter was estimated; with fewer than 3 bins there is nothing to test (None).
    """
    from scipy import stats

    expected = pmf * n
    expected[-1] += max(0.0, n - expected.sum())  # the tail beyond the largest value seen
    bins_o, bins_e = [], []
    o = e = 0.0
    for ob, ex in zip(observed, expected):
        o, e = o + ob, e + ex
        if e >= 5.0:
            bins_o.append(o)
            bins_e.append(e)
            o = e = 0.0
    if e > 0 and bins_e:
        bins_o[-1] += o
        bins_e[-1] += e
    if len(bins_e) < 3:
        return None
    chi2 = float(sum((a - b) ** 2 / b for a, b in zip(bins_o, bins_e)))
    return float(stats.chi2.sf(chi2, len(bins_e) - 2))


# --------------------------------------------------------------------------- daily model
@dataclass
class _Days:
    """The span's days: weekday, month and time of each."""

    weekday: np.ndarray
    month: np.ndarray
    t: np.ndarray  # days from the first date to the middle of each day
    months: bool  # whether month effects are fitted


@dataclass
class _Model:
    """A fitted Poisson log-linear model of daily counts."""

    mu: np.ndarray  # expected count per day (0 on days of weight 0)
    weekday: np.ndarray  # 7 effects, 0 where a weekday has no orders
    month: np.ndarray  # 12 effects relative to the reference, 0 where none
    growth: float  # per day (log scale), 0 when not fitted
    growth_se: float  # standard error of growth, inf when not identifiable
    used: np.ndarray  # days that entered the fit
    parameters: int


def _glm(counts: np.ndarray, days: _Days, keep: np.ndarray, growth: bool) -> _Model:
    """Poisson regression of ``counts`` on weekday (+ month) (+ trend), by IRLS."""
    weekdays = [w for w in range(7) if counts[keep & (days.weekday == w)].sum() > 0]
    months = [m for m in range(12) if counts[keep & (days.month == m)].sum() > 0]
    used = keep & np.isin(days.weekday, weekdays)
    if days.months:
        used &= np.isin(days.month, months)
    columns = [(days.weekday == w).astype(float) for w in weekdays]
    month_ref = months[0] if months else 0
    fitted_months = [m for m in months[1:]] if days.months else []
    columns += [(days.month == m).astype(float) for m in fitted_months]
    if growth:
        columns.append(days.t / _DAYS_PER_YEAR)
    x = np.column_stack(columns)[used]
    y = counts[used].astype(float)
    beta = np.zeros(x.shape[1])
    beta[: len(weekdays)] = math.log(max(y.mean(), 1e-9))
    for _ in range(100):
        eta = x @ beta
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        xtw = x.T * mu
        step = np.linalg.lstsq(xtw @ x, xtw @ z, rcond=None)[0]
        done = np.max(np.abs(step - beta)) < 1e-10
        beta = step
        if done:
            break
    mu_used = np.exp(x @ beta)
    information = (x.T * mu_used) @ x
    growth_se = math.inf
    if growth:
        try:
            covariance = np.linalg.inv(information)
            if np.linalg.cond(information) < 1e12:
                growth_se = math.sqrt(max(covariance[-1, -1], 0.0)) / _DAYS_PER_YEAR
        except np.linalg.LinAlgError:
            pass
    weekday = np.zeros(7)
    weekday[weekdays] = np.exp(beta[: len(weekdays)])
    month = np.zeros(12)
    if days.months:
        month[month_ref] = 1.0
        month[fitted_months] = np.exp(beta[len(weekdays) : len(weekdays) + len(fitted_months)])
    else:
        month[:] = 1.0
    g = float(beta[-1]) / _DAYS_PER_YEAR if growth else 0.0
    mu_all = weekday[days.weekday] * month[days.month] * np.exp(g * days.t)
    return _Model(mu_all, weekday, month, g, growth_se, used, x.shape[1])


def _pearson(counts: np.ndarray, model: _Model) -> Dispersion:
    from scipy import stats

    used = model.used & (model.mu > 0)
    mu = model.mu[used]
    statistic = float(((counts[used] - mu) ** 2 / mu).sum())
    df = int(used.sum()) - model.parameters
    p = float(stats.chi2.sf(statistic, df)) if df > 0 else math.nan
    return Dispersion(statistic, df, p)


def _p_values(counts: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Two-sided Poisson p-value of each day's count (1 where nothing was expected)."""
    from scipy import stats

    low = stats.poisson.cdf(counts, mu)
    high = stats.poisson.sf(counts - 1, mu)
    return np.where(mu > 0, np.minimum(1.0, 2.0 * np.minimum(low, high)), 1.0)


def _exceptional(counts: np.ndarray, mu: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Days set aside: a Bonferroni outlier, and then its neighbours on the same side that
    are outliers at :data:`ALPHA_EXCEPTION` on their own (a promotion lasts several days)."""
    p = _p_values(counts, mu)
    found = candidates & (p < ALPHA_EXCEPTION / len(counts))
    weak = candidates & (p < ALPHA_EXCEPTION)
    high = counts > mu
    while True:
        grown = found.copy()
        grown[1:] |= found[:-1] & weak[1:] & (high[1:] == high[:-1])
        grown[:-1] |= found[1:] & weak[:-1] & (high[:-1] == high[1:])
        if (grown == found).all():
            return found
        found = grown


def _fit_days(
    counts: np.ndarray, days: _Days, keep: np.ndarray
) -> tuple[_Model, np.ndarray, int]:
    """The model of one channel's days, with its exceptions set aside.

    Returns the model, the days set aside and, when they were too many to be
    exceptions, how many there would have been (then none is set aside).
    """
    aside = np.zeros(len(counts), dtype=bool)
    for _ in range(10):
        model = _glm(counts, days, keep & ~aside, growth=True)
        found = _exceptional(counts, model.mu, model.used | aside) & ~aside
        if not found.any():
            break
        aside |= found
    limit = max(3, MAX_EXCEPTIONS * len(counts))
    too_many = int(aside.sum()) if aside.sum() > limit else 0
    if too_many:
        aside[:] = False
    return model, aside, too_many


def _with_growth_decided(
    counts: np.ndarray, days: _Days, keep: np.ndarray
) -> tuple[_Model, float | None, tuple[float, float] | None, float | None]:
    """Fit with a trend; keep it only when its 95% interval excludes 0 (module docstring).

    Returns the model, the growth written (compounded per year, or None), its interval
    and the estimate.
    """
    from scipy import stats

    model = _glm(counts, days, keep, growth=True)
    dispersion = _pearson(counts, model)
    scale = math.sqrt(max(1.0, dispersion.index)) if dispersion.df > 0 else 1.0
    if not math.isfinite(model.growth_se) or dispersion.df <= 0:
        return _glm(counts, days, keep, growth=False), None, None, None
    half = float(stats.t.ppf(0.975, dispersion.df)) * model.growth_se * scale
    per_year = model.growth * _DAYS_PER_YEAR
    half_per_year = half * _DAYS_PER_YEAR
    ci = (math.expm1(per_year - half_per_year), math.expm1(per_year + half_per_year))
    estimate = math.expm1(per_year)
    if ci[0] > 0 or ci[1] < 0:
        return model, estimate, ci, estimate
    return _glm(counts, days, keep, growth=False), None, ci, estimate


# --------------------------------------------------------------------------- the whole file
def fit(orders: str | os.PathLike[str], *, start: _dt.date | str | None = None) -> DemandFit:
    """Read a file of past orders and fit a ``demand`` section to it.

    >>> import sim
    >>> fitted = sim.fit("scenarios/data/garden_orders.csv")  # doctest: +SKIP
    >>> print(fitted.to_yaml())  # doctest: +SKIP

    ``start`` (a date, or ``"2026-01-05"``) is the date the simulation will start on;
    default: the first date of the history. A broken file raises
    :class:`~sim.errors.ScenarioError` naming the file, the line and the column.
    """
    from sim.data.orders import read_orders
    from sim.scenario.units import parse_date

    when = parse_date(start) if start is not None else None
    return fit_orders(read_orders(orders), start=when)


def fit_orders(book: OrderBook, *, start: _dt.date | None = None) -> DemandFit:
    """Fit a ``demand`` section to the orders of ``book`` (see the module docstring).

    ``start`` is the date the simulation will start on (default: the first date of the
    history); the rate is the fitted rate on that date (the trend carried to it).
    """
    if not len(book):
        raise ValueError("no orders to fit")
    day_of_order = book.days()
    first_day, last_day = int(day_of_order[0]), int(day_of_order[-1])
    n_days = last_day - first_day + 1
    first = EPOCH + _dt.timedelta(days=first_day)
    last = EPOCH + _dt.timedelta(days=last_day)
    start = start or first
    dates = [first + _dt.timedelta(days=k) for k in range(n_days)]
    days = _Days(
        weekday=np.array([d.weekday() for d in dates]),
        month=np.array([d.month - 1 for d in dates]),
        t=np.arange(n_days) + 0.5,
        months=n_days >= _DAYS_FOR_MONTHS,
    )
    warnings: list[str] = []
    if n_days < 28:
        warnings.append(
            f"only {n_days} days of orders: each weekday weight rests on {n_days // 7} "
            "day(s) or fewer; a few months of orders give a much better fit"
        )
    if not days.months:
        warnings.append(
            f"by_month is not fitted: {n_days} days of orders, and months need at least a "
            f"year ({_DAYS_FOR_MONTHS} days)"
        )

    # Closed dates: days without a single order, in all channels together, that the
    # model of the total says should have had some.
    total = np.bincount(day_of_order - first_day, minlength=n_days)
    everything = np.ones(n_days, dtype=bool)
    closed_days = np.zeros(n_days, dtype=bool)
    for _ in range(10):
        model = _glm(total, days, everything & ~closed_days, growth=True)
        zero = (total == 0) & (model.used | closed_days)
        found = _exceptional(total, model.mu, zero) & ~closed_days
        if not found.any():
            break
        closed_days |= found
    closed = [
        DatedException(dates[a], dates[b], closed=True, expected=float(model.mu[a : b + 1].sum()))
        for a, b in _runs(closed_days)
    ]
    open_days = ~closed_days

    # Each channel's exceptional days; then a run found in one channel is tested as a
    # block in the others (a promotion of the whole shop shows in a small channel too).
    names: list[str | None] = list(book.channels) if book.channels else [None]
    books = [book.for_channel(name) for name in names]
    counts = [np.bincount(b.days() - first_day, minlength=n_days) for b in books]
    fitted = [_fit_days(c, days, open_days) for c in counts]
    runs = _runs(np.logical_or.reduce([aside for _, aside, _ in fitted]))
    channels = []
    for name, orders, daily, (model, aside, too_many) in zip(names, books, counts, fitted):
        if not too_many:
            aside = aside | _blocks(daily, model.mu, runs, aside)
        channels.append(
            _fit_channel(name, orders, daily, aside, too_many, days, dates, open_days, start)
        )
        if channels[-1].too_many_exceptions:
            warnings.append(
                f"{_label(name)}: {channels[-1].too_many_exceptions} days look exceptional "
                f"(more than {MAX_EXCEPTIONS:.0%} of them): the days vary more than a Poisson "
                "process; no promotion is written"
            )
        dispersion = channels[-1].dispersion
        if dispersion.overdispersed:
            warnings.append(
                f"{_label(name)}: daily counts vary more than a Poisson process allows "
                f"(dispersion index {dispersion.index:.2f}, p = {_p(dispersion.p_value)}): the "
                "fitted arrivals understate the swings from day to day; resample describes "
                "the data better"
            )
    if start > first and (closed or any(c.exceptions for c in channels)):
        warnings.append(
            f"the calendar lists dates of the history; those before the start ({start}) do "
            "not apply to the run: copy them to the dates you simulate"
        )
    return DemandFit(
        file=book.file,
        sha256=book.sha256,
        rows=book.rows,
        orders=len(book),
        first=first,
        last=last,
        start=start,
        channels=channels,
        closed=closed,
        warnings=warnings,
    )


def _blocks(
    counts: np.ndarray, mu: np.ndarray, runs: list[tuple[int, int]], aside: np.ndarray
) -> np.ndarray:
    """The runs of days whose total is implausible under the model, as one block each."""
    from scipy import stats

    more = np.zeros(len(counts), dtype=bool)
    for a, b in runs:
        if aside[a : b + 1].all():
            continue
        seen, wanted = int(counts[a : b + 1].sum()), float(mu[a : b + 1].sum())
        if wanted <= 0:
            continue
        p = 2.0 * min(stats.poisson.cdf(seen, wanted), stats.poisson.sf(seen - 1, wanted))
        if p < ALPHA_EXCEPTION:
            more[a : b + 1] = True
    return more


def _fit_channel(
    name: str | None,
    orders: OrderBook,
    counts: np.ndarray,
    aside: np.ndarray,
    too_many: int,
    days: _Days,
    dates: list[_dt.date],
    open_days: np.ndarray,
    start: _dt.date,
) -> ChannelFit:
    n_days = len(dates)
    day_index = orders.days() - _ordinal(dates[0])
    keep = open_days & ~aside
    model, growth, ci, estimate = _with_growth_decided(counts, days, keep)
    dispersion = _pearson(counts, model)

    # The weights a scenario writes: weekday mean 1, month day-weighted mean 1.
    w_bar = float(model.weekday.mean())
    by_weekday = (model.weekday / w_bar).tolist()
    by_month = None
    m_bar = 1.0
    if days.months:
        m_bar = float((model.month * np.array(MONTH_DAYS)).sum() / sum(MONTH_DAYS))
        by_month = (model.month / m_bar).tolist()
    shift = (start - dates[0]).days
    rate = w_bar * m_bar * math.exp(model.growth * shift)

    kept_orders = keep[day_index]
    hours = (orders.time[kept_orders] % SECONDS_PER_DAY) // 3600
    hour_counts = np.bincount(hours, minlength=24).astype(float)
    by_hour = (hour_counts / hour_counts.mean()).tolist() if hour_counts.sum() else [1.0] * 24

    exceptions = []
    for a, b in _runs(aside, split=counts >= model.mu):
        seen, wanted = int(counts[a : b + 1].sum()), float(model.mu[a : b + 1].sum())
        exceptions.append(
            DatedException(dates[a], dates[b], factor=seen / wanted, observed=seen, expected=wanted)
        )
    expected = model.mu * open_days
    for item in exceptions:
        a, b = (item.first - dates[0]).days, (item.last - dates[0]).days
        expected[a : b + 1] *= item.factor

    lines = orders.lines_per_order()
    skus, shares = np.unique(orders.sku, return_counts=True)
    mix = sorted(
        ((orders.skus[s], c / len(orders.sku)) for s, c in zip(skus.tolist(), shares.tolist())),
        key=lambda item: -item[1],
    )
    return ChannelFit(
        name=name,
        orders=len(orders),
        lines=len(orders.sku),
        rate_per_day=rate,
        mean_per_day=len(orders) / n_days,
        by_hour=by_hour,
        by_weekday=by_weekday,
        by_month=by_month,
        growth=growth,
        growth_estimate=estimate,
        growth_ci=ci,
        exceptions=exceptions,
        lines_fit=fit_count(lines),
        quantity_fit=fit_count(orders.quantity),
        sku_mix=dict(mix),
        dispersion=dispersion,
        too_many_exceptions=too_many,
        daily=counts,
        expected=expected,
        kept=keep & model.used,
        hour_counts=hour_counts,
    )


# --------------------------------------------------------------------------- helpers
def _runs(mask: np.ndarray, split: np.ndarray | None = None) -> list[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive true days (split where ``split`` changes)."""
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(mask).tolist():
        if runs and runs[-1][1] == i - 1 and (split is None or split[i] == split[i - 1]):
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _ordinal(date: _dt.date) -> int:
    """Days since 1970-01-01 (the book's day numbers)."""
    return (date - EPOCH).days


def _round(x: float, digits: int) -> float:
    return float(round(x, digits))


def _label(name: str | None) -> str:
    return f"channel {name}" if name is not None else "orders"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
