"""The simulation engine: one replication of a scenario, in SimPy, returning plain rows.

Order intake (:mod:`~sim.model.orders`, timed by :mod:`~sim.model.arrivals`), inventory
(:mod:`~sim.model.inventory`, replenished by :mod:`~sim.model.policies`), suppliers
(:mod:`~sim.model.suppliers`), staff (:mod:`~sim.model.staff`), the steps
(:mod:`~sim.model.steps`) and the order route (:mod:`~sim.model.process`) share one
:class:`~sim.model.context.ModelContext` per replication and are wired together by
:mod:`~sim.model.build`. The engine imports numpy and SimPy (through its public API
only), never pandas, matplotlib, YAML or scipy, and does no I/O: its rows are cheap to
send between processes.

Extension points, each documented with an example on its base class:

* :class:`~sim.model.arrivals.ArrivalProcess`: when a channel's orders arrive
  (``start(ctx, emit)``; ``emit()`` or ``emit(lines)``);
* :class:`~sim.model.policies.ReorderPolicy`: when and how much a stock reorders,
  registered by its scenario ``type`` (``review(stock, now)``, ``start(stock, ctx)``);
* :class:`~sim.model.steps.Step` and :class:`~sim.model.steps.Route`: a kind of step
  (``arrive(item, now)`` and one reporting surface), and where a step sends items
  next (``done``, ``balk``, ``abandon``);
* :class:`~sim.model.context.ModelContext`: what every part shares (clock, window,
  random streams, ``schedule``, and the :class:`~sim.model.calendar.Calendar`: dates,
  weekdays, months, closed dates and staffing changes).

Past orders (``replay`` and ``resample`` channels) reach the model as an
:class:`~sim.model.orderbook.OrderBook` of numpy arrays, handed to
:func:`~sim.model.build.simulate` as ``orders``; the model never reads a file
(:mod:`sim.data` does, in the parent process).
"""

from __future__ import annotations

from sim.model.build import SERIES_POINTS, Model, ReplicationOutput, simulate

__all__ = ["SERIES_POINTS", "Model", "ReplicationOutput", "simulate"]
