"""Files of past orders: read and checked once, replayed exactly, resampled by weekday.

A broken file is refused like a broken scenario (file, line, column, exit status 2);
a good one becomes compact arrays that reach worker processes through a cache.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim.data.orders as orders_module
from sim.cli.app import main
from sim.data import store
from sim.data.orders import MAX_PROBLEMS, read_orders
from sim.data.store import prepare, read_book, simulate
from sim.errors import ScenarioError
from sim.model.build import Model, calendar_of
from sim.scenario.loader import load, loads

ROOT = Path(__file__).resolve().parents[1]
GARDEN = ROOT / "scenarios" / "data" / "garden_orders.csv"

SMALL = """time,order,sku,quantity,channel
2026-01-05T09:30,A1,widget,2,web
2026-01-05T09:30,A1,gadget,1,web
2026-01-05T08:00,B,widget,1,shop
2026-01-06,C,gadget,3,web
2026-01-05T09:45,A1,widget,1,web
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Every test with its own cache folder and no books remembered from another test."""
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "cache"))
    store.forget()
    yield
    store.forget()


def write(tmp_path, text, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path):
    with pytest.raises(ScenarioError) as error:
        read_orders(path, shown_as="orders.csv")
    return str(error.value).splitlines()


# --------------------------------------------------------------------------- reading
def test_rows_with_one_id_are_the_lines_of_one_order_at_its_earliest_time(tmp_path):
    """A1's three rows make one order at 09:30 with three lines; orders are sorted by time."""
    book = read_orders(write(tmp_path, SMALL))
    names = [book.channels[c] for c in book.channel]
    lines = [[(book.skus[s], q) for s, q in book.lines_of(i)] for i in range(len(book))]
    assert names == ["shop", "web", "web"]
    assert lines == [
        [("widget", 1)],
        [("widget", 2), ("gadget", 1), ("widget", 1)],
        [("gadget", 3)],
    ]
    assert book.first_date() == dt.date(2026, 1, 5) and book.rows == 5


def test_column_names_ignore_case_and_spaces_and_other_columns_are_ignored(tmp_path):
    """A header " Time,ORDER,sku,Quantity,price" reads; the price column is not needed."""
    text = " Time,ORDER,sku,Quantity,price\n2026-01-05T10:00,1,a,2,9\n"
    book = read_orders(write(tmp_path, text))
    assert (len(book), book.lines_of(0)) == (1, [(0, 2)])


def test_reading_in_chunks_gives_the_same_orders(tmp_path, monkeypatch):
    """Chunks of 2 rows give the same book as one chunk (orders split across chunks too)."""
    path = write(tmp_path, SMALL)
    whole = read_orders(path)
    monkeypatch.setattr(orders_module, "CHUNK_ROWS", 2)
    chunked = read_orders(path)
    for name in ("time", "first_line", "sku", "quantity", "channel"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name)), name


@pytest.mark.parametrize(
    "row, expected",
    [
        ("yesterday,1,a,1", "orders.csv:2: time: expected an ISO 8601 date-time like "
         "2026-01-05T09:30 (got 'yesterday')"),
        ("2026-01-05T09:30+01:00,1,a,1", "orders.csv:2: time: a time with a time zone cannot "
         "be read as the business's clock; give local times, like 2026-01-05T09:30 (got "
         "'2026-01-05T09:30+01:00')"),
        ("2026-01-05T09:30,,a,1", "orders.csv:2: order: missing: every row needs a value here"),
        ("2026-01-05T09:30,1,,1", "orders.csv:2: sku: missing: every row needs a value here"),
        ("2026-01-05T09:30,1,a,2.5", "orders.csv:2: quantity: expected a whole number of "
         "units, 1 or more (got '2.5')"),
        ("2026-01-05T09:30,1,a,0", "orders.csv:2: quantity: expected a whole number of "
         "units, 1 or more (got '0')"),
        ("2026-01-05T09:30,1,a,1,extra,more", "orders.csv:2: the row has more values than "
         "the header has columns (4)"),
    ],
)
def test_a_broken_row_is_named_by_line_and_column(tmp_path, row, expected):
    """Each kind of broken row is refused with the file, its line and the column."""
    assert problems(write(tmp_path, f"time,order,sku,quantity\n{row}\n")) == [expected]


def test_a_later_row_with_too_many_values_is_named_by_its_line(tmp_path):
    """An unquoted comma in a value on line 3 shifts the columns: refused at line 3."""
    text = "time,order,sku,quantity\n2026-01-05T09:30,1,a,1\n2026-01-05T09:31,2,bolt, M6,1\n"
    assert problems(write(tmp_path, text)) == [
        "orders.csv:3: expected 4 values, like the header, but the row has 5"
    ]


def test_a_row_with_two_problems_gets_two_messages(tmp_path):
    """An empty order id and a bad quantity on one row are both reported."""
    assert problems(write(tmp_path, "time,order,sku,quantity\n2026-01-05T09:30,,a,x\n")) == [
        "orders.csv:2: order: missing: every row needs a value here",
        "orders.csv:2: quantity: expected a whole number of units, 1 or more (got 'x')",
    ]


def test_a_missing_column_is_named_at_the_header(tmp_path):
    """A file without quantity is refused at line 1, naming what the header has."""
    assert problems(write(tmp_path, "time,order,sku\n2026-01-05T09:30,1,a\n")) == [
        'orders.csv:1: missing column "quantity" (the header has: time, order, sku)'
    ]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "orders.csv: the file is empty; it needs a header: time,order,sku,quantity "
         "(and channel)"),
        (b"time,order,sku,quantity\n", "orders.csv: no orders in the file (only a header)"),
        ("time,order,sku,quantity\n2026-01-05T09:30,1,\u00e9,1\n".encode("utf-16"),
         "orders.csv: the file is not UTF-8 text; save it as CSV with UTF-8 encoding"),
    ],
)
def test_a_file_that_cannot_be_used_at_all_says_why(tmp_path, content, expected):
    """An empty file, a header alone and a UTF-16 file each get one message."""
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    assert problems(path) == [expected]


def test_only_the_first_problems_are_listed_then_counted(tmp_path):
    """A file with 30 bad rows lists MAX_PROBLEMS of them and says how many more."""
    rows = "".join(f"bad,{i},a,1\n" for i in range(30))
    found = problems(write(tmp_path, "time,order,sku,quantity\n" + rows))
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1] == f"orders.csv: ... and {30 - MAX_PROBLEMS} more problems like these"


def scenario_text(file, *, extra="", channel="", start=""):
    return (
        f"name: replay\nrun: {{horizon: 7d{start}}}\ndemand:\n  - replay: {file}\n{channel}"
        "products:\n  widget: {price: 10, unit_cost: 4, initial_stock: 1000}\n"
        "  gadget: {price: 10, unit_cost: 4, initial_stock: 1000}\n" + extra
    )


def test_a_broken_orders_file_stops_the_command_line_with_status_2(tmp_path, capsys):
    """run_sim.py validate on a scenario whose orders file is broken: exit 2, the line, no trace."""
    write(tmp_path, "time,order,sku,quantity\n2026-01-05T09:30,1,widget,lots\n")
    scenario = write(tmp_path, scenario_text("orders.csv"), "shop.yaml")
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "orders.csv:2: quantity: expected a whole number of units, 1 or more (got 'lots')" in err
    assert "Traceback" not in err


def test_a_missing_orders_file_is_refused_at_its_key(tmp_path):
    """replay: a file that does not exist is refused at the line of replay."""
    path = write(tmp_path, scenario_text("nothere.csv"), "shop.yaml")
    with pytest.raises(ScenarioError, match=r"shop.yaml:4: demand.0.replay: orders file not found"):
        load(path)


def test_paths_are_relative_to_the_scenario_file(tmp_path, monkeypatch):
    """A replay path is found next to the scenario whatever the working folder."""
    write(tmp_path, SMALL)
    scenario = write(tmp_path, scenario_text("orders.csv"), "shop.yaml")
    monkeypatch.chdir(ROOT)
    assert load(scenario).demand[0].replay == str(tmp_path / "orders.csv")


def test_an_unknown_sku_is_refused_at_its_first_line(tmp_path):
    """A SKU of the file that is not a product is named with the line it first appears on."""
    write(tmp_path, SMALL.replace("C,gadget", "C,gizmo"))
    scenario = load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml"))
    with pytest.raises(ScenarioError, match=r"orders.csv:5: sku: no product 'gizmo' in scenario"):
        prepare([scenario])


def test_a_channel_must_be_among_the_file_channels(tmp_path):
    """A replay channel named "phone" with a file of web and shop orders is refused at its name."""
    write(tmp_path, SMALL)
    text = scenario_text("orders.csv").replace("  - replay:", "  - name: phone\n    replay:")
    scenario = load(write(tmp_path, text, "shop.yaml"))
    with pytest.raises(ScenarioError, match=r"shop.yaml:4: demand.0.name: no orders of channel "
                       r"'phone' in .*orders.csv \(its channels: web, shop\)"):
        prepare([scenario])


def test_a_replay_without_orders_inside_the_run_is_refused(tmp_path):
    """Orders of January 2026 with run.start in March: none falls inside the run."""
    write(tmp_path, SMALL)
    scenario = load(write(tmp_path, scenario_text("orders.csv", start=", start: 2026-03-01"),
                          "shop.yaml"))
    with pytest.raises(ScenarioError, match="none of the 3 orders of .* fall between the start"):
        prepare([scenario])


# --------------------------------------------------------------------------- replay
def replayed(scenario):
    prepare([scenario])
    output = simulate(scenario, 0, series=False)
    return {(m, s): v for m, s, v, _ in output.metrics}


def test_a_replay_starts_on_the_date_of_the_first_order(tmp_path):
    """Without run.start, time 0 is 00:00 of the first order's date."""
    write(tmp_path, SMALL)
    scenario = load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml"))
    prepare([scenario])
    book = read_book(scenario.demand[0].replay)
    assert calendar_of(scenario, {scenario.demand[0].replay: book}).start == dt.date(2026, 1, 5)


def test_a_replay_brings_the_file_s_orders_and_units_exactly(tmp_path):
    """Every order of the file arrives, with exactly its units of each SKU."""
    write(tmp_path, SMALL)
    metrics = replayed(load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml")))
    assert metrics["orders_arrived", "all"] == 3
    assert (metrics["units_shipped", "widget"], metrics["units_shipped", "gadget"]) == (4, 4)


def test_a_named_replay_channel_brings_only_its_orders(tmp_path):
    """A channel named web replays the web rows only."""
    write(tmp_path, SMALL)
    text = scenario_text("orders.csv").replace("  - replay:", "  - name: web\n    replay:")
    metrics = replayed(load(write(tmp_path, text, "shop.yaml")))
    assert (metrics["orders_arrived", "all"], metrics["units_shipped", "widget"]) == (2, 3)


def test_orders_at_times_outside_the_run_are_left_out(tmp_path):
    """Starting on 2026-01-06, the orders of the 5th are before time 0: one order remains."""
    write(tmp_path, SMALL)
    text = scenario_text("orders.csv", start=", start: 2026-01-06")
    assert replayed(load(write(tmp_path, text, "shop.yaml")))["orders_arrived", "all"] == 1


def test_orders_arrive_at_their_recorded_times(tmp_path):
    """The three orders arrive at hours 8, 9.5 and 24 from 2026-01-05 00:00."""
    write(tmp_path, SMALL)
    scenario = load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml"))
    prepare([scenario])
    model = Model(scenario, 0, {scenario.demand[0].replay: read_book(scenario.demand[0].replay)})
    times = []
    emit = model.channels[0].emit
    model.channels[0].emit = lambda lines=None: (times.append(model.env.now), emit(lines))
    model.run(series=False)
    assert times == [8.0, 9.5, 24.0]


def test_the_example_replay_reproduces_the_file_s_order_count_exactly():
    """garden_replay.yaml over its whole horizon receives every order of the orders file."""
    scenario = load(ROOT / "scenarios" / "garden_replay.yaml").base()
    scenario = scenario.with_changes({"run.warmup": "0d"})
    book = read_orders(GARDEN)
    by_channel = collections.Counter(book.channels[c] for c in book.channel.tolist())
    metrics = replayed(scenario)
    assert metrics["orders_arrived", "all"] == len(book) == sum(by_channel.values())


def test_a_closed_date_removes_the_replayed_orders_of_that_date(tmp_path):
    """Closing 2026-01-06 removes order C: two orders arrive."""
    write(tmp_path, SMALL)
    text = scenario_text("orders.csv").replace(
        "  - replay: orders.csv\n",
        "  - replay: orders.csv\n    calendar: [{date: 2026-01-06, closed: true}]\n",
    )
    assert replayed(load(write(tmp_path, text, "shop.yaml")))["orders_arrived", "all"] == 2


# --------------------------------------------------------------------------- resample
def two_weeks(tmp_path):
    """14 days from Monday 2026-01-05: day k has k + 1 orders at 10:00 (the Mondays 1 and 8)."""
    rows = ["time,order,sku,quantity"]
    number = 0
    for k in range(14):
        date = dt.date(2026, 1, 5) + dt.timedelta(days=k)
        for _ in range(k + 1):
            number += 1
            rows.append(f"{date}T10:00,{number},widget,1")
    return write(tmp_path, "\n".join(rows) + "\n")


def resampled_days(tmp_path, replications, start=""):
    two_weeks(tmp_path)
    text = (
        f"name: resample\nrun: {{horizon: 28d{start}}}\n"
        "demand: {resample: {file: orders.csv}}\n"
    )
    scenario = load(write(tmp_path, text, "shop.yaml"))
    prepare([scenario])
    path = scenario.demand[0].data_file
    counts = []
    for r in range(replications):
        model = Model(scenario, r, {path: read_book(path)})
        times: list[float] = []
        emit, env = model.channels[0].emit, model.env
        model.channels[0].emit = lambda lines=None, t=times, e=emit, env=env: (
            t.append(env.now), e())
        model.run(series=False)
        counts.append(np.bincount((np.array(times) // 24).astype(int), minlength=28))
    return np.array(counts)


def test_each_resampled_day_is_a_past_day_of_the_same_weekday(tmp_path):
    """Simulated weekday w has w + 1 or w + 8 orders: one of the two past days of its weekday."""
    counts = resampled_days(tmp_path, 5)
    for day in range(28):
        assert set(counts[:, day]) <= {day % 7 + 1, day % 7 + 8}, day


def test_past_days_are_drawn_at_random_with_equal_chances(tmp_path):
    """Over 20 x 28 simulated days, the first week's day is drawn within its binomial interval."""
    counts = resampled_days(tmp_path, 20)
    first_week = int((counts == (np.arange(28) % 7 + 1)).sum())
    low, high = stats.binom.interval(0.999, counts.size, 0.5)
    assert low <= first_week <= high


def test_resampled_days_follow_the_weekday_of_the_start(tmp_path):
    """With run.start on a Wednesday, simulated day 0 is drawn from past Wednesdays (3 or 10)."""
    counts = resampled_days(tmp_path, 3, start=", start: 2026-03-04")
    assert set(counts[:, 0]) <= {3, 10}


def test_resample_needs_a_week_of_orders(tmp_path):
    """A file of orders on three days cannot give every weekday: refused at resample.file."""
    write(tmp_path, SMALL)
    text = "name: r\nrun: {horizon: 7d}\ndemand:\n  resample: {file: orders.csv}\n"
    scenario = load(write(tmp_path, text, "shop.yaml"))
    with pytest.raises(ScenarioError, match=r"shop.yaml:4: demand.resample.file: resample needs "
                       r"at least a week of orders .*spans 2 days"):
        prepare([scenario])


def test_a_channel_of_past_orders_takes_no_drawn_content():
    """lines, quantity or sku_mix beside replay are refused: the file gives the lines."""
    with pytest.raises(ScenarioError, match="the orders file gives each order's lines: remove "
                       "lines, quantity"):
        loads("name: r\nrun: {horizon: 7d}\ndemand: {replay: o.csv, lines: 2, quantity: 3}\n")


# --------------------------------------------------------------------------- workers
def test_the_parent_reads_a_file_once_and_then_uses_its_cache(tmp_path, monkeypatch):
    """After a first read, a new process (memory forgotten) takes the book from the cache."""
    path = str(write(tmp_path, SMALL))
    first = read_book(path)
    store.forget()
    monkeypatch.setattr(orders_module, "read_orders", lambda *a, **k: pytest.fail("read again"))
    again = read_book(path)
    assert np.array_equal(first.time, again.time) and again.sha256 == first.sha256


def test_a_changed_file_is_read_again(tmp_path):
    """Writing the file anew (another size) gives a new book."""
    path = write(tmp_path, SMALL)
    assert len(read_book(str(path))) == 3
    path.write_text(SMALL + "2026-01-07T10:00,D,widget,1,web\n", encoding="utf-8")
    assert len(read_book(str(path))) == 4


def test_a_worker_without_the_cache_says_how_to_get_it(tmp_path):
    """A process that was never prepared finds no cache entry and says what to do."""
    path = str(write(tmp_path, SMALL))
    with pytest.raises(RuntimeError, match="run the scenario with sim.run"):
        store.book(path)


def test_replay_gives_the_same_numbers_on_worker_processes(tmp_path):
    """Two worker processes, loading the books from the cache, give the rows of one process."""
    import sim

    write(tmp_path, SMALL)
    text = scenario_text("orders.csv", extra="staff: {desk: {headcount: 1}}\n"
                         "process: [{step: serve, staff: desk, time: {dist: exponential, "
                         "mean: 30min}}]\n").replace("replay: 4", "replay: 2")
    scenario = load(write(tmp_path, text, "shop.yaml"))
    one = sim.run(scenario, replications=3, workers=1, progress=False).replications()
    two = sim.run(scenario, replications=3, workers=2, progress=False).replications()
    assert one.equals(two)


def test_the_task_function_of_a_worker_does_not_import_pandas():
    """Importing sim.data.store (what a worker runs) loads neither pandas nor scipy."""
    code = "import sys, sim.data.store; print(sorted({'pandas', 'scipy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})
    assert out.stdout.strip() == "[]"


def test_the_run_record_lists_the_orders_file_with_its_sha256(tmp_path):
    """run.json's files of a replay scenario include the orders file and its SHA-256."""
    from sim.experiment.record import scenario_files

    write(tmp_path, SMALL)
    scenario = load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml"))
    listed = {entry["file"]: entry["sha256"] for entry in scenario_files(scenario)}
    assert listed[str(tmp_path / "orders.csv")] == read_orders(tmp_path / "orders.csv").sha256


def test_a_sweep_over_a_replay_scenario_runs_every_point(tmp_path):
    """A sweep prepares the orders file and replays it at every point."""
    import sim

    write(tmp_path, SMALL)
    text = scenario_text("orders.csv", extra="staff: {desk: {headcount: 1}}\n"
                         "process: [{step: serve, staff: desk, time: 30min}]\n")
    scenario = load(write(tmp_path, text, "shop.yaml"))
    results = sim.sweep(scenario, {"staff.desk.headcount": [1, 2]}, replications=1, workers=1,
                        progress=False)
    arrived = results.summary().query("metric == 'orders_arrived'")["mean"].tolist()
    assert arrived == [3.0, 3.0]


def test_workers_find_the_cache_the_parent_wrote_whatever_their_environment(
    tmp_path, monkeypatch
):
    """A cache folder changed after the worker processes' fork server started still reaches
    them: the parent passes it with each task."""
    import sim

    write(tmp_path, SMALL)
    scenario = load(write(tmp_path, scenario_text("orders.csv"), "shop.yaml"))
    first = sim.run(scenario, replications=2, workers=2, progress=False).replications()
    shutil.rmtree(tmp_path / "cache")  # the folder the workers' environment names is gone
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "elsewhere"))
    store.forget()
    again = sim.run(scenario, replications=2, workers=2, progress=False).replications()
    assert (tmp_path / "elsewhere").is_dir() and first.equals(again)
