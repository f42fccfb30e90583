"""Results: what every replication of every scenario measured, as tidy tables.

A :class:`Results` holds one row per scenario × replication × metric × subject (the
``replications.csv`` table) and the time series the model recorded (inventory on hand,
queue lengths, ...). Everything else is computed from those rows on demand:

* :meth:`Results.summary`: the mean of each metric over replications and its Student-t
  confidence interval (``summary.csv``), at the level asked for;
* :meth:`Results.compare`: each variant minus its base, replication by replication
  (a paired comparison: both met the same customers, so most noise cancels), with the
  p-value of each difference adjusted for every comparison in the table (Holm);
* :meth:`Results.series`: the time series averaged over replications;
* :meth:`Results.plot`: the figures of :mod:`sim.output.plots`.

In a terminal or a notebook a Results shows a short headline table. The confidence
level is an argument of every method that computes an interval (default: the
scenario's ``run.confidence``, read-only as :attr:`Results.confidence`), and tables are
cached per level, so no table can carry one level's intervals under another's label.
pandas is imported here; worker processes never import this module.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from sim.experiment import stats
from sim.experiment.record import RunRecord
from sim.experiment.stats import REPLICATION_COLUMNS
from sim.model.catalog import SERIES_POINTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiment.precision import PrecisionReport
    from sim.experiment.warmup import WarmupChoice
    from sim.scenario.models import Scenario

__all__ = ["REPLICATION_COLUMNS", "SERIES_COLUMNS", "Results"]

#: Columns of the recorded time series, one row per observation, in order.
SERIES_COLUMNS = ("scenario", "replication", "series", "subject", "time_h", "value")



class Results:
    """The outcome of :func:`sim.run`: replication rows, time series and how to read them.

    ``replications`` has the columns :data:`REPLICATION_COLUMNS`; ``series`` the columns
    :data:`SERIES_COLUMNS` (or is None). ``confidence`` is the default level of every
    interval (read-only; pass ``confidence=`` to a method for another level).
    ``base`` is the scenario the others are compared with (default: the first);
    ``baselines`` maps each scenario to the one it is compared with (default: ``base``).
    ``scenarios`` are the :class:`~sim.scenario.models.Scenario` objects that were run, in
    order, with any ``auto`` warm-up or replication count replaced by the value chosen;
    ``warmup_choice`` and ``precision_report`` hold the evidence for those choices.
    """

    #: The headline's service measures after service_level, where they apply.
    OTHER_SERVICE: ClassVar[tuple[str, ...]] = ("fill_rate", "abandon_rate", "balk_rate")

    def __init__(
        self,
        replications: pd.DataFrame,
        series: pd.DataFrame | None = None,
        *,
        confidence: float = 0.95,
        base: str | None = None,
        scenarios: Sequence[Scenario] = (),
        baselines: Mapping[str, str] | None = None,
        record: RunRecord | None = None,
    ) -> None:
        missing = [c for c in REPLICATION_COLUMNS if c not in replications.columns]
        if missing:
            raise ValueError(f"Results: the replication table lacks column(s) {', '.join(missing)}")
        self._rows = replications.loc[:, list(REPLICATION_COLUMNS)].reset_index(drop=True)
        if series is None:
            series = pd.DataFrame({c: [] for c in SERIES_COLUMNS})
        self._series = series.loc[:, list(SERIES_COLUMNS)].reset_index(drop=True)
        self._confidence = stats._check_confidence(confidence)
        self._summaries: dict[float, pd.DataFrame] = {}
        self._comparisons: dict[tuple[float, str | None], pd.DataFrame] = {}
        #: How ``warmup: auto`` was resolved (None: the warm-up was given).
        self.warmup_choice: WarmupChoice | None = None
        #: How ``replications: auto`` was resolved (None: the count was given).
        self.precision_report: PrecisionReport | None = None
        self.scenarios: list[Scenario] = list(scenarios)
        names = [s.name for s in self.scenarios] or list(pd.unique(self._rows["scenario"]))
        #: Scenario names, in the order they were run (the base first).
        self.names: list[str] = [str(name) for name in names]
        if not self.names:
            raise ValueError("Results: there are no replication rows")
        self.base = base if base is not None else self.names[0]
        self.baselines: dict[str, str] = {name: self.base for name in self.names}
        self.baselines.update(baselines or {})
        #: What was run (``run.json``): files, settings, times and warnings.
        self.record = record if record is not None else RunRecord("run")

    @classmethod
    def from_outputs(
        cls,
        outputs: Iterable[Any],
        scenarios: Sequence[Scenario],
        *,
        baselines: Mapping[str, str] | None = None,
        record: RunRecord | None = None,
    ) -> Results:
        """Tabulate the model's replication outputs (in any order) for ``scenarios``.

        Each output has ``scenario``, ``replication``, ``metrics`` (``(metric, subject,
        value, unit)`` rows) and ``series`` (``(series, subject, time_h, value)`` rows).
        Outputs are sorted by scenario order, then replication, never by arrival, so
        the tables do not depend on which worker finished first.
        """
        order = {scenario.name: i for i, scenario in enumerate(scenarios)}
        ordered = sorted(outputs, key=lambda out: (order[out.scenario], out.replication))
        metric_rows = [
            (out.scenario, out.replication, metric, subject, value, unit)
            for out in ordered
            for metric, subject, value, unit in out.metrics
        ]
        series_rows = [
            (out.scenario, out.replication, name, subject, time_h, value)
            for out in ordered
            for name, subject, time_h, value in out.series
        ]
        rows = pd.DataFrame.from_records(metric_rows, columns=list(REPLICATION_COLUMNS))
        rows = rows.astype({"replication": "int64", "value": "float64"})
        series = pd.DataFrame.from_records(series_rows, columns=list(SERIES_COLUMNS))
        series = series.astype({"replication": "int64", "time_h": "float64", "value": "float64"})
        confidence = scenarios[0].run.confidence if scenarios else 0.95
        return cls(
            rows,
            series,
            confidence=confidence,
            base=scenarios[0].name if scenarios else None,
            scenarios=scenarios,
            baselines=baselines,
            record=record,
        )

    @property
    def confidence(self) -> float:
        """The default level of every interval (the scenario's ``run.confidence``); read-only."""
        return self._confidence

    def _level(self, confidence: float | None) -> float:
        return self._confidence if confidence is None else stats._check_confidence(confidence)

    # ----------------------------------------------------------------- tables
    def replications(self) -> pd.DataFrame:
        """One row per scenario × replication × metric × subject (``replications.csv``)."""
        return self._rows.copy()

    def summary(self, confidence: float | None = None) -> pd.DataFrame:
        """Mean over replications with its confidence interval (``summary.csv``).

        Columns: ``scenario, metric, subject, mean, ci_low, ci_high, sd, n, unit``; the
        interval at ``confidence`` (default :attr:`confidence`). With one replication
        ``ci_low``, ``ci_high`` and ``sd`` are NaN: one value says nothing about spread.
        """
        return self._summary_at(self._level(confidence)).copy()

    def _summary_at(self, level: float) -> pd.DataFrame:
        if level not in self._summaries:
            self._summaries[level] = stats.summarize(self._rows, level)
        return self._summaries[level]

    def metric(
        self, name: str, subject: str = "all", confidence: float | None = None
    ) -> pd.DataFrame:
        """One metric for one subject, a row per scenario: ``mean, ci_low, ci_high, sd, n, unit``.

        For example ``results.metric("wait_mean_h", "pick_pack")``.
        """
        table = self._summary_at(self._level(confidence))
        rows = table[(table["metric"] == name) & (table["subject"] == subject)]
        if rows.empty:
            known = table.loc[table["metric"] == name, "subject"].unique().tolist()
            if not known:
                raise KeyError(f"no metric {name!r} in these results")
            raise KeyError(
                f"metric {name!r} has no subject {subject!r} (known: {', '.join(known)})"
            )
        columns = ["mean", "ci_low", "ci_high", "sd", "n", "unit"]
        return rows.set_index("scenario")[columns]

    def compare(
        self, confidence: float | None = None, adjust: str | None = "holm"
    ) -> pd.DataFrame:
        """Each variant minus its base, paired replication by replication, with tests.

        Columns: ``scenario, metric, subject, base_mean, mean, diff_mean, diff_low,
        diff_high, p_value, p_adjusted, significant, n, unit``. ``diff_low, diff_high``
        is the interval of the mean difference at ``confidence`` (default
        :attr:`confidence`), per comparison; ``p_value`` the paired t-test's;
        ``p_adjusted`` that p-value adjusted over every row of this table
        (``adjust="holm"``, ``"bonferroni"`` or None for none); ``significant`` is
        ``p_adjusted < 1 - confidence``: with Holm, the chance that any significant row
        is a difference that is truly zero is at most ``1 - confidence``.
        """
        return self._comparison_at(self._level(confidence), adjust).copy()

    def _comparison_at(self, level: float, adjust: str | None) -> pd.DataFrame:
        key = (level, adjust)
        if key in self._comparisons:
            return self._comparisons[key]
        stats.adjust_p_values([], adjust)  # refuse an unknown method first
        parts = []
        for baseline in dict.fromkeys(self.baselines[name] for name in self.names):
            members = [n for n in self.names if self.baselines[n] == baseline and n != baseline]
            if not members:
                continue
            rows = self._rows[self._rows["scenario"].isin([baseline, *members])]
            parts.append(stats.compare(rows, baseline, level, adjust=None))
        if not parts:
            table = pd.DataFrame({c: [] for c in stats.COMPARISON_COLUMNS})
        else:
            table = pd.concat(parts, ignore_index=True)
            position = table["scenario"].map({name: i for i, name in enumerate(self.names)})
            order = np.argsort(position.to_numpy(), kind="stable")
            table = table.iloc[order].reset_index(drop=True)
            # One family: every row of the whole table, whatever its baseline.
            table = stats.flag_significant(table, level, adjust)[list(stats.COMPARISON_COLUMNS)]
        self._comparisons[key] = table
        return table

    def series(self, by_replication: bool = False) -> pd.DataFrame:
        """The recorded time series, averaged over replications at each time.

        Columns: ``scenario, series, subject, time_h, value``. Where replications were
        observed at different times, each replication's level (held until its next
        observation) is averaged on a common grid of times. ``by_replication``: the
        samples of every replication as recorded, with a ``replication`` column.
        """
        if by_replication:
            return self._series.copy()
        return self._mean_series.copy()

    @cached_property
    def _mean_series(self) -> pd.DataFrame:
        columns = ["scenario", "series", "subject", "time_h", "value"]
        if self._series.empty:
            return pd.DataFrame({c: [] for c in columns})
        parts = []
        keys = ["scenario", "series", "subject"]
        for key, group in self._series.groupby(keys, sort=False):
            times, values = _mean_over_replications(group)
            parts.append(pd.DataFrame(dict(zip(keys, key)) | {"time_h": times, "value": values}))
        return pd.concat(parts, ignore_index=True)[columns]

    def headline(self, confidence: float | None = None) -> pd.DataFrame:
        """The few numbers a planner looks at first, per scenario, with intervals.

        The measures of :meth:`headline_metrics` (subject ``all``), with the paired
        difference from the baseline for every other scenario, its p-value adjusted over
        the whole :meth:`compare` table, and its ``significant`` flag. Columns:
        ``scenario, metric, mean, ci_low, ci_high, baseline, diff_mean, diff_low,
        diff_high, p_adjusted, significant, n, unit``.
        """
        level = self._level(confidence)
        summary = self._summary_at(level)
        summary = summary[summary["subject"] == "all"]
        comparison = self._comparison_at(level, "holm")
        comparison = comparison[comparison["subject"] == "all"]
        metrics = [m for m in self.headline_metrics() if m in set(summary["metric"])]
        table = summary[summary["metric"].isin(metrics)]
        table = table.merge(
            comparison[["scenario", "metric", "diff_mean", "diff_low", "diff_high",
                        "p_adjusted", "significant"]],
            on=["scenario", "metric"],
            how="left",
        )  # fmt: skip
        table["baseline"] = [
            None if self.baselines[s] == s else self.baselines[s] for s in table["scenario"]
        ]
        table["significant"] = table["significant"].astype("boolean").fillna(False).astype(bool)
        rank = {m: i for i, m in enumerate(metrics)}
        position = {name: i for i, name in enumerate(self.names)}
        table = table.assign(
            _s=table["scenario"].map(position), _m=table["metric"].map(rank)
        ).sort_values(["_s", "_m"], kind="stable")
        columns = ["scenario", "metric", "mean", "ci_low", "ci_high", "baseline", "diff_mean",
                   "diff_low", "diff_high", "p_adjusted", "significant", "n", "unit"]  # fmt: skip
        return table[columns].reset_index(drop=True)

    def headline_metrics(self) -> list[str]:
        """The headline measures, in display order.

        ``throughput_per_day``, ``service_level`` and ``operating_cost``; then
        ``operating_income`` when the business sells something (an internal desk's
        income would be minus its cost); then the other service measures that apply:
        ``fill_rate`` when the business holds stock, ``abandon_rate`` when anyone gave
        up, ``balk_rate`` when anyone was refused by a full queue.
        """
        rows = self._rows[self._rows["subject"] == "all"]
        names = set(rows["metric"])

        def seen(metric: str) -> bool:
            values = rows.loc[rows["metric"] == metric, "value"]
            return bool((values.fillna(0) != 0).any())

        chosen = [m for m in ("throughput_per_day", "service_level", "operating_cost")
                  if m in names]  # fmt: skip
        if "operating_income" in names and seen("revenue"):
            chosen.append("operating_income")
        if "fill_rate" in names:  # a business that holds stock
            chosen.append("fill_rate")
        chosen += [m for m in ("abandon_rate", "balk_rate") if seen(m)]
        return chosen

    def service_metric(self) -> str:
        """The headline service measure: ``service_level`` (see :func:`stats.service_metric`)."""
        return stats.service_metric(self._rows)

    # ----------------------------------------------------------------- scenario facts
    @property
    def replication_count(self) -> int:
        """Replications per scenario (the largest, should scenarios differ)."""
        counts = self._rows.groupby("scenario", sort=False)["replication"].nunique()
        return int(counts.max()) if len(counts) else 0

    @property
    def currency(self) -> str:
        """The money label of the (first) scenario."""
        return self.scenarios[0].currency if self.scenarios else ""

    def warmup_h(self, name: str | None = None) -> float:
        """Hours excluded from every statistic at the start of scenario ``name`` (default: base)."""
        scenario = self._scenario(name)
        return float(scenario.run.warmup) if scenario is not None else 0.0

    def _scenario(self, name: str | None) -> Scenario | None:
        name = self.base if name is None else name
        return next((s for s in self.scenarios if s.name == name), None)

    # ----------------------------------------------------------------- plots and files
    def plot(self, kind: str = "comparison") -> Figure:
        """A figure: ``"comparison"`` (the headline measures), ``"cost"``, ``"timeseries"``,
        or ``"warmup"`` (after ``warmup: auto``: where MSER-5 cut the pilot's levels)."""
        from sim.output import plots

        figures = {
            "comparison": plots.comparison_figure,
            "cost": plots.cost_breakdown_figure,
            "timeseries": plots.timeseries_figure,
            "warmup": plots.warmup_figure,
        }
        if kind not in figures:
            raise ValueError(f"plot: kind must be one of {', '.join(figures)} (got {kind!r})")
        return figures[kind](self)

    def save(self, out_dir: str | os.PathLike[str], *, excel: bool = False) -> str:
        """Write the CSV files, figures, ``run.json`` and ``report.html`` into ``out_dir``
        (and ``results.xlsx`` with ``excel``)."""
        from sim.output.report import write_results

        return os.fspath(write_results(self, out_dir, excel=excel))

    def __repr__(self) -> str:
        from sim.output.report import format_table

        return format_table(self)

    def _repr_html_(self) -> str:
        from sim.output.report import format_html

        return format_html(self)


def _mean_over_replications(group: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Times and the mean level over replications of one series of one scenario."""
    by_replication = [
        (part["time_h"].to_numpy(), part["value"].to_numpy())
        for _, part in group.groupby("replication", sort=True)
    ]
    first = by_replication[0][0]
    if all(len(t) == len(first) and np.array_equal(t, first) for t, _ in by_replication):
        return first, np.mean([v for _, v in by_replication], axis=0)
    # Observed at different times: hold each replication's level until its next change.
    start = min(t[0] for t, _ in by_replication if len(t))
    end = max(t[-1] for t, _ in by_replication if len(t))
    grid = np.linspace(start, end, SERIES_POINTS)  # as many points as the model samples
    levels = []
    for times, values in by_replication:
        order = np.argsort(times, kind="stable")
        times, values = times[order], values[order]
        index = np.searchsorted(times, grid, side="right") - 1
        level = np.where(index >= 0, values[np.maximum(index, 0)], np.nan)
        levels.append(level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a grid time before every observation
        return grid, np.nanmean(levels, axis=0)
