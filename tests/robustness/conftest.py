"""Helpers for the robustness tests: the app in-process (AppTest), an upload, a page's headline numbers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from streamlit.testing.v1 import AppTest

from app_state import StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 90  # the machine is shared: an evaluation of the sample can take a while
APP_FILES = [ROOT / "app.py", ROOT / "app_state.py", ROOT / "charts.py", *sorted((ROOT / "pages").glob("*.py"))]


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def fresh_session() -> AppTest:
    """A new session that has run the entry script once (Review on the bundled sample), without errors."""
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    """Load `content` as this session's tickets export on the Upload page."""
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value((name, content, "text/csv")).run()
    at.button[0].click().run()
    return at


def run_in_chromium(scenario: Callable[[Any], None]) -> None:
    """Run scenario(browser) with a Chromium of its own, on a thread of its own.

    Playwright's sync API refuses to start on a thread where another sync
    Playwright is running (tests/browser keeps one open for the whole test
    session); a fresh thread has no event loop, so both can live side by side.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, _need_chromium

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
