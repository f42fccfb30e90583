"""What ``python run_sim.py fit`` writes: the demand section, its report and ``fit.png``.

* :func:`fit_yaml`: the fitted demand as YAML a scenario can use (``extends:`` the file,
  or copy its ``demand`` section), with comments saying which data it came from (file,
  SHA-256, rows, span) and how sure each estimate is;
* :func:`format_fit_report`: the same, as a short text for the terminal, with the
  warnings (overdispersed days, no months with less than a year of data);
* :func:`fit_figure`: observed against fitted, by hour of the day, by weekday, by
  month and week by week.

matplotlib is imported inside :func:`fit_figure`; nothing here chooses a backend.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from typing import TYPE_CHECKING

import numpy as np

from sim.output.format import plural, thousands

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiment.fit import ChannelFit, CountFit, DatedException, DemandFit

__all__ = ["fit_figure", "fit_yaml", "format_fit_report", "write_fit"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _num(x: float, places: int = 3) -> str:
    """A number rounded to ``places`` decimals, without trailing zeros (``0.5``, ``12``)."""
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def _weights(values: list[float]) -> str:
    return "[" + ", ".join(_num(v) for v in values) + "]"


def _count(fit: CountFit) -> str:
    """A count distribution in flow style."""
    spec = fit.spec()
    if isinstance(spec, int):
        return str(spec)
    parts = []
    for key, value in spec.items():
        if isinstance(value, list):
            parts.append(f"{key}: [{', '.join(str(v) for v in value)}]")
        elif isinstance(value, float):
            parts.append(f"{key}: {_num(value, 4)}")
        else:
            parts.append(f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


def _count_note(fit: CountFit) -> str:
    """Why this distribution: the test that accepted it, and those it rejected."""
    words = [f"{kind} rejected ({_p(p)})" for kind, p in fit.rejected]
    if fit.kind == "constant":
        words.insert(0, f"every one of {thousands(fit.n)} is {int(round(fit.mean))}")
    elif fit.kind == "empirical":
        words.insert(0, f"as seen in {thousands(fit.n)}")
    elif fit.p_value is None:
        words.insert(0, f"too few values ({thousands(fit.n)}) to test the fit")
    else:
        words.insert(0, f"chi-square goodness of fit {_p(fit.p_value)}")
    return "; ".join(words)


def _entry(item: DatedException) -> str:
    """A calendar entry in flow style."""
    when = (
        f"date: {item.first}" if item.first == item.last
        else f"from: {item.first}, to: {item.last}"
    )
    if item.closed:
        return "{" + when + ", closed: true}"
    return "{" + when + f", demand: {_num(item.factor, 2)}" + "}"


def _entry_note(item: DatedException) -> str:
    if item.closed:
        return f"no orders; {item.expected:.0f} expected"
    return f"{item.observed} orders where {item.expected:.1f} were expected"


# --------------------------------------------------------------------------- YAML
def fit_yaml(fit: DemandFit, *, tool: str = "opsim") -> str:
    """The fitted demand (and ``run.start``) as YAML, with comments on where it came from."""
    names = [c.name for c in fit.channels]
    header = [
        f"# Demand fitted by {tool} (python run_sim.py fit) from a file of past orders:",
        f"#   file:    {fit.file}",
        f"#   SHA-256: {fit.sha256}",
        f"#   rows:    {thousands(fit.rows)} ({thousands(fit.orders)} orders)"
        + (f", channels: {', '.join(str(n) for n in names)}" if names != [None] else ""),
        f"#   span:    {fit.first} to {fit.last} ({plural(fit.days, 'day')})",
        "# How each key is estimated: docs/outputs.md, \"Demand from data\".",
        "# Use it with `extends: <this file>` in a scenario, or copy the demand section.",
    ]
    for warning in fit.warnings:
        header.append(f"# Warning: {warning}")
    lines = [
        *header,
        "run:",
        f"  start: {fit.start}        # the date the rates below are for",
        "demand:",
    ]
    single = names == [None]
    for index, channel in enumerate(fit.channels):
        entries = (fit.closed if index == 0 else []) + channel.exceptions
        lines.extend(_channel_yaml(channel, entries, fit.start, single))
    return "\n".join(lines) + "\n"


def _channel_yaml(
    channel: ChannelFit, entries: list[DatedException], start: _dt.date, single: bool
) -> list[str]:
    pad = "  " if single else "    "
    out = [] if single else [f"  - name: {channel.name}"]
    first = "  " if single else "    "
    arrivals = [
        f"rate: {_num(channel.rate_per_day, 2)}/day        # mean over a plain week on {start}",
        f"by_hour: {_weights(channel.by_hour)}",
        f"by_weekday: {_weights(channel.by_weekday)}",
    ]
    if channel.by_month is not None:
        arrivals.append(f"by_month: {_weights(channel.by_month)}")
    if channel.growth is not None and channel.growth_ci is not None:
        low, high = channel.growth_ci
        arrivals.append(
            f"growth: {_num(channel.growth * 100, 1)}%/year      "
            f"# 95% CI {_num(low * 100, 1)}% to {_num(high * 100, 1)}%"
        )
    out.append(f"{first}arrivals:")
    out.extend(f"{pad}  {line}" for line in arrivals)
    if entries:
        out.append(f"{pad}calendar:")
        out.extend(f"{pad}  - {_entry(item)}      # {_entry_note(item)}" for item in entries)
    mix = ", ".join(f"{sku}: {_num(share, 4)}" for sku, share in channel.sku_mix.items())
    out.append(f"{pad}lines: {_count(channel.lines_fit)}      # {_count_note(channel.lines_fit)}")
    out.append(f"{pad}sku_mix: {{{mix}}}")
    out.append(
        f"{pad}quantity: {_count(channel.quantity_fit)}      "
        f"# {_count_note(channel.quantity_fit)}"
    )
    return out


# --------------------------------------------------------------------------- report
def format_fit_report(fit: DemandFit) -> str:
    """A short text report of the fit, for the terminal."""
    out = [
        f"{fit.file}: {thousands(fit.rows)} rows, {thousands(fit.orders)} orders, "
        f"{fit.first} to {fit.last} ({plural(fit.days, 'day')})",
    ]
    if fit.closed:
        out.append(
            "closed (no orders at all): "
            + ", ".join(
                str(c.first) if c.first == c.last else f"{c.first} to {c.last}"
                for c in fit.closed
            )
        )
    for channel in fit.channels:
        name = f"channel {channel.name}" if channel.name is not None else "orders"
        out.append("")
        out.append(
            f"{name}: {thousands(channel.orders)} order{'' if channel.orders == 1 else 's'}, "
            f"{channel.mean_per_day:.1f} a day; "
            f"rate {_num(channel.rate_per_day, 2)}/day on {fit.start}"
        )
        out.append(
            "  by_weekday  "
            + "  ".join(f"{d} {w:.2f}" for d, w in zip(_WEEKDAYS, channel.by_weekday))
        )
        if channel.by_month is not None:
            out.append(
                "  by_month    "
                + "  ".join(f"{m} {w:.2f}" for m, w in zip(_MONTHS, channel.by_month))
            )
        if channel.growth_ci is not None and channel.growth_estimate is not None:
            low, high = channel.growth_ci
            verdict = "written" if channel.growth is not None else "not written (0 is inside)"
            out.append(
                f"  growth      {_percent(channel.growth_estimate)}/year (95% CI "
                f"{_percent(low)} to {_percent(high)}): {verdict}"
            )
        else:
            out.append(
                "  growth      not written: a trend cannot be told apart from the months "
                "(or the days are too few)"
            )
        for item in channel.exceptions:
            when = str(item.first) if item.first == item.last else f"{item.first} to {item.last}"
            out.append(f"  calendar    {when}: x{_num(item.factor, 2)} ({_entry_note(item)})")
        out.append(f"  lines       {_count(channel.lines_fit)} ({_count_note(channel.lines_fit)})")
        out.append(
            f"  quantity    {_count(channel.quantity_fit)} ({_count_note(channel.quantity_fit)})"
        )
        d = channel.dispersion
        if d.df <= 0:
            out.append("  dispersion  not testable: too few days")
        else:
            verdict = (
                "overdispersed: resample describes the days better"
                if d.overdispersed else "consistent with a Poisson process"
            )
            out.append(
                f"  dispersion  index {d.index:.2f} (X² = {d.statistic:.0f} on {d.df} df, "
                f"{_p(d.p_value)}): {verdict}"
            )
    for warning in fit.warnings:
        out.append("")
        out.append(f"warning: {warning}")
    return "\n".join(out)


# --------------------------------------------------------------------------- figure
def fit_figure(fit: DemandFit) -> Figure:
    """Observed against fitted: by hour of the day, by weekday, by month, and week by week.

    Dots are what the file holds, lines what the fitted demand expects (with its calendar);
    on the weekday panel the bars are 95% confidence intervals of the observed mean.
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    (ax_hour, ax_day), (ax_month, ax_series) = axes
    dates = fit.dates()
    weekday = np.array([d.weekday() for d in dates])
    month_key = np.array([(d.year, d.month) for d in dates])
    months = sorted({(y, m) for y, m in month_key.tolist()})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, channel in enumerate(fit.channels):
        colour = colours[i % len(colours)]
        label = channel.name or "orders"
        kept = channel.kept
        n_kept = max(int(kept.sum()), 1)
        # By hour: mean orders in each hour of a kept day; fitted = fitted daily mean x shape.
        observed_hour = channel.hour_counts / n_kept
        fitted_hour = channel.expected[kept].mean() * np.array(channel.by_hour) / 24.0
        ax_hour.plot(range(24), observed_hour, "o", color=colour, ms=4, label=f"{label} observed")
        ax_hour.plot(range(24), fitted_hour, "-", color=colour, label=f"{label} fitted")
        # By weekday: mean over kept days, with a t interval; fitted mean of the same days.
        means, halves, fitted = [], [], []
        for w in range(7):
            days = kept & (weekday == w)
            values = channel.daily[days]
            n = len(values)
            means.append(values.mean() if n else np.nan)
            sd = values.std(ddof=1) if n > 1 else 0.0
            halves.append(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else 0.0)
            fitted.append(channel.expected[days].mean() if n else np.nan)
        x = np.arange(7) + (i - (len(fit.channels) - 1) / 2) * 0.15
        ax_day.errorbar(x, means, yerr=halves, fmt="o", color=colour, ms=4, capsize=3,
                        label=f"{label} observed (95% CI)")
        ax_day.plot(np.arange(7), fitted, "-", color=colour, label=f"{label} fitted")
        # By month of the span: totals observed and expected.
        observed_month = [channel.daily[(month_key == key).all(axis=1)].sum() for key in months]
        expected_month = [channel.expected[(month_key == key).all(axis=1)].sum() for key in months]
        ax_month.plot(range(len(months)), observed_month, "o", color=colour, ms=4,
                      label=f"{label} observed")
        ax_month.plot(range(len(months)), expected_month, "-", color=colour,
                      label=f"{label} fitted")
        # Week by week (weeks from the first date; a last, partial week is left out).
        weeks = len(dates) // 7
        week_starts = dates[: weeks * 7 : 7]
        observed_week = channel.daily[: weeks * 7].reshape(weeks, 7).sum(axis=1)
        expected_week = channel.expected[: weeks * 7].reshape(weeks, 7).sum(axis=1)
        ax_series.plot(week_starts, observed_week, "o", color=colour, ms=2.5,
                       label=f"{label} observed")
        ax_series.plot(week_starts, expected_week, "-", color=colour, lw=1,
                       label=f"{label} fitted")
    for item in fit.closed:
        ax_series.axvline(item.first, color="grey", lw=0.8, ls=":")
    ax_hour.set(title="By hour of the day", xlabel="hour", ylabel="orders per hour (mean day)")
    ax_hour.set_xticks(range(0, 24, 3))
    ax_day.set(title="By weekday", ylabel="orders per day (mean)")
    ax_day.set_xticks(range(7), _WEEKDAYS)
    step = max(1, len(months) // 12)
    ax_month.set(title="By month", ylabel="orders in the month")
    ax_month.set_xticks(
        range(0, len(months), step),
        [f"{_MONTHS[m - 1]} {str(y)[2:]}" for y, m in months[::step]],
        rotation=45,
    )
    ax_series.set(title="Week by week (closed dates dotted)", ylabel="orders in the week")
    ax_series.tick_params(axis="x", labelrotation=45)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Demand fitted to {os.path.basename(fit.file)}: observed (dots) and fitted (lines), "
        f"{fit.first} to {fit.last}"
    )
    fig.tight_layout()
    plt.close(fig)
    return fig


def write_fit(fit: DemandFit, out: str | os.PathLike[str]) -> tuple[str, str]:
    """Write the YAML to ``out`` and ``fit.png`` beside it; return both paths."""
    from sim._files import atomic_write
    from sim.output.plots import png_bytes

    out = os.fspath(out)
    folder = os.path.dirname(out)
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure = os.path.join(folder, "fit.png")
    atomic_write(out, fit_yaml(fit))
    atomic_write(figure, png_bytes(fit_figure(fit)))
    return out, figure
