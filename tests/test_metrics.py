"""Tests for sim.model.metrics: tallies, time averages and the quantile sketch."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.metrics import QuantileSketch, Tally, TimeAverage

METRICS_SOURCE = Path(__file__).resolve().parents[1] / "sim" / "model" / "metrics.py"


def lower_quantile(values, q):
    """The reference the sketch promises to match: numpy's lower empirical quantile."""
    return float(np.quantile(np.asarray(values, dtype=float), q, method="lower"))


def within(estimate, exact, accuracy):
    """True when estimate is within relative error ``accuracy`` of exact (plus rounding)."""
    return abs(estimate - exact) <= accuracy * exact * (1 + 1e-9) + 1e-300


# --- the module itself ---------------------------------------------------------------


def test_metrics_imports_only_the_standard_library():
    """sim.model.metrics imports nothing but math (and __future__), so it loads in milliseconds."""
    tree = ast.parse(METRICS_SOURCE.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "math"}


@pytest.mark.parametrize(
    "instance",
    [Tally(0.0, 1.0), TimeAverage(0.0, 1.0), QuantileSketch()],
    ids=["Tally", "TimeAverage", "QuantileSketch"],
)
def test_instances_have_slots_and_no_dict(instance):
    """Every statistic uses __slots__, so an instance carries no per-object dict."""
    assert not hasattr(instance, "__dict__")


# --- Tally ---------------------------------------------------------------------------


def test_tally_counts_only_values_inside_the_window_ends_included():
    """Values observed before start or after end are ignored; start and end themselves count."""
    tally = Tally(start=10.0, end=20.0)
    for t, x in [(9.99, 100.0), (10.0, 1.0), (15.0, 2.0), (20.0, 3.0), (20.01, 100.0)]:
        tally.add(t, x)
    assert (tally.count, tally.total, tally.mean) == (3, 6.0, 2.0)


def test_tally_mean_is_nan_when_nothing_was_counted():
    """An empty tally has a NaN mean rather than raising ZeroDivisionError."""
    assert math.isnan(Tally(0.0, 1.0).mean)


def test_tally_add_unchecked_counts_without_looking_at_the_window():
    """add_unchecked is the fast path for callers that have checked the window themselves."""
    tally = Tally(start=10.0, end=20.0)
    tally.add_unchecked(4.0)
    assert (tally.count, tally.total) == (1, 4.0)


def test_tally_rejects_a_window_that_ends_before_it_starts():
    """A window with start > end is refused with both values in the message."""
    message = "Tally: expected a window with a finite start <= end (got start=5.0, end=1.0)"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tally(5.0, 1.0)


# --- TimeAverage ---------------------------------------------------------------------


def test_time_average_weighs_each_level_by_how_long_it_lasted():
    """Level 2 for 3 hours then 6 for 1 hour averages (6 + 6) / 4 = 3."""
    queue = TimeAverage(start=0.0, end=4.0, level=2.0)
    queue.set(3.0, 6.0)
    assert queue.mean() == 3.0
    assert queue.integral() == 12.0


def test_time_average_leaves_out_the_warm_up():
    """Only the part of a stretch after start counts, and the mean divides by the window length."""
    stock = TimeAverage(start=10.0, end=20.0, level=100.0)
    stock.set(15.0, 4.0)  # 100 from 0 to 15: only 10..15 counts
    assert stock.integral() == 5 * 100.0 + 5 * 4.0
    assert stock.mean() == 52.0


def test_time_average_leaves_out_time_after_the_end():
    """Changes after end do not move the statistics, which are closed at end."""
    busy = TimeAverage(start=0.0, end=10.0, level=1.0)
    busy.set(30.0, 5.0)
    busy.add(40.0, 1.0)
    assert (busy.integral(), busy.mean()) == (10.0, 1.0)


def test_time_average_add_changes_the_level_by_delta():
    """add(t, delta) moves the level up or down from where it was."""
    waiting = TimeAverage(start=0.0, end=10.0)
    waiting.add(2.0, 3.0)
    waiting.add(6.0, -1.0)
    assert waiting.level == 2.0
    assert waiting.integral() == 4 * 3.0 + 4 * 2.0


def test_time_at_zero_is_the_fraction_of_the_window_with_nothing_on_hand():
    """Stock at zero for 5 of the 20 window hours gives a stockout fraction of 0.25."""
    on_hand = TimeAverage(start=10.0, end=30.0, level=5.0)
    on_hand.set(20.0, 0.0)
    on_hand.set(25.0, 8.0)
    assert on_hand.time_at_zero() == 0.25
    assert on_hand.zero_duration() == 5.0


def test_time_at_zero_counts_a_level_that_stays_zero_until_the_end():
    """A level still at zero when the window closes counts as zero up to end."""
    on_hand = TimeAverage(start=0.0, end=10.0, level=3.0)
    on_hand.set(4.0, 0.0)
    assert on_hand.time_at_zero() == 0.6


def test_time_average_mean_until_closes_the_integral_early():
    """mean(until) averages over [start, until] for a run stopped before the horizon."""
    level = TimeAverage(start=0.0, end=100.0, level=2.0)
    level.set(5.0, 4.0)
    assert level.mean(until=10.0) == (5 * 2.0 + 5 * 4.0) / 10.0


def test_reading_a_time_average_mid_run_does_not_change_it():
    """Reading mean(until) mid-run leaves the final statistics as if it had not been read."""
    read, unread = TimeAverage(0.0, 10.0, 1.0), TimeAverage(0.0, 10.0, 1.0)
    read.set(2.0, 3.0)
    unread.set(2.0, 3.0)
    read.mean(until=4.0)
    read.time_at_zero(until=4.0)
    read.set(6.0, 0.0)
    unread.set(6.0, 0.0)
    assert (read.integral(), read.zero_duration()) == (unread.integral(), unread.zero_duration())


def test_time_average_mean_is_nan_before_the_window_opens():
    """Read before start, the window has no length yet and the mean is NaN."""
    assert math.isnan(TimeAverage(start=10.0, end=20.0, level=1.0).mean(until=5.0))


def test_time_average_refuses_time_going_backwards():
    """A change dated before the previous one is refused, naming both times."""
    level = TimeAverage(0.0, 10.0)
    level.set(5.0, 1.0)
    message = "TimeAverage.add: time must not go backwards (got t=4.0 after 5.0)"
    with pytest.raises(ValueError, match=re.escape(message)):
        level.add(4.0, 1.0)


def test_time_average_refuses_until_before_the_last_change():
    """Closing the integral before a change already counted is refused."""
    level = TimeAverage(0.0, 10.0)
    level.set(5.0, 1.0)
    message = "TimeAverage.mean: until must not be earlier than the last change (got until=3.0"
    with pytest.raises(ValueError, match=re.escape(message)):
        level.mean(until=3.0)


def test_time_average_refuses_a_start_level_known_only_after_the_window_opens():
    """t0 after start is refused: the level would be unknown for part of the window."""
    message = "TimeAverage: t0 must be <= start, so the level is known over the whole window"
    with pytest.raises(ValueError, match=re.escape(message)):
        TimeAverage(start=1.0, end=10.0, t0=2.0)


def test_time_average_with_an_open_window_needs_until():
    """With end=inf the integral cannot be closed without until=."""
    level = TimeAverage(0.0, math.inf, level=2.0)
    assert level.mean(until=4.0) == 2.0
    with pytest.raises(ValueError, match=re.escape("the window has no end; pass until=")):
        level.mean()


@settings(max_examples=150, deadline=None)
@given(
    window=st.tuples(
        st.integers(0, 40), st.integers(0, 40)
    ).map(sorted).filter(lambda w: w[0] < w[1]),
    steps=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=30),
    first=st.integers(0, 3),
)
def test_time_average_matches_an_hour_by_hour_count(window, steps, first):
    """On whole-hour step functions, mean and zero fraction equal a brute-force hourly count."""
    start, end = window
    level = TimeAverage(start, end, level=first)
    hourly = [first] * 200  # hourly[h] is the level during hour [h, h + 1)
    t = 0
    for gap, new_level in steps:
        t += gap
        level.set(t, new_level)
        hourly[t:] = [new_level] * (200 - t)
    inside = hourly[start:end]
    assert level.mean() == pytest.approx(sum(inside) / len(inside))
    assert level.time_at_zero() == pytest.approx(inside.count(0) / len(inside))


# --- QuantileSketch ------------------------------------------------------------------

SAMPLES = {
    "exponential": lambda rng: rng.exponential(scale=2.0, size=100_000),
    "lognormal": lambda rng: rng.lognormal(mean=1.0, sigma=1.5, size=100_000),
    "uniform": lambda rng: rng.uniform(0.5, 48.0, size=100_000),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sketch_95th_percentile_is_within_the_relative_accuracy(name):
    """On 100,000 draws the p95 (and p50, p99) are within 0.5% of numpy's lower quantile."""
    values = SAMPLES[name](np.random.default_rng(20240521))
    sketch = QuantileSketch(relative_accuracy=0.005)
    for x in values.tolist():
        sketch.add(x)
    for q in (0.5, 0.95, 0.99):
        assert within(sketch.quantile(q), lower_quantile(values, q), 0.005), q


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-9, 1e9, allow_nan=False)), min_size=1, max_size=200
    ),
    q=st.floats(0.0, 1.0),
    accuracy=st.sampled_from([0.001, 0.01, 0.05]),
)
def test_sketch_is_within_the_relative_accuracy_for_any_data_and_quantile(values, q, accuracy):
    """For any non-negative data and q, the estimate is within a of the lower empirical quantile."""
    sketch = QuantileSketch(relative_accuracy=accuracy)
    for x in values:
        sketch.add(x)
    assert within(sketch.quantile(q), lower_quantile(values, q), accuracy)


def test_sketch_reports_zero_exactly_when_the_quantile_is_zero():
    """Zeros have their own count, so a quantile that falls on them is exactly 0."""
    sketch = QuantileSketch()
    for x in [0.0] * 96 + [5.0] * 4:
        sketch.add(x)
    assert (sketch.quantile(0.95), sketch.count) == (0.0, 100)


def test_sketch_quantile_of_an_empty_sketch_is_nan():
    """Nothing added means no quantile: NaN rather than an error."""
    assert math.isnan(QuantileSketch().quantile(0.95))


def test_sketch_memory_for_one_second_to_one_year_is_about_1700_buckets():
    """Values from 1 s to 1 year (in hours) at 0.5% need about ln(max/min)/(2a) = 1,727 buckets."""
    sketch = QuantileSketch(relative_accuracy=0.005)
    for x in np.geomspace(1 / 3600, 365 * 24, 20_000).tolist():
        sketch.add(x)
    expected = math.log(365 * 24 * 3600) / (2 * 0.005)
    assert abs(sketch.buckets - expected) <= 0.01 * expected


def test_sketch_memory_stays_under_the_cap_for_data_from_1e_minus_6_to_1e6():
    """Log-uniform data over twelve decades stays under the 4,096-bucket cap."""
    values = 10.0 ** np.random.default_rng(7).uniform(-6, 6, size=100_000)
    sketch = QuantileSketch(relative_accuracy=0.005)
    for x in values.tolist():
        sketch.add(x)
    assert sketch.buckets <= 4096
    assert within(sketch.quantile(0.95), lower_quantile(values, 0.95), 0.005)


def test_sketch_collapses_its_lowest_buckets_to_stay_under_the_cap():
    """Data needing ~13,800 buckets at 0.1% keeps under the cap and the p95 keeps its accuracy."""
    values = 10.0 ** np.random.default_rng(8).uniform(-6, 6, size=100_000)
    sketch = QuantileSketch(relative_accuracy=0.001, max_buckets=4096)
    for x in values.tolist():
        sketch.add(x)
    assert sketch.buckets <= 4096
    assert sketch.count == 100_000
    assert within(sketch.quantile(0.95), lower_quantile(values, 0.95), 0.001)


def test_sketch_stays_under_the_cap_for_values_spanning_the_whole_float_range():
    """Values from 1e-300 to 1e300 (every add a new bucket) never exceed the cap."""
    sketch = QuantileSketch(relative_accuracy=0.005, max_buckets=1000)
    for x in np.geomspace(1e-300, 1e300, 50_000).tolist():
        sketch.add(x)
    assert sketch.buckets <= 1000
    assert within(sketch.quantile(1.0), 1e300, 0.005)


def test_merged_sketch_gives_the_quantiles_of_the_combined_data():
    """Merging two sketches gives the same quantiles as one sketch fed all the data."""
    rng = np.random.default_rng(3)
    a, b = rng.exponential(1.0, 5_000), rng.lognormal(0.0, 2.0, 5_000)
    left, right, whole = QuantileSketch(), QuantileSketch(), QuantileSketch()
    for x in a.tolist():
        left.add(x)
        whole.add(x)
    for x in b.tolist():
        right.add(x)
        whole.add(x)
    left.merge(right)
    assert [left.quantile(q) for q in (0.1, 0.5, 0.95)] == [
        whole.quantile(q) for q in (0.1, 0.5, 0.95)
    ]


def test_merging_collapsed_sketches_stays_under_the_cap():
    """A merge of two capped sketches keeps the cap and the accuracy of the p95."""
    rng = np.random.default_rng(4)
    a, b = 10.0 ** rng.uniform(-6, 2, 20_000), 10.0 ** rng.uniform(-2, 6, 20_000)
    left = QuantileSketch(relative_accuracy=0.001, max_buckets=2048)
    right = QuantileSketch(relative_accuracy=0.001, max_buckets=2048)
    for x in a.tolist():
        left.add(x)
    for x in b.tolist():
        right.add(x)
    left.merge(right)
    assert left.buckets <= 2048
    assert within(left.quantile(0.95), lower_quantile(np.concatenate([a, b]), 0.95), 0.001)


def test_merge_refuses_a_sketch_of_another_accuracy():
    """Buckets of different widths cannot be added together."""
    message = (
        "QuantileSketch.merge: both sketches need the same relative_accuracy "
        "(got 0.01, this one has 0.005)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        QuantileSketch(0.005).merge(QuantileSketch(0.01))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1.0, "QuantileSketch.add: expected a number >= 0 (got -1.0)"),
        (math.nan, "QuantileSketch.add: expected a number >= 0 (got nan)"),
        (math.inf, "QuantileSketch.add: expected a finite number (got inf)"),
    ],
)
def test_sketch_refuses_negative_nan_and_infinite_values(value, message):
    """Only finite non-negative values (durations) can be added."""
    with pytest.raises(ValueError, match=re.escape(message)):
        QuantileSketch().add(value)


def test_sketch_refuses_a_quantile_outside_zero_to_one():
    """q is a fraction, so 95 (a percent) is refused with a hint."""
    message = "QuantileSketch.quantile: q must be between 0 and 1, like 0.95 (got 95)"
    with pytest.raises(ValueError, match=re.escape(message)):
        QuantileSketch().quantile(95)


def test_sketch_refuses_a_relative_accuracy_outside_zero_to_one():
    """relative_accuracy is a fraction strictly between 0 and 1."""
    message = "QuantileSketch: relative_accuracy must be between 0 and 1, like 0.005 (got 0.0)"
    with pytest.raises(ValueError, match=re.escape(message)):
        QuantileSketch(relative_accuracy=0.0)
