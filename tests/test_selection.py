"""The selection procedure alone (Andradottir-Kim feasibility check + KN), on normal data."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment.optimize.selection import (
    BEST,
    ELIMINATED,
    INFEASIBLE,
    Selection,
    continuation,
    eta,
    h_squared,
)


def _run(means, limits, *, sd=1.0, y_sd=1.0, rho=0.5, delta=0.5, eps=0.5, threshold=0.0,
         confidence=0.95, seed=0, n0=10, budget=100_000):  # fmt: skip
    """Run the procedure on normal data with common random numbers (correlation ``rho``
    between candidates); return it and the replications used in all."""
    rng = np.random.default_rng(seed)
    means = np.asarray(means, dtype=float)
    limits = np.asarray(limits, dtype=float)
    k = len(means)
    constrained = limits.size > 0

    def draw(who):
        common = rng.normal()
        x = means[who] + sd * (np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(size=len(who)))
        if not constrained:
            return x, np.zeros((len(who), 0))
        common_y = rng.normal()
        noise = np.sqrt(rho) * common_y + np.sqrt(1 - rho) * rng.normal(size=len(who))
        return x, (limits[who] + y_sd * noise)[:, None]

    thresholds = [threshold] if constrained else []
    tolerances = [eps] if constrained else []
    sel = Selection(k, thresholds=thresholds, tolerances=tolerances, delta=delta,
                    confidence=confidence, n0=n0)  # fmt: skip
    first = [draw(np.arange(k)) for _ in range(n0)]
    sel.start(np.stack([x for x, _ in first], 1), np.stack([y for _, y in first], 2))
    used = k * n0
    while not sel.done and used < budget:
        used += len(sel.contention)
        sel.observe(*draw(np.asarray(sel.contention)))
    return sel, used


def test_eta_solves_the_kn_equation():
    """eta makes KN's error bound (1 + 2 eta) ** (-(n0 - 1) / 2) / 2 equal the error asked for."""
    for beta, n0 in [(0.05, 10), (0.01, 20), (0.001, 5)]:
        assert 0.5 * (1 + 2 * eta(beta, n0)) ** (-(n0 - 1) / 2) == pytest.approx(beta)


def test_h_squared_is_two_eta_times_n0_minus_one():
    """h2 is 2 eta (n0 - 1), as in Kim and Nelson (2001)."""
    assert h_squared(0.025, 10) == pytest.approx(2 * eta(0.025, 10) * 9)


def test_the_triangle_closes_after_h2_s2_over_delta_squared():
    """The continuation region is empty from r = h2 S2 / delta**2 on, and open before."""
    h2, s2, d = 4.0, 2.0, 0.5
    end = h2 * s2 / d**2
    assert continuation(end, d, h2, s2) == 0.0
    assert continuation(end - 1, d, h2, s2) > 0.0


def test_a_clearly_feasible_candidate_is_declared_feasible_after_the_first_stage():
    """A constraint mean far below its threshold (20 sd) is met at n0."""
    sel, _ = _run([0.0], [-20.0])
    assert sel.is_feasible(0) and sel.r == 10


def test_a_clearly_infeasible_candidate_is_dropped_after_the_first_stage():
    """A constraint mean far above its threshold is violated at n0 and the candidate is out."""
    sel, _ = _run([0.0, 0.0], [-20.0, 20.0])
    assert sel.status()[1] == INFEASIBLE and sel.decided_at[1] == 10


def test_a_better_infeasible_candidate_never_eliminates_a_feasible_one():
    """Candidate 1 has a far better objective but violates its constraint: 0 is best."""
    sel, _ = _run([0.0, 10.0], [-3.0, 3.0], eps=0.5)
    assert sel.best == 0 and sel.status() == [BEST, INFEASIBLE]


def test_a_clearly_worse_feasible_candidate_is_eliminated_early():
    """A candidate 20 sd worse than a feasible one is eliminated at the first stage."""
    sel, _ = _run([0.0, 20.0], [-20.0, -20.0])
    assert sel.status() == [ELIMINATED, BEST] and sel.decided_at[0] == 10


def test_identical_candidates_are_separated_when_the_triangle_closes():
    """Two candidates with identical outputs end (the earlier one stays), never loop."""
    sel = Selection(2, delta=0.5, n0=10)
    x = np.tile(np.arange(10.0), (2, 1))
    sel.start(x, np.zeros((2, 0, 10)))
    assert sel.done and sel.best == 0


def test_no_feasible_candidate_leaves_none_in_contention():
    """When every candidate violates the constraint, the procedure ends with no best."""
    sel, _ = _run([0.0, 1.0, 2.0], [5.0, 5.0, 5.0])
    assert sel.done and sel.best is None and set(sel.status()) == {INFEASIBLE}


def test_close_candidates_get_more_replications_than_clear_ones():
    """Sequential allocation: a runner-up 1 delta behind runs longer than one 10 delta behind."""
    sel, _ = _run([0.0, 4.5, 5.0], [-3.0, -3.0, -3.0], delta=0.5, seed=3)
    runs = sel.replications()
    assert runs[1] > runs[0]


@pytest.mark.parametrize("seed_base", [0])
def test_correct_selection_share_is_at_least_the_confidence(seed_base):
    """Over 200 macro-replications (slippage: best 1 delta ahead, one acceptable-but-
    infeasible rival better still), the share of correct selections is not below 95%
    (a one-sided binomial test at 1%: at least 183 of 200)."""
    correct = 0
    for m in range(200):
        # 0..2 feasible (constraint mean 1 eps below), 2 is best by delta; 3 better but
        # infeasible (1 eps above the threshold).
        sel, _ = _run([0.0, 0.0, 0.5, 2.0], [-0.5, -0.5, -0.5, 0.5], delta=0.5, eps=0.5,
                      seed=seed_base * 1000 + m)  # fmt: skip
        correct += sel.best == 2
    assert correct >= 183
