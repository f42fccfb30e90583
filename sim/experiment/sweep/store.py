"""Where a sweep keeps each finished point, so that nothing is lost when it is stopped.

A sweep of a thousand points may run for hours; a laptop lid closes, a cluster job hits
its time limit, someone presses Ctrl-C. The store is a folder (``OUT/points/``) with one
small JSON file per finished point, written the moment the point finishes, atomically:
the file is written under a temporary name and renamed into place (``os.replace``), so
after a crash at any instant, even ``kill -9``, a point file is either complete or
absent, never half-written. Started again with the same arguments, the sweep reads the
folder, runs only the points it lacks (and those that failed), and computes its tables
from all of them, exactly as an uninterrupted run would (JSON keeps every float exactly).

The store also remembers *which* sweep it belongs to (``sweep.json``: a hash of the base
scenario, the points and the replications) and what computed it (the version of ``sim``
and a hash of the source of its model and scenario format, as installed). Results of two
different sweeps, or of two versions of the model, are never mixed: a sweep whose
identity differs is refused with :class:`SweepMismatchError`.

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sim
from sim._files import atomic_write
from sim.errors import SweepLockedError, SweepMismatchError

__all__ = ["STORE_FOLDER", "SweepStore", "model_source_sha256", "sweep_identity"]

#: The store's folder inside a sweep's output folder.
STORE_FOLDER = "points"
_IDENTITY_FILE = "sweep.json"
_LOCK_FILE = ".lock"
_FORMAT = 1
# The subpackages of sim whose code decides what a point measures: the engine, and the
# scenario format that turns a file into the engine's settings (defaults, units).
_MODEL_PACKAGES = ("model", "scenario")


def _canonical(data: Any) -> str:
    # Key order is kept (grid order numbers the points); floats are written exactly.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=True)


def sweep_identity(
    base: Mapping[str, Any],
    keys: Sequence[str],
    points: Sequence[Mapping[str, Any]],
    replications: int,
) -> dict[str, Any]:
    """What makes two sweeps the same: the base scenario, every point's values, the
    replications, and the model that simulates them (``sim.__version__`` and
    :func:`model_source_sha256`).

    ``base`` is the scenario data the points change (after ``extends`` and ``--set``,
    without ``variants`` and ``sweep``). ``run.replications`` is left out of its hash:
    the count that is actually run is recorded on its own.
    """
    base = dict(base)
    run = base.get("run")
    if isinstance(run, dict):
        base["run"] = {k: v for k, v in run.items() if k != "replications"}
    values = [[point[key] for key in keys] for point in points]
    return {
        "format": _FORMAT,
        "scenario_sha256": hashlib.sha256(_canonical(base).encode()).hexdigest(),
        "keys": list(keys),
        "points": len(points),
        "points_sha256": hashlib.sha256(_canonical(values).encode()).hexdigest(),
        "replications": int(replications),
        "sim_version": sim.__version__,
        "model_sha256": model_source_sha256(),
    }


@functools.cache
def model_source_sha256(root: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 of the model's source: every ``.py`` file of ``sim/model`` and ``sim/scenario``.

    ``root`` is the folder of the ``sim`` package (default: the one installed). Each file
    counts with its path, so a renamed or added file changes the hash as an edit does.
    """
    folder = Path(root) if root is not None else Path(sim.__file__).resolve().parent
    digest = hashlib.sha256()
    for package in _MODEL_PACKAGES:
        for path in sorted((folder / package).rglob("*.py")):
            data = path.read_bytes()
            name = path.relative_to(folder).as_posix()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


class SweepStore:
    """The finished points of one sweep, one JSON file each, under ``folder/points/``.

    Use as a context manager: entering locks the folder (a second sweep writing to the
    same folder at once is refused with :class:`SweepLockedError`; the lock dies with the
    process, so a killed sweep never leaves the folder locked), checks or records the
    sweep's identity, and removes temporary files a killed sweep left behind.
    """

    #: What the store belongs to and holds, for its messages, and its folder.
    what, items = "sweep", "points"
    subfolder = STORE_FOLDER

    def __init__(self, folder: str | os.PathLike[str], identity: Mapping[str, Any]) -> None:
        self.out = os.fspath(folder)
        self.folder = os.path.join(self.out, self.subfolder)
        self.identity = dict(identity)
        self._lock: Any = None

    # ----------------------------------------------------------------- opening
    def __enter__(self) -> SweepStore:
        os.makedirs(self.folder, exist_ok=True)
        self._acquire_lock()
        try:
            self._check_identity()
            for name in os.listdir(self.folder):
                if name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(self.folder, name))
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._release_lock()

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one sweep per folder is on the user
            return
        handle = open(os.path.join(self.folder, _LOCK_FILE), "a")  # noqa: SIM115 - held open
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SweepLockedError(
                f"{self.out}: another {self.what} is writing to this folder right now; "
                "wait for it to finish or choose another --out folder"
            ) from None
        except OSError:  # a file system without locks (some network mounts): go on without
            handle.close()
            return
        self._lock = handle

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def _check_identity(self) -> None:
        path = os.path.join(self.folder, _IDENTITY_FILE)
        if not os.path.exists(path):
            if any(_point_id(name) is not None for name in os.listdir(self.folder)):
                raise SweepMismatchError(
                    f"{self.folder}: holds point files but no {_IDENTITY_FILE}; "
                    f"cannot tell which {self.what} they belong to. Choose a new --out folder "
                    "(or delete this one to start again)"
                )
            atomic_write(path, json.dumps(self.identity, indent=2) + "\n")
            return
        try:
            with open(path, encoding="utf-8") as handle:
                recorded = json.load(handle)
        except (OSError, ValueError) as exc:
            raise SweepMismatchError(
                f"{path}: unreadable ({exc}); choose a new --out folder"
            ) from None
        if not isinstance(recorded, dict):
            raise SweepMismatchError(
                f"{path}: not a {self.what}'s identity; choose a new --out folder"
            )
        changed = _changed(recorded, self.identity)
        if not changed:
            return
        again = "choose a new --out folder (or delete this one to start again)"
        what = self.what
        if changed <= set(_MODEL_KEYS):  # the same sweep, run by another version of the model
            raise SweepMismatchError(
                f"{self.out} holds {self.items} simulated by another version of the model "
                f"({_model_difference(recorded, self.identity)}); {self.items} of two versions "
                f"are never mixed in one {what}: {again}"
            )
        raise SweepMismatchError(
            f"{self.out} holds results of a different {what} "
            f"({_difference(recorded, self.identity)}); "
            f"results of two {what}s are never mixed: {again}"
        )

    # ----------------------------------------------------------------- points
    def _path(self, point: int) -> str:
        return os.path.join(self.folder, f"point-{point:06d}.json")

    def write(self, point: int, record: Mapping[str, Any]) -> None:
        """Store one finished point (atomically); it replaces any earlier record of it."""
        atomic_write(self._path(point), _canonical({"point": point, **record}) + "\n")

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every stored point, ``(point, record)`` in point order (unreadable files skipped)."""
        ids = sorted(p for p in map(_point_id, os.listdir(self.folder)) if p is not None)
        for point in ids:
            if point >= self.identity["points"]:
                continue
            try:
                with open(self._path(point), encoding="utf-8") as handle:
                    record = json.load(handle)
            except (OSError, ValueError):
                # Only a crash of the whole machine can leave a point file empty (its
                # rename reached the disk, its data did not): run that point again.
                continue
            if isinstance(record, dict):
                yield point, record


def _point_id(name: str) -> int | None:
    if name.startswith("point-") and name.endswith(".json"):
        digits = name[len("point-") : -len(".json")]
        if digits.isdigit():
            return int(digits)
    return None


_MODEL_KEYS = ("sim_version", "model_sha256")


def _changed(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> set[str]:
    """The keys of two identities whose values differ."""
    return {key for key in [*recorded, *wanted] if recorded.get(key) != wanted.get(key)}


def _model_difference(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    """How the model changed: ``"sim 0.1.0 there, 0.2.0 now"``, or that its source did."""
    there, now = recorded.get("sim_version"), wanted.get("sim_version")
    if there is None:
        return f"no version of sim recorded there, {now} now"
    if there != now:
        return f"sim {there} there, {now} now"
    return f"sim {now} both times, but the source of sim/model or sim/scenario changed since"


def _difference(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    """What differs between two identities, in a planner's words."""
    what = {
        "format": "store format",
        "scenario_sha256": "the base scenario",
        "keys": "the swept keys",
        "points": "the number of points",
        "points_sha256": "the points' values",
        "replications": "the replications",
        "optimize_sha256": "the optimize block (decisions, objective, constraints, "
        "confidence, tolerance)",
        "sim_version": "the version of sim",
        "model_sha256": "the model's source",
    }
    differing = []
    for key, label in what.items():
        if recorded.get(key) != wanted.get(key):
            if key in ("replications", "sim_version"):
                label += f" ({recorded.get(key)} there, {wanted.get(key)} now)"
            differing.append(label)
    return "it differs in " + ", ".join(differing or ["its identity"])
