"""The files and the figure of ``optimize``: ``decision.csv``, ``best.yaml``, ``decision.png``.

:func:`decision_figure` draws, for each constraint, every candidate's objective (with its
interval) against that constraint's measure (with its interval): the threshold is a
dashed line with its tolerance band, candidates found infeasible or eliminated are grey,
the feasible ones coloured, and the best one a large star, so a planner sees at a glance
where the best plan sits and what it gives up. With no constraints, one panel shows the
objective of every candidate.

:func:`write_decision` writes every file at once, each one atomically (a file is either
the old one or the new one, never half of one).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from sim.output.format import money_short

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.experiment.optimize.results import Decision

__all__ = ["FILES", "decision_figure", "format_decision", "write_decision"]

#: The files :func:`write_decision` writes (``best.yaml`` only when a plan is feasible).
FILES = ("decision.csv", "best.yaml", "decision.png", "report.html", "run.json")

_STYLE = {
    "best": {"color": "tab:orange", "marker": "*", "s": 380, "zorder": 6,
             "edgecolors": "black", "label": "best"},
    "feasible": {"color": "tab:green", "marker": "o", "s": 60, "zorder": 4,
                 "label": "feasible"},
    "undecided": {"color": "tab:blue", "marker": "o", "s": 50, "zorder": 3,
                  "label": "undecided (budget ran out)"},
    "eliminated": {"color": "tab:grey", "marker": "o", "s": 40, "zorder": 2, "alpha": 0.7,
                   "label": "eliminated (worse objective)"},
    "infeasible": {"color": "lightgrey", "marker": "X", "s": 50, "zorder": 1,
                   "label": "infeasible"},
}  # fmt: skip


def _is_fraction(text: str) -> bool:
    return "%" in text


def _axis_format(ax: Axes, axis: str, percent: bool, money: bool) -> None:
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    if percent:
        target.set_major_formatter(PercentFormatter(1.0))
    elif money:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: money_short(v)))


def decision_figure(decision: Decision) -> Figure:
    """Each candidate's objective against each constraint's measure; the best marked."""
    import matplotlib.pyplot as plt

    plan = decision.plan
    table = decision.table()
    constraints = plan.constraints
    panels = max(1, len(constraints))
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels + 1, 5.6), layout="constrained",
                             squeeze=False)  # fmt: skip
    objective = plan.objective_name
    money = any(word in objective for word in ("income", "cost", "revenue", "margin", "lost"))
    better = "higher is better \u2191" if plan.block.maximize else "lower is better \u2193"
    for n, ax in enumerate(axes[0]):
        clipped: list[tuple[Any, str]] = []
        if constraints:
            c = constraints[n]
            x = table[f"{c.measure}_mean"].copy()
            xerr = [x - table[f"{c.measure}_low"], table[f"{c.measure}_high"] - x]
            percent = _is_fraction(c.text)
            tol = decision.tolerances[c.text]
            ax.axvline(c.value, color="black", linestyle="--", linewidth=1)
            ax.axvspan(c.value - tol, c.value + tol, color="khaki", alpha=0.35, linewidth=0,
                       label="threshold \u00b1 tolerance")  # fmt: skip
            side = "right" if c.op == ">=" else "left"
            ax.set_xlabel(f"{c.measure} (feasible to the {side} of the line: {c.text})")
            _axis_format(ax, "x", percent, False)
            x, clipped = _clip(x, table["status"], c.value, tol)
            for i, _text in clipped:  # an interval of a point drawn at the edge means nothing
                xerr[0][i] = xerr[1][i] = 0.0
        else:
            x = table["candidate"].astype(float)
            xerr = None
            ax.set_xlabel("candidate")
        y = table["objective_mean"]
        yerr = [y - table["objective_low"], table["objective_high"] - y]
        ax.errorbar(x, y, yerr=_finite(yerr), xerr=_finite(xerr) if xerr else None, fmt="none",
                    ecolor="grey", alpha=0.5, linewidth=1, zorder=0)  # fmt: skip
        for status, style in _STYLE.items():
            part = table["status"] == status
            if part.any():
                ax.scatter(x[part], y[part], **{**style, "label": f"{style['label']} "
                                                f"({int(part.sum())})"})  # fmt: skip
        for i, text in clipped:
            ax.annotate(text, (x[i], y[i]), xytext=(0, -12), textcoords="offset points",
                        fontsize=7, ha="center", color="dimgrey")  # fmt: skip
        best = decision.best_candidate
        if best is not None:
            position = table.index[table["candidate"] == best][0]
            px, py = float(x[position]), float(y[position])
            if not decision.guaranteed:
                ax.scatter([px], [py], marker="*", s=380, facecolors="none",
                           edgecolors="black", zorder=7,
                           label="leader so far (no guarantee)")  # fmt: skip
            ax.annotate("best" if decision.guaranteed else "leader", (px, py),
                        xytext=(0, 14), textcoords="offset points", fontsize=9,
                        weight="bold", ha="center")  # fmt: skip
        ax.set_ylabel(f"{objective.replace('_', ' ')} ({better})")
        _axis_format(ax, "y", False, money)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    best = decision.best_candidate
    if best is not None:  # the plan in words, under the panels: no label crowds a panel
        values = "   ".join(f"{k} = {v}" for k, v in plan.candidates[best].items())
        word = "Best plan" if decision.guaranteed else "Leader so far (no guarantee)"
        fig.supxlabel(f"{word}: {values}", fontsize=10, weight="bold")
    fig.suptitle(_title(decision, int(fig.get_figwidth() * 11)), fontsize=10)
    plt.close(fig)
    return fig


def _clip(x: pd.Series, status: pd.Series, threshold: float,
          tolerance: float) -> tuple[pd.Series, list[tuple[Any, str]]]:  # fmt: skip
    """Keep the axis on what matters: candidates far beyond the others (an unstable queue's
    wait) are drawn at the edge, with their value written under them."""
    import numpy as np

    keep = status.isin(["best", "feasible", "eliminated"])
    near = np.abs(x[keep] - threshold).max() if keep.any() else 0.0
    span = max(8.0 * tolerance, 3.0 * float(near if np.isfinite(near) else 0.0))
    low, high = threshold - span, threshold + span
    clipped = []
    shown = x.clip(low, high)
    for i in x.index:
        if x[i] != shown[i]:
            clipped.append((i, f"{x[i]:.3g} \u2192" if x[i] > high else f"\u2190 {x[i]:.3g}"))
    return shown, clipped


def _finite(err: Any) -> Any:
    import numpy as np

    return None if err is None else [np.nan_to_num(np.asarray(e, dtype=float)) for e in err]


def _title(decision: Decision, width: int) -> str:
    plan = decision.plan
    head = f"{plan.base.name}: {len(decision.table())} candidates evaluated, " \
        f"{decision.replications_used} replications ({decision.stage})"  # fmt: skip
    return f"{head}\n{_wrap(decision.conclusion, width)}\nbars: {plan.block.confidence:.0%} " \
        "confidence intervals of each candidate's means"  # fmt: skip


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def format_decision(decision: Decision) -> str:
    """What the command line prints: the conclusion, the leading candidates, the nearest
    ones when none is feasible."""
    lines = [decision.conclusion]
    if not decision.feasible_found:
        lines.append("")
        lines.append("The nearest candidates (missed_by: the shortfall in units of each "
                     "constraint's tolerance):")  # fmt: skip
        lines.append(_listing(decision.nearest, decision))
    else:
        used = decision.replications_used
        lines.append(
            f"{len(decision.table())} candidates evaluated with {used} replications "
            f"({decision.stage}; budget {decision.plan.budget})."
        )
    return "\n".join(lines)


def _listing(table: pd.DataFrame, decision: Decision) -> str:
    columns = ["candidate", *decision.plan.keys, "replications", "status", "objective_mean",
               *[f"{c.measure}_mean" for c in decision.plan.constraints], "missed_by"]  # fmt: skip
    shown = table[[c for c in columns if c in table]]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.4g}")


def write_decision(decision: Decision, out: str | os.PathLike[str]) -> str:
    """Write ``decision.csv``, ``best.yaml`` (when a plan is feasible), ``decision.png``,
    ``report.html`` (:func:`sim.output.html.optimize_report`) and ``run.json`` into
    ``out``; return the folder. A ``best.yaml`` of an earlier run is
    removed when no plan is feasible now."""
    from sim._files import atomic_write
    from sim.output.html import REPORT_FILE, optimize_report, write_report
    from sim.output.plots import png_bytes

    folder = os.fspath(out)
    os.makedirs(folder, exist_ok=True)
    atomic_write(os.path.join(folder, "decision.csv"), decision.table().to_csv(index=False))
    best_path = os.path.join(folder, "best.yaml")
    scenario = decision.best_scenario
    if scenario is not None:
        atomic_write(best_path, best_yaml(decision))
    elif os.path.exists(best_path):
        os.unlink(best_path)
    png = png_bytes(decision_figure(decision))
    atomic_write(os.path.join(folder, "decision.png"), png)
    report = optimize_report(decision, {"decision.png": png})
    write_report(os.path.join(folder, REPORT_FILE), report)
    atomic_write(os.path.join(folder, "run.json"), decision.record.to_json())
    return folder


def best_yaml(decision: Decision) -> str:
    """The best plan as a runnable scenario file: the base with the values written in, a
    comment saying where it came from and how sure it is."""
    import yaml

    scenario = decision.best_scenario
    assert scenario is not None
    data = scenario.raw
    data.pop("extends", None)
    values = json.dumps(decision.best, ensure_ascii=False)
    head = [
        f"# The best plan found by: run_sim.py optimize ({decision.record.started})",
        f"# Decision values: {values}",
        *[f"# {line}" for line in _wrap(decision.conclusion, 86).splitlines()],
        "",
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=100)  # fmt: skip
    return "\n".join(head) + body
