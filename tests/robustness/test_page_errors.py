"""A page that hits bad data shows an error box on that page; the app and the other pages keep working.

The session's data source is a real evaluated upload with one of its tables
then dropped (a results table gone missing mid-session). Breaking the review
outcomes must leave the breach queue, the Upload page and the sidebar intact;
the engine's results are read by the queue and by every "what this data can
tell" panel (Review, Upload), so each of those pages shows the error on itself
while the sidebar and the session survive.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sla_core.policy import load_policy
from sla_core.sources import DataSource, upload_source
from tests.conftest import SAMPLE_POLICY
from ui.state import StateKeys

from .conftest import app, metrics

TICKETS = b"""ticket_id,created_at,impact,segment,owner_team,acknowledged_at,resolved_at
E-1,2026-11-02 10:00,critical,enterprise,engineering,2026-11-02 10:50,
E-2,2026-11-03 10:00,high,self_serve,support,2026-11-03 10:30,2026-11-04 10:00
E-3,2026-11-20 10:00,critical,enterprise,engineering,,
"""
TITLES = {"pages/review.py": "Monthly SLA review", "pages/breach_queue.py": "Breach queue",
          "pages/upload.py": "Upload an export"}


def broken_source(tmp_path: Path, table: str) -> DataSource:
    path = tmp_path / "export.csv"
    path.write_bytes(TICKETS)
    source = upload_source(path, None, load_policy(SAMPLE_POLICY), label="Upload export.csv")
    source.con.execute(f"DROP TABLE {table}")
    return source


def session_on(source: DataSource) -> AppTest:
    """A session whose chosen data source is `source` (as after an upload)."""
    at = app()
    at.session_state[StateKeys.UPLOAD] = source
    at.session_state[StateKeys.CHOSEN_SOURCE] = "upload"
    return at


def shows_error_on_page(at: AppTest, title: str, mentions: str) -> None:
    """The page's own title is drawn and an error box (Streamlit's exception box or st.error) names the problem."""
    assert [t.value for t in at.main.title] == [title]
    boxes = [e.value for e in at.main.exception] + [e.value for e in at.main.error]
    assert boxes and any(mentions in box for box in boxes), boxes
    assert not at.sidebar.exception
    assert at.sidebar.radio(key=StateKeys.SOURCE).value == "upload"  # the frame around the page survived


def renders_cleanly(at: AppTest, page: str) -> None:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.main.title] == [TITLES[page]]


@pytest.mark.parametrize(
    "dropped, broken_pages, healthy_pages",
    [
        ("review_outcomes", ["pages/review.py"], ["pages/breach_queue.py", "pages/upload.py"]),
        ("sla_results", ["pages/breach_queue.py", "pages/review.py", "pages/upload.py"], []),
    ],
)
def test_a_broken_table_breaks_only_the_page_that_reads_it(tmp_path, dropped, broken_pages, healthy_pages):
    at = session_on(broken_source(tmp_path, dropped))
    at.run()
    for broken_page in broken_pages:
        at.switch_page(broken_page).run()
        shows_error_on_page(at, TITLES[broken_page], dropped)
    for page in healthy_pages:
        renders_cleanly(at, page)
        if page == "pages/review.py":
            assert metrics(at)["Clocks met"].isdigit()  # real numbers from the intact outcomes
    # The session is still alive: back on the broken page, the same error box, not a dead app.
    at.switch_page(broken_pages[0]).run()
    shows_error_on_page(at, TITLES[broken_pages[0]], dropped)


def test_other_sessions_are_untouched_by_a_broken_one(tmp_path):
    broken = session_on(broken_source(tmp_path, "review_outcomes"))
    broken.run()
    assert broken.main.exception or broken.main.error
    healthy = app().run()
    assert not healthy.exception, [e.value for e in healthy.exception]
    assert healthy.session_state[StateKeys.ACTIVE_SOURCE].kind == "sample"
    assert metrics(healthy)["Clocks met"].replace(",", "").isdigit()
