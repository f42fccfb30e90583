"""Field types shared by every part of a scenario.

Each type is a float or int on the Python side (hours, per-hour rates, fractions),
parsed from the unit-carrying forms of the scenario format by :mod:`sim.units`, and
each publishes a JSON Schema that editors can use to check a file as it is typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim import units

__all__ = [
    "ClockTime",
    "Count",
    "Duration",
    "Fraction",
    "Money",
    "MoneyRate",
    "PositiveDuration",
    "Rate",
    "StrictModel",
    "Weekday",
]


class StrictModel(BaseModel):
    """Base of every scenario section: unknown keys are errors and "3" is not 3."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def _duration(value: Any) -> Any:
    return units.parse_duration(value)


def _positive_duration(value: Any) -> Any:
    hours = units.parse_duration(value)
    if hours <= 0:
        raise ValueError(f"must be longer than zero (got {value!r})")
    return hours


def _rate(value: Any) -> Any:
    return units.parse_rate(value)[0]


def _fraction(value: Any) -> Any:
    return units.parse_fraction(value)


def _clock(value: Any) -> Any:
    return units.parse_clock(value)


def _weekday(value: Any) -> Any:
    return units.parse_weekday(value)


_DURATION_PATTERN = r"^\s*[0-9.]+(e[+-]?[0-9]+)?\s*(s|sec|min|mins|h|hr|hrs|hours?|d|days?|w|wk|weeks?|y|yr|years?)\s*$"
_RATE_PATTERN = r"^\s*[0-9.]+(e[+-]?[0-9]+)?\s*/\s*([0-9.]+\s*)?(s|sec|min|h|hr|hour|d|day|w|wk|week|y|yr|year)s?\s*$"

#: A length of time, in hours once parsed: ``"45s"``, ``"15min"``, ``"2h"``, ``"3d"``, ``"1w"``.
Duration = Annotated[
    float,
    BeforeValidator(_duration),
    WithJsonSchema(
        {"type": "string", "pattern": _DURATION_PATTERN, "description": f"a duration: {units.DURATION_FORMS}"}
    ),
]
#: A duration that must be longer than zero.
PositiveDuration = Annotated[
    float,
    BeforeValidator(_positive_duration),
    WithJsonSchema(
        {"type": "string", "pattern": _DURATION_PATTERN, "description": f"a duration > 0: {units.DURATION_FORMS}"}
    ),
]
#: Events per hour once parsed: ``"400/day"``, ``"20/h"``.
Rate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema({"type": "string", "pattern": _RATE_PATTERN, "description": f"a rate: {units.RATE_FORMS}"}),
]
#: Money per hour once parsed: ``"22/h"`` per staff hour, ``"0.5/day"`` per unit.
MoneyRate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema(
        {"type": "string", "pattern": _RATE_PATTERN, "description": 'money per time, like "22/h" or "0.5/day"'}
    ),
]
#: A fraction in [0, 1]: ``0.95`` or ``"95%"``.
Fraction = Annotated[
    float,
    BeforeValidator(_fraction),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": r"^\s*[0-9.]+\s*%\s*$"},
            ],
            "description": f"a fraction: {units.PERCENT_FORMS}",
        }
    ),
]
#: Hours after midnight, from ``"HH:MM"``.
ClockTime = Annotated[
    float,
    BeforeValidator(_clock),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\s*([01]?[0-9]|2[0-4]):[0-5][0-9]\s*$", "description": units.CLOCK_FORMS}
    ),
]
#: 0 = Monday ... 6 = Sunday, from ``mon`` ... ``sun``.
Weekday = Annotated[
    int,
    BeforeValidator(_weekday),
    WithJsonSchema({"type": "string", "enum": list(units.WEEKDAYS), "description": "a weekday"}),
]
#: A plain amount of money in the scenario's currency.
Money = Annotated[float, Field(ge=0)]
#: A whole number of units, orders or people, zero or more.
Count = Annotated[int, Field(ge=0)]
