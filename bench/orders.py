"""Benchmark (run by hand, not a test): a year of a large shop's orders, 3 million rows.

    python bench/orders.py                      # 3,000,000 rows, in /tmp
    python bench/orders.py --rows 300000 --keep

Writes an orders file of ``--rows`` lines (a year from 2025-01-06: about 2.3 million
orders of 1.3 lines on average, 50 SKUs, 3 channels, hours of a web shop), then
measures, each step in a fresh ``python`` process so that peaks do not mix:

1. ``read_orders``: reading and checking the file (pandas, in chunks) into an
   :class:`~sim.model.orderbook.OrderBook`: wall and CPU seconds, peak RSS of the
   process and its growth over the RSS after the imports;
2. ``prepare``: the parent's whole path (read, check against a scenario, write the
   ``.npz`` cache): seconds, and the size of the cache file against the CSV;
   (peaks are the kernel's VmHWM of each process, which ``ru_maxrss`` would inherit
   from this script across ``fork``)
3. a worker's first replication: loading the book from the cache (seconds, peak RSS,
   and whether pandas was imported), then simulating one replication of a replay of
   the whole year (orders per CPU second), then a second replication (the book is kept);
4. what a task carries: the pickled scenario, against the pickled book it does not carry.

The output is Markdown to paste into bench/RESULTS.md with the date, the machine and
the load average (``uptime``): CPU seconds are the figure to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKUS = 50


def write_orders(path: Path, rows: int, seed: int = 1) -> int:
    """A year of orders with about ``rows`` lines; return the number of lines written."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    lines_per_order = 1 + rng.poisson(0.3, size=int(rows / 1.3) + 10)
    cumulative = np.cumsum(lines_per_order)
    orders = min(int(np.searchsorted(cumulative, rows)) + 1, len(lines_per_order))
    lines_per_order = lines_per_order[:orders]
    start = np.datetime64("2025-01-06T00:00:00", "s")
    seconds = np.sort(rng.integers(0, 365 * 86400, size=orders))
    hour_shift = (rng.beta(5, 3, size=orders) * 16 + 6).astype(np.int64) * 3600
    seconds = (seconds // 86400) * 86400 + hour_shift + seconds % 3600
    times = (start + seconds.astype("timedelta64[s]")).astype(str)
    order_ids = np.char.add("W", np.arange(orders).astype(str))
    repeat = np.repeat(np.arange(orders), lines_per_order)
    frame = pd.DataFrame(
        {
            "time": times[repeat],
            "order": order_ids[repeat],
            "sku": np.char.add("sku", rng.integers(0, SKUS, size=len(repeat)).astype(str)),
            "quantity": 1 + rng.geometric(0.6, size=len(repeat)) - 1,
            "channel": np.array(["web", "app", "phone"])[
                rng.choice(3, size=orders, p=[0.7, 0.25, 0.05])][repeat],
        }
    )
    frame.to_csv(path, index=False)
    return len(frame)


def scenario_text(orders: Path) -> str:
    products = "".join(
        f"  sku{i}: {{price: 10, unit_cost: 4, initial_stock: 100000000}}\n" for i in range(SKUS)
    )
    return (
        f"name: big-replay\nrun: {{horizon: 365d, replications: 2}}\n"
        f"demand:\n  - name: web\n    replay: {orders}\n  - name: app\n    replay: {orders}\n"
        f"  - name: phone\n    replay: {orders}\nproducts:\n{products}"
    )


HWM = '''
def _hwm():
    # Peak resident memory of this process in KiB (VmHWM: unlike ru_maxrss, it is not
    # inherited from the parent across fork and exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
'''

STEPS = {
    "read": """
import time, sys
import pandas, numpy
from sim.data.orders import read_orders
base = _hwm()
w, c = time.perf_counter(), time.process_time()
book = read_orders(sys.argv[1])
out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
       "orders": len(book), "rows": book.rows, "base_kib": base,
       "peak_kib": _hwm(),
       "book_mib": sum(getattr(book, n).nbytes for n in
                       ("time", "first_line", "sku", "quantity", "channel")) / 2**20}
""",
    "prepare": """
import time, sys, os
from sim.scenario.loader import load
from sim.data import store
scenario = load(sys.argv[2])
w, c = time.perf_counter(), time.process_time()
store.prepare([scenario])
out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
       "npz_bytes": sum(os.path.getsize(os.path.join(store.cache_dir(), f))
                        for f in os.listdir(store.cache_dir())),
       "csv_bytes": os.path.getsize(sys.argv[1]),
       "peak_kib": _hwm()}
""",
    "worker": """
import time, sys, pickle
from sim.scenario.loader import load
scenario = load(sys.argv[2])
payload = len(pickle.dumps((scenario, 0)))
from sim.data import store
base = _hwm()
w, c = time.perf_counter(), time.process_time()
book = store.book(scenario.data_files()[0])
load_wall, load_cpu = time.perf_counter() - w, time.process_time() - c
pandas_loaded = "pandas" in sys.modules
book_pickle = len(pickle.dumps(book))
c = time.process_time()
first = store.simulate(scenario, 0, series=False)
first_cpu = time.process_time() - c
c = time.process_time()
store.simulate(scenario, 1, series=False)
second_cpu = time.process_time() - c
orders = dict(((m, s), v) for m, s, v, _ in first.metrics)["orders_arrived", "all"]
out = {"load_wall": load_wall, "load_cpu": load_cpu, "pandas": pandas_loaded,
       "orders": orders, "first_cpu": first_cpu, "second_cpu": second_cpu,
       "base_kib": base, "peak_kib": _hwm(),
       "task_bytes": payload, "book_pickle_bytes": book_pickle}
""",
}


def run_step(name: str, orders: Path, scenario: Path, cache: Path) -> dict:
    code = HWM + STEPS[name] + "\nimport json; print(json.dumps(out))\n"
    env = {**os.environ, "OPSIM_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(orders), str(scenario)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the files in /tmp")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="opsim-bench-orders-"))
    orders, scenario, cache = folder / "orders.csv", folder / "big.yaml", folder / "cache"
    started = time.perf_counter()
    lines = write_orders(orders, args.rows)
    scenario.write_text(scenario_text(orders))
    print(f"wrote {orders}: {lines:,} rows, {orders.stat().st_size / 2**20:.0f} MiB "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"load average: {os.getloadavg()}")

    read = run_step("read", orders, scenario, cache)
    prepared = run_step("prepare", orders, scenario, cache)
    worker = run_step("worker", orders, scenario, cache)

    mib = 2**20
    print()
    print("| step | wall s | CPU s | peak RSS MiB | peak over the imports MiB | notes |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| `read_orders` ({read['rows']:,} rows, {read['orders']:,} orders) | "
          f"{read['wall']:.1f} | {read['cpu']:.1f} | {read['peak_kib'] / 1024:.0f} | "
          f"{(read['peak_kib'] - read['base_kib']) / 1024:.0f} | "
          f"book arrays {read['book_mib']:.0f} MiB |")
    print(f"| `prepare` (read, check, write the cache) | {prepared['wall']:.1f} | "
          f"{prepared['cpu']:.1f} | {prepared['peak_kib'] / 1024:.0f} | | cache "
          f"{prepared['npz_bytes'] / mib:.0f} MiB for a CSV of {prepared['csv_bytes'] / mib:.0f} "
          "MiB |")
    print(f"| worker: load the book from the cache | {worker['load_wall']:.2f} | "
          f"{worker['load_cpu']:.2f} | {worker['peak_kib'] / 1024:.0f} | "
          f"{(worker['peak_kib'] - worker['base_kib']) / 1024:.0f} | pandas imported: "
          f"{worker['pandas']} |")
    per_second = worker["orders"] / worker["first_cpu"]
    print(f"| worker: replication 0 (replay of the year) | | {worker['first_cpu']:.1f} | | | "
          f"{worker['orders']:,.0f} orders, {per_second:,.0f} orders per CPU s |")
    print(f"| worker: replication 1 (book kept) | | {worker['second_cpu']:.1f} | | | |")
    print()
    print(f"A task carries {worker['task_bytes'] / 1024:.0f} KiB (the pickled scenario and "
          f"replication); the book it does not carry would pickle to "
          f"{worker['book_pickle_bytes'] / mib:.0f} MiB.")
    if not args.keep:
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main()
