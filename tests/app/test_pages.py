"""Every page, driven in-process with AppTest on the bundled sample: what it shows is what sla_core computes."""

from __future__ import annotations

import re

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sla_core.analysis import queue, review
from sla_core.analysis.filters import Filters
from sla_core.now import now
from sla_core.periods import month_of, shift_month
from sla_core.present import words
from sla_core.sources import DataSource
from ui.state import ALL, StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 60

UPLOAD_CSV = b"""ticket_id,created_at,impact,segment,owner_team,acknowledged_at,resolved_at
U-1,2026-11-02 10:00,critical,enterprise,engineering,2026-11-02 10:10,2026-11-02 15:00
U-2,2026-11-03 10:00,critical,self_serve,support,2026-11-03 12:00,2026-11-04 10:00
U-3,2026-11-04 10:00,high,enterprise,product,2026-11-04 10:30,
U-4,not a date,high,enterprise,product,,
U-5,2026-11-05 10:00,low,self_serve,support,,2026-11-01 10:00
"""


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def opened(**query: str) -> AppTest:
    """The app opened at a URL."""
    at = app()
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_headline(source: DataSource, filters: Filters) -> dict[str, str]:
    """The headline as the Review page should print it, from the core."""
    head = review.headline(source, filters)
    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    month = f"{filters.period:%Y-%m}"
    checks = review.goal_checks(source, filters)
    return {
        f"Adherence {month}": pct(head.month.adherence),
        "Clocks met": f"{head.month.met:,}",
        "Clocks breached": f"{head.month.breached:,}",
        "Tiers at their goal": f"{sum(bool(c.reached) for c in checks)} of {len(checks)}" if checks else "—",
        "Adherence, last 12 months": pct(head.last_12_months.adherence),
    }


def shown_table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table showing these columns (by the words the page shows; read-only tables carry no key)."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


@pytest.fixture(scope="module")
def review_app() -> AppTest:
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_review_renders_the_cores_headline(review_app: AppTest) -> None:
    source: DataSource = review_app.session_state[StateKeys.ACTIVE_SOURCE]
    filters: Filters = review_app.session_state[StateKeys.ACTIVE_FILTERS]
    assert source.kind == "sample" and source.tickets > 0 and source.as_of == now()
    # The live sample opens on the last complete month, with hundreds of decided clocks, met and breached.
    assert filters.period == shift_month(month_of(now(), source.policy.timezone), -1)
    assert metrics(review_app) == shown_headline(source, filters)
    head = review.headline(source, filters)
    assert head.month.decided >= 200 and head.month.met > 0 and head.month.breached > 0
    assert not review_app.info  # not the empty state


def test_a_filter_changes_the_numbers_and_the_url() -> None:
    at = opened()
    before = metrics(at)
    at.selectbox(key=StateKeys.TIER).set_value("critical").run()
    assert not at.exception
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    filters: Filters = at.session_state[StateKeys.ACTIVE_FILTERS]
    assert filters.tier == "critical"
    assert metrics(at) == shown_headline(source, filters)
    assert metrics(at) != before
    assert at.query_params["tier"] == "critical"
    assert at.query_params["period"] == f"{filters.period:%Y-%m}"


def test_a_shared_link_opens_the_filtered_view() -> None:
    at = app()
    month = shift_month(month_of(now(), "Europe/London"), -3)
    at.query_params.update({"period": f"{month:%Y-%m}", "team": "engineering", "tier": "bogus"})
    at.run()  # the first run: app.py with st.navigation
    filters: Filters = at.session_state[StateKeys.ACTIVE_FILTERS]
    assert filters == Filters(period=month, owner_team="engineering")
    assert any("tier='bogus' ignored" in w.value for w in at.sidebar.warning)
    assert metrics(at) == shown_headline(at.session_state[StateKeys.ACTIVE_SOURCE], filters)


def test_a_link_to_a_month_without_clocks_says_so_and_shows_the_review_month() -> None:
    at = app()
    at.query_params["period"] = "2024-01"
    at.run()
    assert not at.exception
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    shown = source.month_choice(source.default_period).label
    assert [i.value for i in at.info if "2024-01" in i.value] == [
        f"Month 2024-01 has no SLA clocks in Bundled sample: showing {shown} instead."]
    assert at.session_state[StateKeys.ACTIVE_FILTERS].period == source.default_period
    assert at.query_params["period"] == f"{source.default_period:%Y-%m}"


def test_data_without_a_decided_clock_shows_the_empty_state(tmp_path: Path) -> None:
    from sla_core.policy import load_policy
    from sla_core.sources import upload_source
    from tests.conftest import SAMPLE_POLICY

    # one ticket created moments ago: nothing met or breached yet, in the only month offered (the one in progress)
    tickets = tmp_path / "fresh.csv"
    tickets.write_text(f"ticket_id,created_at,impact\nF-1,{now().isoformat(timespec='seconds')},low\n")
    at = app()
    at.session_state[StateKeys.UPLOAD] = upload_source(tickets, None, load_policy(SAMPLE_POLICY), label="fresh.csv")
    at.session_state[StateKeys.PENDING_SOURCE] = "upload"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    month = f"{month_of(now(), 'Europe/London'):%Y-%m}"
    assert any(f"No SLA clock was met or breached in {month}" in i.value for i in at.info)
    assert metrics(at)["Clocks met"] == "0" and metrics(at)[f"Adherence {month}"] == "—"
    assert not at.dataframe  # no tables of nothing


def test_drill_down_lists_exactly_the_clocks_behind_a_number() -> None:
    at = opened()
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    filters: Filters = at.session_state[StateKeys.ACTIVE_FILTERS]
    table = review.adherence_table(source, filters)
    cell = table.sort_values("breached", ascending=False, kind="stable").iloc[0]  # the row with the most breaches
    at.selectbox(key=StateKeys.DRILL_TIER).set_value(cell.tier)
    at.selectbox(key=StateKeys.DRILL_METRIC).set_value(cell.metric).run()
    listed = shown_table(at, "Ticket", "Over target")  # the tickets behind the numbers
    assert len(listed) == int(cell.breached) > 0
    assert "State" not in listed.columns and set(listed.Tier) == {cell.tier}  # the line above says "breached"
    assert any(m.value.startswith(f"**{int(cell.breached):,}** clocks breached in {filters.period:%Y-%m}")
               for m in at.markdown)
    # stop times as text; a clock breached while still running says so
    def stops(frame: pd.DataFrame) -> list[str]:
        return [t.strftime("%Y-%m-%d %H:%M") if pd.notna(t) else "still open" for t in frame.stopped]

    core = review.tickets_behind(source, filters, tier=cell.tier, metric=cell.metric)
    assert list(listed.Ticket) == list(core.ticket_id) and list(listed.Stopped) == stops(core)
    at.selectbox(key=StateKeys.DRILL_TIER).set_value(ALL)
    at.selectbox(key=StateKeys.DRILL_METRIC).set_value(ALL).run()
    every = review.tickets_behind(source, filters, limit=2000)
    assert list(shown_table(at, "Ticket", "Over target").Stopped) == stops(every)


def test_breach_queue_shows_the_cores_live_queue() -> None:
    at = app()
    at.context["timezone"] = "America/New_York"
    at.run()
    at.switch_page("pages/breach_queue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    with queue.live_results(source.con, source.policy, now()) as live:
        expected = queue.breach_queue(source.con, source.policy, live, Filters(), source.policy.timezone)
    shown = shown_table(at, "Ticket", "Time left")
    assert list(shown.Ticket) == list(expected.ticket_id) and len(shown) > 0
    assert (expected.priority.diff().dropna() >= 0).all()  # in the order to act on them
    # what to do first, and only that: route, channel, responders and triage are in a row's detail
    assert list(shown.columns) == ["Ticket", "State", "Time left", "Tier", "Clock", "Playbook"]
    assert {s for s in shown.State} <= {"breached", "at risk", "paused"}
    m = metrics(at)
    assert int(m["Breached"]) == int((expected.state == "breached").sum())
    # the sample has handoffs and join windows: a count, not a dash, of the tickets whose rows say so
    late = expected[words.responders(expected).str.startswith(("joined late", "not joined:"))].ticket_id.nunique()
    assert m["Responders missed"] == str(late) and late > 0
    # one zone on every page, the policy's, whatever the browser's (New York here), with the date beside "as of"
    assert any(c.value.endswith("· Europe/London") for c in at.caption), [c.value for c in at.caption]
    assert at.sidebar.selectbox(key=StateKeys.PERIOD).disabled


def test_upload_counts_then_review_shows_the_upload() -> None:
    at = opened()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("mine.csv", UPLOAD_CSV, "text/csv")).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    upload: DataSource = at.session_state[StateKeys.UPLOAD]
    assert metrics(at)["Rows read"] == "5"
    assert metrics(at)["Accepted"] == str(upload.report.accepted) == "3"
    assert metrics(at)["Rejected"] == "2"
    reasons = shown_table(at, "Reason", "Rows")
    assert reasons.Rows.sum() == 2
    # the rejected rows themselves, on the page: U-4 on line 5 (the header is line 1), U-5 on line 6
    rejected = shown_table(at, "Row", "Column", "Value")
    assert list(rejected.Row) == [5, 6] and rejected.Value.iloc[0] == "not a date"
    assert rejected.Column.iloc[0] == "created_at"
    assert any(re.fullmatch(r"Read, checked and judged in \d+\.\d s\.", c.value) for c in at.caption)
    assert at.sidebar.radio(key=StateKeys.SOURCE).value == "upload"
    at.switch_page("pages/review.py").run()
    filters: Filters = at.session_state[StateKeys.ACTIVE_FILTERS]
    assert at.session_state[StateKeys.ACTIVE_SOURCE] is upload
    assert filters.period.isoformat() == "2026-11-01"
    assert metrics(at) == shown_headline(upload, filters)
    # acknowledge: U-1 and U-3 met, U-2 (2 h for a 30 min target) breached. The export has no action_plan_at
    # column, so no action plan clock is measured: untimed with the reason, never breached (DESIGN.md).
    assert metrics(at)["Clocks met"] == "2" and metrics(at)["Clocks breached"] == "1"
    plans = upload.con.execute(
        "SELECT DISTINCT state, untimed_reason FROM sla_results WHERE metric = 'action_plan'").fetchall()
    assert plans == [("untimed", "not measured: the data has no action_plan_at")]


def test_an_upload_stays_in_its_session() -> None:
    mine, other = opened(), app().run()
    mine.switch_page("pages/upload.py").run()
    mine.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("mine.csv", UPLOAD_CSV, "text/csv")).run()
    mine.button[0].click().run()
    assert StateKeys.UPLOAD in mine.session_state
    other.run()
    assert StateKeys.UPLOAD not in other.session_state
    assert other.sidebar.radio(key=StateKeys.SOURCE).options == ["Persistent store", "Bundled sample (demo)"]


def test_a_custom_mapping_guesses_the_obvious_columns() -> None:
    csv = b"Ticket #,Opened,Priority,First response at\nA-1,2026-11-02 10:00,critical,2026-11-02 10:20\n"
    at = opened()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key=StateKeys.UPLOAD_PRESET).set_value("custom").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("vendor.csv", csv, "text/csv")).run()
    assert at.selectbox(key="map_ticket_id").value == "Ticket #"
    assert at.selectbox(key="map_created_at").value == "Opened"
    assert at.selectbox(key="map_impact").value == "Priority"
    assert at.selectbox(key="map_acknowledged_at").value == "First response at"
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metrics(at)["Accepted"] == "1"


def test_the_store_is_a_source_and_a_missing_one_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sla_core.ingest.store import import_file

    store = tmp_path / "store.duckdb"
    monkeypatch.setenv("SLA_BOARD_DB", str(store))
    at = app()
    at.session_state[StateKeys.CHOSEN_SOURCE] = "store"
    at.run()
    assert not at.exception
    assert any("no store at" in w.value.lower() for w in at.sidebar.warning)
    assert any("No data to show" in i.value for i in at.info)

    import_file(ROOT / "sample_data" / "tickets.csv", db=store, events=ROOT / "sample_data" / "events.csv")
    at = app()
    at.session_state[StateKeys.CHOSEN_SOURCE] = "store"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    assert source.kind == "store" and source.tickets == 3000
    assert metrics(at) == shown_headline(source, at.session_state[StateKeys.ACTIVE_FILTERS])


def test_an_upload_with_events_counts_both_files() -> None:
    events = b"ticket_id,at,field,value\nU-3,2026-11-04 11:00,status,waiting_on_customer\nU-3,bad,status,open\n"
    at = opened()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("mine.csv", UPLOAD_CSV, "text/csv"))
    at.file_uploader(key=StateKeys.UPLOAD_EVENTS).set_value(("events.csv", events, "text/csv")).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    m = metrics(at)
    assert (m["Event rows read"], m["Events accepted"], m["Events rejected"]) == ("2", "1", "1")
    reasons = at.dataframe[0].value
    assert set(reasons.File) == {"tickets", "events"} and reasons.Rows.sum() == 3


HEADLINE_CSV = """ticket_id,created_at,impact,acknowledged_at
O1,2026-10-01T10:00:00+01:00,critical,2026-10-01T10:10:00+01:00
O2,2026-10-02T10:00:00+01:00,critical,2026-10-02T11:00:00+01:00
N1,2026-11-02T10:00:00+00:00,critical,2026-11-02T10:10:00+00:00
N2,2026-11-05T10:00:00+00:00,critical,2026-11-05T11:00:00+00:00
"""


def headline_deltas(tmp_path: Path, csv: str, period: str) -> dict[str, str]:
    from sla_core.policy import load_policy
    from sla_core.sources import upload_source
    from tests.conftest import SAMPLE_POLICY

    tickets = tmp_path / "headline.csv"
    tickets.write_text(csv)
    at = app()
    at.session_state[StateKeys.UPLOAD] = upload_source(tickets, None, load_policy(SAMPLE_POLICY), label="headline")
    at.session_state[StateKeys.PENDING_SOURCE] = "upload"
    at.query_params["period"] = period
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return {m.label: m.delta for m in at.metric}


def test_a_partial_month_is_not_compared_and_no_change_says_so(tmp_path: Path) -> None:
    # The data ends on 5 Nov: November is partial, so neither its adherence nor its breaches are set against
    # a whole October.
    partial = headline_deltas(tmp_path, HEADLINE_CSV, "2026-11")
    assert partial["Adherence 2026-11"] == partial["Clocks breached"] == "partial month, not compared"
    # With a ticket met on 30 Nov, the data reaches November's last day: 2 of 3 met against October's 1 of 2
    # (+16.7 pts), and one breach in each month is no change, not a red "+0".
    whole = headline_deltas(tmp_path, HEADLINE_CSV + "N3,2026-11-30T10:00:00+00:00,critical,2026-11-30T10:05:00+00:00\n",
                            "2026-11")
    assert whole["Adherence 2026-11"] == "+16.7 pts vs 2026-10"
    assert whole["Clocks breached"] == "no change vs 2026-10"


def test_where_no_team_maps_to_a_discipline_the_board_says_so_instead_of_unassigned(tmp_path: Path) -> None:
    from sla_core.policy import load_policy
    from sla_core.present.words import NO_DISCIPLINES
    from sla_core.sources import upload_source
    from tests.conftest import SAMPLE_POLICY

    # ServiceNow-like group names: the sample policy's `disciplines` match none of them
    tickets = tmp_path / "groups.csv"
    tickets.write_text(HEADLINE_CSV.replace("critical,", "critical,").replace(
        "ticket_id,created_at,impact,acknowledged_at", "ticket_id,created_at,impact,acknowledged_at,owner_team")
        .replace("+01:00\n", "+01:00,Group 70\n").replace("+00:00\n", "+00:00,Group 24\n"))
    source = upload_source(tickets, None, load_policy(SAMPLE_POLICY), label="groups")
    assert list(source.disciplines) == ["unassigned"]
    at = app()
    at.session_state[StateKeys.UPLOAD] = source
    at.session_state[StateKeys.PENDING_SOURCE] = "upload"
    at.query_params["period"] = "2026-10"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert StateKeys.DISCIPLINE not in {s.key for s in at.sidebar.selectbox}  # a filter that divides nothing
    assert NO_DISCIPLINES in [c.value for c in at.sidebar.caption] and NO_DISCIPLINES in [c.value for c in at.caption]
    teams = shown_table(at, "Owner team", "Breached")
    assert "Discipline" not in teams.columns and list(teams["Owner team"]) == ["Group 70"]


def test_the_review_offers_the_agreement_the_team_signs() -> None:
    at = opened()
    buttons = {b.key: b for b in at.get("download_button")}
    assert {"agreement_md", "agreement_html"} <= set(buttons), sorted(buttons)
