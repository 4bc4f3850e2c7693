"""The app in a real browser: every page, a filter, an upload, two sessions side by side, both themes."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.harness import eventually, first_cells, settle

PAGES = {"review": "", "breach_queue": "breach_queue", "upload": "upload"}  # every one rendered in both themes
URLS = {**PAGES, "simulator": "simulator", "feedback": "feedback", "insights": "insights"}
TITLES = {"review": "Monthly SLA review", "breach_queue": "Breach queue", "upload": "Upload an export",
          "simulator": "Rubric simulator", "feedback": "Incident feedback", "insights": "Beyond the timers"}
EXCEPTION = '[data-testid="stException"]'
FIXTURE_CSV = b"""ticket_id,created_at,impact,segment,owner_team,acknowledged_at,resolved_at
B-1,2026-11-02 10:00,critical,enterprise,engineering,2026-11-02 10:10,2026-11-02 15:00
B-2,2026-11-03 10:00,high,self_serve,support,2026-11-03 12:00,
B-3,yesterday,high,self_serve,support,,
B-4,2026-11-04 10:00,galactic,enterprise,product,,
"""


def open_page(context, server: str, name: str, timeout: float = 60_000):  # noqa: ANN001, ANN201
    """A new tab on page `name`, once its title is there and it has settled."""
    page = context.new_page()
    page.goto(f"{server}/{URLS[name]}")
    page.get_by_role("heading", name=TITLES[name]).wait_for(timeout=timeout)
    settle(page)
    return page


@contextmanager
def page_of(browser, server: str, name: str, *, width: int = 1400, height: int = 2000,  # noqa: ANN001
            timeout: float = 60_000, **options: Any) -> Iterator[Any]:
    """Page `name` in a browser context of its own (closed afterwards): one visitor's tab."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    try:
        yield open_page(context, server, name, timeout)
    finally:
        context.close()


def metric(page, label: str) -> str:  # noqa: ANN001
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def choose(page, label: str, option: str) -> None:  # noqa: ANN001
    """Pick an option of a selectbox by its label."""
    page.get_by_label(label, exact=False).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def upload(page, name: str, content: bytes) -> None:  # noqa: ANN001
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_text(name).first.wait_for()
    settle(page)
    page.get_by_role("button", name=re.compile("Load and evaluate")).click()
    page.get_by_text("Rows read").wait_for(timeout=60_000)
    settle(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_without_an_exception(browser, server: str, screenshots: Path, name: str, theme: str) -> None:  # noqa: ANN001
    height = 3300 if name == "review" else 2000  # tall enough that the screenshot holds the whole page
    context = browser.new_context(viewport={"width": 1400, "height": height}, color_scheme=theme)
    try:
        page = open_page(context, server, name)
        assert page.locator(EXCEPTION).count() == 0
        if name == "review":
            assert re.fullmatch(r"\d+\.\d%", metric(page, "Adherence, last 12 months"))
        if name == "breach_queue":
            assert metric(page, "Breached").isdigit()
        page.screenshot(path=str(screenshots / f"{name}_{theme}.png"))
    finally:
        context.close()


def test_a_filter_changes_the_numbers_and_the_link(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "review", width=1400, height=2400) as page:
        before = metric(page, "Clocks met")
        choose(page, "Tier", "critical")
        eventually(page, lambda: "tier=critical" in page.url, "the link names the tier")
        eventually(page, lambda: metric(page, "Clocks met") != before, "the headline changes with the tier")
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "review_filtered_critical.png"))
        colleague = browser.new_context(viewport={"width": 1400, "height": 2400})  # the link, opened elsewhere
        try:
            shared = colleague.new_page()
            shared.goto(page.url)
            shared.get_by_role("heading", name=TITLES["review"]).wait_for(timeout=60_000)
            settle(shared)
            assert metric(shared, "Clocks met") == metric(page, "Clocks met")
        finally:
            colleague.close()


def test_upload_shows_counts_and_stays_in_its_session(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    mine = browser.new_context(viewport={"width": 1400, "height": 2000})
    other = browser.new_context(viewport={"width": 1400, "height": 2000})
    try:
        page = open_page(mine, server, "upload")
        upload(page, "fixture.csv", FIXTURE_CSV)
        assert metric(page, "Rows read") == "4"
        assert metric(page, "Accepted") == "2"
        assert metric(page, "Rejected") == "2"
        page.get_by_text("unparseable timestamp").first.wait_for(state="attached")  # a grid cell: drawn on canvas
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "upload_done.png"))
        # This session's Review now shows the upload...
        page.get_by_role("link", name="Review this upload").click()
        page.get_by_role("heading", name=TITLES["review"]).wait_for(timeout=60_000)
        settle(page)
        assert "Upload fixture.csv" in page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        assert page.locator(EXCEPTION).count() == 0
        # ...while another browser session, open at the same time, sees only the sample.
        theirs = open_page(other, server, "review")
        assert theirs.get_by_text("This session's upload").count() == 0
        assert "Bundled sample" in theirs.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        theirs_upload = open_page(other, server, "upload")
        assert theirs_upload.get_by_text("Rows read").count() == 0
    finally:
        mine.close()
        other.close()


def test_the_queue_shows_the_policys_zone_whatever_the_browsers_and_a_row_opens_its_detail(
    browser, server: str, screenshots: Path  # noqa: ANN001
) -> None:
    """One zone rule on every page (the policy's): a browser in Tokyo still reads London times, with the date and
    the zone beside "as of"; what to do first fits at 1440 px, the rest is in the row's detail."""
    with page_of(browser, server, "breach_queue", width=1440, height=2000, timezone_id="Asia/Tokyo") as page:
        assert page.get_by_text(re.compile(r"times are in Europe/London")).count() == 1
        assert page.get_by_text(re.compile(r"^\w{3} \d\d \w{3} \d{4} · Europe/London$")).count() == 1
        assert page.get_by_text("Asia/Tokyo").count() == 0
        grid = page.locator('[data-testid="stDataFrame"]').first
        headers = grid.locator('[role="columnheader"]').all_inner_texts()
        assert [h for h in headers if h.strip()][:6] == ["Ticket", "State", "Time left", "Tier", "Clock",
                                                         "First step (playbook)"], headers
        box = grid.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1440  # nothing to scroll sideways for
        first_cells(grid, 6)
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box (rows are 35 px)
        page.get_by_text("Select a row for its due time").wait_for(state="detached", timeout=30_000)
        for label in ("Route", "Channel", "Responders", "Missing triage"):
            assert page.get_by_text(label, exact=True).count() >= 1, label
        page.screenshot(path=str(screenshots / "queue_detail.png"))
        assert page.locator(EXCEPTION).count() == 0


def test_selecting_a_row_lists_the_tickets_behind_it(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "review", width=1400, height=3300) as page:
        grid = page.locator('.st-key-adherence_table [data-testid="stDataFrame"]')  # adherence per tier and metric
        first_row = first_cells(grid, 4)  # tier, metric, met, breached
        box = grid.bounding_box()
        # The first data row's selection checkbox: left edge, one header row down (rows are 35 px).
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
        settle(page)
        expect(page.get_by_text(re.compile(rf"^{int(first_row[3]):,} clocks? breached in"))).to_have_count(1)

        def cells() -> list[str]:
            return page.get_by_role("heading", name="Tickets behind the numbers").locator(
                "xpath=following::div[@data-testid='stDataFrame'][1]").locator('[role="gridcell"]').all_inner_texts()

        # the grid redraws a moment after the count on a busy machine: wait for it, then check every cell
        for _ in range(50):
            if cells().count(first_row[0]) == int(first_row[3]):
                break
            page.wait_for_timeout(200)
        listed = cells()
        assert listed.count(first_row[0]) == int(first_row[3])  # every listed clock is of that tier...
        assert listed.count(first_row[1]) >= int(first_row[3])  # ...and that metric
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "review_row_selected.png"))


def test_a_deep_link_opened_first_after_a_restart_gets_the_whole_app(browser, tmp_path: Path) -> None:  # noqa: ANN001
    """Streamlit starts in its legacy pages/ mode; the first visitor of /breach_queue must still get app.py."""
    from tests.browser.harness import running_app

    with running_app(tmp_path) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        try:
            page = context.new_page()
            page.goto(f"{url}/breach_queue?tier=critical")
            page.get_by_role("heading", name=TITLES["breach_queue"]).wait_for(timeout=60_000)
            settle(page)
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Review" in nav and "Upload" in nav and "app" not in nav.split()
            assert page.get_by_text("SLA Board", exact=True).count() == 1  # app.py's sidebar, drawn once
            assert "tier=critical" in page.url
            assert page.locator(EXCEPTION).count() == 0
        finally:
            context.close()
