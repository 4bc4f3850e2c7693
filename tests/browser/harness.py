"""The real-browser harness: `streamlit run app.py` on a free port and Debian's Chromium via Playwright.

Registered once for the whole test session by the root conftest.py, so every folder shares one
server and one browser (a second sync Playwright in the same thread would fail).
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from tests.browser.app_server import CHROMIUM, LAUNCH_ARGS, ROOT, AppDidNotStart, streamlit_app

SCREENSHOTS = ROOT / "tests" / "screenshots"


def _need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing, and CI=true: browser tests must run in CI")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped outside CI")


@contextmanager
def app_on_store(store: Path, env: Optional[dict[str, str]] = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port with SLA_BOARD_DB at `store` (and `env`) until the block ends; a
    server that does not start fails the test with its log."""
    _need_chromium()
    try:
        with streamlit_app(store, store.with_name(f"{store.name}.server.log"), start_timeout=60, env=env) as url:
            yield url
    except AppDidNotStart as err:
        pytest.fail(str(err))


@contextmanager
def running_app(folder: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port until the block ends; the store is an empty temp path."""
    with app_on_store(folder / "none.duckdb") as url:
        yield url


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app shared by the browser tests."""
    with running_app(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def browser(server: str):  # noqa: ANN201 - playwright's Browser
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def run_in_chromium(scenario: Callable[[Any], None]) -> None:
    """Run scenario(browser) with a Chromium of its own, on a thread of its own.

    Playwright's sync API refuses to start on a thread where another sync
    Playwright is running (tests/browser keeps one open for the whole test
    session); a fresh thread has no event loop, so both can live side by side.
    """
    from playwright.sync_api import sync_playwright

    _need_chromium()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
                try:
                    scenario(browser)
                finally:
                    browser.close()
        except BaseException as err:  # handed to the test's thread, traceback included
            failure.append(err)

    thread = threading.Thread(target=work, name="chromium-scenario")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def settle(page, timeout: float = 90, quiet: float = 1.5) -> None:  # noqa: ANN001 - playwright Page
    """Wait until the script run is over and every element has drawn, for `quiet` seconds."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout * 1000)
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        running = page.locator(
            '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSkeletonElement"]'
        ).count() > 0  # a script still running, or elements (charts, tables) still loading
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the app kept running")


def first_cells(grid, count: int, timeout: float = 30) -> list[str]:  # noqa: ANN001 - playwright Locator
    """The first `count` cells of a table, once they are drawn (a beat after the run ends on a busy machine)."""
    cells = grid.locator('[role="gridcell"]')
    cells.nth(count - 1).wait_for(state="attached", timeout=timeout * 1000)
    return cells.all_inner_texts()[:count]


def eventually(page, check: Callable[[], bool], what: str, timeout: float = 30) -> None:  # noqa: ANN001
    """Wait until `check()` holds: what a run changes (the link, a count) can land a beat after the page settles
    on a busy machine, so a test reads it until it holds rather than once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
            seen = "not yet"
        except Exception as err:  # noqa: BLE001 - e.g. a count drawn as a dash for a moment: read it again
            seen = f"{type(err).__name__}: {err}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout:.0f} s ({seen}; page at {page.url})")
        page.wait_for_timeout(200)
