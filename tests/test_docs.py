"""docs/scenario-format.md and the code cannot drift apart: every key, every example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.scenario.distributions import COUNT_DISTS, DURATION_DISTS
from sim.scenario.loader import loads
from sim.scenario.models import POLICY_TYPES, Scenario
from sim.scenario.schema import INTERNAL_MODELS, scenario_models
from sim.scenario.yamlio import parse_document

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```yaml\n(.*?)^```", TEXT, flags=re.S | re.M)
COMPLETE = [b for b in BLOCKS if re.search(r"^name:", b, re.M) and re.search(r"^run:", b, re.M)]
SNIPPETS = [b for b in BLOCKS if b not in COMPLETE]
# Every name written in backticks, like `lead_time`.
MENTIONED = set(re.findall(r"`([^`\s]+)`", TEXT))

FIELDS = sorted(
    {
        (model.__name__, field.alias or name)
        for model in scenario_models()
        if model not in INTERNAL_MODELS
        for name, field in model.model_fields.items()
    }
)


def first_line(block):
    return block.strip().splitlines()[0]


@pytest.mark.parametrize("model, key", FIELDS, ids=[f"{m}.{k}" for m, k in FIELDS])
def test_every_key_of_the_format_is_documented(model, key):
    """Each field of each model reachable from Scenario appears in the doc as `key`."""
    assert key in MENTIONED, f"{model}.{key} is not described in {DOC.name}"


def test_the_top_level_extends_key_is_documented():
    """extends is read by the loader (not a model field) and is documented too."""
    assert "extends" in MENTIONED


@pytest.mark.parametrize("name", sorted(set(DURATION_DISTS) | set(COUNT_DISTS)))
def test_every_distribution_is_documented(name):
    """Every dist name, for durations and for counts, appears in the doc."""
    assert name in MENTIONED


@pytest.mark.parametrize("name", POLICY_TYPES)
def test_every_policy_type_is_documented(name):
    """Every replenishment policy type appears in the doc."""
    assert name in MENTIONED


def test_the_doc_has_complete_examples_and_snippets():
    """The doc holds complete scenarios and section snippets (the tests below see them)."""
    assert len(COMPLETE) >= 2
    assert len(SNIPPETS) >= 10


@pytest.mark.parametrize("block", COMPLETE, ids=first_line)
def test_complete_examples_are_valid_scenarios(block):
    """Every YAML block with name and run validates with Scenario.model_validate."""
    data = parse_document(block, DOC.name).data
    scenario = Scenario.model_validate(data)
    assert scenario.name == data["name"]


@pytest.mark.parametrize("block", COMPLETE, ids=first_line)
def test_complete_examples_load_with_their_variants(block):
    """The loader accepts every complete example, variants and sweep grid included."""
    scenario = loads(block, file=DOC.name)
    assert [s.name for s in scenario.variant_scenarios()][1:] == list(scenario.variants)


@pytest.mark.parametrize("block", SNIPPETS, ids=first_line)
def test_snippets_are_valid_yaml_mappings(block):
    """Every other YAML block parses (as YAML 1.2) into a mapping of scenario keys."""
    data = parse_document(block, DOC.name).data
    assert isinstance(data, dict)


def test_glossary_defines_the_operations_terms():
    """The glossary at the end defines the terms a planner meets in results."""
    glossary = TEXT[TEXT.index("## Glossary") :]
    for term in (
        "Inventory position",
        "Backorder",
        "Lost sale",
        "Fill rate",
        "Service level",
        "Base stock",
        "Reorder point",
        "Safety stock",
        "Utilization",
        "Warm-up",
        "Replication",
        "Common random numbers",
    ):
        assert f"**{term}" in glossary, term
