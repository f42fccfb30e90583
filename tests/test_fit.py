"""``fit``: a demand section from past orders that recovers what made them.

The example history (scenarios/data/garden_orders.csv) was made by
scenarios/data/make_orders.py with known parameters; the fit must find them within
their sampling error, and the fitted demand, run as a scenario, must reproduce the
history's weekly and monthly shape within the simulation's prediction intervals.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.cli.app import main
from sim.data.orders import read_orders
from sim.experiment.fit import DemandFit, fit_count, fit_orders
from sim.model.build import Model
from sim.model.orderbook import EPOCH, SECONDS_PER_DAY, OrderBook
from sim.scenario.loader import loads
from sim.scenario.models import MONTH_DAYS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
GARDEN = DATA / "garden_orders.csv"


def _generator():
    spec = importlib.util.spec_from_file_location("make_orders", DATA / "make_orders.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TRUTH = _generator()


@pytest.fixture(scope="module")
def garden() -> DemandFit:
    return fit_orders(read_orders(GARDEN, shown_as="scenarios/data/garden_orders.csv"))


#: The example's SKUs, in stock for ever: the fitted sku_mix names them.
PRODUCTS = "products:\n" + "".join(
    f"  {sku}: {{price: 1, unit_cost: 1, initial_stock: 1000000}}\n"
    for sku in ("seeds", "bulbs", "compost", "tools")
)


def channel(fit, name):
    return next(c for c in fit.channels if c.name == name)


def book_of(daily, first=dt.date(2025, 1, 6), lines=None, quantities=None):
    """A book with ``daily[k]`` orders at noon of day k (one line of one unit each by default)."""
    first_day = (first - EPOCH).days
    days = np.repeat(np.arange(len(daily)), daily)
    n = len(days)
    lines = np.ones(n, dtype=np.int64) if lines is None else np.asarray(lines)
    first_line = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lines, out=first_line[1:])
    total = int(first_line[-1])
    return OrderBook(
        time=(first_day + days) * SECONDS_PER_DAY + 12 * 3600,
        first_line=first_line,
        sku=np.zeros(total, dtype=np.int32),
        quantity=np.ones(total, dtype=np.int64) if quantities is None else quantities,
        channel=np.zeros(0, dtype=np.int32),
        skus=("widget",),
        channels=(),
        file="synthetic.csv",
        rows=total,
    )


# --------------------------------------------------------------------------- counts
def test_a_count_that_never_varies_is_a_constant():
    """Every order with 2 lines: lines: 2."""
    assert fit_count(np.full(100, 2)).spec() == 2


def test_one_plus_poisson_counts_are_fitted_as_poisson_with_min_1():
    """1 + Poisson(0.4) data: poisson, min 1, its mean within 4 standard errors of 1.4."""
    values = 1 + np.random.default_rng(1).poisson(0.4, 5000)
    fitted = fit_count(values)
    assert fitted.kind == "poisson"
    assert abs(fitted.mean - 1.4) < 4 * math.sqrt(0.4 / 5000)


def test_geometric_counts_are_fitted_as_geometric():
    """Geometric data of mean 2.5: Poisson is rejected, geometric is not."""
    fitted = fit_count(np.random.default_rng(2).geometric(1 / 2.5, 5000))
    assert fitted.kind == "geometric" and fitted.rejected[0][0] == "poisson"


def test_counts_neither_poisson_nor_geometric_are_kept_as_seen():
    """Half 1s and half 10s: empirical, with the values and how often each was seen."""
    fitted = fit_count(np.array([1] * 500 + [10] * 500))
    assert fitted.spec() == {"dist": "empirical", "values": [1, 10], "weights": [500, 500]}


# --------------------------------------------------------------------------- the example
def test_the_fit_finds_the_weekday_shape(garden):
    """Each fitted weekday weight is within 4 standard errors of the generator's."""
    for name in ("web", "phone"):
        fitted = channel(garden, name)
        truth = np.array(TRUTH.BY_WEEKDAY[name]) / np.mean(TRUTH.BY_WEEKDAY[name])
        per_weekday = fitted.orders / 7
        for w in range(7):
            tolerance = 4 * truth[w] / math.sqrt(max(per_weekday * truth[w], 1)) + 1e-9
            assert abs(fitted.by_weekday[w] - truth[w]) <= tolerance, (name, w)


def test_the_fit_finds_the_months(garden):
    """Each fitted month weight is within 4 standard errors of the generator's."""
    weights = np.array(TRUTH.BY_MONTH)
    truth = weights / (weights @ np.array(MONTH_DAYS) / 365)
    fitted = channel(garden, "web")
    for m in range(12):
        orders_in_month = fitted.orders * truth[m] * MONTH_DAYS[m] / 365
        assert abs(fitted.by_month[m] - truth[m]) <= 4 * truth[m] / math.sqrt(orders_in_month), m


def test_the_fit_finds_the_growth_inside_its_interval(garden):
    """The generator's 12% a year is inside each channel's 95% interval, and growth is written."""
    for fitted in garden.channels:
        low, high = fitted.growth_ci
        assert fitted.growth is not None and low <= TRUTH.GROWTH <= high, fitted.name


def test_the_fit_finds_the_rate_at_the_start(garden):
    """The web rate on the first date is within 6% of the generator's (about 4 standard errors)."""
    truth = TRUTH.expected_per_day("web", TRUTH.FIRST) / TRUTH._normalised(
        TRUTH.BY_WEEKDAY["web"])[TRUTH.FIRST.weekday()] / TRUTH._normalised(
        TRUTH.BY_MONTH, TRUTH._MONTH_DAYS)[0]
    assert channel(garden, "web").rate_per_day == pytest.approx(truth, rel=0.06)


def test_the_fit_finds_the_closed_days_and_the_promotion_weeks(garden):
    """Christmas and Boxing Day are closed; the Black Friday weeks are found in both channels."""
    closed = [(c.first, c.last) for c in garden.closed]
    assert closed == [(dt.date(2024, 12, 25), dt.date(2024, 12, 26)),
                      (dt.date(2025, 12, 25), dt.date(2025, 12, 26))]
    for fitted in garden.channels:
        found = [(e.first, e.last) for e in fitted.exceptions]
        assert found == [(a, b) for a, b, _ in TRUTH.PROMOTIONS], fitted.name
    web = channel(garden, "web")
    for item in web.exceptions:
        assert abs(item.factor - 2.5) <= 4 * 2.5 / math.sqrt(item.observed)


def test_the_fit_finds_what_orders_hold(garden):
    """Lines are 1 + Poisson, quantities geometric, and the SKU shares, within 4 standard errors."""
    web = channel(garden, "web")
    assert web.lines_fit.kind == "poisson"
    assert abs(web.lines_fit.mean - 1 - TRUTH.LINES_EXTRA) < 4 * math.sqrt(0.3 / web.orders)
    assert web.quantity_fit.kind == "geometric"
    sd = math.sqrt(TRUTH.QUANTITY_MEAN * (TRUTH.QUANTITY_MEAN - 1) / web.lines)
    assert abs(web.quantity_fit.mean - TRUTH.QUANTITY_MEAN) < 4 * sd
    for sku, share in TRUTH.SKU_MIX.items():
        assert abs(web.sku_mix[sku] - share) < 4 * math.sqrt(share * (1 - share) / web.lines)


def test_poisson_days_pass_the_overdispersion_check(garden):
    """The generated days are Poisson: no channel is flagged, and the fit warns of nothing."""
    assert not any(c.dispersion.overdispersed for c in garden.channels)
    assert garden.warnings == []


# --------------------------------------------------------------------------- synthetic
def test_overdispersed_days_are_flagged_with_resample_advised():
    """Negative-binomial days (variance 4 times the mean) fail the check; the warning says why."""
    rng = np.random.default_rng(3)
    daily = rng.negative_binomial(n=40 / 3, p=1 / 4, size=364)  # mean 40, variance 160
    fitted = fit_orders(book_of(daily))
    assert fitted.channels[0].dispersion.overdispersed
    assert fitted.channels[0].dispersion.index > 2
    assert any("resample describes the data better" in w for w in fitted.warnings)


def test_no_growth_is_written_without_a_trend():
    """Flat Poisson days over a year: the growth interval holds 0 and no growth is written."""
    daily = np.random.default_rng(4).poisson(50, 400)
    fitted = fit_orders(book_of(daily)).channels[0]
    low, high = fitted.growth_ci
    assert fitted.growth is None and low < 0 < high


def test_months_need_a_year_of_data():
    """With 100 days, by_month is not fitted and the report says why."""
    fitted = fit_orders(book_of(np.random.default_rng(5).poisson(50, 100)))
    assert fitted.channels[0].by_month is None
    assert any("by_month is not fitted: 100 days" in w for w in fitted.warnings)


def test_the_rate_is_orders_per_day_over_whole_weeks_without_a_trend():
    """Over 52 whole weeks without a trend, the rate is the orders per day of the span."""
    daily = np.random.default_rng(6).poisson(30, 364)
    fitted = fit_orders(book_of(daily)).channels[0]
    assert fitted.growth is None
    assert fitted.rate_per_day == pytest.approx(daily.sum() / 364, rel=1e-6)


def test_a_weekday_without_orders_gets_weight_zero():
    """Sundays without any order: by_weekday has 0 for Sunday, and no Sunday is an exception."""
    daily = np.random.default_rng(7).poisson(30, 364)
    daily[6::7] = 0  # 2025-01-06 is a Monday: every seventh day from the 7th is a Sunday
    fitted = fit_orders(book_of(daily))
    assert fitted.channels[0].by_weekday[6] == 0 and fitted.closed == []


def test_a_start_after_the_history_carries_the_trend_to_it():
    """Growth of 20% a year: the rate a year after the first date is 1.2 times the first."""
    rng = np.random.default_rng(8)
    daily = rng.poisson(100 * 1.2 ** ((np.arange(730) + 0.5) / 365))
    book = book_of(daily)
    now = fit_orders(book).channels[0]
    later = fit_orders(book, start=dt.date(2026, 1, 6)).channels[0]
    assert later.rate_per_day / now.rate_per_day == pytest.approx(1 + now.growth_estimate)
    low, high = now.growth_ci
    assert low <= 0.2 <= high


# --------------------------------------------------------------------------- the command
def test_the_fit_command_writes_the_yaml_and_the_figure(tmp_path, capsys):
    """fit ORDERS.csv --out: exit 0, the YAML with its source, fit.png beside it, a report."""
    out = tmp_path / "demand.yaml"
    assert main(["fit", str(GARDEN), "--out", str(out)]) == 0
    text = out.read_text()
    assert f"#   SHA-256: {read_orders(GARDEN).sha256}" in text
    assert "#   span:    2024-01-01 to 2025-12-31 (731 days)" in text
    assert (tmp_path / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "channel web: 25,164 orders" in printed and f"Wrote {out}" in printed


def test_the_fitted_yaml_is_a_demand_section_a_scenario_can_extend(tmp_path, garden):
    """A scenario that extends the fitted file loads, with the fitted values."""
    (tmp_path / "demand.yaml").write_text(garden.to_yaml())
    scenario = loads(
        f"extends: {tmp_path / 'demand.yaml'}\nname: fitted\nrun: {{horizon: 7d}}\n" + PRODUCTS,
        file=str(tmp_path / "shop.yaml"),
    )
    web = scenario.demand[0]
    assert (web.name, scenario.run.start) == ("web", dt.date(2024, 1, 1))
    assert web.arrivals.rate * 24 == pytest.approx(channel(garden, "web").rate_per_day, abs=0.01)
    assert [e.closed for e in web.calendar[:2]] == [True, True]


def test_the_shipped_fit_is_what_the_fit_command_writes(tmp_path):
    """scenarios/data/garden_demand.yaml is the fit of the shipped orders, to the byte."""
    out = tmp_path / "demand.yaml"
    previous = os.getcwd()
    os.chdir(ROOT)  # the YAML names the orders file as given on the command line
    try:
        assert main(["fit", "scenarios/data/garden_orders.csv", "--out", str(out)]) == 0
    finally:
        os.chdir(previous)
    assert out.read_text() == (DATA / "garden_demand.yaml").read_text()


def test_the_shipped_orders_are_what_the_generator_writes(tmp_path):
    """scenarios/data/garden_orders.csv is make_orders.py's output, to the byte."""
    TRUTH.write(str(tmp_path / "orders.csv"))
    assert (tmp_path / "orders.csv").read_bytes() == GARDEN.read_bytes()


def test_a_broken_orders_file_stops_fit_with_status_2(tmp_path, capsys):
    """fit on a file with a bad time: exit 2, the file, line and column."""
    path = tmp_path / "orders.csv"
    path.write_text("time,order,sku,quantity\nsoon,1,a,1\n")
    assert main(["fit", str(path), "--out", str(tmp_path / "d.yaml")]) == 2
    assert f"{path}:2: time: expected an ISO 8601 date-time" in capsys.readouterr().err
    assert not (tmp_path / "d.yaml").exists()


# --------------------------------------------------------------------------- done when
@pytest.mark.slow
def test_the_fitted_scenario_reproduces_the_history_by_weekday_and_month():
    """Run from 2024-01-01 for the history's 731 days, the fitted demand's 99.9% prediction
    interval holds the history's count of every weekday and every month, in each channel."""
    scenario = loads(
        f"extends: {DATA / 'garden_demand.yaml'}\nname: shape\nrun: {{horizon: 731d}}\n"
        + PRODUCTS
    )
    book = read_orders(GARDEN)
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(731)]
    weekday = np.array([d.weekday() for d in dates])
    month = np.array([(d.year - 2024) * 12 + d.month - 1 for d in dates])
    replications = 15
    simulated = np.array([_daily(scenario, r) for r in range(replications)])
    for index, name in enumerate(book.channels):
        history = np.bincount(book.for_channel(name).days() - (dates[0] - EPOCH).days,
                              minlength=731)
        for label, key, groups in (("weekday", weekday, 7), ("month", month, 24)):
            for g in range(groups):
                seen = history[key == g].sum()
                runs = simulated[:, index, key == g].sum(axis=1)
                half = stats.t.ppf(0.9995, replications - 1) * runs.std(ddof=1) * math.sqrt(
                    1 + 1 / replications)
                assert abs(seen - runs.mean()) <= half, (name, label, g, seen, runs.mean(), half)


def _daily(scenario, replication):
    """Orders per day of each channel in one replication (rows: channels)."""
    model = Model(scenario, replication)
    times: list[list[float]] = [[] for _ in model.channels]
    for channel_, seen in zip(model.channels, times):
        emit = channel_.emit
        channel_.emit = lambda lines=None, seen=seen, emit=emit: (
            seen.append(model.env.now), emit(lines))
    model.run(series=False)
    return [np.bincount((np.array(t) // 24).astype(int), minlength=731)[:731] for t in times]
