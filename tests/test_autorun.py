"""warmup: auto (MSER-5 on pilot replications) and replications: auto (Law's procedure)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
from sim import theory
from sim.experiment import precision, warmup
from sim.experiment.precision import Measure, assess, next_count, parse_measures

# An M/M/1 queue at 80% load that starts empty and idle: the start biases waits down.
MM1 = """
name: mm1
run: {horizon: 400h, warmup: auto, replications: 10, seed: 4}
demand: {arrivals: {rate: 0.8/h}}
staff: {desk: {headcount: 1, wage: 20/h}}
process: [{step: serve, staff: desk, time: {dist: exponential, mean: 1h}}]
service: {promise: 10h}
"""


# --------------------------------------------------------------------------- MSER-5
def test_mser_cuts_a_transient_off_a_stationary_series():
    """A series that starts 10 units high and then settles is cut where it settles."""
    rng = np.random.default_rng(1)
    series = rng.normal(0.0, 1.0, 1000)
    series[:100] += 10.0
    cut, _ = warmup.mser(series)
    assert 100 <= cut <= 110


def test_mser_keeps_a_series_that_starts_settled():
    """Noise around a constant level needs no truncation to speak of (under 5% of it)."""
    series = np.random.default_rng(2).normal(5.0, 1.0, 1000)
    cut, _ = warmup.mser(series)
    assert cut < 50


def test_mser_of_a_constant_series_is_zero():
    """A level that never moves has nothing to cut."""
    assert warmup.mser(np.full(100, 3.0))[0] == 0


def test_mser_searches_only_the_first_half():
    """The statistic is computed for truncations up to half the batches only."""
    _, statistic = warmup.mser(np.arange(100.0))
    assert len(statistic) == 100 // 5 // 2 + 1


def test_mser_statistic_is_the_squared_standard_error_of_what_is_kept():
    """MSER(d) = sum of squared deviations of the kept batch means / (k − d)²."""
    series = np.random.default_rng(3).normal(0.0, 1.0, 50)
    _, statistic = warmup.mser(series)
    means = series.reshape(10, 5).mean(axis=1)
    for d in range(len(statistic)):
        kept = means[d:]
        expected = ((kept - kept.mean()) ** 2).sum() / len(kept) ** 2
        assert statistic[d] == pytest.approx(expected)


def pilot_output(scenario, replication, level):
    """A fake pilot replication whose queue follows ``level`` over 0..100 h (5 h apart)."""
    times = np.linspace(0.0, 100.0, len(level))
    series = [("queue", "serve", float(t), float(v)) for t, v in zip(times, level)]
    series += [("on_duty", "desk", float(t), 1.0) for t in times]  # an input: never examined
    return SimpleNamespace(scenario=scenario, replication=replication, series=series)


def test_choose_warmup_takes_the_latest_cut_and_keeps_the_evidence():
    """The warm-up is the latest truncation over the series; on_duty is not examined."""
    rng = np.random.default_rng(4)
    outputs = []
    for r in range(5):
        level = rng.normal(2.0, 0.3, 201)
        level[:40] += 6.0  # 20 h (40 samples of 0.5 h) of transient
        outputs.append(pilot_output("s", r, level))
    choice = warmup.choose_warmup(outputs, {"s": 100.0}, points=200)
    assert [c.series for c in choice.cuts] == ["queue"]
    assert 20.0 <= choice.warmup_h <= 23.0
    evidence = choice.evidence()
    assert evidence["chosen_h"] == choice.warmup_h
    assert evidence["pilot_replications"] == [0, 1, 2, 3, 4]
    assert evidence["cap_h"] == 50.0 and evidence["capped"] is False
    assert evidence["deciding_series"] == "queue[serve] of s"


def test_a_series_still_moving_at_half_the_horizon_is_capped_and_flagged():
    """A level that keeps falling is cut at most at half the horizon, flagged as not settled."""
    outputs = [pilot_output("s", r, np.linspace(100.0, 0.0, 201)) for r in range(5)]
    choice = warmup.choose_warmup(outputs, {"s": 100.0}, points=200)
    assert choice.warmup_h <= 50.0
    assert choice.capped


def test_welch_average_smooths_symmetrically():
    """Each point is the mean of the window around it; ends use shorter, symmetric windows."""
    x = np.array([0.0, 0.0, 6.0, 0.0, 0.0])
    assert warmup.welch_average(x, 1).tolist() == [0.0, 2.0, 2.0, 2.0, 0.0]


# --------------------------------------------------------------------------- Law's procedure
def rows(values_by_metric, scenario="s"):
    return pd.DataFrame(
        [
            (scenario, r, metric, "all", v, "u")
            for metric, values in values_by_metric.items()
            for r, v in enumerate(values)
        ],
        columns=["scenario", "replication", "metric", "subject", "value", "unit"],
    )


def test_assess_uses_laws_relative_half_width():
    """Met when the t half-width is at most gamma/(1+gamma) × |mean|."""
    table = rows({"throughput_per_day": [100.0, 102.0, 98.0, 101.0, 99.0]})
    (m,) = assess(table, ["s"], 0.05, 0.95)
    half = 2.776 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) × sd / sqrt(n)
    assert m.half_width == pytest.approx(half, rel=1e-3)
    assert m.target == pytest.approx(0.05 / 1.05 * 100.0)
    assert m.met == (half <= m.target)


def test_income_is_judged_against_operating_cost_when_it_is_near_zero():
    """A break-even income's target is relative to the operating cost, not to itself."""
    table = rows({
        "revenue": [1000.0] * 4,
        "operating_cost": [990.0, 1010.0, 1000.0, 1000.0],
        "operating_income": [10.0, -10.0, 0.0, 0.0],
    })  # fmt: skip
    (income,) = [m for m in assess(table, ["s"], 0.05, 0.95) if m.metric == "operating_income"]
    assert income.target == pytest.approx(0.05 / 1.05 * 1000.0)
    assert "operating cost" in income.note


def test_income_is_left_out_when_nothing_is_sold():
    """Without revenue, operating income (minus the cost) is not a headline measure."""
    table = rows({"revenue": [0.0] * 3, "operating_cost": [5.0, 6.0, 7.0],
                  "operating_income": [-5.0, -6.0, -7.0]})  # fmt: skip
    assert precision.measures_for(table, "s") == [("operating_cost", "all")]


def test_next_count_follows_the_square_root_rule_within_bounds():
    """n × (h/target)², at least 5 more, at most double, never past the maximum."""
    short = Measure("s", "m", "all", 1.0, 1.1, 1.0, 20, False)  # needs 24.2 -> 25
    far = Measure("s", "m", "all", 1.0, 10.0, 1.0, 20, False)  # needs 2000 -> doubles
    assert next_count(20, [short], 200) == 25
    assert next_count(20, [far], 200) == 40
    assert next_count(20, [far], 30) == 30


def test_precision_metrics_are_read_as_metric_and_subject():
    """ "wait_mean_h[serve]" names a subject; a bare name means subject all."""
    assert parse_measures(["wait_mean_h[serve]", "service_level"]) == [
        ("wait_mean_h", "serve"), ("service_level", "all"),
    ]


# --------------------------------------------------------------------------- sim.run
@pytest.fixture(scope="module")
def mm1_auto():
    return sim.run(sim.loads(MM1), workers=1, progress=False)


def test_warmup_auto_cuts_the_empty_start_and_reports_it(mm1_auto):
    """The chosen warm-up is above zero, at most half the horizon, and is what ran."""
    choice = mm1_auto.warmup_choice
    assert 0 < choice.warmup_h <= 200.0
    assert mm1_auto.warmup_h() == choice.warmup_h
    assert mm1_auto.scenarios[0].run.warmup == choice.warmup_h
    record = mm1_auto.record.scenarios[0]
    assert record.warmup_h == choice.warmup_h and record.warmup["auto"] is True


def test_warmup_auto_writes_its_evidence_and_figure(mm1_auto, tmp_path, quick_figures):
    """run.json holds the chosen value and every series' cut; warmup.png is written."""
    out = mm1_auto.save(tmp_path / "out")
    data = json.loads((tmp_path / "out" / "run.json").read_text())
    evidence = data["scenarios"][0]["warmup"]
    assert evidence["chosen_h"] == mm1_auto.warmup_choice.warmup_h
    assert {s["series"] for s in evidence["series"]} == {"queue", "busy"}
    assert (tmp_path / "out" / "warmup.png").exists()
    assert out.endswith("out")


def test_a_given_warmup_removes_a_stale_warmup_figure(mm1_auto, tmp_path, quick_figures):
    """Results with a given warm-up written over an auto run's folder leave no warmup.png."""
    mm1_auto.save(tmp_path / "out")
    given = sim.run(sim.loads(MM1).with_changes({"run.warmup": "50h"}), replications=2,
                    workers=1, progress=False)  # fmt: skip
    given.save(tmp_path / "out")
    assert not (tmp_path / "out" / "warmup.png").exists()


def test_replications_auto_stops_when_every_headline_measure_is_precise():
    """With a 5% target, every headline measure's half-width ends within 5/105 of its mean."""
    scenario = sim.loads(MM1).with_changes({"run.warmup": "50h"})
    results = sim.run(scenario, precision="5%", workers=1, progress=False)
    report = results.precision_report
    assert report.met and report.stopped_by == "precision"
    assert {m.metric for m in report.measures} == {
        "throughput_per_day", "service_level", "operating_cost",
    }  # no revenue: no income
    summary = results.summary().query("subject == 'all'").set_index("metric")
    for m in report.measures:
        row = summary.loc[m.metric]
        half = (row["ci_high"] - row["ci_low"]) / 2
        assert half <= 0.05 / 1.05 * abs(row["mean"]) + 1e-12
    assert results.replication_count == report.replications == report.batches[-1]
    assert results.scenarios[0].run.replications == report.replications


def test_replication_k_gives_the_same_numbers_however_the_count_was_reached():
    """The rows of an auto run equal those of a run asked for that many replications."""
    scenario = sim.loads(MM1).with_changes({"run.warmup": "50h"})
    auto = sim.run(scenario, precision="3%", workers=1, progress=False)
    fixed = sim.run(scenario, replications=auto.replication_count, workers=1, progress=False)
    pd.testing.assert_frame_equal(auto.replications(), fixed.replications())


def test_max_replications_stops_the_procedure_and_says_so():
    """An unreachable target stops at max_replications, reported as such."""
    scenario = sim.loads(MM1).with_changes(
        {"run.warmup": "50h", "run.replications": "auto", "run.precision": "0.1%",
         "run.max_replications": 12}
    )  # fmt: skip
    results = sim.run(scenario, workers=1, progress=False)
    report = results.precision_report
    assert report.replications == 12 and report.batches == [10, 12]
    assert report.stopped_by == "max_replications" and not report.met
    assert "max_replications" in repr(results)


def test_every_scenario_gets_the_same_replication_count():
    """A base and its variant run the same replications, so they stay paired."""
    scenario = sim.loads(MM1 + "variants: {fast: {process.0.time.mean: 50min}}").with_changes(
        {"run.warmup": "50h"}
    )
    results = sim.run(scenario, precision="4%", workers=1, progress=False)
    counts = results.replications().groupby("scenario")["replication"].nunique()
    assert counts.nunique() == 1
    assert {m.scenario for m in results.precision_report.measures} == {"mm1", "fast"}


def test_precision_and_a_replication_count_cannot_both_be_given():
    """run(replications=, precision=) is refused: they contradict each other."""
    with pytest.raises(ValueError, match="not both"):
        sim.run(sim.loads(MM1), replications=5, precision="2%", workers=1, progress=False)


def test_a_replication_count_overrides_a_files_precision():
    """--replications on a file with replications: auto and a precision runs that many."""
    text = MM1.replace("replications: 10", "replications: auto, precision: 1%")
    results = sim.run(sim.loads(text).with_changes({"run.warmup": "50h"}), replications=3,
                      workers=1, progress=False)  # fmt: skip
    assert results.replication_count == 3 and results.precision_report is None


def test_a_sweep_refuses_auto_settings_with_a_clear_message():
    """A sweep needs a fixed warm-up and count; auto is refused naming the key."""
    scenario = sim.loads(MM1 + "sweep: {grid: {staff.desk.headcount: [1, 2]}}")
    with pytest.raises(sim.ScenarioError, match="run.warmup: a sweep needs a fixed warm-up"):
        sim.sweep(scenario, workers=1, progress=False)


@pytest.mark.slow
def test_mm1_from_empty_with_warmup_and_precision_auto_agrees_with_erlang_c():
    """Warm-up auto and 5% precision on the mean wait: Erlang C's 4 h is inside the final
    interval, whose half-width is within 5% of the mean (coverage: bench/precision.py)."""
    scenario = sim.loads(MM1.replace("horizon: 400h", "horizon: 4000h"))
    results = sim.run(scenario, precision="5%", precision_metrics=["wait_mean_h[serve]"],
                      workers=1, progress=False)  # fmt: skip
    row = results.metric("wait_mean_h", "serve").iloc[0]
    exact = theory.mmc(0.8, 1.0, 1)["wq"]
    assert row["ci_low"] <= exact <= row["ci_high"]
    assert (row["ci_high"] - row["ci_low"]) / 2 <= 0.05 / 1.05 * row["mean"]
    assert results.warmup_choice.warmup_h > 0


def test_warmup_figure_shows_the_pilot_levels_and_the_cut(mm1_auto):
    """warmup.png: a panel per moving level, the warm-up shaded to the chosen value."""
    figure = mm1_auto.plot("warmup")
    titles = [ax.get_title(loc="left") for ax in figure.get_axes() if ax.axison]
    assert titles == ["Orders waiting: serve", "Workers busy: desk"]
    days = mm1_auto.warmup_choice.warmup_h / 24.0
    assert f"warm-up {days:.3g} days" in figure._suptitle.get_text()
    handles, labels = figure.get_axes()[0].get_legend_handles_labels()
    shade = handles[labels.index("warm-up (not counted)")]
    assert shade.get_width() == pytest.approx(days)


def test_warmup_figure_needs_an_automatic_warmup():
    """A run with a given warm-up has no pilot to draw: the figure says why it cannot."""
    results = sim.run(sim.loads(MM1).with_changes({"run.warmup": "50h"}), replications=2,
                      workers=1, progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="warm-up of these results was given"):
        results.plot("warmup")


def test_a_precision_measure_nobody_reports_is_refused():
    """A typo in precision_metrics is named, with the subjects that metric has."""
    scenario = sim.loads(MM1).with_changes({"run.warmup": "50h"})
    with pytest.raises(ValueError, match=r"no scenario reports wait_mean_h\[srve\]; its "
                       r"subjects: serve"):  # fmt: skip
        sim.run(scenario, precision="5%", precision_metrics=["wait_mean_h[srve]"], workers=1,
                progress=False)  # fmt: skip
