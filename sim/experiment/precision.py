"""Replications, as many as needed: Law's relative-precision sequential procedure.

``run.replications: auto`` answers "how many replications?" with the precision a
planner asked for (``run.precision``, e.g. 2%) instead of a guess. The procedure is the
sequential one of Law, *Simulation Modeling and Analysis*, 5th ed. (McGraw-Hill 2015),
§9.4.1, applied to every headline measure of every scenario at once:

1. Run :data:`FIRST` replications (``0 .. 9``; fewer if ``max_replications`` is
   smaller) of every scenario.
2. For every headline measure that applies (:func:`measures_for`), compute the
   Student-t half-width ``h`` of its interval at ``run.confidence``. It is precise
   enough when ``h <= gamma' × scale``, with ``gamma' = gamma / (1 + gamma)`` for the
   target ``gamma`` (Law's adjustment: then the estimate's *relative error*
   ``|mean − true| / |true|`` is at most ``gamma`` with the interval's confidence) and
   ``scale`` the measure's ``|mean|``; see :func:`measures_for` for operating income.
3. Stop when every measure of every scenario is precise enough, or at
   ``max_replications``. Otherwise run more: the next count is
   ``min(max_replications, max(n + 5, min(2 n, ceil(n × r²))))``, where ``r`` is the
   largest ratio ``h / target`` (a half-width shrinks like ``1/sqrt(n)``, so ``n × r²``
   is the count that would just reach the target; never more than doubling, never
   fewer than 5 more). Go to 2.

Every scenario (the base and every variant) runs the same replications, so paired
comparisons stay paired; replication ``k`` always uses the same random streams, so its
numbers do not depend on how the count was reached. A sequential rule stops sooner when
the spread happens to be underestimated, so its final intervals can cover slightly
less often than stated; ``bench/precision.py`` measures the coverage over hundreds of
independent repetitions (``bench/RESULTS.md``).

pandas and scipy are imported by the functions (this runs in the parent process only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FIRST",
    "HEADLINE",
    "MIN_STEP",
    "Measure",
    "PrecisionReport",
    "assess",
    "measures_for",
    "next_count",
    "parse_measures",
]

#: The first batch: replications 0 .. 9.
FIRST = 10
#: Each later batch adds at least this many replications.
MIN_STEP = 5
#: The measures whose precision ``replications: auto`` controls (where they apply).
HEADLINE = ("throughput_per_day", "service_level", "operating_cost", "operating_income")


@dataclass
class Measure:
    """The precision reached by one measure of one scenario."""

    scenario: str
    metric: str
    subject: str
    mean: float
    half_width: float
    target: float  # the largest half-width that meets the precision
    n: int
    met: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        """``half_width / target``: at most 1 when met (inf when it cannot be judged)."""
        if self.target > 0 and math.isfinite(self.half_width):
            return self.half_width / self.target
        return 0.0 if self.met else math.inf


@dataclass
class PrecisionReport:
    """How ``replications: auto`` went: the target, the counts run, and what was reached."""

    precision: float
    confidence: float
    replications: int
    max_replications: int
    batches: list[int] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    #: The measures asked for (``"metric[subject]"``), or None: the headline measures.
    asked: list[str] | None = None

    @property
    def what(self) -> str:
        """Which measures the precision applies to, in words."""
        if self.asked is None:
            return "every headline measure"
        return "each of " + ", ".join(self.asked)

    @property
    def relative(self) -> float:
        """Law's ``gamma' = gamma / (1 + gamma)``: the half-width target relative to the mean."""
        return self.precision / (1.0 + self.precision)

    @property
    def met(self) -> bool:
        """Every measure reached the target."""
        return all(m.met for m in self.measures)

    @property
    def stopped_by(self) -> str:
        """``"precision"`` or ``"max_replications"``."""
        return "precision" if self.met else "max_replications"

    def evidence(self, scenario: str | None = None) -> dict[str, Any]:
        """What ``run.json`` records (for one scenario's measures, or all)."""
        return {
            "method": (
                "Law (2015) §9.4.1 relative-precision sequential procedure: every headline "
                "measure's half-width <= gamma/(1+gamma) × |mean|"
            ),
            "target": self.precision,
            "relative_half_width": self.relative,
            "confidence": self.confidence,
            "replications": self.replications,
            "batches": list(self.batches),
            "max_replications": self.max_replications,
            "stopped_by": self.stopped_by,
            "applies_to": "headline measures" if self.asked is None else list(self.asked),
            "measures": [
                {k: v for k, v in asdict(m).items() if k != "scenario" or scenario is None}
                for m in self.measures
                if scenario is None or m.scenario == scenario
            ],
        }


def parse_measures(names: Sequence[str] | None) -> list[tuple[str, str]] | None:
    """``["wait_mean_h[serve]", "service_level"]`` as ``(metric, subject)`` pairs (subject
    ``all`` when none is given); None stays None (the headline measures)."""
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    pairs = []
    for name in names:
        text = str(name).strip()
        if text.endswith("]") and "[" in text:
            metric, subject = text[:-1].split("[", 1)
            pairs.append((metric.strip(), subject.strip()))
        else:
            pairs.append((text, "all"))
    return pairs


def measures_for(rows: pd.DataFrame, scenario: str) -> list[tuple[str, str]]:
    """The headline measures that apply to ``scenario`` in ``rows`` (replication rows).

    ``throughput_per_day``, ``service_level`` and ``operating_cost`` whenever measured;
    ``operating_income`` only when the scenario sells something (some revenue). Its
    scale is ``max(|mean income|, mean operating_cost)``: an income near zero cannot be
    known to 2% of itself, so near break-even the target is 2% of what the operation
    costs.
    """
    own = rows[rows["scenario"] == scenario]
    names = set(own.loc[own["subject"] == "all", "metric"])
    chosen = [(m, "all") for m in HEADLINE if m in names and m != "operating_income"]
    revenue = own.loc[(own["metric"] == "revenue") & (own["subject"] == "all"), "value"]
    if "operating_income" in names and (revenue.fillna(0) != 0).any():
        chosen.append(("operating_income", "all"))
    return chosen


def assess(
    rows: pd.DataFrame,
    scenarios: Sequence[str],
    precision: float,
    confidence: float,
    measures: Sequence[tuple[str, str]] | None = None,
) -> list[Measure]:
    """The precision each measure of each scenario has reached in ``rows``.

    ``measures`` (``(metric, subject)`` pairs) replaces the headline measures; a
    measure a scenario does not report is noted and left out.
    """
    from sim.experiment.stats import t_interval

    relative = precision / (1.0 + precision)
    found: list[Measure] = []
    for scenario in scenarios:
        own = rows[rows["scenario"] == scenario]
        wanted = list(measures) if measures is not None else measures_for(rows, scenario)
        for metric, subject in wanted:
            values = own.loc[(own["metric"] == metric) & (own["subject"] == subject), "value"]
            if values.empty:
                continue
            interval = t_interval(values.to_numpy(dtype=float), confidence)
            scale = abs(interval.mean)
            note = ""
            if metric == "operating_income" and measures is None:
                cost = own.loc[
                    (own["metric"] == "operating_cost") & (own["subject"] == "all"), "value"
                ]
                floor = float(cost.mean()) if not cost.empty else 0.0
                if floor > scale:
                    scale, note = floor, "relative to the mean operating cost (income is smaller)"
            half = (interval.ci_high - interval.ci_low) / 2.0
            target = relative * scale
            if interval.n < 2:
                met, note = False, "fewer than 2 values: no interval yet"
            elif interval.sd == 0:
                met, half = True, 0.0
            elif not math.isfinite(half):
                met = False
            else:
                met = half <= target
            found.append(
                Measure(scenario, metric, subject, float(interval.mean), float(half),
                        float(target), int(interval.n), bool(met), note)  # fmt: skip
            )
    return found


def next_count(n: int, measures: Sequence[Measure], maximum: int) -> int:
    """How many replications to have after ``n`` that fell short of the target.

    ``min(maximum, max(n + MIN_STEP, min(2 n, ceil(n × r²))))`` with ``r`` the largest
    ``half_width / target``.

    >>> m = Measure("s", "throughput_per_day", "all", 100.0, 3.0, 2.0, 10, False)
    >>> next_count(10, [m], 200)   # (3/2)² × 10 = 22.5, at most doubling
    20
    """
    ratio = max((m.ratio for m in measures), default=1.0)
    wanted = n * ratio * ratio if math.isfinite(ratio) else 2 * n
    return int(min(maximum, max(n + MIN_STEP, min(2 * n, math.ceil(wanted)))))
