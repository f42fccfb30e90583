"""Two years of orders of an example business, made up with known parameters.

Greenleaf is a small online garden shop (web orders, and a phone line that is closed
on Sundays). Its demand follows the season (spring is busy, winter quiet), the
weekday (Sunday evening browsing, quiet Saturdays) and the hour, grows by 12% a year,
jumps during a Black Friday promotion week, and stops on Christmas Day and Boxing Day,
when the shop is closed. This script writes that history as an orders file in the
format opsim reads (docs/scenario-format.md, "Demand from a file of past orders")::

    python scenarios/data/make_orders.py                 # writes scenarios/data/garden_orders.csv
    python scenarios/data/make_orders.py --out my.csv --scale 10

The parameters below are the truth that ``python run_sim.py fit`` should recover
(tests/test_fit.py checks that it does). The numbers come from Python's ``random``
module with a fixed seed, using only ``random()``, whose sequence Python keeps the
same from version to version: the file is the same on every machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
from collections.abc import Iterator, Sequence

#: The first and last dates of the history.
FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2025, 12, 31)
SEED = 2024

#: Orders per day of each channel on an average day of the first year (before growth).
RATE = {"web": 30.0, "phone": 5.0}
#: Relative weights, Monday first (mean 1); the phone line is closed on Sunday.
BY_WEEKDAY = {
    "web": [1.05, 1.0, 0.95, 0.95, 0.9, 0.75, 1.4],
    "phone": [1.3, 1.2, 1.2, 1.1, 1.1, 1.1, 0.0],
}
#: Relative weights, January first (mean 1 over the days of a year).
BY_MONTH = [0.5, 0.6, 1.1, 1.6, 1.7, 1.3, 1.0, 0.9, 1.0, 0.9, 0.7, 0.8]
#: Relative weights of the hours of the day, midnight first.
BY_HOUR = {
    "web": [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.1, 1.3, 1.4, 1.4,
            1.4, 1.4, 1.3, 1.3, 1.3, 1.4, 1.5, 1.7, 1.9, 1.7, 1.2, 0.6],
    "phone": [0, 0, 0, 0, 0, 0, 0, 0, 0, 2.0, 2.6, 2.6,
              2.0, 2.2, 2.6, 2.6, 2.2, 1.2, 0, 0, 0, 0, 0, 0],
}
#: Compounded growth per year, from the first date.
GROWTH = 0.12
#: Closed dates (no orders) and promotions (first date, last date, factor on the rate).
CLOSED = [dt.date(2024, 12, 25), dt.date(2024, 12, 26), dt.date(2025, 12, 25),
          dt.date(2025, 12, 26)]
PROMOTIONS = [(dt.date(2024, 11, 25), dt.date(2024, 12, 1), 2.5),
              (dt.date(2025, 11, 24), dt.date(2025, 11, 30), 2.5)]
#: What an order holds: 1 + Poisson(LINES_EXTRA) lines, each a SKU of the mix, with a
#: geometric quantity of mean QUANTITY_MEAN (1, 2, 3, ...).
LINES_EXTRA = 0.3
QUANTITY_MEAN = 1.5
SKU_MIX = {"seeds": 0.4, "bulbs": 0.25, "compost": 0.2, "tools": 0.15}

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _normalised(weights: Sequence[float], days: Sequence[int] | None = None) -> list[float]:
    days = days or [1] * len(weights)
    mean = sum(w * d for w, d in zip(weights, days)) / sum(days)
    return [w / mean for w in weights]


def _poisson(u: random.Random, mean: float) -> int:
    """A Poisson count by inversion of its distribution function (one uniform)."""
    x = u.random()
    k, p = 0, math.exp(-mean)
    cumulative = p
    while x > cumulative and p > 0:
        k += 1
        p *= mean / k
        cumulative += p
    return k


def _pick(u: random.Random, cumulative: Sequence[float]) -> int:
    x = u.random() * cumulative[-1]
    return next(i for i, c in enumerate(cumulative) if x < c)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def expected_per_day(channel: str, date: dt.date, scale: float = 1.0) -> float:
    """The true mean number of orders of ``channel`` on ``date``."""
    if date in CLOSED:
        return 0.0
    weekday = _normalised(BY_WEEKDAY[channel])[date.weekday()]
    month = _normalised(BY_MONTH, _MONTH_DAYS)[date.month - 1]
    years = ((date - FIRST).days + 0.5) / 365.0
    factor = next((f for a, b, f in PROMOTIONS if a <= date <= b), 1.0)
    return scale * RATE[channel] * weekday * month * (1 + GROWTH) ** years * factor


def orders(
    seed: int = SEED, scale: float = 1.0, first: dt.date = FIRST, last: dt.date = LAST
) -> Iterator[tuple[str, str, str, int, str]]:
    """Every line of every order, in time order: ``(time, order, sku, quantity, channel)``."""
    u = random.Random(seed)
    skus = list(SKU_MIX)
    sku_cumulative = _cumulative(SKU_MIX.values())
    hours = {c: _cumulative(w) for c, w in BY_HOUR.items()}
    number = 0
    for day in range((last - first).days + 1):
        date = first + dt.timedelta(days=day)
        today = []
        for channel in RATE:
            for _ in range(_poisson(u, expected_per_day(channel, date, scale))):
                hour = _pick(u, hours[channel])
                second = int(u.random() * 3600)
                today.append((hour * 3600 + second, channel))
        today.sort()
        for seconds, channel in today:
            number += 1
            at = dt.datetime.combine(date, dt.time()) + dt.timedelta(seconds=seconds)
            for _ in range(1 + _poisson(u, LINES_EXTRA)):
                sku = skus[_pick(u, sku_cumulative)]
                # Geometric on 1, 2, 3, ... with mean QUANTITY_MEAN, by inversion.
                p = 1.0 / QUANTITY_MEAN
                quantity = 1 + int(math.log(1.0 - u.random()) / math.log(1.0 - p))
                yield at.isoformat(timespec="seconds"), f"G{number:06d}", sku, quantity, channel


def write(path: str, seed: int = SEED, scale: float = 1.0) -> int:
    """Write the orders file; return how many lines it has (header included)."""
    count = 1
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("time,order,sku,quantity,channel\n")
        for row in orders(seed, scale):
            handle.write(",".join(str(value) for value in row) + "\n")
            count += 1
    return count


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "garden_orders.csv"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every rate")
    args = parser.parse_args()
    lines = write(args.out, args.seed, args.scale)
    print(f"wrote {args.out}: {lines} lines")


if __name__ == "__main__":
    main()
