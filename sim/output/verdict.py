"""The verdict on each variant, in plain words, from the paired comparisons.

A manager reads one sentence per variant: what it does to the money and to what a
customer sees, with the size and the unit, built from
:meth:`~sim.experiment.results.Results.compare` on the headline measures. A measure
counts as changed only when its paired difference is significant after Holm's
adjustment over the whole comparison table (the table's ``*``); anything else reads
"no difference detected", never "no difference": the statistics cannot show that two
scenarios are the same, only that a difference was or was not found. Money is the
total over the measured window (from the warm-up to the horizon), and the sentence
says so; nothing is scaled to a month.

>>> from sim.output.verdict import amount
>>> amount("operating_cost", 8712.4, "EUR"), amount("service_level", -0.0231, "fraction")
('+8,712 EUR', '-2.31 points')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.output.format import decimals, number

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.results import Results

__all__ = ["Verdict", "amount", "verdicts"]

#: How each headline measure reads in a sentence.
NAMES = {
    "throughput_per_day": "throughput",
    "service_level": "service level",
    "operating_cost": "operating cost",
    "operating_income": "operating income",
    "fill_rate": "fill rate",
    "abandon_rate": "share who gave up",
    "balk_rate": "share refused by a full queue",
}
#: The measures a customer sees: a change in them is the part of the verdict that says so.
CUSTOMER = ("service_level", "fill_rate", "abandon_rate", "balk_rate")
#: Measures where lower is better (every other headline measure: higher is better).
LOWER_IS_BETTER = ("operating_cost", "abandon_rate", "balk_rate")


@dataclass(frozen=True)
class Verdict:
    """One variant against its baseline: the sentence, and one line per measure."""

    scenario: str
    baseline: str
    sentence: str
    details: list[str] = field(default_factory=list)
    #: Whether any headline measure changed significantly.
    changed: bool = False


def amount(metric: str, value: float, unit: str, half: float = math.nan) -> str:
    """A signed difference with its unit: ``"+8,712 EUR"``, ``"-2.31 points"`` (a fraction's
    difference in percentage points), ``"+3.1 orders/day"``."""
    if unit == "fraction":
        value, half, unit = value * 100, half * 100, "points"
    places = decimals(value, half)
    return f"{number(value, places, sign=True)} {unit}".rstrip()


def _level(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{number(value * 100, decimals(value * 100, math.nan))}%"
    return f"{number(value, decimals(value, math.nan))} {unit}".rstrip()


def _names(metrics: list[str]) -> str:
    words = [NAMES.get(m, m.replace("_", " ")) for m in metrics]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _window(results: Results) -> str:
    """``"the 28-day measured window"``."""
    scenario = results.scenarios[0] if results.scenarios else None
    horizon = getattr(getattr(scenario, "run", None), "horizon", None)
    if not isinstance(horizon, int | float):
        return "the measured window"
    days = (float(horizon) - results.warmup_h()) / 24.0
    return f"the {days:.3g}-day measured window"


def _money_clause(rows: list[pd.Series], currency: str, window: str) -> str:
    """``"costs 8,635 EUR more to run and earns 8,635 EUR less operating income over ..."``."""
    parts = []
    for row in rows:
        size = number(abs(row["diff_mean"]), decimals(row["diff_mean"], math.nan))
        more = "more" if row["diff_mean"] > 0 else "less"
        if row["metric"] == "operating_cost":
            parts.append(f"costs {size} {currency} {more} to run")
        else:
            parts.append(f"earns {size} {currency} {more} operating income")
    return " and ".join(parts) + f" over {window}"


def _change_clause(row: pd.Series) -> str:
    metric, unit = str(row["metric"]), str(row["unit"])
    better = (row["diff_mean"] < 0) == (metric in LOWER_IS_BETTER)
    word = "better" if better else "worse"
    if metric not in CUSTOMER:  # more throughput is more work done, not a better service
        word = "higher" if row["diff_mean"] > 0 else "lower"
    return (
        f"{NAMES.get(metric, metric)} {_level(row['base_mean'], unit)} → "
        f"{_level(row['mean'], unit)} ({amount(metric, row['diff_mean'], unit)}, {word})"
    )


def _detail(row: pd.Series, confidence: float, tested: bool) -> str:
    metric, unit = str(row["metric"]), str(row["unit"])
    half = (row["diff_high"] - row["diff_low"]) / 2
    text = f"{NAMES.get(metric, metric)}: {amount(metric, row['diff_mean'], unit, half)}"
    if not tested:
        return text + " (one replication: not tested)"
    if not math.isfinite(row["p_adjusted"]):
        same = row["diff_mean"] == 0 and half == 0
        return text + (" (equal in every replication)" if same else " (not tested)")
    low = amount(metric, row["diff_low"], unit, half).rsplit(" ", 1)[0] if unit else ""
    interval = f"{low} to {amount(metric, row['diff_high'], unit, half)}"
    verdict = "significant *" if row["significant"] else "no difference detected"
    if not row["significant"] and (row["diff_low"] > 0 or row["diff_high"] < 0):
        verdict += " once adjusted for every comparison (its own interval excludes zero)"
    p = row["p_adjusted"]
    shown = "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"
    return f"{text} ({confidence:.0%} interval {interval}); Holm-adjusted {shown}: {verdict}"


def verdicts(results: Results) -> list[Verdict]:
    """One :class:`Verdict` per variant, in run order (none when only the base was run).

    The sentence names what it costs or earns (when operating cost or income changed
    significantly), then what customers see: the customer measures that changed, with
    their levels, or "no difference detected in what customers see (...)"; then the
    measures where no difference was detected. With one replication nothing can be
    tested, and the sentence says so instead.
    """
    metrics = results.headline_metrics()
    table = results.compare()
    table = table[(table["subject"] == "all") & table["metric"].isin(metrics)]
    rank = {m: i for i, m in enumerate(metrics)}
    currency = results.currency or "money"
    window = _window(results)
    tested = results.replication_count >= 2
    unstable = results.record.details.get("unstable") or {}
    found = []
    for name in results.names:
        if name in unstable and results.baselines.get(name, name) != name:
            why = str(unstable[name].get("message", "unstable")) if isinstance(
                unstable[name], dict) else "unstable"  # fmt: skip
            found.append(Verdict(name, results.baselines[name], f"no numbers: {why}"))
            continue
        rows = table[table["scenario"] == name]
        if rows.empty or results.baselines.get(name, name) == name:
            continue
        rows = rows.assign(_r=rows["metric"].map(rank)).sort_values("_r", kind="stable")
        details = [_detail(row, results.confidence, tested) for _, row in rows.iterrows()]
        if not tested:
            sentence = (
                "one replication only, so no difference can be tested; the observed "
                "differences below may be noise"
            )
            found.append(Verdict(name, results.baselines[name], sentence, details))
            continue
        significant = rows[rows["significant"].astype(bool)]
        changed = set(significant["metric"])
        clauses = []
        money = [significant[significant["metric"] == m].iloc[0]
                 for m in ("operating_cost", "operating_income") if m in changed]  # fmt: skip
        if money:
            clauses.append(_money_clause(money, currency, window))
        customer = [m for m in metrics if m in CUSTOMER]
        moved = [m for m in customer if m in changed]
        if moved:
            clauses.append(
                "customers see "
                + "; ".join(_change_clause(significant[significant["metric"] == m].iloc[0])
                            for m in moved)  # fmt: skip
            )
        elif customer:
            clauses.append(f"no difference detected in what customers see ({_names(customer)})")
        if "throughput_per_day" in changed:
            row = significant[significant["metric"] == "throughput_per_day"].iloc[0]
            clauses.append(_change_clause(row))
        measured = set(rows["metric"])
        unchanged = [m for m in metrics if m in measured and m not in changed and m not in customer]
        if unchanged:
            clauses.append(f"no difference detected in {_names(unchanged)}")
        sentence = "; ".join(clauses) + "."
        sentence = sentence[0].upper() + sentence[1:]
        found.append(Verdict(name, results.baselines[name], sentence, details, bool(changed)))
    return found
