"""Reports: the comparison table for people and the result files for programs.

:func:`format_table` is what a planner reads in the terminal after a run: for every
scenario the headline measures (throughput, service level, operating cost, operating
income, then the other service measures that apply) as ``mean ± half-width`` of their
confidence interval, and under every variant its paired difference from the base,
starred when it is significant after Holm's adjustment over every comparison of
:meth:`~sim.experiment.results.Results.compare` (the footnote says exactly what that
guarantees). With one replication there is no interval, and the table says so.

:func:`run_report` is the run's ``report.html`` (:mod:`sim.output.html`): the same
table, a verdict per variant and every figure. :func:`write_results` writes the files of
the output contract (``docs/outputs.md``)
all at once: everything is written into a temporary folder beside the target, then
moved into place, so a run that fails half-way leaves no half-written files behind.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sim._files import interrupts_held, umask
from sim.output.format import format_interval, plural

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.results import Results
    from sim.output.html import Section

__all__ = [
    "EXCEL_FILE",
    "FILES",
    "format_html",
    "format_table",
    "run_report",
    "run_sections",
    "write_results",
]

#: The files :func:`write_results` writes, in order.
FILES = (
    "summary.csv",
    "replications.csv",
    "comparison.png",
    "cost_breakdown.png",
    "timeseries.png",
    "run.json",
    "report.html",
)
#: Written besides, when the warm-up was chosen automatically (``warmup: auto``).
WARMUP_FILE = "warmup.png"
#: Written besides with ``excel=True`` (``--excel``).
EXCEL_FILE = "results.xlsx"

# Short labels for the headline metrics; units come from the data (fractions are
# shown as percentages).
_LABELS = {
    "throughput_per_day": "throughput",
    "service_level": "service level",
    "operating_cost": "operating cost",
    "on_time_rate": "on-time rate",
    "fill_rate": "fill rate",
    "abandon_rate": "gave up",
    "balk_rate": "refused",
    "cost_total": "total cost",
    "operating_income": "operating income",
}


def write_results(
    results: Results, out_dir: str | os.PathLike[str], *, excel: bool = False
) -> Path:
    """Write ``summary.csv``, ``replications.csv``, the figures, ``run.json`` and
    ``report.html`` into ``out_dir`` (and ``results.xlsx`` with ``excel``).

    Floats are written in full (``repr``) precision, so the same numbers always give
    the same bytes. ``warmup.png`` is written too when the warm-up was chosen
    automatically (and a ``warmup.png`` of an earlier run is removed when it was not).
    The files are first written to a temporary folder next to
    ``out_dir`` and only moved into place when all of them are complete: if anything
    fails, or Ctrl-C comes, ``out_dir`` is left as it was. Ctrl-C during the few renames
    that move them waits for the last one (then KeyboardInterrupt says the results were
    written). Other files in ``out_dir`` are not touched; a temporary folder left beside
    it by a process that was killed is removed. Returns the output folder.
    """
    from sim.output import plots
    from sim.output.html import REPORT_FILE

    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(target)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=target.parent)
    )
    try:
        results.summary().to_csv(staging / "summary.csv", index=False)
        results.replications().to_csv(staging / "replications.csv", index=False)
        figures = {
            "comparison.png": plots.comparison_figure,
            "cost_breakdown.png": plots.cost_breakdown_figure,
            "timeseries.png": plots.timeseries_figure,
        }
        if results.warmup_choice is not None:
            figures[WARMUP_FILE] = plots.warmup_figure
        pngs = {}
        for name, draw in figures.items():
            plots.save_figure(draw(results), staging / name)
            pngs[name] = (staging / name).read_bytes()  # embedded in report.html as written
        (staging / "run.json").write_text(results.record.to_json(), encoding="utf-8")
        (staging / REPORT_FILE).write_text(run_report(results, pngs), encoding="utf-8")
        if excel:
            from sim.output.excel import write_excel

            write_excel(results, staging / EXCEL_FILE)
        with interrupts_held() as held:
            if target.exists():
                # Replace our files one by one: the folder may hold other things of the user's.
                for name in (*FILES, WARMUP_FILE, EXCEL_FILE):
                    if (staging / name).exists():
                        os.replace(staging / name, target / name)
                    elif (target / name).exists():
                        os.remove(target / name)  # an earlier run's file would mislead
                staging.rmdir()
            else:
                os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it private; make it normal
                staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if held:
        raise KeyboardInterrupt(f"after the results were written to {target}{os.sep}")
    return target


def _remove_abandoned_staging(target: Path) -> None:
    """Remove temporary folders beside ``target`` whose process no longer exists (killed)."""
    if os.name != "posix":  # os.kill(pid, 0) only asks "are you there?" on POSIX
        return
    for staging in target.parent.glob(f".{target.name}.*-*.tmp"):
        pid = staging.name[len(target.name) + 2 :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(staging, ignore_errors=True)
        except OSError:  # alive, but another user's
            continue


# --------------------------------------------------------------------------- the table
def _headings(headline: pd.DataFrame) -> list[tuple[str, str, str, bool]]:
    """``(metric, label, unit label, percent)`` for each headline column."""
    columns = []
    for metric in dict.fromkeys(headline["metric"]):
        label = _LABELS.get(metric, metric.replace("_", " "))
        unit = str(headline.loc[headline["metric"] == metric, "unit"].iloc[0])
        percent = unit == "fraction"
        columns.append((metric, label, "%" if percent else unit, percent))
    return columns


def _unstable(results: Results) -> dict[str, str]:
    """The message of each scenario reported unstable (run.max_waiting), by name."""
    unstable = results.record.details.get("unstable") or {}
    return {name: str(info.get("message", "unstable")) for name, info in unstable.items()}


def _rows(results: Results) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header cells, body rows and which rows are differences, for the headline table.

    An unstable scenario's row is two cells: its name and why it has no numbers.
    """
    headline = results.headline()
    columns = _headings(headline)
    header = ["scenario", *(f"{label} ({unit})" for _, label, unit, _ in columns)]
    body: list[list[str]] = []
    is_diff: list[bool] = []
    unstable = _unstable(results)
    for name in results.names:
        if name in unstable:
            body.append([name, unstable[name]])
            is_diff.append(False)
            continue
        rows = headline[headline["scenario"] == name].set_index("metric")
        cells, diffs = [name], []
        baseline = None
        for metric, _, _, percent in columns:
            if metric not in rows.index:
                cells.append("")
                diffs.append("")
                continue
            row = rows.loc[metric]
            cells.append(format_interval(row["mean"], row["ci_low"], row["ci_high"], percent))
            baseline = row["baseline"]
            if isinstance(baseline, str):
                diff = format_interval(
                    row["diff_mean"], row["diff_low"], row["diff_high"], percent, sign=True
                )
                diffs.append(diff + (" *" if row["significant"] else "  "))
        body.append(cells)
        is_diff.append(False)
        if isinstance(baseline, str) and baseline not in unstable:
            label = "  vs base" if baseline == results.base else f"  vs {baseline}"
            body.append([label, *diffs])
            is_diff.append(True)
    return header, body, is_diff


def _title(results: Results) -> str:
    count = results.replication_count
    if count < 2:
        return (
            f"{results.base}: {plural(count, 'replication')}, no confidence intervals "
            "(an interval needs at least 2 replications)"
        )
    return (
        f"{results.base}: {plural(count, 'replication')}, "
        f"{results.confidence:.0%} confidence intervals"
    )


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.3g}%"


def _legend(results: Results) -> list[str]:
    level = f"{results.confidence:.0%}"
    one = results.replication_count < 2
    lines = [
        "the value of the one replication"
        if one
        else f"mean ± half-width of its {level} confidence interval"
    ]
    unstable = _unstable(results)
    compared = [
        name for name, base in results.baselines.items()
        if name != base and name not in unstable and base not in unstable
    ]  # fmt: skip
    if compared:
        own = "" if one else f"; ± is that difference's own {level} interval"
        lines.append(
            "vs base: the variant minus the base, paired replication by replication "
            f"(same random numbers){own}"
        )
        if not one:
            tested = int(results.compare()["p_value"].notna().sum())
            lines.append(
                f"* significant: the paired t-test's p-value, adjusted by Holm's method over "
                f"all {tested} comparisons of compare(), is below {1 - results.confidence:.0%}; "
                f"the chance that any starred difference is truly zero is at most "
                f"{1 - results.confidence:.0%}"
            )
    choice = results.warmup_choice
    if choice is not None:
        days = choice.warmup_h / 24.0
        text = (
            f"warm-up {days:.3g} days, chosen by MSER-5 on the level series of "
            f"{plural(choice.pilot_replications, 'pilot replication')} (warmup.png)"
        )
        if choice.capped:
            text += "; capped at half the horizon: the levels had not settled"
        lines.append(text)
    report = results.precision_report
    if report is not None:
        text = (
            f"replications: {report.replications}, chosen so that {report.what}'s "
            f"half-width is within {_percent(report.relative)} of its mean "
            f"(precision {_percent(report.precision)}, Law's sequential procedure)"
        )
        if not report.met:
            worst = max(report.measures, key=lambda m: m.ratio)
            text = (
                f"replications: {report.replications} (max_replications): precision "
                f"{_percent(report.precision)} not reached; worst: {worst.metric} of "
                f"{worst.scenario}, half-width {worst.ratio:.2g}× the target"
            )
        lines.append(text)
    if unstable:
        lines.append(
            "unstable: its waiting orders passed run.max_waiting, so its queues grow without "
            "bound and every number would depend on the horizon: none is reported (run.json)"
        )
    return lines


def _footnotes(results: Results) -> list[str]:
    """What the checks before the run found (``run.json`` lists the same)."""
    found = results.record.warnings
    if not found:
        return []
    return ["", "Found before the run (also in run.json):", *(f"  {line}" for line in found)]


def format_table(results: Results) -> str:
    """The headline comparison as aligned text, for the terminal, with the run's warnings."""
    header, body, _ = _rows(results)
    full = [row for row in [header, *body] if len(row) == len(header)]
    widths = [max(len(row[i]) for row in full) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        if len(cells) < len(header):  # an unstable scenario: its message instead of numbers
            return "  ".join([first, *cells[1:]]).rstrip()
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(header))
    lines = [_title(results), "", line(header), rule, *(line(row) for row in body), rule]
    lines.extend(_legend(results))
    lines.extend(_footnotes(results))
    return "\n".join(lines)


def format_html(results: Results) -> str:
    """The headline comparison as an HTML table, for notebooks."""
    header, body, is_diff = _rows(results)
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = [f"<tr>{cells}</tr>"]
    for row, diff in zip(body, is_diff):
        style = ' style="font-style: italic; color: #555"' if diff else ""
        tds = "".join(
            f'<td style="text-align: {"left" if i == 0 else "right"}; white-space: pre">'
            f"{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        if len(row) < len(header):  # an unstable scenario: its message instead of numbers
            tds = (
                f'<td style="text-align: left">{html.escape(row[0])}</td>'
                f'<td colspan="{len(header) - 1}" style="text-align: left">'
                f"{html.escape(' '.join(row[1:]))}</td>"
            )
        rows.append(f"<tr{style}>{tds}</tr>")
    notes = [_legend(results), _footnotes(results)[1:]]  # the legend, then any warnings
    paragraphs = "".join(
        f"<p><small>{'<br>'.join(html.escape(line.strip()) for line in lines)}</small></p>"
        for lines in notes
        if lines
    )
    return (
        f"<div><p><b>{html.escape(_title(results))}</b></p>"
        f"<table>{''.join(rows)}</table>{paragraphs}</div>"
    )


# --------------------------------------------------------------------------- the report
def run_sections(results: Results, figures: Mapping[str, bytes]) -> list[Section]:
    """The headline table with its footnotes, the verdicts, and ``figures`` (name → PNG)."""
    from sim.output.html import Section, Table, picture
    from sim.output.verdict import verdicts

    header, body, is_diff = _rows(results)
    table = Table(header, body, ["diff" if d else "" for d in is_diff], _legend(results))
    sections = [Section("headline", "Headline", [_title(results)], tables=[table])]
    found = verdicts(results)
    if found:
        intro = (
            "Each variant against its baseline, from the paired differences of the table: "
            "a measure counts as changed only when its difference is significant after "
            "Holm's adjustment (the table's *). \"No difference detected\" means the "
            "difference was within the noise of these replications, not that there is none."
        )
        sections.append(Section("verdicts", "Verdict per variant", [intro], verdicts=found))
    pictures = [picture(name, png) for name, png in figures.items()]
    if len(results.names) == 1:  # no variant: no difference panels to describe
        pictures = [picture(p.file, png, caption="each headline measure with its confidence "
                            "interval") if p.file == "comparison.png" else p
                    for p, png in zip(pictures, figures.values())]  # fmt: skip
    sections.append(Section("figures", "Figures", figures=pictures))
    return sections


def run_report(results: Results, figures: Mapping[str, bytes]) -> str:
    """``report.html`` of a run (:mod:`sim.output.html`): :func:`run_sections`, the
    warnings and what was run."""
    from sim.output.html import render

    names = ", ".join(results.names)
    subtitle = (
        f"{plural(len(results.names), 'scenario')} ({names}), "
        f"{plural(results.replication_count, 'replication')} each"
    )
    return render(f"{results.base}: simulation report", subtitle,
                  run_sections(results, figures), record=results.record,
                  scenarios=results.scenarios)  # fmt: skip
