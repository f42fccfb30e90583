"""The Scenario as a value: frozen all the way down, equal by value, pickled lean."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest
from pydantic import ValidationError

from sim.scenario.fields import FrozenDict, FrozenList
from sim.scenario.loader import loads
from sim.scenario.models import Scenario

SHOP = """\
name: shop
run: {horizon: 30d}
demand:
  arrivals: {rate: 400/day, by_weekday: [1, 1, 1, 1, 1, 0.5, 0.5]}
products:
  widget: {price: 25, unit_cost: 10, initial_stock: 100}
staff:
  pickers:
    shifts:
      - {days: [mon, tue], start: "08:00", end: "16:00", headcount: 2}
process:
  - {step: pick, staff: pickers, time: 6min}
variants:
  packers:
    staff.packers: {headcount: 1, wage: 18/h}
sweep:
  grid:
    staff.pickers.shifts.0.headcount: [2, 3]
"""

REFUSED = (
    "a scenario cannot be changed in place: use scenario.with_changes({...}) for a changed copy"
)


@pytest.fixture
def shop() -> Scenario:
    return loads(SHOP, "shop.yaml")


# --------------------------------------------------------------------------- frozen
def test_a_field_cannot_be_set(shop: Scenario) -> None:
    """Setting a field of a section raises pydantic's frozen-instance error."""
    with pytest.raises(ValidationError, match="Instance is frozen"):
        shop.run.seed = 2  # type: ignore[misc]


def test_a_mapping_of_the_scenario_cannot_be_changed(shop: Scenario) -> None:
    """Adding an entry to a dict of the scenario raises TypeError, saying what to do instead."""
    with pytest.raises(TypeError) as info:
        shop.products["gadget"] = shop.products["widget"]
    assert str(info.value) == REFUSED
    assert list(shop.products) == ["widget"]


def test_a_list_deep_inside_cannot_be_changed(shop: Scenario) -> None:
    """The days of a shift, a list three levels down, cannot be appended to."""
    with pytest.raises(TypeError, match="cannot be changed in place"):
        shop.staff["pickers"].shifts[0].days.append(6)  # type: ignore[index]


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.variants["packers"]["staff.packers"].update(headcount=9),
        lambda s: s.sweep.grid["staff.pickers.shifts.0.headcount"].clear(),
        lambda s: s.demand[0].arrivals.by_weekday.sort(),
        lambda s: s.process.pop(),
    ],
    ids=["variant value", "sweep grid", "weights", "process"],
)
def test_plain_data_inside_is_read_only_too(shop: Scenario, change) -> None:
    """Dicts and lists of free-form values (variants, sweep grid) are read-only as well."""
    with pytest.raises(TypeError, match="cannot be changed in place"):
        change(shop)


def test_read_only_containers_are_still_dicts_and_lists(shop: Scenario) -> None:
    """A read-only dict or list compares, reads and copies as a plain one."""
    assert isinstance(shop.staff, dict) and isinstance(shop.process, list)
    assert shop.demand[0].arrivals.by_weekday == [1, 1, 1, 1, 1, 0.5, 0.5]
    mine = dict(shop.products)
    mine["gadget"] = mine["widget"]
    assert type(mine) is dict and list(shop.products) == ["widget"]


def test_model_copy_with_update_is_refused(shop: Scenario) -> None:
    """model_copy(update=...) would skip validation, so it is refused with what to use."""
    with pytest.raises(TypeError) as info:
        shop.model_copy(update={"name": ""})
    assert str(info.value) == (
        "Scenario.model_copy(update=...) would skip validation: "
        "use scenario.with_changes({...}) for a changed copy"
    )


def test_model_copy_without_update_is_an_equal_scenario(shop: Scenario) -> None:
    """A plain model_copy is an equal scenario that can still be changed."""
    again = shop.model_copy(deep=True)
    assert again == shop and again.with_changes({"name": "x"}).name == "x"


def test_a_changed_copy_starts_from_plain_data(shop: Scenario) -> None:
    """A variant that sets a whole mapping can be changed again inside that mapping."""
    packers = shop.variant("packers").with_changes({"staff.packers.headcount": 2})
    assert packers.staff["packers"].headcount == 2
    assert type(packers.raw["staff"]["packers"]) is dict


def test_the_dump_is_plain_data(shop: Scenario) -> None:
    """model_dump gives plain dicts and lists, not the read-only kinds."""
    dumped = shop.model_dump()
    assert type(dumped["products"]) is dict and type(dumped["process"]) is list
    assert type(dumped["variants"]["packers"]["staff.packers"]) is dict


# --------------------------------------------------------------------------- equality
def test_where_a_scenario_came_from_does_not_make_it_different() -> None:
    """Two scenarios with the same values are equal, whatever file they were read from."""
    assert (
        loads(SHOP, "a.yaml") == loads(SHOP, "b.yaml") == Scenario.model_validate(loads(SHOP).raw)
    )


def test_a_different_value_makes_a_different_scenario(shop: Scenario) -> None:
    """Scenarios that differ in one value deep inside are not equal."""
    assert shop != shop.with_changes({"staff.pickers.shifts.0.headcount": 3})


# --------------------------------------------------------------------------- pickling
def test_a_pickled_scenario_keeps_its_values_but_not_its_provenance(shop: Scenario) -> None:
    """Pickling carries the values only: equal, without source, and changes are refused."""
    again = pickle.loads(pickle.dumps(shop))
    assert again == shop and again.source is None and again.raw == {}
    with pytest.raises(ValueError) as info:
        again.with_changes({"name": "x"})
    assert str(info.value) == (
        "this scenario does not know the data it was made from (a scenario sent to another "
        "process travels without it): change it in the process that loaded it, or load the "
        "file again with sim.load()"
    )


def test_an_unpickled_scenario_is_still_read_only(shop: Scenario) -> None:
    """Read-only dicts and lists stay read-only after a round trip through pickle."""
    again = pickle.loads(pickle.dumps(shop))
    assert type(again.products) is FrozenDict and type(again.process) is FrozenList
    with pytest.raises(TypeError, match="cannot be changed in place"):
        again.products.clear()


def test_a_deep_copy_keeps_the_provenance(shop: Scenario) -> None:
    """copy.deepcopy, unlike pickle, stays in the process: the copy can still be changed."""
    again = copy.deepcopy(shop)
    assert again.source is not None and again.with_changes({"name": "x"}).name == "x"


def test_a_process_that_unpickles_a_scenario_never_imports_yaml(shop: Scenario) -> None:
    """A worker gets a scenario without the YAML machinery: PyYAML is never imported."""
    code = (
        "import pickle, sys; s = pickle.loads(sys.stdin.buffer.read()); "
        "print(s.name, 'yaml' in sys.modules, 'sim.scenario.loader' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(shop), capture_output=True, check=True
    )
    assert out.stdout.decode().split() == ["shop", "False", "False"]
