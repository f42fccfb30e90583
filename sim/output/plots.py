"""Figures a planner reads at a glance: what each scenario achieves, costs, and how it moves.

* :func:`comparison_figure`: throughput, total cost and service level side by side,
  one bar per scenario, with the confidence interval of each mean as an error bar.
* :func:`cost_breakdown_figure`: where the money goes: the cost lines stacked per
  scenario, with revenue and operating income marked.
* :func:`timeseries_figure`: inventory on hand per product and queue length per step
  over time, the base against its variants, with the warm-up shaded.

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
from sim.output.format import format_interval, money, plural, thousands

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.experiment.results import Results

__all__ = [
    "comparison_figure",
    "cost_breakdown_figure",
    "metric_bars",
    "png_bytes",
    "save_figure",
    "timeseries_figure",
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


#: The cost lines of ``cost_total`` (``(metric, label)``), in the order they are stacked.
COST_LINES = _cost_lines()
_SERVICE_LABELS = {"on_time_rate": "On-time rate", "fill_rate": "Fill rate"}
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
    palette = [f"C{i}" for i in range(10)]
    variants = [name for name in results.names if name != results.base]
    colours = {name: palette[i % len(palette)] for i, name in enumerate(variants)}
    colours[results.base] = _BASE_COLOUR
    return colours


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
        ax.text(x, float(yi), text + ("%" if percent else ""), va="center", ha="left", fontsize=9,
                color="white" if inside else "black",
                fontweight="bold" if inside else None)  # fmt: skip
    right = max(reach, 100.0) if percent else reach
    ax.set_xlim(min(0.0, float(np.nanmin(np.append(low[has_ci], 0.0)))), right * 1.04)
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
    return (
        f"mean of {plural(results.replication_count, 'replication')}, "
        f"error bars: {results.confidence:.0%} confidence interval"
    )


def comparison_figure(results: Results) -> Figure:
    """Throughput, total cost and service level of every scenario, with CI error bars."""
    import matplotlib.pyplot as plt

    service = results.service_metric()
    height = 1.9 + 0.5 * len(results.names)
    fig, axes = plt.subplots(1, 3, figsize=(14, height), sharey=True, layout="constrained")
    currency = results.currency or "money"
    metric_bars(results, "throughput_per_day", axes[0], title="Throughput",
                xlabel="orders completed per day")  # fmt: skip
    metric_bars(results, "cost_total", axes[1], title="Total cost",
                xlabel=f"{currency} over the measured window")  # fmt: skip
    metric_bars(results, service, axes[2], title=_SERVICE_LABELS.get(service, service),
                xlabel=_service_meaning(service), percent=True)  # fmt: skip
    for ax in axes[1:]:
        ax.tick_params(axis="y", length=0)
    fig.suptitle(f"{results.base}: scenarios compared ({_interval_words(results)})", fontsize=12)
    plt.close(fig)
    return fig


def _service_meaning(metric: str) -> str:
    if metric == "on_time_rate":
        return "% of completed orders within the promise"
    return "% of units served from stock"


def cost_breakdown_figure(results: Results) -> Figure:
    """The mean cost lines stacked per scenario, with revenue and operating income marked.

    Each bar is the costs, stacked, then the operating income (green, hatched) up to
    the revenue (a black tick); a loss (red, hatched) is the part of the costs beyond
    the revenue.
    """
    import matplotlib.pyplot as plt

    summary = results.summary()
    names = results.names

    def means(metric: str) -> np.ndarray:
        return _overall(summary, metric)["mean"].reindex(names).to_numpy(dtype=float)

    lines = [(label, np.nan_to_num(means(m))) for m, label in COST_LINES]
    lines = [(label, values) for label, values in lines if values.any()]
    revenue, income, total = means("revenue"), means("operating_income"), means("cost_total")

    fig, ax = plt.subplots(figsize=(12, 2.4 + 0.65 * len(names)), layout="constrained")
    y = np.arange(len(names))
    left = np.zeros(len(names))
    palette = plt.get_cmap("tab20c")
    for i, (label, values) in enumerate(lines):
        ax.barh(y, values, left=left, height=0.6, label=label, color=palette(i * 4 % 20 + 1),
                edgecolor="white", linewidth=0.6)  # fmt: skip
        left += values
    rev = np.nan_to_num(revenue)
    sells = bool(rev.any())  # a business without sales (a help desk) has no income to show
    profit = np.where(rev > left, rev - left, 0.0) if sells else np.zeros(len(names))
    loss_start = np.minimum(rev, left)
    loss = np.where(rev < left, left - rev, 0.0) if sells else np.zeros(len(names))
    if profit.any():
        ax.barh(y, profit, left=left, height=0.6, color="#d9f0d3", edgecolor="#2a7d2a",
                hatch="//", linewidth=0.8, label="operating income")  # fmt: skip
    if loss.any():
        ax.barh(y, loss, left=loss_start, height=0.6, color="none", edgecolor="#b22222",
                hatch="xx", linewidth=0.8, label="operating loss")  # fmt: skip
    if sells:
        ax.scatter(rev, y, marker="|", s=1100, linewidths=2.5, color="black", zorder=3,
                   label="revenue")  # fmt: skip
    reach = float(np.nanmax(np.concatenate([left, rev, [1.0]])))
    for yi, cost, end, inc, r in zip(y, total, np.maximum(left, rev), income, revenue):
        text = f"revenue {money(r)}\ncost {money(cost)}\nincome {money(inc)}"
        if not sells:
            text = f"cost {money(cost)}"
        ax.text(end + 0.015 * reach, float(yi), text, va="center", ha="left", fontsize=8.5)
    ax.set_xlim(0, reach * 1.22)
    ax.set_yticks(y, _scenario_labels(results))
    ax.invert_yaxis()
    _thousands(ax)
    currency = results.currency or "money"
    replications = plural(results.replication_count, "replication")
    ax.set_xlabel(f"{currency} over the measured window (mean of {replications})")
    ax.set_title(f"{results.base}: where the money goes", fontsize=12)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    last = [i for i, label in enumerate(labels) if label == "revenue"]  # costs first
    order = [i for i in range(len(labels)) if i not in last] + last
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


def timeseries_figure(results: Results) -> Figure:
    """Inventory on hand per product and queue length per step over time, days on the x axis."""
    import matplotlib.pyplot as plt

    series = results.series()
    panels = _panels(series)
    shown = panels[:_MAX_PANELS]
    columns = 1 if len(shown) <= 2 else 2
    rows = max(1, math.ceil(len(shown) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(12, 1.2 + 2.6 * rows), sharex=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    flat = axes.ravel()
    replications = plural(results.replication_count, "replication")
    title = f"{results.base}: levels over time (mean of {replications})"
    if len(panels) > len(shown):
        title += f"; first {len(shown)} of {len(panels)} panels"
    fig.suptitle(title, fontsize=12)
    if not shown:
        flat[0].text(0.5, 0.5, "no inventory or queue was recorded\n"
                     "(no products and no staffed steps)",
                     ha="center", va="center", transform=flat[0].transAxes)  # fmt: skip
        flat[0].set_axis_off()
        plt.close(fig)
        return fig
    colours = _colours(results)
    warmup_days = results.warmup_h() / 24.0
    for ax, (name, subject) in zip(flat, shown):
        rows_here = series[(series["series"] == name) & (series["subject"] == subject)]
        if warmup_days > 0:
            ax.axvspan(0, warmup_days, color="0.85", label="warm-up (not counted)", zorder=0)
        for scenario in results.names:
            line = rows_here[rows_here["scenario"] == scenario]
            if line.empty:
                continue
            is_base = scenario == results.base
            ax.plot(line["time_h"] / 24.0, line["value"], color=colours[scenario],
                    linewidth=1.8 if is_base else 1.2, label=_legend_name(results, scenario),
                    zorder=3 if is_base else 2)  # fmt: skip
        heading, unit = _PANEL_TITLES[name]
        ax.set_title(f"{heading}: {subject}", fontsize=10, loc="left")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in flat[len(shown):]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("day")
        ax.tick_params(labelbottom=True)
    if len(shown) % columns and rows > 1:
        axes[-2, -1].set_xlabel("day")
        axes[-2, -1].tick_params(labelbottom=True)
    handles, labels = flat[0].get_legend_handles_labels()
    # Scenarios in run order, then the warm-up.
    rank = {_legend_name(results, name): i for i, name in enumerate(results.names)}
    order = sorted(range(len(labels)), key=lambda i: rank.get(labels[i], len(rank)))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5),
               frameon=False, fontsize=9)  # fmt: skip
    plt.close(fig)
    return fig
