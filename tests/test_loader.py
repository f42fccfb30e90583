"""The loading pipeline: extends, --set overrides, validation errors mapped onto YAML lines."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load, load_raw, loads
from sim.scenario.models import Scenario
from sim.scenario.validation import field_names_at, problems_from_validation_error
from sim.scenario.yamlio import parse_document

SHOP = """\
name: shop
run:
  horizon: 30d
demand:
  arrivals:
    rate: 400/day
products:
  widget:
    price: 25
    unit_cost: 10
    initial_stock: 100
    supplier: acme
    policy: {type: s_S, s: 100, S: 400}
suppliers:
  acme:
    lead_time: 5d
staff:
  pickers: {headcount: 3, wage: 18/h}
process:
  - {step: pick, staff: pickers, time: 6min}
variants:
  busy:
    demand.arrivals.rate: 600/day
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def _problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, "shop.yaml", overrides)
    return [str(problem) for problem in info.value.problems]


# --------------------------------------------------------------------------- extends
def test_extends_merges_parent_under_child(tmp_path: Path) -> None:
    """The child's values win; the parent's other values stay; extends is removed."""
    _write(tmp_path, "base.yaml", "name: base\nrun: {horizon: 7d, seed: 1}\n")
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nrun:\n  seed: 2\n")
    assert load_raw(child).data == {"name": "base", "run": {"horizon": "7d", "seed": 2}}


def test_extends_path_is_relative_to_the_extending_file(tmp_path: Path) -> None:
    """extends is resolved from the extending file's folder, not the working directory."""
    _write(tmp_path, "shared/base.yaml", "name: base\n")
    _write(tmp_path, "shared/mid.yaml", "extends: base.yaml\ncurrency: EUR\n")
    child = _write(tmp_path, "site/child.yaml", "extends: ../shared/mid.yaml\nrun: {}\n")
    assert load_raw(child).data == {"name": "base", "currency": "EUR", "run": {}}


def test_extends_keeps_the_line_that_supplied_each_value(tmp_path: Path) -> None:
    """Each key is located in the file and at the line that supplied its value."""
    base = _write(tmp_path, "base.yaml", "name: base\nrun:\n  horizon: 7d\n  seed: 1\n")
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nrun:\n  seed: 2\n")
    lines = load_raw(child).lines
    assert lines[("name",)] == (str(base), 1)
    assert lines[("run", "horizon")] == (str(base), 3)
    assert lines[("run", "seed")] == (str(child), 3)
    assert ("extends",) not in lines


def test_extends_replaced_list_forgets_parent_items(tmp_path: Path) -> None:
    """A list replaced by the child has only the child's items and lines."""
    _write(tmp_path, "base.yaml", "process:\n  - a\n  - b\n  - c\n")
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nprocess: [x]\n")
    doc = load_raw(child)
    assert doc.data == {"process": ["x"]}
    assert doc.lines[("process", 0)] == (str(child), 2)
    assert ("process", 2) not in doc.lines


def test_extends_cycle_names_the_chain(tmp_path: Path) -> None:
    """A cycle of extends is an error naming the chain, at the extends that closes it."""
    a = _write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    b = _write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_raw(a)
    assert str(info.value) == (f"{b}:1: extends: extends goes round in a cycle: {a} -> {b} -> {a}")


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    """A file that extends itself is a cycle."""
    a = _write(tmp_path, "a.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_raw(a)


def test_extends_missing_parent_is_reported_at_the_extends_line(tmp_path: Path) -> None:
    """A parent that does not exist is an error at the extends line."""
    child = _write(tmp_path, "child.yaml", "name: x\nextends: nope.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_raw(child)
    assert str(info.value) == f'{child}:2: extends: file not found: "{tmp_path / "nope.yaml"}"'


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    """extends must be a file path, not a list."""
    child = _write(tmp_path, "child.yaml", "extends: [a.yaml, b.yaml]\n")
    with pytest.raises(ScenarioError) as info:
        load_raw(child)
    assert str(info.value) == (
        f'{child}:1: extends: expected the path of a scenario file, like "base.yaml" (got a list)'
    )


def test_error_in_parent_names_the_parent(tmp_path: Path) -> None:
    """A validation error in a value the parent supplied is reported in the parent file."""
    base = _write(tmp_path, "base.yaml", SHOP.replace("horizon: 30d", "horizon: 30"))
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n")
    with pytest.raises(ScenarioError) as info:
        load(child)
    assert [(p.file, p.line, p.key) for p in info.value.problems] == [(str(base), 3, "run.horizon")]


# --------------------------------------------------------------------------- mapping errors
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Exp(_Strict):
    dist: Literal["exponential"]
    mean: float


class _Const(_Strict):
    dist: Literal["constant"]
    value: float


def _dist_tag(value: Any) -> str | None:
    return value.get("dist") if isinstance(value, dict) else None


_Dist = Annotated[
    Annotated[_Exp, Tag("exponential")] | Annotated[_Const, Tag("constant")],
    Discriminator(_dist_tag),
]


class _Shift(_Strict):
    start: str
    headcount: int = Field(default=0, ge=0)


class _Pool(_Strict):
    shifts: list[_Shift] | None = None
    size: int | str = 0


class _Toy(_Strict):
    name: str
    pools: dict[str, _Pool] = {}
    time: _Dist | None = None


def _toy_problems(text: str) -> list[Problem]:
    doc = parse_document(text, "t.yaml")
    with pytest.raises(ValidationError) as info:
        _Toy.model_validate(doc.data)
    return problems_from_validation_error(info.value, doc, _Toy)


def test_missing_key_is_located_at_its_parent() -> None:
    """A missing key is named in full and located at its parent's line."""
    problems = _toy_problems("name: x\npools:\n  a:\n    shifts:\n      - {headcount: 1}\n")
    assert [str(p) for p in problems] == [
        't.yaml:5: pools.a.shifts.0.start: missing required key "start"'
    ]


def test_unknown_key_deep_in_dicts_and_lists_suggests_a_field() -> None:
    """An unknown key under dict and list fields gets a did-you-mean from the right model."""
    problems = _toy_problems(
        "name: x\npools:\n  a:\n    shifts:\n      - start: a\n        headcont: 1\n"
    )
    assert [str(p) for p in problems] == [
        't.yaml:6: pools.a.shifts.0.headcont: unknown key "headcont" (did you mean "headcount"?)'
    ]


def test_union_tags_are_skipped_in_the_key() -> None:
    """pydantic's union tags do not appear in the dotted key."""
    problems = _toy_problems("name: x\ntime:\n  dist: exponential\n  mean: soon\n")
    assert [str(p) for p in problems] == ["t.yaml:4: time.mean: expected a number (got 'soon')"]


def test_unknown_key_in_a_union_member_suggests_its_fields() -> None:
    """A misspelt parameter of a tagged union member gets a suggestion."""
    problems = _toy_problems("name: x\ntime: {dist: exponential, meen: 1.0}\n")
    assert 'unknown key "meen" (did you mean "mean"?)' in [p.message for p in problems]


def test_plain_union_errors_are_merged() -> None:
    """The two errors of a plain int | str union about one value become one problem."""
    problems = _toy_problems("name: x\npools:\n  a:\n    size: [1]\n")
    assert [str(p) for p in problems] == [
        "t.yaml:4: pools.a.size: expected a whole number or text (got a list)"
    ]


def test_comparison_errors_say_must_be() -> None:
    """A bound is phrased "must be ... (got ...)"."""
    problems = _toy_problems("name: x\npools:\n  a:\n    shifts: [{start: a, headcount: -1}]\n")
    assert [p.message for p in problems] == ["must be greater than or equal to 0 (got -1)"]


def test_all_problems_sorted_by_line() -> None:
    """Every problem in a file is reported at once, sorted by line."""
    problems = _toy_problems("pools:\n  a:\n    sise: 1\nnaem: x\n")
    assert [(p.line, p.key) for p in problems] == [(1, "name"), (3, "pools.a.sise"), (4, "naem")]


def test_field_names_at_walks_annotations() -> None:
    """field_names_at unwraps Optional, dict and list annotations."""
    assert field_names_at(_Toy, ("pools", "any", "shifts", 0)) == {"start", "headcount"}


# --------------------------------------------------------------------------- load
def test_loads_valid_scenario_keeps_its_raw_data() -> None:
    """A valid scenario loads and remembers its raw data and document."""
    scenario = loads(SHOP, "shop.yaml")
    assert scenario.name == "shop"
    assert scenario.raw["run"] == {"horizon": "30d"}
    assert scenario.source.lines[("run", "horizon")] == ("shop.yaml", 3)


def test_load_reads_a_file(tmp_path: Path) -> None:
    """load reads a file and validates it."""
    assert load(_write(tmp_path, "shop.yaml", SHOP)).run.horizon == 720.0


def test_value_error_message_is_cleaned() -> None:
    """A validator's message appears without pydantic's "Value error, " prefix."""
    text = SHOP.replace("horizon: 30d", "horizon: 30")
    assert _problems(text) == [
        'shop.yaml:3: run.horizon: expected a duration with its unit, like "45s", "15min", '
        '"2h", "3d", "1w" or "1y" (got 30)'
    ]


def test_cross_reference_problems_are_each_at_their_line() -> None:
    """Names that do not match are reported one by one, each at its own key."""
    text = SHOP.replace("supplier: acme", "supplier: acne").replace(
        "staff: pickers", "staff: packers"
    )
    assert _problems(text) == [
        "shop.yaml:12: products.widget.supplier: no supplier 'acne' (known: acme)",
        "shop.yaml:20: process.0.staff: no staff pool 'packers' (known: pickers)",
    ]


def test_base_and_variant_problems_are_reported_together() -> None:
    """A base problem and a variant problem come in one ScenarioError."""
    text = SHOP.replace("price: 25", "price: cheap").replace("600/day", "600")
    assert _problems(text) == [
        "shop.yaml:9: products.widget.price: expected a number (got 'cheap')",
        "shop.yaml:23: variants.busy.demand.arrivals.rate: expected a rate with its time unit, "
        'like "400/day", "20/h", "3/min" or "2000/week" (got 600)',
    ]


def test_variant_bad_path_is_at_the_variant_key() -> None:
    """A variant path that does not exist is reported at the variant key's line."""
    text = SHOP.replace("demand.arrivals.rate", "demand.arivals.rate")
    assert _problems(text) == [
        "shop.yaml:23: variants.busy.demand.arivals.rate: "
        'no key "arivals" under "demand" (did you mean "arrivals"?)'
    ]


def test_variant_error_elsewhere_is_at_the_variant_change() -> None:
    """A change that breaks a rule of its parent is reported at the change, naming the rule."""
    text = SHOP.replace("demand.arrivals.rate: 600/day", "products.widget.policy.s: 500")
    assert _problems(text) == [
        "shop.yaml:23: variants.busy.products.widget.policy.s: "
        "products.widget.policy: s must be below S (got s=500, S=400)"
    ]


def test_variant_breaking_a_reference_is_at_the_variant_name() -> None:
    """A change whose effect shows up elsewhere is reported at the variant's name."""
    text = SHOP.replace("demand.arrivals.rate: 600/day", "staff: {packers: {headcount: 1}}")
    assert _problems(text) == [
        "shop.yaml:22: variants.busy: process.0.staff: no staff pool 'pickers' (known: packers)"
    ]


def test_variant_repeats_no_base_problem() -> None:
    """A problem of the base is not reported again for each variant."""
    text = SHOP.replace("horizon: 30d", "horizon: 30")
    assert len(_problems(text)) == 1


def test_a_variant_path_is_reported_beside_an_unrelated_base_problem() -> None:
    """A variant naming a block the base lacks is reported with an unrelated base problem."""
    text = (
        "name: shop\nrun: {horizon: 30d}\ndemand:\n  arrivals: {rate: 400}\n"
        "variants:\n  v1:\n    staff.pickers.headcount: 4\n"
    )
    assert _problems(text) == [
        "shop.yaml:4: demand.arrivals.rate: expected a rate with its time unit, like "
        '"400/day", "20/h", "3/min" or "2000/week" (got 400)',
        'shop.yaml:7: variants.v1.staff.pickers.headcount: no key "staff" at the top level',
    ]


def test_a_variant_path_through_a_misspelt_key_is_left_to_the_base() -> None:
    """With policy misspelt in the base, a variant path through it adds no second problem."""
    text = SHOP.replace("    policy: {", "    polcy: {").replace(
        "demand.arrivals.rate: 600/day", "products.widget.policy.s: 50"
    )
    assert _problems(text) == [
        'shop.yaml:13: products.widget.polcy: unknown key "polcy" (did you mean "policy"?)'
    ]


def test_a_variant_path_through_a_misspelt_top_level_key_is_left_to_the_base() -> None:
    """With staff misspelt at the top level, a variant path into staff adds no problem."""
    text = SHOP.replace("staff:\n  pickers", "staf:\n  pickers").replace(
        "demand.arrivals.rate: 600/day", "staff.pickers.headcount: 4"
    )
    assert _problems(text) == ['shop.yaml:17: staf: unknown key "staf" (did you mean "staff"?)']


def test_an_unrelated_unknown_key_beside_it_does_not_hide_a_variant_path() -> None:
    """A misspelt key that is not the one a variant path needs leaves that path reported."""
    text = SHOP.replace("price: 25", "prise: 25").replace(
        "demand.arrivals.rate: 600/day", "products.widget.shelf_life.x: 1"
    )
    assert _problems(text) == [
        'shop.yaml:8: products.widget.price: missing required key "price"',
        'shop.yaml:9: products.widget.prise: unknown key "prise" (did you mean "price"?)',
        "shop.yaml:23: variants.busy.products.widget.shelf_life.x: "
        'no key "shelf_life" under "products.widget"',
    ]


def test_sweep_grid_bad_path() -> None:
    """A sweep grid path that does not exist is reported at its line."""
    text = SHOP + "sweep:\n  grid:\n    staff.pikers.headcount: [1, 2]\n"
    assert _problems(text) == [
        "shop.yaml:26: sweep.grid.staff.pikers.headcount: "
        'no key "pikers" under "staff" (did you mean "pickers"?)'
    ]


# --------------------------------------------------------------------------- overrides
def test_override_changes_a_value() -> None:
    """--set dotted.key=value replaces the value, read as YAML."""
    scenario = loads(SHOP, overrides=["run.horizon=60d", "staff.pickers.headcount=5"])
    assert (scenario.run.horizon, scenario.staff["pickers"].headcount) == (1440.0, 5)


def test_override_without_equals_is_refused() -> None:
    """An override without "=" is an error in --set showing the accepted form."""
    assert _problems(SHOP, ("run.horizon",)) == [
        '--set: expected key=value, like "demand.arrivals.rate=600/day" (got "run.horizon")'
    ]


def test_override_bad_path_is_refused() -> None:
    """An override of a path that does not exist names the override's key."""
    assert _problems(SHOP, ("run.horizn.x=1",)) == [
        '--set: run.horizn.x: no key "horizn" under "run" (did you mean "horizon"?)'
    ]


def test_override_invalid_value_is_located_at_set() -> None:
    """A value from --set that is invalid is reported in --set, not at the file's line."""
    assert _problems(SHOP, ("run.horizon=30",)) == [
        '--set: run.horizon: expected a duration with its unit, like "45s", "15min", "2h", '
        '"3d", "1w" or "1y" (got 30)'
    ]


def test_override_and_file_problems_together() -> None:
    """Problems from --set and from the file come in one error."""
    text = SHOP.replace("price: 25", "price: cheap")
    assert len(_problems(text, ("nothing",))) == 2


# --------------------------------------------------------------------------- changes
def test_with_changes_builds_a_new_scenario() -> None:
    """with_changes re-validates the raw data with dotted changes; the original stays."""
    scenario = loads(SHOP)
    busier = scenario.with_changes({"demand.arrivals.rate": "800/day"})
    assert busier.demand[0].arrivals.rate == pytest.approx(800 / 24)
    assert scenario.demand[0].arrivals.rate == pytest.approx(400 / 24)


def test_with_changes_reports_bad_values_by_key() -> None:
    """An invalid changed value is a ScenarioError naming its dotted key, with no line."""
    with pytest.raises(ScenarioError) as info:
        loads(SHOP).with_changes({"demand.arrivals.rate": 800})
    assert str(info.value).startswith("demand.arrivals.rate: expected a rate with its time unit")


def test_with_changes_reports_other_problems_at_their_line() -> None:
    """A rule a change breaks elsewhere is reported at the line of the file that holds it."""
    with pytest.raises(ScenarioError) as info:
        loads(SHOP, "shop.yaml").with_changes({"products.widget.policy.s": 500})
    assert str(info.value) == (
        "shop.yaml:13: products.widget.policy: s must be below S (got s=500, S=400)"
    )


def test_with_changes_reports_every_bad_path() -> None:
    """Every change whose path does not exist is reported, each under its dotted key."""
    with pytest.raises(ScenarioError) as info:
        loads(SHOP).with_changes({"staff.pikers.headcount": 4, "run.horizn.x": 1})
    assert str(info.value) == (
        'staff.pikers.headcount: no key "pikers" under "staff" (did you mean "pickers"?)\n'
        'run.horizn.x: no key "horizn" under "run" (did you mean "horizon"?)'
    )


def test_a_scenario_validated_from_plain_data_can_be_changed() -> None:
    """Scenario.model_validate remembers the data, so with_changes works without a file."""
    data = loads(SHOP).raw
    scenario = Scenario.model_validate(data)
    data["name"] = "changed after validation"
    renamed = scenario.with_changes({"name": "other"})
    assert (scenario.name, renamed.name, renamed.source.file) == ("shop", "other", "<changes>")


def test_raw_is_a_copy() -> None:
    """Changing the dict that raw returns changes neither the scenario nor its variants."""
    scenario = loads(SHOP)
    scenario.raw["variants"]["busy"]["demand.arrivals.rate"] = "1/day"
    assert scenario.variant("busy").demand[0].arrivals.rate == pytest.approx(25.0)


def test_variant_scenario_from_loaded_file() -> None:
    """Scenario.variant rebuilds a variant from the remembered raw data."""
    assert loads(SHOP).variant("busy").demand[0].arrivals.rate == pytest.approx(25.0)


def test_demand_list_errors_are_located() -> None:
    """With demand as a list of channels, an error is located in the right channel."""
    text = SHOP.replace(
        "demand:\n  arrivals:\n    rate: 400/day\n",
        "demand:\n  - name: web\n    arrivals: {rate: 400/day}\n"
        "  - name: shop\n    arrivals: {rate: 4}\n",
    ).replace("variants:\n  busy:\n    demand.arrivals.rate: 600/day\n", "")
    problems = _problems(text)
    assert len(problems) == 1
    assert problems[0].startswith("shop.yaml:8: demand.1.arrivals.rate: expected a rate")


def test_prefix_locates_errors_of_a_part() -> None:
    """With a prefix, errors of a model that validated part of the document are located."""
    doc = parse_document("outer:\n  inner:\n    name: x\n    pools: {a: {sise: 1}}\n", "t.yaml")
    with pytest.raises(ValidationError) as info:
        _Toy.model_validate(doc.data["outer"]["inner"])
    problems = problems_from_validation_error(info.value, doc, _Toy, prefix=("outer", "inner"))
    assert [str(p) for p in problems] == [
        't.yaml:4: outer.inner.pools.a.sise: unknown key "sise" (did you mean "size"?)'
    ]


# --------------------------------------------------------------------------- errors
def test_problem_without_line_or_file() -> None:
    """A problem prints only the parts it has."""
    assert str(Problem(None, None, "run.seed", "bad")) == "run.seed: bad"
    assert str(Problem("a.yaml", None, "", "file not found")) == "a.yaml: file not found"
    assert str(Problem("a.yaml", 3, "", "bad")) == "a.yaml:3: bad"


def test_scenario_error_is_one_line_per_problem() -> None:
    """str(ScenarioError) is one line per problem, and it is a ValueError."""
    error = ScenarioError([Problem("a.yaml", 1, "x", "one"), Problem("a.yaml", 2, "y", "two")])
    assert isinstance(error, ValueError)
    assert str(error) == "a.yaml:1: x: one\na.yaml:2: y: two"


def test_scenario_error_survives_pickling() -> None:
    """A ScenarioError crosses process boundaries with its problems intact."""
    import pickle

    error = ScenarioError([Problem("a.yaml", 1, "x", "one")])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)


def test_base_drops_variants_and_sweep_and_starts_every_variant() -> None:
    """Scenario.base() is the scenario without variants or sweep; variants start from it."""
    from pathlib import Path

    scenario = load(Path(__file__).resolve().parents[1] / "scenarios" / "ecommerce_sweep.yaml")
    base = scenario.base()
    assert scenario.variants and scenario.sweep is not None
    assert base.variants == {} and base.sweep is None
    assert "variants" not in base.raw and "sweep" not in base.raw
    assert scenario.variant_scenarios()[0] == base
