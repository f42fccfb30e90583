"""The newcomer's bakery (report S5) gets bread on the shelf at opening on every open day.

scenarios/bakery.yaml reviews stock at 20:00 Monday to Saturday and is delivered at
06:00 on those days. The same bakery with version 1's keys only (a review every day
at midnight, deliveries at any hour) had no bread on Mondays: that version is checked
too, so that the check is seen to fail where it should.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.build import Model
from sim.scenario.loader import load

BAKERY = Path(__file__).resolve().parents[1] / "scenarios" / "bakery.yaml"
OPENING = 6.5  # the first shift starts at 06:30
REPLICATIONS = 5


def bread_at_opening(scenario, replication):
    """Units of bread on the shelf at 06:30 of every open day (Monday to Saturday)."""
    model = Model(scenario, replication)
    bread = next(stock for stock in model.stocks if stock.name == "bread")
    seen: dict[int, int] = {}
    days = int(scenario.run.horizon // 24)
    for day in range(days):
        if day % 7 != 6:  # the clock starts on a Monday; Sunday is closed
            model.ctx.schedule(
                day * 24 + OPENING, lambda event: seen.__setitem__(event.value, bread.on_hand), day
            )
    model.run(series=False)
    return seen


@pytest.fixture(scope="module")
def bakery():
    return load(BAKERY).base()


def test_every_open_day_starts_with_bread_on_the_shelf(bakery):
    """Over 5 replications of 35 days, no Monday-to-Saturday opening finds the shelf empty."""
    empty = [
        (replication, day)
        for replication in range(REPLICATIONS)
        for day, units in bread_at_opening(bakery, replication).items()
        if units == 0
    ]
    assert empty == []


def test_the_version_1_bakery_had_empty_mondays(bakery):
    """Reviews at midnight every day, no delivery days: after the first week, every Monday
    opens without bread (S5: Sunday's delivery, unsold, stops Monday's order, then expires)."""
    v1 = bakery.with_changes(
        {
            "products.bread.policy": {"type": "periodic", "review": "1d", "S": 520},
            "suppliers.bakehouse.deliveries": None,
        }
    )
    for replication in range(2):
        mondays = [units for day, units in bread_at_opening(v1, replication).items()
                   if day % 7 == 0 and day >= 14]
        assert mondays == [0, 0, 0]
