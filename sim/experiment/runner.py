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
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError, SimulationError
from sim.experiment.estimate import check_size, estimate, format_seconds
from sim.experiment.executors import TaskError, WorkerDied, default_workers, run_tasks
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
from sim.scenario.checks import check_all

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
    force: bool = False,
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

    Before running, every scenario is checked for plans that make no sense (an
    overloaded staff pool, demand when nobody is on duty, ...: :mod:`sim.scenario.checks`);
    what is found is in ``results.record.warnings`` and under the printed table.

    ``scenario`` may also be a file path or a list of scenarios (several files).
    ``replications``, ``seed`` and ``horizon`` (``"30d"``) override the file's ``run``
    block. ``workers=1`` runs in this process (best for debugging); the default uses
    every core; ``scheduler="tcp://..."`` runs on a Dask cluster. The numbers are the
    same whichever is used. ``progress``: ``None`` shows a bar on terminals and in
    notebooks only, ``True``/``False`` force it on or off.

    Before anything runs, the run's size is estimated (:mod:`sim.experiment.estimate`):
    one estimated at more than an hour raises :class:`~sim.experiment.estimate.RunTooLong`
    (a :class:`ScenarioError` naming the estimate) unless ``force=True``; on a cluster
    (``scheduler``) it is not checked. A scenario whose waiting orders pass
    ``run.max_waiting`` in a replication is reported unstable: every metric of it is
    NaN, and ``results.record`` says when and how many (``details["unstable"]``).

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
    from functools import partial

    from sim.data.store import cache_dir, prepare, simulate
    from sim.experiment.results import Results

    scenarios, baselines = plan(
        scenario, replications=replications, seed=seed, horizon=horizon, precision=precision
    )
    record = RunRecord(
        "run",
        workers=workers,
        scheduler=scheduler,
        warnings=[finding.labelled() for finding in check_all(scenarios)],
    )
    past = prepare(scenarios)  # orders files: read and checked here, cached for the workers
    description = "replications"
    if scheduler is None:
        size = estimate(_planned_tasks(scenarios), workers or default_workers(), past=past)
        check_size(size, force=force)
        if size.wall >= 10:  # the bar shows no time left until a replication has finished
            description += f" ({format_seconds(size.wall)})"
    task = partial(simulate, cache=cache_dir())  # where the workers find the orders files
    options: dict[str, Any] = {"workers": workers, "scheduler": scheduler, "progress": progress}
    warmup = None
    if any(member.run.auto_warmup for member in scenarios):
        scenarios, warmup = _resolve_warmup(scenarios, task, options)
    report = None
    if any(member.run.auto_replications for member in scenarios):
        outputs, report = _run_to_precision(
            scenarios, parse_measures(precision_metrics), task, options
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
        outputs = execute(task, tasks, description=description, **options)
    _mark_unstable(outputs, scenarios, record)
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


def _planned_tasks(scenarios: Sequence[Scenario]) -> list[tuple[Scenario, int]]:
    """What the run will simulate at least, one task per replication, for the size
    estimate: every replication (the first stage of ``replications: auto``) and the
    pilot replications of ``warmup: auto``."""
    planned = []
    for member in scenarios:
        count = (
            min(FIRST, member.run.max_replications)
            if member.run.auto_replications
            else int(member.run.replications)
        )
        if member.run.auto_warmup:
            count += PILOT_REPLICATIONS
        planned.extend([(member, 1)] * count)
    return planned


def _resolve_warmup(
    scenarios: list[Scenario], simulate: Any, options: dict[str, Any]
) -> tuple[list[Scenario], WarmupChoice]:
    """Run the pilot replications of every ``warmup: auto`` scenario; return the scenarios
    with the chosen warm-up written in, and the choice with its evidence."""
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
    simulate: Any,
    options: dict[str, Any],
) -> tuple[list[Any], PrecisionReport]:
    """Law's sequential procedure (see :mod:`sim.experiment.precision`) over every scenario."""
    import pandas as pd

    from sim.experiment.stats import REPLICATION_COLUMNS

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


def _mark_unstable(
    outputs: Sequence[Any], scenarios: Sequence[Scenario], record: RunRecord
) -> None:
    """Blank every number of a scenario with an unstable replication; note it in ``record``.

    Its stable replications were only luckier in how long they ran before the queues
    grew: none of its numbers is a property of the business, so none is reported.
    """
    from sim.model.build import Unstable

    stopped: dict[str, list[Any]] = {}
    for out in outputs:
        if getattr(out, "unstable", None) is not None:
            stopped.setdefault(out.scenario, []).append(out)
    if not stopped:
        return
    unstable = record.details.setdefault("unstable", {})
    for member in scenarios:
        if member.name not in stopped:
            continue
        first = min(stopped[member.name], key=lambda out: out.replication)
        message = str(Unstable(*first.unstable))
        count = len(stopped[member.name])
        unstable[member.name] = {
            "message": message,
            "max_waiting": member.run.max_waiting,
            "replications": {
                str(out.replication): {"hours": out.unstable[0], "waiting": out.unstable[1]}
                for out in sorted(stopped[member.name], key=lambda out: out.replication)
            },
        }
        record.warnings.append(
            f"{member.name}: {message}; {count} of {member.run.replications} replications "
            "stopped early: its queues grow without bound, so no numbers are reported for it"
        )
    for out in outputs:
        if out.scenario in stopped:
            out.metrics = [(m, subject, math.nan, unit) for m, subject, _, unit in out.metrics]


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
    replication (a :class:`ScenarioError` found by the model is raised as it is); when a
    worker process died, the message names the replication it was running and how it
    died (killed, for instance by the system when memory ran out).
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
        error = failure.error
        what = str(error) if isinstance(error, WorkerDied) else f"{type(error).__name__}: {error}"
        message = f'scenario "{scenario.name}", replication {replication}: {what}'
        raise SimulationError(message) from failure.error

