"""report.html in a real browser: Debian's Chromium, driven by Playwright, network blocked.

Each report (of a run, of a sweep) is opened from its file with every network request
routed to an abort and counted: the page must load without a console error, attempt
no request but its own file (figures are data: URIs), decode every image, and show its
headline table. Playwright's own browser download is not used (it is not reachable on
these machines): the system's ``/usr/bin/chromium`` (or ``SIM_CHROMIUM``) is launched.
Without a browser the tests skip and say why, except in CI (``CI=true``), where a
missing browser is a failure: ``.ci/run`` installs Chromium first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sim
from sim.experiment.sweep.runner import sweep

CHROMIUM = os.environ.get("SIM_CHROMIUM", "/usr/bin/chromium")
# The flags these machines need (headless, no sandbox as root, and no background
# connections, which a closed network refuses).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SHOP = """
name: browser-shop
currency: EUR
run: {horizon: 4d, warmup: 1d, replications: 2, seed: 5}
demand:
  arrivals: {rate: 60/day}
products:
  widget: {price: 20, unit_cost: 8, initial_stock: 80, supplier: acme,
           policy: {type: s_S, s: 30, S: 100}}
suppliers:
  acme: {lead_time: 1d, order_cost: 30}
staff:
  pickers: {headcount: 2, wage: 18/h}
process:
  - {step: pick, staff: pickers, time: {dist: exponential, mean: 20min}}
service: {promise: 4h}
variants:
  more_pickers: {staff.pickers.headcount: 3}
sweep:
  grid:
    staff.pickers.headcount: [1, 2]
    products.widget.policy.s: [20, 40]
  replications: 2
"""


def _missing_browser() -> str | None:
    """Why the browser cannot be started here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (python3 bootstrap.py dev installs it)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium), "
            "or set SIM_CHROMIUM to a Chromium executable"
        )
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the browser test cannot run: {missing}")
        pytest.skip(f"browser test not run: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def _open(browser, report: Path) -> dict:
    """Open ``report`` with the network blocked; what the page did and shows."""
    own = report.resolve().as_uri()
    seen: dict = {"requests": [], "blocked": [], "errors": []}
    context = browser.new_context()
    page = context.new_page()

    def route(request_route):
        url = request_route.request.url
        if url == own:
            request_route.continue_()
        else:
            seen["blocked"].append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.goto(own, wait_until="load")
    seen["images"] = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.src.slice(0, 22)])"
    )
    seen["headline_cells"] = page.locator("#headline table td").count()
    seen["title"] = page.title()
    context.close()
    return seen


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """report.html of a run and of a sweep of the same small shop."""
    import matplotlib

    matplotlib.use("Agg")
    folder = tmp_path_factory.mktemp("reports")
    scenario = sim.loads(SHOP)
    run_out = Path(sim.run(scenario, workers=1, progress=False).save(folder / "run"))
    sweep(scenario, workers=1, out=folder / "sweep", progress=False)
    return {"run": run_out / "report.html", "sweep": folder / "sweep" / "report.html"}


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_report_loads_offline_without_errors(browser, reports, command):
    """The report loads with no console error and no network request but its own file."""
    seen = _open(browser, reports[command])
    own = reports[command].resolve().as_uri()
    assert seen["errors"] == []
    assert seen["blocked"] == []
    assert [url for url in seen["requests"] if url != own and not url.startswith("data:")] == []


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_every_image_decodes_and_the_table_shows(browser, reports, command):
    """Every figure is an embedded PNG the browser decodes, and the headline table has cells."""
    seen = _open(browser, reports[command])
    assert len(seen["images"]) >= 2
    assert all(done and width > 0 and src == "data:image/png;base64,"
               for done, width, src in seen["images"])  # fmt: skip
    assert seen["headline_cells"] > 0


def test_missing_browser_is_explained(monkeypatch):
    """Without Chromium the reason names the path and how to install it."""
    monkeypatch.setattr(os.path, "isfile", lambda _path: False)
    reason = _missing_browser()
    assert reason is not None and CHROMIUM in reason and "apt-get install chromium" in reason



def test_ci_installs_chromium_before_the_tests():
    """.ci/run installs Debian's chromium (when missing) before its last line runs the tests,
    and sets CI=true so that a missing browser fails instead of skipping."""
    lines = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "apt-get install" in line)
    assert "chromium" in lines[install] and install < len(lines) - 1
    assert 'export CI="${CI:-true}"' in lines
