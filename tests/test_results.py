"""Tests for Results and the report: the tables, the terminal table and the result files."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.experiment.results import Results
from sim.output import report
from sim.output.format import format_interval
from sim.output.report import format_table, write_results

SUMMARY_COLUMNS = ["scenario", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit"]
REPLICATION_COLUMNS = ["scenario", "replication", "metric", "subject", "value", "unit"]
REPLICATIONS = 4


def scenario(name, warmup_h=24.0):
    """A stand-in for a Scenario: the few attributes Results reads."""
    return SimpleNamespace(
        name=name, currency="EUR", run=SimpleNamespace(confidence=0.9, warmup=warmup_h)
    )


def output(name, replication, shift=0.0, on_time=0.9, times=(0.0, 12.0, 24.0)):
    """Fake rows of one replication: the headline metrics, a cost line and two series."""
    noise = [0.3, -0.1, 0.2, -0.4][replication] + 1 / 3  # thirds do not round-trip as text
    throughput = 100.0 + 10 * noise + shift
    cost = 5000.0 + 100 * noise
    metrics = [
        ("throughput_per_day", "all", throughput, "orders/day"),
        ("fill_rate", "widget", 0.95 + noise / 100, "fraction"),
        ("fill_rate", "all", 0.95 + noise / 100, "fraction"),
        ("on_time_rate", "all", on_time, "fraction"),
        ("service_level", "all", 0.8 + noise / 100, "fraction"),
        ("revenue", "all", 20 * throughput, "EUR"),
        ("cost_of_goods", "all", cost - 1000, "EUR"),
        ("cost_labor", "all", 1000.0, "EUR"),
        ("cost_total", "all", cost, "EUR"),
        ("operating_cost", "all", 1000.0, "EUR"),
        ("gross_margin", "all", 20 * throughput - cost + 1000, "EUR"),
        ("operating_income", "all", 20 * throughput - cost, "EUR"),
    ]
    series = [("on_hand", "widget", t, 10.0 * replication + t) for t in times]
    series += [("queue", "pick", t, float(replication)) for t in times]
    return SimpleNamespace(scenario=name, replication=replication, metrics=metrics, series=series)


def make_results(names=("base", "more_staff"), shifts=(0.0, 5.0), on_time=0.9, baselines=None):
    outputs = [
        output(name, r, shift, on_time)
        for name, shift in zip(names, shifts)
        for r in range(REPLICATIONS)
    ]
    random.Random(1).shuffle(outputs)  # as if the workers finished in any order
    scenarios = [scenario(name) for name in names]
    return Results.from_outputs(outputs, scenarios, baselines=baselines)


@pytest.fixture
def results():
    return make_results()


# --- tables ---------------------------------------------------------------------------


def test_replications_table_has_the_contract_columns(results):
    """replications() has exactly the replications.csv columns of the output contract."""
    assert list(results.replications().columns) == REPLICATION_COLUMNS


def test_summary_table_has_the_contract_columns(results):
    """summary() has exactly the summary.csv columns of the output contract."""
    assert list(results.summary().columns) == SUMMARY_COLUMNS


def test_rows_are_sorted_by_scenario_order_then_replication(results):
    """Outputs arriving in any order are tabulated base first, replication by replication."""
    table = results.replications()
    order = table[["scenario", "replication"]].drop_duplicates().apply(tuple, axis=1).tolist()
    assert order == [(s, r) for s in ("base", "more_staff") for r in range(REPLICATIONS)]


def test_confidence_comes_from_the_scenario(results):
    """The intervals use the scenario's run.confidence."""
    assert results.confidence == 0.9


def test_confidence_is_read_only(results):
    """The default level cannot be changed under cached tables (review P4)."""
    with pytest.raises(AttributeError):
        results.confidence = 0.5


def test_summary_at_another_level_leaves_the_default_table_alone(results):
    """summary(confidence=0.5) is narrower; summary() afterwards still has the 90% intervals."""
    default = results.summary()
    half = results.summary(confidence=0.5)
    width = (default["ci_high"] - default["ci_low"]).dropna()
    narrow = (half["ci_high"] - half["ci_low"]).dropna()
    assert (narrow <= width).all() and (narrow < width).any()
    pd.testing.assert_frame_equal(results.summary(), default)


def test_compare_has_the_contract_columns(results):
    """compare() has exactly the columns of outputs.md, in order."""
    assert list(results.compare().columns) == [
        "scenario", "metric", "subject", "base_mean", "mean", "diff_mean", "diff_low",
        "diff_high", "p_value", "p_adjusted", "significant", "n", "unit",
    ]


def test_compare_is_each_variant_minus_its_base_paired(results):
    """compare() pairs replications: a constant shift gives that shift and a zero-width interval."""
    row = results.compare().query("metric == 'throughput_per_day'").iloc[0]
    assert row["scenario"] == "more_staff"
    assert row["diff_mean"] == pytest.approx(5.0)
    assert row["diff_low"] == pytest.approx(5.0) and row["diff_high"] == pytest.approx(5.0)
    assert row["p_value"] == 0.0  # zero spread, nonzero difference: decided exactly
    assert bool(row["significant"])


def test_compare_adjusts_over_the_whole_table(results):
    """p_adjusted is Holm over every row with a p-value; adjust=None leaves p-values as they are."""
    from statsmodels.stats.multitest import multipletests

    table = results.compare()
    known = table["p_value"].notna()
    expected = multipletests(table.loc[known, "p_value"], method="holm")[1]
    assert table.loc[known, "p_adjusted"].to_numpy() == pytest.approx(expected)
    plain = results.compare(adjust=None)
    assert plain["p_adjusted"].equals(plain["p_value"])


def test_compare_refuses_an_unknown_adjustment(results):
    """adjust names one of the supported procedures."""
    with pytest.raises(ValueError, match="adjust: expected one of"):
        results.compare(adjust="sidak")


def test_compare_uses_each_scenarios_own_baseline():
    """With several files, a variant is compared with its own file's base, not the first base."""
    results = make_results(
        names=("a", "b", "b_more"),
        shifts=(0.0, 2.0, 7.0),
        baselines={"a": "a", "b": "a", "b_more": "b"},
    )
    diffs = (
        results.compare().query("metric == 'throughput_per_day'").set_index("scenario")["diff_mean"]
    )
    assert diffs.to_dict() == pytest.approx({"b": 2.0, "b_more": 5.0})


def test_series_averages_replications_observed_at_the_same_times(results):
    """series() gives the mean level over replications at each sampled time."""
    table = results.series().query("scenario == 'base' and series == 'on_hand'")
    assert list(table.columns) == ["scenario", "series", "subject", "time_h", "value"]
    assert table["time_h"].tolist() == [0.0, 12.0, 24.0]
    assert table["value"].tolist() == pytest.approx([15.0, 27.0, 39.0])  # mean of 10r + t


def test_series_holds_each_level_when_replications_were_observed_at_different_times():
    """Replications sampled at different times are averaged on a common grid, levels held."""
    outputs = [
        SimpleNamespace(scenario="s", replication=0, metrics=[("m", "all", 1.0, "u")],
                        series=[("queue", "pick", 0.0, 0.0), ("queue", "pick", 10.0, 4.0)]),
        SimpleNamespace(scenario="s", replication=1, metrics=[("m", "all", 1.0, "u")],
                        series=[("queue", "pick", 0.0, 2.0), ("queue", "pick", 5.0, 6.0),
                                ("queue", "pick", 10.0, 6.0)]),
    ]  # fmt: skip
    table = Results.from_outputs(outputs, [scenario("s")]).series()
    at = dict(zip(table["time_h"], table["value"]))
    assert at[0.0] == 1.0 and at[10.0] == 5.0
    middle = table[(table["time_h"] > 5.0) & (table["time_h"] < 10.0)]["value"]
    assert (middle == 3.0).all()  # replication 0 still at 0, replication 1 at 6


def test_service_metric_is_the_service_level(results):
    """The headline service measure counts every resolved customer: service_level."""
    assert results.service_metric() == "service_level"


def test_headline_leads_with_throughput_service_level_operating_cost_and_income(results):
    """headline(): throughput, service level, operating cost, income, then fill rate."""
    table = results.headline()
    assert table["metric"].tolist()[:5] == [
        "throughput_per_day",
        "service_level",
        "operating_cost",
        "operating_income",
        "fill_rate",
    ]
    assert table.query("scenario == 'base'")["diff_mean"].isna().all()
    assert table.query("scenario == 'more_staff'")["diff_mean"].notna().all()


def test_headline_leaves_out_income_when_nothing_is_sold():
    """A business without revenue (an internal desk) has no operating income column."""
    results = make_results()
    rows = results._rows
    rows.loc[rows["metric"] == "revenue", "value"] = 0.0
    assert "operating_income" not in results.headline_metrics()


# --- the terminal table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((301.2, 282.1, 320.3), "301 ± 19"),
        ((0.993, 0.964, 1.022, True), "99.3 ± 2.9"),
        ((-2.36, -3.3, -1.42, False, True), "-2.36 ± 0.94"),
        ((195083.0, 186374.0, 203792.0), "195,083 ± 8,709"),
        ((5.0, math.nan, math.nan), "5.00"),
    ],
)
def test_format_interval_shows_two_significant_digits_of_the_half_width(args, expected):
    """A mean is rounded where its interval's half-width has its second significant digit."""
    assert format_interval(*args) == expected


def test_table_stars_significant_differences_and_explains_them(results):
    """The terminal table shows mean ± half-width, a starred paired difference and a legend."""
    text = format_table(results)
    lines = text.splitlines()
    assert lines[0] == "base: 4 replications, 90% confidence intervals"
    vs_base = next(line for line in lines if line.startswith("  vs base"))
    assert "+5.00 ± 0 *" in vs_base
    compared = int(results.compare()["p_value"].notna().sum())
    legend = (
        f"* significant: the paired t-test's p-value, adjusted by Holm's method over all "
        f"{compared} comparisons of compare(), is below 10%; the chance that any starred "
        "difference is truly zero is at most 10%"
    )
    assert legend in lines
    assert repr(results) == text


def test_one_replication_shows_no_interval_and_says_so():
    """With one replication the title says there are no intervals and no cell has a ±."""
    outputs = [output(name, 0, shift) for name, shift in (("base", 0.0), ("more_staff", 5.0))]
    results = Results.from_outputs(outputs, [scenario("base"), scenario("more_staff")])
    lines = format_table(results).splitlines()
    assert lines[0] == (
        "base: 1 replication, no confidence intervals (an interval needs at least 2 replications)"
    )
    assert not any("±" in line for line in lines)
    assert not any("*" in line for line in lines)


def test_html_repr_is_a_table_for_notebooks(results):
    """In a notebook a Results shows the same headline as an HTML table."""
    html = results._repr_html_()
    assert html.startswith("<div>") and "<table>" in html
    assert "more_staff" in html and "throughput (orders/day)" in html


# --- files ----------------------------------------------------------------------------


def test_write_results_writes_every_file(results, tmp_path, quick_figures):
    """write_results writes both CSV files and the three figures, and nothing else."""
    out = write_results(results, tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == sorted(report.FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_csv_files_keep_every_digit(results, tmp_path, quick_figures):
    """Floats are written in full precision: reading the CSV files back gives the same numbers."""
    out = write_results(results, tmp_path / "out")
    back = pd.read_csv(out / "replications.csv")
    assert list(back.columns) == REPLICATION_COLUMNS
    assert np.array_equal(back["value"].to_numpy(), results.replications()["value"].to_numpy())
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert np.array_equal(summary["mean"].to_numpy(), results.summary()["mean"].to_numpy())


def test_same_results_give_byte_identical_files(results, tmp_path, quick_figures):
    """Writing the same results twice gives the same bytes in every file (figures: test_plots)."""
    a = write_results(results, tmp_path / "a")
    b = write_results(results, tmp_path / "b")
    for name in report.FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_failure_while_plotting_leaves_no_files(results, tmp_path, monkeypatch, quick_figures):
    """If a figure fails, no output folder and no temporary files are left behind."""

    def fail(_results):
        raise RuntimeError("plotting broke")

    monkeypatch.setattr("sim.output.plots.timeseries_figure", fail)
    with pytest.raises(RuntimeError, match="plotting broke"):
        write_results(results, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_previous_results(results, tmp_path, monkeypatch, quick_figures):
    """A failed run into an existing folder leaves the earlier files exactly as they were."""
    out = write_results(results, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr("sim.output.plots.cost_breakdown_figure", lambda _r: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_results(make_results(shifts=(1.0, 2.0)), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rewriting_a_folder_keeps_the_users_other_files(results, tmp_path, quick_figures):
    """Results written into a folder that holds other files replace only the result files."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    write_results(results, out)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "summary.csv").exists()


def test_metric_returns_one_row_per_scenario(results):
    """metric(name, subject) picks one metric out of the summary, indexed by scenario."""
    table = results.metric("throughput_per_day")
    assert table.index.tolist() == ["base", "more_staff"]
    assert list(table.columns) == ["mean", "ci_low", "ci_high", "sd", "n", "unit"]


def test_metric_names_the_known_subjects_when_the_subject_is_wrong(results):
    """Asking for a subject the metric does not have lists the ones it has."""
    with pytest.raises(KeyError, match="has no subject 'nobody'"):
        results.metric("throughput_per_day", "nobody")
