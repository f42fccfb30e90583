"""What was run: the record kept beside every result as ``run.json``.

A results folder opened months later must say what it holds: which tool and version
made it, on which Python and machine, from which scenario files (with a SHA-256 of
each, so an edited file is noticed), with which ``--set`` overrides, seed, horizon,
warm-up and replications, on how many workers, when, and what the tool warned about.
The run fills a :class:`RunRecord` as it goes; the output layer writes it as
``run.json`` with the other files (:func:`sim.output.report.write_results`).

Only the standard library is used.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.models import Scenario

__all__ = ["RunRecord", "ScenarioRecord", "now", "scenario_files"]


def now() -> str:
    """The time now, in UTC, as ISO 8601 to the second (``2026-12-01T09:30:00Z``)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scenario_files(scenario: Scenario) -> list[dict[str, str | None]]:
    """Every file the scenario was read from (itself, then what it ``extends``, then the
    orders files of its ``replay`` and ``resample`` channels), with its SHA-256.

    A scenario made in code lists its orders files only. A file that can no longer be
    read is listed with ``sha256: null``.
    """
    document = scenario.source
    yaml_files = [] if document is None else (
        [document.file]
        + [where[0] for where in document.lines.values() if where[0] not in (None, "--set")]
    )
    files = dict.fromkeys(yaml_files + scenario.data_files())
    listed = []
    for name in files:
        digest: str | None
        try:
            sha = hashlib.sha256()
            with open(name, "rb") as handle:  # in blocks: an orders file may be large
                for block in iter(lambda: handle.read(1 << 20), b""):
                    sha.update(block)
            digest = sha.hexdigest()
        except OSError:
            digest = None
        listed.append({"file": name, "sha256": digest})
    return listed


@dataclass
class ScenarioRecord:
    """One scenario of a run: where it came from and how it was run.

    ``warmup`` says how the warm-up was set: ``{"given_h": 168.0}``, or for ``warmup: auto``
    the value chosen with its evidence (:meth:`sim.experiment.warmup.WarmupChoice.evidence`).
    ``replications`` is the count run; ``precision`` (for ``replications: auto``) the
    target, the half-width reached by every headline measure, the batches run and
    whether ``max_replications`` stopped it
    (:meth:`sim.experiment.precision.PrecisionReport.evidence`).
    """

    name: str
    files: list[dict[str, str | None]]
    seed: int
    horizon_h: float
    warmup_h: float | None  # None: auto, not yet chosen
    replications: int | None  # None: auto, not yet decided
    warmup: dict[str, Any] = field(default_factory=dict)
    precision: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, scenario: Scenario, files: list[dict[str, str | None]] | None = None
    ) -> ScenarioRecord:
        """The record of ``scenario`` as it will run (files: those of the file it came from)."""
        run = scenario.run
        warmup = None if isinstance(run.warmup, str) else float(run.warmup)
        return cls(
            name=scenario.name,
            files=scenario_files(scenario) if files is None else files,
            seed=run.seed,
            horizon_h=float(run.horizon),
            warmup_h=warmup,
            replications=None if isinstance(run.replications, str) else run.replications,
            warmup={"auto": True} if warmup is None else {"given_h": warmup},
        )


@dataclass
class RunRecord:
    """Everything ``run.json`` says about one run, sweep or optimization.

    ``command`` is ``"run"``, ``"sweep"`` or ``"optimize"``; ``argv`` the command line
    when the run came from it; ``overrides`` every ``--set``; ``warnings`` every warning
    the tool gave, in the order given.
    """

    command: str
    scenarios: list[ScenarioRecord] = field(default_factory=list)
    argv: list[str] | None = None
    overrides: list[str] = field(default_factory=list)
    workers: int | None = None
    scheduler: str | None = None
    started: str = field(default_factory=now)
    finished: str | None = None
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def finish(self) -> None:
        """Note the end time."""
        self.finished = now()

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data, with the tool, Python and platform that made it."""
        from sim import __version__

        data = asdict(self)
        return {
            "tool": {"name": "opsim", "version": __version__},
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            **data,
        }

    def to_json(self) -> str:
        """``run.json``'s text: indented, keys in a fixed order, non-ASCII kept as is."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
