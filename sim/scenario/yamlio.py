"""Reading scenario files: safe YAML 1.2, with the line of every key.

PyYAML speaks YAML 1.1, where ``16:00`` is the number 960 (base 60), ``on`` and ``no``
are booleans and ``1e3`` is a string, and where a repeated key silently keeps the last
value. A planner who forgets the quotes around a shift time must still get 16:00, so
this module reads files as YAML 1.2 (the core schema) instead, once, for every field:

* booleans are only ``true``/``false`` (also ``True``/``TRUE``...); ``yes``, ``no``,
  ``on`` and ``off`` stay strings;
* integers are decimal, ``0o17`` or ``0x1F``; ``16:00`` and ``08:00`` stay strings;
* floats include ``1e3``, ``.inf`` and ``.nan``; null is ``~``, ``null`` or nothing;
* a key given twice in one mapping is an error naming both lines;
* any tag that would build an object (``!!python/...``, ``!!set``, ``!custom``) is
  refused and never executed;
* mapping keys are always strings: a scalar key keeps its text (``0: x`` is key
  ``"0"``), a list or mapping used as a key is refused.

The file is composed into PyYAML's node tree once (by the C parser when available),
and turned into plain dicts, lists and scalars here, recording for every key path the
line it was written on, so that a later error can point at ``shop.yaml:12``.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import Problem, ScenarioError
from sim.scenario.paths import Document, KeyPath, Where, dotted

__all__ = [
    "Document",  # defined in sim.scenario.paths (no YAML needed to use one); read here
    "YAML12Loader",
    "parse_document",
    "parse_value",
    "read_document",
]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _STR = (_TAG + name for name in ("null", "bool", "int", "float", "str"))
_SEQ, _MAP = _TAG + "seq", _TAG + "map"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)

#: Nodes built at most per document: a guard against alias bombs ("billion laughs").
MAX_NODES = 1_000_000


class YAML12Loader(_BaseLoader):
    """PyYAML's safe loader with the YAML 1.2 core-schema implicit resolvers.

    Use it through :func:`parse_document`; its own ``construct_*`` methods are not
    used (building is done from the node tree, to keep line numbers).
    """

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}


def _add_resolver(tag: str, regexp: re.Pattern[str], first: str) -> None:
    for char in first:
        YAML12Loader.yaml_implicit_resolvers.setdefault(char, []).append((tag, regexp))


_add_resolver(_NULL, _NULL_RE, "~nN")
YAML12Loader.yaml_implicit_resolvers.setdefault("", []).append((_NULL, _NULL_RE))
_add_resolver(_BOOL, _BOOL_RE, "tTfF")
_add_resolver(_INT, _INT_RE, "-+0123456789")
_add_resolver(_FLOAT, _FLOAT_RE, "-+.0123456789")


# --------------------------------------------------------------------------- reading
def read_document(path: str | os.PathLike[str]) -> Document:
    """Read the scenario file at ``path`` (see :func:`parse_document`).

    Raises :class:`ScenarioError` with one problem when the file is missing, is a
    directory, cannot be read, is not UTF-8 text, or is not valid YAML.
    """
    file = os.fspath(path)
    try:
        with open(file, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        raise ScenarioError.one("file not found", file=file) from None
    except IsADirectoryError:
        raise ScenarioError.one("is a directory, not a scenario file", file=file) from None
    except PermissionError:
        raise ScenarioError.one("cannot read the file: permission denied", file=file) from None
    except OSError as exc:
        if os.path.isdir(file):  # Windows reports a directory as PermissionError/OSError
            raise ScenarioError.one("is a directory, not a scenario file", file=file) from None
        reason = exc.strerror or str(exc)
        raise ScenarioError.one(f"cannot read the file: {reason}", file=file) from None
    return parse_document(_decode(raw, file), file)


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise ScenarioError.one(
            f"the file is not UTF-8 text (byte 0x{byte:02x} cannot be read); "
            "save it with UTF-8 encoding",
            file=file,
            line=line,
        ) from None


def parse_document(text: str, file: str = "<string>") -> Document:
    """Parse scenario text into a :class:`Document` whose top level is a mapping.

    Raises :class:`ScenarioError` for a YAML syntax error (with its line), an empty
    document, a top level that is not a mapping, and for every duplicate key, refused
    tag and unusable key found (all of them at once, sorted by line).
    """
    root = _compose(text, file)
    if root is None:
        raise ScenarioError.one(
            "the file is empty; a scenario is a mapping with keys like name, run and demand",
            file=file,
        )
    builder = _Builder(file)
    data = builder.build(root, ())
    if builder.problems:
        raise ScenarioError(sorted(builder.problems, key=Problem.sort_key))
    if not isinstance(data, dict):
        raise ScenarioError.one(
            "the top level must be a mapping of keys (name, run, demand, ...), "
            f"not {builder.describe(root)}",
            file=file,
            line=root.start_mark.line + 1,
        )
    return Document(data=data, file=file, lines=builder.lines)


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` with the same YAML 1.2 rules.

    ``"30d"`` -> ``"30d"``, ``"4"`` -> ``4``, ``"[1,2]"`` -> ``[1, 2]``, ``"16:00"`` ->
    ``"16:00"``, ``"{type: none}"`` -> ``{"type": "none"}``, ``""`` -> ``None``. Text
    that YAML would read as a block mapping or list (``"a: b"``, ``"- x"``) is kept
    as the string it is. Raises ``ValueError`` with a short reason when it cannot be
    read (an unclosed ``[``, a refused tag, ...).
    """
    try:
        root = _compose(text, "--set")
    except ScenarioError as exc:
        raise ValueError(exc.problems[0].message) from None
    if root is None:
        return None
    if isinstance(root, MappingNode | SequenceNode) and not root.flow_style:
        return text.strip()
    builder = _Builder("--set")
    value = builder.build(root, ())
    if builder.problems:
        raise ValueError(builder.problems[0].message)
    return value


def _compose(text: str, file: str) -> Node | None:
    loader = None
    try:
        loader = YAML12Loader(text)
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "cannot be read"
        context = exc.context_mark
        if (
            exc.problem
            and exc.context
            and context is not None
            and mark is not None
            and context.line != mark.line
        ):
            problem += f" ({exc.context} on line {context.line + 1})"
        raise ScenarioError.one(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        char = exc.character
        shown = f"#x{ord(char):04x}" if isinstance(char, str) else f"#x{char:04x}"
        raise ScenarioError.one(
            f"YAML syntax error: the character {shown} is not allowed in a YAML file",
            file=file,
            line=line,
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - other parser failures
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot be read"
        raise ScenarioError.one(f"YAML syntax error: {first}", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()


# --------------------------------------------------------------------------- building
class _Builder:
    """Turns a node tree into plain data, recording lines and collecting problems."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[KeyPath, Where] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()  # nodes being built: a recursive alias never ends

    def problem(self, node: Node, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, dotted(path), message))

    def build(self, node: Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.problem(node, path, f"more than {MAX_NODES} values (are aliases nested?)")
            return None
        if id(node) in self.active:
            self.problem(node, path, "an alias refers to the value that contains it")
            return None
        self.lines.setdefault(path, (self.file, node.start_mark.line + 1))
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            assert isinstance(node, ScalarNode)  # the only other kind of node
            return self._scalar(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any] | None:
        if node.tag != _MAP:
            self._refuse_tag(node, path)
            return None
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                self.problems.append(
                    Problem(
                        self.file,
                        line,
                        dotted((*path, key)),
                        f'duplicate key "{key}" (first given on line {seen[key]})',
                    )
                )
                continue
            seen[key] = line
            self.lines[(*path, key)] = (self.file, line)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _sequence(self, node: SequenceNode, path: KeyPath) -> list[Any] | None:
        if node.tag != _SEQ:
            self._refuse_tag(node, path)
            return None
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _key(self, node: Node, path: KeyPath) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(node, path, f"a key must be a plain name, not {self.describe(node)}")
            return None
        if node.tag not in (_NULL, _BOOL, _INT, _FLOAT, _STR):
            self._refuse_tag(node, path)
            return None
        return str(node.value)

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _NULL and _NULL_RE.match(text):
            return None
        if tag == _BOOL and _BOOL_RE.match(text):
            return text.lower() == "true"
        if tag == _INT and _INT_RE.match(text):
            if text.startswith(("0o", "0x")):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text)
        if tag == _FLOAT and (_FLOAT_RE.match(text) or _INT_RE.match(text)):
            lowered = text.lower()
            if lowered.endswith(".nan"):
                return math.nan
            if lowered.endswith(".inf"):
                return -math.inf if text.startswith("-") else math.inf
            return float(int(text, 0) if text.startswith(("0o", "0x")) else text)
        if tag in (_NULL, _BOOL, _INT, _FLOAT):
            name = tag[len(_TAG) :]
            self.problem(node, path, f'"{text}" is not a valid !!{name}')
            return None
        self._refuse_tag(node, path)
        return None

    def _refuse_tag(self, node: Node, path: KeyPath) -> None:
        tag = node.tag
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.problem(
            node,
            path,
            f"the YAML tag {shown} is not allowed: a scenario holds only plain values, "
            "lists and mappings",
        )

    @staticmethod
    def describe(node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return f"the value {node.value!r}"
