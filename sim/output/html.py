"""The planner's report: ``report.html``, one self-contained page for a manager.

Every ``run``, ``sweep`` and ``optimize`` writes one. It opens offline in any browser
and prints well: the figures are embedded as ``data:`` URIs, the style sheet is inline,
there is no script, no font and no link to anything outside the file. The page is the
Jinja2 template ``sim/output/templates/report.html.j2`` (package data) filled in with:

* the sections of the command (:class:`Section`): for a run
  (:func:`sim.output.report.run_report`) the headline table (the terminal's table,
  with its footnotes), a plain-language verdict per variant
  (:mod:`sim.output.verdict`) and every figure; for a sweep
  (:func:`sim.output.sweep_report.sweep_report`) the Pareto frontier, the points and
  the figures; for an optimization :func:`optimize_sections`;
* the warnings the tool gave (from ``run.json``);
* what was run: the facts of ``run.json``, each scenario file's YAML, and ``run.json``
  itself.

The hook for a command: build its list of :class:`Section` (tables, verdicts, figures as
PNG bytes through :func:`picture`) and call :func:`render` with its
:class:`~sim.experiment.record.RunRecord` and scenarios, then :func:`write_report`.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim._files import atomic_write
from sim.output.format import plural

if TYPE_CHECKING:
    from sim.experiment.record import RunRecord
    from sim.output.verdict import Verdict
    from sim.scenario.models import Scenario

__all__ = [
    "REPORT_FILE",
    "Picture",
    "Section",
    "Table",
    "optimize_report",
    "optimize_sections",
    "picture",
    "render",
    "write_report",
]

#: The report's file name in every output folder.
REPORT_FILE = "report.html"
TEMPLATE = "report.html.j2"

# What each figure of a run or sweep shows, for its caption.
CAPTIONS = {
    "comparison.png": "each headline measure per scenario with its confidence interval "
    "(left), and each variant's paired difference from the base with its interval "
    "(right; * significant after Holm's adjustment)",
    "cost_breakdown.png": "the operating cost lines stacked per scenario against the gross "
    "margin; the cost of goods sold is left out",
    "timeseries.png": "inventory on hand and orders waiting over time, averaged over "
    "replications, with the range across replications shaded",
    "warmup.png": "how the warm-up was chosen: MSER-5 on the pilot replications",
    "sweep_metrics.png": "the headline measures against the swept value, with confidence bands",
    "sweep_heatmaps.png": "the money measure and the service level over the grid; "
    "outlined: the Pareto frontier",
    "sweep_pareto.png": "every point's money measure against its service level; the "
    "frontier joined and listed",
    "sweep_keys.png": "each headline measure against each swept key",
}


@dataclass
class Table:
    """A table of text cells: the first column reads left, the others right.

    ``row_classes`` gives each row a CSS class (``"diff"`` for a ``vs base`` row,
    ``"mark"`` for a highlighted one, ``""`` for none); ``notes`` are footnotes.
    """

    header: list[str]
    rows: list[list[str]]
    row_classes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    caption: str = ""
    css: str = "headline"

    def __post_init__(self) -> None:
        self.row_classes = list(self.row_classes) + [""] * (len(self.rows) - len(self.row_classes))


@dataclass(frozen=True)
class Picture:
    """A PNG figure embedded in the page."""

    file: str
    title: str
    caption: str
    uri: str
    width: int
    height: int


@dataclass
class Section:
    """One part of the report: a heading, paragraphs, tables, verdicts and figures."""

    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    figures: list[Picture] = field(default_factory=list)


def picture(file: str, png: bytes, title: str | None = None, caption: str | None = None) -> Picture:
    """A PNG as a ``data:`` URI with its size in pixels (from its header), for the page."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{file}: not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    stem = file.rsplit(".", 1)[0].replace("_", " ")
    return Picture(file, title or stem.capitalize(), CAPTIONS.get(file, "") if caption is None
                   else caption, uri, width, height)  # fmt: skip


# --------------------------------------------------------------------------- the page
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.output", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _days(hours: Any) -> str:
    try:
        return f"{float(hours) / 24.0:.4g} days"
    except (TypeError, ValueError):
        return str(hours)


def _facts(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The lines of ``run.json`` a reader looks for first, as ``(name, value)``."""
    facts = [("command", str(data.get("command", "")))]
    tool = data.get("tool") or {}
    facts.append(("tool", f"{tool.get('name', 'opsim')} {tool.get('version', '')}".strip()))
    if data.get("argv"):
        facts.append(("command line", " ".join(str(a) for a in data["argv"])))
    for key in ("started", "finished"):
        if data.get(key):
            facts.append((key, str(data[key])))
    if data.get("scheduler"):
        facts.append(("ran on", f"Dask scheduler {data['scheduler']}"))
    elif data.get("workers"):
        facts.append(("ran on", plural(int(data["workers"]), "worker process")))
    if data.get("overrides"):
        facts.append(("--set", ", ".join(data["overrides"])))
    for scenario in data.get("scenarios") or []:
        warmup = scenario.get("warmup") or {}
        chosen = "chosen by MSER-5" if warmup.get("auto") or "chosen_h" in warmup else "given"
        parts = [
            f"seed {scenario.get('seed')}",
            f"horizon {_days(scenario.get('horizon_h'))}",
            f"warm-up {_days(scenario.get('warmup_h'))} ({chosen})",
            f"{scenario.get('replications')} replications",
        ]
        facts.append((f"scenario {scenario.get('name')}", ", ".join(parts)))
    facts.append(("python", f"{data.get('python', '')} on {data.get('platform', '')}"))
    return facts


def _scenario_files(record: Mapping[str, Any], scenarios: Sequence[Scenario]) -> list[dict]:
    """Each scenario file's text (once per file), or the scenario as loaded when it has no
    file one can read."""
    import yaml

    shown: list[dict] = []
    seen: set[str] = set()
    listed = [f for s in record.get("scenarios") or [] for f in s.get("files") or []]
    for entry in listed:
        name = str(entry.get("file"))
        if name in seen:
            continue
        seen.add(name)
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            text = f"(could not be read now: {exc.strerror})"
        digest = entry.get("sha256")
        note = f"SHA-256 {digest}" if digest else "could not be read when the run started"
        shown.append({"name": name, "note": note, "text": text})
    if not shown:
        for scenario in scenarios[:1]:
            raw = getattr(scenario, "raw", None)
            if raw:
                text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
                shown.append({"name": f"{scenario.name} (made in code)",
                              "note": "the scenario as loaded: it was not read from a file",
                              "text": text})  # fmt: skip
    return shown


def render(
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    *,
    record: RunRecord | Mapping[str, Any] | None = None,
    scenarios: Sequence[Scenario] = (),
) -> str:
    """The report page: ``sections``, then the warnings and what was run (from ``record``)."""
    from sim import __version__

    data: Mapping[str, Any] = {}
    if record is not None:
        data = record if isinstance(record, Mapping) else record.as_dict()
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) if data else ""
    written = str(data.get("finished") or data.get("started") or "")
    return _environment().get_template(TEMPLATE).render(
        title=title,
        subtitle=subtitle,
        sections=list(sections),
        warnings=list(data.get("warnings") or []),
        facts=_facts(data) if data else [],
        files=_scenario_files(data, scenarios),
        record_json=text,
        version=__version__,
        written=written or "an unrecorded date",
    )


def write_report(path: str | os.PathLike[str], page: str) -> None:
    """Write the page (whole or not at all)."""
    atomic_write(os.fspath(path), page)


# --------------------------------------------------------------------------- optimize
def optimize_sections(result: Any, figures: Mapping[str, bytes]) -> list[Section]:
    """The sections of an optimization's report, from the result object of the contract
    (``docs/outputs.md``, "Decisions"): its conclusion sentence (``result.conclusion``,
    when it has one), the best plan (``result.best``, a dict of decision values), the
    table of every candidate (``result.table()``, the ``decision.csv`` DataFrame; the
    best row in bold) and ``figures`` (``decision.png``).

    :func:`optimize_report` wraps these sections into the whole page.
    """
    paragraphs = []
    conclusion = getattr(result, "conclusion", None)
    if conclusion:
        paragraphs.append(str(conclusion))
    best = getattr(result, "best", None) or {}
    if best:
        paragraphs.append("Best plan: " + ", ".join(f"{k} = {v}" for k, v in best.items()))
    table = result.table()
    header = [str(c) for c in table.columns]
    rows, marks = [], []
    for _, row in table.iterrows():
        rows.append([_cell(row[c]) for c in table.columns])
        marks.append("mark" if str(row.get("status", "")) == "best" else "")
    tables = [Table(header, rows, marks, ["bold: the best plan"], "Every candidate evaluated")]
    pictures = [picture(name, png) for name, png in figures.items()]
    return [Section("headline", "Decision", paragraphs, tables=tables),
            Section("figures", "Figures", figures=pictures)]  # fmt: skip


def optimize_report(result: Any, figures: Mapping[str, bytes]) -> str:
    """``report.html`` of an optimization: :func:`optimize_sections`, the warnings and what
    was run (``result.record``, the run.json record, and ``result.plan.base``, the
    scenario optimized, when the result has them).

    The ``optimize`` command writes it beside ``decision.csv``::

        write_report(os.path.join(out, REPORT_FILE),
                     optimize_report(decision, {"decision.png": png}))
    """
    plan = getattr(result, "plan", None)
    base = getattr(plan, "base", None)
    name = getattr(base, "name", "optimization")
    table = result.table()
    subtitle = f"{plural(len(table), 'candidate')} evaluated"
    return render(f"{name}: optimization report", subtitle, optimize_sections(result, figures),
                  record=getattr(result, "record", None),
                  scenarios=[base] if base is not None else [])  # fmt: skip


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}"
    return str(value)
