"""The Review page at 1M tickets in a real browser: first render from the store, and a filter change.

Run from the repository root (needs /usr/bin/chromium):

    python bench/review_browser.py                     # 1,000,000 tickets
    python bench/review_browser.py --tickets 100000    # a quick check

Builds bench/data/review_<n>.duckdb once (the sample generator, ending
2026-11-26 12:00 London; --rebuild to redo), judges it and keeps the results
as every import does (--nothing-kept removes them instead, as if the policy
had changed since the import), starts `streamlit run app.py`
with SLA_BOARD_DB pointing at it, and drives Chromium through Playwright:

1. cold: a new session picks "Persistent store" in the sidebar; the clock runs
   from the click until the headline metrics of the store are on screen
   (copying the store, evaluating every clock, preparing the review, drawing),
   and until the page stops running (tables and charts below the headline);
2. filter change: the sidebar's Tier set to critical; until the headline
   numbers change, and until the run is over;
3. warm: a second browser session picks the store (now cached for every
   session); the same two clocks.

Times are what a user waits, measured in the browser (50 ms polling).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from sla_core.now import now as clock_now  # noqa: E402
from tests.browser.app_server import CHROMIUM, LAUNCH_ARGS, AppDidNotStart, streamlit_app  # noqa: E402

DATA = ROOT / "bench" / "data"
POLL_MS = 50

# What the page shows, read in the browser in one go: is a script run going on, the caption, the Met value.
PAGE_STATE_JS = """() => {
  const running = document.querySelector('[data-testid="stStatusWidget"]') !== null;
  const caption = document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
  let met = null;
  for (const box of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = box.querySelector('[data-testid="stMetricLabel"]');
    if (label && label.innerText.trim() === 'Clocks met') {
      met = box.querySelector('[data-testid="stMetricValue"]').innerText.trim();
    }
  }
  return {running, caption: caption ? caption.innerText : '', met};
}"""


def build_store(path: Path, n: int, seed: int) -> None:
    from sla_core.sample import write_into

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    tickets, events = write_into(con, n, seed)
    con.close()
    print(f"built {path.name}: {tickets:,} tickets, {events:,} events in {time.perf_counter() - started:.1f} s")


def prepare_kept(store: Path, keep: bool) -> None:
    """Judge the store and keep the results, as an import does; or remove what is kept."""
    from sla_core.ingest.kept import KEPT_META
    from sla_core.ingest.store import keep_results
    from sla_core.policy import load_policy

    if keep:
        started = time.perf_counter()
        rows = keep_results(store, load_policy(ROOT / "sample_data" / "policy.yaml"))
        print(f"judged and kept {rows:,} results in {time.perf_counter() - started:.1f} s")
        return
    con = duckdb.connect(str(store))
    try:
        con.execute(f"DROP TABLE IF EXISTS {KEPT_META}")
    finally:
        con.close()


def state(page) -> dict[str, Any]:  # noqa: ANN001 - playwright Page
    return page.evaluate(PAGE_STATE_JS)


def until(page, started: float, condition, timeout: float) -> float:  # noqa: ANN001
    """Seconds from `started` until condition(state) holds, polled every POLL_MS."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition(state(page)):
            return time.perf_counter() - started
        page.wait_for_timeout(POLL_MS)
    raise SystemExit(f"timed out after {timeout:.0f} s; the page shows {state(page)}")


def idle(page, started: float, timeout: float, quiet: float = 1.0) -> float:  # noqa: ANN001
    """Seconds from `started` until the last moment the page was running (confirmed by `quiet` s of calm)."""
    deadline, last_running = time.monotonic() + timeout, time.perf_counter()
    calm_since: Optional[float] = None
    while time.monotonic() < deadline:
        if state(page)["running"]:
            last_running, calm_since = time.perf_counter(), None
        elif calm_since is None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return last_running - started
        page.wait_for_timeout(POLL_MS)
    raise SystemExit(f"the page kept running for {timeout:.0f} s")


def open_review(browser, url: str, timeout: float):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=timeout * 1000)
    idle(page, time.perf_counter(), timeout)
    return context, page


def pick_store(page, store: Path, timeout: float) -> tuple[float, float]:  # noqa: ANN001
    marker = f"Store {store.name}"
    started = time.perf_counter()
    page.locator('[data-testid="stSidebar"]').get_by_text("Persistent store", exact=True).click()
    shown = until(page, started, lambda s: marker in s["caption"] and s["met"] is not None, timeout)
    return shown, max(shown, idle(page, started, timeout))


def change_tier(page, tier: str, timeout: float) -> tuple[float, float]:  # noqa: ANN001
    before = state(page)["met"]
    page.locator('[data-testid="stSidebar"]').get_by_label("Tier", exact=True).click()
    started = time.perf_counter()
    page.get_by_role("option", name=tier, exact=True).click()
    shown = until(page, started, lambda s: s["met"] is not None and s["met"] != before and not s["running"], timeout)
    return shown, max(shown, idle(page, started, timeout))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/review_browser.py", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the store even if it exists")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per step")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for a screenshot after each step")
    parser.add_argument("--nothing-kept", action="store_true",
                        help="remove the store's kept results: the app judges every clock itself")
    args = parser.parse_args(argv)
    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")

    store = DATA / f"review_{args.tickets}.duckdb"
    if args.rebuild or not store.exists():
        build_store(store, args.tickets, args.seed)
    tickets = duckdb.connect(str(store), read_only=True).execute("SELECT count(*) FROM tickets").fetchone()[0]
    prepare_kept(store, keep=not args.nothing_kept)

    from playwright.sync_api import sync_playwright

    log = DATA / f"review_browser_{os.getpid()}.log"
    rows: list[tuple[str, float, float]] = []
    try:
        with streamlit_app(store, log, start_timeout=120) as url:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
                try:
                    context, page = open_review(browser, url, args.timeout)
                    cold = "nothing kept: copy + evaluate" if args.nothing_kept else "kept results: copy + running tickets"
                    rows.append((f"cold: pick the store ({cold} + review + draw)", *pick_store(page, store, args.timeout)))
                    if args.screenshots:
                        args.screenshots.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(args.screenshots / "review_store_first.png"))
                    rows.append(("filter change: Tier = critical", *change_tier(page, "critical", args.timeout)))
                    rows.append(("filter change: Tier = high", *change_tier(page, "high", args.timeout)))
                    if args.screenshots:
                        page.screenshot(path=str(args.screenshots / "review_store_filtered.png"))
                    context.close()
                    context, page = open_review(browser, url, args.timeout)
                    rows.append(("warm: a second session picks the store (cached)", *pick_store(page, store, args.timeout)))
                    rows.append(("warm: filter change: Tier = critical", *change_tier(page, "critical", args.timeout)))
                    context.close()
                finally:
                    browser.close()
    except AppDidNotStart:
        raise SystemExit(f"streamlit did not start:\n{log.read_text()[-3000:]}") from None
    finally:
        log.unlink(missing_ok=True)

    print(f"# Review page in Chromium at {tickets:,} tickets ({clock_now().astimezone():%Y-%m-%d %H:%M %Z})\n")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}; store {store}.\n")
    print("| step | headline on screen (s) | page done (s) |")
    print("| --- | ---: | ---: |")
    for label, shown, done in rows:
        print(f"| {label} | {shown:.2f} | {done:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
