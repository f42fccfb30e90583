"""docs/outputs.md and README.md stay true to the code they describe."""

import argparse
import re
from pathlib import Path

import pytest

from sim.cli.app import _parser
from sim.model import catalog

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("metric", catalog.METRICS, ids=lambda m: m.name)
def test_every_metric_is_documented_with_its_meaning(metric):
    """Each metric the model reports has a row in docs/outputs.md with the catalog's meaning."""
    row = next(
        (line for line in OUTPUTS.splitlines() if line.startswith(f"| `{metric.name}` |")), None
    )
    assert row is not None, f"{metric.name} has no row in docs/outputs.md"
    assert metric.meaning in row


def test_outputs_doc_lists_no_metric_the_model_does_not_report():
    """Every metric or series row in docs/outputs.md names one the catalog has."""
    documented = re.findall(r"^\| `([a-z0-9_]+)` \| (?:all|sku|step|pool)", OUTPUTS, re.MULTILINE)
    known = {m.name for m in catalog.METRICS} | {s.name for s in catalog.SERIES}
    assert documented and set(documented) <= known


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    flags = {opt for action in parser._actions for opt in action.option_strings}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _flags(sub)
    return flags - {"-h", "--help"}


def test_every_command_line_flag_is_documented():
    """Each flag of run_sim.py (every verb) appears in docs/outputs.md."""
    missing = sorted(flag for flag in _flags(_parser()) if flag not in OUTPUTS)
    assert not missing, f"flags missing from docs/outputs.md: {missing}"


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_quick_start_has_exactly_two_commands():
    """The Quick start holds two commands: run the demo, run the tests."""
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert "run_sim.py scenarios/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_second_quick_start_command():
    """.ci/run executes exactly the README's test command, so CI tests what a newcomer runs."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start_commands()[1] in ci.splitlines()


def test_quick_start_demo_scenario_exists():
    """The demo the first command runs is a scenario file in the repository."""
    path = re.search(r"run_sim\.py (\S+\.yaml)", _quick_start_commands()[0]).group(1)
    assert (ROOT / path).is_file()


@pytest.mark.parametrize(
    "doc", ["README.md", "docs/outputs.md", "scenarios/README.md", "notebooks/README.md"]
)
def test_relative_links_point_to_files_that_exist(doc):
    """Every relative link or image in the docs points to a file or folder in the repository."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    base = (ROOT / doc).parent
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
    missing = [t for t in targets if not (base / t).exists()]
    assert not missing, f"{doc} links to missing files: {missing}"
