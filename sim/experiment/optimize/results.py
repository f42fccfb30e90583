"""The result of ``sim.optimize``: the best plan, every candidate's numbers, the guarantee.

:class:`Decision` is what a planner, a notebook and the report (``report.html``) read:

* :attr:`Decision.best` (the decision values of the plan selected, or None),
  :attr:`Decision.best_scenario` (that plan as a scenario, ready to run) and
  :attr:`Decision.guaranteed` (whether the procedure finished: False when the budget ran
  out first, then ``best`` is only the leader so far);
* :meth:`Decision.table`: the DataFrame of ``decision.csv``, one row per candidate
  evaluated, with its status and the mean and confidence interval of the objective and
  of every constraint's measure over the replications it ran;
* :attr:`Decision.conclusion`: the printed sentence, naming the procedure's guarantee;
  :attr:`Decision.nearest`: when no plan is feasible, the candidates that came closest;
* :meth:`Decision.plot`: ``decision.png``; :meth:`Decision.save`: every file.

The intervals in the table are ordinary t intervals of each candidate on its own (at the
block's confidence); the guarantee is the procedure's, stated in :attr:`conclusion`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiment.optimize.selection import BEST, ELIMINATED, FEASIBLE, INFEASIBLE, UNDECIDED

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.experiment.optimize.plan import OptimizePlan
    from sim.experiment.optimize.selection import Selection
    from sim.experiment.record import RunRecord
    from sim.scenario.models import Scenario

__all__ = ["Decision"]

#: ``decision.csv``'s order of statuses in a sorted table.
_ORDER = {BEST: 0, FEASIBLE: 1, UNDECIDED: 2, ELIMINATED: 3, INFEASIBLE: 4}


class Decision:
    """The outcome of an optimization (see the module docstring)."""

    def __init__(
        self,
        plan: OptimizePlan,
        values: dict[tuple[int, int], list[float]],
        *,
        stage: str,
        listed: list[int],
        searched: dict[int, str],
        selection: Selection,
        stopped: str | None,
        record: RunRecord,
    ) -> None:
        self.plan = plan
        self.stage = stage
        self.record = record
        self.stopped = stopped
        self._outputs = values
        self._listed = listed
        self._selection = selection
        statuses = dict(searched)
        counts = {c: _count(values, c) for c in searched}
        for m, status in enumerate(selection.status()):
            statuses[listed[m]] = status
        for m, count in enumerate(selection.replications()):
            counts[listed[m]] = count
        self._status = statuses
        self._counts = counts
        self._leader = self._find_leader()
        best = self._leader
        record.details.setdefault("optimize", {})
        self.record.details["optimize"] = {
            **record.details.get("optimize", {}),
            "best": None if best is None else dict(plan.candidates[best]),
            "guaranteed": self.guaranteed,
        }

    # ----------------------------------------------------------------- the answer
    @property
    def guaranteed(self) -> bool:
        """The procedure finished: the best plan carries the stated guarantee."""
        return self._selection.done and self._selection.best is not None

    @property
    def feasible_found(self) -> bool:
        """Some candidate is feasible (False: exit status 3, no feasible plan)."""
        return self._leader is not None

    def _find_leader(self) -> int | None:
        selection = self._selection
        if selection.best is not None:
            return self._listed[selection.best]
        if selection.done:
            return None  # every candidate infeasible
        # The budget ran out: the feasible (or not yet infeasible) candidate with the best mean.
        alive = [self._listed[m] for m in selection.contention]
        known = [c for c in alive if self._status[c] in (FEASIBLE,)] or alive
        sign = 1.0 if self.plan.block.maximize else -1.0
        return max(known, key=lambda c: sign * self._mean(c, 0)) if known else None

    @property
    def best(self) -> dict[str, Any] | None:
        """The decision values of the plan selected (the leader when not :attr:`guaranteed`)."""
        return None if self._leader is None else dict(self.plan.candidates[self._leader])

    @property
    def best_candidate(self) -> int | None:
        """The number of the best candidate (its row in :meth:`table`)."""
        return self._leader

    @property
    def best_scenario(self) -> Scenario | None:
        """The base scenario with the best plan's values written in."""
        return None if self._leader is None else self.plan.scenario(self._leader)

    @property
    def replications_used(self) -> int:
        return int(self.record.details["optimize"].get("replications_used", 0))

    # ----------------------------------------------------------------- numbers
    def _mean(self, candidate: int, measure: int) -> float:
        n = self._counts[candidate]
        return float(np.mean([self._outputs[(candidate, r)][measure] for r in range(n)]))

    def table(self) -> pd.DataFrame:
        """``decision.csv``: one row per candidate evaluated, in candidate order."""
        import pandas as pd

        from sim.experiment.stats import t_interval

        level = self.plan.block.confidence
        names = ["objective"] + [c.measure for c in self.plan.constraints]
        rows = []
        for candidate in sorted(self._status):
            n = self._counts[candidate]
            data = np.array([self._outputs[(candidate, r)] for r in range(n)], dtype=float)
            row: dict[str, Any] = {"candidate": candidate, **self.plan.candidates[candidate]}
            row.update(replications=n, status=self._status[candidate])
            for i, name in enumerate(names):
                interval = t_interval(data[:, i], level)
                row[f"{name}_mean"] = interval.mean
                row[f"{name}_low"] = interval.ci_low
                row[f"{name}_high"] = interval.ci_high
            row["stage"] = "selection" if candidate in self._listed else "search"
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def tolerances(self) -> dict[str, float]:
        """Each constraint's tolerance in its metric's unit, by the constraint's text."""
        from sim.experiment.optimize.plan import constraint_tolerance

        return {c.text: constraint_tolerance(c, self.plan.block) for c in self.plan.constraints}

    @property
    def nearest(self) -> pd.DataFrame:
        """When no plan is feasible: the candidates that missed the constraints least
        (in units of each constraint's tolerance), closest first (at most 5)."""
        from sim.experiment.optimize.plan import constraint_tolerance

        table = self.table()
        misses = np.zeros(len(table))
        for c in self.plan.constraints:
            mean = table[f"{c.measure}_mean"].to_numpy()
            short = (c.value - mean) if c.op == ">=" else (mean - c.value)
            misses += np.maximum(short, 0.0) / constraint_tolerance(c, self.plan.block)
        return table.assign(missed_by=misses).sort_values("missed_by", kind="stable").head(5)

    # ----------------------------------------------------------------- words
    @property
    def guarantee(self) -> str:
        """What the selection guarantees, in one sentence (empty when it did not finish)."""
        if not self.guaranteed or self._leader is None:
            return ""
        block = self.plan.block
        level = f"{block.confidence:.0%}" if block.confidence * 100 % 1 == 0 else \
            f"{block.confidence:.1%}"  # fmt: skip
        tol = block.tolerance if isinstance(block.tolerance, str) else _number(block.tolerance)
        meets = " and ".join(c.text for c in self.plan.constraints)
        among = "" if self.stage == "selection" else \
            f" among the {len(self._listed)} short-listed by the search"  # fmt: skip
        head = f"With {level} confidence it meets {meets}, and" if meets else \
            f"With {level} confidence"  # fmt: skip
        return f"{head} no other feasible plan{among} is better by more than {tol}."

    @property
    def conclusion(self) -> str:
        """The printed conclusion: the best plan, its objective, and what is guaranteed."""
        plan = self.plan
        if self._leader is None:
            return (f"No feasible plan: none of the {len(self._status)} candidates evaluated "
                    f"meets {' and '.join(c.text for c in plan.constraints)}.")  # fmt: skip
        table = self.table().set_index("candidate")
        row = table.loc[self._leader]
        mean, low, high = row["objective_mean"], row["objective_low"], row["objective_high"]
        half = (high - low) / 2 if np.isfinite(high - low) else float("nan")
        objective = f"{plan.objective_name.replace('_', ' ')} {_number(mean)} ± {_number(half)}"
        label = plan.label(self._leader)
        if self.guaranteed:
            return f"Best: {label} ({objective}). {self.guarantee}"
        return (f"Leader so far: {label} ({objective}). The budget of {plan.budget} "
                "replications ran out before the procedure decided, so nothing is "
                "guaranteed: raise the budget (or the tolerance) and run again; the "
                "replications already run are reused with --out.")  # fmt: skip

    # ----------------------------------------------------------------- figures and files
    def plot(self) -> Figure:
        """``decision.png``: see :func:`sim.output.decision.decision_figure`."""
        from sim.output.decision import decision_figure

        return decision_figure(self)

    def save(self, out: str | os.PathLike[str]) -> str:
        """Write ``decision.csv``, ``best.yaml``, ``decision.png`` and ``run.json`` to ``out``."""
        from sim.output.decision import write_decision

        return write_decision(self, out)

    def __repr__(self) -> str:
        return f"<Decision {self.plan.base.name!r}: {self.conclusion}>"

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p>{escape(self.conclusion)}</p>" + self.table().to_html(index=False)


def _count(values: dict[tuple[int, int], list[float]], candidate: int) -> int:
    n = 0
    while (candidate, n) in values:
        n += 1
    return n


def _number(x: float) -> str:
    """A number as the conclusion prints it: thousands separated, 3 significant digits
    for small ones (``41,200``, ``0.912``)."""
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"
