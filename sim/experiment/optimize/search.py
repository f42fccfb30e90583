"""The search stage: a short list of good candidates when there are too many to compare.

When the candidates times the first-stage replications would spend more than half the
budget, the guaranteed procedure cannot even start on all of them. A **compass search**
(a pattern search: R. Hooke and T. A. Jeeves (1961), J. ACM 8(2):212-229; T. G.
Kolda, R. M. Lewis and V. Torczon (2003), *Optimization by direct search*, SIAM
Review 45(3):385-482) walks the lattice of decision values instead:

* every point it visits runs the same few replications (common random numbers: the
  differences between neighbours are the decisions, not the luck), so the comparison
  of two points is a paired one, and the replications are reused later;
* a point's **merit** is its objective mean when every constraint's mean is met, and
  below every such point otherwise, ordered by how far its means miss the thresholds
  (each miss in units of the constraint's tolerance);
* from the middle of the lattice, it polls the two neighbours ``step`` away along each
  decision, moves to the best one when it beats the current point, and halves the steps
  when none does; it stops when the steps are all 1 and no neighbour is better, or
  when its share of the budget is spent.

The best points visited (by merit, at most :data:`~sim.experiment.optimize.plan.SHORT_LIST`)
form the short list. The search has no statistical guarantee of its own: the printed
guarantee then covers the short list only, and says so.

Pure Python; the caller supplies the evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["compass_search", "merit"]

Point = tuple[int, ...]


def merit(
    objective: float,
    constraints: Sequence[tuple[float, str, float, float]],
    maximize: bool,
) -> tuple[int, float]:
    """A point's merit from its means: ``(1, objective)`` (signed so larger is better) when
    every constraint ``(mean, op, threshold, tolerance)`` is met, else ``(0, -misses)``."""
    misses = 0.0
    for mean, op, threshold, tolerance in constraints:
        short = threshold - mean if op == ">=" else mean - threshold
        if short > 0 or math.isnan(mean):
            misses += short / tolerance if not math.isnan(mean) else math.inf
    if misses > 0:
        return (0, -misses)
    return (1, objective if maximize else -objective)


def compass_search(
    sizes: Sequence[int],
    score: Callable[[list[Point]], list[tuple[int, float]]],
    *,
    max_points: int,
) -> dict[Point, tuple[int, float]]:
    """Visit lattice points (index ``0..size-1`` per decision) by compass search.

    ``score(points)`` evaluates a batch of new points (run in parallel by the caller) and
    returns each one's merit (larger is better). At most ``max_points`` points are
    visited. Returns the merit of every point visited.

    >>> best = {(3, 1)}
    >>> def score(points):
    ...     return [(1, -abs(p[0] - 3) - abs(p[1] - 1)) for p in points]
    >>> seen = compass_search([8, 5], score, max_points=40)
    >>> max(seen, key=seen.get)
    (3, 1)
    """
    seen: dict[Point, tuple[int, float]] = {}
    current: Point = tuple(size // 2 for size in sizes)
    steps = [max(1, size // 4) for size in sizes]

    def visit(points: list[Point]) -> None:
        new = [p for p in dict.fromkeys(points) if p not in seen][: max_points - len(seen)]
        if new:
            seen.update(zip(new, score(new)))

    visit([current])
    while len(seen) < max_points:
        polls: list[Point] = []
        for axis, step in enumerate(steps):
            for sign in (-1, 1):
                index = current[axis] + sign * step
                if 0 <= index < sizes[axis]:
                    polls.append(current[:axis] + (index,) + current[axis + 1 :])
        visit(polls)
        better = max((p for p in polls if p in seen), key=lambda p: seen[p], default=None)
        if better is not None and seen[better] > seen[current]:
            current = better
            continue
        if all(step == 1 for step in steps):
            break
        steps = [max(1, step // 2) for step in steps]
    return seen
