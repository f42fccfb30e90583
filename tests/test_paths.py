"""Dotted paths into raw scenario data: split, set and deep-merge."""

from __future__ import annotations

import copy

import pytest

from sim.scenario.paths import PathError, deep_merge, set_path, set_paths, split_path

DATA = {
    "staff": {
        "pickers": {"wage": "18/h", "shifts": [{"headcount": 6}, {"headcount": 3}]},
        "order_desk": {"headcount": 3},
    },
    "run": {"horizon": "91d"},
}


def test_split_path_makes_digits_indices() -> None:
    """All-digit segments are list indices, the others keys."""
    assert split_path("staff.pickers.shifts.0.headcount") == (
        "staff",
        "pickers",
        "shifts",
        0,
        "headcount",
    )


@pytest.mark.parametrize("path", ["staff..pickers", ".staff", "staff.", ""])
def test_split_path_refuses_empty_segments(path: str) -> None:
    """An empty segment (two dots, a leading or trailing dot) is a PathError."""
    with pytest.raises(PathError, match="empty"):
        split_path(path)


def test_set_path_replaces_a_value_in_a_copy() -> None:
    """set_path returns a changed deep copy and leaves the original untouched."""
    before = copy.deepcopy(DATA)
    changed = set_path(DATA, "staff.pickers.shifts.0.headcount", 8)
    assert changed["staff"]["pickers"]["shifts"][0]["headcount"] == 8
    assert DATA == before
    changed["staff"]["order_desk"]["headcount"] = 99
    assert DATA == before


def test_set_path_may_add_a_last_key() -> None:
    """The last key of a mapping may be new (validation catches unknown names later)."""
    changed = set_path(DATA, "staff.order_desk.wage", "22/h")
    assert changed["staff"]["order_desk"] == {"headcount": 3, "wage": "22/h"}


def test_set_path_value_is_copied() -> None:
    """The value set is a copy: changing it later does not change the result."""
    value = {"headcount": 1}
    changed = set_path(DATA, "staff.extra", value)
    value["headcount"] = 5
    assert changed["staff"]["extra"] == {"headcount": 1}


def test_set_path_missing_intermediate_key_suggests() -> None:
    """A missing intermediate key is an error with a did-you-mean."""
    with pytest.raises(PathError) as info:
        set_path(DATA, "staff.pickrs.wage", "20/h")
    assert str(info.value) == 'no key "pickrs" under "staff" (did you mean "pickers"?)'


def test_set_path_missing_top_level_key() -> None:
    """A missing top-level section is named as such."""
    with pytest.raises(PathError) as info:
        set_path(DATA, "stuff.pickers.wage", "20/h")
    assert str(info.value) == 'no key "stuff" at the top level (did you mean "staff"?)'


def test_set_path_index_out_of_range() -> None:
    """A list index past the end is an error saying how many items there are."""
    with pytest.raises(PathError) as info:
        set_path(DATA, "staff.pickers.shifts.3.headcount", 1)
    assert str(info.value) == 'index 3 is out of range: "staff.pickers.shifts" has 2 items'


def test_set_path_cannot_append_to_a_list() -> None:
    """Setting the item just past the end is out of range too (no appending)."""
    with pytest.raises(PathError, match="index 2 is out of range"):
        set_path(DATA, "staff.pickers.shifts.2", {"headcount": 1})


def test_set_path_name_on_a_list() -> None:
    """A name where a list needs an index is an error showing the index form."""
    with pytest.raises(PathError) as info:
        set_path(DATA, "staff.pickers.shifts.first", 1)
    assert str(info.value) == (
        '"staff.pickers.shifts" is a list: name an item by its index from 0, '
        'like "staff.pickers.shifts.0" (got "first")'
    )


def test_set_path_through_a_scalar() -> None:
    """A path that goes on below a plain value is an error naming that value."""
    with pytest.raises(PathError) as info:
        set_path(DATA, "run.horizon.days", 1)
    assert str(info.value) == (
        '"run.horizon" is the value \'91d\', not a mapping or a list, so it has no "days"'
    )


def test_set_path_digit_key_in_a_mapping() -> None:
    """A digit segment names a mapping key when the container is a mapping."""
    assert set_path({"by": {"0": 1}}, "by.0", 2) == {"by": {"0": 2}}


def test_set_paths_applies_in_order() -> None:
    """set_paths applies several changes to one copy, in order."""
    changed = set_paths(DATA, {"staff.extra": {"headcount": 1}, "staff.extra.headcount": 2})
    assert changed["staff"]["extra"] == {"headcount": 2}


def test_deep_merge_mappings_recursively() -> None:
    """Mappings merge key by key; the override wins."""
    merged = deep_merge({"run": {"horizon": "7d", "seed": 1}, "name": "base"}, {"run": {"seed": 2}})
    assert merged == {"run": {"horizon": "7d", "seed": 2}, "name": "base"}


def test_deep_merge_replaces_lists_whole() -> None:
    """Lists are replaced whole, never spliced item by item."""
    merged = deep_merge({"process": [{"step": "a"}, {"step": "b"}]}, {"process": [{"step": "c"}]})
    assert merged == {"process": [{"step": "c"}]}


def test_deep_merge_scalar_replaces_mapping() -> None:
    """A scalar in the override replaces a mapping in the base."""
    assert deep_merge({"a": {"b": 1}}, {"a": None}) == {"a": None}


def test_deep_merge_leaves_inputs_untouched() -> None:
    """deep_merge copies: changing the result changes neither input."""
    base, override = {"a": {"b": [1]}}, {"c": {"d": 1}}
    merged = deep_merge(base, override)
    merged["a"]["b"].append(2)
    merged["c"]["d"] = 5
    assert base == {"a": {"b": [1]}} and override == {"c": {"d": 1}}
