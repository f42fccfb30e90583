"""The scenario format: YAML in, a validated and inert :class:`Scenario` out.

This layer knows units, distributions, the scenario's pydantic models, YAML with line
numbers and the error messages a planner reads. It never imports the simulation engine
(SimPy), pandas or matplotlib.

    units, fields, distributions   the value types a scenario is written in
    models                         Scenario and its sections (pydantic, inert)
    paths                          dotted paths into plain data; the line of every key
    validation                     checks against a model, errors at their file:line,
                                   variants and changes validated again (no YAML)
    yamlio, loader                 reading files: YAML 1.2, extends, --set
    schema                         the JSON Schema for editors
    roster                         a staff pool's week: on duty when, who changes over
    checks                         plans that load but make no sense (overload, ...),
                                   found before anything runs

Imports point down: loader -> models -> validation -> paths, so the engine, which reads
models, never loads PyYAML.
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
