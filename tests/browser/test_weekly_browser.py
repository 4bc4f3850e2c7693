"""Incident feedback's "This week" view in Chromium, on a store holding the hand-worked week of
tests/insights/test_weekly.py (New York, now Wed 9 Dec 2026 22:00 local; reviews due 2 days after the resolution
for critical and high): the same numbers and rows the core gives, drawn, and last week's incidents a click away."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.feedback import ActionItem, IncidentReview
from sla_core.ingest.store import import_file
from tests.browser.app_server import AppDidNotStart, streamlit_app
from tests.browser.harness import _need_chromium, eventually, first_cells, settle
from tests.browser.test_browser import EXCEPTION, metric
from tests.conftest import BASE_POLICY
from tests.insights.test_weekly import NOW, TICKETS, ZONE

ITEMS = [("eng", "Alert on lag", "2026-12-08", False), ("support", "Runbook step", "2026-12-11", False),
         ("eng", "Fix config", "2026-12-13", False), ("eng", "Drill", "2026-12-14", False),
         ("support", "Old follow-up", "2026-12-01", True)]


@pytest.fixture(scope="module")
def week_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a store with the hand-worked week's tickets, two reviews (P2, P8) and six action items."""
    _need_chromium()
    folder = tmp_path_factory.mktemp("week_board")
    policy = folder / "policy.yaml"
    policy.write_text(yaml.safe_dump({**copy.deepcopy(BASE_POLICY), "timezone": ZONE,
                                      "post_mortem": {"tiers": ["critical", "high"], "due_within": "2d"}}))
    tickets = folder / "tickets.csv"
    stamp = lambda value: value.isoformat() if value else ""  # noqa: E731
    tickets.write_text("ticket_id,created_at,impact,segment,owner_team,acknowledged_at,resolved_at\n" + "".join(
        f"{t['ticket_id']},{stamp(t['created_at'])},{t['impact']},{t['segment']},{t['owner_team']},"
        f"{stamp(t['acknowledged_at'])},{stamp(t['resolved_at'])}\n" for t in TICKETS))
    store = folder / "week.duckdb"
    import_file(tickets, db=store, policy=policy)
    for ticket_id in ("P2", "P8"):
        feedback.save_review(IncidentReview(ticket_id=ticket_id, summary="done", reviewed_at="2026-12-08"), store,
                             actor=local_actor())
    feedback.save_action_items("P2", [ActionItem(ticket_id="P2", owner=o, description=d, deadline=dl, done=done)
                                      for o, d, dl, done in ITEMS], store, actor=local_actor())
    feedback.save_action_items("P8", [ActionItem(ticket_id="P8", owner="eng", description="Tune alert",
                                                 deadline="2026-12-09")], store, actor=local_actor())
    try:
        with streamlit_app(store, folder / "server.log", start_timeout=60,
                           env={"SLA_BOARD_POLICY": str(policy), "SLA_BOARD_NOW": NOW.isoformat()}) as url:
            yield url
    except AppDidNotStart as err:
        pytest.fail(str(err))


def rows(page, number: int, columns: int) -> list[list[str]]:  # noqa: ANN001 - playwright Page
    """The cells of the view's table `number` (0: resolved, 1: overdue, 2…: each owner's items), row by row."""
    grid = page.locator('.st-key-weekly_view [data-testid="stDataFrame"]').nth(number)
    first_cells(grid, columns)
    cells = grid.locator('[role="gridcell"]').all_inner_texts()
    return [cells[i:i + columns] for i in range(0, len(cells), columns)]


def test_this_week_lists_reviews_due_overdue_and_action_items_by_owner(browser, week_board: str,  # noqa: ANN001
                                                                       screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, timezone_id="UTC")
    try:
        page = context.new_page()
        page.goto(f"{week_board}/feedback")
        page.get_by_role("heading", name="This week: 2026-W50, Mon 7 Dec – Sun 13 Dec").wait_for(timeout=120_000)
        settle(page)
        assert page.locator(EXCEPTION).count() == 0
        assert metric(page, "Reviewed, resolved this week") == "1 of 3"
        assert metric(page, "Reviews overdue") == "2"
        assert metric(page, "Action items due by Sun 13 Dec") == "4"
        # Ticket, Tier, Segment, Owner team, Resolved, Due, Time left, Reviewed; due times in New York.
        resolved = rows(page, 0, 8)
        assert [(r[0], r[5], r[6], r[7]) for r in resolved] == [
            ("P3", "2026-12-10 10:00", "12 h left", "no"), ("P4", "2026-12-11 09:00", "35 h left", "no"),
            ("P2", "2026-12-09 01:00", "—", "yes")]
        assert [(r[0], r[6]) for r in rows(page, 1, 7)] == [("P7", "17 d 17 h overdue"),
                                                                          ("P1", "22 h 30 m overdue")]
        assert page.get_by_text("eng · 3 items, 1 overdue").count() == 1
        assert [r[0] for r in rows(page, 2, 5)] == ["1", "6", "3"]  # eng's, earliest deadline first
        assert [r[2] for r in rows(page, 3, 5)] == ["Runbook step"]  # support's
        page.locator(".st-key-weekly_view").screenshot(path=str(screenshots / "feedback_this_week.png"))

        page.get_by_text("last week (2026-W49)").click()  # what this week's digest lists
        settle(page)
        eventually(page, lambda: metric(page, "Reviewed, resolved last week") == "0 of 1", "last week's count")
        assert [(r[0], r[6]) for r in rows(page, 0, 8)] == [("P1", "22 h 30 m overdue")]
        assert page.locator(EXCEPTION).count() == 0
        page.locator(".st-key-weekly_view").screenshot(path=str(screenshots / "feedback_last_week.png"))
    finally:
        context.close()
