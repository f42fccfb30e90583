"""The points of a sweep, and the work one point is: light enough for a worker to import.

A sweep asks one question many times: *what if the desk had 3 people and the reorder
point were 150? and 4 and 150? and 4 and 200?* Each answer is a **point**: the base
scenario with a few dotted keys changed, a scenario that could have been written by
hand. Points come from

* a **grid** (:func:`grid_points`): every combination of the listed values, the first
  key varying slowest, numbered 0, 1, 2, ... in that order, so that point 7 is the
  same point in every run of the same sweep;
* a **sample** (:func:`sample_points`): a Latin hypercube of ``n`` points over value
  ranges, for spaces too large for a grid. Each key's range is cut into ``n`` equal
  strata and every stratum is used exactly once, so ``n`` points cover every key's whole
  range evenly, which ``n`` independent random draws do not.

A worker runs one point at a time (:func:`run_point`): all its replications, one after
another, with the same seeds as every other point (common random numbers: point 3 and
point 7 meet the same customers, so their difference is the staffing, not the luck).
It returns plain rows; means and intervals are computed by the parent, so a worker never
imports pandas, scipy or matplotlib.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.units import split_quantity

if TYPE_CHECKING:
    from sim.scenario.models import Sample, Scenario

__all__ = ["PointOutcome", "grid_points", "one_line", "run_point", "sample_points"]

# Significant digits kept in sampled decimal values: enough to be exact for a planner,
# few enough that "437.218/day" can be read and typed again.
_DIGITS = 6


# --------------------------------------------------------------------------- grids
def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in key order: the first key varies slowest.

    >>> grid_points({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


# --------------------------------------------------------------------------- samples
def sample_points(sample: Sample) -> list[dict[str, Any]]:
    """A Latin hypercube sample of ``sample.n`` points over ``sample.ranges``.

    For each key, ``[min, max]`` is cut into ``n`` strata of equal width; a random
    permutation gives each point its stratum and a uniform draw its place inside it.
    Whole-number bounds give whole numbers (strata over ``[min, max + 1)``, floored);
    decimal bounds give decimals; quantities with a unit (``"300/day"`` to ``"600/day"``)
    interpolate the number and keep the unit. Raises ValueError for bounds that cannot
    be interpolated, naming the key.
    """
    rng = np.random.default_rng(np.random.SeedSequence(sample.seed))
    n = sample.n
    columns: dict[str, list[Any]] = {}
    for key, bounds in sample.ranges.items():
        low, high, make = _interpolator(key, bounds.min, bounds.max)
        strata = rng.permutation(n)
        u = (strata + rng.random(n)) / n  # one draw inside each stratum of [0, 1)
        columns[key] = [make(low + float(x) * (high - low)) for x in u]
    return [{key: columns[key][i] for key in columns} for i in range(n)]


def _interpolator(key: str, low: Any, high: Any) -> tuple[float, float, Any]:
    """``(low, high, make)``: the numeric range and how to turn a number in it into a value."""
    if _is_int(low) and _is_int(high):
        _check_order(key, low, high)
        # [low, high + 1) floored: every whole number in the range gets an equal share.
        return float(low), float(high) + 1.0, lambda x, top=int(high): min(math.floor(x), top)
    if _is_number(low) and _is_number(high):
        _check_order(key, low, high)
        return float(low), float(high), _round
    if isinstance(low, str) and isinstance(high, str):
        a, b = split_quantity(low), split_quantity(high)
        if a and b and a[1] == b[1]:
            unit = a[1]
            lo, hi = float(a[0]), float(b[0])
            _check_order(key, lo, hi)
            if _is_whole_text(a[0]) and _is_whole_text(b[0]):
                top = int(hi)
                return lo, hi + 1.0, lambda x: f"{min(math.floor(x), top)}{unit}"
            return lo, hi, lambda x: f"{_format(_round(x))}{unit}"
        if a and b:
            raise ValueError(
                f"sample range {key}: min and max must have the same unit "
                f'(got "{low}" and "{high}")'
            )
    raise ValueError(
        f"sample range {key}: expected two numbers or two quantities with the same unit, "
        f'like "300/day" and "600/day" (got {low!r} and {high!r})'
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole_text(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", text) is not None


def _check_order(key: str, low: Any, high: Any) -> None:
    if not low <= high:
        raise ValueError(f"sample range {key}: min must not be above max (got {low} and {high})")


def _round(x: float) -> float:
    """``x`` to :data:`_DIGITS` significant digits, so sampled values read like typed ones."""
    return float(f"{x:.{_DIGITS}g}")


def _format(x: float) -> str:
    """A number as a unit parser reads it: no exponent, no trailing zeros (``437.5``, ``12``)."""
    text = f"{x:.{_DIGITS + 12}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --------------------------------------------------------------------------- one point
PointOutcome = dict[str, Any]
"""What :func:`run_point` returns: ``{"rows", "error", "seconds", "cpu_seconds"}``, and
``"unstable": True`` for an unstable point.

``rows`` are ``[replication, metric, subject, value, unit]`` lists (plain Python values,
cheap to pickle and exact in JSON); ``error`` is the one-line reason a point failed or
is unstable (None when it ran); ``seconds`` and ``cpu_seconds`` are the wall and CPU
time it took."""


def run_point(scenario: Scenario, replications: int, cache: str | None = None) -> PointOutcome:
    """Simulate replications ``0 .. replications-1`` of one point, one after another.

    Never raises for a failing simulation: the error becomes the point's one-line
    ``error`` (the sweep records it and goes on), and the rows are dropped so a half-run
    point is never mistaken for a finished one. A replication whose waiting orders pass
    ``run.max_waiting`` makes the point *unstable*: it stops there, with no rows.
    """
    started, cpu = time.perf_counter(), time.process_time()
    rows: list[list[Any]] = []
    error: str | None = None
    unstable = False
    try:
        from sim.data.store import simulate  # with the orders of replay/resample channels
        from sim.model.build import Unstable

        for replication in range(replications):
            # A sweep keeps no series; ``cache`` is where the orders files were prepared.
            output = simulate(scenario, replication, series=False, cache=cache)
            if output.unstable is not None:
                rows, error, unstable = [], str(Unstable(*output.unstable)), True
                break
            rows.extend(
                [replication, str(metric), str(subject), _plain(value), str(unit)]
                for metric, subject, value, unit in output.metrics
            )
    except Exception as exc:  # noqa: BLE001 - recorded as the point's failure
        rows, error = [], one_line(exc)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    outcome = {"rows": rows, "error": error, "seconds": seconds, "cpu_seconds": cpu_seconds}
    return {**outcome, "unstable": True} if unstable else outcome


def _plain(value: Any) -> float:
    """A metric value as a Python float (numpy scalars and ints too), NaN for None."""
    return float("nan") if value is None else float(value)


def one_line(error: BaseException) -> str:
    """An exception as one line: its message (lines joined by "; "), with its type when useful.

    A :class:`~sim.errors.ScenarioError` is a message for a planner and keeps its words;
    anything else is named by its type (``ZeroDivisionError: division by zero``).
    """
    from sim.errors import ScenarioError  # standard library only: light for a worker

    text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if isinstance(error, ScenarioError) and text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
