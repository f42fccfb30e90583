"""Forecasts: what the next review periods will bring, learned from the periods seen.

Think of the planner's notebook: at every review she writes down the demand of the
period just ended (units demanded, served or not) and updates her estimate of what is
coming. A :class:`Forecaster` is that notebook, one per stock; its unit is a *period*
(the time between two reviews) and its numbers are units per period.

Four methods, each a few lines of the textbook recursions (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., ch. 8), run once per review inside
the event loop. ``y`` is the demand of the period just ended, ``ℓ`` the level, ``b``
the trend, ``s`` the seasonal terms, ``m`` the periods in a season:

* :class:`SimpleSmoothing` (``exponential_smoothing``):
  ``ℓ ← α y + (1 − α) ℓ``; the forecast of every coming period is ``ℓ``.
* :class:`MovingAverage` (``moving_average``): the mean of the last ``n`` periods.
* :class:`Holt` (level and trend)::

      ℓ' = α y + (1 − α)(ℓ + b)
      b' = β (ℓ' − ℓ) + (1 − β) b           forecast h periods on: ℓ + h b

* :class:`HoltWinters` (additive season)::

      ℓ' = α (y − s[t−m]) + (1 − α)(ℓ + b)
      b' = β (ℓ' − ℓ) + (1 − β) b
      s[t] = γ (y − ℓ − b) + (1 − γ) s[t−m]    forecast h periods on: ℓ + h b + s[t+h−m]

**Initialisation** (the same in every method, and the one the tests give statsmodels'
``initialization_method="known"``): the level starts at the scenario's
``initial_forecast`` (per period), the trend at 0, every seasonal term at 0; a moving
average starts with its window full of ``initial_forecast``. So before any demand is
seen, every method forecasts ``initial_forecast`` for each period.

:meth:`Forecaster.need` is the demand forecast over a protection span of ``H``
periods (a review period plus the mean lead time, ``H`` need not be whole):
``Σ_{h=1}^{⌊H⌋} f(h) + (H − ⌊H⌋) f(⌊H⌋ + 1)``, ``f(h)`` being the ``h``-period-ahead
forecast. A negative forecast (a falling trend) counts as 0.

>>> ses = SimpleSmoothing(alpha=0.5, initial=100.0)
>>> ses.forecast(1), ses.update(80.0), ses.forecast(1)
(100.0, None, 90.0)
>>> ses.need(1.5)
135.0
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

__all__ = [
    "Forecaster",
    "Holt",
    "HoltWinters",
    "MovingAverage",
    "SimpleSmoothing",
    "forecaster",
]


class Forecaster:
    """One stock's forecast of demand per period, updated with each period's demand."""

    __slots__ = ()

    def update(self, demand: float) -> None:
        """The period just ended saw ``demand`` units: learn from it."""
        raise NotImplementedError

    def forecast(self, h: int) -> float:
        """The demand forecast for the ``h``-th period from now (h = 1: the next one)."""
        raise NotImplementedError

    def need(self, periods: float) -> float:
        """Forecast demand over the next ``periods`` periods (fractional: pro rata), at least 0."""
        whole = math.floor(periods)
        total = sum(max(self.forecast(h), 0.0) for h in range(1, whole + 1))
        part = periods - whole
        if part > 0:
            total += part * max(self.forecast(whole + 1), 0.0)
        return total


class SimpleSmoothing(Forecaster):
    """Simple exponential smoothing: a level that moves ``alpha`` of the way to each new period."""

    __slots__ = ("alpha", "level")

    def __init__(self, alpha: float, initial: float) -> None:
        self.alpha = alpha
        self.level = initial

    def update(self, demand: float) -> None:
        """ℓ ← α y + (1 − α) ℓ."""
        self.level += self.alpha * (demand - self.level)

    def forecast(self, h: int) -> float:
        """The level, for every coming period."""
        return self.level

    def need(self, periods: float) -> float:
        """Level × periods (the same as the general sum, in one step)."""
        return max(self.level, 0.0) * periods


class MovingAverage(Forecaster):
    """The mean demand of the last ``window`` periods (at first: ``initial`` in each)."""

    __slots__ = ("window", "_last", "_total")

    def __init__(self, window: int, initial: float) -> None:
        self.window = window
        self._last = deque([initial] * window)
        self._total = initial * window

    def update(self, demand: float) -> None:
        """The oldest period leaves the window, this one joins it."""
        self._total += demand - self._last.popleft()
        self._last.append(demand)

    def forecast(self, h: int) -> float:
        """The window's mean, for every coming period."""
        return self._total / self.window

    def need(self, periods: float) -> float:
        """Mean × periods."""
        return max(self._total / self.window, 0.0) * periods


class Holt(Forecaster):
    """Holt's linear method: a level and a trend, smoothed with ``alpha`` and ``beta``."""

    __slots__ = ("alpha", "beta", "level", "trend")

    def __init__(self, alpha: float, beta: float, initial: float) -> None:
        self.alpha = alpha
        self.beta = beta
        self.level = initial
        self.trend = 0.0

    def update(self, demand: float) -> None:
        """ℓ' = α y + (1 − α)(ℓ + b); b' = β (ℓ' − ℓ) + (1 − β) b."""
        level, trend = self.level, self.trend
        new = self.alpha * demand + (1.0 - self.alpha) * (level + trend)
        self.trend = self.beta * (new - level) + (1.0 - self.beta) * trend
        self.level = new

    def forecast(self, h: int) -> float:
        """ℓ + h b."""
        return self.level + h * self.trend


class HoltWinters(Forecaster):
    """Holt-Winters with an additive season of ``season`` periods (``gamma`` smooths it)."""

    __slots__ = ("alpha", "beta", "gamma", "season", "level", "trend", "seasonal", "_t")

    def __init__(
        self, alpha: float, beta: float, gamma: float, season: int, initial: float
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.season = season
        self.level = initial
        self.trend = 0.0
        #: Seasonal term of each position in the season; position t % season is period t's.
        self.seasonal = [0.0] * season
        self._t = 0  # the period the next demand belongs to

    def update(self, demand: float) -> None:
        """The three recursions of the module docstring, then on to the next period."""
        level, trend = self.level, self.trend
        at = self._t % self.season
        s = self.seasonal[at]
        new = self.alpha * (demand - s) + (1.0 - self.alpha) * (level + trend)
        self.trend = self.beta * (new - level) + (1.0 - self.beta) * trend
        self.seasonal[at] = self.gamma * (demand - level - trend) + (1.0 - self.gamma) * s
        self.level = new
        self._t += 1

    def forecast(self, h: int) -> float:
        """ℓ + h b + the seasonal term of that period."""
        return (
            self.level + h * self.trend + self.seasonal[(self._t + h - 1) % self.season]
        )


def forecaster(spec: Any, review: float, initial: float) -> Forecaster:
    """A fresh forecaster for a policy's ``forecast`` spec.

    ``review`` is the review period in hours (it turns a moving average's ``window``
    and a season's length into periods); ``initial`` is the first forecast per period.
    """
    method = spec.method
    if method == "exponential_smoothing":
        return SimpleSmoothing(spec.alpha, initial)
    if method == "moving_average":
        return MovingAverage(periods_in(spec.window, review), initial)
    if method == "holt":
        return Holt(spec.alpha, spec.beta, initial)
    if method == "holt_winters":
        return HoltWinters(spec.alpha, spec.beta, spec.gamma, periods_in(spec.season, review),
                           initial)
    raise ValueError(f"unknown forecast method {method!r}")


def periods_in(hours: float, review: float) -> int:
    """The whole number of review periods in ``hours`` (the scenario checks it is whole)."""
    return max(1, round(hours / review))
