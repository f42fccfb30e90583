"""Statistics across replications: means, confidence intervals and paired comparisons.

One replication is one run of the simulation with its own random numbers; its
metric values are single draws from a distribution we cannot see. Ten replications
give ten draws, and a Student-t **confidence interval** says how far the mean of
those draws may reasonably be from the true long-run mean: at 95% confidence, nineteen
intervals in twenty built this way contain the true value.

Comparing two scenarios is sharper when replication ``i`` of both used the same
random streams (common random numbers): both met the same customers and the same
supplier delays, so most of the noise cancels in the per-replication **difference**,
and the interval of the mean difference is narrower than one built from two
independent samples.

This runs in the parent process only: scipy and pandas are imported inside the
functions, so worker processes that import ``sim`` do not pay for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPARISON_COLUMNS",
    "REPLICATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "Interval",
    "compare",
    "paired_difference",
    "service_metric",
    "summarize",
    "t_interval",
]

#: Columns of the replication rows statistics are computed from (``replications.csv``).
REPLICATION_COLUMNS = ("scenario", "replication", "metric", "subject", "value", "unit")
#: Columns of :func:`summarize`'s result (and of ``summary.csv``), in order.
SUMMARY_COLUMNS = ("scenario", "metric", "subject", "mean", "ci_low", "ci_high", "sd", "n", "unit")
#: Columns of :func:`compare`'s result, in order.
COMPARISON_COLUMNS = (
    "scenario", "metric", "subject", "base_mean", "variant_mean", "diff",
    "ci_low", "ci_high", "significant", "unit",
)
_STAT_COLUMNS = ("mean", "ci_low", "ci_high", "sd", "n")


class Interval(NamedTuple):
    """A mean with its two-sided confidence interval, over ``n`` non-NaN values."""

    mean: float
    ci_low: float
    ci_high: float
    sd: float
    n: int


def _check_confidence(confidence: float) -> float:
    if isinstance(confidence, bool) or not 0.0 < confidence < 1.0:
        raise ValueError(
            f"confidence: expected a fraction between 0 and 1, like 0.95 (got {confidence!r})"
        )
    return float(confidence)


def _t_quantile(confidence: float, dof: np.ndarray | float) -> np.ndarray:
    """Student-t critical value for a two-sided interval; NaN where ``dof < 1``."""
    from scipy import stats  # lazily: workers must not pay for scipy's import

    dof = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(dof >= 1, stats.t.ppf(0.5 + confidence / 2.0, np.maximum(dof, 1)), np.nan)


def t_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Student-t interval for the mean of ``values``; NaN values are dropped.

    ``n`` counts the values kept. With one value, ``sd``, ``ci_low`` and ``ci_high``
    are NaN (one draw says nothing about spread); with none, everything is NaN.
    Values that are all equal give ``sd == 0`` and a zero-width interval.
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, math.nan, 1)
    # Equal values give exactly zero, not a rounding residue of the mean.
    sd = 0.0 if x.min() == x.max() else float(x.std(ddof=1))
    half = float(_t_quantile(confidence, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n)


def paired_difference(
    variant_values: Sequence[float], base_values: Sequence[float], confidence: float = 0.95
) -> Interval:
    """Interval of the mean of ``variant - base``, pairing the values replication by replication.

    Position ``i`` of both sequences must come from replication ``i`` (the same
    random streams). A pair with a NaN on either side is dropped.
    """
    variant = np.asarray(variant_values, dtype=float).ravel()
    base = np.asarray(base_values, dtype=float).ravel()
    if variant.size != base.size:
        raise ValueError(
            f"paired_difference: variant_values has {variant.size} values but base_values "
            f"has {base.size}; each replication needs one of each"
        )
    return t_interval(variant - base, confidence)


def service_metric(rows: pd.DataFrame) -> str:
    """The service level that replication ``rows`` measured: ``on_time_rate`` when it was
    measured (the scenario promises a time), else ``fill_rate``."""
    measured = rows.loc[rows["metric"] == "on_time_rate", "value"]
    return "on_time_rate" if measured.notna().any() else "fill_rate"


def _check_columns(df: pd.DataFrame, needed: Iterable[str], function: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"{function}: the replication table lacks column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, df.columns))})"
        )


def _interval_columns(mean, sd, n, confidence: float) -> dict[str, np.ndarray]:
    """ci_low and ci_high for arrays of means, standard deviations and counts."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _t_quantile(confidence, n - 1) * np.asarray(sd, dtype=float) / np.sqrt(n)
    mean = np.asarray(mean, dtype=float)
    return {"ci_low": mean - half, "ci_high": mean + half}


def summarize(
    df: pd.DataFrame,
    confidence: float = 0.95,
    by: Sequence[str] = ("scenario", "metric", "subject", "unit"),
) -> pd.DataFrame:
    """One row per group of replication rows: mean, Student-t interval, sd and n.

    ``df`` has the ``replications.csv`` columns (``scenario, replication, metric,
    subject, value, unit``). The result has the columns of ``by`` except ``unit``,
    then ``mean, ci_low, ci_high, sd, n``, then ``unit``: with the default ``by``,
    exactly ``scenario, metric, subject, mean, ci_low, ci_high, sd, n, unit``
    (:data:`SUMMARY_COLUMNS`). Groups keep the order in which they first appear.
    NaN values are dropped (``n`` counts the rest), as in :func:`t_interval`.
    """
    import pandas as pd

    confidence = _check_confidence(confidence)
    by = list(by)
    _check_columns(df, [*by, "value"], "summarize")
    values = pd.to_numeric(df["value"], errors="raise").astype(float)
    grouped = values.groupby([df[c] for c in by], sort=False, dropna=False)
    table = grouped.agg(["mean", "std", "count", "min", "max"])
    n = table["count"].to_numpy()
    # Equal values give exactly zero spread, not a rounding residue.
    sd = np.where(table["min"].to_numpy() == table["max"].to_numpy(), 0.0, table["std"])
    sd = np.where(n >= 2, sd, np.nan)
    mean = table["mean"].to_numpy()
    out = table.index.to_frame(index=False)
    stats = pd.DataFrame(
        {"mean": mean, **_interval_columns(mean, sd, n, confidence), "sd": sd, "n": n}
    )
    keys = [c for c in by if c != "unit"]
    tail = ["unit"] if "unit" in by else []
    result = pd.concat([out[keys], stats, out[tail]], axis=1)
    result["n"] = result["n"].astype("int64")
    return result


def compare(df: pd.DataFrame, base: str, confidence: float = 0.95) -> pd.DataFrame:
    """Each other scenario minus ``base``, paired on ``replication``, with intervals.

    For every scenario other than ``base`` and every (metric, subject) that both
    report, the rows of the two scenarios are matched on ``replication`` (common
    random numbers) and the interval of the mean per-replication difference is
    computed as in :func:`paired_difference`. A pair with a NaN on either side is
    left out of ``base_mean``, ``variant_mean`` and ``diff`` alike, so ``diff`` is
    ``variant_mean - base_mean``. ``significant`` is True when the interval excludes
    zero. Columns: :data:`COMPARISON_COLUMNS`; rows in order of first appearance.
    """
    import pandas as pd

    confidence = _check_confidence(confidence)
    _check_columns(df, REPLICATION_COLUMNS, "compare")
    keys = ["scenario", "replication", "metric", "subject"]
    duplicated = df.duplicated(keys)
    if duplicated.any():
        first = df.loc[duplicated, keys].iloc[0].tolist()
        raise ValueError(
            "compare: each (scenario, replication, metric, subject) must appear once; "
            f"{tuple(first)!r} appears more than once"
        )
    is_base = df["scenario"] == base
    if not is_base.any():
        scenarios = ", ".join(map(str, pd.unique(df["scenario"])))
        raise ValueError(f"compare: no rows for base scenario {base!r} (scenarios: {scenarios})")

    columns = ["replication", "metric", "subject", "value"]
    base_rows = df.loc[is_base, columns].rename(columns={"value": "base"})
    variant_rows = df.loc[~is_base, ["scenario", *columns, "unit"]]
    # An inner merge keeps the variant rows' order, so groups appear as in df.
    pairs = variant_rows.merge(base_rows, on=["replication", "metric", "subject"], how="inner")
    variant = pd.to_numeric(pairs["value"], errors="raise").astype(float)
    base_value = pd.to_numeric(pairs["base"], errors="raise").astype(float)
    both = variant.notna() & base_value.notna()
    pairs = pairs.assign(
        variant=variant.where(both),
        base=base_value.where(both),
        diff=(variant - base_value).where(both),
    )

    grouped = pairs.groupby(["scenario", "metric", "subject"], sort=False, dropna=False)
    table = grouped.agg(
        base_mean=("base", "mean"),
        variant_mean=("variant", "mean"),
        diff=("diff", "mean"),
        sd=("diff", "std"),
        n=("diff", "count"),
        lo=("diff", "min"),
        hi=("diff", "max"),
        unit=("unit", "first"),
    )
    n = table["n"].to_numpy()
    sd = np.where(table["lo"].to_numpy() == table["hi"].to_numpy(), 0.0, table["sd"])
    sd = np.where(n >= 2, sd, np.nan)
    interval = _interval_columns(table["diff"].to_numpy(), sd, n, confidence)
    result = table.index.to_frame(index=False)
    result["base_mean"] = table["base_mean"].to_numpy()
    result["variant_mean"] = table["variant_mean"].to_numpy()
    result["diff"] = table["diff"].to_numpy()
    result["ci_low"] = interval["ci_low"]
    result["ci_high"] = interval["ci_high"]
    # NaN bounds compare False, so an interval that cannot be computed is never significant.
    result["significant"] = (result["ci_low"] > 0) | (result["ci_high"] < 0)
    result["unit"] = table["unit"].to_numpy()
    return result[list(COMPARISON_COLUMNS)]
