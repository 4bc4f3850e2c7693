"""A team's own store is the board (issue 26): the app started on a store imported from the real ServiceNow log
opens on it without a click, a link made on it reproduces source, month, team and drill-down in a new browser,
the month the data covers in part says so, and no month without clocks is offered."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from sla_core.ingest.store import import_file
from sla_core.policy import load_policy
from tests.browser.harness import app_on_store, eventually, settle

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "realdata" / "servicenow_incident_event_log.csv.gz"
POLICY = ROOT / "tests" / "realdata" / "servicenow_policy.yaml"
EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def store_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a store holding the real ServiceNow log (imported in a few seconds), judged by its policy."""
    if not DATA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data missing under CI: {DATA}", pytrace=False)
        pytest.skip(f"real data not present at {DATA} (../shared/realdata is outside the repository)")
    store = tmp_path_factory.mktemp("store_board") / "servicenow.duckdb"
    import_file(DATA, "servicenow", db=store, policy=load_policy(POLICY))
    with app_on_store(store, {"SLA_BOARD_POLICY": str(POLICY)}) as url:
        yield url


def chosen(page, label: str) -> str:  # noqa: ANN001 - playwright Page
    """What a selectbox shows (its combobox input's value)."""
    return page.get_by_role("combobox", name=label, exact=True).first.input_value()


def choose(page, label: str, option: str, *, sidebar: bool = True) -> None:  # noqa: ANN001
    """Pick an option of a selectbox, typing it first: a long list (72 teams) only draws what is in view."""
    box = (page.locator('[data-testid="stSidebar"]') if sidebar else page).get_by_role("combobox", name=label,
                                                                                       exact=True).first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def test_the_store_is_the_board_and_a_link_keeps_it(browser, store_board: str, screenshots: Path) -> None:  # noqa: ANN001
    mine = browser.new_context(viewport={"width": 1440, "height": 1800})
    theirs = browser.new_context(viewport={"width": 1440, "height": 1800})
    try:
        page = mine.new_page()
        page.goto(store_board)
        page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=120_000)
        settle(page)
        # The store, without a click: its radio is on, no demo banner, the caption names it.
        assert page.get_by_role("radio", name="Persistent store").is_checked()
        assert page.get_by_text("Demo data").count() == 0
        assert page.get_by_text(re.compile(r"^Store servicenow\.duckdb · 24,916 tickets")).count() == 1
        assert "(sample)" not in page.title()
        # It opens on the last month the data covers whole (it ends in February 2017): January.
        assert chosen(page, "Month").startswith("2017-01 · ")
        page.get_by_label("Month", exact=False).first.click()
        offered = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        assert offered and not [o for o in offered if re.search(r"· 0 clocks", o)], offered
        assert any(o.startswith("2017-02 · data ends") for o in offered), offered
        assert any(o.startswith("2016-02 · data starts 29 Feb") for o in offered), offered
        page.screenshot(path=str(screenshots / "store_board_review.png"))
        # A team and a drill-down outcome, then the link.
        choose(page, "Owner team", "Group 70")
        choose(page, "Outcome", "met", sidebar=False)
        eventually(page, lambda: {"data", "period", "team", "drill_state"} <= set(parse_qs(urlparse(page.url).query)),
                   "the link names the data, month, team and drill-down")
        link = page.url
        query = parse_qs(urlparse(link).query)
        assert query["data"] == ["store"] and query["period"] == ["2017-01"] and query["team"] == ["Group 70"]
        # A new browser context (another person) opening the link sees the same view.
        other = theirs.new_page()
        other.goto(link)
        other.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=120_000)
        settle(other)
        assert other.get_by_role("radio", name="Persistent store").is_checked()
        assert chosen(other, "Month").startswith("2017-01 · ")
        assert chosen(other, "Owner team") == "Group 70"
        assert chosen(other, "Outcome") == "met"
        assert other.get_by_text("instead").count() == 0  # nothing the link named was changed
        assert other.locator(EXCEPTION).count() == 0
        other.screenshot(path=str(screenshots / "store_board_link.png"))
    finally:
        mine.close()
        theirs.close()


def test_a_link_to_what_this_data_lacks_says_so(browser, store_board: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    try:
        page = context.new_page()
        page.goto(f"{store_board}/?data=store&period=2026-11&team=Backend")
        page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=120_000)
        settle(page)
        assert page.get_by_text(re.compile(r"Month 2026-11 has no SLA clocks in Store servicenow.duckdb: "
                                           r"showing 2017-01")).count() == 1
        assert page.get_by_text(re.compile(r'has team "Backend": showing all teams instead')).count() == 1
        # The sample, asked for by the link, is marked as a demo in the page and in its title.
        page.goto(f"{store_board}/breach_queue?data=sample")
        page.get_by_role("heading", name="Breach queue").wait_for(timeout=120_000)
        settle(page)
        assert page.get_by_role("radio", name="Bundled sample (demo)").is_checked()
        assert page.get_by_text("Demo data").count() == 1
        eventually(page, lambda: "(sample)" in page.title(), "the page title marks the sample")
    finally:
        context.close()


def test_the_queue_on_an_old_export_forecasts_nothing_it_cannot_back(browser, store_board: str,  # noqa: ANN001
                                                                      screenshots: Path) -> None:
    """The real log ends in February 2017: nothing runs now and its recent weeks are empty, not quiet, so the shift
    forecast says why once instead of "0.0 expected" per tier."""
    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    try:
        page = context.new_page()
        page.goto(f"{store_board}/breach_queue")
        page.get_by_role("heading", name="Breaches forecast for the shift").wait_for(timeout=120_000)
        settle(page)
        assert page.locator(EXCEPTION).count() == 0
        said = page.get_by_text(re.compile(r"Too small to forecast: the newest ticket was created on \d\d \w{3} 2017, "
                                           r"more than 8 weeks ago"))
        assert said.count() == 1
        assert page.get_by_text(re.compile(r"^expected \d")).count() == 0
        assert page.get_by_text("No tier the policy times matches the filters.").count() == 0
        page.screenshot(path=str(screenshots / "store_board_queue_forecast.png"))
    finally:
        context.close()
