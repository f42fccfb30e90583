"""Field types shared by every part of a scenario.

Each type is a float or int on the Python side (hours, per-hour rates, fractions),
parsed from the unit-carrying forms of the scenario format by :mod:`sim.scenario.units`, and
each publishes a JSON Schema that editors can use to check a file as it is typed.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NoReturn, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.scenario import units

__all__ = [
    "ClockTime",
    "Count",
    "Date",
    "Duration",
    "Fraction",
    "FrozenDict",
    "FrozenList",
    "Growth",
    "Money",
    "MoneyRate",
    "PositiveDuration",
    "Rate",
    "StrictModel",
    "Weekday",
    "frozen",
    "tag_of",
]

_K = TypeVar("_K")
_V = TypeVar("_V")
_T = TypeVar("_T")

_CHANGE_IT = "use scenario.with_changes({...}) for a changed copy"


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"a scenario cannot be changed in place: {_CHANGE_IT}")


class FrozenDict(dict[_K, _V]):
    """A ``dict`` that cannot be changed: every mapping inside a validated scenario.

    It reads, compares, pickles and serialises as a dict; ``dict(d)`` is a copy of
    your own to change.
    """

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict[_K, _V]], tuple[dict[_K, _V]]]:
        return (type(self), (dict(self),))  # rebuilt whole: pickle would set item by item


class FrozenList(list[_T]):
    """A ``list`` that cannot be changed: every list inside a validated scenario.

    It reads, compares, pickles and serialises as a list; ``list(x)`` is a copy of
    your own to change.
    """

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __reduce__(self) -> tuple[type[FrozenList[_T]], tuple[list[_T]]]:
        return (type(self), (list(self),))


def frozen(value: Any) -> Any:
    """``value`` with every dict and list in it, at any depth, made read-only."""
    if isinstance(value, dict) and not isinstance(value, FrozenDict):
        return FrozenDict({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list) and not isinstance(value, FrozenList):
        return FrozenList(frozen(item) for item in value)
    return value  # scalars, frozen models, and containers already frozen (so are their items)


class StrictModel(BaseModel):
    """Base of every scenario section: unknown keys are errors and "3" is not 3.

    Sections are frozen all the way down: fields cannot be set, the dicts and lists in
    them are :class:`FrozenDict` and :class:`FrozenList`, and ``model_copy(update=...)``,
    which would skip validation, is refused (see :class:`sim.scenario.models.Scenario`).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    def model_post_init(self, context: Any, /) -> None:
        """Make every dict and list of the new section read-only."""
        for name in type(self).model_fields:
            value = self.__dict__[name]
            read_only = frozen(value)
            if read_only is not value:
                self.__dict__[name] = read_only

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; ``update`` is refused, as it would skip validation."""
        if update:
            raise TypeError(
                f"{type(self).__name__}.model_copy(update=...) would skip validation: {_CHANGE_IT}"
            )
        return super().model_copy(deep=deep)


def tag_of(key: str) -> Callable[[Any], str | None]:
    """A discriminator for a tagged union: the text under ``key`` of a mapping or a model.

    ``Discriminator(tag_of("dist"))`` picks the member of a distribution union from
    ``{"dist": "gamma", ...}`` (or from a validated ``Gamma``); None, when there is no
    such text, makes pydantic report the union's own error message.
    """

    def tag(value: Any) -> str | None:
        found = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return found if isinstance(found, str) else None

    return tag


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


def _date(value: Any) -> Any:
    return units.parse_date(value)


def _growth(value: Any) -> Any:
    return units.parse_growth(value)


def _any_case(word: str) -> str:
    """A regex for ``word`` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# The JSON Schema patterns accept exactly the forms :mod:`sim.scenario.units` parses (any case,
# every unit alias), so that an editor never flags a file that would load.
_UNIT_PATTERN = (
    "("
    + "|".join(_any_case(unit) for unit in sorted(units._UNIT_ALIASES, key=lambda u: (-len(u), u)))
    + ")"
)
_NUMBER_PATTERN = r"\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DURATION_PATTERN = rf"^\s*{_NUMBER_PATTERN}\s*{_UNIT_PATTERN}\s*$"
_RATE_PATTERN = rf"^\s*{_NUMBER_PATTERN}\s*/\s*({_NUMBER_PATTERN}\s*)?{_UNIT_PATTERN}\s*$"
#: A rate that may also be a percentage per time (``"25%/year"``), as in ``holding_cost``.
_PERCENT_RATE_PATTERN = (
    rf"^\s*{_NUMBER_PATTERN}\s*%?\s*/\s*({_NUMBER_PATTERN}\s*)?{_UNIT_PATTERN}\s*$"
)
_PERCENT_PATTERN = r"^\s*\+?(100(\.0*)?|[0-9]{1,2}(\.[0-9]*)?|\.[0-9]+)\s*%\s*$"
_CLOCK_PATTERN = r"^\s*(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)\s*$"
_DATE_PATTERN = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\s*$"
_GROWTH_PATTERN = (
    rf"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*%\s*/\s*"
    rf"({_NUMBER_PATTERN}\s*)?{_UNIT_PATTERN}\s*$"
)
_WEEKDAY_PATTERN = (
    "^\\s*("
    + "|".join(_any_case(day) for day in sorted(units._WEEKDAY_ALIASES, key=lambda d: (-len(d), d)))
    + ")\\s*$"
)


def _string_schema(pattern: str, description: str, examples: list[str]) -> dict[str, Any]:
    # ``patternErrorMessage`` is read by the VS Code YAML extension instead of the regex.
    return {
        "type": "string",
        "pattern": pattern,
        "description": description,
        "examples": examples,
        "patternErrorMessage": f"expected {description}",
    }


#: A length of time, in hours once parsed: ``"45s"``, ``"15min"``, ``"2h"``, ``"3d"``, ``"1w"``.
Duration = Annotated[
    float,
    BeforeValidator(_duration),
    WithJsonSchema(
        _string_schema(
            _DURATION_PATTERN, f"a duration like {units.DURATION_FORMS}", ["15min", "2h", "3d"]
        )
    ),
]
#: A duration that must be longer than zero.
PositiveDuration = Annotated[
    float,
    BeforeValidator(_positive_duration),
    WithJsonSchema(
        _string_schema(
            _DURATION_PATTERN,
            f"a duration longer than zero, like {units.DURATION_FORMS}",
            ["15min", "2h", "3d"],
        )
    ),
]
#: Events per hour once parsed: ``"400/day"``, ``"20/h"``.
Rate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema(
        _string_schema(_RATE_PATTERN, f"a rate like {units.RATE_FORMS}", ["400/day", "20/h"])
    ),
]
#: Money per hour once parsed: ``"22/h"`` per staff hour, ``"0.5/day"`` per unit.
MoneyRate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema(
        _string_schema(
            _RATE_PATTERN, 'money per time, like "22/h" or "0.5/day"', ["22/h", "0.5/day"]
        )
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
                {"type": "string", "pattern": _PERCENT_PATTERN},
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
        _string_schema(_CLOCK_PATTERN, f"a clock time {units.CLOCK_FORMS}", ["08:00", "16:00"])
    ),
]
#: 0 = Monday ... 6 = Sunday, from ``mon`` ... ``sun``.
Weekday = Annotated[
    int,
    BeforeValidator(_weekday),
    WithJsonSchema(
        _string_schema(
            _WEEKDAY_PATTERN,
            "a weekday: " + ", ".join(units.WEEKDAYS) + " (or the full name)",
            list(units.WEEKDAYS),
        )
    ),
]
#: A calendar date, from ``"YYYY-MM-DD"``.
Date = Annotated[
    _dt.date,
    BeforeValidator(_date),
    WithJsonSchema(_string_schema(_DATE_PATTERN, units.DATE_FORMS, ["2026-01-05"])),
]
#: A compounded growth, ``"8%/year"``, as a continuous rate per hour once parsed
#: (the factor after ``t`` hours is ``exp(growth * t)``).
Growth = Annotated[
    float,
    BeforeValidator(_growth),
    WithJsonSchema(
        _string_schema(_GROWTH_PATTERN, units.GROWTH_FORMS, ["8%/year", "-2%/year"])
    ),
]
#: A plain amount of money in the scenario's currency.
Money = Annotated[float, Field(ge=0)]
#: A whole number of units, orders or people, zero or more.
Count = Annotated[int, Field(ge=0)]
