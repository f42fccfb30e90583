"""Order books between processes: read once by the parent, loaded once by each worker.

:func:`prepare` (the parent, before any task is handed out) reads every orders file a
scenario names, checks it against the scenario, and writes its
:class:`~sim.model.orderbook.OrderBook` to a ``.npz`` file in :func:`cache_dir`: the
system's temporary folder (``opsim-<user>/orders``), or ``$OPSIM_CACHE_DIR`` when set
(a folder every Dask worker can read, for a cluster). The cache file is named after
the orders file's absolute path, size and modification time, so a worker finds it
with one ``stat`` call and no hashing; it also holds the file's SHA-256, which the
parent checks once per process before trusting a cache file. A new version of an
orders file replaces its old cache file.

:func:`simulate` is the task function of every run: for a scenario without orders
files it is :func:`sim.model.build.simulate`; otherwise it hands the model the books,
kept in memory for the life of the process, so a worker pays for loading a book once
(a tenth of a second for a million orders) however many replications it runs. Only
numpy is needed here: a worker never imports pandas.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from sim._files import atomic_write
from sim.errors import Problem, ScenarioError
from sim.model import build
from sim.model.build import ReplicationOutput, calendar_of
from sim.model.orderbook import EPOCH, SECONDS_PER_DAY, OrderBook

if TYPE_CHECKING:
    from sim.scenario.models import DemandStream, Scenario

__all__ = ["CACHE_ENV", "book", "cache_dir", "forget", "prepare", "read_book", "simulate"]

#: Environment variable naming the cache folder (default: under the temporary folder).
CACHE_ENV = "OPSIM_CACHE_DIR"
_FORMAT = 1  # bump when the arrays saved change
_ARRAYS = ("time", "first_line", "sku", "quantity", "channel")
_TEXTS = ("skus", "channels")
_NUMBERS = ("sku_rows", "channel_rows")

#: Locates a problem at a key under one channel: ``where(("replay",), message)``.
Where = Callable[[tuple[str | int, ...], str], Problem]

#: Books of this process: absolute path -> (stamp of the file, book).
_BOOKS: dict[str, tuple[str, OrderBook]] = {}
#: Files whose cache entry this process has checked against their SHA-256.
_VERIFIED: set[tuple[str, str]] = set()


def cache_dir() -> str:
    """The folder of cached books: ``$OPSIM_CACHE_DIR``, else ``<tmp>/opsim-<user>/orders``."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return chosen
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"opsim-{user}", "orders")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _stamp(path: str) -> str:
    """What identifies a version of the file without reading it: path, size, modified time."""
    info = os.stat(path)
    return _digest(f"{_FORMAT}\0{info.st_size}\0{info.st_mtime_ns}")


def _cache_file(path: str, stamp: str, cache: str | None = None) -> str:
    folder = cache or cache_dir()
    return os.path.join(folder, f"{_digest(os.path.realpath(path))}-{stamp}.npz")


def _save(book: OrderBook, target: str) -> None:
    """Write ``book`` to ``target`` (atomically: a worker never sees half a file)."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    arrays: dict[str, np.ndarray] = {name: getattr(book, name) for name in _ARRAYS}
    arrays |= {name: np.array(getattr(book, name), dtype=str) for name in _TEXTS}
    arrays |= {name: np.array(getattr(book, name), dtype=np.int64) for name in _NUMBERS}
    arrays["meta"] = np.array([book.file, book.sha256, str(book.rows)], dtype=str)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub types savez loosely
    atomic_write(target, buffer.getvalue(), sync=False)
    prefix = os.path.basename(target).split("-")[0] + "-"
    for name in os.listdir(os.path.dirname(target)):  # older versions of the same file
        if name.startswith(prefix) and name.endswith(".npz") and name != os.path.basename(target):
            try:
                os.unlink(os.path.join(os.path.dirname(target), name))
            except OSError:
                pass


def _load(target: str) -> OrderBook:
    with np.load(target, allow_pickle=False) as saved:
        file, sha256, rows = saved["meta"].tolist()
        return OrderBook(
            time=saved["time"],
            first_line=saved["first_line"],
            sku=saved["sku"],
            quantity=saved["quantity"],
            channel=saved["channel"],
            skus=tuple(saved["skus"].tolist()),
            channels=tuple(saved["channels"].tolist()),
            sku_rows=tuple(saved["sku_rows"].tolist()),
            channel_rows=tuple(saved["channel_rows"].tolist()),
            file=file,
            sha256=sha256,
            rows=int(rows),
        )


def shown(path: str) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def book(path: str, cache: str | None = None) -> OrderBook:
    """The book of the orders file ``path`` in this process (a worker's way to get it).

    From memory, else from the cache :func:`prepare` wrote in the folder ``cache``
    (default: :func:`cache_dir`). Raises ``RuntimeError`` when neither has it.
    """
    stamp = _stamp(path)
    known = _BOOKS.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    target = _cache_file(path, stamp, cache)
    if not os.path.exists(target):
        raise RuntimeError(
            f"the orders of {path} are not in the cache ({cache or cache_dir()}): "
            "run the scenario with sim.run() or sim.sweep(), which prepare it; on a Dask "
            f"cluster, set {CACHE_ENV} to a folder that the workers can read"
        )
    found = _load(target)
    _BOOKS[path] = (stamp, found)
    return found


def read_book(path: str) -> OrderBook:
    """The book of the orders file ``path``, read and checked (the parent's way to get it).

    An unchanged file is taken from memory or from the cache (whose SHA-256 is checked
    against the file once per process); otherwise the file is read
    (:func:`sim.data.orders.read_orders`) and the cache written. Raises
    :class:`~sim.errors.ScenarioError` for a broken file.
    """
    from sim.data.orders import read_orders, sha256_of

    try:
        stamp = _stamp(path)
    except OSError:
        raise ScenarioError.one("orders file not found", file=shown(path)) from None
    known = _BOOKS.get(path)
    if known is not None and known[0] == stamp and (path, stamp) in _VERIFIED:
        return known[1]
    target = _cache_file(path, stamp)
    found = None
    if os.path.exists(target):
        try:
            found = _load(target)
        except (OSError, ValueError, KeyError):
            found = None  # a damaged cache file: read the orders again
        if found is not None and found.sha256 != sha256_of(path):
            found = None
    if found is None:
        found = read_orders(path, shown_as=shown(path))
        try:
            _save(found, target)
        except OSError:
            pass  # no cache: workers in this process tree will say so; one process works
    _BOOKS[path] = (stamp, found)
    _VERIFIED.add((path, stamp))
    return found


def prepare(
    scenarios: Iterable[Scenario],
) -> dict[tuple[str, str | None], tuple[int, float]]:
    """Read and check the orders files of ``scenarios`` and cache them for the workers.

    Each file is read once. Besides the file itself, each channel is checked against
    it: its name among the file's channels, its SKUs among the scenario's products,
    replayed orders inside the run, a week of days to resample. Raises one
    :class:`~sim.errors.ScenarioError` with every problem. Returns, for the run-size
    estimate, each file channel's ``(file, channel name)`` -> ``(orders, hours the
    file spans)``.
    """
    problems: list[Problem] = []
    sizes: dict[tuple[str, str | None], tuple[int, float]] = {}
    for scenario in scenarios:
        files = scenario.data_files()
        if not files:
            continue
        books: dict[str, OrderBook] = {}
        for path in files:
            try:
                books[path] = read_book(path)
            except ScenarioError as exc:
                problems.extend(exc.problems)
        if len(books) == len(files):
            problems.extend(_check(scenario, books, sizes))
    if problems:
        raise ScenarioError(dict.fromkeys(problems))
    return sizes


def _check(
    scenario: Scenario,
    books: dict[str, OrderBook],
    sizes: dict[tuple[str, str | None], tuple[int, float]],
) -> list[Problem]:
    """What does not fit between a scenario's channels and their orders files; ``sizes``
    gets each channel's orders and the hours its file spans (see :func:`prepare`)."""
    problems = []
    calendar = calendar_of(scenario, books)
    for i, stream in enumerate(scenario.demand):
        path = stream.data_file
        if path is None:
            continue
        whole = books[path]
        where = _locator(scenario, i)
        if stream.name is not None and whole.channels and stream.name not in whole.channels:
            problems.append(
                where(
                    ("name",),
                    f"no orders of channel {stream.name!r} in {shown(path)} "
                    f"(its channels: {', '.join(whole.channels)})",
                )
            )
            continue
        orders = whole.for_channel(stream.name)
        span = (whole.last_date() - whole.first_date()).days + 1 if len(whole) else 0
        sizes[(path, stream.name)] = (len(orders), 24.0 * span)
        if scenario.products:
            used = np.unique(orders.sku)
            for code in used.tolist():
                name = orders.skus[code]
                if name not in scenario.products:
                    problems.append(
                        Problem(
                            shown(path), orders.sku_rows[code], "sku",
                            f"no product {name!r} in scenario {scenario.name!r} "
                            f"(known: {', '.join(scenario.products)})",
                        )
                    )
        problems.extend(_check_span(stream, orders, calendar.start, scenario, where))
    return problems


def _check_span(
    stream: DemandStream, orders: OrderBook, start: _dt.date | None, scenario: Scenario,
    where: Where,
) -> list[Problem]:
    """A replay must have orders inside the run; a resample at least a week of days."""
    if stream.replay is not None:
        assert start is not None
        first = (start - EPOCH).days * SECONDS_PER_DAY
        last = first + scenario.run.horizon * 3600.0
        inside = int(((orders.time >= first) & (orders.time < last)).sum())
        if not inside:
            end = start + _dt.timedelta(hours=scenario.run.horizon)
            return [
                where(
                    ("replay",),
                    f"none of the {len(orders)} orders of {shown(stream.replay)} fall "
                    f"between the start ({start}) and the horizon ({end:%Y-%m-%d %H:%M}); "
                    f"they run from {orders.first_date()} to {orders.last_date()}",
                )
            ]
        return []
    span = (orders.last_date() - orders.first_date()).days + 1 if len(orders) else 0
    if span < 7:
        assert stream.data_file is not None
        return [
            where(
                ("resample", "file"),
                f"resample needs at least a week of orders to draw each weekday from "
                f"({shown(stream.data_file)} spans {span} day{'s' if span != 1 else ''})",
            )
        ]
    return []


def _locator(scenario: Scenario, index: int) -> Where:
    """A function ``(key path under the channel, message) -> Problem`` at the key's line."""
    single = isinstance(scenario.raw.get("demand"), dict)
    prefix: tuple[str | int, ...] = ("demand",) if single else ("demand", index)
    document = scenario.source

    def where(keys: tuple[str | int, ...], message: str) -> Problem:
        path = (*prefix, *keys)
        if document is not None:
            return document.problem(path, message)
        return Problem(None, None, ".".join(str(p) for p in path), message)

    return where


def simulate(
    scenario: Scenario, replication: int, *, series: bool = True, cache: str | None = None,
    series_points: int = build.SERIES_POINTS,
) -> ReplicationOutput:
    """One replication of ``scenario``, with the books of its orders files (the task function).

    ``cache`` is the folder :func:`prepare` wrote to, as the parent saw it: a worker
    process may have been started with another environment (a fork server keeps the
    environment of the first run), so the parent passes it along
    (``functools.partial(simulate, cache=cache_dir())``). The same as
    :func:`sim.model.build.simulate` for a scenario without orders files;
    ``series_points`` as there.
    """
    files = scenario.data_files()
    orders = {path: book(path, cache) for path in files} if files else None
    if orders is None:  # looked up at call time, so it is the model's simulate, always
        return build.simulate(scenario, replication, series=series, series_points=series_points)
    return build.simulate(
        scenario, replication, series=series, orders=orders, series_points=series_points
    )


def forget() -> None:
    """Drop the books this process keeps (tests; the cache files stay)."""
    _BOOKS.clear()
    _VERIFIED.clear()

