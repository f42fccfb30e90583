"""The simulation engine: one replication of a scenario, in SimPy, returning plain rows.

Order intake (:mod:`~sim.model.orders`), inventory (:mod:`~sim.model.inventory`),
suppliers (:mod:`~sim.model.suppliers`), staff (:mod:`~sim.model.staff`) and the
process steps (:mod:`~sim.model.process`) are wired together by
:mod:`~sim.model.build`. The engine imports numpy and SimPy, never pandas,
matplotlib, YAML or scipy, and does no I/O: its rows are cheap to send between
processes.
"""

from __future__ import annotations

from sim.model.build import SERIES_POINTS, Model, ReplicationOutput, simulate

__all__ = ["SERIES_POINTS", "Model", "ReplicationOutput", "simulate"]
