"""Validation with errors a planner can act on: the base, its variants, its sweep, changes.

:func:`validate` checks a :class:`~sim.scenario.paths.Document` against a pydantic
model class (:class:`sim.scenario.models.Scenario`, for one): the base, then every
variant (the base with its dotted changes) and every sweep grid path, and reports
every problem found, in all of them, at once, as one :class:`~sim.errors.ScenarioError`
with one line per problem::

    shop.yaml:12: demand.arrivals.rate: expected a rate like "400/day" (got 400)

pydantic's errors are translated here, once: their ``loc`` is walked through the data
(skipping the segments pydantic adds for unions and validators), and the message is
rephrased for a planner, with a "did you mean" for unknown keys.

Nothing here reads YAML (:mod:`sim.scenario.loader` does) or knows the scenario's
models: the model class is a parameter, so :class:`~sim.scenario.models.Scenario` can
use this module to apply its own changes without pulling in PyYAML.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.paths import (
    Document,
    KeyPath,
    PathError,
    dotted,
    plain_copy,
    set_path,
    split_path,
)
from sim.scenario.units import ODD_SPACES, describe

__all__ = [
    "RUN_PLAN_KEYS",
    "Provenance",
    "apply_changes",
    "field_names_at",
    "problems_from_validation_error",
    "validate",
    "without_run_plan",
]

#: Top-level keys that plan runs of a scenario (its variants, its sweep) rather than
#: describe the business: a variant or a sweep point starts from the data without them.
RUN_PLAN_KEYS = ("variants", "sweep", "optimize")


M = TypeVar("M", bound=BaseModel)


def without_run_plan(data: Mapping[str, Any]) -> dict[str, Any]:
    """The top level of ``data`` without :data:`RUN_PLAN_KEYS` (not copied below it)."""
    return {key: value for key, value in data.items() if key not in RUN_PLAN_KEYS}


# --------------------------------------------------------------------------- errors
def problems_from_validation_error(
    exc: ValidationError,
    doc: Document,
    model_cls: type[BaseModel],
    prefix: KeyPath = (),
) -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` s located in the YAML document.

    ``model_cls`` is the model that validated the data found at ``prefix`` in ``doc``.
    Each error's ``loc`` is walked through the data, skipping segments that are not keys
    or indices there (union tags, ``function-after[...]``); the problem takes the line
    of the deepest path found (for a missing key, of its parent) and the dotted key of
    the whole meaningful ``loc``. Messages are rephrased (``missing required key "x"``,
    ``unknown key "polcy" (did you mean "policy"?)``, ``expected a number (got 'x')``).
    Returns the problems sorted by file and line, one per error (two errors of a plain
    union about the same value are merged into one).
    """
    problems = []
    for error in _translate(exc, doc.data, model_cls, tuple(prefix)):
        file, line = doc.where(error.found)
        problems.append(Problem(file, line, dotted(error.path), error.message))
    return sorted(dict.fromkeys(problems), key=Problem.sort_key)


class _Error(NamedTuple):
    """A pydantic error translated: where it is, what it says, and pydantic's kind of it."""

    path: KeyPath  # the whole meaningful loc, with a missing key at its end
    found: KeyPath  # the deepest part of ``path`` that exists in the data
    message: str
    kind: str  # pydantic's error type ("missing", "extra_forbidden", ...), "union" when merged


def _translate(
    exc: ValidationError, data: Any, model_cls: type[BaseModel], prefix: KeyPath
) -> list[_Error]:
    """One :class:`_Error` for each of pydantic's errors, those of a plain union merged."""
    merged: dict[tuple[KeyPath, KeyPath], list[Any]] = {}
    order: list[tuple[KeyPath, KeyPath]] = []
    for error in _expand_errors(exc.errors(include_url=False)):
        found, extra = _locate(data, prefix, tuple(error["loc"]), error["type"])
        path = (*found, *extra)
        where = (path, found)
        if where not in merged:
            merged[where] = []
            order.append(where)
        merged[where].append(error)
    result = []
    for where in order:
        path, found = where
        errors = merged[where]
        expected = [words for e in errors if (words := _expected(e)) is not None]
        if len(expected) > 1 and len(expected) == len(errors):
            # A plain union reports one error per member: say it once.
            wanted = list(dict.fromkeys(expected))
            got = describe(errors[0].get("input"))
            result.append(
                _Error(path, found, f"expected {' or '.join(wanted)} (got {got})", "union")
            )
            continue
        for error in errors:
            tag = _unknown_tag(error)
            if tag is not None:  # "dist: gama": said at the dist key, with the choices
                key, message = tag
                result.append(_Error((*path, key), (*found, key), message, "unknown_tag"))
                continue
            relative = path[len(prefix) :]
            node = _node_at(data, found[:-1]) if error.get("type") == "extra_forbidden" else None
            message = _message(error, model_cls, relative, node) + _hint(error.get("input"))
            result.append(_Error(path, found, message, str(error.get("type", ""))))
    return result


def _node_at(data: Any, path: KeyPath) -> Any:
    """The value at ``path`` in ``data`` (a path found by :func:`_locate`, so it exists)."""
    for key in path:
        data = data[key]
    return data


# A discriminated union's own message ends "... a mapping with dist: one of a, b, c".
_TAGGED = re.compile(r"with (\w+): one of ([\w, ]+)$")


def _unknown_tag(error: Mapping[str, Any]) -> tuple[str, str] | None:
    """``("dist", 'unknown dist "gama" (did you mean "gamma"?); expected one of ...')`` when a
    mapping names a kind (``dist``, ``type``) its union does not have; else None."""
    match = _TAGGED.search(str(error.get("msg", "")))
    value = error.get("input")
    if match is None or not isinstance(value, dict):
        return None
    key, options = match.group(1), [o.strip() for o in match.group(2).split(",")]
    got = value.get(key)
    if not isinstance(got, str) or got in options:
        return None
    return key, (
        f'unknown {key} "{got}"{_did_you_mean(got, options)}; expected one of '
        + ", ".join(options)
    )


def _did_you_mean(got: str, options: Sequence[str]) -> str:
    """`` (did you mean "gamma"?)`` for the option closest to ``got``, ignoring case; or ``""``."""
    lowered = {option.lower(): option for option in options}
    if got.lower() in lowered:
        return f' (did you mean "{lowered[got.lower()]}"?)'
    close = difflib.get_close_matches(got.lower(), list(lowered), n=1)
    return f' (did you mean "{lowered[close[0]]}"?)' if close else ""


_THOUSANDS = re.compile(r"^\s*[-+]?\d{1,3}(?:,\d{3})+(?!\d)")
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+")


def _hint(value: Any) -> str:
    """A hint for text a person reads as right but the format does not (``3,20``, odd spaces)."""
    if not isinstance(value, str):
        return ""
    for char, name in ODD_SPACES.items():
        if char in value:
            return f"; it holds {name}: replace it with an ordinary space"
    if _THOUSANDS.match(value):
        return "; write numbers without a thousands separator (1000), and decimals with a dot"
    if _DECIMAL_COMMA.match(value):
        return f"; write decimals with a dot: {value.replace(',', '.', 1).strip()!r}"
    return ""


def _expand_errors(errors: list[Any]) -> list[Any]:
    """Split an error that carries several located problems into one error each.

    A validator may raise a ``ValueError`` with a ``problems`` attribute holding
    ``(loc, message)`` pairs, ``loc`` relative to where it was raised (as
    :class:`sim.scenario.models.CrossReferenceError` does); each becomes its own error.
    """
    result = []
    for error in errors:
        cause = (error.get("ctx") or {}).get("error")
        located = getattr(cause, "problems", None)
        if error.get("type") == "value_error" and isinstance(located, list) and located:
            for loc, message in located:
                result.append(
                    {
                        "type": "value_error",
                        "loc": (*error["loc"], *loc),
                        "msg": str(message),
                        "input": None,
                    }
                )
        else:
            result.append(error)
    return result


def _locate(data: Any, prefix: KeyPath, loc: KeyPath, kind: str) -> tuple[KeyPath, KeyPath]:
    """Walk ``loc`` through ``data`` (from ``prefix``): the path found, plus a missing key."""
    node = data
    for key in prefix:
        node = node[key]
    found: list[str | int] = list(prefix)
    for index, segment in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and isinstance(segment, str) and segment in node:
            node = node[segment]
            found.append(segment)
        elif (
            isinstance(node, list)
            and isinstance(segment, int)
            and not isinstance(segment, bool)
            and 0 <= segment < len(node)
        ):
            node = node[segment]
            found.append(segment)
        elif last and kind == "missing" and isinstance(segment, str):
            return tuple(found), (segment,)
    return tuple(found), ()


_EXPECTED_WORDS = {
    "a valid dictionary": "a mapping",
    "a valid list": "a list",
    "a valid integer": "a whole number",
    "a valid number": "a number",
    "a valid string": "text",
    "a valid boolean": "true or false",
    "a valid tuple": "a list",
    "a valid set": "a list",
    "a finite number": "a finite number",
}
_COMPARISONS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of"}


def _expected(error: Mapping[str, Any]) -> str | None:
    """What a type error says was expected (``"a number"``), or None for other errors."""
    msg = str(error.get("msg", ""))
    if error.get("type") in _COMPARISONS or not msg.startswith("Input should be "):
        return None
    wanted = msg[len("Input should be ") :]
    if wanted.startswith("a valid dictionary") or error.get("type") in (
        "model_type",
        "model_attributes_type",
        "dataclass_type",
    ):
        return "a mapping"
    if error.get("type") == "int_from_float":
        return "a whole number"
    if wanted.startswith("a valid "):
        wanted = wanted.split(",")[0]  # "a valid integer, unable to parse string as ..."
    return _EXPECTED_WORDS.get(wanted, wanted)


def _message(
    error: Mapping[str, Any], model_cls: type[BaseModel], path: KeyPath, node: Any = None
) -> str:
    """The planner's wording of one pydantic error (``node``: the mapping holding an
    unknown key, to tell which kind of distribution or policy it is)."""
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return f'missing required key "{path[-1] if path else ""}"'
    if kind == "extra_forbidden":
        return _unknown_key(str(path[-1]) if path else "", model_cls, path[:-1], node)
    if kind == "literal_error" and isinstance(value, str):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"expected {ctx.get('expected', '?')} (got {value!r}){_did_you_mean(value, options)}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "assertion_error":
        return msg.removeprefix("Assertion failed, ")
    if kind == "union_tag_invalid":
        return f"expected one of {ctx.get('expected_tags', '?')} (got {describe(ctx.get('tag'))})"
    if kind == "union_tag_not_found":
        discriminator = str(ctx.get("discriminator", ""))
        if discriminator.startswith("'") and discriminator.endswith("'"):
            return f'missing required key "{discriminator[1:-1]}"'
        return f"cannot tell what kind of value this is (got {describe(value)})"
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        if ctx.get("field_type") == "Dictionary":
            things = "entry" if limit == 1 else "entries"
        else:
            things = "item" if limit == 1 else "items"
        bound = "at least" if kind == "too_short" else "at most"
        return f"expected {bound} {limit} {things} (got {ctx.get('actual_length', '?')})"
    expected = _expected(error)
    if expected is not None:
        return f"expected {expected} (got {describe(value)})"
    if kind in _COMPARISONS and msg.startswith("Input should be "):
        return f"must be {msg[len('Input should be ') :]} (got {describe(value)})"
    if "(got " in msg or kind not in _PYDANTIC_KINDS:
        return msg  # a custom message already says what it got
    return f"{msg[:1].lower()}{msg[1:]} (got {describe(value)})"


# Error kinds raised by pydantic itself (their messages do not show the value).
_PYDANTIC_KINDS = {
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "enum",
    "literal_error",
    "int_parsing",
    "float_parsing",
    "bool_parsing",
    "finite_number",
    "frozen_instance",
    "is_instance_of",
    "callable_type",
    "none_required",
    "url_parsing",
}


def _unknown_key(name: str, model_cls: type[BaseModel], path: KeyPath, node: Any) -> str:
    """``unknown key "polcy" (did you mean "policy"?)``, or, for a kind of distribution or
    policy, ``unknown key "cv" (exponential takes only mean)``."""
    names = field_names_at(model_cls, path, node)
    close = [n for n in difflib.get_close_matches(name, sorted(names), n=1) if n != name]
    if close:
        return f'unknown key "{name}" (did you mean "{close[0]}"?)'
    for tag in _TAG_KEYS:
        kind = node.get(tag) if isinstance(node, dict) else None
        if isinstance(kind, str) and tag in names:
            others = sorted(names - {tag})
            takes = ", ".join(others) if others else "nothing else"
            return f'unknown key "{name}" ({kind} takes only {takes})'
    return f'unknown key "{name}"'


#: Keys that say which member of a union a mapping is (a distribution's, a policy's).
_TAG_KEYS = ("dist", "type")


def field_names_at(model_cls: type[BaseModel], path: KeyPath, node: Any = None) -> set[str]:
    """The keys allowed at ``path`` by ``model_cls`` (for "did you mean" suggestions).

    The annotations are walked through Optional, Union, Annotated, ``list[...]`` and
    ``dict[str, ...]``; where a union offers several models, their keys are pooled,
    unless ``node`` (the mapping found at ``path``) names its kind (``dist: exponential``):
    then only the keys of that kind count.
    """
    current: list[Any] = [model_cls]
    for segment in path:
        following: list[Any] = []
        for annotation in _expand(current):
            origin = typing.get_origin(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                field = annotation.model_fields.get(segment) if isinstance(segment, str) else None
                if field is None and isinstance(segment, str):
                    field = next(
                        (f for f in annotation.model_fields.values() if f.alias == segment), None
                    )
                if field is not None:
                    following.append(field.annotation)
            elif origin in (dict, Mapping, typing.Mapping):
                args = typing.get_args(annotation)
                if len(args) == 2:
                    following.append(args[1])
            elif origin in (list, tuple, Sequence) and isinstance(segment, int):
                following.extend(arg for arg in typing.get_args(annotation) if arg is not Ellipsis)
        current = following
    models = [a for a in _expand(current) if isinstance(a, type) and issubclass(a, BaseModel)]
    if isinstance(node, dict):
        for tag in _TAG_KEYS:
            kind = node.get(tag)
            chosen = [m for m in models if _has_kind(m, tag, kind)]
            if chosen:
                models = chosen
                break
    names: set[str] = set()
    for model in models:
        for name, field in model.model_fields.items():
            names.add(field.alias or name)
    return names


def _has_kind(model: type[BaseModel], tag: str, kind: Any) -> bool:
    """Whether ``model``'s ``tag`` field (a Literal) accepts ``kind``."""
    field = model.model_fields.get(tag)
    return field is not None and kind in typing.get_args(field.annotation)


def _expand(annotations: list[Any]) -> list[Any]:
    """Unwrap Annotated and unions; a ``list[X]`` also offers ``X`` (one-or-many fields)."""
    result: list[Any] = []
    stack = list(annotations)
    seen: set[int] = set()
    while stack:
        annotation = stack.pop()
        if id(annotation) in seen:
            continue
        seen.add(id(annotation))
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            stack.append(args[0])
        elif origin is typing.Union or origin is types.UnionType:
            stack.extend(args)
        else:
            result.append(annotation)
            if origin in (list, Sequence):
                stack.extend(args)
    return result


# --------------------------------------------------------------------------- variants
@dataclass(frozen=True)
class _BaseProblems:
    """What is wrong with the base, so that its variants neither repeat it nor trip on it."""

    #: ``(path, message)`` of every base problem: reported once, for the base.
    errors: frozenset[tuple[KeyPath, str]] = frozenset()
    #: Keys the base misses or does not know (a misspelling, most likely).
    bad_keys: frozenset[KeyPath] = frozenset()

    @classmethod
    def of(cls, translated: list[_Error]) -> _BaseProblems:
        return cls(
            frozenset((error.path, error.message) for error in translated),
            frozenset(
                error.path for error in translated if error.kind in ("missing", "extra_forbidden")
            ),
        )

    def explain(self, data: Any, text: str) -> bool:
        """Whether the path ``text``, which does not exist in ``data``, fails because of a
        key the base already reports as missing or unknown.

        With ``polcy:`` misspelt in the base, ``products.widget.policy.s`` in a variant
        fails at ``policy``; the base's "did you mean "policy"?" says it all, so the
        variant's problem is left out. A key the base reports elsewhere, or another key
        of the same mapping that is not close to the one wanted, explains nothing.
        """
        try:
            path = split_path(text)
        except PathError:
            return False
        node: Any = data
        container: KeyPath = ()
        for key in path:
            if isinstance(node, dict) and str(key) in node:
                node = node[str(key)]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            elif isinstance(node, dict):
                wanted = str(key)
                known = [str(bad[-1]) for bad in self.bad_keys if bad[:-1] == container]
                return wanted in known or bool(difflib.get_close_matches(wanted, known, n=1))
            else:
                return False  # an index out of range or a value that is not a mapping
            container = (*container, key)
        return False


def _variant_problems(
    doc: Document, model_cls: type[BaseModel], base: _BaseProblems
) -> list[Problem]:
    variants = doc.data.get("variants")
    if not isinstance(variants, dict):
        return []
    start = without_run_plan(doc.data)
    problems: list[Problem] = []
    for name, changes in variants.items():
        if not isinstance(changes, dict):
            continue  # the base validation says what a variant must be
        variant_path: KeyPath = ("variants", name)
        data = start
        applied: list[tuple[KeyPath, KeyPath]] = []  # (change path, where it is written)
        for text, value in changes.items():
            written = (*variant_path, text)
            try:
                path = split_path(text)
                data = set_path(data, path, value)
            except PathError as exc:
                if not base.explain(data, text):
                    problems.append(doc.problem(written, str(exc)))
                continue
            applied.append((path, written))
        try:
            model_cls.model_validate(data)
        except ValidationError as exc:
            for error in _translate(exc, data, model_cls, ()):
                if (error.path, error.message) in base.errors:
                    continue  # the base has it too: reported once, for the base
                problems.append(
                    _variant_problem(doc, variant_path, applied, error.path, error.message)
                )
    return problems


def _variant_problem(
    doc: Document,
    variant_path: KeyPath,
    applied: list[tuple[KeyPath, KeyPath]],
    path: KeyPath,
    message: str,
) -> Problem:
    """Locate an error of a variant at the change that caused it."""
    inside = [(change, at) for change, at in applied if path[: len(change)] == change]
    around = [(change, at) for change, at in applied if change[: len(path)] == path]
    for change, written in sorted(inside, key=lambda item: -len(item[0])) + around:
        file, line = doc.where(written)
        text = message if path == change else f"{dotted(path)}: {message}"
        return Problem(file, line, dotted(written), text)
    file, line = doc.where(variant_path)
    return Problem(file, line, dotted(variant_path), f"{dotted(path)}: {message}")


def _sweep_problems(doc: Document, base: _BaseProblems) -> list[Problem]:
    """Grid paths of ``sweep`` that do not exist in the base (values are checked per point)."""
    sweep = doc.data.get("sweep")
    grid = sweep.get("grid") if isinstance(sweep, dict) else None
    if not isinstance(grid, dict):
        return []
    start = without_run_plan(doc.data)
    problems = []
    for text, values in grid.items():
        if not isinstance(values, list) or not values:
            continue  # the base validation says what a grid must be
        try:
            set_path(start, split_path(text), values[0])
        except PathError as exc:
            if not base.explain(start, text):
                problems.append(doc.problem(("sweep", "grid", text), str(exc)))
    return problems


# --------------------------------------------------------------------------- validating
def validate(
    doc: Document,
    model_cls: type[M],
    *,
    problems: Sequence[Problem] = (),
    variants: bool = True,
) -> M:
    """Validate a raw document and all its variants; raise one ScenarioError for all.

    ``problems`` found earlier (bad overrides) are reported with the rest. With
    ``variants=False`` only the base is checked (each variant and sweep path is not).
    The document travels in the validation context (:meth:`Provenance.of` reads it),
    so a model that keeps its provenance knows the file and line of every key.
    """
    found = list(problems)
    model = None
    base = _BaseProblems()
    try:
        model = model_cls.model_validate(doc.data, context={_DOCUMENT: doc})
    except ValidationError as exc:
        base = _BaseProblems.of(_translate(exc, doc.data, model_cls, ()))
        found.extend(problems_from_validation_error(exc, doc, model_cls))
    if variants:
        found.extend(_variant_problems(doc, model_cls, base))
        found.extend(_sweep_problems(doc, base))
    if found:
        raise ScenarioError(sorted(dict.fromkeys(found), key=Problem.sort_key))
    assert model is not None
    return model


# --------------------------------------------------------------------------- provenance
#: The key under which :func:`validate` puts the document in pydantic's validation context.
_DOCUMENT = "sim.scenario.document"


@dataclass(frozen=True, eq=False)
class Provenance:
    """What a model was validated from: the planner's data and where it came from.

    ``data`` is a private copy of the plain data validated (dicts, lists and scalars as
    written, ``"600/day"`` rather than a number per hour: after ``extends``, ``--set``
    and earlier changes). ``document`` is the :class:`Document` it was read from, with
    the file and line of every key, or None for data made in code. Changes are applied
    to ``data`` and validated again (:func:`apply_changes`), so that a change is written
    as in a file and a problem is reported where the planner wrote the value.
    """

    data: Mapping[str, Any]
    document: Document | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any], context: Any) -> Provenance:
        """The provenance of a model validated from ``data`` with this validation context."""
        document = context.get(_DOCUMENT) if isinstance(context, dict) else None
        return cls(plain_copy(dict(data)), document if isinstance(document, Document) else None)

    def without_run_plan(self) -> Provenance:
        """The same, without the top-level :data:`RUN_PLAN_KEYS` (variants and sweep)."""
        return Provenance(without_run_plan(self.data), self.document)


def apply_changes(model_cls: type[M], made_from: Provenance, changes: Mapping[str, Any]) -> M:
    """A new ``model_cls``: the data ``made_from`` with ``{"dotted.path": value}`` changes.

    Values are written as in a file (``"600/day"``, not a number of hours) and set with
    the rules of :func:`sim.scenario.paths.set_path`; the result is validated again
    (its variants are not). Raises one :class:`ScenarioError` for every path that does
    not exist or, failing that, every problem of the result: a changed value under its
    dotted key alone, any other problem at its line in the original file.
    """
    data: Any = plain_copy(made_from.data)
    document = made_from.document
    lines = dict(document.lines) if document is not None else {}
    problems: list[Problem] = []
    for text, value in changes.items():
        try:
            path = split_path(text)
            data = set_path(data, path, value)
        except PathError as exc:
            problems.append(Problem(None, None, str(text), str(exc)))
            continue
        lines = {p: w for p, w in lines.items() if p[: len(path)] != path}
        lines[path] = (None, None)
    if problems:
        raise ScenarioError(problems)
    file = document.file if document is not None else "<changes>"
    return validate(Document(data=data, file=file, lines=lines), model_cls, variants=False)
