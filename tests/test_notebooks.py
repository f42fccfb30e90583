"""The tutorial notebooks run top to bottom, draw their figures, and are committed clean.

Each notebook in ``notebooks/`` is executed in a fresh ``python3`` kernel with
``notebooks/`` as the working directory, exactly as a student would run it. A notebook
must finish without an error, show at least one figure (a PNG output) and write nothing
into the repository except under ``results/``. The committed files must carry no
outputs, so that a diff shows only what was written by hand.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 180  # seconds per cell


def _notebook_id(path: Path) -> str:
    return path.stem


def _snapshot() -> set[str]:
    """Entries at the top of the repository and everything under notebooks/."""
    top = {p.name for p in ROOT.iterdir()}
    inside = {str(p.relative_to(ROOT)) for p in NOTEBOOK_DIR.rglob("*")}
    return top | inside


def test_there_are_notebooks() -> None:
    """The tutorial exists: notebooks/ holds the numbered notebooks."""
    assert len(NOTEBOOKS) >= 4, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_id)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    """A committed notebook has no outputs and no execution counts."""
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_id)
def test_notebook_runs_and_draws(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebook runs top to bottom in a fresh kernel, shows a figure, writes nothing stray."""
    from nbclient import NotebookClient

    # Jupyter's and matplotlib's own caches go to the temporary folder, not the home directory.
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")

    notebook = nbformat.read(path, as_version=4)
    before = _snapshot()
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # the working directory
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{path.name} ran but showed no figure"
    stray = {
        entry
        for entry in _snapshot() - before
        if entry != "results" and not entry.startswith("notebooks/.ipynb_checkpoints")
    }
    assert not stray, f"{path.name} wrote outside results/: {sorted(stray)}"
