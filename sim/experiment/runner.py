"""An experiment: every scenario of a file (the base and its variants) times every replication.

Replication ``i`` of every scenario uses the same random streams (the same seed and
replication number: *common random numbers*), so the variant that hires two more
pickers meets exactly the customers the base met, and the difference between them
is measured with little noise (see :mod:`sim.experiment.stats`).

Replications are independent, so they are handed to an executor (:mod:`sim.experiment.executors`)
as ``(scenario, replication)`` tasks and may finish in any order; the results are put
back in (scenario, replication) order before anything is computed from them, so one
worker or many give the same numbers to the last digit.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError, SimulationError
from sim.experiment.executors import TaskError, run_tasks
from sim.experiment.precision import (
    FIRST,
    PrecisionReport,
    assess,
    next_count,
    parse_measures,
)
from sim.experiment.record import RunRecord, ScenarioRecord
from sim.experiment.warmup import (
    PILOT_POINTS,
    PILOT_REPLICATIONS,
    WarmupChoice,
    choose_warmup,
)

if TYPE_CHECKING:
    from sim.experiment.results import Results
    from sim.scenario.models import Scenario

__all__ = ["execute", "plan", "run"]



def _as_scenario(item: Any) -> Scenario:
    from sim.scenario.models import Scenario

    if isinstance(item, Scenario):
        return item
    if isinstance(item, str | os.PathLike):
        from sim.scenario.loader import load

        return load(item)
    raise TypeError(
        f"expected a Scenario or the path of a scenario file (got {type(item).__name__})"
    )


def plan(
    scenarios: Any,
    *,
    replications: int | str | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
    precision: str | float | None = None,
) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios to run, in order, and the scenario each one is compared with.

    ``scenarios`` is a :class:`Scenario`, the path of a scenario file, or a list of
    either (several files). Each file contributes its base followed by its variants.
    ``replications``, ``seed`` and ``horizon`` replace the file's ``run`` settings
    (validated like a change written in the file); a number of ``replications``
    drops the file's ``precision``, and ``precision`` (``"2%"`` or ``0.02``) sets
    ``replications: auto`` with that target. Every variant is compared with the
    base of its file; the base of a later file is compared with the first file's base.
    Raises :class:`ScenarioError` for a bad setting or two scenarios with one name.
    """
    items = list(scenarios) if isinstance(scenarios, list | tuple) else [scenarios]
    if not items:
        raise ValueError("run: expected a scenario (got an empty list)")
    if replications is not None and precision is not None:
        raise ValueError(
            "run: give replications (a number) or precision (replications: auto), not both"
        )
    changes: dict[str, Any] = {
        f"run.{key}": value
        for key, value in (("replications", replications), ("seed", seed), ("horizon", horizon))
        if value is not None
    }
    if replications is not None and replications != "auto":
        changes["run.precision"] = None  # a number of replications: no target to reach
    if precision is not None:
        changes["run.replications"] = "auto"
        changes["run.precision"] = precision
    ordered: list[Scenario] = []
    baselines: dict[str, str] = {}
    first_base: str | None = None
    for item in items:
        scenario = _as_scenario(item)
        if changes:
            scenario = scenario.with_changes(changes)
        base, *variants = scenario.variant_scenarios()
        first_base = first_base or base.name
        for member in (base, *variants):
            if member.name in baselines:
                raise ScenarioError.one(
                    f'two scenarios are named "{member.name}"; give each file and variant '
                    "its own name so the results can tell them apart",
                    key="name",
                )
            baselines[member.name] = base.name if member is not base else first_base
            ordered.append(member)
    return ordered, baselines


def run(
    scenario: Any,
    *,
    replications: int | str | None = None,
    workers: int | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
    progress: bool | None = None,
    scheduler: str | None = None,
    precision: str | float | None = None,
    precision_metrics: Sequence[str] | None = None,
) -> Results:
    """Run the base and every variant of ``scenario`` and return their :class:`Results`.

    >>> import sim
    >>> desk = sim.loads('''
    ... name: desk
    ... run: {horizon: 30d, replications: 3}
    ... demand: {arrivals: {rate: 20/h}}
    ... staff: {agents: {headcount: 3}}
    ... process: [{step: serve, staff: agents, time: {dist: exponential, mean: 6min}}]
    ... ''')
    >>> results = sim.run(desk, workers=1, progress=False)
    >>> busy = results.metric("utilization", "agents").loc["desk", "mean"]  # 20/h x 6min / 3
    >>> round(float(busy), 1)
    0.7

    ``scenario`` may also be a file path or a list of scenarios (several files).
    ``replications``, ``seed`` and ``horizon`` (``"30d"``) override the file's ``run``
    block. ``workers=1`` runs in this process (best for debugging); the default uses
    every core; ``scheduler="tcp://..."`` runs on a Dask cluster. The numbers are the
    same whichever is used. ``progress``: ``None`` shows a bar on terminals and in
    notebooks only, ``True``/``False`` force it on or off.

    **Automatic warm-up and replication count.** A scenario with ``run.warmup: auto``
    first runs pilot replications and takes the warm-up MSER-5 finds
    (:mod:`sim.experiment.warmup`); with ``run.replications: auto`` in any scenario (or
    ``precision="2%"`` here, which implies it) replications of every scenario are added
    in batches until every headline measure is as precise as asked
    (:mod:`sim.experiment.precision`).
    ``precision_metrics`` (``["wait_mean_h[serve]"]``) replaces the headline measures
    that the precision applies to. The results hold the scenarios as they ran, with the
    chosen numbers, and the evidence (``results.warmup_choice``,
    ``results.precision_report``, and ``run.json``).
    """
    from sim.experiment.results import Results
    from sim.model.build import simulate

    scenarios, baselines = plan(
        scenario, replications=replications, seed=seed, horizon=horizon, precision=precision
    )
    record = RunRecord("run", workers=workers, scheduler=scheduler)
    options: dict[str, Any] = {"workers": workers, "scheduler": scheduler, "progress": progress}
    warmup = None
    if any(member.run.auto_warmup for member in scenarios):
        scenarios, warmup = _resolve_warmup(scenarios, options)
    report = None
    if any(member.run.auto_replications for member in scenarios):
        outputs, report = _run_to_precision(
            scenarios, parse_measures(precision_metrics), options
        )
        # Every scenario ran the same count (paired comparisons need it): say so in each.
        decided = {"run.replications": report.replications, "run.precision": None}
        scenarios = [member.with_changes(decided) for member in scenarios]
    else:
        if precision_metrics is not None:
            raise ValueError(
                "run: precision_metrics applies to replications: auto (give precision=...)"
            )
        tasks = [(member, r) for member in scenarios for r in range(int(member.run.replications))]
        outputs = execute(simulate, tasks, **options)
    record.scenarios = [ScenarioRecord.of(member) for member in scenarios]
    for member in record.scenarios:
        if warmup is not None and member.name in warmup.scenarios:
            member.warmup = warmup.evidence()
        if report is not None:
            member.precision = report.evidence(member.name)
    record.finish()
    results = Results.from_outputs(outputs, scenarios, baselines=baselines, record=record)
    results.warmup_choice = warmup
    results.precision_report = report
    return results


def _resolve_warmup(
    scenarios: list[Scenario], options: dict[str, Any]
) -> tuple[list[Scenario], WarmupChoice]:
    """Run the pilot replications of every ``warmup: auto`` scenario; return the scenarios
    with the chosen warm-up written in, and the choice with its evidence."""
    from sim.model.build import simulate

    auto = [member for member in scenarios if member.run.auto_warmup]
    pilots = [member.with_changes({"run.warmup": "0h"}) for member in auto]
    tasks = [(member, r) for member in pilots for r in range(PILOT_REPLICATIONS)]
    pilot_simulate = functools.partial(simulate, series_points=PILOT_POINTS)
    outputs = execute(pilot_simulate, tasks, description="pilot (warm-up)", **options)
    choice = choose_warmup(outputs, {member.name: float(member.run.horizon) for member in auto})
    chosen = {"run.warmup": f"{choice.warmup_h!r}h"}
    resolved = [member.with_changes(chosen) if member.run.auto_warmup else member
                for member in scenarios]  # fmt: skip
    return resolved, choice


def _run_to_precision(
    scenarios: list[Scenario],
    measures: list[tuple[str, str]] | None,
    options: dict[str, Any],
) -> tuple[list[Any], PrecisionReport]:
    """Law's sequential procedure (see :mod:`sim.experiment.precision`) over every scenario."""
    import pandas as pd

    from sim.experiment.stats import REPLICATION_COLUMNS
    from sim.model.build import simulate

    lead = next(member for member in scenarios if member.run.auto_replications)
    target, confidence = lead.run.target_precision, lead.run.confidence
    maximum = lead.run.max_replications
    report = PrecisionReport(target, confidence, 0, maximum)
    if measures is not None:
        report.asked = [f"{metric}[{subject}]" for metric, subject in measures]
    names = [member.name for member in scenarios]
    outputs: list[Any] = []
    rows: list[tuple[Any, ...]] = []
    done, wanted = 0, min(FIRST, maximum)
    while True:
        tasks = [(member, r) for member in scenarios for r in range(done, wanted)]
        batch = execute(simulate, tasks, **options)
        outputs.extend(batch)
        rows.extend(
            (out.scenario, out.replication, *row) for out in batch for row in out.metrics
        )
        done = wanted
        report.batches.append(done)
        table = pd.DataFrame.from_records(rows, columns=list(REPLICATION_COLUMNS))
        if measures is not None and len(report.batches) == 1:
            _check_measures(table, measures)
        report.measures = assess(table, names, target, confidence, measures)
        if report.met or done >= maximum:
            break
        wanted = next_count(done, [m for m in report.measures if not m.met], maximum)
    report.replications = done
    return outputs, report


def _check_measures(table: Any, measures: list[tuple[str, str]]) -> None:
    """Refuse a precision measure that no scenario reports (a typo would stop at once)."""
    reported = set(zip(table["metric"], table["subject"]))
    for metric, subject in measures:
        if (metric, subject) not in reported:
            subjects = sorted({s for m, s in reported if m == metric})
            known = f"; its subjects: {', '.join(subjects)}" if subjects else ""
            raise ValueError(
                f"precision_metrics: no scenario reports {metric}[{subject}]{known}"
            )


def execute(
    simulate: Any,
    tasks: Sequence[tuple[Scenario, int]],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    description: str = "replications",
) -> list[Any]:
    """``simulate(scenario, replication)`` for every task, returned in task order.

    A failed replication raises :class:`SimulationError` naming the scenario and the
    replication (a :class:`ScenarioError` found by the model is raised as it is).
    """
    try:
        return run_tasks(
            simulate,
            tasks,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            description=description,
            unit="rep",
        )
    except TaskError as failure:
        if isinstance(failure.error, ScenarioError):
            raise failure.error from None
        scenario, replication = tasks[failure.index]
        message = (
            f'scenario "{scenario.name}", replication {replication}: '
            f"{type(failure.error).__name__}: {failure.error}"
        )
        if isinstance(failure.error, BrokenProcessPool):
            message = message.rstrip(".") + (
                ". A worker process stopped. If sim.run() is called from a script, put the "
                'calling code under `if __name__ == "__main__":` (every worker re-imports the '
                "script), or run in this process with workers=1."
            )
        raise SimulationError(message) from failure.error

