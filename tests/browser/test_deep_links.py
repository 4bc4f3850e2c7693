"""A shared link to a page works on a freshly started server, before anyone opened the home page.

The Review filters live in the URL so a view can be shared; after a restart
the first visitor may well arrive through such a link to /breach_queue. The
app must then still run through app.py (its navigation, its sidebar), not as
a loose script from the `pages/` folder that Streamlit's legacy
auto-discovery would list ("app", "feedback", ... in lower case).

Needs its own server (a fresh one), so not the shared fixture; Chromium runs
on its own thread (conftest.run_in_chromium).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.harness import run_in_chromium, running_app

NAV_TITLES = {"Review", "Breach queue", "Upload"}  # the titles app.py gives its st.Page entries


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    with running_app(tmp_path) as url:
        yield url


def test_the_first_visit_through_a_deep_link_gets_the_apps_navigation(fresh_server: str) -> None:
    run_in_chromium(lambda browser: deep_link(browser, fresh_server))


def deep_link(browser, url: str) -> None:  # noqa: ANN001 - playwright Browser
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/breach_queue?tier=critical")
        page.get_by_role("heading", name="Breach queue").wait_for(timeout=180_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.wait_for(timeout=60_000)
        entries = {line.strip() for line in nav.inner_text().splitlines() if line.strip()}
        assert NAV_TITLES <= entries, f"legacy pages/ navigation instead of app.py's: {sorted(entries)}"
        assert "app" not in entries
    finally:
        context.close()
