"""Tests for the JSON Schema: it accepts what the loader accepts, and refuses mistakes."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import pytest

from sim.errors import ScenarioError
from sim.scenario import fields, units
from sim.scenario.loader import loads
from sim.scenario.models import Scenario
from sim.scenario.schema import DIALECT, INTERNAL_MODELS, scenario_models, scenario_schema
from sim.scenario.validation import validate
from sim.scenario.yamlio import Document, parse_document

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scenario-format.md"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def schema():
    return scenario_schema()


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft202012Validator(schema)


def read(text):
    """YAML as the loader reads it (YAML 1.2: an unquoted 16:00 stays "16:00")."""
    return parse_document(text).data


def errors(validator, data):
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def subschema(schema, name):
    """A validator for one definition of the schema, with the others in reach."""
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})


# --------------------------------------------------------------------------- test data
# The examples of the format's contract (shared/design/scenario-format.md), each built
# into a complete scenario. Times are left unquoted on purpose in places: the loader
# reads them as YAML 1.2, and so do these tests.
CONTRACT_FULL = """
name: ecommerce-baseline
description: Mid-size web shop
currency: EUR
run:
  horizon: 91d
  warmup: 7d
  replications: 10
  seed: 2026
  confidence: 0.95
demand:
  arrivals:
    rate: 400/day
    by_hour: [0,0,0,0,0,0,1,2,4,6,6,5,5,5,6,6,5,4,3,2,1,1,0,0]
    by_weekday: [1.1, 1, 1, 1, 1.2, 0.8, 0.6]
  lines: {dist: poisson, mean: 1.4, min: 1}
  sku_mix: {widget: 0.7, gadget: 0.3}
  quantity: {dist: geometric, mean: 1.8}
  when_out_of_stock: backorder
  patience: {dist: exponential, mean: 20min}
products:
  widget:
    price: 25.0
    unit_cost: 10.0
    holding_cost: 0.02/day
    initial_stock: 300
    shelf_life: 5d
    supplier: acme
    policy: {type: s_S, s: 100, S: 400}
  gadget:
    price: 40
    unit_cost: 18
    holding_cost: 25%/year
    initial_stock: 200
    supplier: acme
    policy: {type: r_Q, r: 100, Q: 300}
suppliers:
  acme:
    lead_time: {dist: lognormal, mean: 5d, cv: 0.3}
    order_cost: 75
    min_order: 50
staff:
  order_desk: {headcount: 3, wage: 22/h}
  pickers:
    wage: 18/h
    shifts:
      - {days: [mon, tue, wed, thu, fri], start: 08:00, end: 16:00, headcount: 6}
      - {days: [mon, tue, wed, thu, fri], start: "16:00", end: "24:00", headcount: 3}
      - {days: [sat], start: "09:00", end: "13:00", headcount: 2}
  back_office: {headcount: 2, wage: 20/h}
process:
  - step: order_entry
    staff: order_desk
    time: {dist: triangular, min: 2min, mode: 4min, max: 10min}
  - {step: allocate}
  - {step: pick_pack, staff: pickers, time: {dist: gamma, mean: 6min, cv: 0.5}, per_unit: 30s}
  - {step: invoicing, staff: back_office, time: 3min, queue_limit: 50}
service:
  promise: 48h
costs:
  backorder: 0.5/day
  lost_sale: 5
  waste: 0
  overtime_multiplier: 1.5
variants:
  two_more_pickers:
    staff.pickers.shifts.0.headcount: 8
  peak_season:
    demand.arrivals.rate: 600/day
sweep:
  grid:
    staff.order_desk.headcount: [2, 3, 4, 5]
    products.widget.policy.s: [50, 100, 150, 200]
  replications: 5
"""

BASE = """
name: small
run: {horizon: 28d}
demand:
  arrivals: {rate: 50/day}
products:
  widget: {price: 10, unit_cost: 4, initial_stock: 100, supplier: acme, policy: POLICY}
suppliers:
  acme: {lead_time: LEAD_TIME}
"""

POLICIES = {
    "s_S": "{type: s_S, s: 100, S: 400}",
    "r_Q": "{type: r_Q, r: 100, Q: 300}",
    "base_stock": "{type: base_stock, S: 250}",
    "periodic": "{type: periodic, review: 7d, S: 500}",
    "periodic_s": "{type: periodic, review: 7d, s: 200, S: 500}",
    "none": "{type: none}",
}

LEAD_TIMES = {
    "shorthand": "5d",
    "quoted_shorthand": '"5 days"',
    "constant": "{dist: constant, value: 5d}",
    "exponential": "{dist: exponential, mean: 5d}",
    "uniform": "{dist: uniform, min: 2d, max: 6d}",
    "triangular": "{dist: triangular, min: 2d, mode: 4d, max: 9d}",
    "normal": "{dist: normal, mean: 5d, sd: 1d}",
    "lognormal_sd": "{dist: lognormal, mean: 5d, sd: 36h}",
    "lognormal_cv": "{dist: lognormal, mean: 5d, cv: 0.3}",
    "gamma": "{dist: gamma, mean: 5d, cv: 0.5}",
    "erlang": "{dist: erlang, mean: 5d, k: 3}",
    "weibull": "{dist: weibull, shape: 1.5, scale: 5d}",
    "empirical": "{dist: empirical, values: [3d, 5d, 8d], weights: [1, 2, 1]}",
}


def small(policy="{type: s_S, s: 100, S: 400}", lead_time="5d"):
    return BASE.replace("POLICY", policy).replace("LEAD_TIME", lead_time)


OTHER_EXAMPLES = {
    "demand_as_a_list": """
name: channels
run: {horizon: 28d, warmup: 1d, confidence: 90%}
demand:
  - name: web
    arrivals: {rate: 300/day}
    lines: 2
    quantity: {dist: uniform, min: 1, max: 4}
  - name: wholesale
    arrivals: {rate: 2/day}
    quantity: {dist: empirical, values: [20, 40], weights: [3, 1]}
    when_out_of_stock: lost
products:
  widget: {price: 10, unit_cost: 4, initial_stock: 500}
""",
    "service_business": """
name: help-desk
run: {horizon: 2w}
demand: {arrivals: {rate: 20/h}, patience: {dist: exponential, mean: 20min}}
staff:
  agents:
    wage: 30/h
    shifts:
      - {start: 22:00, end: 06:00, headcount: 1}
      - {days: [Monday, tue], start: 8:00, end: 22:00, headcount: 3}
process:
  - {step: answer, staff: agents, time: {dist: erlang, mean: 10min, k: 2}, queue_limit: 0}
  - {step: follow_up, time: 2h}
service: {promise: 1h}
""",
    "sweep_sample": """
name: sampled
run: {horizon: 28d}
demand: {arrivals: {rate: 50/day}}
staff: {desk: {headcount: 2}}
process: [{step: serve, staff: desk, time: 10min}]
sweep:
  sample:
    n: 10
    seed: 3
    ranges:
      demand.arrivals.rate: {min: 300/day, max: 600/day}
      staff.desk.headcount: {min: 1, max: 4}
""",
}

EXAMPLES = {
    "contract": CONTRACT_FULL,
    **{f"policy_{name}": small(policy=text) for name, text in POLICIES.items()},
    **{f"lead_time_{name}": small(lead_time=text) for name, text in LEAD_TIMES.items()},
    **OTHER_EXAMPLES,
}

# Broken scenarios, each a change to the contract's example: (what, dotted path, value).
BROKEN = {
    "bare_number_duration": ("suppliers.acme.lead_time", 5),
    "bare_number_in_distribution": ("suppliers.acme.lead_time", {"dist": "exponential", "mean": 5}),
    "bare_number_rate": ("demand.arrivals.rate", 400),
    "bare_number_wage": ("staff.order_desk.wage", 22),
    "unknown_duration_unit": ("run.horizon", "91 fortnights"),
    "unknown_key": ("products.widget.polcy", {"type": "none"}),
    "unknown_top_level_key": ("costz", {}),
    "wrong_dist_name": ("suppliers.acme.lead_time", {"dist": "lognormel", "mean": "5d", "cv": 0.3}),
    "missing_dist": ("suppliers.acme.lead_time", {"mean": "5d"}),
    "count_dist_for_a_duration": ("process.0.time", {"dist": "poisson", "mean": 4}),
    "fractional_count": ("demand.lines", 1.5),
    "wrong_policy_type": ("products.widget.policy", {"type": "sS", "s": 1, "S": 4}),
    "missing_policy_key": ("products.widget.policy", {"type": "r_Q", "r": 100}),
    "clock_time_past_24": ("staff.pickers.shifts.0.end", "24:30"),
    "clock_time_as_number": ("staff.pickers.shifts.0.end", 960),
    "weekday_misspelt": ("staff.pickers.shifts.2.days", ["saturdy"]),
    "by_hour_too_short": ("demand.arrivals.by_hour", [1, 2, 3]),
    "holding_cost_bare_number": ("products.widget.holding_cost", 0.02),
    "percent_over_100": ("run.confidence", "120%"),
    "warmup_neither_duration_nor_auto": ("run.warmup", "soon"),
    "replications_zero": ("run.replications", 0),
    "replications_neither_number_nor_auto": ("run.replications", "many"),
    "precision_zero": ("run.precision", 0),
    "out_of_stock_choice": ("demand.when_out_of_stock", "wait"),
    "missing_required_run": ("run", None),
    "empty_demand_list": ("demand", []),
}


def changed(data, path, value):
    """``data`` with the value at a dotted path replaced (or removed, for None)."""
    data = copy.deepcopy(data)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


# --------------------------------------------------------------------------- the schema itself
def test_schema_is_a_valid_draft_2020_12_schema(schema):
    """The schema passes the 2020-12 meta-schema and says which dialect it is."""
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DIALECT


def test_schema_is_self_contained(schema):
    """No $id anywhere, and every $ref points at a definition inside the schema."""
    text = repr(schema)
    assert "'$id'" not in text
    refs = set(re.findall(r"'\$ref': '([^']*)'", text))
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in schema["$defs"]


def test_schema_is_fresh_each_call(schema):
    """Changing one result does not change the next (no shared mutable state)."""
    first = scenario_schema()
    first["$defs"].clear()
    assert scenario_schema() == schema


def test_every_object_with_keys_is_closed(schema):
    """additionalProperties is false wherever the keys are field names."""
    for name, definition in schema["$defs"].items():
        if "properties" in definition:
            assert definition.get("additionalProperties") is False, name


def test_every_key_has_a_description(schema):
    """Every key of every definition carries a description for the editor's hover."""
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key}"


def test_every_model_field_is_a_key_of_its_definition(schema):
    """Each field of each model (by alias) appears in the schema; nothing is dropped."""
    for model in scenario_models():
        if model in INTERNAL_MODELS:
            continue
        keys = set(schema["$defs"][model.__name__]["properties"])
        for name, field in model.model_fields.items():
            assert (field.alias or name) in keys, f"{model.__name__}.{name}"


def test_every_default_is_valid_for_its_key(schema):
    """A default an editor inserts is itself accepted (warmup: 0d, not 0.0)."""
    found = 0
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            if "default" not in prop:
                continue
            found += 1
            check = jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]})
            assert not list(check.iter_errors(prop["default"])), f"{name}.{key}"
    assert found > 20


@pytest.mark.parametrize(
    "text",
    [
        "45s",
        "15min",
        "2h",
        "3d",
        "1w",
        "1.5h",
        "1.5 h",
        ".5d",
        "2H",
        "3 Days",
        "10 minutes",
        "30 seconds",
        "1y",
        "2 weeks",
        "1e2min",
        "+3d",
        "5x",
        "5",
        "d",
        "-3d",
        "3d 2h",
        "1..5h",
        "",
    ],
)
def test_duration_pattern_agrees_with_the_parser(schema, text):
    """The schema accepts a duration string exactly when sim.scenario.units does."""
    try:
        units.parse_duration(text)
        parses = True
    except ValueError:
        parses = False
    assert bool(re.search(fields._DURATION_PATTERN, text)) == parses


@pytest.mark.parametrize(
    "text",
    [
        "400/day",
        "20/h",
        "3/min",
        "2000/week",
        "2.7/h",
        "3/2h",
        "1 / day",
        "5/Hours",
        "10/yr",
        "400",
        "400/",
        "/day",
        "400/fortnight",
        "25%/year",
    ],
)
def test_rate_pattern_agrees_with_the_parser(text):
    """The schema accepts a rate string exactly when sim.scenario.units does (no percent)."""
    try:
        units.parse_rate(text)
        parses = True
    except ValueError:
        parses = False
    assert bool(re.search(fields._RATE_PATTERN, text)) == parses


@pytest.mark.parametrize(
    "text", ["00:00", "8:00", "08:30", "23:59", "24:00", "24:01", "25:00", "12:60", "1200", "8"]
)
def test_clock_pattern_agrees_with_the_parser(text):
    """The schema accepts a clock time exactly when sim.scenario.units does."""
    try:
        units.parse_clock(text)
        parses = True
    except ValueError:
        parses = False
    assert bool(re.search(fields._CLOCK_PATTERN, text)) == parses


@pytest.mark.parametrize("text", ["mon", "Sun", "FRIDAY", "thursday", "mo", "weekday", "satday"])
def test_weekday_pattern_agrees_with_the_parser(text):
    """The schema accepts a weekday exactly when sim.scenario.units does."""
    try:
        units.parse_weekday(text)
        parses = True
    except ValueError:
        parses = False
    assert bool(re.search(fields._WEEKDAY_PATTERN, text)) == parses


# --------------------------------------------------------------------------- good scenarios
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_contract_examples_load_and_match_the_schema(validator, name):
    """Every example of the format page, made complete, loads and validates against the schema."""
    text = EXAMPLES[name]
    loads(text, file=f"{name}.yaml")  # the test data itself is a valid scenario
    assert errors(validator, read(text)) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_bundled_scenarios_match_the_schema(validator, path):
    """Every file in scenarios/ validates against the schema."""
    assert errors(validator, read(path.read_text(encoding="utf-8"))) == []


def test_a_file_with_extends_may_leave_out_what_its_parent_gives(validator):
    """With extends, no key is required, at any depth (the parent supplies it)."""
    child = read(
        """
extends: base.yaml
run: {seed: 7}
suppliers:
  acme:
    lead_time: {mean: 6d}
products:
  widget: {policy: {S: 500}}
"""
    )
    assert errors(validator, child) == []


def test_a_file_with_extends_is_still_checked(validator):
    """With extends, unknown keys and bare numbers are still errors."""
    child = read("extends: base.yaml\nrun: {horizn: 7d}\nsuppliers: {acme: {lead_time: 5}}\n")
    found = errors(validator, child)
    assert any("horizn" in e for e in found)
    assert any("lead_time" in e for e in found)


def test_list_items_in_a_file_with_extends_are_complete(validator):
    """A list replaces the parent's list whole, so its items need every required key."""
    child = read("extends: base.yaml\nprocess: [{staff: desk}]\n")
    assert errors(validator, child)


def test_without_extends_the_required_keys_are_required(validator):
    """A scenario without extends must have name, run and demand."""
    found = errors(validator, {"name": "x"})
    assert found


# --------------------------------------------------------------------------- broken scenarios
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_scenarios_are_rejected_by_the_schema_and_the_loader(validator, name):
    """A mistake the loader refuses is flagged by the schema too."""
    path, value = BROKEN[name]
    data = changed(read(CONTRACT_FULL), path, value)
    assert errors(validator, data), name
    with pytest.raises(ScenarioError):
        validate(Document(data=data, file=f"{name}.yaml"), Scenario)


# --------------------------------------------------------------------------- the docs
def yaml_blocks(text):
    return re.findall(r"^```yaml\n(.*?)^```", text, flags=re.S | re.M)


def test_complete_doc_examples_match_the_schema(validator):
    """Every complete scenario in docs/scenario-format.md validates against the schema."""
    blocks = [read(block) for block in yaml_blocks(DOC.read_text(encoding="utf-8"))]
    complete = [data for data in blocks if "run" in data and "name" in data]
    assert len(complete) >= 2
    for data in complete:
        assert errors(validator, data) == []


def test_doc_snippets_match_the_schema_as_patches(schema):
    """Every snippet in docs/scenario-format.md is a valid part of a scenario (no typos)."""
    patch = subschema(schema, "ScenarioPatch")
    for block in yaml_blocks(DOC.read_text(encoding="utf-8")):
        assert errors(patch, read(block)) == [], block


def test_auto_warmup_and_replications_match_the_schema_and_load(validator):
    """warmup: auto, replications: auto and a precision are accepted by both."""
    data = read(CONTRACT_FULL)
    data["run"].update(warmup="auto", replications="auto", precision="2%", max_replications=50)
    assert errors(validator, data) == []
    scenario = validate(Document(data=data, file="auto.yaml"), Scenario)
    assert (scenario.run.warmup, scenario.run.replications) == ("auto", "auto")
    assert scenario.run.precision == pytest.approx(0.02)
