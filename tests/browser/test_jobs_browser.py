"""The jobs users do in the browser, as they do them: a review's drill-down and its link, the queue's order, a
simulator scenario across a reload, an incident review saved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from sla_core.analysis import queue
from sla_core.analysis.filters import Filters
from sla_core.now import now
from sla_core.policy import load_policy
from sla_core.sources import sample_source
from tests.browser.harness import eventually, first_cells, settle
from tests.browser.test_browser import EXCEPTION, metric, open_page, page_of
from tests.conftest import SAMPLE_POLICY


def grid_cells(page, heading: str) -> list[str]:  # noqa: ANN001
    """The cells of the first table under a heading (a read-only table carries no key class to find it by)."""
    table = page.get_by_role("heading", name=heading).locator("xpath=following::div[@data-testid='stDataFrame'][1]")
    table.wait_for(timeout=30_000)
    first_cells(table, 1)
    return table.locator('[role="gridcell"]').all_inner_texts()


def test_a_selected_row_lists_its_tickets_right_below_and_the_link_keeps_them(browser, server: str,
                                                                              screenshots: Path) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = open_page(context, server, "review")
        grid = page.locator('.st-key-adherence_table [data-testid="stDataFrame"]')
        tier, clock = first_cells(grid, 2)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first data row's checkbox
        settle(page)
        heading = page.get_by_role("heading", name="Tickets behind the numbers")
        # Right under the table, not 1,500 px further down.
        assert heading.bounding_box()["y"] - (box["y"] + box["height"]) < 400
        count = page.get_by_text(re.compile(r"^\d[\d,]* clocks? breached in \d{4}-\d{2}"))
        expect(count).to_have_count(1)
        said = count.inner_text()
        eventually(page, lambda: f"drill_tier={tier}" in page.url and "drill_metric=" in page.url,
                   "the link names the drill-down (a default choice is left out)")
        page.screenshot(path=str(screenshots / "review_drill.png"))

        # The same link in a new tab: the same filters, the same drill-down choices, the same clocks.
        shared = context.new_page()
        shared.goto(page.url)
        shared.get_by_role("heading", name="Tickets behind the numbers").wait_for(timeout=60_000)
        settle(shared)
        assert shared.get_by_text(said, exact=True).count() == 1
        assert shared.locator(EXCEPTION).count() == 0
        assert clock in grid_cells(shared, "Tickets behind the numbers")
        shared.get_by_role("heading", name="Tickets behind the numbers").scroll_into_view_if_needed()
        shared.screenshot(path=str(screenshots / "review_drill_shared_link.png"))
    finally:
        context.close()


def test_the_queue_starts_with_what_can_still_be_saved(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    source = sample_source(load_policy(SAMPLE_POLICY), now())
    with queue.live_results(source.con, source.policy, now(), results=source.results) as live:
        expected = queue.breach_queue(source.con, source.policy, live, Filters(), "UTC")
    assert (expected.priority.diff().dropna() >= 0).all() and len(expected) > 5
    with page_of(browser, server, "breach_queue", width=1800, height=1200, timezone_id="UTC") as page:
        cells = grid_cells(page, "Breach queue")
        headers = page.locator('[data-testid="stDataFrame"]').first.locator('[role="columnheader"]').all_inner_texts()
        columns = len(headers)
        assert [h.strip() for h in headers[:3]] == ["Ticket", "State", "Time left"], headers
        rows = [cells[i:i + columns] for i in range(0, min(len(cells), 5 * columns), columns)]
        assert [r[0] for r in rows] == list(expected.ticket_id[:len(rows)])
        first = expected.iloc[0]
        assert rows[0][1] == first.state.replace("_", " ")
        assert rows[0][2].endswith("left" if first.time_left_seconds >= 0 else "overdue")
        assert not any("_" in r[1] for r in rows)  # "at risk", never at_risk
        page.screenshot(path=str(screenshots / "breach_queue_order.png"))


def test_a_saved_scenario_is_there_after_a_reload(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "simulator", width=1400, height=2400, timeout=90_000) as page:
        page.get_by_label("Scenario name").fill("browser reload check")
        page.get_by_label("Scenario name").press("Enter")
        settle(page)
        page.get_by_role("button", name=re.compile("Save scenario")).click()
        settle(page)
        try:  # the link names the scenario once the save's run is over (a beat later on a busy machine)
            page.wait_for_url(re.compile(r"scenario=browser(\+|%20)reload(\+|%20)check"), timeout=30_000)
        except PlaywrightTimeout:
            page.screenshot(path=str(screenshots / "simulator_scenario_not_saved.png"))
            said = page.locator('[data-testid="stAlert"], [data-testid="stToast"]').all_inner_texts()
            pytest.fail(f"the link does not name the saved scenario: {page.url}; the page says {said}")
        page.reload()
        page.get_by_role("heading", name="Scenarios").wait_for(timeout=90_000)
        settle(page)
        assert "browser reload check" in grid_cells(page, "Scenarios")
        assert page.locator(EXCEPTION).count() == 0
        page.get_by_role("heading", name="Scenarios").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "simulator_scenario_after_reload.png"))


def test_saving_a_review_updates_the_counts_at_once(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "feedback", width=1400, height=1800) as page:
        before = int(metric(page, "Without a review"))
        if before == 0:
            pytest.fail("the sample's month should hold critical incidents without a review")
        page.get_by_label("Summary: what happened, why, what changes").fill("Failover was slow; alert on lag.")
        page.get_by_label("Reviewer").fill("Browser test")
        page.get_by_role("button", name=re.compile("Save review")).click()
        settle(page)
        expect(page.get_by_text(re.compile(r"^Review of .+ saved\.$"))).to_have_count(1)
        eventually(page, lambda: int(metric(page, "Without a review")) == before - 1,
                   "the count of incidents without a review drops by one, no reload needed")
        assert page.locator(EXCEPTION).count() == 0
        assert "duckdb" not in page.get_by_role("heading", name="Incident feedback").locator("..").inner_text()
        page.screenshot(path=str(screenshots / "feedback_saved.png"))


def test_detection_and_nps_of_the_incidents_on_beyond_the_timers(browser, server: str,  # noqa: ANN001
                                                                  screenshots: Path) -> None:
    source = sample_source(load_policy(SAMPLE_POLICY), now())
    from sla_core.analysis import incidents

    month = Filters(period=source.default_period)
    share = incidents.monitoring_share(incidents.time_to_detect(source, month))
    with page_of(browser, server, "insights", width=1400, height=2200, timezone_id="UTC") as page:
        page.get_by_role("tab", name="Detection and NPS").click()
        settle(page)
        assert metric(page, "Incidents monitoring saw first") == f"{share:.0%}"
        page.get_by_role("heading", name="NPS and CSAT of the accounts hit by critical incidents").wait_for()
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "insights_detection_nps.png"), full_page=True)
