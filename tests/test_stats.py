"""Tests for sim.experiment.stats: intervals, paired differences, summary and comparison."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from sim.experiment.stats import (
    COMPARISON_COLUMNS,
    SUMMARY_COLUMNS,
    Interval,
    adjust_p_values,
    compare,
    paired_difference,
    paired_p_values,
    summarize,
    t_interval,
)

STATS_SOURCE = Path(__file__).resolve().parents[1] / "sim" / "experiment" / "stats.py"


def replication_rows(values_by_key, unit="h"):
    """A replications table from {(scenario, metric, subject): [value per replication]}."""
    rows = [
        (scenario, replication, metric, subject, value, unit)
        for (scenario, metric, subject), values in values_by_key.items()
        for replication, value in enumerate(values)
    ]
    return pd.DataFrame(
        rows, columns=["scenario", "replication", "metric", "subject", "value", "unit"]
    )


# --- the module itself ---------------------------------------------------------------


def test_stats_does_not_import_scipy_or_pandas_at_module_level():
    """Workers that import sim.experiment.stats do not pay for scipy's or pandas' import."""
    tree = ast.parse(STATS_SOURCE.read_text())
    top_level = set()
    for node in tree.body:  # statements inside functions and TYPE_CHECKING are not walked
        if isinstance(node, ast.Import):
            top_level.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top_level.add(node.module.split(".")[0])
    assert not top_level & {"scipy", "pandas"}


# --- t_interval ----------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_t_interval_covers_the_true_mean_at_the_stated_rate(confidence):
    """Of 2,000 intervals from 10 normal draws, the share holding the true mean is near nominal."""
    rng = np.random.default_rng(11 if confidence == 0.95 else 12)
    experiments = rng.normal(loc=3.0, scale=2.0, size=(2_000, 10))
    covered = 0
    for sample in experiments:
        interval = t_interval(sample, confidence)
        covered += interval.ci_low <= 3.0 <= interval.ci_high
    # Four binomial standard deviations: a correct interval fails this about once in 16,000 runs.
    tolerance = 4 * math.sqrt(confidence * (1 - confidence) / 2_000)
    assert abs(covered / 2_000 - confidence) <= tolerance


def test_t_interval_agrees_with_scipy():
    """Mean, bounds and sd equal scipy's Student-t interval on the same sample."""
    sample = [4.1, 5.3, 3.8, 6.0, 4.9, 5.5]
    low, high = scipy_stats.t.interval(
        0.9, len(sample) - 1, loc=np.mean(sample), scale=scipy_stats.sem(sample)
    )
    result = t_interval(sample, confidence=0.9)
    assert result.ci_low == pytest.approx(low)
    assert result.ci_high == pytest.approx(high)
    assert result.sd == pytest.approx(np.std(sample, ddof=1))
    assert (result.mean, result.n) == (pytest.approx(np.mean(sample)), 6)


def test_t_interval_of_one_value_has_nan_bounds_and_sd():
    """One replication gives its value as the mean, but NaN sd and bounds."""
    result = t_interval([7.0])
    assert (result.mean, result.n) == (7.0, 1)
    assert all(math.isnan(v) for v in (result.ci_low, result.ci_high, result.sd))


def test_t_interval_of_no_values_is_all_nan_with_n_zero():
    """An empty (or all-NaN) sample gives NaN everywhere and n == 0."""
    result = t_interval([math.nan, math.nan])
    assert result.n == 0
    assert all(math.isnan(v) for v in result[:4])


def test_t_interval_drops_nan_values_and_counts_the_rest():
    """NaN values are left out and n counts only the values kept."""
    assert t_interval([1.0, math.nan, 3.0]) == t_interval([1.0, 3.0])
    assert t_interval([1.0, math.nan, 3.0]).n == 2


def test_t_interval_of_equal_values_has_zero_width():
    """Values that are all the same give sd 0 and ci_low == ci_high == mean."""
    result = t_interval([0.1] * 7)
    assert result.sd == 0.0
    assert result.ci_low == result.ci_high == result.mean


def test_t_interval_returns_a_named_tuple():
    """The result is an Interval with fields mean, ci_low, ci_high, sd and n."""
    assert Interval._fields == ("mean", "ci_low", "ci_high", "sd", "n")
    assert isinstance(t_interval([1.0, 2.0]), Interval)


def test_t_interval_refuses_a_confidence_given_as_a_percent():
    """confidence is a fraction, so 95 is refused with a hint."""
    message = "confidence: expected a fraction between 0 and 1, like 0.95 (got 95)"
    with pytest.raises(ValueError, match=re.escape(message)):
        t_interval([1.0, 2.0], confidence=95)


# --- paired_difference ---------------------------------------------------------------


def test_paired_difference_is_the_interval_of_per_replication_differences():
    """The paired interval is t_interval of variant[i] - base[i]."""
    base, variant = [10.0, 12.0, 9.0, 11.0], [11.0, 13.5, 9.5, 12.0]
    assert paired_difference(variant, base, 0.95) == t_interval(
        [1.0, 1.5, 0.5, 1.0], 0.95
    )


def test_paired_interval_is_narrower_than_welch_on_correlated_replications():
    """With common random numbers the paired interval is much narrower than Welch's unpaired one."""
    rng = np.random.default_rng(5)
    shared = rng.normal(100.0, 10.0, size=20)  # the same customers in both scenarios
    base = shared + rng.normal(0.0, 1.0, size=20)
    variant = shared + 2.0 + rng.normal(0.0, 1.0, size=20)
    paired = paired_difference(variant, base, 0.95)
    welch = scipy_stats.ttest_ind(variant, base, equal_var=False).confidence_interval(0.95)
    assert paired.ci_high - paired.ci_low < 0.5 * (welch.high - welch.low)


def test_paired_difference_refuses_sequences_of_different_lengths():
    """Replications must pair one to one; the message names both lengths."""
    message = (
        "paired_difference: variant_values has 3 values but base_values has 4; "
        "each replication needs one of each"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], 0.95)


# --- summarize -----------------------------------------------------------------------


def test_summarize_has_exactly_the_summary_columns_in_order():
    """The summary has the summary.csv columns, in the documented order."""
    df = replication_rows({("base", "cost_total", "all"): [1.0, 2.0, 3.0]})
    assert tuple(summarize(df, 0.95).columns) == SUMMARY_COLUMNS == (
        "scenario", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit",
    )


def test_summarize_keeps_groups_in_order_of_first_appearance():
    """Rows come out in the order their groups first appear, not sorted alphabetically."""
    df = replication_rows(
        {
            ("zeta", "wait_mean_h", "pick"): [1.0, 2.0],
            ("alpha", "fill_rate", "sku-9"): [0.9, 0.8],
            ("zeta", "fill_rate", "all"): [0.5, 0.6],
        }
    )
    summary = summarize(df, 0.95)
    assert list(zip(summary["scenario"], summary["metric"], summary["subject"])) == [
        ("zeta", "wait_mean_h", "pick"),
        ("alpha", "fill_rate", "sku-9"),
        ("zeta", "fill_rate", "all"),
    ]


def test_summarize_gives_the_same_interval_as_t_interval_for_each_group():
    """Each summary row equals t_interval over that group's replication values."""
    rng = np.random.default_rng(9)
    a, b = rng.normal(5, 1, 12).tolist(), rng.exponential(3, 12).tolist()
    df = replication_rows({("base", "m", "all"): a, ("fast", "m", "all"): b})
    summary = summarize(df, 0.9)
    for row, values in zip(summary.itertuples(), (a, b)):
        expected = t_interval(values, 0.9)
        got = (row.mean, row.ci_low, row.ci_high, row.sd, row.n)
        assert got == pytest.approx(tuple(expected))


def test_summarize_drops_nan_values_and_gives_nan_intervals_for_one_replication():
    """NaN values are not counted, and a group left with one value has NaN bounds and sd."""
    df = replication_rows({("base", "wait_mean_h", "pack"): [math.nan, 4.0, math.nan]})
    row = summarize(df, 0.95).iloc[0]
    assert (row["mean"], row["n"]) == (4.0, 1)
    assert all(math.isnan(row[c]) for c in ("ci_low", "ci_high", "sd"))


def test_summarize_gives_a_zero_width_interval_for_equal_values():
    """A metric equal in every replication has sd 0 and ci_low == ci_high == mean."""
    df = replication_rows({("base", "purchase_orders", "sku-1"): [0.1] * 5})
    row = summarize(df, 0.95).iloc[0]
    assert row["sd"] == 0.0
    assert row["ci_low"] == row["ci_high"] == row["mean"]


def test_summarize_by_other_keys_puts_them_first_and_unit_last():
    """Grouping by sweep keys gives those keys, then the statistics, then unit."""
    df = replication_rows({("base", "m", "all"): [1.0, 2.0]}).assign(point=3)
    summary = summarize(df, 0.95, by=("point", "metric", "subject", "unit"))
    assert list(summary.columns) == [
        "point", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit",
    ]


# --- compare -------------------------------------------------------------------------


def comparison_rows():
    """Base and two variants: one clearly better, one no different, one only partly reported."""
    base = [100.0, 120.0, 90.0, 110.0, 105.0]
    saving = [-10.0, -9.0, -11.0, -9.5, -10.0]
    noise = [1.0, -1.0, 2.0, -2.0, 0.0]
    return replication_rows(
        {
            ("base", "cost_total", "all"): base,
            ("base", "fill_rate", "all"): [0.9] * 5,
            ("cheaper", "cost_total", "all"): [v + d for v, d in zip(base, saving)],
            ("cheaper", "fill_rate", "all"): [0.9] * 5,
            ("cheaper", "balk_rate", "pick"): [0.1] * 5,  # not in base: left out
            ("same", "cost_total", "all"): [v + d for v, d in zip(base, noise)],
        }
    )


def test_compare_has_exactly_the_comparison_columns_in_order():
    """The comparison has the documented columns, in order."""
    assert tuple(compare(comparison_rows(), "base", 0.95).columns) == COMPARISON_COLUMNS == (
        "scenario", "metric", "subject", "base_mean", "mean", "diff_mean", "diff_low",
        "diff_high", "p_value", "p_adjusted", "significant", "n", "unit",
    )


def test_compare_pairs_each_variant_with_base_on_metrics_both_report():
    """Every other scenario gets one row per (metric, subject) it shares with base, in order."""
    result = compare(comparison_rows(), "base", 0.95)
    assert list(zip(result["scenario"], result["metric"], result["subject"])) == [
        ("cheaper", "cost_total", "all"),
        ("cheaper", "fill_rate", "all"),
        ("same", "cost_total", "all"),
    ]


def test_compare_flags_significant_only_when_the_adjusted_p_value_is_small():
    """A clear saving is significant; noise around zero and an identical metric are not."""
    result = compare(comparison_rows(), "base", 0.95)
    assert result["significant"].tolist() == [True, False, False]
    assert result["significant"].dtype == bool
    assert (result["p_adjusted"] < 0.05).tolist() == [True, False, False]


def test_compare_diff_is_the_paired_difference_of_the_means():
    """diff_mean and its bounds equal paired_difference over the matched replications."""
    df = comparison_rows()
    row = compare(df, "base", 0.9).iloc[0]
    base = df.query("scenario == 'base' and metric == 'cost_total'")["value"]
    variant = df.query("scenario == 'cheaper' and metric == 'cost_total'")["value"]
    expected = paired_difference(variant, base, 0.9)
    assert (row["diff_mean"], row["diff_low"], row["diff_high"]) == pytest.approx(expected[:3])
    assert row["diff_mean"] == pytest.approx(row["mean"] - row["base_mean"])
    assert row["n"] == 5


def test_compare_p_value_is_the_paired_t_test():
    """p_value equals scipy's paired t-test (ttest_rel) of variant against base."""
    df = comparison_rows()
    row = compare(df, "base", 0.95).iloc[2]  # "same": noise around zero
    base = df.query("scenario == 'base' and metric == 'cost_total'")["value"]
    variant = df.query("scenario == 'same' and metric == 'cost_total'")["value"]
    assert row["p_value"] == pytest.approx(scipy_stats.ttest_rel(variant, base).pvalue)


def test_a_difference_without_spread_is_decided_exactly():
    """Zero spread: p = 1 when the difference is 0, p = 0 otherwise; one pair: no p-value."""
    p = paired_p_values([0.0, 3.0, 1.0], [0.0, 0.0, 2.0], [4, 4, 1])
    assert p[0] == 1.0 and p[1] == 0.0 and math.isnan(p[2])


def test_holm_matches_a_hand_worked_example():
    """Holm on (0.01, 0.04, 0.03, 0.005): sorted and multiplied by 4, 3, 2, 1, made monotone."""
    # sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 = 0.04 -> max so far 0.06
    adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005], "holm")
    assert adjusted.tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


@pytest.mark.parametrize("method", ["holm", "bonferroni"])
def test_adjustment_matches_statsmodels(method):
    """Holm and Bonferroni agree with statsmodels' multipletests on 200 random p-values."""
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(5).uniform(0, 0.2, 200) ** 2
    assert adjust_p_values(p, method) == pytest.approx(multipletests(p, method=method)[1])


def test_adjustment_counts_only_the_known_p_values():
    """NaN p-values stay NaN and do not count as comparisons."""
    adjusted = adjust_p_values([0.02, math.nan, 0.04], "bonferroni")
    assert adjusted[0] == pytest.approx(0.04) and math.isnan(adjusted[1])


def test_holm_controls_the_family_wise_error_rate():
    """With 20 true-zero differences per table, at most about 5% of tables get any star."""
    rng = np.random.default_rng(17)
    tables = 400
    any_star = 0
    for _ in range(tables):
        diffs = rng.normal(0.0, 1.0, size=(20, 8))  # 20 comparisons, 8 replications each
        p = scipy_stats.ttest_1samp(diffs, 0.0, axis=1).pvalue
        any_star += bool((adjust_p_values(p, "holm") < 0.05).any())
    # Binomial(400, <= 0.05): 4 standard deviations above 5% is 0.094.
    assert any_star / tables <= 0.05 + 4 * math.sqrt(0.05 * 0.95 / tables)


def test_compare_matches_rows_on_replication_not_on_row_order():
    """Shuffling the rows does not change the comparison: pairs are matched by replication."""
    df = comparison_rows()
    shuffled = df.iloc[::-1].reset_index(drop=True)
    ordered = compare(df, "base", 0.95).set_index(["scenario", "metric", "subject"])
    reversed_ = compare(shuffled, "base", 0.95).set_index(["scenario", "metric", "subject"])
    pd.testing.assert_frame_equal(ordered.sort_index(), reversed_.sort_index())


def test_compare_leaves_out_a_pair_with_a_nan_on_either_side():
    """A NaN replication drops that pair from base_mean, mean and diff_mean alike."""
    df = replication_rows(
        {
            ("base", "wait_mean_h", "pick"): [1.0, 2.0, 3.0],
            ("v", "wait_mean_h", "pick"): [2.0, math.nan, 5.0],
        }
    )
    row = compare(df, "base", 0.95).iloc[0]
    assert (row["base_mean"], row["mean"], row["diff_mean"], row["n"]) == (2.0, 3.5, 1.5, 2)


def test_compare_refuses_an_unknown_base_scenario_naming_those_present():
    """A base that is not in the table is refused with the scenarios that are."""
    message = "compare: no rows for base scenario 'baseline' (scenarios: base, cheaper, same)"
    with pytest.raises(ValueError, match=re.escape(message)):
        compare(comparison_rows(), "baseline", 0.95)


def test_compare_refuses_a_replication_reported_twice():
    """Two rows for the same scenario, replication, metric and subject cannot be paired."""
    df = comparison_rows()
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    message = "compare: each (scenario, replication, metric, subject) must appear once; "
    with pytest.raises(ValueError, match=re.escape(message)):
        compare(df, "base", 0.95)
