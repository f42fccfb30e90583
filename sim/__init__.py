"""Discrete-event simulation of business operations, from YAML scenarios.

    import sim
    scenario = sim.load("scenarios/ecommerce.yaml")
    results = sim.run(scenario)
    results.summary()

The package is layered; imports point down this list, never up (import-linter checks it,
see ``pyproject.toml``):

    sim.cli          the command line
    sim.output       tables, figures and files: the only code that prints or writes
    sim.experiment   replications, statistics, sweeps, on local cores or Dask
    sim.data         files of past orders: read and checked once, cached for the workers
    sim.model        the SimPy engine: one replication in, plain rows out
    sim.scenario     the scenario format: YAML, units, validated inert models
    sim.errors, sim.theory, sim._files, sim._lazy   small leaves used by all

The names below are loaded on first use, so ``import sim`` stays light: a worker
process that only simulates never pays for pandas, scipy or matplotlib.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING

from sim._lazy import lazy_exports

if TYPE_CHECKING:
    from sim.errors import ScenarioError, SimulationError
    from sim.experiment.fit import fit
    from sim.experiment.optimize.results import Decision
    from sim.experiment.optimize.runner import optimize
    from sim.experiment.results import Results
    from sim.experiment.runner import run
    from sim.experiment.sweep.runner import SweepResults, sweep
    from sim.scenario.checks import check
    from sim.scenario.loader import load, loads
    from sim.scenario.models import Scenario

try:
    __version__: str = _version("opsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Decision",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimulationError",
    "SweepResults",
    "__version__",
    "check",
    "fit",
    "load",
    "loads",
    "optimize",
    "run",
    "sweep",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "Decision": "sim.experiment.optimize.results",
        "Results": "sim.experiment.results",
        "Scenario": "sim.scenario.models",
        "ScenarioError": "sim.errors",
        "SimulationError": "sim.errors",
        "SweepResults": "sim.experiment.sweep.runner",
        "check": "sim.scenario.checks",
        "fit": "sim.experiment.fit",
        "load": "sim.scenario.loader",
        "loads": "sim.scenario.loader",
        "optimize": "sim.experiment.optimize.runner",
        "run": "sim.experiment.runner",
        "sweep": "sim.experiment.sweep.runner",
    },
)
