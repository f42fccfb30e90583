"""The forecast recursions and the forecast policy.

The recursions of sim/model/forecast.py are checked against statsmodels' own
implementations on the same series, with fixed smoothing parameters and the same
initialisation (statsmodels' ``initialization_method="known"``: level = the initial
forecast, trend = 0, seasonal terms = 0). statsmodels is a test dependency only.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from statsmodels.tsa import holtwinters

from sim.errors import ScenarioError
from sim.model.forecast import Holt, HoltWinters, MovingAverage, SimpleSmoothing
from sim.model.policies import MIN_ERRORS, ForecastReview
from sim.scenario.loader import loads

INITIAL = 90.0


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    """Sixty periods of Poisson demand around 100 with a season of four periods."""
    rng = np.random.default_rng(20261201)
    return rng.poisson(100, 60).astype(float) + np.tile([12.0, -5.0, 0.0, -7.0], 15)


def one_step(forecaster, y) -> np.ndarray:
    """The forecast made for each period before its demand is seen, then updated with it."""
    made = []
    for value in y:
        made.append(forecaster.forecast(1))
        forecaster.update(float(value))
    return np.array(made)


def fitted(model, **parameters) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about the frequency-less series
        return model.fit(optimized=False, **parameters)


def test_simple_smoothing_matches_statsmodels(series):
    """SES's one-period-ahead forecasts equal statsmodels' SimpleExpSmoothing fitted values."""
    model = holtwinters.SimpleExpSmoothing(
        series, initialization_method="known", initial_level=INITIAL
    )
    expected = fitted(model, smoothing_level=0.3).fittedvalues
    np.testing.assert_allclose(one_step(SimpleSmoothing(0.3, INITIAL), series), expected,
                               rtol=1e-12)


def test_holt_matches_statsmodels(series):
    """Holt's one-period-ahead and multi-period forecasts equal statsmodels' Holt."""
    model = holtwinters.Holt(
        series, initialization_method="known", initial_level=INITIAL, initial_trend=0.0
    )
    result = fitted(model, smoothing_level=0.3, smoothing_trend=0.1)
    mine = Holt(0.3, 0.1, INITIAL)
    np.testing.assert_allclose(one_step(mine, series), result.fittedvalues, rtol=1e-12)
    np.testing.assert_allclose([mine.forecast(h) for h in range(1, 6)], result.forecast(5),
                               rtol=1e-12)


def test_holt_winters_matches_statsmodels(series):
    """Additive Holt-Winters' one-period-ahead forecasts equal statsmodels' ExponentialSmoothing."""
    model = holtwinters.ExponentialSmoothing(
        series, trend="add", seasonal="add", seasonal_periods=4,
        initialization_method="known", initial_level=INITIAL, initial_trend=0.0,
        initial_seasonal=np.zeros(4),
    )
    result = fitted(model, smoothing_level=0.3, smoothing_trend=0.1, smoothing_seasonal=0.2)
    mine = HoltWinters(0.3, 0.1, 0.2, 4, INITIAL)
    np.testing.assert_allclose(one_step(mine, series), result.fittedvalues, rtol=1e-12)
    np.testing.assert_allclose(mine.seasonal, result.season[-4:], rtol=1e-12)
    # Within a season ahead, statsmodels' forecasts agree too.
    np.testing.assert_allclose([mine.forecast(h) for h in range(1, 4)], result.forecast(3),
                               rtol=1e-12)


def test_holt_winters_a_season_ahead_uses_the_latest_seasonal_term(series):
    """h = m periods ahead is ℓ + m b + s[t] (Hyndman & Athanasopoulos, FPP3 §8.3), the
    seasonal term just updated (statsmodels 0.15 uses the one a season older there)."""
    mine = HoltWinters(0.3, 0.1, 0.2, 4, INITIAL)
    one_step(mine, series)
    latest = mine.seasonal[(len(series) - 1) % 4]
    assert mine.forecast(4) == pytest.approx(mine.level + 4 * mine.trend + latest, rel=1e-12)


def test_moving_average_is_the_mean_of_the_last_window(series):
    """A moving average forecasts the mean of the last n periods, the window starting full of
    the initial forecast."""
    n = 4
    padded = np.concatenate([[INITIAL] * n, series])
    expected = np.convolve(padded, np.ones(n) / n, mode="valid")[:-1]
    np.testing.assert_allclose(one_step(MovingAverage(n, INITIAL), series), expected, rtol=1e-12)


def test_need_is_pro_rata_over_a_fractional_span():
    """The need over 2.5 periods is f(1) + f(2) + half of f(3)."""
    holt = Holt(0.5, 0.5, 100.0)
    holt.update(120.0)
    f = [holt.forecast(h) for h in (1, 2, 3)]
    assert holt.need(2.5) == pytest.approx(f[0] + f[1] + 0.5 * f[2])


def test_need_counts_a_negative_forecast_as_zero():
    """A trend falling below zero asks for nothing in those periods."""
    holt = Holt(1.0, 1.0, 100.0)
    holt.update(0.0)  # level 0, trend -100
    assert holt.need(3.0) == 0.0


def test_simple_smoothing_error_variance_on_iid_demand():
    """On i.i.d. demand SES is unbiased and its one-period-ahead error has variance
    σ²(1 + α/(2 − α)) (Brown 1963; Silver, Pyke & Thomas 2017, §4.5), over independent
    series (a 99% interval from 400 replications)."""
    alpha, sigma, mu = 0.3, 10.0, 100.0
    rng = np.random.default_rng(7)
    y = rng.normal(mu, sigma, size=(400, 300))
    level = np.full(400, mu)
    for t in range(299):  # forecast errors of the last period, long after the start
        level += alpha * (y[:, t] - level)
    errors = level - y[:, 299]
    assert abs(errors.mean()) < 2.6 * errors.std(ddof=1) / math.sqrt(400)
    ratio = errors.var(ddof=1) / (sigma**2 * (1 + alpha / (2 - alpha)))
    # The sample variance of 400 normal values: relative sd sqrt(2/399) ≈ 0.071.
    assert abs(ratio - 1.0) < 2.6 * math.sqrt(2 / 399)


# --------------------------------------------------------------------------- the policy
class _Stock:
    """What the policy reads and does to a stock: demanded so far, the position, orders."""

    def __init__(self) -> None:
        self.demanded_to_date = 0
        self.position = 0
        self.orders: list[int] = []
        self.supply = type("Supply", (), {"mean_lead_time": 84.0})()

    def order(self, units: int, now: float) -> None:
        self.orders.append(units)
        self.position += units


def _policy(**forecast):
    text = (
        "{name: f, run: {horizon: 30d}, demand: {arrivals: {rate: 1/h}},"
        " suppliers: {a: {lead_time: 3.5d}},"
        " products: {w: {price: 1, unit_cost: 1, supplier: a, policy: {type: forecast,"
        " review: 1w, safety_factor: 2, initial_forecast: 100/week, forecast: "
        + str(forecast or {"method": "exponential_smoothing", "alpha": 0.5}).replace("'", "")
        + "}}}}"
    )
    spec = loads(text).products["w"].policy
    policy = ForecastReview(spec)
    policy.periods = (168.0 + 84.0) / 168.0  # as start() sets it from the supplier
    policy.window = (0.0, math.inf)
    return policy


def test_first_review_orders_up_to_the_initial_forecast_plus_a_poisson_guess():
    """Before any period is seen: need = 100 × 1.5 periods, safety = 2 × √100 × √1.5."""
    policy, stock = _policy(), _Stock()
    policy.look(stock, 0.0, True)
    expected = 100 * 1.5 + 2 * 10 * math.sqrt(1.5)
    assert stock.orders == [math.ceil(expected)]


def test_safety_stock_follows_the_rmse_of_past_errors_once_there_are_enough():
    """After MIN_ERRORS periods the safety stock is factor × RMSE(forecast − demand) × √H."""
    policy, stock = _policy(), _Stock()
    forecasts, demands = [], [80, 130, 90, 120, 100][:MIN_ERRORS + 1]
    policy.look(stock, 0.0, True)
    for k, demand in enumerate(demands, start=1):
        forecasts.append(policy.forecaster.forecast(1))
        stock.demanded_to_date += demand
        stock.position -= demand
        policy.look(stock, 168.0 * k, True)
    errors = np.array(forecasts) - np.array(demands)
    rmse = math.sqrt(np.mean(errors**2))
    assert policy.safety_stock == pytest.approx(2 * rmse * math.sqrt(1.5))
    assert stock.position == math.ceil(policy.order_up_to() - 1e-9)


def test_a_closed_review_learns_but_does_not_order():
    """A review slot on a closed date updates the forecast and places no purchase order."""
    policy, stock = _policy(), _Stock()
    policy.look(stock, 0.0, True)
    placed = list(stock.orders)
    stock.demanded_to_date += 300
    stock.position -= 300
    policy.look(stock, 168.0, False)
    assert stock.orders == placed
    assert policy.forecaster.forecast(1) == pytest.approx(0.5 * 300 + 0.5 * 100)


def test_errors_are_counted_only_for_periods_wholly_in_the_window():
    """forecast_mape's sums skip a period that began before the warm-up ended."""
    policy, stock = _policy(), _Stock()
    policy.window = (100.0, math.inf)
    for k, demand in enumerate([0, 120, 80]):
        stock.demanded_to_date += demand
        policy.look(stock, 168.0 * k, True)
    assert policy.periods_counted == 1  # the period [168, 336]; [0, 168] began before 100
    assert policy.demand == 80


@pytest.mark.parametrize(
    ("forecast", "message"),
    [
        ("{method: moving_average, window: 10d}",
         "window (10d) must be a whole number of review periods (1w)"),
        ("{method: holt_winters, alpha: 0.2, beta: 0.1, gamma: 0.1, season: 1w}",
         "at least two review periods"),
        ('{method: arima}', 'unknown method "arima"; expected one of exponential_smoothing'),
    ],
)
def test_forecast_spec_problems_are_named(forecast, message):
    """A window or season that is not whole review periods, or an unknown method, is refused."""
    text = (
        "{name: f, run: {horizon: 30d}, demand: {arrivals: {rate: 1/h}},"
        " suppliers: {a: {lead_time: 3d}}, products: {w: {price: 1, unit_cost: 1,"
        " supplier: a, policy: {type: forecast, review: 1w, initial_forecast: 10/week,"
        f" forecast: {forecast}}}}}}}}}"
    )
    with pytest.raises(ScenarioError, match=re.escape(message)):
        loads(text)
