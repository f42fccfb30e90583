"""Tests for the planner's report: report.html, the verdicts, results.xlsx and sweep labels."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import matplotlib
import pytest

import sim
from sim.experiment.sweep.runner import sweep
from sim.output import sweep_plots
from sim.output.verdict import verdicts

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]

# One picker more on the evening shift: the same extra wages in every replication, a
# difference the verdict must call a cost. The evening shift crosses midnight, which
# the tool warns about: the report must show that warning.
SHOP = """
name: report-shop
currency: EUR
run: {horizon: 4d, warmup: 1d, replications: 4, seed: 5}
demand:
  arrivals: {rate: 60/day}
products:
  widget: {price: 20, unit_cost: 8, initial_stock: 80, supplier: acme,
           policy: {type: s_S, s: 30, S: 100}}
suppliers:
  acme: {lead_time: 1d, order_cost: 30}
staff:
  pickers:
    wage: 18/h
    shifts:
      - {days: [mon, tue, wed, thu, fri], start: "06:00", end: "14:00", headcount: 2}
      - {days: [mon, tue, wed, thu, fri, sat, sun], start: "14:00", end: "06:00", headcount: 2}
process:
  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}
service: {promise: 4h}
variants:
  more_pickers: {staff.pickers.shifts.1.headcount: 3}
sweep:
  grid:
    staff.pickers.shifts.0.headcount: [1, 2]
    products.widget.policy.s: [20, 40]
  replications: 2
"""


@pytest.fixture(scope="module")
def results():
    return sim.run(sim.loads(SHOP), workers=1, progress=False)


@pytest.fixture(scope="module")
def folder(results, tmp_path_factory):
    return Path(results.save(tmp_path_factory.mktemp("run") / "out", excel=True))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    return sweep(sim.loads(SHOP), workers=1, out=out, progress=False), out


def _extra_labour(results) -> float:
    """The wages of the extra evening picker over the measured window."""
    summary = results.summary().query("metric == 'cost_labor' and subject == 'all'")
    return float(summary.set_index("scenario").loc["more_pickers", "mean"]
                 - summary.set_index("scenario").loc["report-shop", "mean"])  # fmt: skip


def test_verdict_states_the_cost_change_with_its_unit_and_window(results):
    """The extra picker's wages (a fixed, known amount) read as a cost over the window."""
    extra = _extra_labour(results)
    assert extra > 0
    (verdict,) = verdicts(results)
    assert verdict.scenario == "more_pickers" and verdict.baseline == "report-shop"
    assert f"Costs {extra:,.0f} EUR more to run" in verdict.sentence
    assert "over the 3-day measured window" in verdict.sentence


def test_verdict_says_no_difference_detected_never_no_difference(results):
    """A measure whose difference is not significant reads "no difference detected"."""
    table = results.compare().query("subject == 'all' and metric == 'fill_rate'")
    assert not table["significant"].iloc[0]
    (verdict,) = verdicts(results)
    assert "no difference detected in what customers see" in verdict.sentence
    assert not re.search(r"(?<!detected in )\bno difference\b(?! detected)", verdict.sentence)


def test_verdict_details_give_interval_and_holm_p_for_each_headline_measure(results):
    """One detail line per headline measure, with its interval and adjusted p-value."""
    (verdict,) = verdicts(results)
    assert len(verdict.details) == len(results.headline_metrics())
    assert all("95% interval" in line and "Holm-adjusted p" in line for line in verdict.details)


def test_one_replication_verdict_tests_nothing():
    """With one replication the verdict says nothing can be tested."""
    one = sim.run(sim.loads(SHOP), workers=1, progress=False, replications=1)
    (verdict,) = verdicts(one)
    assert verdict.sentence.startswith("one replication only") and not verdict.changed


def test_report_is_one_self_contained_file(folder):
    """report.html asks for nothing outside itself: no script, no link, no remote URL."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page)
    assert "http://" not in page and "https://" not in page
    sources = re.findall(r'<img src="([^"]{0,22})', page)
    assert len(sources) == 3 and set(sources) == {"data:image/png;base64,"}


def test_report_holds_table_verdict_figures_warnings_and_what_was_run(folder, results):
    """The page has the headline, the verdict, every figure, warnings, the YAML and run.json."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    for text in ("Headline", "Verdict per variant", "comparison.png", "cost_breakdown.png",
                 "timeseries.png", "Warnings", "What was run", "run.json",
                 "more_pickers"):  # fmt: skip
        assert text in page
    assert f"Costs {_extra_labour(results):,.0f} EUR more to run" in page
    from markupsafe import escape

    warnings = results.record.warnings
    assert any("crosses midnight" in w for w in warnings)
    assert all(str(escape(w)) in page for w in warnings)
    assert "@media print" in page and "break-inside: avoid" in page


def test_report_shows_a_scenario_file_as_written(tmp_path):
    """A scenario read from a file is shown in the report as the file's text."""
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP + "# a comment only the file has\n", encoding="utf-8")
    out = sim.run(sim.load(path), workers=1, progress=False, replications=2).save(tmp_path / "o")
    page = (Path(out) / "report.html").read_text(encoding="utf-8")
    assert "# a comment only the file has" in page and str(path) in page


def test_template_is_package_data():
    """Every template file matches a package-data pattern, so a wheel carries it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["sim"]
    templates = sorted((ROOT / "sim" / "output" / "templates").iterdir())
    assert templates
    for template in templates:
        relative = template.relative_to(ROOT / "sim").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_excel_has_the_contract_sheets_with_frozen_headers(folder):
    """results.xlsx holds summary, comparison, replications and run, header rows frozen."""
    from openpyxl import load_workbook

    book = load_workbook(folder / "results.xlsx")
    assert book.sheetnames == ["summary", "comparison", "replications", "run"]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert [c.value for c in book["summary"][1]] == [
        "scenario", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit"
    ]


def test_excel_numbers_are_numbers_with_percent_and_money_formats(folder, results):
    """Means are numeric cells: fractions formatted as percent, money with separators."""
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "results.xlsx")["summary"]
    rows = {(r[0].value, r[1].value, r[2].value): r for r in sheet.iter_rows(min_row=2)}
    fill = rows[("report-shop", "fill_rate", "all")][3]
    cost = rows[("report-shop", "operating_cost", "all")][3]
    expected = results.metric("operating_cost").loc["report-shop", "mean"]
    assert fill.data_type == "n" and "%" in fill.number_format
    assert cost.data_type == "n" and cost.value == pytest.approx(expected)
    assert cost.number_format.startswith("#,##0")


def test_excel_run_sheet_flattens_run_json(folder, results):
    """The run sheet has one row per leaf of run.json, keyed by its dotted path."""
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "results.xlsx")["run"]
    values = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert values["command"] == "run" and values["scenarios.0.seed"] == 5


def test_sweep_writes_a_report_with_the_frontier(swept):
    """A sweep's folder holds report.html with its frontier table and figures."""
    results, out = swept
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Pareto frontier" in page and "sweep_heatmaps.png" in page
    assert "pickers, shift 1 (Mon-Fri 06:00-14:00)" in page


def test_heatmap_axes_read_as_a_planner_says_them(swept):
    """Heatmap axes name the pool, the shift and its hours, not the dotted path."""
    fig = sweep_plots.heatmap_figure(swept[0])
    ax = fig.get_axes()[0]
    assert ax.get_ylabel() == "pickers, shift 1 (Mon-Fri 06:00-14:00)"
    assert ax.get_xlabel() == "widget, reorder point s"
    assert "staff.pickers.shifts.0.headcount" in fig.get_supxlabel()


def test_heatmap_colour_scale_spans_the_data(swept):
    """The service-level colour scale runs from the lowest to the highest point's mean."""
    results = swept[0]
    fig = sweep_plots.heatmap_figure(results)
    image = fig.get_axes()[1].get_images()[0]
    service = results.headline()["service_level_mean"]
    low, high = image.get_clim()
    if service.max() > service.min():
        assert (low, high) == pytest.approx((service.min(), service.max()))
    else:
        assert low < service.min() <= service.max() < high


def test_optimize_sections_render_a_decision_table():
    """The optimize hook renders the contract's result: conclusion, best plan, candidates.

    A stand-in with the interface of docs/outputs.md: sim.optimize is built on its own
    branch (#13) and plugs in through optimize_report when merged.
    """
    import pandas as pd

    from sim.output.html import optimize_report, optimize_sections, render

    class Result:  # the interface of docs/outputs.md, "Decisions (v2)"
        conclusion = "Best: agents=9 (operating income 41,200 ± 310)."
        best = {"staff.agents.headcount": 9}

        def table(self):
            return pd.DataFrame({"candidate": [0, 1], "staff.agents.headcount": [8, 9],
                                 "status": ["feasible", "best"],
                                 "objective_mean": [40100.0, 41200.0]})  # fmt: skip

    page = render("desk: optimization", "2 candidates", optimize_sections(Result(), {}))
    assert "Best: agents=9" in page and 'class="mark"' in page
    assert "staff.agents.headcount = 9" in page
    whole = optimize_report(Result(), {})
    assert "optimization report" in whole and "2 candidates evaluated" in whole
