"""Checks: plans that load but make no sense, found before anything runs.

A scenario can follow the format to the letter and still describe a business that
cannot work: a ``350/h`` typo for ``350/day`` gives the counter twelve times the work
it can do, and the run that follows reports 93% of customers giving up, with no word
of why. The checks here are the arithmetic a planner would do on the back of an
envelope, done for every scenario, base and variants, before it runs:

* **overload**: for every staff pool, the work its steps are offered (arrival rate ×
  the hour-of-week profile × the mean task time, plus ``per_unit`` × the mean units per
  order) against its on-duty hours, over the week (100% or more: the work cannot all be
  done) and in its busiest hours (when even a noise-free queue would keep work waiting
  longer than the customers' patience, the promise, or a day);
* **unstaffed hours**: orders arriving when nobody of a step's pool is on duty, and a
  pool that is never on duty at all;
* **supply**: a product whose demand over its supplier's mean lead time is more than
  its policy can ever have in stock and on order;
* **money and mix**: a product nobody orders, a unit cost above the price, an arrival
  rate of zero, ``sku_mix`` weights that do not sum to 1 (a note: they are relative);
* **shifts**: a shift that ends before it starts crosses midnight (a note; a warning
  when that makes it longer than 12 hours);
* **calendar**: a dated closure, promotion or staffing change outside the run's dates,
  and a pool that copes with the plain week but not with the run's busiest week (the
  season, the trend, promotions and staffing dates taken together).

Each finding is a :class:`Finding`: a short ``code``, the dotted ``key`` it is about
(located in the file when the scenario came from one), a one-line ``message`` naming
the pool, step or product and the figures, and a ``level`` (``"warning"`` or
``"note"``). :func:`warnings` checks one scenario; :func:`check` a scenario and every
variant, merged. Nothing is printed here; the command line prints, ``run.json`` lists.

Each check is a small function registered with :func:`register`; a later feature (a
calendar with dated closures, say) adds its own the same way. The checks read the
scenario only: they never change it and never simulate.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from sim.scenario.paths import split_path
from sim.scenario.roster import HOURS_PER_WEEK, hourly_on_duty
from sim.scenario.units import format_duration

if TYPE_CHECKING:
    from sim.scenario.models import DemandStream, Scenario, Step

__all__ = ["CHECKS", "Finding", "check", "check_all", "register", "warnings"]

#: Without a patience or a promise, a noise-free backlog that keeps work waiting longer
#: than this is worth a warning: work is carried over into the next day.
CARRY_OVER_HOURS = 24.0
#: Orders arriving while nobody is on duty are reported when they are at least this share.
UNSTAFFED_SHARE = 0.01
#: A shift crossing midnight is a warning, not a note, when it lasts longer than this.
LONG_SHIFT_HOURS = 12.0

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Finding:
    """Something about a scenario that runs but probably is not what was meant.

    ``key`` is the dotted key it is about; ``file`` and ``line`` locate it when the
    scenario was read from a file; ``scenarios`` names the scenarios (base or variants)
    it holds for, empty when it holds for all that were checked.
    """

    code: str
    key: str
    message: str
    level: str = "warning"  # or "note": worth knowing, probably meant
    file: str | None = None
    line: int | None = None
    scenarios: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        """``shop.yaml:45: staff.pickers: [peak_season] pick_pack needs ...``."""
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        scope = f"[{', '.join(self.scenarios)}] " if self.scenarios else ""
        return ": ".join(part for part in (where, self.key, scope + self.message) if part)

    def labelled(self) -> str:
        """The finding with its level in front: ``warning: shop.yaml:45: ...``."""
        return f"{self.level}: {self}"


# --------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class _Channel:
    """What the checks need of one sales channel."""

    key: str  # dotted key of the channel: "demand" or "demand.1"
    spec: DemandStream
    hourly: list[float]  # orders per hour in each hour of the week
    units: float  # mean units per order

    @property
    def orders_per_week(self) -> float:
        return sum(self.hourly)


class Facts:
    """A scenario's figures, worked out once for every check: channels, steps, rosters."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def channel_key(self, i: int) -> str:
        """The dotted key of channel ``i``: ``demand`` when written as one mapping."""
        raw = self.scenario.raw.get("demand")
        single = isinstance(raw, dict) or (raw is None and len(self.scenario.demand) == 1)
        return "demand" if single else f"demand.{i}"

    @cached_property
    def channels(self) -> list[_Channel]:
        made = []
        for i, spec in enumerate(self.scenario.demand):
            if spec.pipeline is not None:  # won leads: days after they came, so spread flat
                rate = spec.pipeline.leads * spec.pipeline.win_probability
                hourly = [rate] * HOURS_PER_WEEK
            elif spec.arrivals is None:  # replay or resample: the file, not a rate, says when
                continue
            else:
                rate = spec.arrivals.rate
                hourly = [rate * factor for factor in spec.arrivals.profile()]
            units = float(spec.lines.mean) * float(spec.quantity.mean)
            made.append(_Channel(self.channel_key(i), spec, hourly, units))
        return made

    @cached_property
    def orders_by_hour(self) -> list[float]:
        """Orders per hour of the week, all channels together."""
        return [sum(c.hourly[h] for c in self.channels) for h in range(HOURS_PER_WEEK)]

    def steps_of(self, pool: str) -> list[Step]:
        """The staffed steps that take a worker of ``pool``, in process order."""
        return [step for step in self.scenario.steps if step.staff == pool]

    def stages_of(self, pool: str) -> list[str]:
        """The names of the sales pipeline stages that take a worker of ``pool``."""
        return [stage.stage for stage in self.scenario.stages if stage.staff == pool]

    def work_by_hour(self, pool: str) -> list[float]:
        """Hours of work offered to ``pool`` in each hour of the week (its steps and its
        pipeline stages summed).

        A pipeline's first stage gets its leads with their hourly profile; a later stage
        the leads that won the stages before it, spread evenly over the week (they come
        hours or days later).
        """
        work = [0.0] * HOURS_PER_WEEK
        for spec in self.scenario.demand:
            pipeline = spec.pipeline
            if pipeline is None:
                continue
            profile = pipeline.lead_arrivals().profile()
            reach = 1.0
            for j, stage in enumerate(pipeline.stages):
                if stage.staff == pool:
                    assert stage.time is not None
                    per_hour = pipeline.leads * reach * stage.time.mean
                    for h in range(HOURS_PER_WEEK):
                        work[h] += per_hour * (profile[h] if j == 0 else 1.0)
                reach *= stage.win
        for step in self.steps_of(pool):
            assert step.time is not None
            for channel in self.channels:
                per_order = step.time.mean + step.per_unit * channel.units
                for h, orders in enumerate(channel.hourly):
                    work[h] += orders * per_order
        return work

    @cached_property
    def on_duty(self) -> dict[str, list[float]]:
        """Mean workers on duty in each hour of the week, by pool."""
        return {name: hourly_on_duty(pool) for name, pool in self.scenario.staff.items()}

    @cached_property
    def patience_h(self) -> float | None:
        """The shortest mean patience of any channel, or None when nobody gives up."""
        means = [c.spec.patience.mean for c in self.channels if c.spec.patience is not None]
        return min(means) if means else None

    def tolerance(self) -> tuple[float, str]:
        """How long work may wait before a planner would want to hear of it, and why."""
        if self.patience_h is not None:
            return self.patience_h, f"the customers' mean patience ({_duration(self.patience_h)})"
        promise = self.scenario.service.promise
        if promise is not None:
            return promise, f"the promise ({_duration(promise)})"
        return CARRY_OVER_HOURS, "a day: work is carried over into the next"

    @cached_property
    def closed_dates(self) -> frozenset[_dt.date]:
        """Every date closed by the calendar of any channel: it closes the business."""
        return frozenset(
            entry.first + _dt.timedelta(days=k)
            for stream in self.scenario.demand
            for entry in stream.calendar
            if entry.closed
            for k in range((entry.last - entry.first).days + 1)
        )

    def units_per_hour(self, sku: str) -> float:
        """Mean units of ``sku`` demanded per hour (the weekly average)."""
        products = list(self.scenario.products)
        total = 0.0
        for channel in self.channels:
            mix = channel.spec.sku_mix
            weights = [1.0] * len(products) if mix is None else [mix.get(p, 0.0) for p in products]
            share = weights[products.index(sku)] / sum(weights) if sum(weights) else 0.0
            total += (
                channel.orders_per_week / HOURS_PER_WEEK
                * float(channel.spec.lines.mean)
                * share
                * float(channel.spec.quantity.mean)
            )
        return total


# --------------------------------------------------------------------------- registry
Check = Callable[[Facts], Iterable[Finding]]

#: Every check, in the order their findings are listed.
CHECKS: list[Check] = []


def register(check_fn: Check) -> Check:
    """Add a check (a function of :class:`Facts` yielding findings) to :data:`CHECKS`."""
    CHECKS.append(check_fn)
    return check_fn


def warnings(scenario: Scenario) -> list[Finding]:
    """Every finding about ``scenario`` itself (its variants are not checked), located."""
    facts = Facts(scenario)
    document = scenario.source
    found = []
    for check_fn in CHECKS:
        for finding in check_fn(facts):
            if document is not None:
                file, line = document.where(split_path(finding.key))
                finding = replace(finding, file=file, line=line)
            found.append(finding)
    return found


def check_all(scenarios: Sequence[Scenario]) -> list[Finding]:
    """The findings of several scenarios, each listed once with the scenarios it holds for.

    A finding that holds, word for word, for every scenario is listed without names.
    """
    order: list[Finding] = []
    holds: dict[Finding, list[str]] = {}
    for scenario in scenarios:
        for finding in warnings(scenario):
            if finding not in holds:
                holds[finding] = []
                order.append(finding)
            holds[finding].append(scenario.name)
    names = [s.name for s in scenarios]
    return [
        finding if holds[finding] == names else replace(finding, scenarios=tuple(holds[finding]))
        for finding in order
    ]


def check(scenario: Scenario) -> list[Finding]:
    """The findings of ``scenario`` and every one of its variants (see :func:`check_all`).

    >>> from sim.scenario.loader import loads
    >>> shop = loads('''
    ... name: shop
    ... run: {horizon: 7d}
    ... demand: {arrivals: {rate: 350/h}}
    ... staff: {counter: {headcount: 2}}
    ... process: [{step: serve, staff: counter, time: 2min}]
    ... ''')
    >>> for finding in check(shop):
    ...     print(finding.labelled())  # doctest: +NORMALIZE_WHITESPACE
    warning: <string>:5: staff.counter: serve needs 583% of the on-duty hours of counter over
    the week (1,960 h of work, 336 h on duty): queues grow without bound; results depend on
    the horizon
    """
    try:
        scenarios = scenario.variant_scenarios() if scenario.variants else [scenario]
    except ValueError:  # a scenario without its provenance (unpickled): itself only
        scenarios = [scenario]
    return check_all(scenarios)


# --------------------------------------------------------------------------- helpers
def _duration(hours: float) -> str:
    """A length of time as a planner reads it: ``"33min"``, ``"2.5 h"``, ``"1.9 days"``."""
    if hours < 1.0:
        return format_duration(max(1, round(hours * 60)) / 60)
    if hours < 48.0:
        return f"{hours:.1f}".removesuffix(".0") + " h"
    return f"{hours / 24:.1f}".removesuffix(".0") + " days"


def _hours(value: float) -> str:
    return f"{value:,.0f} h" if value >= 10 else f"{value:.3g} h"


def _percent(ratio: float) -> str:
    """``"104%"``; with a decimal near 100% and below 10%, where a whole number misleads."""
    percent = ratio * 100
    if percent < 9.95 or 99 < percent < 101:
        return f"{percent:.1f}%"
    return f"{percent:,.0f}%"


def _hour_start(h: int) -> str:
    """``"Mon 10:00"`` for hour 10 of the week."""
    return f"{_DAYS[h // 24 % 7]} {h % 24:02d}:00"


def _hour_label(h: int) -> str:
    """``"Mon 10:00-11:00"`` for hour 10 of the week."""
    return f"{_hour_start(h)}-{h % 24 + 1:02d}:00"


def _names(steps: Sequence[Step]) -> str:
    return _listed([s.step for s in steps])


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _hour_ranges(hours: Sequence[bool]) -> str:
    """``"Mon-Fri 06:00-08:00, Sun 06:00-22:00"``: the flagged hours of the week, by day."""
    per_day: list[tuple[tuple[int, int], ...]] = []
    for day in range(7):
        ranges, start = [], None
        for hour in range(25):
            flagged = hour < 24 and hours[day * 24 + hour]
            if flagged and start is None:
                start = hour
            elif not flagged and start is not None:
                ranges.append((start, hour))
                start = None
        per_day.append(tuple(ranges))
    parts = []
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and per_day[last + 1] == per_day[day]:
            last += 1
        if per_day[day]:
            days = _DAYS[day] if last == day else f"{_DAYS[day]}-{_DAYS[last]}"
            spans = " and ".join(f"{a:02d}:00-{b:02d}:00" for a, b in per_day[day])
            parts.append(f"{days} {spans}")
        day = last + 1
    return ", ".join(parts)


def _fluid_delay(work: Sequence[float], capacity: Sequence[float]) -> tuple[float, int]:
    """The longest wait in a noise-free queue, and the hour of the week at whose end it is.

    Work arrives as a fluid at ``work[h]`` hours per hour and is done at up to
    ``capacity[h]`` per hour, first come first served; the backlog is carried from hour
    to hour, week after week, until it repeats (it does when the week's work is less
    than its capacity). The wait at the end of hour ``h`` is the backlog then over the
    workers then on duty: how long the last to arrive waits if nobody else comes on or
    goes off. Hours with nobody on duty are left out (closed hours are another check).
    """
    backlog = 0.0
    ends: list[float] = []
    for _ in range(60):
        for h in range(HOURS_PER_WEEK):
            backlog = max(0.0, backlog + work[h] - capacity[h])
        ends.append(backlog)
        if len(ends) > 1 and abs(ends[-1] - ends[-2]) < 1e-9:
            break
    worst, at = 0.0, 0
    for h in range(HOURS_PER_WEEK):
        backlog = max(0.0, backlog + work[h] - capacity[h])
        if capacity[h] > 0 and backlog / capacity[h] > worst:
            worst, at = backlog / capacity[h], h
    return worst, at


# --------------------------------------------------------------------------- checks
@register
def overload(facts: Facts) -> Iterator[Finding]:
    """Work offered to each pool against its on-duty hours, over the week and at the peak."""
    scenario = facts.scenario
    for name in scenario.staff:
        steps = facts.steps_of(name)
        stages = facts.stages_of(name)
        if not steps and not stages:
            continue
        work = facts.work_by_hour(name)
        capacity = facts.on_duty[name]
        offered, paid = sum(work), sum(capacity)
        if offered <= 0:
            continue
        key = f"staff.{name}"
        names = [s.step for s in steps] + stages
        needs = f"{_listed(names)} {'needs' if len(names) == 1 else 'need'}"
        if paid <= 0:
            yield Finding(
                "never_on_duty", key,
                f"no one from {name} is ever on duty (every headcount is 0), but {needs} "
                f"{_hours(offered)} of work a week: every order waits there for ever"
                + (" or gives up" if facts.patience_h is not None else ""),
            )
            continue
        staffed = [h for h in range(HOURS_PER_WEEK) if capacity[h] > 0]
        peak = max(staffed, key=lambda h: work[h] / capacity[h])
        ratio = offered / paid
        peak_ratio = work[peak] / capacity[peak]
        peak_text = f"busiest hour {_hour_label(peak)}: {_percent(peak_ratio)}"
        if ratio >= 1.0:
            limited = facts.patience_h is not None or any(s.queue_limit is not None for s in steps)
            consequence = (
                f"at least {_percent(1 - 1 / ratio)} of it cannot be done: orders will give up "
                "or be refused"
                if limited
                else "queues grow without bound; results depend on the horizon"
            )
            yield Finding(
                "overload", key,
                f"{needs} {_percent(ratio)} of the on-duty hours of {name} over the week "
                f"({_hours(offered)} of work, {_hours(paid)} on duty"
                + (f"; {peak_text}" if peak_ratio > 1.05 * ratio else "")
                + f"): {consequence}",
            )
            continue
        # Work arriving while nobody is on duty is reported by unstaffed_hours.
        fluid = [w if c > 0 else 0.0 for w, c in zip(work, capacity)]
        delay, at = _fluid_delay(fluid, capacity)
        limit, why = facts.tolerance()
        if delay > limit:
            yield Finding(
                "peak_overload", key,
                f"in its busiest hours {name} has more work at {_listed(names)} than it can do "
                f"({_hour_label(peak)}: {_hours(work[peak])} of work for {capacity[peak]:g} on "
                f"duty, {_percent(peak_ratio)}): even if every task took "
                f"exactly its mean time, work arriving by {_hour_start(at + 1)} would wait "
                f"about {_duration(delay)}, longer than {why}",
            )


@register
def unstaffed_hours(facts: Facts) -> Iterator[Finding]:
    """Orders arriving when nobody of a step's pool is on duty.

    A note when they simply wait for the next shift; a warning when customers with
    limited patience arrive then, or when more orders arrive in one unstaffed stretch
    than a step's ``queue_limit`` lets wait.
    """
    orders = facts.orders_by_hour
    total = sum(orders)
    if total <= 0:
        return
    for name in facts.scenario.staff:
        steps = facts.steps_of(name)
        capacity = facts.on_duty[name]
        if not steps or sum(capacity) <= 0:  # never on duty: reported by overload
            continue
        closed = [capacity[h] <= 0 for h in range(HOURS_PER_WEEK)]
        share = sum(o for o, shut in zip(orders, closed) if shut) / total
        if share < UNSTAFFED_SHARE:
            continue
        then = ["they wait for the next shift"]
        impatient = [
            c for c in facts.channels
            if c.spec.patience is not None and c.orders_per_week > 0
            and sum(o for o, shut in zip(c.hourly, closed) if shut) / c.orders_per_week
            >= UNSTAFFED_SHARE
        ]
        for channel in impatient:
            assert channel.spec.patience is not None
            who = f"customers of {channel.spec.name}" if channel.spec.name else "customers"
            then.append(f"{who} give up after {_duration(channel.spec.patience.mean)} on average")
        limits = [s.queue_limit for s in steps if s.queue_limit is not None]
        most = _most_in_a_stretch(orders, closed)
        overflow = bool(limits) and most > min(limits)
        if overflow:
            then.append(
                f"up to {most:,.0f} orders arrive while nobody is on duty, more than "
                f"queue_limit {min(limits)}: the rest are refused"
            )
        yield Finding(
            "unstaffed_hours", f"staff.{name}",
            f"no one from {name} is on duty for {_names(steps)} when {_percent(share)} of the "
            f"orders arrive ({_hour_ranges([o > 0 and shut for o, shut in zip(orders, closed)])})"
            f": {'; '.join(then)}",
            level="warning" if impatient or overflow else "note",
        )


def _most_in_a_stretch(orders: Sequence[float], closed: Sequence[bool]) -> float:
    """The most orders expected to arrive in one unbroken stretch of closed hours (the week
    wraps round: Sunday night runs into Monday morning)."""
    if all(closed):
        return float("inf")
    start = next(h for h in range(HOURS_PER_WEEK) if not closed[h])  # an open hour
    most = running = 0.0
    for k in range(1, HOURS_PER_WEEK + 1):
        h = (start + k) % HOURS_PER_WEEK
        running = running + orders[h] if closed[h] else 0.0
        most = max(most, running)
    return most


@register
def supply(facts: Facts) -> Iterator[Finding]:
    """Demand over a supplier's mean lead time against the most a policy can have on order.

    Units on order average the rate they are ordered at × the mean lead time (Little's
    law), and a policy never lets stock on hand + on order − backordered rise above its
    order-up-to level (S; r + Q for r_Q; plus the supplier's ``min_order`` where that
    can raise an order past it). When demand over the lead time is more than that, the
    stock cannot keep up: with backorders, on average at least the difference is
    backordered; with lost sales, at most that level ÷ the lead-time demand is sold.
    """
    scenario = facts.scenario
    for sku, product in scenario.products.items():
        policy = product.policy
        if policy.type == "none" or product.supplier is None:
            continue
        supplier = scenario.suppliers[product.supplier]
        lead = supplier.lead_time.mean
        minimum = supplier.min_order or 0
        if policy.type == "s_S":
            most, how = max(policy.S, policy.s + minimum), f"S = {policy.S}"
        elif policy.type == "r_Q":
            most, how = policy.r + max(policy.Q, minimum), f"r + Q = {policy.r + policy.Q}"
        elif policy.type in ("base_stock", "periodic"):
            most, how = policy.S + max(0, minimum - 1), f"S = {policy.S}"
        else:  # a policy type added later: no bound known here
            continue
        if minimum and most > (policy.r + policy.Q if policy.type == "r_Q" else policy.S):
            how += f", min_order = {minimum}"
        demand = facts.units_per_hour(sku) * lead
        if demand <= most:
            continue
        lost = all(c.spec.when_out_of_stock == "lost" for c in facts.channels if _orders(c, sku))
        then = (
            f"at most {_percent(most / demand)} of it can be sold"
            if lost
            else f"on average at least {demand - most:,.0f} units will be backordered"
        )
        yield Finding(
            "supply", f"products.{sku}.policy",
            f"demand for {sku} over {product.supplier}'s mean lead time ({_duration(lead)}) "
            f"is about {demand:,.0f} units, more than the {most:,} its {policy.type} policy can "
            f"ever have on order ({how}): {then}",
        )


@register
def products(facts: Facts) -> Iterator[Finding]:
    """A product that no channel's sku_mix ever picks; a unit cost above the price."""
    for sku, product in facts.scenario.products.items():
        if not any(_orders(c, sku) for c in facts.channels):
            kept = "stocked and reordered" if product.policy.type != "none" else "stocked"
            yield Finding(
                "never_demanded", f"products.{sku}",
                f"no channel orders {sku} (it is missing from every sku_mix, or its weight is "
                f"0): it is {kept}, and may cost money, but is never sold",
            )
        if product.unit_cost > product.price:
            yield Finding(
                "unit_cost_above_price", f"products.{sku}.unit_cost",
                f"the unit cost ({product.unit_cost:g}) is above the price ({product.price:g}): "
                f"every unit of {sku} sold loses {product.unit_cost - product.price:g}",
            )


def _orders(channel: _Channel, sku: str) -> bool:
    """Whether ``channel``'s orders ever hold ``sku`` (no sku_mix: every product)."""
    mix = channel.spec.sku_mix
    return mix is None or mix.get(sku, 0) > 0


@register
def demand_mix(facts: Facts) -> Iterator[Finding]:
    """A channel with no arrivals; sku_mix weights that do not sum to 1."""
    for i, stream in enumerate(facts.scenario.demand):
        if stream.poisson is None:
            source = "replay" if stream.replay is not None else "resample"
            where = "demand" if len(facts.scenario.demand) == 1 else f"demand.{i}"
            yield Finding(
                "file_demand_unchecked", f"{where}.{source}",
                f"the orders of {stream.name or 'this channel'} come from a file: the load "
                "checks leave them out",
                level="note",
            )
    for channel in facts.channels:
        spec = channel.spec
        poisson = spec.poisson
        assert poisson is not None
        if poisson.rate <= 0:
            what = "pipeline.leads" if spec.pipeline is not None else "arrivals.rate"
            yield Finding(
                "no_arrivals", f"{channel.key}.{what}",
                "the arrival rate is 0: no orders arrive"
                + (f" on channel {spec.name}" if spec.name else ""),
            )
        mix = spec.sku_mix
        if mix:
            total = sum(mix.values())
            if abs(total - 1.0) > 1e-6:
                shares = ", ".join(f"{sku} {w / total:.0%}" for sku, w in mix.items())
                yield Finding(
                    "sku_mix_total", f"{channel.key}.sku_mix",
                    f"the weights sum to {total:g}; they are relative, so they are used as "
                    f"{shares}",
                    level="note",
                )


@register
def shifts(facts: Facts) -> Iterator[Finding]:
    """A shift whose end is before its start: it crosses midnight."""
    for name, pool in facts.scenario.staff.items():
        for i, shift in enumerate(pool.shifts or ()):
            if 0 < shift.end < shift.start:
                long = shift.length > LONG_SHIFT_HOURS
                yield Finding(
                    "shift_crosses_midnight", f"staff.{name}.shifts.{i}",
                    f"the shift ends ({_clock(shift.end)}) before it starts "
                    f"({_clock(shift.start)}): it crosses midnight and lasts "
                    f"{_duration(shift.length)}"
                    + (f"; did you mean {_clock(shift.end)}-{_clock(shift.start)}?" * long),
                    level="warning" if long else "note",
                )


def _clock(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- calendar
def _run_dates(scenario: Scenario) -> list[_dt.date]:
    """The dates of the run, day by day from ``run.start`` (empty without a start)."""
    start = scenario.run.start
    if start is None:
        return []
    days = max(1, math.ceil(float(scenario.run.horizon) / 24.0))
    return [start + _dt.timedelta(days=k) for k in range(days)]


@register
def calendar_dates(facts: Facts) -> Iterator[Finding]:
    """A dated closure, promotion or staffing change that falls outside the run."""
    dates = _run_dates(facts.scenario)
    if not dates:
        return
    begin, end = dates[0], dates[-1]
    for i, stream in enumerate(facts.scenario.demand):
        for j, entry in enumerate(stream.calendar):
            first, last = entry.first, entry.last
            if last < begin or first > end:
                when = str(first) if first == last else f"{first} to {last}"
                yield Finding(
                    "calendar_outside_run", f"{facts.channel_key(i)}.calendar.{j}",
                    f"{when} is outside the run ({begin} to {end}): it never applies "
                    "(copy dated exceptions to the dates you simulate)",
                )


def _day_factors(facts: Facts, channel: _Channel, dates: list[_dt.date]) -> list[float]:
    """The channel's demand (a pipeline's: its leads) on each date of the run relative to
    its plain week: ``by_month`` × ``growth`` × its promotions, 0 on closed dates."""
    arrivals = channel.spec.poisson
    assert arrivals is not None
    months = arrivals.month_factors()
    growth = arrivals.growth or 0.0
    factors = []
    for k, date in enumerate(dates):
        if date in facts.closed_dates:
            factors.append(0.0)
            continue
        factor = months[date.month - 1] * math.exp(growth * (k + 0.5) * 24.0)
        for entry in channel.spec.calendar:
            first, last = entry.first, entry.last
            if entry.demand is not None and first <= date <= last:
                factor *= entry.demand
        factors.append(factor)
    return factors


def _staff_factors(facts: Facts, pool: str, dates: list[_dt.date]) -> list[float]:
    """The pool's headcount on each date relative to its roster (calendar ``staff``)."""
    factors = [1.0] * len(dates)
    for stream in facts.scenario.demand:
        for entry in stream.calendar:
            if entry.staff and pool in entry.staff:
                first, last = entry.first, entry.last
                for k, date in enumerate(dates):
                    if first <= date <= last:
                        factors[k] *= entry.staff[pool]
    return factors


def _stage_work(spec: DemandStream, pool: str) -> float:
    """Hours of work a week a pipeline channel's stages bring to ``pool`` (0 for others)."""
    pipeline = spec.pipeline
    if pipeline is None:
        return 0.0
    work, reach = 0.0, pipeline.leads * HOURS_PER_WEEK
    for stage in pipeline.stages:
        if stage.staff == pool and stage.time is not None:
            work += reach * stage.time.mean
        reach *= stage.win
    return work


@register
def busiest_week(facts: Facts) -> Iterator[Finding]:
    """A pool fine over the plain week but overloaded in the run's busiest week: the
    season (``by_month``), the trend (``growth``), promotions and staffing exceptions."""
    scenario = facts.scenario
    dates = _run_dates(scenario)
    dated = [
        c for c in facts.channels
        if c.spec.calendar or ((p := c.spec.poisson) is not None and (p.by_month or p.growth))
    ]
    if len(dates) < 7 or not dated:
        return
    factors = {id(c): _day_factors(facts, c, dates) for c in dated}
    for name in scenario.staff:
        steps = facts.steps_of(name)
        stages = facts.stages_of(name)
        paid = sum(facts.on_duty[name])
        if not (steps or stages) or paid <= 0:
            continue
        per_channel = []
        for channel in facts.channels:
            work = sum(
                orders * (step.time.mean + step.per_unit * channel.units)
                for step in steps if step.time is not None
                for orders in channel.hourly
            )  # fmt: skip
            per_channel.append((channel, work + _stage_work(channel.spec, name)))
        weekly = sum(work for _, work in per_channel)
        if weekly <= 0 or weekly >= paid:  # nothing to do, or the overload check says it
            continue
        daily = [
            sum(
                work * (factors[id(c)][k] if id(c) in factors else 1.0)
                for c, work in per_channel
            )
            / weekly
            for k in range(len(dates))
        ]
        staff = _staff_factors(facts, name, dates)
        worst, at = 0.0, 0
        for k in range(len(dates) - 6):
            demand = sum(daily[k : k + 7]) / 7
            capacity = sum(staff[k : k + 7]) / 7
            ratio = weekly * demand / (paid * capacity) if capacity > 0 else math.inf
            if ratio > worst:
                worst, at = ratio, k
        if worst < 1.0:
            continue
        first, last = dates[at], dates[at + 6]
        limited = facts.patience_h is not None or any(s.queue_limit is not None for s in steps)
        consequence = (
            "orders will give up or be refused that week"
            if limited
            else "queues build up that week and drain only after it"
        )
        names = [s.step for s in steps] + stages
        yield Finding(
            "busiest_week", f"staff.{name}",
            f"over a plain week {_listed(names)} {'needs' if len(names) == 1 else 'need'} "
            f"{_percent(weekly / paid)} of the on-duty hours of {name}, but in the week "
            f"{first} to {last} (season, trend, promotions and staffing dates) "
            f"{_percent(worst)}: {consequence}",
        )
