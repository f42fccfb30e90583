"""Arrivals: when a sales channel's orders come in.

Think of a shop's door with a bell above it. The *arrival process* rings the bell; the
shop (the :class:`~sim.model.orders.Channel`) sees who came in: it draws what the order
contains from the channel's own distributions and sends it on. Keeping the two apart
lets any source of timing drive a channel: a Poisson stream today; later a replay of a
file of past orders (which also knows what each order contained), past days drawn at
random, or a sales pipeline whose won leads become orders the moment they are won.

An arrival process is started once, at time 0, with the replication's
:class:`~sim.model.context.ModelContext` and the channel's ``emit`` function. It
schedules its own events on the context, and calls ``emit()`` each time an order
arrives. ``emit(lines)`` hands over an order whose lines the source knows: a list of
``(sku, quantity)`` pairs, each SKU given by name or by its index in the scenario's
products.

The Poisson process with an hour-of-week profile (``by_hour``, ``by_weekday``) has a
rate that is constant within each hour of the week, ``rate × profile[hour]``; the next
arrival is found by *inversion*: draw a unit exponential and walk forward through the
hours, spending ``rate_h`` of it per hour, until it is used up. Its unit exponentials
come from the stream ``arrivals:<channel>``.

Arrivals are callbacks that schedule the next one, not SimPy processes: a process
resume costs an extra event and a generator switch per order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from simpy import Timeout

from sim.model.context import HOURS_PER_WEEK
from sim.scenario.distributions import from_blocks

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.scenario.models import DemandStream

__all__ = ["ArrivalProcess", "Emit", "PoissonArrivals", "arrival_process"]

#: One line of an order whose content its source knows: a SKU (name or product index)
#: and a quantity.
KnownLine = tuple[str | int, int]


class Emit(Protocol):
    """The channel's doorbell: an order arrives now (its lines drawn, or as given)."""

    def __call__(self, lines: Sequence[KnownLine] | None = None) -> None: ...


class ArrivalProcess:
    """When a channel's orders arrive: the extension point for sources of demand.

    A subclass implements :meth:`start`. It is called once, at time 0, and schedules the
    process's own events with ``ctx.schedule(delay, callback)``; whenever an order
    arrives, the process calls ``emit()`` (the channel draws the order's content) or
    ``emit(lines)`` (the source knows it). One instance serves one channel in one
    replication; random numbers come from ``ctx.stream(name)``, under a name of their
    own so that nothing else shifts them.

    A replay of known orders at known hours, for example::

        class Replay(ArrivalProcess):
            def __init__(self, orders):  # [(hour, [(sku, quantity), ...]), ...]
                self.orders = orders

            def start(self, ctx, emit):
                for hour, lines in self.orders:
                    ctx.schedule(hour, lambda event: emit(event.value), lines)
    """

    __slots__ = ()

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Begin: schedule the first arrival (or all of them)."""
        raise NotImplementedError


class PoissonArrivals(ArrivalProcess):
    """A Poisson stream of orders at ``rate`` per hour, shaped by an hour-of-week profile.

    ``profile`` is None for a constant rate, or the 168 hourly factors from Monday 00:00
    (mean 1). A rate of 0 sends no orders.
    """

    __slots__ = ("rate", "stream_name", "_hourly", "_env", "_emit", "_unit_exp")

    def __init__(self, rate: float, profile: Sequence[float] | None, stream_name: str) -> None:
        self.rate = rate
        self.stream_name = stream_name
        self._hourly = None if profile is None else [rate * f for f in profile]

    def start(self, ctx: ModelContext, emit: Emit) -> None:
        """Schedule the first arrival."""
        if not self.rate > 0:
            return
        rng = ctx.stream(self.stream_name)
        self._unit_exp = from_blocks(lambda n: rng.standard_exponential(n))
        self._env = ctx.env
        self._emit = emit
        ctx.schedule(self._next_time(0.0), self._arrive)

    def _next_time(self, t: float) -> float:
        """The arrival after time ``t``: a unit exponential spent against the rate."""
        e = self._unit_exp()
        hourly = self._hourly
        if hourly is None:
            return t + e / self.rate
        while True:
            hour = math.floor(t)
            rate = hourly[hour % HOURS_PER_WEEK]
            end = hour + 1.0
            if rate > 0.0:
                left = (end - t) * rate
                if e < left:
                    return t + e / rate
                e -= left
            t = end

    def _arrive(self, _event: Any) -> None:
        """An order arrives; the one after it is scheduled first (as the numbers always were)."""
        if self._hourly is None:  # homogeneous: inlined for performance
            gap = self._unit_exp() / self.rate
        else:
            now = self._env.now
            gap = self._next_time(now) - now
        Timeout(self._env, gap).callbacks.append(self._arrive)  # ctx.schedule, a call less
        self._emit()


def arrival_process(spec: DemandStream, channel: str) -> ArrivalProcess:
    """The arrival process a channel's spec asks for (today: always Poisson)."""
    arrivals = spec.arrivals
    shaped = arrivals.by_hour is not None or arrivals.by_weekday is not None
    return PoissonArrivals(
        arrivals.rate, arrivals.profile() if shaped else None, f"arrivals:{channel}"
    )
