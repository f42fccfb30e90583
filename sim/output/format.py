"""How numbers and names read: the one place that decides, for tables, figures and folders.

A planner sees the same quantity in the terminal table, on a bar of a figure and in the
listing beside a sweep's frontier; it should read the same way in all three. These are
pure functions of their arguments (standard library only), so the table code
(:mod:`~sim.output.report`), the figure code (:mod:`~sim.output.plots`,
:mod:`~sim.output.sweep_plots`) and the command line share them without importing one
another.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "decimals",
    "folder_name",
    "format_interval",
    "money",
    "money_short",
    "number",
    "plural",
    "thousands",
]


def decimals(value: float, half: float) -> int:
    """Decimals that show two significant digits of the half-width (or three of the value).

    >>> decimals(301.4, 19.2), decimals(0.4567, float("nan"))
    (0, 3)
    """
    if math.isfinite(half) and half > 0:
        scale, significant = half, 2
    elif math.isfinite(value) and value != 0:
        scale, significant = abs(value), 3
    else:
        return 0
    return min(max(significant - 1 - math.floor(math.log10(scale)), 0), 4)


def number(value: float, places: int, sign: bool = False) -> str:
    """``value`` with thousands separators and ``places`` decimals; ``"n/a"`` if not finite.

    >>> number(12345.678, 1), number(2.5, 1, sign=True), number(float("nan"), 2)
    ('12,345.7', '+2.5', 'n/a')
    """
    if not math.isfinite(value):
        return "n/a"
    return f"{value:{'+' if sign else ''},.{places}f}"


def format_interval(
    mean: float, low: float, high: float, percent: bool = False, sign: bool = False
) -> str:
    """``"301 ± 19"``: a mean and the half-width of its interval, to two significant digits
    of the half-width; fractions ×100 when ``percent``; ``"+2.4 ± 0.9"`` when ``sign``.

    >>> format_interval(301.4, 282.2, 320.6)
    '301 ± 19'
    """
    scale = 100.0 if percent else 1.0
    mean, half = mean * scale, (high - low) / 2 * scale
    if math.isfinite(half) and half <= 1e-9 * abs(mean):
        half = 0.0  # equal values, up to rounding: no spread at all
    places = decimals(mean, half)
    text = number(mean, places, sign)
    if half == 0:
        text += " ± 0"
    elif math.isfinite(half):
        text += f" ± {number(half, places)}"
    return text


def money(value: float) -> str:
    """An amount in full, to the unit from 100 up (``"12,345"``), else to the cent (``"4.50"``).

    >>> money(12345.4), money(4.5), money(0.0), money(float("nan"))
    ('12,345', '4.50', '0', 'n/a')
    """
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:,.2f}"


def money_short(value: float) -> str:
    """An amount in three significant digits with k, M or bn, for crowded figures; ``""`` if
    not finite.

    >>> money_short(1234567.0), money_short(950.0), money_short(float("nan"))
    ('1.23M', '950', '')
    """
    if not math.isfinite(value):
        return ""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def thousands(value: float) -> str:
    """A whole number with thousands separators, as on a money axis: ``"250,000"``."""
    return f"{value:,.0f}"


def plural(n: int, noun: str) -> str:
    """``"1 replication"``, ``"3 replications"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def folder_name(name: str, suffix: str = "") -> str:
    """A scenario name as a folder name (letters, digits, ``.``, ``_``, ``-``), plus ``suffix``
    unless the name already ends with it: ``"shop"`` → ``"shop-sweep"``, and
    ``"shop-sweep"`` stays ``"shop-sweep"``."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"
    return safe if not suffix or safe.endswith(suffix) else safe + suffix
