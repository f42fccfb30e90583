"""Process: the steps every order goes through, one after the other.

Think of a line of desks. At each desk (a *step*) an order waits in a first-come
first-served queue until a worker of the desk's staff pool is free, keeps that worker
for the task time (plus a time per unit), then walks on to the next desk. A desk may
refuse orders when its queue is full (*balking*), and an order whose customer has run
out of patience leaves the queue (*abandons*). A step with a time but no staff is a
pure delay (drying paint, a courier's pick-up): no queue, no worker.

Nothing here is a SimPy process. Each task is one scheduled :class:`Call` whose
callback moves the order on: a process per order (or ``simpy.Resource``) would cost
several events and generator switches per task, and the engine must be fast. For the
same reason the two hottest places that schedule a task push its entry straight onto
SimPy's event heap (``env._queue``, ids from ``env._eid``: exactly what
``env.schedule`` does, minus a call), and :mod:`sim.model.build` runs the event loop itself.
Those SimPy internals have not changed since SimPy 3; if they ever do, every model test
fails at once.

An order's task times are drawn when it arrives (see :mod:`sim.model.orders`), so a variant
with more staff serves exactly the same orders with exactly the same task times.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING, Any

from sim.model.inventory import allocate
from sim.model.metrics import QuantileSketch, Tally, TimeAverage

if TYPE_CHECKING:
    import simpy

    from sim.model.orders import Order
    from sim.model.staff import Pool

__all__ = ["Call", "DelayStep", "Flow", "StaffedStep"]

_NORMAL = 1  # simpy.events.NORMAL: the priority of an ordinary timeout
_INF = float("inf")


class Call:
    """A callback scheduled on the SimPy clock: ``env.schedule(Call(fn, payload), 1, delay)``.

    It is the smallest object ``Environment.step`` can process (it reads only
    ``callbacks`` and ``_ok``); ``fn`` receives the Call and finds ``payload`` in
    ``_value``. About twice as cheap to create as a ``simpy.Timeout``.
    """

    __slots__ = ("callbacks", "_value", "_ok")

    def __init__(self, fn: Callable[[Any], None], payload: Any) -> None:
        self.callbacks = [fn]
        self._value = payload
        self._ok = True


class StaffedStep:
    """A step whose task takes one worker of a staff pool; orders queue FIFO at the pool."""

    __slots__ = (
        "name", "index", "env", "pool", "per_unit", "queue_limit", "window",
        "flow", "waiting", "reached", "balked", "abandoned", "queue", "wait", "_heap", "_ids",
    )

    def __init__(
        self, name: str, index: int, env: simpy.Environment, pool: Pool,
        per_unit: float, queue_limit: int | None, window: tuple[float, float],
    ) -> None:
        self.name = name
        self.index = index
        self.env = env
        self.pool = pool
        self.per_unit = per_unit
        # No limit is an infinite one: one comparison instead of two in the hot path.
        self.queue_limit = float("inf") if queue_limit is None else queue_limit
        self.window = window
        self.flow: Any = None  # the Flow that routes orders on (set by the model)
        self.waiting = 0  # orders in the queue now (abandoned ones already taken off)
        self.reached = 0  # orders that reached the step in the window
        self.balked = 0
        self.abandoned = 0
        self.queue = TimeAverage(window[0], window[1])
        self.wait = Tally(window[0], window[1])
        # SimPy's event heap and id counter, for env.schedule inlined in the hot path.
        self._heap, self._ids = env._queue, env._eid
        pool.steps.append(self)

    def arrive(self, order: Order, now: float) -> None:
        """The order reaches this step at ``now``: start it, queue it, or refuse it."""
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
            # env.schedule(Call(self.finish, order), _NORMAL, task time), inlined for
            # performance (one call less per task); the same heap entry, the same sum.
            heappush(self._heap, (
                now + (order.times[self.index] + self.per_unit * order.units), _NORMAL,
                next(self._ids), Call(self.finish, order),
            ))
            return
        if self.waiting >= self.queue_limit:
            if counted:
                self.balked += 1
            self.flow.refused(order, now)
            return
        if order.deadline <= now:  # joins a queue after running out of patience
            self.abandon(order, now)
            return
        order.queued_at = now
        order.waiting = self
        self.waiting += 1
        self.queue.add(now, 1)
        pool.queue.append(order)
        if not order.impatient and order.deadline != _INF:
            order.impatient = True
            self.env.schedule(Call(self.flow.patience_ends, order), _NORMAL, order.deadline - now)

    def start(self, order: Order, now: float) -> None:
        """A worker takes the order from the queue (the pool has counted the worker busy)."""
        order.waiting = None
        self.waiting -= 1
        self.queue.add(now, -1)
        self.wait.add(now, now - order.queued_at)
        heappush(self._heap, (  # env.schedule inlined, as in arrive()
            now + (order.times[self.index] + self.per_unit * order.units), _NORMAL,
            next(self._ids), Call(self.finish, order),
        ))

    def finish(self, call: Call) -> None:
        """The task is done: the worker takes the next order, this one walks on."""
        now = self.env.now
        self.pool.release(now)
        self.flow.next_step(call._value, now)

    def abandon(self, order: Order, now: float) -> None:
        """The order leaves for lack of patience (it is counted, its stock returned)."""
        if self.window[0] <= now <= self.window[1]:
            self.abandoned += 1
        self.flow.abandoned(order, now)


class DelayStep:
    """A step that takes time but no worker: every order goes through it at once."""

    __slots__ = ("name", "index", "env", "per_unit", "window", "flow", "reached", "wait")

    def __init__(
        self, name: str, index: int, env: simpy.Environment, per_unit: float,
        window: tuple[float, float],
    ) -> None:
        self.name = name
        self.index = index
        self.env = env
        self.per_unit = per_unit
        self.window = window
        self.flow: Any = None
        self.reached = 0
        self.wait = Tally(window[0], window[1])

    def arrive(self, order: Order, now: float) -> None:
        """Start the delay now (there is never a queue)."""
        if self.window[0] <= now <= self.window[1]:
            self.reached += 1
            self.wait.count += 1  # self.wait.add(now, 0.0) inlined: the total stays 0
        self.env.schedule(
            Call(self.finish, order), _NORMAL,
            order.times[self.index] + self.per_unit * order.units,
        )

    def finish(self, call: Call) -> None:
        """The delay is over: the order walks on."""
        self.flow.next_step(call._value, self.env.now)



class Flow:
    """The route of every order: allocation, the steps in order, then completion.

    It also keeps the statistics about whole orders: arrivals, completions, cycle
    times, balking and abandonment (each counted when it happens, if in the window).
    """

    __slots__ = (
        "env", "window", "steps", "n_steps", "allocate_at", "promise",
        "arrived", "completed", "balked", "abandoned_count", "on_time",
        "allocated", "filled", "cycle", "cycle_p95",
    )

    def __init__(
        self, env: simpy.Environment, window: tuple[float, float], steps: list[Any],
        allocate_at: int, promise: float | None,
    ) -> None:
        self.env = env
        self.window = window
        self.steps = steps
        self.n_steps = len(steps)
        # Index of the timed step before which stock is allocated; -1: no products.
        self.allocate_at = allocate_at
        self.promise = promise
        self.arrived = self.completed = self.balked = self.abandoned_count = 0
        self.on_time = self.allocated = self.filled = 0
        self.cycle = Tally(window[0], window[1])
        self.cycle_p95 = QuantileSketch()
        for step in steps:
            step.flow = self

    def arrive(self, order: Order, now: float) -> None:
        """A new order enters the business."""
        if self.window[0] <= now <= self.window[1]:
            self.arrived += 1
        self.proceed(order, now)

    def proceed(self, order: Order, now: float) -> None:
        """Send the order to its next stage: allocation, a step, or completion."""
        stage = order.stage
        if stage == self.allocate_at and not order.allocated:
            counted = self.window[0] <= now <= self.window[1]
            full = allocate(order, now, counted)
            if counted:
                self.allocated += 1
                if full:
                    self.filled += 1
            if order.short:
                return  # waits for its backorders; inventory calls resume()
        if stage < self.n_steps:
            self.steps[stage].arrive(order, now)
        else:
            self.complete(order, now)

    def resume(self, order: Order, now: float) -> None:
        """Every backordered unit of the order has arrived: it goes on."""
        if order.stage < len(self.steps):
            self.steps[order.stage].arrive(order, now)
        else:
            self.complete(order, now)

    def next_step(self, order: Order, now: float) -> None:
        """The order finished a step."""
        stage = order.stage = order.stage + 1
        if stage == self.allocate_at:
            self.proceed(order, now)
        elif stage < self.n_steps:
            self.steps[stage].arrive(order, now)
        else:
            self.complete(order, now)

    def complete(self, order: Order, now: float) -> None:
        """The order has finished its last step: it ships."""
        if self.window[0] <= now <= self.window[1]:
            self.completed += 1
            hours = now - order.arrived
            self.cycle.add_unchecked(hours)
            self.cycle_p95.add(hours)
            if self.promise is not None and hours <= self.promise:
                self.on_time += 1
            for line in order.lines:
                line[0].shipped += line[2]

    def refused(self, order: Order, now: float) -> None:
        """The order balked at a full queue."""
        if self.window[0] <= now <= self.window[1]:
            self.balked += 1
        self._return_stock(order, now)

    def abandoned(self, order: Order, now: float) -> None:
        """The order ran out of patience."""
        if self.window[0] <= now <= self.window[1]:
            self.abandoned_count += 1
        self._return_stock(order, now)

    def patience_ends(self, call: Call) -> None:
        """The order's deadline: if it is still in a queue, it leaves."""
        order = call._value
        step = order.waiting
        if step is None:
            return
        now = self.env.now
        order.waiting = None
        step.waiting -= 1
        step.queue.add(now, -1)
        step.pool.forget(order)
        step.abandon(order, now)

    @staticmethod
    def _return_stock(order: Order, now: float) -> None:
        if order.allocated:
            for line in order.lines:
                line[0].put_back(line[2], line[3], now)
