"""Past orders as compact arrays: what a replay or resample channel hands to the model.

A file of a few million order lines becomes a handful of numpy arrays (about 20 bytes
a line): one entry per order (its time and channel, sorted by time) and one per line
(its SKU code and quantity), the lines of order ``i`` being
``first_line[i]:first_line[i + 1]``. The engine never reads files: the experiment
layer reads and checks the file once, in the parent process (:mod:`sim.data`), and
hands the model an :class:`OrderBook`.

Times are whole seconds on the business's local clock, counted from 1970-01-01 00:00
(no time zone): day ``time // 86400`` is the date's ordinal since then.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

__all__ = ["EPOCH", "OrderBook", "SECONDS_PER_DAY"]

#: Day 0 of :attr:`OrderBook.time`.
EPOCH = _dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, eq=False)
class OrderBook:
    """Orders of a file: times, channels and lines as arrays (see the module docstring).

    ``skus`` and ``channels`` name the codes of ``sku`` and ``channel``;
    ``sku_rows``/``channel_rows`` give the file's line where each code first appears
    (for messages). ``file``, ``sha256`` and ``rows`` say where the book came from.
    """

    time: np.ndarray  # int64 seconds, per order, sorted
    first_line: np.ndarray  # int64, one more than there are orders
    sku: np.ndarray  # int32 codes into skus, per line
    quantity: np.ndarray  # int32 units, per line
    channel: np.ndarray  # int32 codes into channels, per order
    skus: tuple[str, ...]
    channels: tuple[str, ...]
    sku_rows: tuple[int, ...] = ()
    channel_rows: tuple[int, ...] = ()
    file: str = ""
    sha256: str = ""
    rows: int = 0

    def __len__(self) -> int:
        """The number of orders."""
        return len(self.time)

    @property
    def has_channels(self) -> bool:
        """Whether the file had a ``channel`` column."""
        return bool(self.channels)

    def first_date(self) -> _dt.date:
        """The date of the first order."""
        return EPOCH + _dt.timedelta(days=int(self.time[0] // SECONDS_PER_DAY))

    def last_date(self) -> _dt.date:
        """The date of the last order."""
        return EPOCH + _dt.timedelta(days=int(self.time[-1] // SECONDS_PER_DAY))

    def days(self) -> np.ndarray:
        """The day (ordinal since 1970-01-01) of every order."""
        return self.time // SECONDS_PER_DAY

    def lines_of(self, order: int) -> list[tuple[int, int]]:
        """``[(sku code, quantity), ...]`` of one order."""
        a, b = int(self.first_line[order]), int(self.first_line[order + 1])
        return list(zip(self.sku[a:b].tolist(), self.quantity[a:b].tolist()))

    def lines_per_order(self) -> np.ndarray:
        """How many lines each order has."""
        return np.diff(self.first_line)

    def select(self, keep: np.ndarray) -> OrderBook:
        """The orders where the boolean array ``keep`` is true, with their lines."""
        counts = self.lines_per_order()
        line_keep = np.repeat(keep, counts)
        first_line = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[keep], out=first_line[1:])
        return OrderBook(
            time=self.time[keep],
            first_line=first_line,
            sku=self.sku[line_keep],
            quantity=self.quantity[line_keep],
            channel=self.channel[keep] if len(self.channel) else self.channel,
            skus=self.skus,
            channels=self.channels,
            sku_rows=self.sku_rows,
            channel_rows=self.channel_rows,
            file=self.file,
            sha256=self.sha256,
            rows=int(line_keep.sum()),
        )

    def for_channel(self, name: str | None) -> OrderBook:
        """The orders of channel ``name``; every order for None or a file without channels."""
        if name is None or not self.channels:
            return self
        if name not in self.channels:
            return self.select(np.zeros(len(self), dtype=bool))
        return self.select(self.channel == self.channels.index(name))
