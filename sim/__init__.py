"""Discrete-event simulation of business operations, from YAML scenarios.

    import sim
    scenario = sim.load("scenarios/ecommerce.yaml")
    results = sim.run(scenario)
    results.summary()

The names below are loaded on first use, so ``import sim`` stays light: a worker
process that only simulates never pays for pandas, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.errors import ScenarioError
    from sim.experiment import run
    from sim.loader import load, loads
    from sim.results import Results
    from sim.scenario import Scenario
    from sim.sweep import sweep

__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "load",
    "loads",
    "run",
    "sweep",
]

# Where each public name lives (imported when first used).
_EXPORTS = {
    "Results": "sim.results",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.errors",
    "load": "sim.loader",
    "loads": "sim.loader",
    "run": "sim.experiment",
    "sweep": "sim.sweep",  # the module is callable too: sim.sweep(...) either way
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
