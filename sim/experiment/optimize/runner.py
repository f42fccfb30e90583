"""``sim.optimize``: run the procedure on simulations, locally or on Dask, resumably.

The plumbing around :mod:`~sim.experiment.optimize.selection` (the statistics) and
:mod:`~sim.experiment.optimize.search` (the search stage):

* Every candidate's replication ``r`` uses the same random streams (common random
  numbers), so the procedure's paired differences measure the decisions.
* Work is handed out as ``(candidate, replication)`` tasks on the executors of
  :mod:`sim.experiment.executors` (this process, local processes or a Dask cluster),
  in rounds: every candidate still in contention gets its next replications at once.
  How many per round is fixed by the number in contention only, never by the number of
  workers, so one worker or a cluster take the same decisions from the same numbers.
* With ``out``, each finished replication is stored at once, atomically, in
  ``out/replications/`` (a :class:`~sim.experiment.sweep.store.SweepStore` of its
  own). Started again after a kill, the procedure replays: replications found in the
  store are read instead of run, and it reaches the same decision. A store made by a
  different optimize block, base scenario, or version of the model is refused.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import ScenarioError, SimulationError
from sim.experiment.optimize.plan import (
    FIRST_STAGE,
    SEARCH_REPLICATIONS,
    SHORT_LIST,
    OptimizePlan,
    constraint_tolerance,
    evaluate,
    plan_optimize,
    relative_tolerance,
)
from sim.experiment.optimize.search import compass_search, merit
from sim.experiment.optimize.selection import ELIMINATED, Selection
from sim.experiment.record import RunRecord, ScenarioRecord
from sim.experiment.sweep.store import SweepStore

if TYPE_CHECKING:
    from sim.experiment.optimize.results import Decision
    from sim.scenario.models import Scenario

__all__ = ["ROUND", "optimize"]

#: Replications handed out per round of the sequential stage, at least one per candidate
#: in contention: enough to keep a few workers busy when only two candidates are left.
ROUND = 8


class ReplicationStore(SweepStore):
    """The finished replications of one optimization: ``out/replications/rep-C-R.json``."""

    what, items = "optimization", "replications"
    subfolder = "replications"

    def _rep_path(self, candidate: int, replication: int) -> str:
        return os.path.join(self.folder, f"rep-{candidate:06d}-{replication:06d}.json")

    def put(self, candidate: int, replication: int, values: list[float],
            unstable: str | None = None) -> None:  # fmt: skip
        from sim._files import atomic_write

        record: dict[str, Any] = {"candidate": candidate, "replication": replication,
                                  "values": values}  # fmt: skip
        if unstable:
            record["unstable"] = unstable
        atomic_write(self._rep_path(candidate, replication), json.dumps(record) + "\n")

    def load(self) -> tuple[dict[tuple[int, int], list[float]], dict[tuple[int, int], str]]:
        """Every stored replication's values, and the reasons of the unstable ones."""
        found: dict[tuple[int, int], list[float]] = {}
        unstable: dict[tuple[int, int], str] = {}
        for name in os.listdir(self.folder):
            if not (name.startswith("rep-") and name.endswith(".json")):
                continue
            try:
                with open(os.path.join(self.folder, name), encoding="utf-8") as handle:
                    record = json.load(handle)
                pair = (int(record["candidate"]), int(record["replication"]))
                found[pair] = [float(v) for v in record["values"]]
                if record.get("unstable"):
                    unstable[pair] = str(record["unstable"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # only a crash of the whole machine leaves one unreadable: run again
        return found, unstable


class _Evaluator:
    """Replications of candidates, each run once: from the store, or on the executor."""

    def __init__(self, plan: OptimizePlan, store: ReplicationStore | None, options: dict[str, Any],
                 bar: Any) -> None:  # fmt: skip
        self.plan = plan
        self.store = store
        self.options = options
        self.bar = bar
        self.values: dict[tuple[int, int], list[float]] = {}
        self.unstable: dict[tuple[int, int], str] = {}
        if store is not None:
            self.values, self.unstable = store.load()
        self.prepared: set[int] = set()
        self.reused = 0
        self.used: set[tuple[int, int]] = set()

    def run(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Make sure every ``(candidate, replication)`` of ``pairs`` has its values."""
        from sim.experiment.executors import as_finished

        wanted = list(dict.fromkeys(pairs))
        new = [pair for pair in wanted if pair not in self.used]
        self.used.update(new)
        todo = [pair for pair in wanted if pair not in self.values]
        self.reused += len(new) - len([p for p in new if p in todo])
        self.bar.update(len(new) - len(todo))
        if not todo:
            return
        from sim.data.store import cache_dir, prepare

        measures = self.plan.measures
        cache = cache_dir()

        def tasks() -> Iterator[tuple[tuple[int, int], tuple[Any, ...]]]:
            for candidate, replication in todo:
                scenario = self.plan.scenario(candidate)
                if candidate not in self.prepared:
                    prepare([scenario])  # its orders files, if any: read once, then a stat
                    self.prepared.add(candidate)
                yield (candidate, replication), (scenario, replication, measures, cache)

        with as_finished(evaluate, tasks(), count=len(todo), **self.options) as finished:
            for (candidate, replication), future in finished:
                error = future.exception()
                if error is not None:
                    if isinstance(error, ScenarioError):
                        raise error
                    raise SimulationError(
                        f"candidate {self.plan.label(candidate)}, replication {replication}: "
                        f"{type(error).__name__}: {error}"
                    ) from error
                outcome = future.result()
                unstable = outcome.get("unstable")
                if unstable:
                    values = [math.nan] * len(measures)
                    self.unstable[(candidate, replication)] = unstable
                else:
                    values = self._checked(candidate, outcome)
                if self.store is not None:
                    self.store.put(candidate, replication, values, unstable)
                self.values[(candidate, replication)] = values
                self.bar.update(1)

    def _checked(self, candidate: int, outcome: dict[str, Any]) -> list[float]:
        for (metric, subject), value in zip(self.plan.measures, outcome["values"]):
            if value is None:
                subjects = outcome["subjects"].get(metric) or []
                known = (f"; {metric} has {', '.join(subjects)}" if subjects
                         else f"; the model reports no {metric} for this scenario")  # fmt: skip
                raise ScenarioError.one(
                    f"{metric}[{subject}] is not a measure of this scenario{known} "
                    "(see docs/outputs.md, Metrics)",
                    file=self.plan.file,
                    key="optimize",
                )
        return [float(v) for v in outcome["values"]]

    def unstable_in(self, candidate: int, count: int) -> bool:
        """Whether one of the candidate's first ``count`` replications was unstable."""
        return any((candidate, r) in self.unstable for r in range(count))

    def matrix(self, candidate: int, count: int) -> np.ndarray:
        """``[replication, measure]`` values of one candidate's first ``count`` replications."""
        return np.array([self.values[(candidate, r)] for r in range(count)], dtype=float)


def optimize(
    scenario: Scenario | str | os.PathLike[str],
    *,
    budget: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    force: bool = False,
) -> Decision:
    """Find the best plan of ``scenario``'s ``optimize`` block, with its stated confidence.

    >>> import sim
    >>> desk = sim.loads('''
    ... name: desk
    ... run: {horizon: 10d, warmup: 1d}
    ... demand: {arrivals: {rate: 12/h}}
    ... staff: {agents: {headcount: 3, wage: 20/h}}
    ... process: [{step: serve, staff: agents, time: {dist: exponential, mean: 10min}}]
    ... optimize:
    ...   decisions: {staff.agents.headcount: {min: 3, max: 5}}
    ...   objective: {minimize: operating_cost}
    ...   constraints: ["wait_mean_h[serve] <= 0.04 ± 0.01"]
    ...   budget: 300
    ... ''')
    >>> decision = sim.optimize(desk, workers=1, progress=False)
    >>> decision.best, decision.guaranteed    # Erlang C: 0.074 h with 3 agents, 0.0145 with 4
    ({'staff.agents.headcount': 4}, True)

    ``scenario`` is a :class:`~sim.scenario.models.Scenario` or the path of a file with an
    ``optimize`` block. ``budget`` and ``seed`` replace the block's budget and
    ``run.seed``. ``workers`` local processes (1: this process) or a Dask ``scheduler``
    run the replications; the decision is the same on any of them. Before anything runs,
    the budget's worth of replications is estimated: more than an hour raises
    :class:`~sim.experiment.estimate.RunTooLong` unless ``force``. With ``out``, every
    finished replication is kept in ``out/replications/`` and a run started again
    (after Ctrl-C or a kill) goes on from there. ``progress``: a bar that names the
    stage (None: only on a terminal or in a notebook).

    The procedure (Andradottir and Kim 2010, feasibility check with KN selection on
    common random numbers) and what it guarantees are described in
    :mod:`sim.experiment.optimize.selection`; the result says which stages ran.
    """
    from sim.experiment.executors import progress_bar
    from sim.experiment.optimize.results import Decision
    from sim.experiment.runner import _as_scenario

    plan = plan_optimize(_as_scenario(scenario), budget=budget, seed=seed)
    _check_size(plan, workers, force)
    from sim.scenario.checks import check_all

    record = RunRecord("optimize", workers=workers, scheduler=scheduler)
    # What the checks before running find in the smallest and largest candidates.
    ends = [plan.scenario(c) for c in dict.fromkeys((0, len(plan.candidates) - 1))]
    record.warnings = list(dict.fromkeys(f.labelled() for f in check_all(ends)))
    record.scenarios = [ScenarioRecord.of(plan.base)]
    record.scenarios[0].replications = None  # each candidate runs its own count (details)
    options = {"workers": workers, "scheduler": scheduler}
    store = ReplicationStore(out, plan.identity()) if out is not None else None
    with (
        store if store is not None else _nothing(),
        progress_bar(plan.budget, progress, description="optimize", unit="rep") as bar,
    ):
        evaluator = _Evaluator(plan, store, options, bar)
        outcome = _procedure(plan, evaluator, bar)
    record.finish()
    record.details["optimize"] = outcome.pop("details")
    if evaluator.reused:
        record.details["optimize"]["replications_reused"] = evaluator.reused
    return Decision(plan, evaluator.values, record=record, **outcome)


def _check_size(plan: OptimizePlan, workers: int | None, force: bool) -> None:
    """Refuse a budget estimated at more than an hour of work unless ``force``: sized on
    the first and last candidates (the smallest and largest values of every decision)."""
    from sim.experiment.estimate import check_size, estimate
    from sim.experiment.executors import default_workers

    ends = list(dict.fromkeys((0, len(plan.candidates) - 1)))
    share = plan.budget // len(ends)
    tasks = [(plan.scenario(c), share) for c in ends]
    workers = 1 if workers == 1 else (workers or default_workers())
    size = estimate(tasks, workers, what=f"up to {plan.budget} replications (the budget)")
    # The budget is spread over many tasks, not these two: every worker has a share.
    check_size(dataclasses.replace(size, workers=workers), force=force)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _procedure(plan: OptimizePlan, evaluator: _Evaluator, bar: Any) -> dict[str, Any]:
    """The stages: a search when the candidates are too many, then the selection."""
    k = len(plan.candidates)
    listed = list(range(k))
    searched: dict[int, str] = {}
    stage = "selection"
    if k * FIRST_STAGE > plan.budget // 2:
        stage = "search + selection"
        bar.set_description("optimize: search")
        listed, searched = _search(plan, evaluator)
    details: dict[str, Any] = {
        "procedure": "Andradottir and Kim (2010) feasibility check with KN selection "
        "(Kim and Nelson 2001) on common random numbers",
        "stage": stage,
        "candidates": k,
        "budget": plan.budget,
        "first_stage": FIRST_STAGE,
        "confidence": plan.block.confidence,
    }
    if searched:
        details["search"] = {"method": "compass search (Hooke and Jeeves 1961)",
                             "replications_per_point": SEARCH_REPLICATIONS,
                             "points": len(searched), "short_list": len(listed)}  # fmt: skip
    selection, used, stop = _select(plan, evaluator, listed, bar)
    details.update(used)
    return {"stage": stage, "listed": listed, "searched": searched, "selection": selection,
            "details": details, "stopped": stop}  # fmt: skip


def _signed(plan: OptimizePlan, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the primary measure (larger is better) and the secondary ones (``<=``)."""
    x = data[..., 0] if plan.block.maximize else -data[..., 0]
    signs = np.array([1.0 if c.op == "<=" else -1.0 for c in plan.constraints])
    y = data[..., 1:] * signs
    return x, y


def _select(
    plan: OptimizePlan, evaluator: _Evaluator, listed: list[int], bar: Any
) -> tuple[Selection, dict[str, Any], str | None]:
    """The guaranteed procedure on ``listed``; returns it, the tolerances and why it
    stopped early (None: it finished)."""
    n0 = FIRST_STAGE
    if len(evaluator.used) + len(listed) * n0 > plan.budget:
        listed = listed[: max(1, (plan.budget - len(evaluator.used)) // n0)]
    bar.set_description(f"optimize: first stage ({len(listed)} candidates)")
    evaluator.run([(c, r) for c in listed for r in range(n0)])
    first = np.stack([evaluator.matrix(c, n0) for c in listed])  # [candidate, rep, measure]
    x, y = _signed(plan, first)
    relative = relative_tolerance(plan.block)
    if relative is not None:
        scale = float(np.nanmedian(np.abs(first[:, :, 0].mean(axis=1))))
        delta = relative * scale
        if not delta > 0:
            raise ScenarioError.one(
                f"{plan.objective_name} is 0 on average, so a relative tolerance means "
                "nothing: give the tolerance in its unit, like tolerance: 500",
                file=plan.file,
                key="optimize.tolerance",
            )
    else:
        delta = float(plan.block.tolerance)
    tolerances = [constraint_tolerance(c, plan.block) for c in plan.constraints]
    thresholds = [c.value if c.op == "<=" else -c.value for c in plan.constraints]
    selection = Selection(len(listed), thresholds=thresholds, tolerances=tolerances,
                          delta=delta, confidence=plan.block.confidence, n0=n0)  # fmt: skip
    unstable = [m for m, c in enumerate(listed) if evaluator.unstable_in(c, n0)]
    x, y = np.nan_to_num(x), np.nan_to_num(y)  # the unstable ones' data are never used
    selection.start(x, y.transpose(0, 2, 1), excluded=unstable)
    stop = None
    while not selection.done:
        alive = [listed[m] for m in selection.contention]
        per = max(1, math.ceil(ROUND / len(alive)))
        room = (plan.budget - len(evaluator.used)) // len(alive)
        per = min(per, room)
        if per < 1:
            stop = "budget"
            break
        bar.set_description(f"optimize: selection ({len(alive)} in contention)")
        start = selection.r
        evaluator.run([(c, r) for r in range(start, start + per) for c in alive])
        for r in range(start, start + per):
            for m in list(selection.contention):
                if (listed[m], r) in evaluator.unstable:
                    selection.exclude(m)
            if selection.done:
                break
            rows = np.array([evaluator.values[(listed[m], r)] for m in selection.contention])
            xr, yr = _signed(plan, rows)
            selection.observe(xr, yr)
    used: dict[str, Any] = {
        "tolerance_objective": delta,
        "tolerance_constraints": {c.text: e for c, e in zip(plan.constraints, tolerances)},
        "replications_used": len(evaluator.used),
    }
    if evaluator.unstable:
        used["unstable"] = {
            plan.label(c): reason
            for (c, r), reason in sorted(evaluator.unstable.items())
            if (c, r) in evaluator.used
        }
    return selection, used, stop


def _search(plan: OptimizePlan, evaluator: _Evaluator) -> tuple[list[int], dict[int, str]]:
    """The compass search; returns the short list (best first) and every point searched."""
    values = plan.block.candidate_values()
    sizes = [len(values[key]) for key in plan.keys]
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    index: dict[tuple[int, ...], int] = {}  # lattice point -> candidate, filled as visited
    tolerances = [constraint_tolerance(c, plan.block) for c in plan.constraints]
    n = SEARCH_REPLICATIONS

    def score(points: list[tuple[int, ...]]) -> list[tuple[int, float]]:
        ids = [sum(i * s for i, s in zip(p, strides)) for p in points]
        index.update(zip(points, ids))
        evaluator.run([(c, r) for c in ids for r in range(n)])
        merits = []
        for c in ids:
            if evaluator.unstable_in(c, n):
                merits.append((0, -math.inf))
                continue
            means = evaluator.matrix(c, n).mean(axis=0)
            limits = [(float(m), con.op, con.value, tol) for m, con, tol
                      in zip(means[1:], plan.constraints, tolerances)]  # fmt: skip
            merits.append(merit(float(means[0]), limits, plan.block.maximize))
        return merits

    seen = compass_search(sizes, score, max_points=max(2, (plan.budget // 2) // n))
    ranked = sorted(seen, key=lambda p: seen[p], reverse=True)
    room = max(2, (plan.budget - len(evaluator.used)) // (4 * FIRST_STAGE))
    short = [index[p] for p in ranked[: min(SHORT_LIST, room)]]
    return short, {index[p]: ELIMINATED for p in ranked if index[p] not in short}
