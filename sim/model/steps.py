"""Steps: the desks that work passes through, one task at a time.

Think of a line of desks. At a *staffed* desk an item (an order; later, a sales lead)
waits in a first-come first-served queue until a worker of the desk's staff pool is
free, keeps that worker for the task time (plus a time per unit), then walks on. A
desk may refuse an item when its queue is full (the item *balks*), and an item whose
patience runs out leaves the queue (it *abandons*). A *delay* desk has a time but no
staff (drying paint, a courier's pick-up): no queue, no worker.

A step does not know where an item goes next. It tells its *route*, an object with
three methods (:class:`Route`): ``done`` when the task is over, ``balk`` when the queue
was full, ``abandon`` when the item's patience ran out (on joining the queue or while
in it). The order flow (:class:`~sim.model.process.Flow`) is one route; a sales
pipeline routing leads through its stages can be another, reusing these steps and the
staff pools unchanged.

What a step needs of an item (:class:`Item`): its task time at every step drawn in
advance (``times[step.index]``), its ``units`` (for the time per unit), its patience
``deadline``, and three slots the step keeps up to date: ``waiting_in`` (the step whose
queue holds it, or None), ``queued_since`` and ``impatient`` (its patience timer is set).

Nothing here is a SimPy process. Each task is one ``simpy.Timeout`` whose callback
moves the item on: a process per item (or a ``simpy.Resource``) would cost several
events and generator switches per task, and the engine must be fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from simpy import Timeout

from sim.model.metrics import QuantileSketch, Tally, TimeAverage

if TYPE_CHECKING:
    from sim.model.context import ModelContext
    from sim.model.staff import Pool

__all__ = ["DelayStep", "Item", "Route", "StaffedStep", "Step"]

_INF = float("inf")


class Item(Protocol):
    """What a step reads and writes on the items it serves (an order, a lead)."""

    times: list[float]  # task time at each step, by step index, drawn in advance
    units: int  # for the time per unit
    deadline: float  # the item abandons a queue it is still in at this time (inf: never)
    waiting_in: Step | None  # the step whose queue holds the item now
    queued_since: float  # when it joined that queue
    impatient: bool  # its patience timer is scheduled (once per item, for every queue)


class Route(Protocol):
    """Where a step sends an item next: the flow of orders, or any other route.

    Each method receives the item and the current time.
    """

    def done(self, item: Any, now: float) -> None:
        """The item's task at its current step is over."""

    def balk(self, item: Any, now: float) -> None:
        """The item was refused by a full queue."""

    def abandon(self, item: Any, now: float) -> None:
        """The item's patience ran out: it reached a queue past its deadline, or left one."""


class Step:
    """A place items pass through: the extension point for kinds of step.

    Every step has the same reporting surface, counted in the statistics window:
    ``name``; ``reached`` (items that arrived at it); ``balked`` (of those, refused by
    a full queue); ``wait`` (a :class:`~sim.model.metrics.Tally` of hours queued, over
    items that started it); ``queue_length`` (items in its queue now) and
    ``queue_level`` (its time-weighted :class:`~sim.model.metrics.TimeAverage`). A
    step without a queue leaves the last three at zero. ``wait_sketch`` holds the
    waits longer than zero (and any zero a step chooses to add): the waits of items
    that started without queueing are ``wait.count - wait_sketch.count`` zeros, counted
    by ``wait`` alone so that a free desk costs nothing extra (see :meth:`wait_quantile`).

    A subclass implements :meth:`arrive` and calls its ``route`` back (``done``,
    ``balk``, ``abandon``); ``route`` is set by whoever routes items through it. A step
    that holds items for a fixed time, for example::

        class Hold(Step):
            __slots__ = ("hours",)

            def arrive(self, item, now):
                if self.window[0] <= now <= self.window[1]:
                    self.reached += 1
                    self.wait.count += 1  # no queue: a wait of 0
                self.ctx.schedule(self.hours, lambda event: self.route.done(item, self.env.now))
    """

    __slots__ = (
        "name", "index", "per_unit", "ctx", "env", "window", "route",
        "reached", "balked", "queue_length", "queue_level", "wait", "wait_sketch",
    )

    def __init__(self, name: str, index: int, per_unit: float, ctx: ModelContext) -> None:
        self.name = name
        self.index = index  # where the item keeps this step's task time: item.times[index]
        self.per_unit = per_unit
        self.ctx = ctx
        self.env = ctx.env
        self.window = start, end = ctx.window
        self.route: Any = None  # set by the route (e.g. the Flow) that uses the step
        self.reached = 0
        self.balked = 0
        self.queue_length = 0  # items in this step's queue now (abandoned ones taken off)
        self.queue_level = TimeAverage(start, end)
        self.wait = Tally(start, end)
        self.wait_sketch = QuantileSketch()

    def arrive(self, item: Any, now: float) -> None:
        """The item reaches this step at ``now``."""
        raise NotImplementedError

    def wait_quantile(self, q: float) -> float:
        """The ``q``-quantile of the hours waited by items that started the step in the window."""
        zeros = self.wait.count - self.wait_sketch.count
        return self.wait_sketch.quantile(q, zeros=zeros)


class StaffedStep(Step):
    """A step whose task takes one worker of a staff pool; items queue FIFO at the pool."""

    __slots__ = ("pool", "queue_limit")

    def __init__(
        self, name: str, index: int, pool: Pool, per_unit: float, queue_limit: int | None,
        ctx: ModelContext,
    ) -> None:
        super().__init__(name, index, per_unit, ctx)
        self.pool = pool
        # No limit is an infinite one: one comparison instead of two in the hot path.
        self.queue_limit = _INF if queue_limit is None else queue_limit

    def arrive(self, item: Any, now: float) -> None:
        """Start the item, queue it, or refuse it."""
        w0, w1 = self.window
        counted = w0 <= now <= w1
        if counted:
            self.reached += 1
        pool = self.pool
        if pool.busy < pool.on_duty:  # a free worker means nobody is waiting
            if counted:  # self.wait.add(now, 0.0) inlined: a wait of 0 leaves the total as it is
                self.wait.count += 1
            pool.busy_level.add(now, 1)
            pool.busy += 1
            # ctx.schedule(task time, self.finish, item), written out: a call less per task.
            Timeout(
                self.env, item.times[self.index] + self.per_unit * item.units, item
            ).callbacks.append(self.finish)
            return
        if self.queue_length >= self.queue_limit:
            if counted:
                self.balked += 1
            self.route.balk(item, now)
            return
        if item.deadline <= now:  # joins a queue after running out of patience
            self.route.abandon(item, now)
            return
        item.queued_since = now
        item.waiting_in = self
        self.queue_length += 1
        self.queue_level.add(now, 1)
        pool.queue.append(item)
        if not item.impatient and item.deadline != _INF:
            item.impatient = True
            Timeout(self.env, item.deadline - now, item).callbacks.append(_patience_ends)

    def start(self, item: Any, now: float) -> None:
        """A worker takes the item from the queue (the pool has counted the worker busy)."""
        item.waiting_in = None
        self.queue_length -= 1
        self.queue_level.add(now, -1)
        w0, w1 = self.window
        if w0 <= now <= w1:  # self.wait.add(now, now - item.queued_since) inlined
            wait = self.wait
            wait.count += 1
            hours = now - item.queued_since
            wait.total += hours
            self.wait_sketch.add(hours)
        Timeout(  # as in arrive()
            self.env, item.times[self.index] + self.per_unit * item.units, item
        ).callbacks.append(self.finish)

    def finish(self, event: Timeout) -> None:
        """The task is done: the worker takes the next item, this one walks on."""
        now = self.env.now
        self.pool.release(now)
        self.route.done(event.value, now)

    def withdraw(self, item: Any, now: float) -> None:
        """The item leaves the queue unserved (its worker-to-be never comes)."""
        item.waiting_in = None
        self.queue_length -= 1
        self.queue_level.add(now, -1)
        self.pool.forget(item)


def _patience_ends(event: Timeout) -> None:
    """An item's deadline: if it is still in a queue (whichever step's), it leaves."""
    item: Any = event.value
    step = item.waiting_in
    if step is None:
        return
    now = step.env.now
    step.withdraw(item, now)
    step.route.abandon(item, now)


class DelayStep(Step):
    """A step that takes time but no worker: every item goes through it at once."""

    __slots__ = ()

    def arrive(self, item: Any, now: float) -> None:
        """Start the delay now (there is never a queue)."""
        if self.window[0] <= now <= self.window[1]:
            self.reached += 1
            self.wait.count += 1  # self.wait.add(now, 0.0) inlined: the total stays 0
        Timeout(
            self.env, item.times[self.index] + self.per_unit * item.units, item
        ).callbacks.append(self.finish)

    def finish(self, event: Timeout) -> None:
        """The delay is over: the item walks on."""
        self.route.done(event.value, self.env.now)
