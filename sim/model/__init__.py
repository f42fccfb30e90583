"""The simulation engine: one replication of a scenario, in SimPy, returning plain rows.

Order intake (:mod:`~sim.model.orders`, timed by :mod:`~sim.model.arrivals`), inventory
(:mod:`~sim.model.inventory`, replenished by :mod:`~sim.model.policies`), suppliers
(:mod:`~sim.model.suppliers`), staff (:mod:`~sim.model.staff`), the steps
(:mod:`~sim.model.steps`) and the order route (:mod:`~sim.model.process`) share one
:class:`~sim.model.context.ModelContext` per replication and are wired together by
:mod:`~sim.model.build`. The engine imports numpy and SimPy (through its public API
only), never pandas, matplotlib, YAML or scipy, and does no I/O: its rows are cheap to
send between processes.
"""

from __future__ import annotations

from sim.model.build import SERIES_POINTS, Model, ReplicationOutput, simulate

__all__ = ["SERIES_POINTS", "Model", "ReplicationOutput", "simulate"]
