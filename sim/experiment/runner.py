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

import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError, SimulationError
from sim.experiment.executors import TaskError, run_tasks
from sim.experiment.record import RunRecord, ScenarioRecord
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
    replications: int | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios to run, in order, and the scenario each one is compared with.

    ``scenarios`` is a :class:`Scenario`, the path of a scenario file, or a list of
    either (several files). Each file contributes its base followed by its variants.
    ``replications``, ``seed`` and ``horizon`` replace the file's ``run`` settings
    (validated like a change written in the file). Every variant is compared with the
    base of its file; the base of a later file is compared with the first file's base.
    Raises :class:`ScenarioError` for a bad setting or two scenarios with one name.
    """
    items = list(scenarios) if isinstance(scenarios, list | tuple) else [scenarios]
    if not items:
        raise ValueError("run: expected a scenario (got an empty list)")
    changes = {
        f"run.{key}": value
        for key, value in (("replications", replications), ("seed", seed), ("horizon", horizon))
        if value is not None
    }
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
    replications: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
    progress: bool | None = None,
    scheduler: str | None = None,
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
    """
    from functools import partial

    from sim.data.store import cache_dir, prepare, simulate
    from sim.experiment.results import Results

    scenarios, baselines = plan(scenario, replications=replications, seed=seed, horizon=horizon)
    prepare(scenarios)  # orders files: read and checked here, cached for the workers
    record = RunRecord(
        "run",
        [ScenarioRecord.of(member) for member in scenarios],
        workers=workers,
        scheduler=scheduler,
        warnings=[finding.labelled() for finding in check_all(scenarios)],
    )
    tasks = [(member, r) for member in scenarios for r in range(member.run.replications)]
    task = partial(simulate, cache=cache_dir())  # where the workers find the orders files
    outputs = execute(task, tasks, workers=workers, scheduler=scheduler, progress=progress)
    record.finish()
    return Results.from_outputs(outputs, scenarios, baselines=baselines, record=record)


def execute(
    simulate: Any,
    tasks: Sequence[tuple[Scenario, int]],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
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
            description="replications",
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

