"""Dotted paths into a scenario's raw data: ``staff.pickers.shifts.0.headcount``.

Variants, sweeps and ``--set`` overrides all name the value they change by its dotted
path, exactly as the planner sees it in the file: mapping keys by name, list items by
their index from 0. The functions here work on the plain data read from YAML (dicts,
lists, scalars), never on the validated scenario, and never change their input.

A :class:`Document` is such data together with the file and line of every path, so
that a problem found later can point at ``shop.yaml:12``. Nothing here reads YAML
(:mod:`sim.scenario.yamlio` does): what needs only the data and its lines stays light.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sim.errors import Problem

__all__ = [
    "Document",
    "KeyPath",
    "PathError",
    "deep_merge",
    "dotted",
    "iter_paths",
    "plain_copy",
    "set_path",
    "set_paths",
    "split_path",
]

#: A path to a value: string keys of mappings and integer indices of lists.
KeyPath = tuple[str | int, ...]

#: Where a value was written: ``(file, line)``, 1-based; ``("--set", None)`` for an
#: override and ``(None, None)`` for a change made in code have no line.
Where = tuple[str | None, int | None]


def dotted(path: KeyPath) -> str:
    """``("staff", "pickers", "shifts", 0)`` -> ``"staff.pickers.shifts.0"``."""
    return ".".join(str(part) for part in path)


@dataclass
class Document:
    """A scenario's plain data, with the line of every key.

    ``lines`` maps every key path (``()`` is the whole document) to ``(file, line)``,
    1-based; for a mapping entry it is the line of the key. After ``extends`` the file
    may differ from path to path: it is the file that supplied the value. A value
    that did not come from a file (a ``--set`` override, a change applied in code) is
    recorded as ``("--set", None)`` or ``(None, None)``: it has no line.
    """

    data: Any
    file: str
    lines: dict[KeyPath, Where] = field(default_factory=dict)

    def where(self, path: KeyPath) -> Where:
        """The file and line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return (self.file, None)
            path = path[:-1]

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A :class:`Problem` located at ``path`` (or its nearest ancestor)."""
        file, line = self.where(path)
        return Problem(file, line, dotted(path), message)


def iter_paths(data: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path in ``data``, parents before children (``()`` first)."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_paths(value, (*path, index))


def plain_copy(value: Any) -> Any:
    """A deep copy of ``value`` in which every mapping is a ``dict`` and every list a ``list``.

    Values taken from a validated scenario (whose dicts and lists are read-only) become
    plain data again, which :func:`set_path` can change; other values are deep-copied.
    """
    if isinstance(value, dict):
        return {key: plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_copy(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value  # immutable, and by far the most common
    return copy.deepcopy(value)


class PathError(ValueError):
    """A dotted path that does not lead to a place in the scenario."""


def split_path(path: str | KeyPath) -> KeyPath:
    """Split a dotted path into keys (str) and list indices (int).

    >>> split_path("staff.pickers.shifts.0.headcount")
    ('staff', 'pickers', 'shifts', 0, 'headcount')

    A segment of digits only is a list index. A tuple is returned as it is.
    """
    if isinstance(path, tuple):
        return path
    if not isinstance(path, str):
        raise PathError(
            f'a path must be a dotted string like "staff.pickers.headcount" (got {path!r})'
        )
    text = path.strip()
    if not text:
        raise PathError('the path is empty; write a dotted key like "demand.arrivals.rate"')
    parts: list[str | int] = []
    for segment in text.split("."):
        segment = segment.strip()
        if not segment:
            raise PathError(f'"{path}" has an empty part (two dots in a row, or a dot at an end)')
        parts.append(int(segment) if segment.isascii() and segment.isdigit() else segment)
    return tuple(parts)


def _under(path: KeyPath) -> str:
    return f'under "{dotted(path)}"' if path else "at the top level"


def _no_key(key: object, container: Mapping[str, Any], where: KeyPath) -> PathError:
    names = [name for name in container if isinstance(name, str)]
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return PathError(f'no key "{key}" {_under(where)}{hint}')


def _step(container: Any, key: str | int, where: KeyPath, *, last: bool) -> Any:
    """Check that ``key`` can be used in ``container`` (found at ``where``)."""
    if isinstance(container, dict):
        name = str(key)
        if name not in container and not last:
            raise _no_key(name, container, where)
        return name
    if isinstance(container, list):
        if not isinstance(key, int):
            raise PathError(
                f'"{dotted(where)}" is a list: name an item by its index from 0, '
                f'like "{dotted((*where, 0))}" (got "{key}")'
            )
        if key >= len(container):
            count = "1 item" if len(container) == 1 else f"{len(container)} items"
            raise PathError(f'index {key} is out of range: "{dotted(where)}" has {count}')
        return key
    what = "nothing" if container is None else f"the value {container!r}"
    raise PathError(f'"{dotted(where)}" is {what}, not a mapping or a list, so it has no "{key}"')


def set_path(data: Any, path: str | KeyPath, value: Any) -> Any:
    """Return a plain copy of ``data`` with the value at ``path`` replaced by ``value``.

    The rules, so that a typo is caught here rather than silently adding a value
    nobody reads:

    * every mapping and list on the way must already exist (``staff.packers.headcount``
      is an error when there is no ``packers`` pool; set ``staff.packers`` to a whole
      mapping instead);
    * a list index must be in range (items can be replaced, not appended);
    * the last key of a mapping may be new (``products.widget.shelf_life`` may be added);
      an unknown name there is caught by validation later, with a "did you mean".

    ``data`` itself is never changed. Raises :class:`PathError` with a message such as
    ``no key "pickrs" under "staff" (did you mean "pickers"?)``.
    """
    return set_paths(data, {split_path(path): value})


def set_paths(data: Any, changes: Mapping[str, Any] | Mapping[KeyPath, Any]) -> Any:
    """Like :func:`set_path` for several changes, applied in order to one plain copy."""
    result = plain_copy(data)
    for path, value in changes.items():
        keys = split_path(path)
        if not keys:
            raise PathError('the path is empty; write a dotted key like "demand.arrivals.rate"')
        node = result
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            step = _step(node, key, keys[:depth], last=last)
            if last:
                node[step] = plain_copy(value)
            else:
                node = node[step]
    return result


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` onto ``base`` and return the result (both are left unchanged).

    Mappings merge key by key, recursively, and ``override`` wins; lists and scalars
    are replaced whole (a list of process steps is never spliced item by item).

    >>> deep_merge({"run": {"horizon": "7d", "seed": 1}}, {"run": {"seed": 2}})
    {'run': {'horizon': '7d', 'seed': 2}}
    """
    if isinstance(base, dict) and isinstance(override, dict):
        merged = {key: plain_copy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else plain_copy(value)
        return merged
    return plain_copy(override)
