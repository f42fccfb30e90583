"""Reading scenario files as safe YAML 1.2, with line numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario.yamlio import parse_document, parse_value, read_document


def _value(text: str) -> object:
    return parse_document(f"x: {text}\n").data["x"]


def _error(text: str, file: str = "shop.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_document(text, file)
    return info.value


# --------------------------------------------------------------------------- YAML 1.2
@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml11_booleans_stay_strings(text: str) -> None:
    """yes, no, on and off are words in YAML 1.2, not booleans."""
    assert _value(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False)],
)
def test_core_schema_booleans(text: str, expected: bool) -> None:
    """true and false, in any case form of the core schema, are booleans."""
    assert _value(text) is expected


def test_unquoted_clock_time_is_a_string() -> None:
    """An unquoted 16:00 is the string "16:00", not the base-60 number 960."""
    assert _value("16:00") == "16:00"


def test_unquoted_clock_time_with_leading_zero_is_a_string() -> None:
    """An unquoted 08:00 is the string "08:00"."""
    assert _value("08:00") == "08:00"


@pytest.mark.parametrize(
    ("text", "expected"), [("42", 42), ("-7", -7), ("+3", 3), ("0o17", 15), ("0x1F", 31)]
)
def test_core_schema_integers(text: str, expected: int) -> None:
    """Integers are decimal, 0o octal or 0x hexadecimal."""
    value = _value(text)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("text", ["1_000", "0b101", "1:30"])
def test_yaml11_only_integers_stay_strings(text: str) -> None:
    """Underscored, binary and base-60 forms are strings in YAML 1.2."""
    assert _value(text) == text


@pytest.mark.parametrize(
    ("text", "expected"), [("1e3", 1000.0), ("1.5", 1.5), ("-2.5E-1", -0.25), (".5", 0.5)]
)
def test_core_schema_floats(text: str, expected: float) -> None:
    """Floats include exponents without a dot, like 1e3."""
    value = _value(text)
    assert value == expected and type(value) is float


def test_infinity_and_nan() -> None:
    """.inf, -.inf and .nan are floats."""
    assert _value(".inf") == math.inf
    assert _value("-.Inf") == -math.inf
    assert math.isnan(_value(".nan"))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["~", "null", "Null", ""])
def test_nulls(text: str) -> None:
    """~, null and nothing at all are null."""
    assert _value(text) is None


def test_dates_stay_strings() -> None:
    """A date is not turned into a datetime object."""
    assert _value("2026-01-05") == "2026-01-05"


def test_scalar_keys_become_strings() -> None:
    """A number used as a key becomes its text: 0: x is the key "0"."""
    assert parse_document("0: x\ntrue: y\n").data == {"0": "x", "true": "y"}


def test_list_key_is_refused() -> None:
    """A list used as a key is refused at its line."""
    error = _error("a: 1\n? [1, 2]\n: 2\n")
    assert str(error) == "shop.yaml:2: a key must be a plain name, not a list"


# --------------------------------------------------------------------------- refusals
def test_duplicate_key_names_both_lines() -> None:
    """A key given twice in one mapping is an error naming the key and both lines."""
    error = _error("run:\n  seed: 1\n  horizon: 5d\n  seed: 2\n")
    assert str(error) == 'shop.yaml:4: run.seed: duplicate key "seed" (first given on line 2)'


def test_duplicate_keys_are_all_reported() -> None:
    """Every duplicate key in a file is reported, in line order."""
    error = _error("a: 1\nb: 2\na: 3\nc:\n  d: 1\n  d: 2\n")
    assert [(p.line, p.key) for p in error.problems] == [(3, "a"), (6, "c.d")]


def test_python_tag_is_refused_and_not_executed(tmp_path: Path) -> None:
    """A !!python tag is refused with its line, and what it names is never run."""
    marker = tmp_path / "executed"
    text = f"name: x\ncmd: !!python/object/apply:os.system ['touch {marker}']\n"
    error = _error(text)
    assert str(error) == (
        "shop.yaml:2: cmd: the YAML tag !!python/object/apply:os.system is not allowed: "
        "a scenario holds only plain values, lists and mappings"
    )
    assert not marker.exists()


def test_python_name_tag_is_refused() -> None:
    """!!python/name, which would import an object, is refused."""
    error = _error("x: !!python/name:os.system ''\n")
    assert "the YAML tag !!python/name:os.system is not allowed" in str(error)


def test_unknown_local_tag_is_refused() -> None:
    """A custom tag like !include is refused, not ignored."""
    assert "shop.yaml:1: x: the YAML tag !include is not allowed" in str(_error("x: !include a\n"))


def test_set_tag_is_refused() -> None:
    """!!set, which builds a Python set, is refused."""
    assert "the YAML tag !!set is not allowed" in str(_error("x: !!set {a, b}\n"))


def test_standard_str_tag_is_allowed() -> None:
    """!!str forces a string, as in any YAML."""
    assert _value("!!str 12") == "12"


def test_recursive_alias_is_refused() -> None:
    """An alias inside the value it refers to is an error, not an endless loop."""
    assert "an alias refers to the value that contains it" in str(_error("a: &x [1, *x]\n"))


def test_aliases_are_expanded() -> None:
    """An alias repeats its anchor's value (as a separate copy)."""
    data = parse_document("a: &w {x: 1}\nb: *w\n").data
    assert data == {"a": {"x": 1}, "b": {"x": 1}} and data["a"] is not data["b"]


# --------------------------------------------------------------------------- documents
def test_lines_of_every_key_path() -> None:
    """Every key path maps to the line of its key (list items to their own line)."""
    doc = parse_document("run:\n  horizon: 5d\nprocess:\n  - step: a\n  - {step: b}\n", "s.yaml")
    assert doc.lines[()] == ("s.yaml", 1)
    assert doc.lines[("run", "horizon")] == ("s.yaml", 2)
    assert doc.lines[("process", 1)] == ("s.yaml", 5)
    assert doc.lines[("process", 0, "step")] == ("s.yaml", 4)


def test_where_falls_back_to_the_nearest_parent() -> None:
    """A path that is not in the file is located at its nearest existing parent."""
    doc = parse_document("run:\n  seed: 1\n", "s.yaml")
    assert doc.where(("run", "horizon")) == ("s.yaml", 1)


def test_empty_file() -> None:
    """A file with nothing but comments is refused as empty."""
    error = _error("# nothing here\n\n")
    assert str(error) == (
        "shop.yaml: the file is empty; a scenario is a mapping with keys like name, run and demand"
    )


def test_top_level_list_is_refused() -> None:
    """A top level that is a list is refused at its line."""
    error = _error("# scenarios\n- a\n- b\n")
    assert str(error) == (
        "shop.yaml:2: the top level must be a mapping of keys (name, run, demand, ...), not a list"
    )


def test_top_level_scalar_is_refused() -> None:
    """A top level that is a single value is refused."""
    assert "not the value 'hello'" in str(_error("hello\n"))


def test_syntax_error_has_its_line() -> None:
    """A YAML syntax error gives the line and PyYAML's short description."""
    error = _error("a: 1\nb: c: d\n")
    # libyaml ends it "in this context", the pure-Python parser "here".
    assert str(error).startswith("shop.yaml:2: YAML syntax error: mapping values are not allowed")


def test_two_documents_are_refused() -> None:
    """A file with two YAML documents is a syntax error."""
    assert "YAML syntax error" in str(_error("a: 1\n---\nb: 2\n"))


def test_control_character_is_refused() -> None:
    """A NUL character is a clear error with its line, not a crash."""
    error = _error("a: 1\nb: \x00\n")
    assert str(error) == (
        "shop.yaml:2: YAML syntax error: the character #x0000 is not allowed in a YAML file"
    )


# --------------------------------------------------------------------------- files
def test_missing_file(tmp_path: Path) -> None:
    """A file that does not exist is "file not found", with the name as given."""
    with pytest.raises(ScenarioError) as info:
        read_document(tmp_path / "nope.yaml")
    assert info.value.problems == [Problem(str(tmp_path / "nope.yaml"), None, "", "file not found")]


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory is refused as not a scenario file."""
    with pytest.raises(ScenarioError) as info:
        read_document(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, not a scenario file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be opened for lack of permission is refused with the reason."""
    import sim.scenario.yamlio

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    monkeypatch.setattr(sim.scenario.yamlio, "open", refuse, raising=False)
    with pytest.raises(ScenarioError) as info:
        read_document(path)
    assert str(info.value) == f"{path}: cannot read the file: permission denied"


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are refused at the line of the first bad byte."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: shop\ndescription: caf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        read_document(path)
    assert str(info.value) == (
        f"{path}:2: the file is not UTF-8 text (byte 0xe9 cannot be read); "
        "save it with UTF-8 encoding"
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark (as some editors write) is skipped."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: caf\xc3\xa9\n")
    assert read_document(path).data == {"name": "caf\u00e9"}


def test_file_is_named_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The document's file is the path as the user wrote it, not an absolute path."""
    (tmp_path / "s.yaml").write_text("a: 1\n")
    monkeypatch.chdir(tmp_path)
    doc = read_document("s.yaml")
    assert (doc.file, doc.lines[("a",)]) == ("s.yaml", ("s.yaml", 1))


# --------------------------------------------------------------------------- --set values
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", "30d"),
        ("4", 4),
        ("[1,2]", [1, 2]),
        ("16:00", "16:00"),
        ("400/day", "400/day"),
        ("95%", "95%"),
        ("1e3", 1000.0),
        ("yes", "yes"),
        ("{type: none}", {"type": "none"}),
        ("'quoted'", "quoted"),
        ("", None),
    ],
)
def test_parse_value(text: str, expected: object) -> None:
    """A --set value is read as a YAML 1.2 flow value."""
    assert parse_value(text) == expected


def test_parse_value_keeps_block_syntax_as_text() -> None:
    """Text that YAML would read as a block mapping stays the string it is."""
    assert parse_value("Peak: summer") == "Peak: summer"


def test_parse_value_refuses_python_tags() -> None:
    """A --set value cannot smuggle in a Python tag."""
    with pytest.raises(ValueError, match="the YAML tag !!python/name:os.system is not allowed"):
        parse_value("!!python/name:os.system")


def test_parse_value_reports_syntax_errors() -> None:
    """An unclosed list is a ValueError with YAML's reason."""
    with pytest.raises(ValueError, match="YAML syntax error"):
        parse_value("[1, 2")


def test_an_odd_space_in_a_comment_is_not_blamed_for_a_syntax_error():
    """A non-breaking space in a comment above an unclosed bracket: the bracket is reported."""
    text = "name: x\nrun: {horizon: 7d,\n# a comment\u00a0with a pasted space\ndemand: 1\n"
    with pytest.raises(ScenarioError) as info:
        parse_document(text, "shop.yaml")
    assert "non-breaking" not in str(info.value)
