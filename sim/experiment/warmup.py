"""Warm-up, found for you: MSER-5 on the level series of pilot replications.

Every replication starts in an artificial state: empty queues, idle staff, shelves at
their initial stock. Statistics gathered before the model forgets that start are
biased (an empty queue at 90% load makes waits look short), and a confidence
interval does not warn about bias: it measures noise only. ``run.warmup: auto`` cuts
the start off, using a documented rule instead of a guess.

**The procedure** (:func:`choose_warmup`):

1. *Pilot.* Replications ``0 .. PILOT_REPLICATIONS - 1`` of every scenario whose
   warm-up is ``auto`` run with no warm-up, sampling every level series of the model
   (units on hand and backordered per product, orders waiting per step, workers busy
   per pool; not ``on_duty``, which is the roster, an input) at
   :data:`PILOT_POINTS` ``+ 1`` evenly spaced times over the horizon.
2. *Average.* Each series is averaged over the pilot replications, time by time (the
   curve Welch's method plots; Welch, "The statistical analysis of simulation
   results", in *The Computer Performance Modeling Handbook*, Academic Press 1983).
3. *MSER-5.* The averaged series is cut into batches of :data:`BATCH` = 5
   consecutive samples and replaced by their means ``Y_1 .. Y_k``. For every candidate
   truncation ``d`` (whole batches, searched over the first half of the series), the
   MSER statistic ``MSER(d) = sum_{i>d} (Y_i - mean(Y_{d+1..k}))**2 / (k - d)**2`` is
   the squared standard error of the mean of what is kept; the truncation point is the
   ``d`` that minimises it (White, "An effective truncation heuristic for bias
   reduction in simulation output", *Simulation* 69(6), 1997; White, Cobb & Spratt,
   "A comparison of five steady-state truncation heuristics for simulation", *Proc.
   Winter Simulation Conference* 2000; Hoad, Robinson & Davies, "Automating warm-up
   length estimation", *J. Operational Research Society* 61(9), 2010, found MSER-5
   the most reliable of the automatic methods they tested).
4. *Choose.* The warm-up is the latest truncation point over every series of every
   auto scenario, so that each level has settled; it never exceeds half the
   horizon (:data:`CAP`). A series whose minimum lies at the end of the searched half
   had not settled by then: the choice is flagged ``capped`` (the horizon may be too
   short for the statistics to describe a steady state).

Every replication (the pilot's too, re-run with the window cut) then runs with the
chosen warm-up; replication ``k`` always uses the same random streams, so this does not
change which customers it meets. A model with no level series at all (no products and
no staffed or timed steps) gets a warm-up of zero.

Systems with daily or weekly cycles have no single steady level; there MSER-5 cuts
the artificial start (the empty first morning, the initial shelves) and leaves the
cycle in, which is what a planner wants measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BATCH",
    "CAP",
    "PILOT_POINTS",
    "PILOT_REPLICATIONS",
    "WARMUP_SERIES",
    "SeriesCut",
    "WarmupChoice",
    "choose_warmup",
    "mser",
    "welch_average",
]

#: Replications ``0 .. 4`` of each auto scenario are the pilot.
PILOT_REPLICATIONS = 5
#: The pilot samples each level at ``PILOT_POINTS + 1`` times over ``[0, horizon]``.
PILOT_POINTS = 2000
#: MSER-5: batches of five samples.
BATCH = 5
#: The warm-up is at most this fraction of the horizon (the search covers the first half).
CAP = 0.5
#: The level series that are examined (``on_duty`` is the roster, an input, not a response).
WARMUP_SERIES = ("on_hand", "backorders", "queue", "busy")


def mser(values: Sequence[float] | np.ndarray, batch: int = BATCH) -> tuple[int, np.ndarray]:
    """The MSER-``batch`` truncation point of ``values`` and the statistic at each candidate.

    ``values`` are equally spaced observations; they are averaged in batches of
    ``batch`` (a tail shorter than a batch is dropped), and the candidates are
    ``d = 0 .. k // 2`` whole batches, ``k`` being the number of batches. Returns
    ``(observations to cut, statistic)``: the first is ``d* × batch`` for the ``d*``
    that minimises the statistic (the first such, on ties), the second has one value
    per candidate.

    >>> cut, statistic = mser([9, 9, 9, 9, 9, 5, 5, 5, 5, 5, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1,
    ...                        1, 0, 1, 0, 1, 0, 1, 0, 1, 0], batch=5)
    >>> cut, len(statistic)
    (10, 4)
    """
    x = np.asarray(values, dtype=float)
    if batch < 1:
        raise ValueError(f"mser: batch must be 1 or more (got {batch!r})")
    k = x.size // batch
    if k < 2:
        return 0, np.zeros(1)
    y = x[: k * batch].reshape(k, batch).mean(axis=1)
    y = y - y.mean()  # centred: sums of squares without cancellation
    kept = np.arange(k, 0, -1, dtype=float)  # k - d observations kept, d = 0 .. k-1
    s1 = np.cumsum(y[::-1])[::-1]
    s2 = np.cumsum((y * y)[::-1])[::-1]
    squares = np.maximum(s2 - s1 * s1 / kept, 0.0)
    statistic = squares / (kept * kept)
    last = k // 2
    statistic = statistic[: last + 1]
    return int(np.argmin(statistic)) * batch, statistic


def welch_average(values: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average: each point the mean of the ``2 window + 1`` around it;
    near either end, of as many as are there on both sides alike (Welch's rule for the
    start: ``2 i + 1`` points for point ``i < window``).

    >>> welch_average(np.array([0.0, 3.0, 6.0, 9.0, 12.0]), 1).tolist()
    [0.0, 3.0, 6.0, 9.0, 12.0]
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0 or window < 1:
        return x.copy()
    total = np.concatenate([[0.0], np.cumsum(x)])
    index = np.arange(n)
    half = np.minimum(index, window)
    half = np.minimum(half, n - 1 - index)  # and symmetric near the end
    return (total[index + half + 1] - total[index - half]) / (2 * half + 1)


@dataclass(frozen=True)
class SeriesCut:
    """Where MSER-5 cut one level series of one scenario, averaged over the pilot."""

    scenario: str
    series: str
    subject: str
    truncation_h: float
    capped: bool  # the minimum lay at the end of the searched half: not settled


@dataclass
class WarmupChoice:
    """The warm-up chosen for ``warmup: auto``, and the evidence for it.

    ``levels`` maps ``(scenario, series, subject)`` to the level averaged over the pilot
    replications at ``times_h``: what ``warmup.png`` draws.
    """

    warmup_h: float
    cap_h: float
    capped: bool
    scenarios: list[str]
    pilot_replications: int
    times_h: np.ndarray
    cuts: list[SeriesCut] = field(default_factory=list)
    levels: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)

    def welch(self, key: tuple[str, str, str], window: int) -> np.ndarray:
        """Welch's moving average (:func:`welch_average`) of one averaged level series."""
        return welch_average(self.levels[key], window)

    @property
    def deciding(self) -> SeriesCut | None:
        """The series whose truncation point set the warm-up (None: no series)."""
        if not self.cuts:
            return None
        return max(self.cuts, key=lambda cut: cut.truncation_h)

    def evidence(self) -> dict[str, Any]:
        """What ``run.json`` records about the choice."""
        deciding = self.deciding
        return {
            "auto": True,
            "method": (
                "MSER-5 (White 1997) on each level series averaged over the pilot "
                "replications; the warm-up is the latest truncation point, at most half "
                "the horizon"
            ),
            "chosen_h": self.warmup_h,
            "cap_h": self.cap_h,
            "capped": self.capped,
            "pilot_replications": list(range(self.pilot_replications)),
            "pilot_scenarios": list(self.scenarios),
            "samples_per_series": int(self.times_h.size),
            "deciding_series": None
            if deciding is None
            else f"{deciding.series}[{deciding.subject}] of {deciding.scenario}",
            "series": [
                {
                    "scenario": cut.scenario,
                    "series": cut.series,
                    "subject": cut.subject,
                    "truncation_h": cut.truncation_h,
                    "capped": cut.capped,
                }
                for cut in self.cuts
            ],
        }


def choose_warmup(
    outputs: Iterable[Any], horizons: dict[str, float], points: int = PILOT_POINTS
) -> WarmupChoice:
    """The warm-up for the pilot ``outputs`` (the model's replication outputs, warm-up 0).

    ``horizons`` gives each pilot scenario's horizon in hours; ``points`` is how many
    intervals the pilot sampled each horizon into. The cap is half the shortest horizon.
    """
    # (scenario, series, subject) -> replication -> values, in time order.
    samples: dict[tuple[str, str, str], list[np.ndarray]] = {}
    times: dict[str, np.ndarray] = {}
    replications: set[int] = set()
    for out in outputs:
        replications.add(out.replication)
        grouped: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for name, subject, time_h, value in out.series:
            if name in WARMUP_SERIES:
                grouped.setdefault((name, subject), []).append((time_h, value))
        for (name, subject), pairs in grouped.items():
            pairs.sort(key=lambda pair: pair[0])
            t = np.array([p[0] for p in pairs])
            times.setdefault(out.scenario, t)
            samples.setdefault((out.scenario, name, subject), []).append(
                np.array([p[1] for p in pairs])
            )
    cap = CAP * min(horizons.values())
    cuts: list[SeriesCut] = []
    levels: dict[tuple[str, str, str], np.ndarray] = {}
    for key, runs in samples.items():
        scenario = key[0]
        length = min(len(r) for r in runs)
        level = np.mean([r[:length] for r in runs], axis=0)
        levels[key] = level
        cut, statistic = mser(level)
        step = horizons[scenario] / points
        capped = statistic.size > 1 and cut == (statistic.size - 1) * BATCH and cut > 0
        cuts.append(SeriesCut(scenario, key[1], key[2], min(cut * step, cap), bool(capped)))
    warmup = max((cut.truncation_h for cut in cuts), default=0.0)
    first = next(iter(times.values()), np.zeros(0))
    return WarmupChoice(
        warmup_h=float(warmup),
        cap_h=float(cap),
        capped=any(c.capped for c in cuts if c.truncation_h == warmup) and warmup > 0,
        scenarios=list(horizons),
        pilot_replications=len(replications),
        times_h=first,
        cuts=cuts,
        levels=levels,
    )
