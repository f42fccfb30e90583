"""Experiments: replications of scenarios on an executor, and what they measured.

``run`` (:mod:`~sim.experiment.runner`) hands ``(scenario, replication)`` tasks to an
executor (:mod:`~sim.experiment.executors`: this process, local processes or Dask) and
tabulates the rows into :class:`~sim.experiment.results.Results`, whose statistics
live in :mod:`~sim.experiment.stats`. Sweeps of many scenario points are in
:mod:`sim.experiment.sweep`. pandas and scipy are imported only by the modules that
compute statistics, never by a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.experiment.results import Results
    from sim.experiment.runner import execute, plan, run

__all__ = ["Results", "execute", "plan", "run"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "Results": "sim.experiment.results",
        "execute": "sim.experiment.runner",
        "plan": "sim.experiment.runner",
        "run": "sim.experiment.runner",
    },
)
