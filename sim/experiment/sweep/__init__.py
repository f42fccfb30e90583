"""Sweeps: hundreds or thousands of scenario points, resumable, on local cores or Dask.

:func:`sweep` plans the points of a grid or a Latin hypercube sample
(:func:`plan_sweep`, :mod:`~sim.experiment.sweep.points`), runs the missing ones into a
resumable store (:mod:`~sim.experiment.sweep.store`) and returns :class:`SweepResults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.experiment.sweep.runner import SweepPlan, SweepResults, plan_sweep, sweep

__all__ = ["SweepPlan", "SweepResults", "plan_sweep", "sweep"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    dict.fromkeys(__all__, "sim.experiment.sweep.runner"),
)
