"""Reorder policies: when a stock orders from its supplier, and how much.

Think of the store manager with the clipboard (see :mod:`sim.model.inventory`). A
*continuous-review* manager glances at the **inventory position** (on hand + on order
− backordered) every time it changes and orders when it is low. A *periodic* manager
walks past on a schedule, counts, and orders then. Each way of deciding is a small
object, chosen from :data:`POLICIES` by the scenario's ``policy.type``:

* ``s_S``: position <= s → order S − position;
* ``r_Q``: position <= r → order n·Q, the smallest n that lifts the position above r;
* ``base_stock``: position < S → order S − position (one for one);
* ``periodic``: at time 0 and every ``review``, order up to S (only if position <= s,
  when s is given); with ``at`` or ``days``, the first review is the first ``at`` on one
  of ``days`` from time 0, and each next one the first such slot at least ``review``
  after the last; a review due on a closed date does not happen;
* ``none``: never reorder.

A policy places a purchase order with ``stock.order(units, now)``; the supplier's
``min_order`` may raise it. Reading ``stock.demanded_to_date`` at each review and
subtracting the previous reading gives the units demanded in between, served or not,
which a forecasting policy needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from simpy import Timeout

from sim.model.context import HOURS_PER_DAY

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.model.inventory import Stock

__all__ = [
    "POLICIES",
    "BaseStock",
    "NoReorder",
    "OrderUpToS",
    "PeriodicReview",
    "ReorderPolicy",
    "ReorderQ",
    "register",
    "reorder_policy",
]


class ReorderPolicy:
    """How a stock is replenished: the extension point for inventory policies.

    A policy object belongs to one stock in one replication and is built from its
    scenario spec (``policy`` of a product), so ``__init__(spec)`` reads the spec's
    fields. The stock calls :meth:`start` once at time 0. If ``continuous`` is true, the
    stock also calls :meth:`review` after every change of its inventory position (a
    demand, an expiry, units put back); deliveries and filled backorders leave the
    position as it was. A policy that is not continuous schedules its own reviews in
    :meth:`start` with ``ctx.schedule`` (see :class:`PeriodicReview`).

    Adding a policy takes the class, registered under the ``type`` its scenario spec
    carries, the spec itself (in :mod:`sim.scenario.models`) and its documentation; the
    stock does not change. A min-max policy, for example::

        @register("min_max")
        class MinMax(ReorderPolicy):
            def __init__(self, spec):
                self.low, self.high = spec.min, spec.max

            def review(self, stock, now):
                position = stock.position
                if position <= self.low:
                    stock.order(self.high - position, now)
    """

    #: The scenario's ``policy.type`` for this class (set by :func:`register`).
    type: ClassVar[str] = ""
    #: Reviewed by the stock after every change of its inventory position.
    continuous: ClassVar[bool] = True

    __slots__ = ()

    def __init__(self, spec: Any = None) -> None:
        pass

    def start(self, stock: Stock, ctx: ModelContext) -> None:
        """Time 0: the first look at the stock (a periodic policy also schedules its reviews)."""
        self.review(stock, ctx.env.now)

    def review(self, stock: Stock, now: float) -> None:
        """Look at ``stock`` at time ``now``; place a purchase order if one is due."""
        raise NotImplementedError


#: Policy classes by the scenario's ``policy.type``.
POLICIES: dict[str, type[ReorderPolicy]] = {}

_P = TypeVar("_P", bound=type[ReorderPolicy])


def register(type_name: str) -> Callable[[_P], _P]:
    """Class decorator: make the policy class the one for ``policy.type == type_name``."""

    def add(cls: _P) -> _P:
        if type_name in POLICIES:
            raise ValueError(f"a reorder policy of type {type_name!r} is already registered")
        cls.type = type_name
        POLICIES[type_name] = cls
        return cls

    return add


def reorder_policy(spec: Any) -> ReorderPolicy:
    """A fresh policy object for a product's ``policy`` spec, chosen by its ``type``."""
    return POLICIES[spec.type](spec)


@register("none")
class NoReorder(ReorderPolicy):
    """Never reorder: what is on hand is all there will be."""

    continuous = False
    __slots__ = ()

    def start(self, stock: Stock, ctx: ModelContext) -> None:
        """Nothing to look at, ever."""

    def review(self, stock: Stock, now: float) -> None:
        """Nothing to order."""


@register("s_S")
class OrderUpToS(ReorderPolicy):
    """(s, S): when the position falls to ``s`` or below, order up to ``S``."""

    __slots__ = ("s", "S")

    def __init__(self, spec: Any) -> None:
        self.s = spec.s
        self.S = spec.S

    def review(self, stock: Stock, now: float) -> None:
        """Order S − position when the position is at or below s."""
        position = stock.position
        if position <= self.s:
            stock.order(self.S - position, now)


@register("r_Q")
class ReorderQ(ReorderPolicy):
    """(r, Q): when the position falls to ``r`` or below, order as many ``Q`` as lift it above r."""

    __slots__ = ("r", "Q")

    def __init__(self, spec: Any) -> None:
        self.r = spec.r
        self.Q = spec.Q

    def review(self, stock: Stock, now: float) -> None:
        """Order n·Q, the smallest n that lifts the position above r."""
        position = stock.position
        if position <= self.r:
            stock.order(((self.r - position) // self.Q + 1) * self.Q, now)


@register("base_stock")
class BaseStock(ReorderPolicy):
    """Base stock ``S``: keep the position at S, one for one."""

    __slots__ = ("S",)

    def __init__(self, spec: Any) -> None:
        self.S = spec.S

    def review(self, stock: Stock, now: float) -> None:
        """Order what the position lacks of S."""
        position = stock.position
        if position < self.S:
            stock.order(self.S - position, now)


@register("periodic")
class PeriodicReview(ReorderPolicy):
    """Every ``review`` hours from time 0, order up to ``S`` (if ``s`` is set: only at or below s).

    With ``at`` (a time of day) or ``days`` (weekdays), reviews happen in those slots:
    the first at the first slot from time 0, each next one at the first slot at least
    ``review`` after the last (``review: 1d, at: "20:00", days: [mon, ..., sat]`` is
    every evening but Sunday's). A review due on a closed date is skipped.

    The time to the next review comes from :meth:`next_review`; a forecasting policy
    overrides :meth:`review`.
    """

    continuous = False
    __slots__ = ("every", "s", "S", "at", "days", "_stock", "_env", "_calendar")

    def __init__(self, spec: Any) -> None:
        self.every = spec.review
        self.s = spec.s
        self.S = spec.S
        at, days = getattr(spec, "at", None), getattr(spec, "days", None)
        on_schedule = at is not None or days is not None
        #: Time of day of each review (hours), or None: every ``review`` from time 0.
        self.at = (at or 0.0) if on_schedule else None
        self.days = frozenset(days if days is not None else range(7))

    def start(self, stock: Stock, ctx: ModelContext) -> None:
        """Review now, at time 0 (or at the first slot), and schedule the reviews that follow."""
        self._stock = stock
        self._env = ctx.env
        self._calendar = ctx.calendar
        if self.at is None:
            self._tick(None)
        else:
            Timeout(self._env, self._slot(0.0)).callbacks.append(self._tick)

    def review(self, stock: Stock, now: float) -> None:
        """Order up to S (when s is set, only if the position is at or below it)."""
        position = stock.position
        if (self.s is None or position <= self.s) and position < self.S:
            stock.order(self.S - position, now)

    def next_review(self, now: float) -> float:
        """Hours from ``now`` (a review) to the next review."""
        if self.at is None:
            return self.every
        return self._slot(now + self.every) - now

    def _slot(self, t: float) -> float:
        """The first review slot (``at`` on one of ``days``) at or after time ``t``."""
        assert self.at is not None
        day = math.floor((t - self.at) / HOURS_PER_DAY)
        while True:
            slot = day * HOURS_PER_DAY + self.at
            if slot >= t - 1e-9 and self._calendar.weekday(day) in self.days:
                return slot
            day += 1

    def _tick(self, _event: Timeout | None) -> None:
        now = self._env.now
        if not self._calendar.closed_at(now):
            self.review(self._stock, now)
        Timeout(self._env, self.next_review(now)).callbacks.append(self._tick)
