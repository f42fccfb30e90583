"""Sweeps: the same business simulated at hundreds of staffing levels and reorder points.

A planner who asks "how many people at the desk, and when do we reorder?" wants the
whole landscape, not one answer: cost and service at every combination, and the few
combinations where service cannot be bought any cheaper (the Pareto frontier).
:func:`sweep` runs that landscape:

* the points come from the file's ``sweep:`` section (or the arguments): a full grid or a
  Latin hypercube sample (:mod:`sim.experiment.sweep.points`); each point is the base scenario with
  a few keys changed, validated as if written by hand;
* one task per point runs on every local core by default, or on a Dask cluster
  (:mod:`sim.experiment.executors`); results are put back in point order, never completion order,
  so one worker, eight or a cluster give the same table to the last digit;
* a point that is invalid or whose simulation fails is recorded with its one-line error,
  and the sweep goes on; a point whose waiting orders pass ``run.max_waiting`` is
  recorded *unstable* (no numbers: its queues grow without bound);
* before it starts, the work of the points still to run is estimated
  (:mod:`sim.experiment.estimate`); more than an hour needs ``force=True``;
* with ``out`` set, every finished point is stored on disk the moment it finishes
  (:mod:`sim.experiment.sweep.store`): a sweep killed at any moment and started again runs only
  the points it lacks, and ends with the same ``sweep.csv``; Ctrl-C ends the worker
  processes at once and keeps every point finished before it.

pandas is imported by the functions that need it, and scipy only by the statistics, so
a worker that imports this module to run a point stays light.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError
from sim.experiment import stats
from sim.experiment.estimate import format_seconds
from sim.experiment.record import RunRecord, ScenarioRecord
from sim.experiment.stats import REPLICATION_COLUMNS, SUMMARY_COLUMNS
from sim.experiment.sweep.points import (
    PointOutcome,
    grid_points,
    one_line,
    run_point,
    sample_points,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.scenario.models import Sample, Scenario

__all__ = ["SWEEP_COLUMNS", "SweepPlan", "SweepResults", "pareto_mask", "plan_sweep", "sweep"]

#: Columns of ``sweep.csv`` after ``point`` and the swept keys, in order: those of
#: ``summary.csv`` after ``scenario``.
SWEEP_COLUMNS = SUMMARY_COLUMNS[1:]
#: Columns of :meth:`SweepResults.replications`: the point in place of the scenario.
_ROW_COLUMNS = ("point", *REPLICATION_COLUMNS[1:])


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will run: the base scenario, its points and the replications of each.

    ``kind`` is ``"grid"`` or ``"sample"``; ``keys`` the swept dotted keys, in order;
    ``points[i]`` the values of point ``i`` (``{key: value}``); ``spec`` the grid or the
    sample as it was given (for ``run.json``).
    """

    base: Scenario
    kind: str
    keys: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    replications: int
    spec: Mapping[str, Any] | None = None

    def identity(self) -> dict[str, Any]:
        """What the store compares to refuse mixing two sweeps (see :func:`sweep_identity`)."""
        from sim.experiment.sweep.store import sweep_identity

        return sweep_identity(self.base.raw, self.keys, self.points, self.replications)

    def point_scenario(self, point: int) -> Scenario:
        """The scenario of one point; raises :class:`ScenarioError` when it is invalid."""
        return self.base.with_changes(self.points[point])


def plan_sweep(
    scenario: Scenario | str | os.PathLike[str],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    sample: Sample | Mapping[str, Any] | None = None,
    replications: int | str | None = None,
) -> SweepPlan:
    """The points of a sweep: ``grid`` or ``sample`` if given, else the file's ``sweep`` section.

    Replications: ``replications``, else ``sweep.replications``, else ``run.replications``.
    Raises :class:`ScenarioError` when there is nothing to sweep or a sample range
    cannot be interpolated.
    """
    from sim.scenario.models import Sample, Scenario

    if not isinstance(scenario, Scenario):
        from sim.scenario.loader import load

        scenario = load(scenario)
    if grid is not None and sample is not None:
        raise ValueError("sweep: give a grid or a sample, not both")
    section = scenario.sweep
    if grid is None and sample is None:
        if section is None:
            raise ScenarioError.one(
                "has no sweep section to run; add one, like "
                "sweep: {grid: {staff.pickers.headcount: [4, 5, 6]}}, or give sim.sweep() a grid",
                file=_file_of(scenario),
            )
        grid, sample = section.grid, section.sample
        if grid is not None and sample is not None:
            # Easy to get by accident: a file that extends one with a grid adds a sample.
            raise ScenarioError.one(
                "give a grid or a sample, not both (to replace the grid of a file you "
                "extend, write grid: null)",
                file=_file_of(scenario),
                key="sweep",
            )
    if scenario.run.auto_warmup:
        raise ScenarioError.one(
            "a sweep needs a fixed warm-up: run the scenario once (run.json and warmup.png "
            "show the warm-up that auto chooses) and write that duration",
            file=_file_of(scenario),
            key="run.warmup",
        )
    if replications is None:
        replications = (section.replications if section else None) or scenario.run.replications
    if replications == "auto":
        raise ScenarioError.one(
            "a sweep runs the same number of replications at every point: give "
            "sweep.replications (or --replications)",
            file=_file_of(scenario),
            key="run.replications",
        )
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(
            f"sweep: replications must be a whole number of 1 or more (got {replications!r})"
        )

    if grid is not None:
        grid = {str(key): list(values) for key, values in grid.items()}
        if not grid or any(not values for values in grid.values()):
            raise ScenarioError.one(
                "expected at least one key, each with at least one value",
                file=_file_of(scenario),
                key="sweep.grid",
            )
        kind, keys, points = "grid", tuple(grid), grid_points(grid)
        spec: dict[str, Any] = grid
    else:
        if not isinstance(sample, Sample):
            sample = Sample.model_validate(sample)
        try:
            points = sample_points(sample)
        except ValueError as exc:
            raise ScenarioError.one(str(exc), file=_file_of(scenario), key="sweep.sample") from None
        kind, keys, spec = "sample", tuple(sample.ranges), sample.model_dump(mode="json")

    return SweepPlan(scenario.base(), kind, keys, tuple(points), replications, spec)


def _file_of(scenario: Scenario) -> str | None:
    source = scenario.source
    return getattr(source, "file", None)


# --------------------------------------------------------------------------- running
def sweep(
    scenario: Scenario | SweepPlan | str | os.PathLike[str],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    sample: Sample | Mapping[str, Any] | None = None,
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    plots: bool = True,
    force: bool = False,
    record: RunRecord | None = None,
) -> SweepResults:
    """Run every point of a sweep; return its results (and write them to ``out``).

    ``scenario`` is a :class:`~sim.scenario.models.Scenario`, the path of a scenario file,
    or a :class:`SweepPlan` made by :func:`plan_sweep` (then run as it is).
    ``grid`` (``{dotted key: [values]}``) or ``sample`` replace the file's ``sweep``
    section; ``replications`` its replication count. ``workers`` local processes run
    the points (default: every core; 1 runs them in this process), or ``scheduler``
    names a Dask cluster to run them on.

    With ``out``, each finished point is stored in ``out/points/`` at once; a sweep
    started again with the same arguments runs only what is missing (and the points
    that failed). At the end ``out`` gets ``sweep.csv``, ``failures.csv`` (when a point
    failed) and, with ``plots``, the ``sweep_*.png`` figures. ``progress``: a bar over
    points (None: only on a terminal). Raises :class:`~sim.errors.SweepMismatchError`
    when ``out`` holds results of a different sweep, or of another version of the model.

    The points still to run are sized first: an estimate of more than an hour raises
    :class:`~sim.experiment.estimate.RunTooLong` unless ``force=True`` (not checked on
    a cluster). ``record`` is what ``out/run.json`` says (the command line fills in its
    arguments); the sweep adds the scenario, points, replications and times.
    """
    if not isinstance(scenario, SweepPlan):
        plan = plan_sweep(scenario, grid, sample=sample, replications=replications)
    elif grid is None and sample is None and replications is None:
        plan = scenario
    else:
        raise ValueError(
            "sweep: a SweepPlan has its points and replications already; "
            "give grid, sample and replications to plan_sweep()"
        )
    record = record if record is not None else RunRecord("sweep")
    record.command, record.workers, record.scheduler = "sweep", workers, scheduler
    record.scenarios = [ScenarioRecord.of(plan.base)]
    record.scenarios[0].replications = plan.replications
    record.details.update(
        kind=plan.kind, keys=list(plan.keys), points=len(plan.points), **{plan.kind: plan.spec}
    )
    records: dict[int, dict[str, Any]] = {}
    if out is None:
        ran = _run_points(plan, records, None, workers, scheduler, progress, force)
        return SweepResults(plan, records, ran=ran, record=_finished(record, plan, ran))

    from sim.experiment.sweep.store import SweepStore

    with SweepStore(out, plan.identity()) as store:
        for point, stored in store.records():
            if stored.get("status") in _DONE:
                records[point] = stored
        ran = _run_points(plan, records, store, workers, scheduler, progress, force)
    results = SweepResults(
        plan, records, ran=ran, out=os.fspath(out), record=_finished(record, plan, ran)
    )
    results.save(out, plots=plots)
    return results


#: A stored point with one of these statuses is not run again when the sweep resumes.
_DONE = ("ok", "unstable")


def _finished(record: RunRecord, plan: SweepPlan, ran: Sequence[int]) -> RunRecord:
    """``record`` with the points run now and the time the sweep ended."""
    record.details["ran"] = len(ran)
    record.details["resumed"] = len(plan.points) - len(ran)
    record.finish()
    return record


def _run_points(
    plan: SweepPlan,
    records: dict[int, dict[str, Any]],
    store: Any,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
    force: bool = False,
) -> list[int]:
    """Run the points missing from ``records`` (adding them); return their ids, in order.

    Each point is recorded (and stored) the moment it finishes, so Ctrl-C or a crash
    loses only the points still running.
    """
    from sim.data.store import cache_dir, prepare
    from sim.experiment.executors import as_finished, progress_bar

    todo = [point for point in range(len(plan.points)) if point not in records]
    if not todo:
        return []
    description = "sweep"
    if scheduler is None:
        wall = _check_size(plan, todo, workers, force)
        if wall >= 10:  # the bar shows no time left until a point has finished
            description += f" ({format_seconds(wall)})"
    failed = 0

    def finish(point: int, outcome: Mapping[str, Any]) -> None:
        nonlocal failed
        status = "failed" if outcome["error"] else "ok"
        record = {
            "status": "unstable" if outcome.get("unstable") else status,
            "error": outcome["error"],
            "seconds": outcome.get("seconds"),
            "cpu_seconds": outcome.get("cpu_seconds"),
            "values": plan.points[point],
            "rows": outcome["rows"],
        }
        if store is not None:
            store.write(point, record)
        records[point] = record
        failed += record["status"] == "failed"
        bar.update(1)
        if failed:
            bar.set_postfix(failed=failed, refresh=False)

    def tasks() -> Iterator[tuple[int, tuple[Scenario, int]]]:
        """The task of each valid point, built when a worker is free for it; an invalid
        point is recorded as failed instead of being sent anywhere."""
        for point in todo:
            try:
                scenario = plan.point_scenario(point)
                prepare([scenario])  # its orders files, if any: read once, then a stat
            except (ScenarioError, ValueError) as exc:
                finish(point, {"rows": [], "error": one_line(exc), "seconds": 0.0})
                continue
            yield point, (scenario, plan.replications)

    with (
        progress_bar(
            len(plan.points),
            progress,
            description=description,
            unit="point",
            initial=len(plan.points) - len(todo),
            smoothing=0.1,
        ) as bar,
        as_finished(
            partial(run_point, cache=cache_dir()),
            tasks(),
            count=len(todo),
            workers=workers,
            scheduler=scheduler,
        ) as finished,
    ):
        for point, future in finished:
            finish(point, _outcome(future))
    return todo


def _outcome(future: Future[PointOutcome]) -> PointOutcome:
    """What a point's task returned; a task that did not return is the worker's failure."""
    from sim.experiment.executors import WorkerDied

    try:
        return future.result()
    except WorkerDied as exc:  # a worker process died: retried next run
        return {"rows": [], "error": str(exc), "seconds": None}
    except Exception as exc:  # noqa: BLE001 - a broken pool, a lost cluster worker: retried
        return {"rows": [], "error": f"the worker failed: {one_line(exc)}", "seconds": None}


# Points sized one by one to estimate a sweep: evenly spread, first and last included.
_SIZED_POINTS = 9


def _check_size(plan: SweepPlan, todo: Sequence[int], workers: int | None, force: bool) -> float:
    """Estimate the points ``todo`` from a few of them; refuse more than an hour without
    ``force`` (:func:`~sim.experiment.estimate.check_size`). Returns the wall seconds."""
    from sim.experiment.estimate import Estimate, check_size, estimate
    from sim.experiment.executors import default_workers

    step = max(1, (len(todo) - 1) // (_SIZED_POINTS - 1))
    sized = sorted(set(todo[::step]) | {todo[-1]})
    scenarios = []
    for point in sized:
        try:
            scenarios.append(plan.point_scenario(point))
        except (ScenarioError, ValueError):  # an invalid point costs nothing: it is not run
            continue
    if not scenarios:
        return 0.0
    from sim.data.store import prepare

    try:
        past = prepare(scenarios)  # the orders files' sizes, for replay and resample channels
    except ScenarioError:  # a point whose files do not fit fails when it runs, at no cost
        past = None
    part = estimate(
        [(s, plan.replications) for s in scenarios], workers or default_workers(), past=past
    )
    scale = len(todo) / len(scenarios)
    count = f"{len(todo)} point" + ("s" if len(todo) != 1 else "")
    size = Estimate(
        part.seconds * scale,
        part.longest,
        max(1, min(workers or default_workers(), len(todo))),
        f"{count} of {plan.replications} replications",
        part.orders,
        part.where,
    )
    check_size(size, force=force)
    return size.wall


# --------------------------------------------------------------------------- results
class SweepResults:
    """Every point of a sweep: its values, whether it ran, and what it measured.

    * :meth:`points`: one row per point: ``point``, the swept keys, ``status``
      (``ok``/``unstable``/``failed``/``not run``) and ``error``;
    * :meth:`replications`: the metric rows of every successful point and replication;
    * :meth:`summary`: the ``sweep.csv`` table (mean and interval per point × metric ×
      subject);
    * :meth:`frontier`: the points that no other point beats on both operating income
      (or another objective) and service level, beyond noise (paired comparisons);
    * :meth:`plot`: the figures of :mod:`sim.output.sweep_plots`.
    """

    def __init__(
        self,
        plan: SweepPlan,
        records: Mapping[int, Mapping[str, Any]],
        *,
        ran: Sequence[int] = (),
        out: str | None = None,
        record: RunRecord | None = None,
    ) -> None:
        self.plan = plan
        #: What was run (``run.json``): the command, scenario, points, workers, times.
        self.record = record if record is not None else RunRecord("sweep")
        self.keys = list(plan.keys)
        self.kind = plan.kind
        self.confidence = float(plan.base.run.confidence)
        self.currency = plan.base.currency
        self.name = plan.base.name
        self.ran = list(ran)
        self.out = out
        self._records = {point: records[point] for point in sorted(records)}
        self._summary: pd.DataFrame | None = None

    # ----------------------------------------------------------------- tables
    def points(self) -> pd.DataFrame:
        """One row per point: ``point``, the swept keys (as written), ``status``, ``error``."""
        import pandas as pd

        rows = []
        for point, values in enumerate(self.plan.points):
            record = self._records.get(point, {})
            rows.append(
                [
                    point,
                    *(values[k] for k in self.keys),
                    record.get("status", "not run"),
                    record.get("error"),
                ]
            )
        table = pd.DataFrame(rows, columns=["point", *self.keys, "status", "error"], dtype=object)
        table["point"] = table["point"].astype("int64")
        return table

    @property
    def succeeded(self) -> int:
        """How many points ran to the end."""
        return sum(r.get("status") == "ok" for r in self._records.values())

    @property
    def failed(self) -> int:
        """How many points failed (invalid scenario or simulation error)."""
        return sum(r.get("status") == "failed" for r in self._records.values())

    @property
    def unstable(self) -> int:
        """How many points were unstable (their waiting orders passed run.max_waiting)."""
        return sum(r.get("status") == "unstable" for r in self._records.values())

    def replications(self) -> pd.DataFrame:
        """Metric rows: ``point, replication, metric, subject, value, unit``, in point order."""
        return self._replications.copy()

    @cached_property
    def _replications(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            [point, *row]
            for point, record in self._records.items()
            if record.get("status") == "ok"
            for row in record["rows"]
        ]
        table = pd.DataFrame(rows, columns=list(_ROW_COLUMNS))
        return table.astype({"point": "int64", "replication": "int64", "value": "float64"})

    def summary(self) -> pd.DataFrame:
        """The ``sweep.csv`` table: ``point``, one column per key, then the summary columns.

        One row per successful point × metric × subject: the mean over replications,
        its Student-t interval at the scenario's confidence, sd, n and unit.
        """
        if self._summary is None:
            import pandas as pd

            rows = self._replications
            if rows.empty:
                table = pd.DataFrame(columns=["point", *SWEEP_COLUMNS])
                table = table.astype({"point": "int64"})
            else:
                by = ("point", "metric", "subject", "unit")
                table = stats.summarize(rows, self.confidence, by=by)
            self._summary = self._with_keys(table)[["point", *self.keys, *SWEEP_COLUMNS]]
        return self._summary.copy()

    def failures(self) -> pd.DataFrame:
        """The points that failed or were unstable: ``point``, the keys, ``error`` (the
        ``failures.csv`` table)."""
        points = self.points()
        failed = points[points["status"].isin(["failed", "unstable"])]
        return failed[["point", *self.keys, "error"]].reset_index(drop=True)

    def _with_keys(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (with a ``point`` column) with the swept keys' values inserted after it."""
        import pandas as pd

        table = table.reset_index(drop=True)
        values = {
            key: pd.Series(
                [self.plan.points[p][key] for p in table["point"]], dtype=object, name=key
            )
            for key in self.keys
        }
        rest = [c for c in table.columns if c != "point" and c not in values]
        return pd.concat([table[["point"]], pd.DataFrame(values), table[rest]], axis=1)

    # ----------------------------------------------------------------- cost and service
    def service_metric(self) -> str:
        """The service measure of the plots and the frontier: ``service_level``."""
        return stats.service_metric(self._replications)

    def objective_metric(self) -> str:
        """``operating_income`` when the business sells something, else ``operating_cost``
        (an internal desk's income is minus its cost: the plots show the cost)."""
        rows = self._replications
        revenue = rows.loc[(rows["metric"] == "revenue") & (rows["subject"] == "all"), "value"]
        names = set(rows["metric"])
        if "operating_income" in names and (revenue.fillna(0) != 0).any():
            return "operating_income"
        return "operating_cost" if "operating_cost" in names else "cost_total"

    def headline(self) -> pd.DataFrame:
        """One row per successful point: keys, then mean and interval of the headline measures.

        Columns ``point``, the keys, and for each of ``throughput_per_day``,
        ``service_level``, ``operating_cost`` and ``operating_income`` (subject ``all``):
        ``<metric>_mean``, ``<metric>_low`` and ``<metric>_high`` (the interval at the
        scenario's confidence: the wide form of ``mean, ci_low, ci_high``). A metric the
        model did not report is left out.
        """
        import pandas as pd

        summary = self.summary()
        summary = summary[summary["subject"] == "all"]
        table = pd.DataFrame({"point": sorted(set(summary["point"]))}, dtype="int64")
        for metric in dict.fromkeys(
            ("throughput_per_day", self.service_metric(), "operating_cost", "operating_income")
        ):
            part = summary[summary["metric"] == metric]
            if part.empty:
                continue
            part = part[["point", "mean", "ci_low", "ci_high"]].rename(
                columns={"mean": f"{metric}_mean", "ci_low": f"{metric}_low",
                         "ci_high": f"{metric}_high"}
            )  # fmt: skip
            table = table.merge(part, on="point", how="left")
        return self._with_keys(table)

    def frontier(
        self,
        objective: str = "operating_income",
        service: str = "service_level",
        maximize: bool | None = None,
    ) -> pd.DataFrame:
        """The Pareto frontier: points no other point beats on both ``objective`` and ``service``,
        beyond noise.

        ``objective`` is maximised (``operating_income``, the default) or minimised (a
        cost, a loss, a wait: ``maximize`` says which, inferred from the name when None);
        ``service`` is maximised. Every point ran on the same random numbers (common
        random numbers), so two points are compared by their **paired** differences,
        replication by replication. Point ``j`` *beats* point ``i`` when, on both
        measures, ``j`` is better with a paired interval (at the sweep's confidence)
        that excludes zero, or the two are equal in every replication, and it is better
        on at least one. A point is on the frontier when no point beats it: points that
        differ from a frontier point only by noise stay on it. Column ``within_noise``
        is True for those among them that another point beats on the means alone (the
        Pareto plot greys them). With one replication nothing is beyond noise: every
        point is kept. The intervals are per pair, not adjusted for the many pairs.

        Columns ``point``, the keys, then ``<objective>_mean, _low, _high`` and
        ``<service>_mean, _low, _high``, then ``within_noise``; best objective first.
        """
        import pandas as pd

        if maximize is None:
            maximize = not _lower_is_better(objective)
        summary = self.summary()
        summary = summary[summary["subject"] == "all"]
        table = pd.DataFrame({"point": sorted(set(summary["point"]))}, dtype="int64")
        for metric in dict.fromkeys((objective, service)):
            part = summary[summary["metric"] == metric]
            if part.empty:
                return self._with_keys(table).assign(within_noise=False).iloc[0:0]
            part = part[["point", "mean", "ci_low", "ci_high"]].rename(
                columns={"mean": f"{metric}_mean", "ci_low": f"{metric}_low",
                         "ci_high": f"{metric}_high"}
            )  # fmt: skip
            table = table.merge(part, on="point", how="left")
        table = self._with_keys(table).dropna(subset=[f"{objective}_mean", f"{service}_mean"])
        table = table.reset_index(drop=True)
        sign = -1.0 if maximize else 1.0  # pareto_mask minimises its first argument
        cost = [sign * v for v in table[f"{objective}_mean"]]
        on_means = pareto_mask(cost, table[f"{service}_mean"].to_list())
        beaten = self._beaten(list(table["point"]), objective, service, -sign)
        keep = [not b for b in beaten]
        best = table.assign(within_noise=[not m for m in on_means], _order=cost)[keep]
        best = best.sort_values(["_order", "point"], kind="stable").drop(columns="_order")
        return best.reset_index(drop=True)

    def _beaten(self, points: list[int], objective: str, service: str,
                objective_sign: float) -> list[bool]:  # fmt: skip
        """For each point, whether another point beats it on both measures beyond noise
        (paired intervals over the replications both ran; see :meth:`frontier`)."""
        import numpy as np

        from sim.experiment.stats import _t_quantile

        rows = self._replications
        rows = rows[(rows["subject"] == "all") & rows["metric"].isin([objective, service])]
        wide = rows.pivot_table(index=["point", "replication"], columns="metric",
                                values="value", aggfunc="first")  # fmt: skip
        reps = sorted(set.intersection(*[
            set(wide.loc[p].dropna().index) for p in points
        ])) if points else []  # fmt: skip
        if len(reps) < 2:
            return [False] * len(points)
        index = pd_index(points, reps)
        x = objective_sign * wide[objective].reindex(index).to_numpy().reshape(len(points), -1)
        y = wide[service].reindex(index).to_numpy().reshape(len(points), -1)
        t = float(_t_quantile(self.confidence, len(reps) - 1))
        beaten = []
        for i in range(len(points)):
            verdict = []
            for data in (x, y):
                diff = (
                    data - data[i]
                )  # row j: how much better j is than i, replication by replication
                mean = diff.mean(axis=1)
                half = t * diff.std(axis=1, ddof=1) / np.sqrt(len(reps))
                same = (diff == 0).all(axis=1)
                verdict.append((mean - half > 0, same))
            (x_better, x_same), (y_better, y_same) = verdict
            wins = (x_better | x_same) & (y_better | y_same) & (x_better | y_better)
            beaten.append(bool(wins.any()))
        return beaten

    # ----------------------------------------------------------------- plots and files
    def plot(self) -> dict[str, Figure]:
        """The sweep's figures, by name (see :func:`sim.output.sweep_plots.sweep_figures`)."""
        from sim.output.sweep_plots import sweep_figures

        return sweep_figures(self)

    def save(self, out: str | os.PathLike[str], *, plots: bool = True) -> str:
        """Write ``sweep.csv``, ``failures.csv`` (or remove a stale one), ``run.json`` and,
        with ``plots``, the figures and ``report.html``, each file atomically."""
        from sim._files import atomic_write

        out = os.fspath(out)
        os.makedirs(out, exist_ok=True)
        atomic_write(os.path.join(out, "sweep.csv"), self.summary().to_csv(index=False))
        atomic_write(os.path.join(out, "run.json"), self.record.to_json())
        failures_path = os.path.join(out, "failures.csv")
        failures = self.failures()
        if len(failures):
            atomic_write(failures_path, failures.to_csv(index=False))
        elif os.path.exists(failures_path):
            os.unlink(failures_path)  # every point succeeded this time
        if plots:
            from sim.output.sweep_report import write_outputs

            write_outputs(self, out)  # the figures and report.html
        return out

    def status_line(self) -> str:
        """``"16 points: 15 succeeded, 1 failed (see failures.csv)"``; unstable points
        are counted too when there are any."""
        total = len(self.plan.points)
        points = f"{total} point" + ("s" if total != 1 else "")
        unstable = f"{self.unstable} unstable (run.max_waiting), " if self.unstable else ""
        line = f"{points}: {self.succeeded} succeeded, {unstable}{self.failed} failed"
        return line + " (see failures.csv)" if self.failed or self.unstable else line

    def __repr__(self) -> str:
        keys = ", ".join(self.keys)
        return f"<SweepResults {self.name!r} {self.kind} over {keys}: {self.status_line()}>"

    def _repr_html_(self) -> str:
        """In a notebook: the status line and the Pareto frontier."""
        from html import escape

        head = f"<p><b>{escape(self.name)}</b>: {escape(self.status_line())}</p>"
        if not self.succeeded:
            return head
        frontier = self.frontier()
        return head + "<p>Pareto frontier (cheapest first):</p>" + frontier.to_html(index=False)


def pd_index(points: Sequence[int], reps: Sequence[int]) -> Any:
    """The (point, replication) index of every pair, points slowest."""
    import pandas as pd

    return pd.MultiIndex.from_product([list(points), list(reps)], names=["point", "replication"])


def _lower_is_better(metric: str) -> bool:
    """A cost, a loss, a wait, a queue or a share of customers lost: lower is better."""
    words = ("cost", "lost", "wait", "queue", "cycle_time", "abandon", "balk", "backorder",
             "stockout", "expired", "waste")  # fmt: skip
    return any(word in metric for word in words)


def pareto_mask(cost: Sequence[float], service: Sequence[float]) -> list[bool]:
    """Which (cost, service) pairs are not dominated (lower cost and higher service are better).

    >>> pareto_mask([1, 2, 3, 2], [0.5, 0.9, 0.95, 0.8])
    [True, True, True, False]
    """
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -service[i]))
    keep = [False] * len(cost)
    best = -math.inf
    last_kept: tuple[float, float] | None = None
    for i in order:
        pair = (cost[i], service[i])
        if service[i] > best:
            keep[i], best, last_kept = True, service[i], pair
        elif pair == last_kept:
            keep[i] = True  # an exact tie with a frontier point is not dominated by it
    return keep
