"""The report of a sweep: ``report.html`` with the frontier, the points and the figures.

:func:`write_outputs` is what :meth:`SweepResults.save` calls: it draws the figures of
:mod:`sim.output.sweep_plots`, writes them, and writes ``report.html``
(:mod:`sim.output.html`) with the Pareto frontier and every point (mean ± half-width of
each headline measure), the failed points, the figures, the warnings and what was run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.output.format import format_interval, plural
from sim.output.html import REPORT_FILE, Section, Table, picture, render, write_report

if TYPE_CHECKING:
    from sim.experiment.sweep.runner import SweepResults

__all__ = ["sweep_report", "sweep_sections", "write_outputs"]


def write_outputs(results: SweepResults, out: str | os.PathLike[str]) -> dict[str, bytes]:
    """Write the sweep's figures (``out/sweep_*.png``) and ``out/report.html``; return the
    PNGs by file name."""
    from sim.output.sweep_plots import write_figures

    pngs = write_figures(results, out)
    write_report(os.path.join(os.fspath(out), REPORT_FILE), sweep_report(results, pngs))
    return pngs


def _point_rows(results: SweepResults, table: Any, metrics: Sequence[str]) -> list[list[str]]:
    rows = []
    for _, row in table.iterrows():
        cells = [f"#{int(row['point'])}", *(str(row[key]) for key in results.keys)]
        for metric in metrics:
            percent = metric in ("service_level", "on_time_rate", "fill_rate")
            cells.append(format_interval(row[f"{metric}_mean"], row[f"{metric}_low"],
                                         row[f"{metric}_high"], percent))  # fmt: skip
        rows.append(cells)
    return rows


def sweep_sections(results: SweepResults, figures: Mapping[str, bytes]) -> list[Section]:
    """The Pareto frontier, every point (up to 200), and ``figures``."""
    from sim.output.sweep_plots import axis_label

    objective, service = results.objective_metric(), results.service_metric()
    headline = results.headline()
    metrics = [m for m in ("throughput_per_day", objective, service) if f"{m}_mean" in headline]
    labels = {"throughput_per_day": "throughput (orders/day)", "service_level": "service level (%)",
              "operating_income": f"operating income ({results.currency})",
              "operating_cost": f"operating cost ({results.currency})"}  # fmt: skip
    header = ["point", *(axis_label(results, key) for key in results.keys),
              *(labels.get(m, m) for m in metrics)]  # fmt: skip
    level = f"{results.confidence:.0%}"
    notes = [
        f"mean ± half-width of its {level} confidence interval over "
        f"{plural(results.plan.replications, 'replication')}",
        "the frontier: the points that no other point beats on both "
        f"{labels.get(objective, objective)} and service level beyond noise (paired "
        "differences on common random numbers); points beaten only within noise stay on it",
    ]
    status = results.status_line()
    sections = [Section("headline", "Pareto frontier", [f"{results.name}: {status}."])]
    if f"{objective}_mean" in headline and f"{service}_mean" in headline:
        frontier = set(results.frontier(objective, service)["point"])
        best = headline[headline["point"].isin(frontier)]
        order = best[f"{objective}_mean"].rank(ascending=objective == "operating_cost")
        best = best.assign(_o=order).sort_values("_o", kind="stable")
        sections[0].tables.append(Table(header, _point_rows(results, best, metrics), notes=notes))
        shown = headline.head(200)
        more = f" (first 200 of {len(headline)})" if len(headline) > 200 else ""
        caption = "Every point" + more
        marks = ["mark" if p in frontier else "" for p in shown["point"]]
        sections[0].tables.append(Table(header, _point_rows(results, shown, metrics), marks,
                                        ["bold: on the Pareto frontier"], caption))  # fmt: skip
    else:
        sections[0].paragraphs.append("No point succeeded: there is nothing to compare.")
    failures = results.failures()
    if len(failures):
        rows = [[f"#{int(r['point'])}", *(str(r[k]) for k in results.keys), str(r["error"])]
                for _, r in failures.iterrows()]  # fmt: skip
        sections.append(Section("failures", "Failed points", tables=[Table(
            ["point", *results.keys, "error"], rows)]))  # fmt: skip
    pictures = [picture(name, png) for name, png in figures.items()]
    sections.append(Section("figures", "Figures", figures=pictures))
    return sections


def sweep_report(results: SweepResults, figures: Mapping[str, bytes]) -> str:
    """``report.html`` of a sweep: :func:`sweep_sections`, warnings, what was run."""
    keys = ", ".join(results.keys)
    subtitle = (
        f"{results.kind} sweep over {keys}: {plural(len(results.plan.points), 'point')}, "
        f"{plural(results.plan.replications, 'replication')} each"
    )
    record = getattr(results, "record", None)
    return render(f"{results.name}: sweep report", subtitle, sweep_sections(results, figures),
                  record=record, scenarios=[results.plan.base])  # fmt: skip
