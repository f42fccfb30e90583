"""Figures of a sweep: how throughput, money and service move across the points.

The money measure is operating income when the business sells something, else
operating cost (:meth:`SweepResults.objective_metric`); the service measure is the
service level, which counts every customer who left unserved.

* one swept key: throughput, operating income (or cost) and service level against the
  key, each with its confidence band (``sweep_metrics``);
* two swept keys: heat maps of operating income (or cost) and service level over the
  grid, the Pareto points outlined (``sweep_heatmaps``);
* always: every point's operating income (or cost) against its service level, the
  Pareto frontier (the points no other point beats on both, by paired differences
  beyond noise) joined and labelled with its values, and the points beaten on the means
  only (within noise of the frontier) greyed with an orange edge (``sweep_pareto``);
* a sample, or a grid over three or more keys: each headline metric against each key
  (``sweep_keys``).

matplotlib is imported by the functions, never at module import; every figure is closed
after it is drawn and returned (a notebook shows it once); the library never chooses a
backend (the command line selects Agg).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sim.output.format import money_short, plural
from sim.scenario.units import split_quantity

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.experiment.sweep.runner import SweepResults

__all__ = [
    "heatmap_figure",
    "key_figure",
    "metrics_figure",
    "pareto_figure",
    "sweep_figures",
    "write_figures",
]

_LABELS = {
    "throughput_per_day": "Throughput (orders/day)",
    "service_level": "Service level",
    "on_time_rate": "On-time rate",
    "fill_rate": "Fill rate",
    "operating_income": "Operating income",
    "operating_cost": "Operating cost",
    "cost_total": "Total cost",
}
_COLOURS = {
    "throughput_per_day": "tab:blue",
    "operating_income": "tab:purple",
    "operating_cost": "tab:red",
    "cost_total": "tab:red",
    "service_level": "tab:green",
    "on_time_rate": "tab:green",
    "fill_rate": "tab:green",
}
_RATES = ("service_level", "on_time_rate", "fill_rate")
_MONEY = ("operating_income", "operating_cost", "cost_total")
_FRONTIER = "tab:orange"


def sweep_figures(results: SweepResults) -> dict[str, Figure]:
    """Every figure that fits the sweep, by file stem (``sweep_pareto``, ...)."""
    figures: dict[str, Figure] = {}
    if results.headline().empty:
        return figures  # no point succeeded: nothing to draw
    keys = results.keys
    if results.kind == "grid" and len(keys) == 1:
        figures["sweep_metrics"] = metrics_figure(results)
    elif results.kind == "grid" and len(keys) == 2:
        figures["sweep_heatmaps"] = heatmap_figure(results)
    else:
        figures["sweep_keys"] = key_figure(results)
    figures["sweep_pareto"] = pareto_figure(results)
    return figures


def write_figures(results: SweepResults, out: str | os.PathLike[str]) -> dict[str, bytes]:
    """Save :func:`sweep_figures` as ``out/<name>.png`` (byte-reproducible); return the PNGs
    by file name."""
    from sim._files import atomic_write
    from sim.output.plots import png_bytes

    pngs = {f"{name}.png": png_bytes(figure) for name, figure in sweep_figures(results).items()}
    for name, png in pngs.items():
        atomic_write(os.path.join(os.fspath(out), name), png)  # never a half-drawn file
    return pngs


# --------------------------------------------------------------------------- helpers
def _metrics(results: SweepResults) -> list[str]:
    return ["throughput_per_day", results.objective_metric(), results.service_metric()]


def _higher_is_better(metric: str) -> bool:
    return metric not in ("operating_cost", "cost_total")


def _label(results: SweepResults, metric: str) -> str:
    text = _LABELS.get(metric, metric)
    return f"{text} ({results.currency})" if metric in _MONEY else text


def _format_axis(ax: Axes, metric: str, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    if metric in _RATES:
        target.set_major_formatter(PercentFormatter(1.0))
    elif metric in _MONEY:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: money_short(v)))


def _bounds(metric: str, values: Any) -> Any:
    """Interval ends kept where the metric can be: a rate between 0 and 1.

    A t interval from two or three replications can reach below 0% or above 100%; drawn
    as is, it would stretch the axis and squash every point into a line.
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    return np.clip(values, 0.0, 1.0) if metric in _RATES else values


def _limits(values: Any, margin: float = 0.08, right: float = 0.08) -> tuple[float, float]:
    """Axis limits around ``values`` with margins (a single value gets one of its own)."""
    low, high = float(min(values)), float(max(values))
    span = (high - low) or abs(high) * 0.1 or 1.0
    return low - span * margin, high + span * right


def _cell_text(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "failed"
    if metric in _RATES:
        return f"{value:.1%}"
    return money_short(value) if metric in _MONEY else f"{value:.3g}"


def _short_names(results: SweepResults) -> dict[str, str]:
    """A short readable name per swept key (``"pickers shift 1"``); the dotted path where
    two would read the same."""
    names = {key: axis_label(results, key, short=True) for key in results.keys}
    if len(set(names.values())) < len(names):
        return {key: key for key in results.keys}
    return names


def _numeric(values: Sequence[Any]) -> tuple[list[float], str] | None:
    """Values as numbers on one axis (with their common unit), or None when they are not."""
    numbers, units = [], set()
    for value in values:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            numbers.append(float(value))
            units.add("")
            continue
        quantity = split_quantity(value) if isinstance(value, str) else None
        if quantity is None:
            return None
        numbers.append(float(quantity[0]))
        units.add(quantity[1])
    return (numbers, units.pop()) if len(units) == 1 else None


def _axis_values(values: Sequence[Any]) -> tuple[list[float], str, list[str] | None]:
    """``(positions, unit, tick labels)``: numbers where they are numbers, else categories."""
    numeric = _numeric(values)
    if numeric is not None:
        return numeric[0], numeric[1], None
    labels = list(dict.fromkeys(str(v) for v in values))
    return [float(labels.index(str(v))) for v in values], "", labels


def _key_axis(
    ax: Axes,
    key: str,
    values: Sequence[Any],
    unit: str,
    ticks: list[str] | None,
    results: SweepResults | None = None,
) -> None:
    """Label the x axis with the key; whole-number keys get whole-number ticks."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(_key_label(key, unit, results))
    if ticks is not None:
        ax.set_xticks(range(len(ticks)), ticks)
    elif all(isinstance(v, int) for v in values):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _key_label(key: str, unit: str, results: SweepResults | None = None) -> str:
    label = axis_label(results, key) if results is not None else key
    return f"{label} ({unit})" if unit else label


_POLICY_WORDS = {
    "s": "reorder point s",
    "S": "order-up-to level S",
    "r": "reorder point r",
    "Q": "order quantity Q",
    "review": "review period",
}
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekdays(days: Any) -> str:
    """``["mon", ..., "fri"]`` → ``"Mon-Fri"``; days that do not follow on are listed."""
    if not isinstance(days, list) or not all(d in _WEEK for d in days):
        return "every day" if days is None else str(days)
    index = sorted(_WEEK.index(d) for d in days)
    if len(index) == 7:
        return "every day"
    if len(index) > 2 and index == list(range(index[0], index[-1] + 1)):
        return f"{_WEEK[index[0]].capitalize()}-{_WEEK[index[-1]].capitalize()}"
    return ", ".join(_WEEK[i].capitalize() for i in index)


def _step(data: Any, part: str) -> Any:
    if isinstance(data, dict):
        return data.get(part)
    if isinstance(data, list) and part.isdigit() and int(part) < len(data):
        return data[int(part)]
    return None


def describe_key(raw: Any, key: str) -> tuple[str, str]:
    """A swept key as a planner reads it: ``(long, short)`` labels.

    ``raw`` is the scenario's data (:attr:`Scenario.raw`), used to say which shift an
    index means.

    >>> shop = {"staff": {"pickers": {"shifts": [
    ...     {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "14:00"}]}}}
    >>> describe_key(shop, "staff.pickers.shifts.0.headcount")
    ('pickers, shift 1 (Mon-Fri 06:00-14:00)', 'pickers shift 1')
    >>> describe_key({}, "products.grinder.policy.s")
    ('grinder, reorder point s', 'grinder s')
    """
    parts = key.split(".")
    words = [p.replace("_", " ") for p in parts]
    if len(parts) == 5 and parts[0] == "staff" and parts[2] == "shifts" and parts[3].isdigit():
        number = int(parts[3]) + 1
        shift = _step(_step(_step(_step(raw, "staff"), parts[1]), "shifts"), parts[3])
        when = ""
        if isinstance(shift, dict) and "start" in shift and "end" in shift:
            when = f" ({_weekdays(shift.get('days'))} {shift['start']}-{shift['end']})"
        what = "" if parts[4] == "headcount" else f", {words[4]}"
        return f"{parts[1]}, shift {number}{when}{what}", f"{parts[1]} shift {number}{what}"
    if len(parts) == 4 and parts[0] == "products" and parts[2] == "policy":
        return f"{parts[1]}, {_POLICY_WORDS.get(parts[3], words[3])}", f"{parts[1]} {parts[3]}"
    if len(parts) == 3 and parts[0] in ("staff", "products", "suppliers", "channels"):
        return f"{parts[1]}, {words[2]}", f"{parts[1]} {words[2]}"
    if len(parts) >= 2:
        tail = [w for w in words if not w.isdigit()][-2:]
        return ", ".join(tail), " ".join(tail)
    return words[0], words[0]


def axis_label(results: SweepResults | None, key: str, short: bool = False) -> str:
    """The readable label of a swept key (see :func:`describe_key`)."""
    raw = results.plan.base.raw if results is not None else {}
    long, brief = describe_key(raw, key)
    return brief if short else long


def _path_note(fig: Figure, keys: Sequence[str]) -> None:
    """The dotted paths of the swept keys, in small print at the bottom of the figure."""
    # As the figure's x label, so that the constrained layout makes room for it.
    fig.supxlabel("swept keys: " + ";  ".join(keys), fontsize=7, color="0.4")


def _point_label(results: SweepResults, row: pd.Series, names: dict[str, str]) -> str:
    return ", ".join(f"{names[key]}={row[key]}" for key in results.keys)


def _subtitle(results: SweepResults) -> str:
    points = plural(len(results.plan.points), "point")
    replications = plural(results.plan.replications, "replication")
    return f"{points}, {replications} each; bands: {results.confidence:.0%} CI"


# --------------------------------------------------------------------------- one key
def metrics_figure(results: SweepResults) -> Figure:
    """Throughput, operating income (or cost) and service level against the one swept key,
    with CI bands."""
    import matplotlib.pyplot as plt

    key = results.keys[0]
    table = results.headline()
    x, unit, ticks = _axis_values(list(table[key]))
    order = sorted(range(len(x)), key=lambda i: x[i])
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    for ax, metric in zip(axes, _metrics(results)):
        if f"{metric}_mean" not in table:
            ax.set_visible(False)
            continue
        xs = [x[i] for i in order]
        colour = _COLOURS[metric]
        mean = table[f"{metric}_mean"].to_numpy(dtype=float)[order]
        low = _bounds(metric, table[f"{metric}_low"].to_numpy(dtype=float)[order])
        high = _bounds(metric, table[f"{metric}_high"].to_numpy(dtype=float)[order])
        ax.fill_between(xs, low, high, color=colour, alpha=0.2, linewidth=0, label="CI")
        ax.plot(xs, mean, marker="o", color=colour, label="mean")
        ax.set_title(_label(results, metric))
        _key_axis(ax, key, list(table[key]), unit, ticks, results)
        _format_axis(ax, metric)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{results.name}: sweep of {axis_label(results, key)} ({_subtitle(results)})")
    _path_note(fig, results.keys)
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- two keys
def heatmap_figure(results: SweepResults) -> Figure:
    """Heat maps of operating income (or cost) and service level over a two-key grid; Pareto
    points outlined."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    row_key, col_key = results.keys
    points = results.points()
    rows = list(dict.fromkeys(points[row_key]))
    cols = list(dict.fromkeys(points[col_key]))
    table = results.headline().set_index("point")
    objective, service = results.objective_metric(), results.service_metric()
    found = results.frontier(objective, service)
    frontier = set(found.loc[~found["within_noise"], "point"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.75 * len(rows) + 3.4), layout="constrained")
    # viridis: colour-blind safe and lighter where better (reversed for a cost).
    maps = ("viridis" if _higher_is_better(objective) else "viridis_r", "viridis")
    for ax, metric, cmap in zip(axes, (objective, service), maps):
        grid = np.full((len(rows), len(cols)), np.nan)
        half = np.full((len(rows), len(cols)), np.nan)
        for _, point in points.iterrows():
            p = int(point["point"])
            if p in table.index and f"{metric}_mean" in table:
                at = rows.index(point[row_key]), cols.index(point[col_key])
                grid[at] = table.at[p, f"{metric}_mean"]
                half[at] = (table.at[p, f"{metric}_high"] - table.at[p, f"{metric}_low"]) / 2
        finite = grid[np.isfinite(grid)]
        # The scale spans the data, so that differences show; each cell says its value
        # and the half-width of its interval, so that noise is not read as a difference.
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if high <= low:
            low, high = low - (abs(low) * 0.01 or 0.01), high + (abs(high) * 0.01 or 0.01)
        colours = plt.get_cmap(cmap).with_extremes(bad="lightgrey")  # grey: a failed point
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=colours, aspect="auto",
                          origin="lower", vmin=low, vmax=high)  # fmt: skip
        colourbar = fig.colorbar(image, ax=ax, shrink=0.9)
        colourbar.set_label(_label(results, metric) + " (scale: lowest to highest point)")
        _format_axis(colourbar.ax, metric)
        for (i, j), value in np.ndenumerate(grid):
            shade = float(image.norm(value)) if math.isfinite(value) else 0.9
            if cmap == "viridis_r":
                shade = 1.0 - shade
            text = _cell_text(metric, value)
            if math.isfinite(half[i, j]):
                width = float(half[i, j])
                text += "\n±" + (f"{width:.1%}" if metric in _RATES else money_short(width))
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shade < 0.55 else "black")  # fmt: skip
        for _, point in points.iterrows():
            if int(point["point"]) in frontier:
                i, j = rows.index(point[row_key]), cols.index(point[col_key])
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#d55e00",
                                       linewidth=2.6))  # fmt: skip
        ax.set_xticks(range(len(cols)), [str(c) for c in cols])
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.set_xlabel(axis_label(results, col_key))
        ax.set_ylabel(axis_label(results, row_key))
        ax.set_title(_label(results, metric) + " (mean, ± CI half-width)")
    fig.suptitle(
        f"{results.name}: {_subtitle(results).split(';')[0]}; "
        "outlined: Pareto frontier (no point better on both)"
    )
    _path_note(fig, results.keys)
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- any sweep
def pareto_figure(results: SweepResults) -> Figure:
    """Every point's operating income (or cost) against its service level; the Pareto
    frontier marked and listed.

    Frontier points carry their number on the plot; a panel beside it lists them,
    best first, with their values, money measure and service level.
    """
    import matplotlib.pyplot as plt

    objective, service = results.objective_metric(), results.service_metric()
    x_col, y_col = f"{objective}_mean", f"{service}_mean"
    table = results.headline()
    fig, (ax, side) = plt.subplots(
        1, 2, figsize=(14, 7), layout="constrained", gridspec_kw={"width_ratios": [2.4, 1]}
    )
    side.axis("off")
    if x_col not in table or y_col not in table:
        ax.text(
            0.5, 0.5, f"no {objective} or {service} measured", ha="center",
            transform=ax.transAxes,
        )  # fmt: skip
        plt.close(fig)
        return fig
    table = table.dropna(subset=[x_col, y_col])
    frontier = results.frontier(objective, service)
    noise = frontier[frontier["within_noise"]]
    frontier = frontier[~frontier["within_noise"]]
    on_frontier = table["point"].isin(set(frontier["point"]))
    noisy = table["point"].isin(set(noise["point"]))
    rest = table[~on_frontier & ~noisy]
    if len(rest):
        ax.scatter(
            rest[x_col],
            rest[y_col],
            s=28,
            color="tab:grey",
            alpha=0.6,
            label=f"beaten beyond noise ({len(rest)})",
            zorder=2,
        )
    if noisy.any():
        ax.scatter(
            table.loc[noisy, x_col],
            table.loc[noisy, y_col],
            s=48,
            facecolors="lightgrey",
            edgecolors=_FRONTIER,
            linewidths=1.2,
            label=f"beaten on the means only: within noise of the frontier ({int(noisy.sum())})",
            zorder=3,
        )
    best = table[on_frontier].set_index("point").loc[frontier["point"]]
    ax.plot(
        best[x_col],
        best[y_col],
        "-o",
        color=_FRONTIER,
        markersize=8,
        markeredgecolor="black",
        label=f"Pareto frontier ({len(best)})",
        zorder=4,
    )
    for n, (point, row) in enumerate(best.iterrows()):
        # Values in key order, as in the listing: "#18 (3, 340)"; only the number when
        # there are so many keys or points that the labels would bury the plot.
        values = ", ".join(str(row[key]) for key in results.keys)
        short = len(results.keys) <= 3 and len(best) <= 30
        ax.annotate(
            f"#{point} ({values})" if short else f"#{point}",
            (row[x_col], row[y_col]),
            fontsize=8,
            zorder=5,
            xytext=(7, -12 if n % 2 else 5),
            textcoords="offset points",
        )
    # The points set the axes (with room for the labels).
    ax.set_xlim(*_limits(table[x_col], right=0.22))
    ax.set_ylim(*_limits(table[y_col]))
    better = (
        ": higher is better \u2192 right"
        if _higher_is_better(objective)
        else ": lower is better \u2192 left"
    )
    ax.set_xlabel(_label(results, objective) + better)
    ax.set_ylabel(_label(results, service) + ": higher is better \u2192 up")
    _format_axis(ax, objective, "x")
    _format_axis(ax, service, "y")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    money = _LABELS.get(objective, objective).lower()
    ax.set_title(
        f"{money.capitalize()} against service: {_subtitle(results).split(';')[0]} (means)",
        fontsize=10,
    )
    names = ", ".join(_short_names(results).values())
    order = "highest" if _higher_is_better(objective) else "lowest"
    side.set_title(
        f"Pareto frontier, {order} {money} first\nlabels: #point ({names})",
        fontsize=10,
        loc="left",
    )
    side.text(
        0,
        1,
        _frontier_listing(results, best, objective, service),
        family="monospace",
        fontsize=8,
        va="top",
        ha="left",
        transform=side.transAxes,
    )
    fig.suptitle(
        f"{results.name}: no point on the frontier is beaten on both {money} and service level "
        "(paired differences on common random numbers, beyond noise)"
    )
    plt.close(fig)
    return fig


def _frontier_listing(
    results: SweepResults, best: pd.DataFrame, objective: str, service: str, limit: int = 40
) -> str:
    """The frontier as aligned text: number, values, money and service with CI half-widths.

    The intervals live here rather than as error bars on the plot: from a few
    replications they are often wider than the whole cloud of points.
    """
    names = _short_names(results)
    money = "income" if objective == "operating_income" else "cost"
    rows = [("point", "values", money, "\u00b1", _LABELS.get(service, service).lower(), "\u00b1")]
    for point, row in best.iterrows():
        money_half = (row[f"{objective}_high"] - row[f"{objective}_low"]) / 2
        level_half = (row[f"{service}_high"] - row[f"{service}_low"]) / 2
        rows.append(
            (
                f"#{point}",
                _point_label(results, row, names),
                money_short(row[f"{objective}_mean"]),
                money_short(money_half),
                f"{row[f'{service}_mean']:.2%}",
                f"{level_half:.2%}" if math.isfinite(level_half) else "",
            )
        )
    shown = rows[: limit + 1]
    widths = [max(len(line[i]) for line in shown) for i in range(6)]
    text = [
        "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        )
        for line in shown
    ]
    if len(rows) - 1 > limit:
        text.append(f"... and {len(rows) - 1 - limit} more (SweepResults.frontier())")
    text += [
        "",
        f"\u00b1: half-width of the {results.confidence:.0%} confidence interval.",
        "Neighbours within each other's intervals may",
        "differ by chance: add replications to tell.",
    ]
    return "\n".join(text)


def key_figure(results: SweepResults) -> Figure:
    """Each headline metric (rows) against each swept key (columns), one dot per point."""
    import matplotlib.pyplot as plt

    table = results.headline()
    metrics = [m for m in _metrics(results) if f"{m}_mean" in table]
    keys = results.keys
    frontier_points = results.frontier(results.objective_metric(), results.service_metric())
    frontier_points = frontier_points[~frontier_points["within_noise"]]
    frontier = table["point"].isin(set(frontier_points["point"]))
    fig, axes = plt.subplots(
        len(metrics),
        len(keys),
        squeeze=False,
        sharex="col",
        figsize=(3.6 * len(keys) + 1, 2.8 * len(metrics) + 0.8),
        layout="constrained",
    )
    for column, key in enumerate(keys):
        x, unit, ticks = _axis_values(list(table[key]))
        for row, metric in enumerate(metrics):
            ax = axes[row][column]
            y = table[f"{metric}_mean"].to_numpy(dtype=float)
            ax.scatter(
                [v for v, f in zip(x, frontier) if not f],
                y[~frontier.to_numpy()],
                s=14,
                color=_COLOURS[metric],
                alpha=0.55,
            )
            ax.scatter(
                [v for v, f in zip(x, frontier) if f],
                y[frontier.to_numpy()],
                s=30,
                color=_FRONTIER,
                edgecolor="black",
                zorder=3,
                label="Pareto frontier" if row == column == 0 else None,
            )
            if column == 0:
                ax.set_ylabel(_label(results, metric))
            if row == len(metrics) - 1:
                _key_axis(ax, key, list(table[key]), unit, ticks, results)
            _format_axis(ax, metric)
            ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center")
    fig.suptitle(
        f"{results.name}: headline metrics against each swept key "
        f"({_subtitle(results).split(';')[0]})"
    )
    plt.close(fig)
    return fig
