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

**Many comparisons at once.** A comparison table holds hundreds of differences
(every variant × metric × subject). Each row's interval is a per-comparison interval:
at 95%, about one in twenty differences that are truly zero will still exclude zero
by chance. So each row also carries the p-value of the paired t-test (Student 1908:
is the mean difference zero?) and that p-value adjusted for every comparison in the
table by Holm's step-down procedure (Holm, "A simple sequentially rejective multiple
test procedure", Scand. J. Statistics 6(2), 1979). ``significant`` is ``p_adjusted <
1 − confidence``: when it is True for some rows, the chance that *any* of them is a
difference that is truly zero is at most ``1 − confidence`` (the family-wise error
rate), whatever the dependence between the rows, as far as the t-test's own
assumption (replication means close to normal) holds.

**Column grammar.** A level's interval is ``ci_low, ci_high`` (around ``mean``); a
difference's interval is ``diff_low, diff_high`` (around ``diff_mean``). Any table
that carries both uses both pairs of names.

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
    "ADJUSTMENTS",
    "COMPARISON_COLUMNS",
    "REPLICATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "Interval",
    "adjust_p_values",
    "compare",
    "flag_significant",
    "paired_difference",
    "paired_p_values",
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
    "scenario", "metric", "subject", "base_mean", "mean", "diff_mean", "diff_low",
    "diff_high", "p_value", "p_adjusted", "significant", "n", "unit",
)
#: The ways :func:`adjust_p_values` can correct p-values for the number of comparisons.
ADJUSTMENTS = ("holm", "bonferroni", None)
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
    """The service measure of the headline: ``service_level`` when the rows have it (every
    result of this version does), else ``on_time_rate`` or ``fill_rate`` (rows of an older
    version, or made by hand)."""
    names = set(rows["metric"])
    if "service_level" in names:
        return "service_level"
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


def paired_p_values(diff_mean, sd, n) -> np.ndarray:
    """Two-sided p-values of the paired t-test that the mean difference is zero.

    ``t = diff_mean / (sd / sqrt(n))`` on ``n - 1`` degrees of freedom. With zero spread
    (every replication gave the same difference) the test is decided exactly: p = 1
    when the difference is 0, p = 0 otherwise. Fewer than two pairs: NaN.

    >>> paired_p_values([0.0, 2.0, 1.0], [0.0, 0.0, 1.0], [5, 5, 5]).round(4).tolist()
    [1.0, 0.0, 0.089]
    """
    from scipy import stats as scipy_stats  # lazily, as _t_quantile

    mean = np.asarray(diff_mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.abs(mean) / (sd / np.sqrt(n))
        p = 2.0 * scipy_stats.t.sf(t, np.maximum(n - 1, 1))
    exact = np.where(mean == 0, 1.0, 0.0)
    p = np.where(sd == 0, exact, p)
    return np.where((n >= 2) & np.isfinite(mean), p, np.nan)


def adjust_p_values(p_values, method: str | None = "holm") -> np.ndarray:
    """p-values adjusted for the number of comparisons made together; NaN stays NaN.

    ``"holm"``: Holm's step-down procedure (1979): with the ``m`` p-values sorted,
    ``p_(1) <= ... <= p_(m)``, the ``i``-th is adjusted to ``max over j <= i of
    min(1, (m - j + 1) p_(j))``. It controls the family-wise error rate (the chance of
    one or more false "significant" among all ``m``) under any dependence, and rejects
    everything Bonferroni rejects and often more. ``"bonferroni"``: ``min(1, m p)``.
    ``None``: no adjustment. ``m`` counts the p-values that are not NaN.

    >>> adjust_p_values([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    if method not in ADJUSTMENTS:
        raise ValueError(
            f"adjust: expected one of \"holm\", \"bonferroni\" or None (got {method!r})"
        )
    p = np.asarray(p_values, dtype=float).copy()
    if method is None:
        return p
    known = np.flatnonzero(~np.isnan(p))
    m = known.size
    if m == 0:
        return p
    if method == "bonferroni":
        p[known] = np.minimum(1.0, m * p[known])
        return p
    order = known[np.argsort(p[known], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    p[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return p


def compare(
    df: pd.DataFrame, base: str, confidence: float = 0.95, adjust: str | None = "holm"
) -> pd.DataFrame:
    """Each other scenario minus ``base``, paired on ``replication``, with intervals and tests.

    For every scenario other than ``base`` and every (metric, subject) that both
    report, the rows of the two scenarios are matched on ``replication`` (common
    random numbers): ``diff_mean`` is the mean per-replication difference and
    ``diff_low, diff_high`` its Student-t interval at ``confidence``, as in
    :func:`paired_difference`. A pair with a NaN on either side is left out of
    ``base_mean``, ``mean`` (the other scenario's) and ``diff_mean`` alike, so
    ``diff_mean`` is ``mean - base_mean``; ``n`` counts the pairs kept.

    ``p_value`` is the paired t-test's (:func:`paired_p_values`), ``p_adjusted`` that
    p-value adjusted over every row of this table that has one (:func:`adjust_p_values`,
    ``adjust="holm"`` by default), and ``significant`` is ``p_adjusted < 1 - confidence``.
    The interval is not adjusted: a row may exclude zero and not be significant.
    Columns: :data:`COMPARISON_COLUMNS`; rows in order of first appearance.
    """
    import pandas as pd

    confidence = _check_confidence(confidence)
    adjust_p_values([], adjust)  # refuse an unknown method before any work
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
    diff = table["diff"].to_numpy()
    interval = _interval_columns(diff, sd, n, confidence)
    result = table.index.to_frame(index=False)
    result["base_mean"] = table["base_mean"].to_numpy()
    result["mean"] = table["variant_mean"].to_numpy()
    result["diff_mean"] = diff
    result["diff_low"] = interval["ci_low"]
    result["diff_high"] = interval["ci_high"]
    result["p_value"] = paired_p_values(diff, sd, n)
    result["n"] = n.astype("int64")
    result["unit"] = table["unit"].to_numpy()
    return flag_significant(result, confidence, adjust)[list(COMPARISON_COLUMNS)]


def flag_significant(
    table: pd.DataFrame, confidence: float, adjust: str | None = "holm"
) -> pd.DataFrame:
    """``table`` (with a ``p_value`` column) with ``p_adjusted`` over all its rows and
    ``significant = p_adjusted < 1 - confidence`` (NaN is never significant)."""
    confidence = _check_confidence(confidence)
    table = table.copy()
    table["p_adjusted"] = adjust_p_values(table["p_value"].to_numpy(dtype=float), adjust)
    table["significant"] = (table["p_adjusted"] < 1.0 - confidence).astype(bool)
    return table
