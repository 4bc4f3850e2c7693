"""The real-browser harness: `streamlit run app.py` on a free port and Debian's Chromium via Playwright.

Registered once for the whole test session by the root conftest.py, so every folder shares one
server and one browser (a second sync Playwright in the same thread would fail).
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing, and CI=true: browser tests must run in CI")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped outside CI")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(folder: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port until the block ends; the store is an empty temp path."""
    _need_chromium()
    port = _free_port()
    env = {**os.environ, "SLA_BOARD_DB": str(folder / "none.duckdb")}
    log = folder / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


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


def settle(page, timeout: float = 90) -> None:  # noqa: ANN001 - playwright Page
    """Wait until the script run is over and every element has drawn, for a moment."""
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
        elif time.monotonic() - quiet_since > 1.5:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the app kept running")
