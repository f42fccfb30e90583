"""Figures a planner reads at a glance: what each scenario achieves, costs, and how it moves.

* :func:`comparison_figure`: the headline measures side by side (throughput, service
  level, operating cost, operating income, then the other service measures that
  apply), one bar per scenario, with the confidence interval of each mean as an error
  bar.
* :func:`cost_breakdown_figure`: where the money goes: the operating cost lines
  stacked per scenario (the cost of goods sold is left out: it is not a cost of the
  operation), against the gross margin, with operating income marked.
* :func:`timeseries_figure`: inventory on hand per product and queue length per step
  over time, the base against its variants, with the warm-up shaded.
* :func:`warmup_figure`: when the warm-up was chosen automatically, Welch's plot of
  each level series over the pilot replications with MSER-5's cut marked.

matplotlib is imported inside the functions (``import sim`` stays light) and the
backend is never chosen here (a notebook keeps its inline backend; the command line
selects Agg itself). Every figure is built with ``plt.subplots``, closed and returned,
so a notebook shows it exactly once. Panel helpers take ``ax=None``.
"""

from __future__ import annotations

import io
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.catalog import CURRENCY, METRICS
from sim.output.format import format_interval, money, money_short, plural, thousands

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.experiment.results import Results

__all__ = [
    "comparison_figure",
    "cost_breakdown_figure",
    "cost_colour",
    "difference_bars",
    "metric_bars",
    "png_bytes",
    "save_figure",
    "timeseries_figure",
    "warmup_figure",
]

# How each cost line reads in the legend, in the order the lines are stacked (the
# usually large ones first, so that small lines sit at the end of the bar).
_COST_LABELS = {
    "cost_of_goods": "goods sold",
    "cost_labor": "labour",
    "cost_holding": "holding",
    "cost_ordering": "ordering",
    "cost_backorder": "backorders",
    "cost_lost_sales": "lost sales",
    "cost_waste": "waste",
}


def _cost_lines() -> tuple[tuple[str, str], ...]:
    """The catalog's cost lines (money metrics named ``cost_*`` that add up to
    ``cost_total``) with their labels, in stacking order; a line the catalog gains later
    is stacked last, labelled by its name."""
    names = [
        m.name
        for m in METRICS
        if m.unit == CURRENCY and m.name.startswith("cost_") and m.name != "cost_total"
    ]
    rank = {name: i for i, name in enumerate(_COST_LABELS)}
    names.sort(key=lambda name: rank.get(name, len(rank)))
    return tuple(
        (name, _COST_LABELS.get(name) or name.removeprefix("cost_").replace("_", " "))
        for name in names
    )


# One colour per cost line, the same in every run: Okabe and Ito's colour-blind safe
# palette, then Paul Tol's for lines the catalog gains later (never a colour twice).
_COST_COLOURS = {
    "goods sold": "#999999",
    "labour": "#0072B2",
    "holding": "#56B4E9",
    "ordering": "#E69F00",
    "backorders": "#CC79A7",
    "lost sales": "#D55E00",
    "waste": "#F0E442",
}
_SPARE_COLOURS = ("#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499")


def cost_colour(label: str) -> str:
    """The colour of a cost line by its label; a line without its own colour gets a spare
    one, chosen by its rank among the catalog's lines (so two never share one)."""
    if label in _COST_COLOURS:
        return _COST_COLOURS[label]
    extra = [lab for _, lab in COST_LINES if lab not in _COST_COLOURS]
    rank = extra.index(label) if label in extra else len(extra)
    return _SPARE_COLOURS[rank % len(_SPARE_COLOURS)]


#: The cost lines of ``cost_total`` (``(metric, label)``), in the order they are stacked.
COST_LINES = _cost_lines()
#: The lines of ``operating_cost``: every cost line but the cost of goods sold.
OPERATING_COST_LINES = tuple(line for line in COST_LINES if line[0] != "cost_of_goods")
# Title, x-axis label (None: the unit) and whether a fraction, of each headline panel.
_PANELS = {
    "throughput_per_day": ("Throughput", "orders completed per day", False),
    "service_level": ("Service level", "% of resolved orders served within the promise", True),
    "operating_cost": ("Operating cost", None, False),
    "operating_income": ("Operating income", None, False),
    "fill_rate": ("Fill rate", "% of units served from stock", True),
    "abandon_rate": ("Gave up", "% of orders that ran out of patience", True),
    "balk_rate": ("Refused", "% of orders refused by a full queue", True),
}
_BASE_COLOUR = "#555555"
_MAX_PANELS = 12
_DPI = 110


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG without a software tag, so equal figures give equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Save ``fig`` as a PNG file (see :func:`png_bytes`)."""
    with open(path, "wb") as handle:
        handle.write(png_bytes(fig))


def _colours(results: Results) -> dict[str, Any]:
    """One colour per scenario, the same in every figure: grey for the base."""
    # Okabe and Ito's colour-blind safe colours first (yellow left out: faint on white).
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
               "#882255", "#117733", "#332288", "#999933"]  # fmt: skip
    variants = [name for name in results.names if name != results.base]
    colours = {name: palette[i % len(palette)] for i, name in enumerate(variants)}
    colours[results.base] = _BASE_COLOUR
    return colours


def _luminance(colour: Any) -> float:
    """Relative luminance of a colour (0 black, 1 white): dark text goes on light bars."""
    from matplotlib.colors import to_rgb

    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _overall(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of ``metric`` for subject ``all``, indexed by scenario."""
    rows = summary[(summary["metric"] == metric) & (summary["subject"] == "all")]
    return rows.set_index("scenario")


def _thousands(ax: Axes) -> None:
    """Tick labels with thousands separators (``250,000``), at most six of them."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: thousands(x)))


def _scenario_labels(results: Results) -> list[str]:
    return [f"{name}\n(base)" if name == results.base else name for name in results.names]


def _legend_name(results: Results, name: str) -> str:
    return f"{name} (base)" if name == results.base else name


def metric_bars(
    results: Results,
    metric: str,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    percent: bool = False,
) -> Figure:
    """One horizontal bar per scenario: the mean of ``metric`` (subject ``all``) and its CI.

    ``percent`` shows a fraction as a percentage. Scenario names read down the y axis,
    in run order, the base first. Returns the figure the bars were drawn in.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 1.2 + 0.5 * len(results.names)), layout="constrained")
        plt.close(fig)
    rows = _overall(results.summary(), metric).reindex(results.names)
    scale = 100.0 if percent else 1.0
    mean = rows["mean"].to_numpy(dtype=float) * scale
    low = rows["ci_low"].to_numpy(dtype=float) * scale
    high = rows["ci_high"].to_numpy(dtype=float) * scale
    colours = _colours(results)
    y = np.arange(len(results.names))
    bars = np.nan_to_num(mean)
    ax.barh(y, bars, color=[colours[n] for n in results.names], height=0.6)
    has_ci = np.isfinite(low) & np.isfinite(high)
    if has_ci.any():
        error = np.vstack([mean - low, high - mean])[:, has_ci]
        ax.errorbar(mean[has_ci], y[has_ci], xerr=error, fmt="none", ecolor="black",
                    elinewidth=1.2, capsize=4)  # fmt: skip
    reach = float(np.nanmax(np.concatenate([np.abs(bars), np.abs(high[has_ci]), [0.0]])))
    reach = reach or 1.0
    if not np.isfinite(mean).any():
        ax.text(0.5, 0.5, f"{metric} was not measured\nin these scenarios", ha="center",
                va="center", transform=ax.transAxes, color="0.4")  # fmt: skip
    unstable = results.record.details.get("unstable") or {}
    for name, yi, m, lo, hi in zip(results.names, y, mean, low, high):
        if not math.isfinite(m):
            if name in unstable:  # no numbers on purpose: say why the row is empty
                ax.text(0.02 * reach, float(yi), "unstable (run.max_waiting)", va="center",
                        ha="left", fontsize=9, color="0.35")  # fmt: skip
            continue
        # The number sits inside its bar, so it never collides with the error bar.
        text = format_interval(m / scale, lo / scale, hi / scale, percent)
        inside = m >= 0.45 * reach
        x = 0.02 * reach if inside else max(np.nan_to_num(hi), np.nan_to_num(m)) + 0.02 * reach
        if m < 0:  # a loss: the bar runs left of zero, its number sits right of zero
            x = max(np.nan_to_num(hi, nan=0.0), 0.0) + 0.02 * reach
        light = _luminance(colours[results.names[int(yi)]]) > 0.35
        ax.text(x, float(yi), text + ("%" if percent else ""), va="center", ha="left", fontsize=9,
                color="white" if inside and not light else "black",
                fontweight="bold" if inside else None)  # fmt: skip
    right = max(reach, 100.0) if percent else reach
    # Room on the left for a negative bar (an operating loss) or interval.
    left = min(0.0, float(np.nanmin(np.concatenate([low[has_ci], mean[np.isfinite(mean)], [0.0]]))))
    ax.set_xlim(left * 1.08, right * 1.04)
    ax.set_yticks(y, _scenario_labels(results))
    ax.invert_yaxis()  # the base on top, variants below in run order
    ax.set_title(title or metric, fontsize=11)
    ax.set_xlabel(xlabel or next((u for u in rows["unit"] if isinstance(u, str)), ""))
    if not percent:
        _thousands(ax)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    return ax.figure  # type: ignore[return-value]


def _interval_words(results: Results) -> str:
    if results.replication_count < 2:
        return "1 replication: no error bars (an interval needs at least 2)"
    return (
        f"mean of {plural(results.replication_count, 'replication')}, "
        f"error bars: {results.confidence:.0%} confidence interval"
    )


def difference_bars(
    results: Results,
    metric: str,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    percent: bool = False,
) -> Figure:
    """Each variant's paired difference from its baseline in ``metric`` (subject ``all``):
    a dot and its confidence interval, on the rows of :func:`metric_bars`.

    A significant difference (Holm-adjusted, as the table's ``*``) is a filled dot with
    ``*`` after its number; any other is hollow. ``percent`` shows a fraction's
    difference in percentage points. The base's row says it is the reference.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 1.2 + 0.5 * len(results.names)), layout="constrained")
        plt.close(fig)
    table = results.compare()
    rows = table[(table["metric"] == metric) & (table["subject"] == "all")]
    rows = rows.set_index("scenario").reindex(results.names)
    scale = 100.0 if percent else 1.0
    mean = rows["diff_mean"].to_numpy(dtype=float) * scale
    low = rows["diff_low"].to_numpy(dtype=float) * scale
    high = rows["diff_high"].to_numpy(dtype=float) * scale
    significant = rows["significant"].fillna(False).astype(bool).to_numpy()
    colours = _colours(results)
    y = np.arange(len(results.names))
    ax.axvline(0.0, color="black", linewidth=1.0, zorder=1)
    ends = np.concatenate([mean[np.isfinite(mean)], low[np.isfinite(low)],
                           high[np.isfinite(high)], [0.0]])  # fmt: skip
    left_end, right_end = float(ends.min()), float(ends.max())
    span = (right_end - left_end) or 1.0
    for yi, name, m, lo, hi, sig in zip(y, results.names, mean, low, high, significant):
        if results.baselines.get(name, name) == name:
            ax.text(0.0, float(yi), "  reference (base)" if name == results.base else
                    "  reference", va="center", ha="left", fontsize=8.5, color="0.35")  # fmt: skip
            continue
        if not math.isfinite(m):
            ax.text(0.0, float(yi), "  not measured", va="center", fontsize=8.5, color="0.35")
            continue
        colour = colours[name]
        if math.isfinite(lo) and math.isfinite(hi):
            ax.errorbar(m, yi, xerr=[[m - lo], [hi - m]], fmt="none", ecolor=colour,
                        elinewidth=2.0, capsize=4, zorder=2)  # fmt: skip
        ax.plot(m, yi, "o", markersize=8, color=colour, markeredgecolor=colour,
                markerfacecolor=colour if sig else "white", markeredgewidth=2,
                zorder=3)  # fmt: skip
        text = format_interval(m / scale, lo / scale, hi / scale, percent, sign=True)
        text += (" pt" if percent else "") + (" *" if sig else "")
        right = max(np.nan_to_num(hi, nan=m), m)
        ax.annotate(text, (right, float(yi)), xytext=(6, 7), textcoords="offset points",
                    fontsize=8.5, va="bottom", ha="left",
                    fontweight="bold" if sig else None)  # fmt: skip
    ax.set_xlim(left_end - 0.12 * span, right_end + 0.55 * span)  # room for the numbers
    ax.set_ylim(len(results.names) - 0.5, -0.5)  # the base on top, as in metric_bars
    ax.set_yticks(y, _scenario_labels(results))
    ax.set_title(title or f"{metric}: difference", fontsize=11)
    ax.set_xlabel(xlabel or "")
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    if not percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _signed_short(x)))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    return ax.figure  # type: ignore[return-value]


def _signed_short(value: float) -> str:
    """A tick of a difference axis: ``"+50k"``, ``"0"``, ``"-1.2M"``."""
    text = money_short(value)
    return "0" if value == 0 else ("+" + text if value > 0 else text)


def comparison_figure(results: Results) -> Figure:
    """The headline measures of every scenario side by side, and each variant's paired
    difference from the base.

    For each measure of :meth:`~sim.experiment.results.Results.headline_metrics`
    (throughput, service level, operating cost, operating income when the business
    sells, then fill rate, gave up and refused where they apply) two panels: the level
    of every scenario with its confidence interval (:func:`metric_bars`), and beside it
    the paired difference of every variant from the base with its own interval
    (:func:`difference_bars`, ``*`` where significant after Holm's adjustment, as in
    the table). Two measures a row.
    """
    import matplotlib.pyplot as plt

    metrics = results.headline_metrics()
    compared = len(results.names) > 1
    pairs = 2 if compared else 3
    columns = min(pairs, max(len(metrics), 1)) * (2 if compared else 1)
    rows = max(1, math.ceil(len(metrics) / pairs))
    height = rows * (1.5 + 0.5 * len(results.names)) + 0.9
    ratios = [1.25, 1.0] * (columns // 2) if compared else [1.0] * columns
    fig, axes = plt.subplots(rows, columns, figsize=(16 if compared else 14, height),
                             squeeze=False, layout="constrained",
                             gridspec_kw={"width_ratios": ratios})  # fmt: skip
    currency = results.currency or "money"
    step = 2 if compared else 1
    flat = axes.ravel()
    for i, metric in enumerate(metrics):
        title, xlabel, percent = _PANELS.get(metric, (metric, None, False))
        if xlabel is None:
            xlabel = f"{currency} over the measured window"
        ax = flat[i * step]
        metric_bars(results, metric, ax, title=title, xlabel=xlabel, percent=percent)
        if compared:
            unit = "percentage points" if percent else xlabel
            diff_ax = flat[i * step + 1]
            difference_bars(results, metric, diff_ax, title=f"{title}: vs base",
                            xlabel=f"difference, {unit}", percent=percent)  # fmt: skip
            diff_ax.tick_params(axis="y", labelleft=False, length=0)
        if (i * step) % columns:
            ax.tick_params(axis="y", labelleft=False, length=0)
    for ax in flat[len(metrics) * step:]:
        ax.set_axis_off()
    fig.suptitle(f"{results.base}: scenarios compared ({_interval_words(results)})", fontsize=12)
    if compared and results.replication_count >= 2:
        fig.supxlabel("vs base: the variant minus the base, paired replication by "
                      "replication, with its own interval; filled dot and *: significant after "
                      "Holm's adjustment over every comparison (as in the table); hollow: no "
                      "difference detected", fontsize=9, color="0.3")  # fmt: skip
    plt.close(fig)
    return fig


def cost_breakdown_figure(results: Results) -> Figure:
    """The operating cost lines stacked per scenario, against the gross margin.

    The cost of goods sold is left out: it grows with sales, so it is not a cost of
    running the operation (``operating_cost = cost_total - cost_of_goods``). Each bar
    stacks the operating cost lines, then the operating income (green, hatched) up to
    the gross margin (revenue - cost of goods, a black tick); an operating loss (red,
    hatched) is the part of the operating cost beyond the gross margin.
    """
    import matplotlib.pyplot as plt

    summary = results.summary()
    names = results.names

    def means(metric: str) -> np.ndarray:
        return _overall(summary, metric)["mean"].reindex(names).to_numpy(dtype=float)

    lines = [(label, np.nan_to_num(means(m))) for m, label in OPERATING_COST_LINES]
    lines = [(label, values) for label, values in lines if values.any()]
    margin, income = means("gross_margin"), means("operating_income")
    total = means("operating_cost")

    fig, ax = plt.subplots(figsize=(12, 2.4 + 0.65 * len(names)), layout="constrained")
    y = np.arange(len(names))
    left = np.zeros(len(names))
    for label, values in lines:
        ax.barh(y, values, left=left, height=0.6, label=label, color=cost_colour(label),
                edgecolor="white", linewidth=0.6)  # fmt: skip
        left += values
    gross = np.nan_to_num(margin)
    sells = bool(np.nan_to_num(means("revenue")).any())  # a help desk has no income to show
    profit = np.where(gross > left, gross - left, 0.0) if sells else np.zeros(len(names))
    loss_start = np.maximum(np.minimum(gross, left), 0.0)
    loss = np.where(gross < left, left - loss_start, 0.0) if sells else np.zeros(len(names))
    if profit.any():
        ax.barh(y, profit, left=left, height=0.6, color="#d9f0d3", edgecolor="#2a7d2a",
                hatch="//", linewidth=0.8, label="operating income")  # fmt: skip
    if loss.any():
        ax.barh(y, loss, left=loss_start, height=0.6, color="none", edgecolor="#b22222",
                hatch="xx", linewidth=0.8, label="operating loss")  # fmt: skip
    if sells:
        ax.scatter(gross, y, marker="|", s=1100, linewidths=2.5, color="black", zorder=3,
                   label="gross margin (revenue − cost of goods)")  # fmt: skip
    reach = float(np.nanmax(np.concatenate([left, gross, [1.0]])))
    for yi, cost, end, inc, g in zip(y, total, np.maximum(left, gross), income, margin):
        text = f"gross margin {money(g)}\noperating cost {money(cost)}\nincome {money(inc)}"
        if not sells:
            text = f"operating cost {money(cost)}"
        ax.text(end + 0.015 * reach, float(yi), text, va="center", ha="left", fontsize=8.5)
    ax.set_xlim(0, reach * 1.25)
    ax.set_yticks(y, _scenario_labels(results))
    ax.invert_yaxis()
    _thousands(ax)
    currency = results.currency or "money"
    replications = plural(results.replication_count, "replication")
    ax.set_xlabel(f"{currency} over the measured window (mean of {replications})")
    ax.set_title(
        f"{results.base}: what the operation costs (cost of goods sold left out)", fontsize=12
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    last = [i for i, label in enumerate(labels) if label.startswith("gross margin")]
    order = [i for i in range(len(labels)) if i not in last] + last  # costs first
    fig.legend([handles[i] for i in order], [labels[i] for i in order],
               loc="outside lower center", ncols=min(len(labels), 6), frameon=False,
               fontsize=9)  # fmt: skip
    plt.close(fig)
    return fig


def _panels(series: pd.DataFrame) -> list[tuple[str, str]]:
    """``(series, subject)`` pairs to draw: on-hand per product, then queue per step."""
    panels = []
    for name in ("on_hand", "queue"):
        subjects = series.loc[series["series"] == name, "subject"]
        panels += [(name, str(subject)) for subject in dict.fromkeys(subjects)]
    return panels


_PANEL_TITLES = {"on_hand": ("Units on hand", "units"), "queue": ("Orders waiting", "orders")}


def _panel_grid(count: int, margin: float) -> tuple[Figure, Any]:
    """A figure of ``count`` level panels sharing the time axis: one column up to two
    panels, else two; ``margin`` inches for titles and legend."""
    import matplotlib.pyplot as plt

    columns = 1 if count <= 2 else 2
    rows = max(1, math.ceil(count / columns))
    return plt.subplots(rows, columns, figsize=(12, margin + 2.6 * rows), sharex=True,
                        squeeze=False, layout="constrained")  # fmt: skip


def _style_panel(ax: Axes, title: str, unit: str) -> None:
    """A level-over-time panel: its title at the left, its unit, zero at the bottom."""
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def _label_days(axes: Any, shown: int, label: str) -> None:
    """Hide the unused panels of a grid; label the x axis under each column's last panel."""
    flat = axes.ravel()
    rows, columns = axes.shape
    for ax in flat[shown:]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel(label)
        ax.tick_params(labelbottom=True)
    if shown % columns and rows > 1:
        axes[-2, -1].set_xlabel(label)
        axes[-2, -1].tick_params(labelbottom=True)


# Aggregation bins of a level series, in hours: the first that holds enough samples.
_BINS = ((24.0, "day"), (168.0, "week"), (672.0, "4 weeks"))
_MIN_SAMPLES_PER_BIN = 4
_RAW_UP_TO_DAYS = 14.0
# Line styles of the variants (the base is solid): a variant equal to the base stays visible.
_DASHES = ((0, (5, 2)), (0, (2, 1.5)), (0, (6, 2, 1.5, 2)), (0, (1, 1)), (0, (8, 3)))


def series_bin(times_h: np.ndarray) -> tuple[float | None, str]:
    """The aggregation bin of a series sampled at ``times_h``: None (every sample) up to
    two weeks, else a day, a week or four weeks, the first that holds four samples.

    >>> series_bin(np.linspace(0, 24 * 7, 401))
    (None, 'sample')
    >>> series_bin(np.linspace(0, 24 * 365 * 5, 401))
    (672.0, '4 weeks')
    """
    span = float(times_h.max() - times_h.min()) if times_h.size else 0.0
    if span <= _RAW_UP_TO_DAYS * 24.0 or times_h.size < 2:
        return None, "sample"
    spacing = span / (times_h.size - 1)
    for hours, name in _BINS:
        if hours / spacing >= _MIN_SAMPLES_PER_BIN:
            return hours, name
    return _BINS[-1]


def _binned(rows: pd.DataFrame, bin_h: float | None) -> pd.DataFrame:
    """Per time (or bin): the mean over replications and the lowest and highest
    replication (of its own bin mean), as ``time_h, mean, low, high``."""
    if bin_h is None:
        per = rows.assign(t=rows["time_h"])
    else:
        times = rows["time_h"].to_numpy()
        # A last bin shorter than half a bin (the sample at the horizon, the days after the
        # last whole week) joins the one before rather than stand alone on a few samples.
        end = float(times.max())
        last = math.floor(end / bin_h)
        if end - last * bin_h < bin_h / 2:
            last -= 1
        start = np.minimum(np.floor(times / bin_h), max(last, 0))
        per = rows.assign(t=(start + 0.5) * bin_h)
    per = per.groupby(["t", "replication"], sort=True)["value"].mean().reset_index()
    grouped = per.groupby("t", sort=True)["value"]
    return _frame(grouped.mean(), grouped.min(), grouped.max())


def _frame(mean: Any, low: Any, high: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"time_h": mean.index.to_numpy(dtype=float), "mean": mean.to_numpy(),
                         "low": low.to_numpy(), "high": high.to_numpy()})  # fmt: skip


def timeseries_figure(results: Results) -> Figure:
    """Inventory on hand per product and queue length per step over time, days on the x axis.

    Over a long horizon each line is the mean over replications of the level's mean per
    day, week or four weeks (:func:`series_bin`), with the range from the lowest to the
    highest replication shaded; up to two weeks every sample is drawn. A panel whose
    level is zero throughout in every scenario (a step nobody queues at) is left out
    and named in the title. Variants are dashed over the solid base, so a variant equal
    to the base still shows; the panel says which variants coincide with it.
    """
    import matplotlib.pyplot as plt

    series = results.series(by_replication=True)
    panels = _panels(series)
    levels = series.groupby(["series", "subject"], sort=False)["value"]
    moving = {key for key, values in levels if bool((values.abs() > 0).any())}
    empty = [p for p in panels if p not in moving]
    panels = [p for p in panels if p in moving]
    shown = panels[:_MAX_PANELS]
    fig, axes = _panel_grid(len(shown), 1.4)
    flat = axes.ravel()
    bin_h, bin_name = series_bin(np.unique(series["time_h"].to_numpy(dtype=float)))
    replications = plural(results.replication_count, "replication")
    what = "levels" if bin_h is None else f"mean level per {bin_name}"
    title = f"{results.base}: {what} over time (mean of {replications}"
    title += ", shaded: lowest to highest replication)" if results.replication_count > 1 else ")"
    if len(panels) > len(shown):
        title += f"; first {len(shown)} of {len(panels)} panels"
    if empty:
        names = ", ".join(f"{_PANEL_TITLES[n][1]} waiting at {s}" if n == "queue" else
                          f"{s} on hand" for n, s in empty)  # fmt: skip
        title += f"\nalways zero, not drawn: {names}"
    fig.suptitle(title, fontsize=12)
    if not shown:
        flat[0].text(0.5, 0.5, "no inventory or queue level moved\n"
                     "(no products, and no step where anyone waited)",
                     ha="center", va="center", transform=flat[0].transAxes)  # fmt: skip
        flat[0].set_axis_off()
        plt.close(fig)
        return fig
    colours = _colours(results)
    variants = [n for n in results.names if n != results.base]
    dashes = {name: _DASHES[i % len(_DASHES)] for i, name in enumerate(variants)}
    warmup_days = results.warmup_h() / 24.0
    for ax, (name, subject) in zip(flat, shown):
        rows_here = series[(series["series"] == name) & (series["subject"] == subject)]
        if warmup_days > 0:
            ax.axvspan(0, warmup_days, color="0.88", label="warm-up (not counted)", zorder=0)
        lines = {}
        for scenario in results.names:
            part = rows_here[rows_here["scenario"] == scenario]
            if part.empty:
                continue
            line = _binned(part, bin_h)
            lines[scenario] = line
            is_base = scenario == results.base
            days = line["time_h"] / 24.0
            if results.replication_count > 1:
                ax.fill_between(days, line["low"], line["high"], color=colours[scenario],
                                alpha=0.14 if is_base else 0.10, linewidth=0,
                                zorder=1)  # fmt: skip
            ax.plot(days, line["mean"], color=colours[scenario],
                    linewidth=2.6 if is_base else 1.5,
                    linestyle="solid" if is_base else dashes[scenario],
                    label=_legend_name(results, scenario),
                    zorder=2 if is_base else 3)  # fmt: skip
        base = lines.get(results.base)
        same = [n for n in variants if n in lines and base is not None
                and len(lines[n]) == len(base)
                and np.allclose(lines[n]["mean"], base["mean"], rtol=1e-9, atol=1e-12)]  # fmt: skip
        if same:
            ax.set_title("same as base: " + ", ".join(same), loc="right", fontsize=8,
                         color="0.3")  # fmt: skip
        heading, unit = _PANEL_TITLES[name]
        _style_panel(ax, f"{heading}: {subject}", unit)
    _label_days(axes, len(shown), "day")
    handles, labels = flat[0].get_legend_handles_labels()
    # Scenarios in run order, then the warm-up.
    rank = {_legend_name(results, name): i for i, name in enumerate(results.names)}
    order = sorted(range(len(labels)), key=lambda i: rank.get(labels[i], len(rank)))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6),
               frameon=False, fontsize=9)  # fmt: skip
    plt.close(fig)
    return fig


_WARMUP_TITLES = {
    "on_hand": ("Units on hand", "units"),
    "backorders": ("Units backordered", "units"),
    "queue": ("Orders waiting", "orders"),
    "busy": ("Workers busy", "workers"),
}


def warmup_figure(results: Results) -> Figure:
    """Welch's plot of every level series of the pilot, with MSER-5's cut and the warm-up.

    For each series (units on hand and backordered, orders waiting, workers busy), the
    level averaged over the pilot replications (thin) and its Welch moving average
    (thick, a window of 1/40 of the horizon on each side) per scenario; a dotted line
    where MSER-5 cut that series, and the chosen warm-up shaded. Needs
    ``results.warmup_choice`` (a run with ``warmup: auto``).
    """
    import matplotlib.pyplot as plt

    choice = results.warmup_choice
    if choice is None:
        raise ValueError("warmup_figure: the warm-up of these results was given, not chosen")
    keys = list(choice.levels)  # in the model's order: products, steps, pools
    panels = list(dict.fromkeys((series, subject) for _, series, subject in keys))
    # A series that never moved in any scenario (a queue that never formed) says nothing.
    panels = [p for p in panels
              if any(np.ptp(choice.levels[k]) > 0 for k in keys if k[1:] == p)]  # fmt: skip
    shown = panels[:_MAX_PANELS]
    fig, axes = _panel_grid(len(shown), 1.4)
    flat = axes.ravel()
    days = choice.warmup_h / 24.0
    title = (
        f"{results.base}: warm-up {days:.3g} days, chosen by MSER-5 on the mean of "
        f"{plural(choice.pilot_replications, 'pilot replication')}"
    )
    if choice.capped:
        title += " (capped at half the horizon: not settled)"
    if len(panels) > len(shown):
        title += f"; first {len(shown)} of {len(panels)} series"
    fig.suptitle(title, fontsize=12)
    if not shown:
        flat[0].text(0.5, 0.5, "no level moved during the pilot\n(nothing to warm up)",
                     ha="center", va="center", transform=flat[0].transAxes)  # fmt: skip
        flat[0].set_axis_off()
        plt.close(fig)
        return fig
    colours = _colours(results)
    t = choice.times_h / 24.0
    window = max(1, t.size // 40)
    cuts = {(c.scenario, c.series, c.subject): c.truncation_h for c in choice.cuts}
    for ax, (series, subject) in zip(flat, shown):
        ax.axvspan(0, days, color="0.88", zorder=0, label="warm-up (not counted)")
        for key in (k for k in keys if k[1:] == (series, subject)):
            level = choice.levels[key]
            colour = colours.get(key[0], "C0")
            ax.plot(t[: level.size], level, color=colour, linewidth=0.6, alpha=0.35)
            ax.plot(t[: level.size], choice.welch(key, window), color=colour,
                    linewidth=1.8, label=_legend_name(results, key[0]))  # fmt: skip
            ax.axvline(cuts[key] / 24.0, color=colour, linestyle=":", linewidth=1.4)
        heading, unit = _WARMUP_TITLES.get(series, (series, ""))
        _style_panel(ax, f"{heading}: {subject}", unit)
    _label_days(axes, len(shown), "day (pilot replications, no warm-up)")
    handles, labels = flat[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    handles.append(Line2D([], [], color="0.3", linestyle=":", linewidth=1.4))
    labels.append("MSER-5 cut of that series")
    handles.append(Line2D([], [], color="0.3", linewidth=0.6, alpha=0.5))
    labels.append("mean level (thin); Welch moving average (thick)")
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
               frameon=False, fontsize=9)  # fmt: skip
    plt.close(fig)
    return fig
