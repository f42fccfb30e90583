"""Errors a planner can act on: the file, the line, the dotted key and what was expected.

A scenario is refused before anything runs. Everything wrong with it is collected
into one :class:`ScenarioError` holding one :class:`Problem` per mistake, so that a
planner fixes the whole file in one pass instead of one error per run::

    shop.yaml:12: demand.arrivals.rate: expected a rate like "400/day" (got 400)

Only the standard library is used: configuration must stay light to import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Problem",
    "ScenarioError",
    "SimulationError",
    "SweepLockedError",
    "SweepMismatchError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as it can be.

    ``file`` is the file as the user named it (``None`` when unknown), ``line`` is
    1-based (``None`` when the problem is about the whole file), ``key`` the dotted
    key (``""`` for the file itself).

    >>> str(Problem("shop.yaml", 12, "demand.arrivals.rate", "expected a rate (got 400)"))
    'shop.yaml:12: demand.arrivals.rate: expected a rate (got 400)'
    >>> str(Problem("shop.yaml", None, "", "file not found"))
    'shop.yaml: file not found'
    """

    file: str | None
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        parts = [part for part in (where, self.key) if part]
        parts.append(self.message)
        return ": ".join(parts)

    def sort_key(self) -> tuple[str, int, str, str]:
        """Order problems by file, then line, then key (problems without a line first)."""
        return (self.file or "", self.line or 0, self.key, self.message)


class ScenarioError(ValueError):
    """A scenario that cannot be used, with every problem found in it.

    ``str(error)`` is one line per problem, so a command-line tool can print it as is
    and a notebook shows it without a traceback worth reading.
    """

    def __init__(self, problems: Iterable[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        unique = dict.fromkeys(problems)  # drop exact repeats, keep the order
        self.problems: list[Problem] = list(unique)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def one(
        cls, message: str, *, file: str | None = None, line: int | None = None, key: str = ""
    ) -> ScenarioError:
        """A ScenarioError holding a single problem."""
        return cls([Problem(file, line, key, message)])

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        # Rebuild from the problems, not from the message, when crossing processes.
        return (type(self), (self.problems,))


class SimulationError(RuntimeError):
    """A replication failed while it ran (a bug, not a bad scenario): says which one."""


class SweepMismatchError(ValueError):
    """The output folder holds points of a different sweep: refused, never mixed."""


class SweepLockedError(RuntimeError):
    """Another sweep is writing to the same output folder right now."""
