"""Imports point one way: configuration never imports SimPy; the model never draws or reads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


@pytest.mark.parametrize(
    "module", ["sim.scenario.models", "sim.scenario.units", "sim.scenario.distributions"]
)
def test_configuration_does_not_import_simpy(module):
    """Scenario objects are inert data: loading them never pulls in the simulation engine."""
    assert "simpy" not in _loaded_after(module)


def test_changing_a_scenario_does_not_import_yaml():
    """A scenario made in code is changed and its base rebuilt without loading PyYAML."""
    code = (
        "import sys; from sim.scenario.models import Scenario; "
        "s = Scenario.model_validate({'name': 'a', 'run': {'horizon': '7d'}, "
        "'demand': {'arrivals': {'rate': '9/h'}}, 'variants': {'v': {'run.seed': 2}}}); "
        "s.with_changes({'run.seed': 1}).variant('v'); print('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("heavy", ["pandas", "matplotlib", "yaml", "scipy"])
def test_model_stays_free_of_io_plotting_and_statistics(heavy):
    """A worker that only simulates never imports pandas, matplotlib, YAML or scipy."""
    assert heavy not in _loaded_after("sim.model.build")


def test_import_sim_does_not_import_matplotlib():
    """``import sim`` stays light: plotting libraries load only when a plot is drawn."""
    assert "matplotlib" not in _loaded_after("sim")


def test_import_contracts_hold():
    """lint-imports keeps every contract of pyproject.toml: layers, a light engine, no cycles."""
    from importlinter.cli import lint_imports

    root = Path(__file__).resolve().parents[1]
    previous = os.getcwd()
    os.chdir(root)  # the contracts are read from the repository's pyproject.toml
    try:
        assert lint_imports(no_cache=True) == 0, "lint-imports: a contract is broken (see above)"
    finally:
        os.chdir(previous)


def test_mypy_finds_no_errors_in_sim():
    """The type hints of sim/ (shipped with py.typed) are true: mypy, as configured, is clean."""
    from mypy import api

    root = Path(__file__).resolve().parents[1]
    previous = os.getcwd()
    os.chdir(root)  # mypy reads its configuration from the repository's pyproject.toml
    try:
        report, errors, status = api.run([])
    finally:
        os.chdir(previous)
    assert status == 0, report + errors
