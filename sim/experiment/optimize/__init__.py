"""Decisions: the best plan under a planner's constraints, with a stated confidence.

A scenario's ``optimize`` block names decisions (staffing levels, reorder points, ...),
an objective and constraints on any measure. :func:`optimize` finds the plan that is
best among those that meet the constraints, by simulation, with a guarantee:

* :mod:`~sim.experiment.optimize.selection`: the statistics alone (Andradottir and Kim's
  feasibility check with Kim and Nelson's fully sequential selection, on common random
  numbers), what it guarantees and under which assumptions;
* :mod:`~sim.experiment.optimize.search`: a compass search that short-lists candidates
  when there are too many to compare within the budget;
* :mod:`~sim.experiment.optimize.plan`: the candidates and the measures;
* :mod:`~sim.experiment.optimize.runner`: the plumbing: executors, rounds, the resumable
  store;
* :mod:`~sim.experiment.optimize.results`: :class:`Decision`, what a planner reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.experiment.optimize.results import Decision
    from sim.experiment.optimize.runner import optimize

__all__ = ["Decision", "optimize"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "Decision": "sim.experiment.optimize.results",
        "optimize": "sim.experiment.optimize.runner",
    },
)
