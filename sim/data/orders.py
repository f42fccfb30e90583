"""Reading a file of past orders: check every row, keep compact arrays.

The format (docs/scenario-format.md, "Demand from a file of past orders"): CSV, UTF-8,
a header naming the columns ``time`` (ISO 8601 local date-time, like
``2026-01-05T09:30``; a date alone is 00:00), ``order`` (an id: rows with the same id
are the lines of one order), ``sku``, ``quantity`` (whole units, 1 or more), and
optionally ``channel``. Column names are matched without regard to case or spaces
around them; other columns are ignored. An order's time is the earliest time of its
rows, and its channel that of its first row.

The file is read in chunks of :data:`CHUNK_ROWS` rows with pandas, and only compact
arrays are kept of each chunk (about 30 bytes a row, the order ids as 64-bit hashes),
so a few million rows fit in memory comfortably. Every problem is reported like a
problem of a scenario, with the file, the line (the header is line 1, and a row is one
line) and the column::

    orders.csv:57: time: expected an ISO 8601 date-time like 2026-01-05T09:30 (got 'yesterday')

At most :data:`MAX_PROBLEMS` problems are listed, then how many more there were.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.model.orderbook import OrderBook

__all__ = ["CHUNK_ROWS", "COLUMNS", "MAX_PROBLEMS", "read_orders", "sha256_of"]

#: Required columns, then the optional one.
COLUMNS = ("time", "order", "sku", "quantity")
OPTIONAL = ("channel",)
#: Rows read and checked at a time (for a file of these five columns; fewer for a wider one).
CHUNK_ROWS = 250_000
#: Problems listed before the rest are only counted.
MAX_PROBLEMS = 20

_TIME_FORM = "an ISO 8601 date-time like 2026-01-05T09:30"
# A time zone after the clock time of an ISO date-time: Z, +01, +0100 or +01:00.
_ZONE = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)\s*$")
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def sha256_of(path: str) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Problems:
    """Problems found so far: the first :data:`MAX_PROBLEMS` kept, the rest counted."""

    file: str
    kept: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(self, line: int | None, column: str, message: str) -> None:
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(self.file, line, column, message))
        else:
            self.more += 1

    def raise_any(self) -> None:
        if not self.kept:
            return
        problems = sorted(self.kept, key=lambda p: (p.line or 0, p.key))
        if self.more:
            problems.append(
                Problem(self.file, None, "", f"... and {self.more} more problems like these")
            )
        raise ScenarioError(problems)


def _header(path: str, shown: str) -> tuple[dict[str, str], int]:
    """The file's column name for each column of the format (and how many columns it
    has), or a problem at line 1."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise ScenarioError.one("file not found", file=shown) from None
    except UnicodeDecodeError:
        raise ScenarioError.one(
            "the file is not UTF-8 text; save it as CSV with UTF-8 encoding", file=shown
        ) from None
    except (OSError, csv.Error) as exc:
        raise ScenarioError.one(f"cannot read the file: {exc}", file=shown) from None
    if not first:
        raise ScenarioError.one(
            "the file is empty; it needs a header: " + ",".join(COLUMNS) + " (and channel)",
            file=shown,
        )
    found: dict[str, str] = {}
    problems = _Problems(shown)
    for name in first:
        key = name.strip().lower()
        if key in found:
            problems.add(1, key, f'the column "{key}" is given twice')
        elif key in (*COLUMNS, *OPTIONAL):
            found[key] = name
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        have = ", ".join(n.strip() for n in first) or "nothing"
        problems.add(
            1, "", f"missing column{'s' if len(missing) > 1 else ''} "
            + ", ".join(f'"{c}"' for c in missing) + f" (the header has: {have})",
        )
    problems.raise_any()
    return found, len(first)


@dataclass
class _Chunks:
    """What is kept of each chunk: arrays only."""

    time: list[np.ndarray] = field(default_factory=list)
    order: list[np.ndarray] = field(default_factory=list)
    sku: list[np.ndarray] = field(default_factory=list)
    quantity: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    skus: dict[str, int] = field(default_factory=dict)
    sku_rows: list[int] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)
    channel_rows: list[int] = field(default_factory=list)


def _codes(
    values: np.ndarray, lines: np.ndarray, names: dict[str, int], first_rows: list[int]
) -> np.ndarray:
    """Codes of text values in ``names`` (which grows), noting the line each first appears on."""
    local, uniques = pd.factorize(values)
    mapping = np.empty(len(uniques), dtype=np.int32)
    for i, name in enumerate(uniques):
        code = names.get(name)
        if code is None:
            code = names[name] = len(names)
            first_rows.append(int(lines[np.argmax(local == i)]))
        mapping[i] = code
    return mapping[local]


def _check_chunk(
    chunk: pd.DataFrame, problems: _Problems, kept: _Chunks, has_channel: bool
) -> None:
    """Check one chunk's rows; keep the arrays of the good ones."""
    lines = chunk.index.to_numpy() + 2  # the header is line 1
    bad = np.zeros(len(chunk), dtype=bool)

    def report(mask: np.ndarray, column: str, message: Any) -> None:
        """A problem for each row of ``mask`` (listed while there is room); the rows are bad."""
        rows = np.flatnonzero(mask)
        room = min(len(rows), max(0, MAX_PROBLEMS - len(problems.kept)))
        for i in rows[:room]:
            problems.add(int(lines[i]), column, message(i))
        problems.more += len(rows) - room
        np.logical_or(bad, mask, out=bad)

    # Plain arrays of str, stripped: a list comprehension is ten times faster than
    # pandas' per-element .str methods here.
    text = {
        column: np.array([v.strip() for v in chunk[column].to_numpy(dtype=object)], dtype=object)
        for column in chunk.columns
    }
    times = text["time"]
    # A time zone needs a "+", a "Z" or a "-" after the date: only those are searched.
    maybe = np.array(
        [("+" in v or "Z" in v or "z" in v or v.rfind("-") > 9) for v in times], dtype=bool
    )
    zoned = np.zeros(len(times), dtype=bool)
    for i in np.flatnonzero(maybe):
        zoned[i] = _ZONE.search(times[i]) is not None
    report(
        zoned, "time",
        lambda i: "a time with a time zone cannot be read as the business's clock; "
        f"give local times, like 2026-01-05T09:30 (got {times[i]!r})",
    )
    parsed = pd.to_datetime(np.where(zoned, "", times), format="ISO8601", errors="coerce")
    report(
        np.isnat(parsed.to_numpy()) & ~zoned, "time",
        lambda i: f"expected {_TIME_FORM} (got {times[i]!r})",
    )
    for column in ("order", "sku", *(("channel",) if has_channel else ())):
        report(
            text[column] == "", column,
            lambda i: "missing: every row needs a value here",
        )
    quantity = pd.to_numeric(text["quantity"], errors="coerce").astype(float)
    whole = np.isfinite(quantity) & (quantity >= 1) & (quantity == np.floor(quantity))
    report(
        ~whole, "quantity",
        lambda i: f"expected a whole number of units, 1 or more (got {text['quantity'][i]!r})",
    )
    good = ~bad
    if not good.any():
        return
    micro = parsed.to_numpy()[good].astype("datetime64[us]").view(np.int64)
    kept.time.append(micro // 1_000_000)
    kept.order.append(pd.util.hash_array(text["order"][good]))
    kept.quantity.append(quantity[good].astype(np.int32))
    kept.sku.append(_codes(text["sku"][good], lines[good], kept.skus, kept.sku_rows))
    if has_channel:
        kept.channel.append(
            _codes(text["channel"][good], lines[good], kept.channels, kept.channel_rows)
        )


def read_orders(path: str | os.PathLike[str], *, shown_as: str | None = None) -> OrderBook:
    """Read and check a file of past orders; return its :class:`OrderBook`.

    ``shown_as`` is how messages name the file (default: ``path`` as given). Raises
    :class:`~sim.errors.ScenarioError` with one problem per bad row (file, line,
    column), or for a file that cannot be read at all.
    """
    path = os.fspath(path)
    shown = shown_as or path
    columns, width = _header(path, shown)
    has_channel = "channel" in columns
    problems = _Problems(shown)
    kept = _Chunks()
    rows = 0
    rename = {name: key for key, name in columns.items()}
    # Every column is read (so that a row with more values than the header, such as an
    # unquoted comma inside a value, is caught), in chunks of about the same size.
    chunk_rows = max(1, CHUNK_ROWS * len(COLUMNS) // max(width, len(COLUMNS)))
    try:
        with warnings.catch_warnings():
            # pandas only warns when the first row has more values than the header.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                chunksize=chunk_rows,
                index_col=False,
            )
            with reader:
                for chunk in reader:
                    rows += len(chunk)
                    part = chunk[list(columns.values())].rename(columns=rename)
                    _check_chunk(part, problems, kept, has_channel)
    except pd.errors.ParserWarning:
        problems.add(2, "", f"the row has more values than the header has columns ({width})")
    except pd.errors.ParserError as exc:
        found = _FIELDS.search(str(exc))
        if found:
            expected, line, saw = found.groups()
            problems.add(
                int(line), "", f"expected {expected} values, like the header, but the row has {saw}"
            )
        else:
            problems.add(None, "", f"cannot read the file as CSV: {' '.join(str(exc).split())}")
    except UnicodeDecodeError:
        problems.add(None, "", "the file is not UTF-8 text; save it as CSV with UTF-8 encoding")
    problems.raise_any()
    if not kept.time:
        raise ScenarioError.one("no orders in the file (only a header)", file=shown)
    return _book(kept, path, rows)


def _book(kept: _Chunks, path: str, rows: int) -> OrderBook:
    """Group the rows into orders, sorted by time (ties in the order of the file).

    Written to keep the peak low for millions of rows: each chunk's arrays are dropped
    once joined, and every temporary as soon as it has served.
    """
    time = _join(kept.time)
    order = _join(kept.order)
    n = len(order)
    by_order = np.argsort(order, kind="stable")  # rows of an order together, in file order
    sorted_ids = order[by_order]
    del order
    new = np.ones(n, dtype=bool)
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=new[1:])
    del sorted_ids
    starts = np.flatnonzero(new)
    del new
    counts = np.diff(np.append(starts, n))
    order_time = np.minimum.reduceat(time[by_order], starts)
    del time
    first_row = by_order[starts]
    sequence = np.lexsort((first_row, order_time))  # by time, then by first row
    order_time = order_time[sequence]
    first_row = first_row[sequence]
    counts = counts[sequence]
    starts = starts[sequence]
    del sequence
    first_line = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=first_line[1:])
    # Row of each line, order after order: by_order[start of its order + its place in it].
    offsets = np.repeat(starts - first_line[:-1], counts)
    del starts, counts
    offsets += np.arange(n)
    lines = by_order[offsets]
    del offsets, by_order
    sku = _join(kept.sku)[lines]
    quantity = _join(kept.quantity)[lines]
    del lines
    channel = _join(kept.channel)[first_row] if kept.channel else np.zeros(0, dtype=np.int32)
    return OrderBook(
        time=order_time,
        first_line=first_line,
        sku=sku,
        quantity=quantity,
        channel=channel,
        skus=tuple(kept.skus),
        channels=tuple(kept.channels),
        sku_rows=tuple(kept.sku_rows),
        channel_rows=tuple(kept.channel_rows),
        file=path,
        sha256=sha256_of(path),
        rows=rows,
    )


def _join(chunks: list[np.ndarray]) -> np.ndarray:
    """The chunks' arrays as one; the list is emptied, so that they can be freed."""
    joined = np.concatenate(chunks)
    chunks.clear()
    return joined
