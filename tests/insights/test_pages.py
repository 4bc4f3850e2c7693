"""The two pages, driven with AppTest on the hand-built month; the feedback page against a real store file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Optional

import pytest
from streamlit.testing.v1 import AppTest

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.analysis import incidents, insights
from sla_core.analysis.filters import Filters
from sla_core.feedback import ActionItem
from sla_core.sources import DataSource
from tests.insights.conftest import ROOT
from ui.state import StateKeys

NOV = Filters(period=date(2026, 11, 1))


# What app.py does around a page on every run, st.rerun included: it leaves the source and filters in the
# session and flags the frame drawn, then runs the page.
FRAME = """
import runpy
import streamlit as st
from ui.state import StateKeys
st.session_state[StateKeys.FRAME_DRAWN] = True
runpy.run_path({path!r}, run_name="__main__")
"""


def page(name: str, source: DataSource, filters: Filters = NOV, records: Optional[Path] = None) -> AppTest:
    """The page with the session state app.py would have left: the chosen source (its records kept in
    `records`, when given) and filters."""
    if records is not None:
        source = replace(source, writes_to=records)
    at = AppTest.from_string(FRAME.format(path=str(ROOT / "pages" / name)), default_timeout=60)
    at.session_state[StateKeys.ACTIVE_SOURCE] = source
    at.session_state[StateKeys.ACTIVE_FILTERS] = filters
    return at.run()


def rerun(at: AppTest) -> AppTest:
    return at.run()


def table_with(at: AppTest, *columns: str):
    """The first table showing these columns (read-only st.dataframe elements carry no key in AppTest)."""
    for frame in at.dataframe:
        value = frame.value
        if all(c in value.columns or c == value.index.name for c in columns):
            return value
    raise AssertionError(f"no table with columns {columns}")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "board.duckdb"
    monkeypatch.setenv("SLA_BOARD_DB", str(path))
    return path


def test_insights_page_shows_the_cores_numbers(month_source: DataSource, store: Path) -> None:
    at = page("insights.py", month_source)
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    detect = incidents.time_to_detect(month_source, NOV)
    assert shown["Incidents monitoring saw first"] == f"{incidents.monitoring_share(detect):.0%}" == "40%"
    assert shown["Complete engineering handoffs"] == "50%"
    assert shown["Handoff wait, complete ÷ incomplete"] == "0.33×"
    # Seven tickets were resolved in November: the resolution table's drill-down lists all of them.
    assert not at.markdown  # no ticket list until a row is selected or the toggle is on
    at.toggle(key="insights_resolution_all").set_value(True)
    rerun(at)
    assert at.markdown[0].value == "**7** behind this table"
    assert list(table_with(at, "Resolution (h)")["Ticket"])[0] == "G"  # slowest first (96 h)
    assert at.download_button(key="insights_dl_report").label == "Download monthly report"
    assert len(at.get("plotly_chart")) == 7


def test_insights_page_on_the_bundled_sample(store: Path) -> None:
    from datetime import datetime, timezone

    from sla_core.policy import load_policy
    from sla_core.sources import sample_source

    source = sample_source(load_policy(ROOT / "sample_data" / "policy.yaml"),
                           datetime(2026, 11, 26, 15, tzinfo=timezone.utc))
    at = page("insights.py", source, Filters(period=date(2026, 10, 1)))
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="insights_quarter").value == date(2026, 7, 1)
    retro = table_with(at, "90th percentile (h)", "95th percentile (h)", "Target (h)")
    assert len(retro) == len(insights.retrospective(source, Filters(), date(2026, 7, 1)))


def test_reviews_entered_on_the_page_survive_a_restart(month_source: DataSource, store: Path) -> None:
    at = page("feedback.py", month_source, records=store)
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Without a review"] == "2"  # A and B
    at.selectbox(key="feedback_ticket").set_value("B")
    rerun(at)
    at.text_area(key="feedback_summary_B").input("Replica lag hid the outage")
    at.text_input(key="feedback_reviewer_B").input("Sam")
    at.button(key="feedback_save_review").click()
    rerun(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Review of B saved."
    assert at.data_editor(key="feedback_items_B").value.empty  # the action items editor appears
    # An empty summary is refused with the field named, and nothing changes.
    at.text_area(key="feedback_summary_B").input("")
    at.button(key="feedback_save_review").click()
    rerun(at)
    assert "review of B, summary: String should have at least 1 character" in at.error[0].value
    # Severity validation: C was assessed high; the follow-up says critical.
    at.text_input(key="feedback_validate_ticket").input("C")
    rerun(at)
    at.selectbox(key="feedback_validated_C").set_value("critical")
    at.button(key="feedback_save_validation").click()
    rerun(at)
    assert at.success[0].value == "Validation of C saved."
    # Action items are edited in st.data_editor, which AppTest cannot type into: add one through the core.
    feedback.save_action_items("B", [ActionItem(ticket_id="B", description="Alert on replica lag", owner="eng",
                                                deadline=date(2026, 11, 20))], store, actor=local_actor())

    # A new session (a restarted app) on the same store file.
    again = page("feedback.py", month_source, records=store)
    assert not again.exception
    assert {m.label: m.value for m in again.metric}["Without a review"] == "1"
    again.selectbox(key="feedback_ticket").set_value("B")
    rerun(again)
    assert again.text_area(key="feedback_summary_B").value == "Replica lag hid the outage"
    assert again.text_input(key="feedback_reviewer_B").value == "Sam"
    items = again.data_editor(key="feedback_items_B").value
    assert list(items["description"]) == ["Alert on replica lag"]
    overdue = table_with(again, "Overdue", "Action item")
    assert list(overdue["Action item"]) == ["Alert on replica lag"]
    assert "No." in overdue.columns and "Import" not in overdue.columns  # the item's number, not an import's
    assert {m.label: m.value for m in again.metric}["Overdue action items on 2026-12-01"] == "1"
    matrix = table_with(again, "critical", "high", "medium", "low")
    assert matrix.loc["high", "critical"] == 1
    assert list(table_with(again, "Error", "Validated impact")["Ticket"]) == ["C"]


def test_an_unknown_ticket_cannot_be_validated(month_source: DataSource, store: Path) -> None:
    at = page("feedback.py", month_source, records=store)
    at.text_input(key="feedback_validate_ticket").input("NOPE")
    rerun(at)
    assert "ticket_id 'NOPE': not in hand-built" in at.error[0].value
    assert "feedback_save_validation" not in [b.key for b in at.button]
