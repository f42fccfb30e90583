"""Every broken scenario in tests/bad_scenarios/ is refused at the right line and key.

Each file starts with a header saying what the refusal must say::

    # expect: LINE KEY [FILE]     (- for no line / no key; FILE when the problem is in a parent)
    # message: a fragment of the message

Most files are ``parts/valid.yaml`` with one defect.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import load

HERE = Path(__file__).parent
REPO = HERE.parent
FOLDER = HERE / "bad_scenarios"
FILES = sorted(FOLDER.glob("*.yaml"))


def _header(path: Path) -> tuple[int | None, str, str, str]:
    """(line, key, file, message fragment) from a file's header comments."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    expect = next(line for line in lines if line.startswith("# expect: "))
    message = next(line for line in lines if line.startswith("# message: "))
    parts = expect.removeprefix("# expect: ").split()
    line = None if parts[0] == "-" else int(parts[0])
    key = "" if parts[1] == "-" else parts[1]
    file = str(path) if len(parts) < 3 else str(Path(path.parent, parts[2]))
    return line, key, file, message.removeprefix("# message: ")


def test_there_are_at_least_30_bad_scenarios() -> None:
    """The folder holds at least 30 broken scenarios, each with an expect header."""
    assert len(FILES) >= 30
    for path in FILES:
        _header(path)


def test_the_template_is_valid() -> None:
    """The valid scenario the broken files are built from loads."""
    assert load(FOLDER / "parts" / "valid.yaml").name == "ecommerce-baseline"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bad_scenario_is_refused_at_its_line_and_key(path: Path) -> None:
    """Loading the file raises a ScenarioError naming the file, the line and the key."""
    line, key, file, fragment = _header(path)
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    matching = [p for p in info.value.problems if (p.file, p.line, p.key) == (file, line, key)]
    assert matching, f"no problem at {file}:{line}: {key} in:\n{info.value}"
    assert any(fragment in p.message for p in matching), str(info.value)
    where = file if line is None else f"{file}:{line}"
    assert str(matching[0]).startswith(f"{where}: {key}: " if key else f"{where}: ")
    assert "Traceback" not in str(info.value)


def _cli() -> Any:
    return importlib.import_module("sim.cli.app")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cli_validate_exits_2(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``validate FILE``, as run by ``python run_sim.py``, exits 2 and names the file."""
    status = _cli().main(["validate", str(path)])
    out = capsys.readouterr()
    assert status == 2, out.out + out.err
    assert "Traceback" not in out.err
    assert path.name in out.out + out.err


def test_run_sim_validate_exits_2_for_all_files() -> None:
    """``python run_sim.py validate`` on every broken file exits 2 and names each one."""
    _cli()
    result = subprocess.run(
        [sys.executable, "run_sim.py", "validate", *map(str, FILES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for path in FILES:
        assert path.name in result.stdout + result.stderr
