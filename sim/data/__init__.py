"""Data: files of past orders, read once in the parent and handed to the model as arrays.

A scenario's ``replay`` and ``resample`` channels name a CSV file of past orders.
:func:`~sim.data.orders.read_orders` reads and checks it (pandas, in chunks, so a
year of a large shop fits in memory comfortably) and refuses a broken file like a
broken scenario: one message per problem, naming the file, the line and the column.
The result is an :class:`~sim.model.orderbook.OrderBook`, a handful of numpy arrays.

How the arrays reach worker processes (:mod:`sim.data.store`): the parent
(:func:`prepare`, called by ``sim.run`` and ``sim.sweep``) writes each book once to a
``.npz`` file in a cache folder outside the user's files (the system's temporary
folder, or ``$OPSIM_CACHE_DIR``), named after the file's path, size and modification
time; the task function :func:`simulate`, given that folder with every task, loads
it once per worker process and keeps it. So a task carries the scenario only (a few
kilobytes), never millions of rows, and a worker never imports pandas.

This layer sits between the experiment and the model: it reads files (which the
model never does) for the experiments above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.data.orders import read_orders
    from sim.data.store import prepare, simulate

__all__ = ["prepare", "read_orders", "simulate"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "prepare": "sim.data.store",
        "read_orders": "sim.data.orders",
        "simulate": "sim.data.store",
    },
)
