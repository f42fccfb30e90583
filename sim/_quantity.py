"""A quantity as written in a scenario: a number followed by its unit (``"300/day"``).

Sweeps interpolate sampled quantities (:mod:`sim.experiment.sweep.points`) and their
figures place swept quantities on an axis (:mod:`sim.output.sweep_plots`); both read
them with :func:`split_quantity`. Only the standard library is used.
"""

from __future__ import annotations

import re

__all__ = ["split_quantity"]

# A number followed by a unit: "300/day", "2.5h", "95%", "1e3/week".
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")


def split_quantity(text: str) -> tuple[str, str] | None:
    """A quantity as its number and its unit, or None when it does not start with a number.

    >>> split_quantity("300/day"), split_quantity("2.5"), split_quantity("fast")
    (('300', '/day'), ('2.5', ''), None)
    """
    match = _QUANTITY.match(text)
    return None if match is None else (match.group(1), match.group(2) or "")
