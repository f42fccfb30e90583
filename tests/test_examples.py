"""The example scenarios in ``scenarios/`` load, validate, keep up with demand and run.

Every example is a promise to a planner who copies it: it must load as written, every
variant must build a valid scenario, its staff must be able to keep up on average,
and a short run must report the metrics the business is about (fill rate where there
is stock, utilization per staff pool, abandonment where customers are impatient).
The whole module runs in a few seconds: the simulations are two weeks long.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from sim.data.store import prepare, read_book, simulate
from sim.scenario.loader import load
from sim.scenario.models import DemandStream, Scenario, StaffPool

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scenarios"
FILES = sorted(EXAMPLES.glob("*.yaml"))
IDS = [path.name for path in FILES]

#: The five businesses the quick start and the docs point to, plus the sweep.
REQUIRED = {
    "ecommerce.yaml",
    "retail_store.yaml",
    "restaurant.yaml",
    "service_desk.yaml",
    "distributor.yaml",
    "ecommerce_sweep.yaml",
}

#: Offered work per week must stay below this share of the paid on-duty hours of each
#: pool: a base case that cannot keep up on average is a broken example, not a lesson.
MAX_WEEKLY_LOAD = 0.95


def _mean(count: Any) -> float:
    """Mean of a count distribution."""
    return float(count.mean)


def on_duty_hours_per_week(pool: StaffPool) -> float:
    """Paid worker-hours in one week: a round-the-clock headcount, or the sum of shifts."""
    if pool.headcount is not None:
        return pool.headcount * 168.0
    assert pool.shifts is not None
    return sum(shift.headcount * shift.length * len(shift.days) for shift in pool.shifts)


def orders_and_units(stream: DemandStream) -> tuple[float, float]:
    """Orders per week and units per order of a channel: its rate and distributions, or for
    a channel of past orders, the mean over its file."""
    if stream.arrivals is not None:
        # Rates are per hour; the weekly mean is the rate.
        return stream.arrivals.rate * 168.0, _mean(stream.lines) * _mean(stream.quantity)
    if stream.pipeline is not None:  # the leads that win every stage
        orders = stream.pipeline.leads * stream.pipeline.win_probability * 168.0
        return orders, _mean(stream.lines) * _mean(stream.quantity)
    assert stream.data_file is not None
    book = read_book(stream.data_file).for_channel(stream.name)
    weeks = ((book.last_date() - book.first_date()).days + 1) / 7
    return len(book) / weeks, float(book.quantity.sum()) / len(book)


def offered_hours_per_week(scenario: Scenario, pool_name: str) -> float:
    """Worker-hours of work the demand brings to a pool in a week (no abandonment, no losses)."""
    hours = 0.0
    for stream in scenario.demand:
        orders, units = orders_and_units(stream)
        units = units if scenario.products else 0.0
        for step in scenario.steps:
            if step.staff == pool_name:
                assert step.time is not None
                hours += orders * (step.time.mean + step.per_unit * units)
        reach = stream.pipeline.leads * 168.0 if stream.pipeline is not None else 0.0
        for stage in stream.pipeline.stages if stream.pipeline is not None else ():
            if stage.staff == pool_name:  # the leads that reach the stage
                assert stage.time is not None
                hours += reach * stage.time.mean
            reach *= stage.win
    return hours


# --------------------------------------------------------------------------- the set
def test_every_required_example_exists() -> None:
    """The five example businesses and the sweep are all in ``scenarios/``."""
    assert REQUIRED <= set(IDS), f"missing: {sorted(REQUIRED - set(IDS))}"


def test_readme_lists_every_example() -> None:
    """``scenarios/README.md`` has a line for every example file."""
    readme = (EXAMPLES / "README.md").read_text()
    missing = [name for name in IDS if f"`{name}`" not in readme]
    assert not missing, f"not in scenarios/README.md: {missing}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_starts_with_a_header_comment(path: Path) -> None:
    """Each example opens with a comment block that explains the business."""
    lines = path.read_text().splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    assert len(header) >= 5, "explain the business, its numbers and how to run it"
    assert any("run_sim.py" in line for line in header), "say how to run it"


# --------------------------------------------------------------------------- loading
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_loads_and_validates(path: Path) -> None:
    """The file is a valid scenario with a name, a horizon and a warm-up."""
    scenario = load(path)
    assert scenario.name
    assert scenario.run.warmup > 0, "examples exclude a warm-up from their statistics"
    assert scenario.run.horizon > scenario.run.warmup


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_promises_a_service_level(path: Path) -> None:
    """Every example sets ``service.promise``, so on_time_rate is reported."""
    assert load(path).service.promise is not None


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_variant_builds_a_valid_scenario(path: Path) -> None:
    """The base and each variant (the base with its dotted changes) validate."""
    scenario = load(path)
    built = scenario.variant_scenarios()
    assert [s.name for s in built[1:]] == list(scenario.variants)
    if path.name != "ecommerce_sweep.yaml":
        assert 2 <= len(scenario.variants) <= 4, "two to four what-ifs a planner would ask"
    base_raw = {key: value for key, value in built[0].raw.items() if key != "name"}
    for variant in built[1:]:
        raw = {key: value for key, value in variant.raw.items() if key != "name"}
        assert raw != base_raw, f"variant {variant.name} changes nothing"


SWEEP_FILES = [path for path in FILES if (s := load(path)).sweep and s.sweep.grid]


@pytest.mark.parametrize("path", SWEEP_FILES, ids=[path.name for path in SWEEP_FILES])
def test_every_sweep_point_is_a_valid_scenario(path: Path) -> None:
    """Each point of a ``sweep.grid`` (the full cross product) validates."""
    scenario = load(path)
    base = scenario.base()
    keys = list(scenario.sweep.grid)
    points = list(itertools.product(*scenario.sweep.grid.values()))
    assert 12 <= len(points) <= 16, "a grid that runs in about a minute"
    for values in points:
        base.with_changes(dict(zip(keys, values, strict=True)))


OPTIMIZE_FILES = [path for path in FILES if load(path).optimize is not None]


def test_there_is_an_optimize_example() -> None:
    """At least one example asks optimize for the best plan (the service desk's roster)."""
    assert "service_desk_roster.yaml" in [path.name for path in OPTIMIZE_FILES]


@pytest.mark.parametrize("path", OPTIMIZE_FILES, ids=[path.name for path in OPTIMIZE_FILES])
def test_every_optimize_candidate_is_a_valid_scenario(path: Path) -> None:
    """Each candidate of an ``optimize`` block (the full cross product) validates."""
    from sim.experiment.optimize.plan import plan_optimize

    plan = plan_optimize(load(path))
    for candidate in range(len(plan.candidates)):
        plan.scenario(candidate)


# --------------------------------------------------------------------------- capacity
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_staff_can_keep_up_on_average(path: Path) -> None:
    """For every pool of the base case, offered work per week < 95% of paid hours.

    Simple arithmetic, no simulation: orders per week x (task time + time per unit x
    units per order), over the on-duty hours of the pool. Peaks may exceed capacity
    for an hour or two (queues build and drain); the week as a whole must not.
    """
    scenario = load(path).base()
    if not scenario.staff:
        pytest.skip("no staff")
    for name, pool in scenario.staff.items():
        offered = offered_hours_per_week(scenario, name)
        capacity = on_duty_hours_per_week(pool)
        assert capacity > 0, f"pool {name} is never on duty"
        load_ = offered / capacity
        assert load_ < MAX_WEEKLY_LOAD, (
            f"pool {name}: {offered:.0f} h of work a week for {capacity:.0f} h on duty "
            f"({load_:.0%})"
        )
        assert load_ > 0.3, f"pool {name} is idle most of the time ({load_:.0%})"


# --------------------------------------------------------------------------- running
def _simulate(scenario: Scenario) -> dict[tuple[str, str], float]:
    prepare([scenario])  # the orders files of replay and resample channels
    output = simulate(scenario, 0)
    return {(metric, subject): value for metric, subject, value, _unit in output.metrics}


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_two_week_run_reports_the_business_metrics(path: Path) -> None:
    """One replication of the base over 14 days completes orders and reports its metrics."""
    scenario = load(path).base().with_changes({"run.horizon": "14d", "run.warmup": "2d"})
    metrics = _simulate(scenario)

    assert metrics["orders_completed", "all"] > 0
    assert metrics["orders_arrived", "all"] > 0
    assert not math.isnan(metrics["abandon_rate", "all"])
    assert 0 <= metrics["on_time_rate", "all"] <= 1
    for line in ("revenue", "cost_labor", "cost_total", "operating_income"):
        assert (line, "all") in metrics
    for pool in scenario.staff:
        assert 0 < metrics["utilization", pool] <= 1.05, f"pool {pool}"
    for sku in scenario.products:
        assert 0 <= metrics["fill_rate", sku] <= 1, f"sku {sku}"
    if scenario.products:
        assert 0.5 < metrics["fill_rate", "all"] <= 1
        assert metrics["revenue", "all"] > 0
    else:
        assert ("fill_rate", "all") not in metrics, "a pure service business has no fill rate"
    for step in scenario.steps:
        assert ("wait_mean_h", step.step) in metrics
        if step.queue_limit is not None:
            assert ("balk_rate", step.step) in metrics
    if any(stream.patience is not None for stream in scenario.demand):
        assert 0 <= metrics["abandon_rate", "all"] < 0.5
    else:
        assert metrics["abandon_rate", "all"] == 0
