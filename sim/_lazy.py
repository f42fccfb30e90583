"""Lazy re-exports for package front doors, so that importing a package stays light.

A package's ``__init__`` lists where each public name lives; the module is imported the
first time the name is used (PEP 562). ``import sim`` therefore costs milliseconds, and
a worker process that only simulates never imports pandas, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names live in ``exports``.

    ``exports`` maps each public name to the module that defines it. A name is looked up
    once: its value is then stored in the package's ``namespace``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
