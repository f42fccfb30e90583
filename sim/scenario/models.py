"""The scenario: a validated, inert description of a business's operations.

A :class:`Scenario` is built from a YAML file (see :mod:`sim.scenario.loader`) and checked
against the scenario format (``docs/scenario-format.md``). It holds plain numbers in
the model's units: hours for durations, per hour for rates and money rates, fractions
for percentages, continuous rates per hour for growth; dates are ``datetime.date``, and
the paths of orders files are absolute (relative to the file that named them). It
never changes: :meth:`Scenario.with_changes` returns a new one.
It knows nothing of SimPy; the model (:mod:`sim.model.build`) reads it to build a simulation.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sim.scenario import fields, units
from sim.scenario.distributions import ConstantCount, CountDist, DurationDist
from sim.scenario.fields import (
    ClockTime,
    Count,
    Date,
    Duration,
    Fraction,
    Growth,
    Money,
    MoneyRate,
    PositiveDuration,
    Rate,
    StrictModel,
    Weekday,
)
from sim.scenario.paths import Document, plain_copy
from sim.scenario.validation import Provenance, apply_changes

__all__ = [
    "AUTO",
    "DEFAULT_PRECISION",
    "Arrivals",
    "CalendarEntry",
    "Costs",
    "CrossReferenceError",
    "Deliveries",
    "DemandStream",
    "ForecastPolicy",
    "LocatedError",
    "Pipeline",
    "Product",
    "Resample",
    "Run",
    "Scenario",
    "Service",
    "Shift",
    "Stage",
    "StaffPool",
    "Step",
    "Supplier",
    "Sweep",
    "Optimize",
    "Constraint",
    "DecisionRange",
]

ALLOCATE = "allocate"
ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]


def _unique_days(days: list[int] | None) -> list[int] | None:
    if days is not None and len(set(days)) != len(days):
        raise ValueError("a day is listed twice")
    return days


def _not_midnight_24(at: float | None) -> float | None:
    if at == 24.0:
        raise ValueError('use "00:00" (a time of day is before "24:00")')
    return at


# --------------------------------------------------------------------------- run
#: ``run.warmup: auto`` and ``run.replications: auto``: chosen when the scenario runs.
AUTO = "auto"
#: The precision ``replications: auto`` aims for when ``run.precision`` is not given.
DEFAULT_PRECISION = 0.05


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == AUTO


def _warmup_value(value: Any) -> Any:
    """``auto``, or a duration in hours."""
    if _is_auto(value):
        return AUTO
    try:
        return units.parse_duration(value)
    except ValueError as exc:
        # "expected a duration like ... (got x)" -> "... like ..., or auto (got x)"
        text = str(exc)
        if " (got " in text and text.startswith("expected"):
            head, got = text.split(" (got ", 1)
            text = f"{head}, or auto (got {got}"
        raise ValueError(text) from None


def _replications_value(value: Any) -> Any:
    """``auto``, or a whole number of 1 or more."""
    if _is_auto(value):
        return AUTO
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            "expected a whole number of 1 or more, or auto (as many as run.precision needs) "
            f"(got {units.describe(value) if not isinstance(value, int) else value})"
        )
    return value


def _precision_value(value: Any) -> Any:
    """A relative precision: a fraction above 0 and below 1 (``0.02`` or ``"2%"``)."""
    if value is None:
        return None
    number = units.parse_fraction(value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"expected a fraction above 0 and below 1, like 2% (got {value!r})")
    return number


_AUTO_SCHEMA = {"type": "string", "enum": [AUTO]}
WarmupSetting = Annotated[
    float | Literal["auto"],
    BeforeValidator(_warmup_value),
    WithJsonSchema(
        {
            "anyOf": [
                fields._string_schema(
                    fields._DURATION_PATTERN,
                    f"a duration like {units.DURATION_FORMS}",
                    ["7d", "12h"],
                ),
                _AUTO_SCHEMA,
            ]
        }
    ),
]
ReplicationsSetting = Annotated[
    int | Literal["auto"],
    BeforeValidator(_replications_value),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, _AUTO_SCHEMA]}),
]
PrecisionSetting = Annotated[
    float | None,
    BeforeValidator(_precision_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                {"type": "string", "pattern": fields._PERCENT_PATTERN},
                {"type": "null"},
            ]
        }
    ),
]


class Run(StrictModel):
    """How long to simulate, how often, and with which random numbers.

    ``warmup`` and ``replications`` may be ``"auto"`` (:data:`AUTO`): :func:`sim.run`
    then chooses them (:mod:`sim.experiment.warmup`, :mod:`sim.experiment.precision`)
    and the scenarios it runs carry the chosen numbers. ``precision`` (the target
    half-width relative to the mean) and ``max_replications`` steer ``replications:
    auto`` and only that.
    """

    horizon: PositiveDuration
    warmup: WarmupSetting = 0.0
    start: Date | None = None
    replications: ReplicationsSetting = 10
    seed: int = Field(default=0, ge=0)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    precision: PrecisionSetting = None
    max_replications: int = Field(default=200, ge=2)
    max_waiting: int = Field(default=100_000, ge=1)

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> Run:
        if not isinstance(self.warmup, str) and self.warmup >= self.horizon:
            message = (
                f"warmup ({units.format_duration(self.warmup)}) must be shorter than the "
                f"horizon ({units.format_duration(self.horizon)})"
            )
            raise LocatedError([(("warmup",), message)])  # said at the warmup line
        if self.precision is not None and self.replications != AUTO:
            raise ValueError(
                f"precision ({self.precision * 100:g}%) steers replications: auto; write "
                f"replications: auto, or leave precision out to run {self.replications} "
                "replications"
            )
        return self

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence_percent(cls, value: Any) -> Any:
        return units.parse_fraction(value) if isinstance(value, str) else value

    @property
    def auto_warmup(self) -> bool:
        """The warm-up is to be found from pilot replications."""
        return self.warmup == AUTO

    @property
    def auto_replications(self) -> bool:
        """The replication count is to be decided by the precision reached."""
        return self.replications == AUTO

    @property
    def target_precision(self) -> float:
        """The relative precision ``replications: auto`` aims for (default 5%)."""
        return DEFAULT_PRECISION if self.precision is None else self.precision


# --------------------------------------------------------------------------- demand
def _weights(length: int, what: str) -> Callable[[list[float] | None], list[float] | None]:
    def check(value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if len(value) != length:
            raise ValueError(f"expected {length} weights, one per {what} (got {len(value)})")
        if any(w < 0 for w in value):
            raise ValueError("weights must be zero or more")
        if sum(value) <= 0:
            raise ValueError("weights must not all be zero")
        return value

    return check


#: Days in each month of a 365-day year, January first: the weights of ``by_month``.
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Arrivals(StrictModel):
    """A Poisson stream of orders whose rate may follow the hour, the weekday, the month
    and a trend."""

    rate: Rate
    by_hour: list[Annotated[float, Field(ge=0)]] | None = None
    by_weekday: list[Annotated[float, Field(ge=0)]] | None = None
    by_month: list[Annotated[float, Field(ge=0)]] | None = None
    growth: Growth | None = None

    _check_hour = field_validator("by_hour")(_weights(24, "hour of the day"))
    _check_day = field_validator("by_weekday")(_weights(7, "weekday, Monday first"))
    _check_month = field_validator("by_month")(_weights(12, "month, January first"))

    def month_factors(self) -> list[float]:
        """12 factors, January first, whose mean over the days of a 365-day year is 1."""
        months = self.by_month or [1.0] * 12
        mean = sum(w * days for w, days in zip(months, MONTH_DAYS)) / sum(MONTH_DAYS)
        return [w / mean for w in months]

    def profile(self) -> list[float]:
        """168 hourly factors from Monday 00:00 with mean 1: hour h runs at rate × factor[h]."""
        hours = self.by_hour or [1.0] * 24
        days = self.by_weekday or [1.0] * 7
        raw = [d * h for d in days for h in hours]
        mean = sum(raw) / len(raw)
        return [x / mean for x in raw]


class Resample(StrictModel):
    """Each simulated day is a past day of the same weekday, drawn at random from a file."""

    file: str = Field(min_length=1)
    by: Literal["day"] = "day"


class CalendarEntry(StrictModel):
    """A dated exception: a closed date, a promotion, or a change of staffing.

    ``date`` names one date; ``from`` and ``to`` a range of dates (both included).
    """

    date: Date | None = None
    from_: Date | None = Field(default=None, alias="from")
    to: Date | None = None
    closed: bool = False
    demand: float | None = Field(default=None, ge=0)
    staff: dict[str, Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _check(self) -> CalendarEntry:
        if self.date is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("give date, or from and to, not both")
        if self.date is None:
            if self.from_ is None and self.to is None:
                raise ValueError("give the date, or from and to (the first and last dates)")
            if self.from_ is None or self.to is None:
                raise ValueError("give both from and to (the first and last dates, included)")
            if self.to < self.from_:
                raise ValueError(f"to ({self.to}) is before from ({self.from_})")
        if self.closed and (self.demand is not None or self.staff is not None):
            raise ValueError(
                "a closed date has no orders and no shifts: remove demand and staff, or closed"
            )
        if not self.closed and self.demand is None and self.staff is None:
            raise ValueError(
                "say what changes: closed: true, demand: FACTOR, or staff: {POOL: FACTOR}"
            )
        return self

    @property
    def first(self) -> _dt.date:
        """The first date the entry applies to."""
        first = self.date if self.date is not None else self.from_
        assert first is not None
        return first

    @property
    def last(self) -> _dt.date:
        """The last date the entry applies to (included)."""
        last = self.date if self.date is not None else self.to
        assert last is not None
        return last


class Stage(StrictModel):
    """One stage of a sales pipeline: a task for a sales worker, a decision, a win or a loss.

    With ``staff``, a worker of that pool works the lead for ``time`` (first come, first
    served); then the lead waits ``then`` (the customer deciding); then it goes on with
    probability ``win``, or is lost.
    """

    stage: str = Field(min_length=1)
    staff: str | None = None
    time: DurationDist | None = None
    then: DurationDist | None = None
    win: Fraction = 1.0

    @model_validator(mode="after")
    def _check(self) -> Stage:
        if self.staff is not None and self.time is None:
            raise ValueError(f'stage "{self.stage}" has staff: give the time a worker spends')
        if self.staff is None and self.time is not None:
            raise ValueError(
                f'stage "{self.stage}" has a time but no staff: a stage without staff is only '
                "the customer's wait (then)"
            )
        return self


class Pipeline(StrictModel):
    """Leads that sales staff work through stages; a lead that wins every stage is an order.

    ``leads`` is the mean rate of a Poisson stream of leads, shaped like ``arrivals``
    by ``by_hour``, ``by_weekday``, ``by_month`` and ``growth``.
    """

    leads: Rate
    by_hour: list[Annotated[float, Field(ge=0)]] | None = None
    by_weekday: list[Annotated[float, Field(ge=0)]] | None = None
    by_month: list[Annotated[float, Field(ge=0)]] | None = None
    growth: Growth | None = None
    stages: list[Stage] = Field(min_length=1)

    _check_hour = field_validator("by_hour")(_weights(24, "hour of the day"))
    _check_day = field_validator("by_weekday")(_weights(7, "weekday, Monday first"))
    _check_month = field_validator("by_month")(_weights(12, "month, January first"))

    @field_validator("stages")
    @classmethod
    def _unique(cls, stages: list[Stage]) -> list[Stage]:
        names = [s.stage for s in stages]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"stage {twice[0]!r} appears twice")
        return stages

    def lead_arrivals(self) -> Arrivals:
        """The leads' arrival process, as the :class:`Arrivals` of an ordinary channel."""
        return Arrivals.model_construct(
            rate=self.leads, by_hour=self.by_hour, by_weekday=self.by_weekday,
            by_month=self.by_month, growth=self.growth,
        )

    @property
    def win_probability(self) -> float:
        """The probability that a lead wins every stage (the product of the ``win``)."""
        p = 1.0
        for stage in self.stages:
            p *= stage.win
        return p


#: Keys of a channel that describe the content of generated orders.
_DRAWN_CONTENT = ("lines", "sku_mix", "quantity")


class DemandStream(StrictModel):
    """Orders from one sales channel: how many, what is in them, and how patient they are.

    The orders come from ``arrivals`` (a Poisson process), from a file of past orders:
    ``replay`` (those orders, exactly) or ``resample`` (past days drawn at random), or
    from a sales ``pipeline`` (each lead that wins its last stage).
    """

    name: str | None = None
    arrivals: Arrivals | None = None
    pipeline: Pipeline | None = None
    replay: str | None = Field(default=None, min_length=1)
    resample: Resample | None = None
    calendar: list[CalendarEntry] = Field(default_factory=list)
    lines: CountDist = Field(default_factory=lambda: ConstantCount(value=1))
    sku_mix: dict[str, Annotated[float, Field(ge=0)]] | None = None
    quantity: CountDist = Field(default_factory=lambda: ConstantCount(value=1))
    when_out_of_stock: Literal["backorder", "lost"] = "backorder"
    patience: DurationDist | None = None

    @field_validator("sku_mix")
    @classmethod
    def _mix_not_zero(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and (not value or sum(value.values()) <= 0):
            raise ValueError("sku_mix weights must not all be zero")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DemandStream:
        kinds = ("arrivals", "replay", "resample", "pipeline")
        sources = [k for k in kinds if getattr(self, k) is not None]
        if not sources:
            raise ValueError(
                "give arrivals (a Poisson rate), replay (a file of past orders), resample or "
                "pipeline (leads worked by sales staff)"
            )
        if len(sources) > 1:
            raise ValueError(f"give one source of orders, not {' and '.join(sources)}")
        if self.arrivals is None and self.pipeline is None:
            drawn = [k for k in _DRAWN_CONTENT if k in self.model_fields_set]
            if drawn:
                raise ValueError(
                    f"the orders file gives each order's lines: remove {', '.join(drawn)}"
                )
        return self

    @property
    def poisson(self) -> Arrivals | None:
        """The Poisson process of the channel: its orders' (``arrivals``) or its leads'
        (``pipeline``); None for a channel fed from a file."""
        if self.pipeline is not None:
            return self.pipeline.lead_arrivals()
        return self.arrivals

    @property
    def data_file(self) -> str | None:
        """The orders file this channel reads (``replay`` or ``resample.file``), or None."""
        if self.replay is not None:
            return self.replay
        return self.resample.file if self.resample is not None else None


def _demand_as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


# --------------------------------------------------------------------------- products
class SSPolicy(StrictModel):
    """Continuous review: when the position falls to ``s`` or below, order up to ``S``."""

    type: Literal["s_S"]
    s: int
    S: int

    @model_validator(mode="after")
    def _check(self) -> SSPolicy:
        if self.s >= self.S:
            raise ValueError(f"s must be below S (got s={self.s}, S={self.S})")
        return self


class RQPolicy(StrictModel):
    """Continuous review: when the position falls to ``r`` or below, order ``Q`` (repeatedly)."""

    type: Literal["r_Q"]
    r: int = Field(ge=-1)
    Q: int = Field(ge=1)


class BaseStockPolicy(StrictModel):
    """One-for-one: every demand triggers an order for what it took; the position stays at ``S``."""

    type: Literal["base_stock"]
    S: int = Field(ge=0)


class PeriodicPolicy(StrictModel):
    """Every ``review``, order up to ``S`` (if ``s`` is given: only when the position is <= s)."""

    type: Literal["periodic"]
    review: PositiveDuration
    S: int = Field(ge=1)
    s: int | None = None
    at: ClockTime | None = None
    days: list[Weekday] | None = Field(default=None, min_length=1)

    _check_days = field_validator("days")(_unique_days)
    _check_at = field_validator("at")(_not_midnight_24)

    @model_validator(mode="after")
    def _check(self) -> PeriodicPolicy:
        if self.s is not None and self.s >= self.S:
            raise ValueError(f"s must be below S (got s={self.s}, S={self.S})")
        return self


class SmoothingForecast(StrictModel):
    """Simple exponential smoothing: the level moves ``alpha`` of the way to each demand."""

    method: Literal["exponential_smoothing"]
    alpha: Fraction


class MovingAverageForecast(StrictModel):
    """The mean demand of the review periods in the last ``window``."""

    method: Literal["moving_average"]
    window: PositiveDuration


class HoltForecast(StrictModel):
    """Holt's method: a level (smoothed by ``alpha``) and a trend (by ``beta``)."""

    method: Literal["holt"]
    alpha: Fraction
    beta: Fraction


class HoltWintersForecast(StrictModel):
    """Holt-Winters: level, trend and an additive season of length ``season``."""

    method: Literal["holt_winters"]
    alpha: Fraction
    beta: Fraction
    gamma: Fraction
    season: PositiveDuration


FORECAST_METHODS = ("exponential_smoothing", "moving_average", "holt", "holt_winters")


def _method_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("method")
        return tag if isinstance(tag, str) else None
    return getattr(value, "method", None)


ForecastMethod = Annotated[
    Annotated[SmoothingForecast, Tag("exponential_smoothing")]
    | Annotated[MovingAverageForecast, Tag("moving_average")]
    | Annotated[HoltForecast, Tag("holt")]
    | Annotated[HoltWintersForecast, Tag("holt_winters")],
    Discriminator(
        _method_tag,
        custom_error_type="forecast",
        custom_error_message="expected a mapping with method: one of "
        + ", ".join(FORECAST_METHODS),
    ),
]


def _whole_periods(hours: float, review: float) -> bool:
    periods = hours / review
    return abs(periods - round(periods)) < 1e-6 and round(periods) >= 1


class ForecastPolicy(StrictModel):
    """Every ``review``, order up to the forecast demand over the review period plus the
    mean lead time, plus ``safety_factor`` × the RMSE of the forecast's past errors
    (scaled to that span)."""

    type: Literal["forecast"]
    review: PositiveDuration
    at: ClockTime | None = None
    forecast: ForecastMethod
    safety_factor: float = Field(default=1.65, ge=0)
    initial_forecast: Rate

    _check_at = field_validator("at")(_not_midnight_24)

    @model_validator(mode="after")
    def _check(self) -> ForecastPolicy:
        review, method = self.review, self.forecast
        span = {"moving_average": "window", "holt_winters": "season"}.get(method.method)
        if span is not None:
            hours = getattr(method, span)
            if not _whole_periods(hours, review):
                raise LocatedError([(
                    ("forecast", span),
                    f"{span} ({units.format_duration(hours)}) must be a whole number of review "
                    f"periods ({units.format_duration(review)})",
                )])
            if span == "season" and round(hours / review) < 2:
                raise LocatedError([(
                    ("forecast", span),
                    "a season must hold at least two review periods",
                )])
        return self


class NoPolicy(StrictModel):
    """No replenishment: what is on hand is all there will be."""

    type: Literal["none"]


POLICY_TYPES = ("s_S", "r_Q", "base_stock", "periodic", "forecast", "none")


def _policy_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("type")
        return tag if isinstance(tag, str) else None
    return getattr(value, "type", None)


Policy = Annotated[
    Annotated[SSPolicy, Tag("s_S")]
    | Annotated[RQPolicy, Tag("r_Q")]
    | Annotated[BaseStockPolicy, Tag("base_stock")]
    | Annotated[PeriodicPolicy, Tag("periodic")]
    | Annotated[ForecastPolicy, Tag("forecast")]
    | Annotated[NoPolicy, Tag("none")],
    Discriminator(
        _policy_tag,
        custom_error_type="policy",
        custom_error_message="expected a mapping with type: one of " + ", ".join(POLICY_TYPES),
    ),
]


def _holding_cost(value: Any) -> Any:
    per_hour, is_percent = units.parse_rate(value, allow_percent=True)
    return {"per_hour": per_hour, "of_unit_cost": is_percent}


class HoldingCost(StrictModel):
    """Money per unit on hand per hour, or a fraction of the unit cost per hour."""

    per_hour: float
    of_unit_cost: bool


class Product(StrictModel):
    """A stock-keeping unit (SKU): its money, its stock and how it is replenished."""

    price: Money
    unit_cost: Money
    holding_cost: Annotated[
        HoldingCost,
        BeforeValidator(_holding_cost),
    ] = HoldingCost(per_hour=0.0, of_unit_cost=False)
    initial_stock: Count = 0
    shelf_life: PositiveDuration | None = None
    supplier: str | None = None
    policy: Policy = NoPolicy(type="none")

    @property
    def holding_cost_per_hour(self) -> float:
        """Money per unit on hand per hour."""
        hc = self.holding_cost
        return hc.per_hour * self.unit_cost if hc.of_unit_cost else hc.per_hour


# --------------------------------------------------------------------------- suppliers
class Deliveries(StrictModel):
    """When a supplier delivers: at ``at`` on ``days`` (a purchase order waits for a slot)."""

    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)
    at: ClockTime = 0.0

    _check_days = field_validator("days")(_unique_days)
    _check_at = field_validator("at")(_not_midnight_24)


class Supplier(StrictModel):
    """Where purchase orders go: how long they take, when they arrive and what each costs."""

    lead_time: DurationDist
    order_cost: Money = 0.0
    min_order: int | None = Field(default=None, ge=1)
    deliveries: Deliveries | None = None
    reliability: Fraction = 1.0
    short_fraction: Fraction = 0.0


# --------------------------------------------------------------------------- staff

class Shift(StrictModel):
    """Workers on duty from ``start`` to ``end`` on ``days``; an end at or before the start
    crosses midnight (``days`` are the days the shift starts)."""

    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)
    start: ClockTime
    end: ClockTime
    headcount: Count

    @model_validator(mode="after")
    def _check(self) -> Shift:
        if self.start == 24.0:
            raise ValueError('a shift cannot start at "24:00" (use "00:00" of the next day)')
        if self.start == self.end:
            raise ValueError("start and end are the same time: a shift must last longer than zero")
        if len(set(self.days)) != len(self.days):
            raise ValueError("a day is listed twice")
        return self

    @property
    def length(self) -> float:
        """Hours on duty per shift."""
        return self.end - self.start if self.end > self.start else self.end + 24.0 - self.start


class StaffPool(StrictModel):
    """Interchangeable workers: a fixed headcount around the clock, or weekly shifts."""

    headcount: Count | None = None
    wage: MoneyRate = 0.0
    shifts: list[Shift] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _check(self) -> StaffPool:
        if (self.headcount is None) == (self.shifts is None):
            raise ValueError("give either headcount (on duty around the clock) or shifts, not both")
        return self


# --------------------------------------------------------------------------- process
class Step(StrictModel):
    """A step of every order: one worker of ``staff`` busy ``time`` + ``per_unit`` × units."""

    step: str = Field(min_length=1)
    staff: str | None = None
    time: DurationDist | None = None
    per_unit: Duration = 0.0
    queue_limit: Count | None = None

    @model_validator(mode="after")
    def _check(self) -> Step:
        if self.step == ALLOCATE:
            extra = [k for k in ("staff", "time", "queue_limit") if getattr(self, k) is not None]
            if extra or self.per_unit:
                raise ValueError(
                    "the allocate step reserves stock and takes no time: remove "
                    + ", ".join(extra or ["per_unit"])
                )
            return self
        if self.time is None:
            raise ValueError(f'step "{self.step}" needs a time')
        if self.queue_limit is not None and self.staff is None:
            raise ValueError("queue_limit needs a staff pool: a step without staff has no queue")
        return self


# --------------------------------------------------------------------------- service, costs
class Service(StrictModel):
    """What the business promises its customers."""

    promise: PositiveDuration | None = None


class Costs(StrictModel):
    """Penalties beyond the money in products and staff."""

    backorder: MoneyRate = 0.0
    lost_sale: Money = 0.0
    waste: Money = 0.0
    overtime_multiplier: float = Field(default=1.5, ge=1)


# --------------------------------------------------------------------------- sweep
class SampleRange(StrictModel):
    """A range to sample one key from: numbers, or quantities with the same unit."""

    min: int | float | str
    max: int | float | str


class Sample(StrictModel):
    """Latin hypercube sample of ``n`` points over value ranges."""

    n: int = Field(ge=1)
    ranges: dict[str, SampleRange] = Field(min_length=1)
    seed: int = Field(default=0, ge=0)


class Sweep(StrictModel):
    """A batch of scenario points: a full grid, or a sample of a larger space."""

    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = None
    sample: Sample | None = None
    replications: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Sweep:
        if self.grid is None and self.sample is None:
            raise ValueError("give a grid or a sample")
        return self


# --------------------------------------------------------------------------- optimize
_CONSTRAINT = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*(?P<subject>[^\]]+?)\s*\])?\s*"
    r"(?P<op>>=|<=)\s*(?P<value>[^±]+?)\s*(?:(?:±|\+-)\s*(?P<tolerance>\S+))?\s*$"
)


def _threshold(text: str) -> float:
    """A threshold as written: a number, a percentage (``95%``) or a duration (``2h``, hours)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("%"):
        return units.parse_fraction(text)
    try:
        return units.parse_duration(text)
    except ValueError:
        raise ValueError(
            f"expected a number, a percentage like 95% or a duration like 2h (got {text!r})"
        ) from None


class Constraint(StrictModel):
    """One constraint of ``optimize``, parsed from ``"METRIC[subject] >= value ± tolerance"``.

    ``tolerance`` (absolute, in the metric's unit) is None when not written: then it is
    the optimize block's relative ``tolerance`` of the threshold.
    """

    metric: str
    subject: str = "all"
    op: Literal[">=", "<="]
    value: float
    tolerance: float | None = None
    text: str

    @classmethod
    def parse(cls, text: Any) -> Constraint:
        """``"service_level >= 95%"`` -> a constraint; ValueError says what is wrong."""
        if not isinstance(text, str):
            raise ValueError(
                'expected a constraint like "service_level >= 95%" (got '
                f"{units.describe(text)})"
            )
        match = _CONSTRAINT.match(text)
        if match is None:
            raise ValueError(
                'expected a constraint like "service_level >= 95%" or '
                f'"abandon_rate[all] <= 5% ± 0.5%" (got {text!r})'
            )
        tolerance = match["tolerance"]
        parsed_tolerance = None
        if tolerance is not None:
            parsed_tolerance = _threshold(tolerance)
            if not parsed_tolerance > 0:
                raise ValueError(f"the tolerance after ± must be above 0 (got {tolerance!r})")
        return cls(
            metric=match["metric"],
            subject=match["subject"] or "all",
            op=match["op"],  # type: ignore[arg-type]
            value=_threshold(match["value"]),
            tolerance=parsed_tolerance,
            text=" ".join(text.split()),
        )

    @property
    def measure(self) -> str:
        """``METRIC[subject]``, as in ``decision.csv``'s column names."""
        return f"{self.metric}[{self.subject}]"


class DecisionRange(StrictModel):
    """Whole numbers ``min..max`` by ``step`` (default 1), or quantities with one unit
    (``{min: 3d, max: 7d, step: 1d}``)."""

    min: int | str
    max: int | str
    step: int | str = 1

    def values(self) -> list[Any]:
        """Every value of the range, in order; ValueError for a range that has none."""
        if all(isinstance(v, int) for v in (self.min, self.max, self.step)):
            low, high, step = int(self.min), int(self.max), int(self.step)
            unit = None
        else:
            parts = [units.split_quantity(str(v)) for v in (self.min, self.max, self.step)]
            if any(p is None for p in parts) or len({p[1] for p in parts if p}) != 1:
                raise ValueError(
                    "min, max and step must be whole numbers, or quantities with the same "
                    f"unit like 3d, 7d and 1d (got {self.min!r}, {self.max!r}, {self.step!r})"
                )
            numbers = [p[0] for p in parts if p]
            if not all(re.fullmatch(r"[-+]?\d+", n) for n in numbers):
                raise ValueError(
                    "a range counts in whole steps: write whole numbers of the unit, like "
                    f"72h for 3d (got {self.min!r}, {self.max!r}, {self.step!r}); or list "
                    "the values"
                )
            low, high, step = (int(n) for n in numbers)
            unit = parts[0][1] if parts[0] else ""
        if step < 1:
            raise ValueError(f"step must be 1 or more (got {self.step!r})")
        if low > high:
            raise ValueError(f"min must not be above max (got {self.min!r} and {self.max!r})")
        numbers_ = list(range(low, high + 1, step))
        return numbers_ if unit is None else [f"{n}{unit}" for n in numbers_]


def _decision_values(value: Any) -> Any:
    """A decision: an explicit list of values, or a mapping ``{min, max, step}``."""
    if isinstance(value, list):
        if not value:
            raise ValueError("expected at least one value")
        return value
    if isinstance(value, dict):
        return DecisionRange.model_validate(value)
    raise ValueError(
        "expected a range like {min: 4, max: 14} or a list of values like [3d, 5d, 7d] "
        f"(got {units.describe(value)})"
    )


def _objective(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in (
        "maximize",
        "minimize",
    ):
        raise ValueError(
            "expected {maximize: METRIC} or {minimize: METRIC}, like "
            f"{{maximize: operating_income}} (got {units.describe(value)})"
        )
    (sense, metric), = value.items()
    if not isinstance(metric, str) or _CONSTRAINT.match(f"{metric} >= 0") is None:
        raise ValueError(f"expected a metric name like operating_income (got {metric!r})")
    return {sense: metric.strip()}


def _tolerance(value: Any) -> Any:
    """``1%`` (relative) or a number (absolute, in the objective's unit), above 0."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = units.parse_fraction(value)
        if not 0.0 < number < 1.0:
            raise ValueError(f"expected a percentage above 0 and below 100% (got {value!r})")
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(
            "expected a percentage of the objective like 1%, or a number above 0 in the "
            f"objective's unit like 500 (got {units.describe(value)})"
        )
    return float(value)


def _confidence(value: Any) -> Any:
    number = units.parse_fraction(value)
    if not 0.5 <= number < 1.0:
        raise ValueError(f"expected a probability from 50% to below 100%, like 95% (got {value!r})")
    return number


class Optimize(StrictModel):
    """The best plan under constraints: decisions, objective, constraints, confidence,
    tolerance and budget (see ``docs/scenario-format.md``, "optimize")."""

    decisions: dict[
        str, Annotated[list[Any] | DecisionRange, BeforeValidator(_decision_values)]
    ] = Field(min_length=1)
    objective: Annotated[
        dict[str, str],
        BeforeValidator(_objective),
        WithJsonSchema(
            {
                "type": "object",
                "properties": {"maximize": {"type": "string"}, "minimize": {"type": "string"}},
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
            }
        ),
    ]
    constraints: list[
        Annotated[
            Constraint,
            BeforeValidator(Constraint.parse),
            WithJsonSchema({"type": "string", "pattern": r"^\s*[A-Za-z_]\w*.*(>=|<=).+$"}),
        ]
    ] = Field(default_factory=list)
    confidence: Annotated[
        float,
        BeforeValidator(_confidence),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1},
                    {"type": "string", "pattern": fields._PERCENT_PATTERN},
                ]
            }
        ),
    ] = 0.95
    tolerance: Annotated[
        float | str,
        BeforeValidator(_tolerance),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0},
                    {"type": "string", "pattern": fields._PERCENT_PATTERN},
                ]
            }
        ),
    ] = "1%"
    budget: int = Field(default=2000, ge=2)

    @model_validator(mode="after")
    def _check(self) -> Optimize:
        for key, values in self.decisions.items():
            if isinstance(values, DecisionRange):
                try:
                    values.values()
                except ValueError as exc:
                    raise ValueError(f"decisions.{key}: {exc}") from None
        return self

    @property
    def maximize(self) -> bool:
        """True for ``{maximize: ...}``."""
        return "maximize" in self.objective

    @property
    def metric(self) -> tuple[str, str]:
        """The objective as ``(metric, subject)``."""
        (text,) = self.objective.values()
        parsed = Constraint.parse(f"{text} >= 0")
        return parsed.metric, parsed.subject

    def candidate_values(self) -> dict[str, list[Any]]:
        """Each decision key's values, in order (ranges expanded)."""
        return {
            key: values.values() if isinstance(values, DecisionRange) else list(values)
            for key, values in self.decisions.items()
        }


# --------------------------------------------------------------------------- scenario
class Scenario(StrictModel):
    """A whole business: demand, products, suppliers, staff, process, service and costs.

    A scenario is a value, checked once when it is made and never changed after:

    * **Frozen all the way down.** No field can be set or deleted, in the scenario or in
      any section (``scenario.run.seed = 2`` raises pydantic's ``ValidationError``), and
      every dict and list inside, at any depth (``variants`` and ``sweep.grid`` too), is
      a read-only :class:`~sim.scenario.fields.FrozenDict` or
      :class:`~sim.scenario.fields.FrozenList` (``scenario.products["x"] = None`` raises
      ``TypeError``). They are still a ``dict`` and a ``list`` to read, compare and
      serialise; ``dict(...)`` or ``list(...)`` makes a copy of your own.
    * **Changed only by validation.** :meth:`with_changes` returns a new scenario,
      validated again. ``model_copy(update=...)``, which would skip validation, raises
      ``TypeError``; ``model_copy()`` without it is an equal copy. pydantic's
      ``model_construct`` skips validation, as pydantic documents: give it only values
      taken from a valid scenario.
    * **Equal by value.** Two scenarios are equal when all their values are, whatever
      they were read from. Scenarios are not hashable.
    * **Provenance beside the values.** A scenario keeps a private copy of the data it was
      validated from, as the planner wrote it, and when it was loaded from a file, the line
      of every key (:attr:`raw`, :attr:`source`). :meth:`with_changes`, :meth:`base` and
      :meth:`variant` work on that data and report problems at their line.
    * **Pickled lean.** A pickle carries the values only: a worker process gets an equal
      scenario, ready to simulate, without the YAML machinery; it cannot use
      :meth:`with_changes` (``raw`` is ``{}`` and ``source`` is None there).

    The guarantees hold against mistakes, not against code that goes around them
    (``object.__setattr__``, ``dict.__setitem__(scenario.products, ...)``).
    """

    name: str = Field(min_length=1)
    description: str | None = None
    currency: str = "USD"
    run: Run
    demand: Annotated[list[DemandStream], BeforeValidator(_demand_as_list), Field(min_length=1)]
    products: dict[str, Product] = Field(default_factory=dict)
    suppliers: dict[str, Supplier] = Field(default_factory=dict)
    staff: dict[str, StaffPool] = Field(default_factory=dict)
    process: list[Step] = Field(default_factory=list)
    service: Service = Service()
    costs: Costs = Costs()
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sweep: Sweep | None = None
    optimize: Optimize | None = None

    # What the scenario was validated from, beside its values: set by _remember only.
    _provenance: Provenance | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember(
        cls, data: Any, handler: ModelWrapValidatorHandler[Scenario], info: ValidationInfo
    ) -> Scenario:
        """Keep the data a scenario is validated from, and its document when loaded."""
        scenario = handler(data)
        if isinstance(data, dict):  # not a Scenario given again, which keeps its own
            scenario._provenance = Provenance.of(data, info.context)
        return scenario

    @model_validator(mode="before")
    @classmethod
    def _resolve_data_files(cls, data: Any, info: ValidationInfo) -> Any:
        """Orders files named relative to the scenario file that names them, made absolute.

        The model (in another process, perhaps) then finds them whatever its working
        directory; the planner's data keeps the path as written.
        """
        if not isinstance(data, dict):
            return data
        document = Provenance.of({}, info.context).document
        demand = data.get("demand")
        if isinstance(demand, dict):
            channels: list[tuple[tuple[str | int, ...], Any]] = [(("demand",), demand)]
        elif isinstance(demand, list):
            channels = [(("demand", i), stream) for i, stream in enumerate(demand)]
        else:
            return data
        resolved = []
        changed = False
        for at, stream in channels:
            if isinstance(stream, dict):
                new = dict(stream)
                if isinstance(stream.get("replay"), str):
                    new["replay"] = _data_path(stream["replay"], document, (*at, "replay"))
                resample = stream.get("resample")
                if isinstance(resample, dict) and isinstance(resample.get("file"), str):
                    file = _data_path(resample["file"], document, (*at, "resample", "file"))
                    new["resample"] = {**resample, "file": file}
                changed = changed or new != stream
                stream = new
            resolved.append(stream)
        if not changed:
            return data
        return {**data, "demand": resolved[0] if isinstance(demand, dict) else resolved}

    @model_validator(mode="after")
    def _dates_and_data(self, info: ValidationInfo) -> Scenario:
        """Dated keys need a date at time 0; calendar pools and orders files must exist."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        dated = self.run.start is not None or any(s.replay is not None for s in self.demand)
        check_files = Provenance.of({}, info.context).document is not None
        for i, stream in enumerate(self.demand):
            if not dated:
                why = (
                    "needs run.start (the calendar date at time 0, like start: 2026-01-05)"
                )
                if stream.arrivals is not None and stream.arrivals.by_month is not None:
                    problems.append((("demand", i, "arrivals", "by_month"), why))
                if stream.pipeline is not None and stream.pipeline.by_month is not None:
                    problems.append((("demand", i, "pipeline", "by_month"), why))
                if stream.calendar:
                    problems.append((("demand", i, "calendar"), why))
            for j, entry in enumerate(stream.calendar):
                for pool in entry.staff or {}:
                    if pool not in self.staff:
                        problems.append(
                            (
                                ("demand", i, "calendar", j, "staff", pool),
                                f"no staff pool {pool!r}" + _known(self.staff),
                            )
                        )
                if entry.demand is not None and stream.poisson is None:
                    problems.append(
                        (
                            ("demand", i, "calendar", j, "demand"),
                            "a promotion multiplies a Poisson arrival rate (of orders or of "
                            "leads); the orders of a replay or resample channel are as recorded",
                        )
                    )
            path = stream.data_file
            if check_files and path is not None and not os.path.isfile(path):
                key = ("replay",) if stream.replay is not None else ("resample", "file")
                problems.append((("demand", i, *key), f'orders file not found: "{path}"'))
        if problems:
            raise CrossReferenceError(problems)
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        skus = set(self.products)
        for i, stream in enumerate(self.demand):
            for sku in stream.sku_mix or {}:
                if sku not in skus:
                    problems.append(
                        (("demand", i, "sku_mix", sku), f"no product {sku!r}" + _known(skus))
                    )
        for sku, product in self.products.items():
            if product.supplier is not None and product.supplier not in self.suppliers:
                problems.append(
                    (
                        ("products", sku, "supplier"),
                        f"no supplier {product.supplier!r}" + _known(self.suppliers),
                    )
                )
            if product.policy.type != "none" and product.supplier is None:
                problems.append(
                    (
                        ("products", sku, "policy"),
                        f"a {product.policy.type} policy needs a supplier",
                    )
                )
        names: set[str] = set()
        allocates = 0
        for i, step in enumerate(self.process):
            if step.step == ALLOCATE:
                allocates += 1
                if allocates > 1:
                    problems.append((("process", i, "step"), "at most one allocate step"))
            elif step.step in names:
                problems.append((("process", i, "step"), f"step {step.step!r} appears twice"))
            names.add(step.step)
            if step.staff is not None and step.staff not in self.staff:
                problems.append(
                    (("process", i, "staff"), f"no staff pool {step.staff!r}" + _known(self.staff))
                )
        problems += self._pipeline_problems(names)
        if problems:
            raise CrossReferenceError(problems)
        return self

    def _pipeline_problems(self, step_names: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
        """A pipeline channel has a name; its stages' pools exist; no stage is named like a
        process step or another channel's stage (a stage is reported like a step)."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: dict[str, int] = {}
        for i, stream in enumerate(self.demand):
            if stream.pipeline is None:
                continue
            if stream.name is None:
                problems.append((
                    ("demand", i, "pipeline"),
                    "a pipeline channel needs a name (demand as a list of channels, each with "
                    "name): its leads, win rate and sales cycle are reported under it",
                ))
            for j, stage in enumerate(stream.pipeline.stages):
                at = ("demand", i, "pipeline", "stages", j)
                if stage.stage in step_names:
                    problems.append((
                        (*at, "stage"),
                        f"stage {stage.stage!r} has the name of a process step: stages and "
                        "steps are reported side by side, so their names must differ",
                    ))
                elif stage.stage in seen and seen[stage.stage] != i:
                    problems.append((
                        (*at, "stage"),
                        f"stage {stage.stage!r} is also a stage of another channel: give it "
                        "a name of its own",
                    ))
                seen.setdefault(stage.stage, i)
                if stage.staff is not None and stage.staff not in self.staff:
                    problems.append(
                        ((*at, "staff"), f"no staff pool {stage.staff!r}" + _known(self.staff))
                    )
        return problems

    @property
    def stages(self) -> list[Stage]:
        """Every pipeline stage of every channel, in scenario order."""
        return [
            stage
            for stream in self.demand
            if stream.pipeline is not None
            for stage in stream.pipeline.stages
        ]

    # ----------------------------------------------------------------- conveniences
    def data_files(self) -> list[str]:
        """The orders files the channels read (absolute paths, each once, in order)."""
        return list(dict.fromkeys(s.data_file for s in self.demand if s.data_file is not None))

    @property
    def steps(self) -> list[Step]:
        """The steps that take time (every step but ``allocate``)."""
        return [s for s in self.process if s.step != ALLOCATE]

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the data this scenario was validated from (after ``extends``), or ``{}``
        when it is not known (a scenario unpickled in another process)."""
        made_from = self._provenance
        return plain_copy(dict(made_from.data)) if made_from is not None else {}

    @property
    def source(self) -> Document | None:
        """The document the scenario was read from, with the line of every key, or None."""
        return self._provenance.document if self._provenance is not None else None

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A new scenario: this one with ``{"dotted.path": value}`` changes, validated again.

        Values are written as in a file (``"600/day"``); a problem is a
        :class:`~sim.errors.ScenarioError`, at its line in the file where it has one.

        >>> from sim.scenario.loader import loads
        >>> shop = loads("{name: shop, run: {horizon: 7d}, demand: {arrivals: {rate: 400/day}}}")
        >>> busier = shop.with_changes({"demand.arrivals.rate": "600/day"})
        >>> busier.demand[0].arrivals.rate, shop.demand[0].arrivals.rate
        (25.0, 16.666666666666668)
        """
        return apply_changes(type(self), self._made_from(), changes)

    def base(self) -> Scenario:
        """This scenario alone: without its ``variants`` and ``sweep`` (what every
        variant and sweep point starts from)."""
        return apply_changes(type(self), self._made_from().without_run_plan(), {})

    def variant(self, name: str) -> Scenario:
        """The complete scenario of one variant (the base with that variant's changes)."""
        if name not in self.variants:
            raise KeyError(f"no variant {name!r}" + _known(self.variants))
        return self.base().with_changes({**self.variants[name], "name": name})

    def variant_scenarios(self) -> list[Scenario]:
        """The base (without its variants) followed by every variant, in file order."""
        base = self.base()
        return [base] + [
            base.with_changes({**changes, "name": name}) for name, changes in self.variants.items()
        ]

    def _made_from(self) -> Provenance:
        if self._provenance is None:
            raise ValueError(
                "this scenario does not know the data it was made from (a scenario sent to "
                "another process travels without it): change it in the process that loaded "
                "it, or load the file again with sim.load()"
            )
        return self._provenance

    # ----------------------------------------------------------------- value semantics
    def __eq__(self, other: object) -> bool:
        """Scenarios are equal when all their values are; where they came from does not count."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return type(self) is type(other) and all(
            getattr(self, name) == getattr(other, name) for name in type(self).model_fields
        )

    __hash__ = None  # type: ignore[assignment]  # its dicts and lists cannot be hashed

    def __getstate__(self) -> dict[Any, Any]:
        """Pickle the values only: the provenance stays in the process that loaded it."""
        state = super().__getstate__()
        state["__pydantic_private__"] = {
            **(state["__pydantic_private__"] or {}),
            "_provenance": None,
        }
        return state


def _data_path(text: str, document: Document | None, at: tuple[str | int, ...]) -> str:
    """``text`` made absolute: relative to the file whose line gave it, else the working folder.

    A value from ``--set`` is relative to the working folder; one set in code
    (``with_changes``) to the scenario's own file.
    """
    path = os.path.expanduser(text.strip())
    if os.path.isabs(path):
        return os.path.normpath(path)
    folder = ""
    if document is not None:
        given_in = document.lines.get(at, (document.file, None))[0]
        if given_in is None:
            given_in = document.file
        if given_in != "--set" and not given_in.startswith("<"):
            folder = os.path.dirname(given_in)
    return os.path.abspath(os.path.join(folder, path))


class LocatedError(ValueError):
    """A rule checked on a whole section but broken at keys inside it.

    ``problems`` lists ``(loc, message)`` pairs, ``loc`` being the path of the key at
    fault below where the rule is checked, so that each is reported at its own line of
    the file (:mod:`sim.scenario.validation` reads them).
    """

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(".".join(str(p) for p in loc) + ": " + msg for loc, msg in problems)
        )


class CrossReferenceError(LocatedError):
    """Names that do not match: a product's supplier, a step's staff pool, a SKU in a mix."""


def _known(names: Iterable[str]) -> str:
    known = sorted(names)
    return f" (known: {', '.join(known)})" if known else " (none are defined)"
