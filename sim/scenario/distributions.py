"""Distributions: how long a task takes, how many lines an order has.

A distribution in a scenario is inert data (a *spec*): it knows its parameters, its
mean and its variance, and nothing about randomness. ``spec.sampler(rng)`` turns it
into a *sampler*, a zero-argument callable that returns the next value. Samplers draw
from numpy in blocks of :data:`BLOCK` values and hand them out one by one, because a
numpy call per draw costs ten times more than the draw itself. The block size is fixed,
so a stream gives the same sequence whatever else happens in the model.

Durations are in hours (see :mod:`sim.scenario.units`); counts are integers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from sim.scenario.fields import Duration, StrictModel, tag_of
from sim.scenario.units import DURATION_FORMS, format_duration

__all__ = [
    "BLOCK",
    "CountDist",
    "DurationDist",
    "Sampler",
    "blocks",
    "from_blocks",
]

#: Values drawn from numpy per refill of a sampler.
BLOCK = 512

Sampler = Callable[[], float]


def blocks(draw: Callable[[int], np.ndarray]) -> Iterator[Any]:
    """The values of ``draw(BLOCK)``, block after block, for ever, one at a time.

    Made of C iterators (``iter(callable, sentinel)`` never meets its sentinel, as
    ``tolist()`` never returns None) rather than a generator with ``yield from``: each
    value then costs no Python frame resume, about a quarter less per draw. A block is
    drawn only when the one before is used up, so the numbers are the same.
    """
    return itertools.chain.from_iterable(iter(lambda: draw(BLOCK).tolist(), None))


def from_blocks(draw: Callable[[int], np.ndarray]) -> Sampler:
    """A sampler handing out the values of ``draw(BLOCK)`` one at a time (see :func:`blocks`)."""
    return blocks(draw).__next__


def _constant(value: float) -> Sampler:
    return itertools.repeat(value).__next__


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be greater than zero (got {value!r})")


def _shape_from(mean: float, sd: float | None, cv: float | None) -> float:
    """The coefficient of variation from ``sd`` or ``cv`` (exactly one must be given)."""
    if (sd is None) == (cv is None):
        raise ValueError("give exactly one of sd or cv")
    if cv is None:
        assert sd is not None
        _positive("sd", sd)
        _positive("mean", mean)
        return sd / mean
    if not cv > 0:
        raise ValueError(
            f"cv must be greater than zero (got {cv!r}); for no variation at all, "
            'write the duration itself, like "5d"'
        )
    return cv


# --------------------------------------------------------------------------- durations
class _Constant(StrictModel):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: float

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def variance(self) -> float:
        return 0.0

    def sampler(self, rng: np.random.Generator) -> Sampler:
        return _constant(self.value)


class ConstantDuration(_Constant):
    """Always the same duration."""

    value: Duration


class Exponential(StrictModel):
    """Memoryless: the time between events of a Poisson process."""

    dist: Literal["exponential"]
    mean_: Duration = Field(alias="mean")

    @model_validator(mode="after")
    def _check(self) -> Exponential:
        _positive("mean", self.mean_)
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def sampler(self, rng: np.random.Generator) -> Sampler:
        scale = self.mean_
        return from_blocks(lambda n: rng.exponential(scale, n))


class Uniform(StrictModel):
    """Any duration between min and max, all equally likely."""

    dist: Literal["uniform"]
    min: Duration
    max: Duration

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    @property
    def mean(self) -> float:
        return (self.min + self.max) / 2

    @property
    def variance(self) -> float:
        return (self.max - self.min) ** 2 / 12

    def sampler(self, rng: np.random.Generator) -> Sampler:
        lo, hi = self.min, self.max
        return from_blocks(lambda n: rng.uniform(lo, hi, n))


class Triangular(StrictModel):
    """A planner's three-point estimate: shortest, most likely, longest."""

    dist: Literal["triangular"]
    min: Duration
    mode: Duration
    max: Duration

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not self.min <= self.mode <= self.max:
            raise ValueError(
                f"expected min <= mode <= max (got min={format_duration(self.min)}, "
                f"mode={format_duration(self.mode)}, max={format_duration(self.max)})"
            )
        if self.min == self.max:
            raise ValueError("min and max must differ (use a constant duration instead)")
        return self

    @property
    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.min, self.mode, self.max
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sampler(self, rng: np.random.Generator) -> Sampler:
        a, c, b = self.min, self.mode, self.max
        return from_blocks(lambda n: rng.triangular(a, c, b, n))


class Normal(StrictModel):
    """Bell-shaped around ``mean``; negative draws are redrawn (truncated at 0)."""

    dist: Literal["normal"]
    mean_: Duration = Field(alias="mean")
    sd: Duration

    @property
    def mean(self) -> float:
        """Mean of the normal truncated at zero."""
        if self.sd == 0:
            return self.mean_
        a = -self.mean_ / self.sd
        pdf = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        tail = 0.5 * math.erfc(a / math.sqrt(2))
        return self.mean_ + self.sd * pdf / tail

    @property
    def variance(self) -> float:
        if self.sd == 0:
            return 0.0
        a = -self.mean_ / self.sd
        pdf = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        tail = 0.5 * math.erfc(a / math.sqrt(2))
        lam = pdf / tail
        return self.sd**2 * (1 + a * lam - lam * lam)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        mu, sd = self.mean_, self.sd

        def draw(n: int) -> np.ndarray:
            out = rng.normal(mu, sd, n)
            bad = out < 0
            while bad.any():
                out[bad] = rng.normal(mu, sd, int(bad.sum()))
                bad = out < 0
            return out

        return from_blocks(draw)


class _MeanAndSpread(StrictModel):
    """A positive duration given by its mean and its spread, as ``sd`` or ``cv`` (one of them)."""

    mean_: Duration = Field(alias="mean")
    sd: Duration | None = None
    cv: float | None = None

    @model_validator(mode="after")
    def _check(self) -> _MeanAndSpread:
        _positive("mean", self.mean_)
        _shape_from(self.mean_, self.sd, self.cv)
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def coefficient_of_variation(self) -> float:
        return _shape_from(self.mean_, self.sd, self.cv)

    @property
    def variance(self) -> float:
        return (self.mean_ * self.coefficient_of_variation) ** 2


class LogNormal(_MeanAndSpread):
    """Skewed to the right: most tasks are quick, a few take much longer."""

    dist: Literal["lognormal"]

    def sampler(self, rng: np.random.Generator) -> Sampler:
        cv = self.coefficient_of_variation
        sigma2 = math.log1p(cv * cv)
        mu = math.log(self.mean_) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return from_blocks(lambda n: rng.lognormal(mu, sigma, n))


class Gamma(_MeanAndSpread):
    """Flexible right-skewed durations; cv = 1 is the exponential."""

    dist: Literal["gamma"]

    def sampler(self, rng: np.random.Generator) -> Sampler:
        cv = self.coefficient_of_variation
        shape = 1 / (cv * cv)
        scale = self.mean_ / shape
        return from_blocks(lambda n: rng.gamma(shape, scale, n))


class Erlang(StrictModel):
    """The sum of ``k`` exponential phases: less variable than exponential (cv = 1/sqrt(k))."""

    dist: Literal["erlang"]
    mean_: Duration = Field(alias="mean")
    k: int = Field(ge=1)

    @model_validator(mode="after")
    def _check(self) -> Erlang:
        _positive("mean", self.mean_)
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2 / self.k

    def sampler(self, rng: np.random.Generator) -> Sampler:
        k, scale = self.k, self.mean_ / self.k
        return from_blocks(lambda n: rng.gamma(k, scale, n))


class Weibull(StrictModel):
    """Reliability-style durations: ``shape`` < 1 has many short and a few very long."""

    dist: Literal["weibull"]
    shape: float
    scale: Duration

    @model_validator(mode="after")
    def _check(self) -> Weibull:
        _positive("shape", self.shape)
        _positive("scale", self.scale)
        return self

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        g2 = math.gamma(1 + 2 / self.shape)
        return self.scale**2 * (g2 - g1 * g1)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        shape, scale = self.shape, self.scale
        return from_blocks(lambda n: scale * rng.weibull(shape, n))


def _check_weights(values: list[Any], weights: list[float] | None) -> None:
    if not values:
        raise ValueError("values must not be empty")
    if weights is None:
        return
    if len(weights) != len(values):
        raise ValueError(f"weights has {len(weights)} items but values has {len(values)}")
    if any(w < 0 or not math.isfinite(w) for w in weights):
        raise ValueError("weights must be zero or more")
    if sum(weights) <= 0:
        raise ValueError("weights must not all be zero")


def _probabilities(n: int, weights: list[float] | None) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    p = np.asarray(weights, dtype=float)
    return p / p.sum()


class _Empirical(StrictModel):
    """Values observed in practice, replayed at random (optionally weighted)."""

    dist: Literal["empirical"]
    values: list[Any]
    weights: list[float] | None = None

    #: The numpy type of the values drawn.
    _DTYPE: ClassVar[type] = float

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_weights(self.values, self.weights)
        return self

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, _probabilities(len(self.values), self.weights)))

    @property
    def variance(self) -> float:
        p = _probabilities(len(self.values), self.weights)
        v = np.asarray(self.values, dtype=float)
        return float(np.dot(p, (v - np.dot(p, v)) ** 2))

    def sampler(self, rng: np.random.Generator) -> Sampler:
        values: np.ndarray = np.asarray(self.values, dtype=self._DTYPE)
        p = _probabilities(len(values), self.weights)
        return from_blocks(lambda n: rng.choice(values, n, p=p))


class EmpiricalDuration(_Empirical):
    """Durations observed in practice, replayed at random (optionally weighted)."""

    values: list[Duration]


DURATION_DISTS = (
    "constant",
    "exponential",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "gamma",
    "erlang",
    "weibull",
    "empirical",
)


def _duration_shorthand(value: Any) -> Any:
    """A plain duration string means a constant; a bare number is refused with the forms."""
    if isinstance(value, str):
        return {"dist": "constant", "value": value}
    if isinstance(value, bool) or isinstance(value, int | float):
        raise ValueError(
            f"expected a duration with its unit, like {DURATION_FORMS}, or a mapping with "
            f"dist: one of {', '.join(DURATION_DISTS)} (got {value!r})"
        )
    return value


DurationDist = Annotated[
    Annotated[ConstantDuration, Tag("constant")]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Erlang, Tag("erlang")]
    | Annotated[Weibull, Tag("weibull")]
    | Annotated[EmpiricalDuration, Tag("empirical")],
    Discriminator(
        tag_of("dist"),
        custom_error_type="duration_dist",
        custom_error_message=(
            f"expected a duration like {DURATION_FORMS}, or a mapping with dist: one of "
            + ", ".join(DURATION_DISTS)
        ),
    ),
    BeforeValidator(_duration_shorthand),
]
"""A duration that may vary: a duration string (constant) or a mapping with ``dist``."""


# --------------------------------------------------------------------------- counts
class ConstantCount(_Constant):
    """Always the same number."""

    value: int = Field(ge=0)


class PoissonCount(StrictModel):
    """Poisson counts; ``min: 1`` shifts it so that it never goes below 1."""

    dist: Literal["poisson"]
    mean_: float = Field(alias="mean")
    min: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> PoissonCount:
        if not self.mean_ >= self.min:
            raise ValueError(f"mean must be at least min ({self.min}) (got {self.mean_!r})")
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_ - self.min

    def sampler(self, rng: np.random.Generator) -> Sampler:
        lam, low = self.mean_ - self.min, self.min
        return from_blocks(lambda n: rng.poisson(lam, n) + low)


class GeometricCount(StrictModel):
    """1, 2, 3, ... with geometrically falling chances; mean >= 1."""

    dist: Literal["geometric"]
    mean_: float = Field(alias="mean", ge=1)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        p = 1 / self.mean_
        return (1 - p) / (p * p)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        p = 1 / self.mean_
        return from_blocks(lambda n: rng.geometric(p, n))


class UniformCount(StrictModel):
    """Any whole number from min to max inclusive, all equally likely."""

    dist: Literal["uniform"]
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _check(self) -> UniformCount:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    @property
    def mean(self) -> float:
        return (self.min + self.max) / 2

    @property
    def variance(self) -> float:
        return ((self.max - self.min + 1) ** 2 - 1) / 12

    def sampler(self, rng: np.random.Generator) -> Sampler:
        lo, hi = self.min, self.max
        return from_blocks(lambda n: rng.integers(lo, hi, n, endpoint=True))


class EmpiricalCount(_Empirical):
    """Counts observed in practice, replayed at random (optionally weighted)."""

    values: list[Annotated[int, Field(ge=0)]]

    _DTYPE: ClassVar[type] = np.int64


COUNT_DISTS = ("constant", "poisson", "geometric", "uniform", "empirical")


def _count_shorthand(value: Any) -> Any:
    """A plain whole number means a constant count."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


CountDist = Annotated[
    Annotated[ConstantCount, Tag("constant")]
    | Annotated[PoissonCount, Tag("poisson")]
    | Annotated[GeometricCount, Tag("geometric")]
    | Annotated[UniformCount, Tag("uniform")]
    | Annotated[EmpiricalCount, Tag("empirical")],
    Discriminator(
        tag_of("dist"),
        custom_error_type="count_dist",
        custom_error_message=(
            "expected a whole number, or a mapping with dist: one of " + ", ".join(COUNT_DISTS)
        ),
    ),
    BeforeValidator(_count_shorthand),
]
"""A count that may vary: a whole number (constant) or a mapping with ``dist``."""
