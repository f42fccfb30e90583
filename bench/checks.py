"""Guard rails (issue #12 B): where indentation slips are reported, and what the checks cost.

1. **Indentation slips.** Every content line of every example scenario (and the
   template of tests/bad_scenarios) is indented one or two spaces more or less, one line
   at a time; each file that no longer reads as YAML is loaded, and the line of the
   first problem reported is compared with the line that was changed. "raw" is the line
   PyYAML gives up on (what the loader said before), "named" the line the loader names
   now (sim.scenario.yamlio.explain_syntax_error).
2. **Cost of the checks.** ``sim.check`` on every example (base and every variant),
   best of 5, CPU time.

    python bench/checks.py
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

import yaml

from sim.errors import ScenarioError
from sim.scenario.checks import check
from sim.scenario.loader import load, loads
from sim.scenario.yamlio import YAML12Loader

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "tests" / "bad_scenarios" / "parts" / "valid.yaml"
]


def raw_line(text: str) -> int | None:
    """The line PyYAML itself reports for ``text`` (1-based), or None if it reads."""
    loader = YAML12Loader(text)
    try:
        loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark is not None else None
    finally:
        loader.dispose()
    return None


def slips() -> None:
    raw_hits = named_hits = total = 0
    misses: collections.Counter[int] = collections.Counter()
    for path in FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for row, line in enumerate(lines):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            for shift in (+1, -1, +2, -2):
                if indent + shift < 0:
                    continue
                changed = list(lines)
                changed[row] = " " * (indent + shift) + line.lstrip()
                text = "\n".join(changed)
                before = raw_line(text)
                if before is None:
                    continue  # still YAML: a schema error, not a syntax one
                try:
                    loads(text, "slip.yaml")
                except ScenarioError as exc:
                    named = exc.problems[0].line
                else:  # pragma: no cover - a syntax error always refuses the file
                    continue
                total += 1
                raw_hits += before == row + 1
                named_hits += named == row + 1
                if named != row + 1 and named is not None:
                    misses[named - (row + 1)] += 1
    print(f"{total} one-line indentation slips that break the YAML, in {len(FILES)} files")
    print(f"  raw PyYAML line right: {raw_hits} ({raw_hits / total:.1%})")
    print(f"  line named now right:  {named_hits} ({named_hits / total:.1%})")
    print(f"  misses by offset (named - changed): {dict(sorted(misses.items()))}")


def cost() -> None:
    for path in FILES[:-1]:
        scenario = load(path)
        best = min(_timed(scenario) for _ in range(5))
        found = check(scenario)
        print(f"  {path.name:22s} {1000 * best:7.1f} ms CPU, {len(found)} findings")


def _timed(scenario: object) -> float:
    start = time.process_time()
    check(scenario)  # type: ignore[arg-type]
    return time.process_time() - start


if __name__ == "__main__":
    print(f"Python {sys.version.split()[0]}")
    slips()
    print("sim.check, base and every variant, best of 5:")
    cost()
