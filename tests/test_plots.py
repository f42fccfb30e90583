"""Tests for sim.output.plots: the figures have the panels and labels a planner needs."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import pytest

import sim
from sim.output import plots

SHOP = """
name: tiny-shop
currency: EUR
run: {horizon: 4d, warmup: 1d, replications: 2, seed: 3}
demand:
  arrivals: {rate: 80/day}
products:
  widget: {price: 20, unit_cost: 8, initial_stock: 100, supplier: acme,
           policy: {type: s_S, s: 40, S: 120}}
  gadget: {price: 50, unit_cost: 30, initial_stock: 60, supplier: acme,
           policy: {type: r_Q, r: 20, Q: 50}}
suppliers:
  acme: {lead_time: 1d, order_cost: 30}
staff:
  pickers: {headcount: 2, wage: 18/h}
process:
  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}
service: {promise: 4h}
variants:
  more_pickers: {staff.pickers.headcount: 3}
"""


@pytest.fixture(scope="module")
def results():
    return sim.run(sim.loads(SHOP), workers=1, progress=False)


@pytest.fixture(scope="module")
def delay_step():
    """The shop over 30 days with a pure-delay shipping step (nobody ever queues there)."""
    text = SHOP.replace("{horizon: 4d, warmup: 1d,", "{horizon: 30d, warmup: 2d,").replace(
        "  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}",
        "  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}\n"
        "  - {step: ship, time: 2h}",
    )
    return sim.run(sim.loads(text), workers=1, progress=False, replications=2)


@pytest.fixture(scope="module")
def no_promise():
    scenario = sim.loads(SHOP).with_changes({"service.promise": None})
    return sim.run(scenario, workers=1, progress=False, replications=2)


def test_comparison_leads_with_throughput_service_cost_and_income_with_units(results):
    """Panels: throughput (orders/day), service level (%), operating cost and income (EUR),
    each followed by its paired differences from the base."""
    fig = plots.comparison_figure(results)
    axes = [ax for ax in fig.get_axes() if ax.axison]
    assert [ax.get_title() for ax in axes] == [
        "Throughput", "Throughput: vs base", "Service level", "Service level: vs base",
        "Operating cost", "Operating cost: vs base", "Operating income",
        "Operating income: vs base", "Fill rate", "Fill rate: vs base",
    ]
    assert axes[0].get_xlabel() == "orders completed per day"
    assert axes[2].get_xlabel().startswith("%")
    assert axes[3].get_xlabel() == "difference, percentage points"
    assert axes[4].get_xlabel().startswith("EUR") and axes[6].get_xlabel().startswith("EUR")


def test_comparison_draws_each_paired_difference_with_its_interval(results):
    """The cost difference panel puts the variant's dot at compare()'s mean difference, its
    error bar at the interval, filled when significant."""
    fig = plots.comparison_figure(results)
    panel = next(ax for ax in fig.get_axes() if ax.get_title() == "Operating cost: vs base")
    row = results.compare().query("metric == 'operating_cost' and subject == 'all'").iloc[0]
    (dot,) = [line for line in panel.get_lines() if line.get_marker() == "o"]
    assert dot.get_xdata()[0] == pytest.approx(row["diff_mean"])
    segments = [c for c in panel.collections if len(c.get_segments()) == 1]
    (x0, _), (x1, _) = segments[0].get_segments()[0]
    assert (min(x0, x1), max(x0, x1)) == pytest.approx((row["diff_low"], row["diff_high"]))
    assert (dot.get_markerfacecolor() != "white") == bool(row["significant"])


def test_comparison_names_every_scenario_and_marks_the_base(results):
    """Each scenario has a labelled bar; the base is marked as such."""
    ax = plots.comparison_figure(results).get_axes()[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["tiny-shop\n(base)", "more_pickers"]
    assert len(ax.patches) == 2


def test_comparison_title_says_scenario_replications_and_confidence(results):
    """The title names the scenario, the number of replications and the confidence level."""
    title = plots.comparison_figure(results)._suptitle.get_text()
    assert "tiny-shop" in title and "2 replications" in title and "95% confidence" in title


def test_service_panel_is_the_service_level_even_without_a_promise(no_promise):
    """Without a delivery promise the service panel still shows the service level."""
    assert plots.comparison_figure(no_promise).get_axes()[2].get_title() == "Service level"


def test_cost_breakdown_leaves_out_the_goods_and_marks_margin_and_income(results):
    """The cost figure stacks operating cost lines (no goods sold) against the gross margin."""
    fig = plots.cost_breakdown_figure(results)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "goods sold" not in labels and labels[0] == "labour"
    assert "operating income" in labels and labels[-1].startswith("gross margin")
    assert "cost of goods sold left out" in fig.get_axes()[0].get_title()


def test_operating_cost_lines_are_the_terms_of_operating_cost(results):
    """The stacked lines add up to operating_cost in every scenario (cost of goods apart)."""
    summary = results.summary().query("subject == 'all'").set_index(["scenario", "metric"])
    for name in results.names:
        stacked = sum(summary.loc[(name, m), "mean"] for m, _ in plots.OPERATING_COST_LINES)
        assert stacked == pytest.approx(summary.loc[(name, "operating_cost"), "mean"])


def test_every_cost_line_has_its_own_colour():
    """No two cost lines of the catalog share a colour (newcomer M1: waste looked like goods)."""
    colours = [plots.cost_colour(label) for _, label in plots.COST_LINES]
    assert len(set(colours)) == len(colours)


def test_cost_breakdown_bars_use_the_line_colours(results):
    """Each stacked line is drawn in its own colour, as its legend entry shows."""
    fig = plots.cost_breakdown_figure(results)
    legend = fig.legends[0]
    for handle, text in zip(legend.legend_handles, legend.get_texts()):
        label = text.get_text()
        if label in dict(plots.COST_LINES).values():
            colour = matplotlib.colors.to_hex(handle.get_facecolor())
            assert colour == plots.cost_colour(label).lower()


def test_timeseries_leaves_out_a_queue_that_never_forms(delay_step):
    """A pure-delay step (nobody waits there) gets no panel; the title names it."""
    fig = plots.timeseries_figure(delay_step)
    titles = [ax.get_title(loc="left") for ax in fig.get_axes() if ax.axison]
    assert "Orders waiting: ship" not in titles and "Orders waiting: pick" in titles
    assert "always zero, not drawn: orders waiting at ship" in fig._suptitle.get_text()


def test_timeseries_aggregates_a_long_horizon_per_day_with_a_band(delay_step):
    """Over a month each line is a daily mean (one point a day) with a shaded band."""
    fig = plots.timeseries_figure(delay_step)
    assert "mean level per day" in fig._suptitle.get_text()
    ax = fig.get_axes()[0]
    base = ax.get_lines()[0]
    assert len(base.get_xdata()) == 30 and base.get_xdata()[0] == pytest.approx(0.5)
    assert any(type(c).__name__ == "FillBetweenPolyCollection" or "Poly" in type(c).__name__
               for c in ax.collections)  # fmt: skip


def test_timeseries_draws_variants_dashed_over_the_base(results):
    """A variant is dashed over the solid base, so one equal to the base still shows."""
    ax = plots.timeseries_figure(results).get_axes()[0]
    styles = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert styles["tiny-shop (base)"] == "-" and styles["more_pickers"] != "-"


def test_timeseries_has_a_panel_per_product_and_per_step_in_days(results):
    """On-hand inventory per product and the queue of each step, days on the x axis."""
    fig = plots.timeseries_figure(results)
    titles = [ax.get_title(loc="left") for ax in fig.get_axes() if ax.axison]
    assert titles == ["Units on hand: widget", "Units on hand: gadget", "Orders waiting: pick"]
    assert fig.get_axes()[-1].get_xlabel() == "day"


def test_timeseries_shades_the_warmup(results):
    """The warm-up is shaded and labelled as not counted, one day wide here."""
    ax = plots.timeseries_figure(results).get_axes()[0]
    handles, labels = ax.get_legend_handles_labels()
    shade = handles[labels.index("warm-up (not counted)")]
    assert shade.get_x() == 0 and shade.get_width() == pytest.approx(1.0)


def test_figures_are_closed_and_returned(results):
    """Every figure is returned and already closed, so a notebook shows it exactly once."""
    before = plt.get_fignums()
    figures = [f(results) for f in (plots.comparison_figure, plots.cost_breakdown_figure,
                                    plots.timeseries_figure)]  # fmt: skip
    assert all(isinstance(fig, matplotlib.figure.Figure) for fig in figures)
    assert plt.get_fignums() == before


def test_metric_bars_draws_into_a_given_axes(results):
    """A panel helper draws into the axes it is given and returns that axes' figure."""
    fig, ax = plt.subplots()
    plt.close(fig)
    assert plots.metric_bars(results, "throughput_per_day", ax) is fig
    assert ax.get_title() == "throughput_per_day" and len(ax.patches) == 2


def test_saved_png_is_byte_identical_and_untagged(results, tmp_path):
    """Saving the same figure twice gives the same PNG bytes, without a Software tag."""
    plots.save_figure(plots.comparison_figure(results), tmp_path / "a.png")
    plots.save_figure(plots.comparison_figure(results), tmp_path / "b.png")
    data = (tmp_path / "a.png").read_bytes()
    assert data.startswith(b"\x89PNG") and data == (tmp_path / "b.png").read_bytes()
    assert b"Software" not in data and b"matplotlib" not in data


def test_results_plot_picks_a_figure_by_kind(results):
    """Results.plot() draws the comparison; kind chooses another; a bad kind is named."""
    assert results.plot().get_axes()[0].get_title() == "Throughput"
    assert results.plot("cost").legends
    with pytest.raises(ValueError, match="kind must be one of comparison, cost, timeseries"):
        results.plot("pie")


def test_importing_plots_neither_loads_matplotlib_nor_picks_a_backend():
    """sim.output.plots imports matplotlib only when drawing and never selects a backend."""
    code = "import sys, sim.output.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    source = plots.__file__
    with open(source, encoding="utf-8") as stream:
        assert "matplotlib.use(" not in stream.read()


def test_cost_lines_are_the_terms_of_cost_total_in_the_catalog():
    """The cost figure stacks exactly the lines the catalog adds up into cost_total."""
    from sim.model.catalog import metric

    terms = metric("cost_total").meaning.split(" + ")
    assert sorted(name for name, _ in plots.COST_LINES) == sorted(terms)


def test_format_examples_hold():
    """Every example in the docstrings of sim.output.format gives the output it shows."""
    import doctest

    import sim.output.format

    failures, tried = doctest.testmod(sim.output.format)
    assert tried > 0 and failures == 0


def test_a_loss_is_drawn_left_of_zero():
    """A negative value (an operating loss) gets a visible bar: the axis reaches below it."""
    import pandas as pd

    from sim.experiment.results import Results

    # One replication: no interval to widen the axis, only the bar itself.
    rows = pd.DataFrame({"scenario": ["s"], "replication": [0], "metric": ["operating_income"],
                         "subject": ["all"], "value": [-600.0], "unit": ["EUR"]})  # fmt: skip
    fig, ax = plt.subplots()
    plt.close(fig)
    plots.metric_bars(Results(rows), "operating_income", ax)
    assert ax.get_xlim()[0] < -600 and ax.patches[0].get_width() == pytest.approx(-600)
