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

A syntax error is said in the planner's words where it can be
(:func:`explain_syntax_error`): a tab used to indent, a non-breaking space, a key
indented unlike its neighbours (at the line to fix, which is often a line or more
before the one where PyYAML gave up).
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
from sim.scenario.units import ODD_SPACES

__all__ = [
    "Document",  # defined in sim.scenario.paths (no YAML needed to use one); read here
    "YAML12Loader",
    "explain_syntax_error",
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
        if mark is not None:
            line, problem = explain_syntax_error(text, mark.line, mark.column, problem) or (
                line,
                problem,
            )
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


# --------------------------------------------------------------------------- explaining
# Parser messages that mean the block structure (indentation) went wrong.
_STRUCTURE = (
    "mapping values are not allowed",
    "did not find expected key",
    "did not find expected '-' indicator",
    "could not find expected ':'",
    "expected <block end>",
    "expected <document start>",
)


def explain_syntax_error(text: str, row: int, column: int, problem: str) -> tuple[int, str] | None:
    """A clearer ``(line, message)`` for a YAML syntax error at ``row``, ``column`` (0-based).

    PyYAML says where it gave up, in its own words. Three mistakes a planner makes are
    named instead, at the line where they are: a tab used to indent, a space that is
    not a space (a non-breaking space pasted from a web page), and a key indented
    unlike the keys beside it (the parser often notices only a line later). None when
    it is none of those.
    """
    lines = text.splitlines()
    here = lines[row] if row < len(lines) else ""
    indent = here[: len(here) - len(here.lstrip(" \t"))]
    if "\t" in indent or here[column : column + 1] == "\t":
        return row + 1, "a tab character: indent with spaces (YAML does not allow tabs to indent)"
    for back in range(min(row, len(lines) - 1), max(-1, row - 3), -1):
        code = lines[back].split("#", 1)[0]  # in a comment, an odd space does no harm
        for char, name in ODD_SPACES.items():
            if char in code:
                return back + 1, (
                    f"{name}, often pasted from a web page or a word processor: "
                    "replace it with an ordinary space"
                )
    if any(words in problem for words in _STRUCTURE):
        return _misaligned(lines, row)
    return None


def _content(lines: list[str]) -> list[tuple[int, int]]:
    """``(row, indent)`` of every line that starts a key or an item (not blank, not a
    comment, not inside a bracket left open on an earlier line)."""
    result = []
    depth = 0
    for row, raw in enumerate(lines):
        body = "" if raw.lstrip().startswith("#") else raw.split(" #", 1)[0].rstrip()
        if body.strip() and depth == 0:
            result.append((row, len(body) - len(body.lstrip(" "))))
        depth = max(0, depth + sum(body.count(c) for c in "[{") - sum(body.count(c) for c in "]}"))
    return result


def _misaligned(lines: list[str], row: int) -> tuple[int, str] | None:
    """The line, at or before ``row``, whose indentation is the mistake, and what to say.

    The parser notices a misplaced key where the structure breaks, often a line or more
    after it. So each line up to ``row`` (at most :data:`_LOOK_BACK`) is tried at the
    indentation of the lines around it, and the move that lets the parser read
    furthest (best: the whole file) names the line to fix; of equals, the one that does
    not turn the line into a top-level key, then one that puts a line off the file's
    unit of indentation (2 spaces, say) back on it, then the smallest move, then the
    line nearest the complaint (YAML takes the first key of a mapping as the one that
    sets its indentation).
    """
    content = _content(lines)
    before = [(r, n) for r, n in content if r <= row][-_LOOK_BACK:]
    if not before:
        return None
    first = before[0][0]
    levels = sorted({n for r, n in content if first <= r <= row + _LOOK_BACK})
    # The file's unit of indentation (2 spaces, say), from the indents used more than once.
    used = [n for _, n in content]
    step = math.gcd(*(n for n in set(used) if used.count(n) > 1)) or 2
    best: tuple[tuple[float, bool, bool, int, int], int, int] | None = None
    for r, n in before:
        for m in levels:
            if m == n:
                continue
            trial = list(lines)
            trial[r] = " " * m + lines[r].lstrip(" ")
            reach = _reach("\n".join(trial))
            # Furthest first; then a move that does not make a new top-level key, onto
            # the file's own unit of indentation, the smallest, nearest the complaint.
            rank = (reach, m > 0, m % step == 0 and n % step != 0, -abs(m - n), r)
            if reach > row and (best is None or rank > best[0]):
                best = (rank, n, m)
    if best is None:
        return None
    (*_, r), n, m = best
    return r + 1, (
        f"this line is indented {n} spaces; at {m} it would line up with the lines around "
        "it (keys of one mapping, and items of one list, must line up)"
    )


#: How many lines before the parser's complaint are tried as the misplaced one.
_LOOK_BACK = 15


def _reach(text: str) -> float:
    """The row (0-based) where parsing ``text`` fails, or infinity when it reads to the end."""
    loader = YAML12Loader(text)
    try:
        loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return float(mark.line) if mark is not None else -1.0
    except yaml.YAMLError:
        return -1.0
    finally:
        loader.dispose()
    return math.inf


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
