"""The sidebar says how fresh the store is (issue 28.6): the app started on a store that `sync` filled from
Zendesk and PagerDuty (local servers answering as those APIs), with Jira configured but refused, shows
"Synced 4 min ago from Zendesk, PagerDuty" and warns of Jira, in Chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.harness import app_on_store, settle
from tests.sync.test_freshness import SYNCED_AT, synced  # noqa: F401 - the synced store fixture


@pytest.fixture
def synced_board(synced: tuple[Path, Path]) -> Iterator[str]:  # noqa: F811 - the fixture imported above
    store, config = synced
    env = {"SLA_BOARD_SYNC": str(config), "SLA_BOARD_NOW": (SYNCED_AT + timedelta(minutes=4)).isoformat()}
    with app_on_store(store, env) as url:
        yield url


def test_the_sidebar_says_when_the_store_was_synced(browser, synced_board: str, screenshots: Path) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    try:
        page = context.new_page()
        page.goto(synced_board)
        page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=120_000)
        settle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("Synced 4 min ago from Zendesk, PagerDuty", exact=True).count() == 1
        assert sidebar.get_by_text("Jira (servicedesk): never synced, expected every 10 min", exact=False).count() == 1
        assert page.get_by_role("radio", name="Persistent store").is_checked()
        page.screenshot(path=str(screenshots / "sidebar_freshness.png"))
    finally:
        context.close()
