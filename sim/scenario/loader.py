"""The front door for scenario files: read, extend, override, validate, report.

``load("shop.yaml")`` runs the whole pipeline:

1. :func:`load_raw` reads the file as YAML 1.2 (:mod:`sim.scenario.yamlio`) and resolves
   ``extends`` (a parent file, deep-merged under this one), keeping for every key the
   file and line that supplied it;
2. ``--set dotted.key=value`` overrides are applied to the raw data;
3. the data is validated by :class:`sim.scenario.models.Scenario`, and every variant (the base
   with its dotted changes) is validated too (:mod:`sim.scenario.validation`);
4. every problem found, in the overrides, the base and every variant, is reported at once
   as one :class:`~sim.errors.ScenarioError`, one line per problem::

       shop.yaml:12: demand.arrivals.rate: expected a rate like "400/day" (got 400)

A file that cannot be read at all (not found, not YAML, an ``extends`` that goes round
in a cycle) is refused before validation, with every problem of that file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sim.errors import Problem, ScenarioError
from sim.scenario.models import Scenario
from sim.scenario.paths import (
    Document,
    KeyPath,
    Where,
    deep_merge,
    iter_paths,
    set_path,
    split_path,
)
from sim.scenario.units import describe
from sim.scenario.validation import validate
from sim.scenario.yamlio import parse_document, parse_value, read_document

__all__ = ["apply_overrides", "load", "load_raw", "loads", "loads_raw", "override_path"]


# --------------------------------------------------------------------------- extends
def load_raw(path: str | os.PathLike[str]) -> Document:
    """Read a scenario file and resolve its ``extends`` chain into one :class:`Document`.

    ``extends: base.yaml`` names a parent file relative to the extending file; the
    parent (itself possibly extending another) is deep-merged under this file, which
    wins (:func:`sim.scenario.paths.deep_merge`). ``lines`` keeps, for every key path, the file
    and line that supplied the winning value; ``extends`` is removed from the data.
    """
    file = os.fspath(path)
    return _resolve_extends(read_document(file), [(file, os.path.realpath(file))])


def loads_raw(text: str, file: str = "<string>") -> Document:
    """Like :func:`load_raw` for text; ``extends`` is relative to the working directory."""
    return _resolve_extends(parse_document(text, file), [(file, None)])


def _resolve_extends(doc: Document, chain: list[tuple[str, str | None]]) -> Document:
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    parent_name = doc.data["extends"]
    line = doc.lines.get(("extends",), (doc.file, 1))[1]

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(doc.file, line, "extends", message)])

    if not isinstance(parent_name, str) or not parent_name.strip():
        shown = describe(parent_name)
        raise fail(f'expected the path of a scenario file, like "base.yaml" (got {shown})')
    here = os.path.dirname(doc.file) if chain[-1][1] is not None else ""
    parent_file = os.path.normpath(os.path.join(here, parent_name.strip()))
    real = os.path.realpath(parent_file)
    if real in [seen for _, seen in chain]:
        names = [name for name, _ in chain] + [parent_file]
        raise fail(f"extends goes round in a cycle: {' -> '.join(names)}")
    if not os.path.exists(parent_file):
        raise fail(f'file not found: "{parent_file}"')
    parent = _resolve_extends(read_document(parent_file), [*chain, (parent_file, real)])
    child_data = {key: value for key, value in doc.data.items() if key != "extends"}
    child_lines = {path: where for path, where in doc.lines.items() if path[:1] != ("extends",)}
    return _merge_documents(parent, Document(child_data, doc.file, child_lines))


def _merge_documents(base: Document, override: Document) -> Document:
    """``override`` deep-merged onto ``base``, each path keeping the line that won."""
    data = deep_merge(base.data, override.data)
    lines: dict[KeyPath, Where] = {}
    for path in iter_paths(data):
        where = override.lines.get(path) or base.lines.get(path)
        if where is not None:
            lines[path] = where
    lines[()] = override.lines.get((), (override.file, 1))
    return Document(data=data, file=override.file, lines=lines)


# --------------------------------------------------------------------------- overrides
def apply_overrides(doc: Document, overrides: Sequence[str]) -> tuple[Document, list[Problem]]:
    """Apply ``--set dotted.key=value`` overrides; return the new document and problems.

    Each value is read with :func:`sim.scenario.yamlio.parse_value` (``30d`` stays a string,
    ``4`` is a number, ``[1, 2]`` a list); a key below ``variants.NAME`` or ``sweep.grid``
    reaches one change of that variant or one list of the grid (:func:`override_path`).
    A malformed override or a path that does not exist is a problem in the file
    ``--set``; the other overrides are still applied.
    Values set here are located at ``--set`` (no line) in later error messages.
    """
    data, lines = doc.data, dict(doc.lines)
    problems: list[Problem] = []
    for override in overrides:
        text = str(override)
        key, sep, value_text = text.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(
                Problem(
                    "--set",
                    None,
                    key if sep else "",
                    f'expected key=value, like "demand.arrivals.rate=600/day" (got "{text}")',
                )
            )
            continue
        try:
            path = override_path(key)
            value = parse_value(value_text)
            data = set_path(data, path, value)
        except ValueError as exc:  # PathError or an unreadable value
            problems.append(Problem("--set", None, key, str(exc)))
            continue
        lines = {p: w for p, w in lines.items() if p[: len(path)] != path}
        lines[path] = ("--set", None)
    return Document(data=data, file=doc.file, lines=lines), problems


#: Mappings whose keys are themselves dotted paths: a variant's changes, a sweep's grid.
_PATH_KEYED = (("variants",), ("sweep", "grid"))


def override_path(key: str) -> KeyPath:
    """The path an override's key names; below a variant or a sweep grid, the rest is one key.

    ``variants.peak_season.demand.arrivals.rate`` is the change ``demand.arrivals.rate``
    of the variant ``peak_season`` (replaced, or added to the variant), and
    ``sweep.grid.staff.desk.headcount`` the grid's list for ``staff.desk.headcount``.

    >>> override_path("variants.peak.demand.arrivals.rate")
    ('variants', 'peak', 'demand.arrivals.rate')
    >>> override_path("staff.desk.shifts.0.headcount")
    ('staff', 'desk', 'shifts', 0, 'headcount')
    """
    parts = [part.strip() for part in key.split(".")]
    for prefix in _PATH_KEYED:
        # variants.NAME.rest: the variant's name is one more segment before the rest.
        head = len(prefix) + (1 if prefix == ("variants",) else 0)
        if tuple(parts[: len(prefix)]) == prefix and len(parts) > head and all(parts[:head]):
            rest = ".".join(parts[head:])
            split_path(rest)  # the same rules for the rest: no empty parts
            return (*parts[:head], rest)
    return split_path(key)


def load(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Read, extend, override and validate the scenario file at ``path``.

    ``overrides`` are ``"dotted.key=value"`` strings, as given to ``--set``. Raises
    :class:`ScenarioError` listing every problem in the file, its parents, the
    overrides and every variant.
    """
    doc, problems = apply_overrides(load_raw(path), overrides)
    return validate(doc, Scenario, problems=problems)


def loads(text: str, file: str = "<string>", overrides: Sequence[str] = ()) -> Scenario:
    """Like :func:`load`, for scenario text (a notebook cell, a test)."""
    doc, problems = apply_overrides(loads_raw(text, file), overrides)
    return validate(doc, Scenario, problems=problems)
