"""Dotted paths into a scenario's raw data: ``staff.pickers.shifts.0.headcount``.

Variants, sweeps and ``--set`` overrides all name the value they change by its dotted
path, exactly as the planner sees it in the file: mapping keys by name, list items by
their index from 0. The functions here work on the plain data read from YAML (dicts,
lists, scalars), never on the validated scenario, and never change their input.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

__all__ = ["PathError", "deep_merge", "get_path", "set_path", "set_paths", "split_path"]

Path = tuple[str | int, ...]


class PathError(ValueError):
    """A dotted path that does not lead to a place in the scenario."""


def split_path(path: str | Path) -> Path:
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


def _show(path: Path) -> str:
    return ".".join(str(part) for part in path)


def _under(path: Path) -> str:
    return f'under "{_show(path)}"' if path else "at the top level"


def _no_key(key: object, container: Mapping[str, Any], where: Path) -> PathError:
    names = [name for name in container if isinstance(name, str)]
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return PathError(f'no key "{key}" {_under(where)}{hint}')


def _step(container: Any, key: str | int, where: Path, *, last: bool) -> Any:
    """Check that ``key`` can be used in ``container`` (found at ``where``)."""
    if isinstance(container, dict):
        name = str(key)
        if name not in container and not last:
            raise _no_key(name, container, where)
        return name
    if isinstance(container, list):
        if not isinstance(key, int):
            raise PathError(
                f'"{_show(where)}" is a list: name an item by its index from 0, '
                f'like "{_show((*where, 0))}" (got "{key}")'
            )
        if key >= len(container):
            count = "1 item" if len(container) == 1 else f"{len(container)} items"
            raise PathError(f'index {key} is out of range: "{_show(where)}" has {count}')
        return key
    what = "nothing" if container is None else f"the value {container!r}"
    raise PathError(f'"{_show(where)}" is {what}, not a mapping or a list, so it has no "{key}"')


def get_path(data: Any, path: str | Path) -> Any:
    """The value at ``path`` in ``data``; :class:`PathError` if there is none."""
    keys = split_path(path)
    node = data
    for depth, key in enumerate(keys):
        where = keys[:depth]
        step = _step(node, key, where, last=False)
        node = node[step]
    return node


def set_path(data: Any, path: str | Path, value: Any) -> Any:
    """Return a deep copy of ``data`` with the value at ``path`` replaced by ``value``.

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
    return set_paths(data, {path: value})


def set_paths(data: Any, changes: Mapping[str, Any] | Mapping[Path, Any]) -> Any:
    """Like :func:`set_path` for several changes, applied in order to one deep copy."""
    result = copy.deepcopy(data)
    for path, value in changes.items():
        keys = split_path(path)
        if not keys:
            raise PathError('the path is empty; write a dotted key like "demand.arrivals.rate"')
        node = result
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            step = _step(node, key, keys[:depth], last=last)
            if last:
                node[step] = copy.deepcopy(value)
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
        merged = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)
