"""Selecting the best feasible system by simulation, with a stated probability of being right.

This is the statistics of ``optimize``, apart from any simulation: it sees numbers only,
one row of observations per replication and candidate, and decides which candidates to
drop and which need more replications. It is the combined procedure of

* S. Andradottir and S.-H. Kim (2010), *Fully sequential procedures for comparing
  constrained systems via simulation*, Naval Research Logistics 57(5):403-421 [AK]:
  a fully sequential **feasibility check** of every candidate against every
  constraint (the procedure F_B of D. Batur and S.-H. Kim (2010), ACM TOMACS 20(3),
  article 13), run at the same time as a
* **KN** selection of the best on the primary measure: S.-H. Kim and B. L. Nelson
  (2001), *A fully sequential procedure for indifference-zone selection in simulation*,
  ACM TOMACS 11(3):251-273 [KN], which uses common random numbers: it compares two
  candidates by their paired differences, replication by replication.

The problem. Candidate ``i`` has a primary measure ``X_i`` (larger is better; a
minimised objective is negated by the caller) and secondary measures ``Y_il`` with
constraints ``E[Y_il] <= q_l``. The **tolerance** ``delta`` is the indifference zone of
the primary measure: plans whose means differ by less do not matter. Each constraint
has its own tolerance ``eps_l``: a candidate with ``E[Y_il] <= q_l - eps_l`` is
*desirable*, with ``E[Y_il] >= q_l + eps_l`` *unacceptable*, and one in between is
*acceptable*: either decision about it is correct.

The procedure, with ``n0`` first-stage replications and ``1 - alpha`` the confidence:

1. The error is split between the two tasks as in [AK]: ``alpha1 = alpha2 = alpha / 2``
   (with no constraints all of ``alpha`` goes to the selection).
2. Every candidate runs ``n0`` replications on common random numbers. From them, the
   sample variance ``S2_il`` of each secondary measure and ``S2_ij`` of each paired
   difference ``X_i - X_j`` are computed once.
3. Fabian's triangular continuation region, in sums over ``r`` replications:
   ``R(r; d, h2, S2) = max(0, h2 S2 / (2 d) - d r / 2)``, with
   ``h2 = 2 eta (n0 - 1)`` and ``eta = ((2 beta) ** (-2 / (n0 - 1)) - 1) / 2`` for the
   error ``beta`` of one decision ([KN], eq. 1 with c = 1).
4. **Feasibility** (``beta = alpha1 / (k s)``, Bonferroni over candidates and
   constraints, valid with common random numbers): after ``r`` replications, constraint
   ``l`` of candidate ``i`` is met if ``sum_j (Y_ilj - q_l) <= -R(r; eps_l, h2, S2_il)``
   and violated if ``>= +R``; a violated constraint makes the candidate *infeasible*
   and it is dropped. A candidate whose every constraint is met is *feasible*.
5. **Selection** (``beta = alpha2 / (k - 1)``): a candidate ``i`` still in contention
   is *eliminated* by a feasible candidate ``j`` in contention when
   ``sum_r (X_ir - X_jr) < -R(r; delta, h2, S2_ij)``. Only a candidate known to be
   feasible may eliminate another ([AK]): an infeasible plan, however good, never
   drives out a feasible one.
6. Both checks run after every replication, the survivors get one more, until one
   candidate is left and it is feasible (the best), or none is left (no candidate is
   feasible). Once ``r`` passes the end of a triangle (``R = 0``), the sign decides
   (ties: the constraint is met; the earlier candidate stays), so each decision takes
   at most ``h2 S2 / d**2`` replications.

**What it guarantees** ([AK], Theorem 2; [KN], Theorem 1): if every replication's
measures are normally distributed (replication means of a long run are close to it),
independent across replications, and common random numbers make the pairs at most
positively correlated, then with probability at least ``1 - alpha`` the procedure (a)
declares every desirable candidate feasible and every unacceptable one infeasible, and
(b) when the best feasible candidate's mean beats every other feasible candidate's by
at least ``delta`` (the indifference-zone assumption), it selects that candidate.
When several candidates are within ``delta`` of the best, the guarantee is the usual
indifference-zone one: no statement is made about which of them is picked, and the
bench (``bench/optimize.py``) measures how often a plan within ``delta`` is picked.

Only numpy is used; the module never simulates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "BEST",
    "ELIMINATED",
    "FEASIBLE",
    "INFEASIBLE",
    "UNDECIDED",
    "Selection",
    "continuation",
    "eta",
    "h_squared",
]

#: Candidate statuses, as written in ``decision.csv``.
BEST, FEASIBLE, INFEASIBLE, ELIMINATED, UNDECIDED = (
    "best",
    "feasible",
    "infeasible",
    "eliminated",
    "undecided",
)


def eta(beta: float, n0: int) -> float:
    """KN's constant for an error ``beta`` per decision and ``n0`` first-stage replications.

    ``eta = ((2 beta) ** (-2 / (n0 - 1)) - 1) / 2`` ([KN], with c = 1).

    >>> round(eta(0.05, 10), 4)
    0.3341
    """
    if not 0.0 < beta < 0.5:
        raise ValueError(f"eta: the error per decision must be in (0, 0.5) (got {beta!r})")
    if n0 < 2:
        raise ValueError(f"eta: at least 2 first-stage replications are needed (got {n0!r})")
    return ((2.0 * beta) ** (-2.0 / (n0 - 1)) - 1.0) / 2.0


def h_squared(beta: float, n0: int) -> float:
    """``h2 = 2 eta (n0 - 1)``: the height of the triangle, in units of the variance."""
    return 2.0 * eta(beta, n0) * (n0 - 1)


def continuation(
    r: int | np.ndarray, d: float | np.ndarray, h2: float, s2: float | np.ndarray
) -> np.ndarray:
    """Fabian's triangle in sums: ``max(0, h2 s2 / (2 d) - d r / 2)``.

    A sum of ``r`` differences below ``-continuation`` (or above ``+continuation``)
    decides; in between, more replications are needed.
    """
    return np.maximum(0.0, h2 * np.asarray(s2, dtype=float) / (2.0 * d) - d * np.asarray(r) / 2.0)


@dataclass
class Selection:
    """The state of the combined procedure over ``k`` candidates and ``s`` constraints.

    Feed it the ``n0`` first-stage replications of every candidate with :meth:`start`,
    then one replication at a time of every candidate in :attr:`contention` with
    :meth:`observe`, until :attr:`done`. ``thresholds`` are the ``q_l`` and
    ``tolerances`` the ``eps_l`` of the constraints (secondary measures are ``<=``
    their threshold); ``delta`` the indifference zone of the primary measure (larger is
    better); ``confidence`` is ``1 - alpha``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> means = np.array([0.0, 1.0, 3.0])          # candidate 2 is best...
    >>> limits = np.array([[0.0], [0.0], [5.0]])   # ...but violates its constraint
    >>> def draw(who):
    ...     return means[who] + rng.normal(size=len(who)), limits[who] + rng.normal(
    ...         size=(len(who), 1))
    >>> sel = Selection(3, thresholds=[1.0], tolerances=[0.5], delta=0.5, n0=10)
    >>> first = [draw([0, 1, 2]) for _ in range(10)]
    >>> sel.start(np.stack([x for x, _ in first], 1), np.stack([y for _, y in first], 2))
    >>> while not sel.done:
    ...     sel.observe(*draw(sel.contention))
    >>> sel.best, sel.status()
    (1, ['eliminated', 'best', 'infeasible'])
    """

    k: int
    thresholds: Sequence[float] = ()
    tolerances: Sequence[float] = ()
    delta: float = 1.0
    confidence: float = 0.95
    n0: int = 10
    r: int = 0
    contention: list[int] = field(default_factory=list)
    feasible: np.ndarray = field(init=False)  # per candidate and constraint: met
    infeasible: np.ndarray = field(init=False)  # per candidate: some constraint violated
    eliminated_by: dict[int, int] = field(default_factory=dict)
    decided_at: dict[int, int] = field(default_factory=dict)  # candidate -> replications
    h2_feasibility: float = math.nan
    h2_selection: float = math.nan

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"Selection: at least one candidate is needed (got {self.k})")
        if len(self.thresholds) != len(self.tolerances):
            raise ValueError("Selection: one tolerance per constraint threshold")
        if self.delta <= 0 or any(e <= 0 for e in self.tolerances):
            raise ValueError("Selection: the tolerances must be above 0")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"Selection: confidence must be in (0, 1) (got {self.confidence})")
        s = len(self.thresholds)
        alpha = 1.0 - self.confidence
        alpha1, alpha2 = (alpha / 2.0, alpha / 2.0) if s else (0.0, alpha)
        if s:
            self.h2_feasibility = h_squared(alpha1 / (self.k * s), self.n0)
        if self.k > 1:
            self.h2_selection = h_squared(alpha2 / (self.k - 1), self.n0)
        self.feasible = np.zeros((self.k, s), dtype=bool)
        self.infeasible = np.zeros(self.k, dtype=bool)
        self._q = np.asarray(self.thresholds, dtype=float)
        self._eps = np.asarray(self.tolerances, dtype=float)

    # ----------------------------------------------------------------- feeding
    def start(self, x: np.ndarray, y: np.ndarray, excluded: Sequence[int] = ()) -> None:
        """The first stage: ``x[i, j]`` and ``y[i, l, j]`` for every candidate ``i``,
        constraint ``l`` and replication ``j < n0``; ``excluded`` candidates are dropped
        as infeasible before any check (see :meth:`exclude`; their data are ignored)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float).reshape(self.k, len(self._q), x.shape[-1])
        if x.shape != (self.k, self.n0) or y.shape[2] != self.n0:
            raise ValueError(f"Selection.start: expected {self.k} x {self.n0} observations")
        diffs = x[:, None, :] - x[None, :, :]
        self._s2_pair = diffs.var(axis=2, ddof=1)
        self._s2_y = y.var(axis=2, ddof=1)
        self._sum_x = x.sum(axis=1)
        self._sum_y = y.sum(axis=2)
        self.r = self.n0
        self.contention = list(range(self.k))
        for i in excluded:
            self.exclude(i)
        self._check()

    def observe(
        self, x: Sequence[float] | np.ndarray, y: Sequence[Sequence[float]] | np.ndarray
    ) -> None:
        """One more replication of every candidate in :attr:`contention`, in that order
        (``x[m]``, ``y[m][l]`` for the ``m``-th of them); then every check at once."""
        if self.done:
            raise RuntimeError("Selection.observe: the procedure has finished")
        idx = np.asarray(self.contention)
        self._sum_x[idx] += np.asarray(x, dtype=float)
        self._sum_y[idx] += np.asarray(y, dtype=float).reshape(len(idx), len(self._q))
        self.r += 1
        self._check()

    def exclude(self, i: int) -> None:
        """Drop candidate ``i`` as infeasible for a reason outside the data (its queues
        grow without bound: no mean exists to check)."""
        if i in self.contention:
            self.infeasible[i] = True
            self.decided_at[i] = self.r
            self.contention = [j for j in self.contention if j != i]

    # ----------------------------------------------------------------- the rules
    def _check(self) -> None:
        r = self.r
        if len(self._q):
            alive = np.asarray(self.contention)
            open_ = ~self.feasible[alive]
            sums = self._sum_y[alive] - r * self._q
            bound = continuation(r, self._eps, self.h2_feasibility, self._s2_y[alive])
            closed = bound == 0.0
            met = open_ & ((sums <= -bound) & ~(closed & (sums > 0)))
            violated = open_ & ~met & ((sums >= bound) & ~(closed & (sums <= 0)))
            self.feasible[alive] |= met
            for m, i in enumerate(alive):
                if violated[m].any():
                    self.infeasible[i] = True
                    self.decided_at[int(i)] = r
            self.contention = [i for i in self.contention if not self.infeasible[i]]
        if len(self.contention) > 1:
            known = [j for j in self.contention if self.is_feasible(j)]
            out: dict[int, int] = {}
            for i in self.contention:
                for j in known:
                    if j == i:
                        continue
                    diff = float(self._sum_x[i] - self._sum_x[j])
                    limit = float(
                        continuation(r, self.delta, self.h2_selection, self._s2_pair[i, j])
                    )
                    tie_lost = limit == 0.0 and diff == 0.0 and i > j
                    if diff < -limit or tie_lost:
                        out[i] = j
                        break
            for i, j in out.items():
                self.eliminated_by[i] = j
                self.decided_at[i] = r
            self.contention = [i for i in self.contention if i not in out]

    # ----------------------------------------------------------------- reading
    def is_feasible(self, i: int) -> bool:
        """Candidate ``i`` has been shown to meet every constraint."""
        return bool(self.feasible[i].all()) and not self.infeasible[i]

    @property
    def done(self) -> bool:
        """One feasible candidate is left (the best), or none."""
        if not self.contention:
            return True
        return len(self.contention) == 1 and self.is_feasible(self.contention[0])

    @property
    def best(self) -> int | None:
        """The selected candidate, once :attr:`done` (None: none is feasible, or not done)."""
        if self.done and self.contention:
            return self.contention[0]
        return None

    def means(self) -> np.ndarray:
        """Every candidate's primary mean over the replications it ran (up to :attr:`r`)."""
        runs = np.array([self.decided_at.get(i, self.r) for i in range(self.k)], dtype=float)
        return self._sum_x / np.maximum(runs, 1.0)

    def status(self) -> list[str]:
        """Each candidate's status: best, feasible, infeasible, eliminated or undecided."""
        best = self.best
        statuses = []
        for i in range(self.k):
            if i == best:
                statuses.append(BEST)
            elif self.infeasible[i]:
                statuses.append(INFEASIBLE)
            elif i in self.eliminated_by:
                statuses.append(ELIMINATED)
            elif self.is_feasible(i):
                statuses.append(FEASIBLE)
            else:
                statuses.append(UNDECIDED)
        return statuses

    def replications(self) -> list[int]:
        """The replications each candidate took part in (the decision's, or all so far)."""
        return [self.decided_at.get(i, self.r) for i in range(self.k)]
