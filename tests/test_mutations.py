"""Random damage to a valid scenario is either accepted or refused with a ScenarioError.

Whatever a planner (or a sweep generator) does to a file, the loader must never fail
with a traceback: a KeyError, TypeError or AttributeError from deep inside validation
is a bug. Each example takes the valid scenario in ``bad_scenarios/parts/valid.yaml``,
applies one to three random mutations to its raw data, writes it back as YAML and loads it.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.loader import load_raw, loads
from sim.scenario.paths import iter_paths

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C emitter is 5x faster
VALID = Path(__file__).parent / "bad_scenarios" / "parts" / "valid.yaml"
BASE = load_raw(VALID).data
PATHS = [path for path in iter_paths(BASE) if path]

# Values a planner might plausibly write, right or wrong for the key they land on.
# fmt: off
PLAUSIBLE = st.sampled_from(
    [
        "5d", "-1h", "0d", "400/day", "20/h", "1/week", "16:00", "24:00", "25:00", "95%",
        "120%", "mon", "sat", "none", "s_S", "r_Q", "periodic", "base_stock", "constant",
        "poisson", "exponential", "triangular", "lognormal", "empirical", "backorder",
        "lost", "allocate", "acme", "pickers", "widget", "gadget", "yes", "", "1e3",
        "staff.pickers.headcount", "a..b", "0", 0, 1, -1, 2.5, 10**30, math.nan, math.inf,
        True, False, None, [], {},
    ]
)
# fmt: on
TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=8)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    PLAUSIBLE,
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


def _exists(data: Any, path: tuple[Any, ...]) -> bool:
    node = data
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return False
    return True


@st.composite
def mutation(draw: st.DrawFn, data: Any) -> None:
    """Apply one random mutation to ``data`` in place."""
    paths = [path for path in PATHS if _exists(data, path)] or [("name",)]
    path = draw(st.sampled_from(paths))
    if not _exists(data, path):
        data[path[0]] = draw(VALUE)
        return
    parent, key = _parent(data, path), path[-1]
    kind = draw(st.sampled_from(["delete", "replace", "plausible", "rename", "duplicate"]))
    if kind == "delete":
        del parent[key]
    elif kind == "replace":
        parent[key] = draw(VALUE)
    elif kind == "plausible":
        parent[key] = draw(PLAUSIBLE)
    elif kind == "rename" and isinstance(parent, dict):
        new = draw(st.one_of(TEXT, st.just(str(key)[:-1] or "x"), st.just(str(key).upper())))
        parent[new] = parent.pop(key)
    elif kind == "duplicate":
        target = draw(st.sampled_from(paths))
        if _exists(data, target) and target[: len(path)] != path:
            holder = _parent(data, target)
            value = copy.deepcopy(parent[key])
            if isinstance(holder, list):
                holder.append(value)
            else:
                holder[target[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The valid scenario's raw data with one to three mutations."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        draw(mutation(data))
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenario_loads_or_raises_scenario_error(data: Any) -> None:
    """A mutated scenario either loads or raises ScenarioError, never another exception."""
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    try:
        loads(text, "mutated.yaml")
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message and "\n" not in problem.message
            assert "Traceback" not in str(problem)


def test_valid_base_loads() -> None:
    """The unmutated scenario loads (so the property above tests something)."""
    loads(yaml.safe_dump(BASE, sort_keys=False), "valid.yaml")
