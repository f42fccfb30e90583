"""Units: every duration and rate in a scenario says what it is measured in.

A planner writes ``lead_time: 5d`` or ``rate: 400/day``; the model works in one
clock unit, the **hour**. This module turns the written forms into hours (durations,
``y`` being 365 days), events per hour (rates) and money per hour (money rates), and
refuses a bare number where a unit is needed, so that ``lead_time: 5`` (days? hours?)
is never misread. It also reads calendar dates (``2026-01-05``) and compounded growth
(``"8%/year"``, kept as a continuous rate per hour).

Only the standard library is used: configuration must stay light to import.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re

__all__ = [
    "split_quantity",
    "CLOCK_FORMS",
    "DATE_FORMS",
    "DURATION_FORMS",
    "GROWTH_FORMS",
    "PERCENT_FORMS",
    "RATE_FORMS",
    "HOURS_PER",
    "ODD_SPACES",
    "describe",
    "format_duration",
    "format_growth",
    "parse_clock",
    "parse_date",
    "parse_duration",
    "parse_fraction",
    "parse_growth",
    "parse_rate",
    "parse_weekday",
]

#: Hours in one of each accepted time unit (the clock unit of the model is the hour).
HOURS_PER: dict[str, float] = {
    "s": 1 / 3600,
    "min": 1 / 60,
    "h": 1.0,
    "d": 24.0,
    "w": 168.0,
}

# Aliases a planner may reasonably write; the canonical forms are the keys above.
_UNIT_ALIASES: dict[str, str] = {
    "s": "s",
    "sec": "s",
    "second": "s",
    "seconds": "s",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "wk": "w",
    "week": "w",
    "weeks": "w",
    "y": "y",
    "yr": "y",
    "year": "y",
    "years": "y",
}
_HOURS_PER_YEAR = 365 * 24.0

#: Characters that look like a space but are not one, by what to call them in a message.
ODD_SPACES = {
    "\u00a0": "a non-breaking space (U+00A0)",
    "\u202f": "a narrow non-breaking space (U+202F)",
    "\u2007": "a figure space (U+2007)",
    "\u3000": "an ideographic space (U+3000)",
    "\u200b": "a zero-width space (U+200B)",
    "\ufeff": "a zero-width no-break space (U+FEFF)",
}

DURATION_FORMS = '"45s", "15min", "2h", "3d", "1w" or "1y"'
RATE_FORMS = '"400/day", "20/h", "3/min" or "2000/week"'
PERCENT_FORMS = '0.95 or "95%"'
CLOCK_FORMS = '"HH:MM" from "00:00" to "24:00", like "08:00"'
DATE_FORMS = 'a date "YYYY-MM-DD", like 2026-01-05'
GROWTH_FORMS = 'a growth per time like "8%/year" or "-2%/year"'

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]+)\s*$")
_RATE_RE = re.compile(rf"^\s*({_NUMBER})\s*(%?)\s*/\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_GROWTH_RE = re.compile(rf"^\s*({_NUMBER})\s*%\s*/\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")


def _unit_hours(unit: str, *, allow_year: bool) -> float | None:
    canonical = _UNIT_ALIASES.get(unit.lower())
    if canonical is None:
        return None
    if canonical == "y":
        return _HOURS_PER_YEAR if allow_year else None
    return HOURS_PER[canonical]


def _is_plain_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_duration(value: object) -> float:
    """Return the duration written as ``value`` in hours.

    >>> parse_duration("15min")
    0.25
    >>> parse_duration("1.5d")
    36.0
    """
    if _is_plain_number(value):
        raise ValueError(
            f"expected a duration with its unit, like {DURATION_FORMS} (got {value!r})"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like {DURATION_FORMS} (got {describe(value)})")
    match = _DURATION_RE.match(value)
    hours = _unit_hours(match.group(2), allow_year=True) if match else None
    if match is None or hours is None:
        raise ValueError(f"expected a duration like {DURATION_FORMS} (got {value!r})")
    number = float(match.group(1))
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"a duration cannot be negative (got {value!r})")
    return number * hours


def parse_rate(value: object, *, allow_percent: bool = False) -> tuple[float, bool]:
    """Return ``(per_hour, is_percent)`` for a rate like ``"400/day"`` or ``"25%/year"``.

    ``is_percent`` is true for the ``"25%/year"`` form, whose number is a fraction
    (0.25 per year here, returned per hour) of something else, such as a unit cost.
    """
    forms = RATE_FORMS + (' or a percentage like "25%/year"' if allow_percent else "")
    if _is_plain_number(value):
        raise ValueError(f"expected a rate with its time unit, like {forms} (got {value!r})")
    if not isinstance(value, str):
        raise ValueError(f"expected a rate like {forms} (got {describe(value)})")
    match = _RATE_RE.match(value)
    hours = _unit_hours(match.group(4), allow_year=True) if match else None
    if match is None or hours is None or (match.group(2) and not allow_percent):
        raise ValueError(f"expected a rate like {forms} (got {value!r})")
    number = float(match.group(1))
    per = float(match.group(3)) if match.group(3) else 1.0
    if not math.isfinite(number) or number < 0 or per <= 0:
        raise ValueError(f"a rate cannot be negative (got {value!r})")
    is_percent = bool(match.group(2))
    if is_percent:
        number /= 100.0
    return number / (per * hours), is_percent


def parse_fraction(value: object) -> float:
    """Return a fraction in [0, 1] written as ``0.95`` or ``"95%"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction like {PERCENT_FORMS} (got {value!r})")
    if _is_plain_number(value):
        number = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise ValueError(f"expected a fraction like {PERCENT_FORMS} (got {value!r})") from None
    else:
        raise ValueError(f"expected a fraction like {PERCENT_FORMS} (got {describe(value)})")
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"expected a fraction between 0 and 1 (0% and 100%) (got {value!r})")
    return number


def parse_clock(value: object) -> float:
    """Return hours after midnight for a clock time ``"HH:MM"`` (``"24:00"`` is 24.0)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a clock time {CLOCK_FORMS} (got {describe(value)})")
    match = _CLOCK_RE.match(value)
    if match is None:
        raise ValueError(f"expected a clock time {CLOCK_FORMS} (got {value!r})")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"expected a clock time {CLOCK_FORMS} (got {value!r})")
    return hours + minutes / 60.0


def parse_date(value: object) -> _dt.date:
    """Return the calendar date written ``"YYYY-MM-DD"`` (a ``datetime.date`` passes as is).

    >>> parse_date("2026-01-05")
    datetime.date(2026, 1, 5)
    """
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    match = _DATE_RE.match(value) if isinstance(value, str) else None
    if match is None:
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise ValueError(f"expected {DATE_FORMS} (got {shown})")
    try:
        return _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"no such date: {value!r} ({DATE_FORMS})") from None


def parse_growth(value: object) -> float:
    """Return a compounded growth like ``"8%/year"`` as a continuous rate per hour.

    A rate that grows by ``g`` per period ``p``, compounded, is multiplied by
    ``(1 + g) ** (t / p)`` after ``t``: ``exp(parse_growth(value) * t)`` with ``t`` in hours.

    >>> round(parse_growth("8%/year") * 365 * 24, 6)  # ln(1.08)
    0.076961
    """
    if _is_plain_number(value):
        raise ValueError(f"expected {GROWTH_FORMS}: a percentage and its time unit (got {value!r})")
    match = _GROWTH_RE.match(value) if isinstance(value, str) else None
    hours = _unit_hours(match.group(3), allow_year=True) if match else None
    if match is None or hours is None:
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise ValueError(f"expected {GROWTH_FORMS} (got {shown})")
    fraction = float(match.group(1)) / 100.0
    per = float(match.group(2)) if match.group(2) else 1.0
    if not math.isfinite(fraction) or per <= 0:
        raise ValueError(f"expected {GROWTH_FORMS} (got {value!r})")
    if fraction <= -1.0:
        raise ValueError(f"a decline of 100% or more leaves nothing to decline (got {value!r})")
    return math.log1p(fraction) / (per * hours)


def format_growth(per_hour: float) -> str:
    """A continuous growth rate per hour written back as a compounded percentage per year.

    >>> format_growth(parse_growth("8%/year"))
    '8%/year'
    """
    percent = math.expm1(per_hour * _HOURS_PER_YEAR) * 100.0
    return f"{round(percent, 6):g}%/year"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    full: i
    for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}


def parse_weekday(value: object) -> int:
    """Return 0 for Monday ... 6 for Sunday."""
    if isinstance(value, str) and value.strip().lower() in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[value.strip().lower()]
    hint = ""
    if isinstance(value, str):
        close = difflib.get_close_matches(value.strip().lower(), list(_WEEKDAY_ALIASES), n=1)
        hint = f' (did you mean "{WEEKDAYS[_WEEKDAY_ALIASES[close[0]]]}"?)' if close else ""
    raise ValueError(
        f"expected a weekday: one of {', '.join(WEEKDAYS)} (got {describe(value)}){hint}"
    )


def format_duration(hours: float) -> str:
    """Render hours in the largest unit that keeps the number readable: ``36.0 -> "1.5d"``."""
    for unit in ("w", "d", "h", "min", "s"):
        value = hours / HOURS_PER[unit]
        # Prefer a unit that gives a short, exact-looking number ("100d", not "14.2857w").
        if unit == "s" or (abs(value) >= 1 and abs(value * 100 - round(value * 100)) < 1e-9):
            return f"{value:g}{unit}"
    raise AssertionError("unreachable")


def describe(value: object) -> str:
    """A value as an error message shows what it got: ``a mapping``, ``a list``, ``nothing``,
    ``true``/``false`` (as YAML writes them) or the value's repr."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


# A number followed by a unit: "300/day", "2.5h", "95%", "1e3/week".
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")


def split_quantity(text: str) -> tuple[str, str] | None:
    """A quantity as its number and its unit, or None when it does not start with a number.

    >>> split_quantity("300/day"), split_quantity("2.5"), split_quantity("fast")
    (('300', '/day'), ('2.5', ''), None)
    """
    match = _QUANTITY.match(text)
    return None if match is None else (match.group(1), match.group(2) or "")
