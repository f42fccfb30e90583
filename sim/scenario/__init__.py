"""The scenario format: YAML in, a validated and inert :class:`Scenario` out.

This layer knows units, distributions, the scenario's pydantic models, YAML with line
numbers and the error messages a planner reads. It never imports the simulation engine
(SimPy), pandas or matplotlib.

    units, fields, distributions   the value types a scenario is written in
    models                         Scenario and its sections (pydantic, inert)
    yamlio, paths, loader          reading files, dotted paths, extends, variants, --set
    schema                         the JSON Schema for editors
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.scenario.loader import load, loads
    from sim.scenario.models import Scenario

__all__ = ["Scenario", "load", "loads"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "Scenario": "sim.scenario.models",
        "load": "sim.scenario.loader",
        "loads": "sim.scenario.loader",
    },
)
