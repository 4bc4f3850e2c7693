"""The breach queue's rules (order, triage, playbooks), the URL filters and the column guesses."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from sla_core.analysis import queue
from sla_core.analysis.filters import Filters
from sla_core.clocks.engine import evaluate
from sla_core.ingest.column_guess import guess_columns
from sla_core.policy import load_policy
from sla_core.present import words
from tests.conftest import ROOT, at, load_tables

POLICY = load_policy(ROOT / "sample_data" / "policy.yaml")  # has triage_required and the three playbooks
NOW = at("2026-11-26 12:00")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    load_tables(con, [
        # critical, security, unacknowledged for 2 h: breached, security playbook wins over critical
        {"ticket_id": "SEC", "created_at": at("2026-11-26 10:00"), "impact": "critical", "severity": "security",
         "segment": "self_serve", "repro_steps": "steps", "logs": "  "},
        # critical, 23 min old: at risk (>= 75% of 30 min at 12:00 means created 11:37:30 or earlier)
        {"ticket_id": "CRIT", "created_at": at("2026-11-26 11:37"), "impact": "critical", "severity": "outage",
         "segment": "self_serve", "repro_steps": "r", "environment": "e", "logs": "l", "impacted_customers": "all"},
        # enterprise medium, never acknowledged: breached (4 business hours for enterprise)
        {"ticket_id": "ENT", "created_at": at("2026-11-25 09:00"), "impact": "medium", "segment": "enterprise"},
        # low, fresh: running, not queued
        {"ticket_id": "LOW", "created_at": at("2026-11-26 11:00"), "impact": "low", "segment": "self_serve"},
        # done: nothing running
        {"ticket_id": "DONE", "created_at": at("2026-11-20 10:00"), "impact": "high", "segment": "self_serve",
         "acknowledged_at": at("2026-11-20 10:30"), "action_plan_at": at("2026-11-20 11:00"),
         "resolved_at": at("2026-11-20 12:00")},
    ], [])
    evaluate(con, POLICY, at("2026-11-26 11:59"))
    return con


def live_queue(con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), zone: str = "Europe/London"):  # noqa: ANN201
    with queue.live_results(con, POLICY, NOW) as live:
        return queue.breach_queue(con, POLICY, live, filters, zone)


def test_queue_holds_breached_at_risk_and_paused_clocks_in_the_order_to_act(con: duckdb.DuckDBPyConnection) -> None:
    frame = live_queue(con)
    assert set(frame.state) <= {"breached", "at_risk", "paused"}
    assert "LOW" not in set(frame.ticket_id) and "DONE" not in set(frame.ticket_id)
    # What can still be saved on critical tickets leads, least time left first (SEC's action plan is due this
    # minute, CRIT's acknowledgement in 7 min), then the critical breach (SEC acknowledge, 1 h 30 m over), then the
    # medium breach (ENT, 8 business hours over) although it is the most overdue: tier and state before time left.
    rows = [tuple(r) for r in frame[["priority", "ticket_id", "metric", "state"]].itertuples(index=False)]
    assert rows == [(1, "SEC", "action_plan", "at_risk"), (1, "CRIT", "acknowledge", "at_risk"),
                    (2, "SEC", "acknowledge", "breached"), (4, "ENT", "acknowledge", "breached")]
    assert list(frame.time_left_seconds) == [0, 420, -5400, -28800]
    assert list(words.time_left(frame.time_left_seconds, frame.state)) == [
        "0 m left", "7 m left", "1 h 30 m overdue", "8 h overdue"]


def test_missing_triage_fields_follow_the_tier(con: duckdb.DuckDBPyConnection) -> None:
    frame = live_queue(con).set_index(["ticket_id", "metric"])
    # blank text counts as missing; critical needs all four fields
    assert frame.loc[("SEC", "acknowledge"), "missing_triage"] == "environment, logs, impacted_customers"
    assert pd.isna(frame.loc[("CRIT", "acknowledge"), "missing_triage"])
    assert pd.isna(frame.loc[("ENT", "acknowledge"), "missing_triage"])  # medium: nothing required


ON_CALL = "Engineering on-call escalation (critical): Page the engineering on-call"
ENTERPRISE = "Enterprise SLA breach override: Tell the account owner"
SECURITY = "Security incident: Restrict the ticket"


def test_every_matching_playbook_applies_with_its_title_and_first_step(con: duckdb.DuckDBPyConnection) -> None:
    # the sample policy's mapping form: critical -> tier critical; enterprise_breach -> enterprise and breached or
    # at risk; security -> severity security, or regulatory
    frame = live_queue(con).set_index(["ticket_id", "metric"])
    assert frame.loc[("SEC", "acknowledge"), "playbook"] == f"{ON_CALL}; {SECURITY}"  # critical and security
    assert frame.loc[("CRIT", "acknowledge"), "playbook"] == ON_CALL
    assert frame.loc[("ENT", "acknowledge"), "playbook"] == ENTERPRISE
    assert list(frame.loc[("SEC", "acknowledge"), "playbook_ids"]) == [0, 2]


def test_due_time_in_the_viewers_zone_and_filters(con: duckdb.DuckDBPyConnection) -> None:
    london = live_queue(con).set_index(["ticket_id", "metric"])
    tokyo = live_queue(con, zone="Asia/Tokyo").set_index(["ticket_id", "metric"])
    due_london = london.loc[("SEC", "acknowledge"), "due"]
    assert str(due_london) == "2026-11-26 10:30:00"
    assert str(tokyo.loc[("SEC", "acknowledge"), "due"]) == "2026-11-26 19:30:00"
    assert set(live_queue(con, Filters(segment="enterprise")).ticket_id) == {"ENT"}
    assert set(live_queue(con, Filters(tier="critical")).ticket_id) == {"SEC", "CRIT"}
    with pytest.raises(ValueError):
        live_queue(con, zone="Mars/Olympus")


def test_live_tables_are_dropped(con: duckdb.DuckDBPyConnection) -> None:
    live_queue(con)
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert not [n for n in names if n.startswith("live_")]


def test_filters_round_trip_through_the_url() -> None:
    filters = Filters(period="2026-03", segment="enterprise", owner_team="support", tier="high")
    assert filters.to_query() == {"period": "2026-03", "segment": "enterprise", "team": "support", "tier": "high"}
    assert Filters.from_query(filters.to_query()) == (filters, [])
    parsed, problems = Filters.from_query({"period": "2026-13", "tier": "urgent", "segment": "x" * 100})
    assert parsed == Filters() and len(problems) == 3
    assert Filters(period=date(2026, 3, 17)).period == date(2026, 3, 1)


def test_column_guesses() -> None:
    assert guess_columns(["Ticket #", "Created At", "Priority", "Assignment group", "Solved at", "id"]) == {
        "ticket_id": "Ticket #", "created_at": "Created At", "impact": "Priority",
        "owner_team": "Assignment group", "resolved_at": "Solved at",
    }
    assert guess_columns(["ticket_id", "id"])["ticket_id"] == "ticket_id"
    assert guess_columns(["Key", "Opened", "Organization", "Parent incident"]) == {
        "ticket_id": "Key", "created_at": "Opened", "account": "Organization", "incident_ref": "Parent incident",
    }
    assert "incident_ref" not in guess_columns(["Incident ID", "Opened"])  # the ticket's own id, not a link


def test_the_queue_names_missing_tags_and_the_routes_channel(con: duckdb.DuckDBPyConnection) -> None:
    # The sample policy: critical needs the tags impact:critical and requires-engineering, and is worked in
    # #inc-critical; medium's route names no channel. The tickets of this module carry no tags at all.
    frame = live_queue(con).set_index(["ticket_id", "metric"])
    assert POLICY.tags_required == {"critical": ["impact:critical", "requires-engineering"]}
    assert frame.loc[("CRIT", "acknowledge"), "missing_tags"] == "impact:critical, requires-engineering"
    assert frame.loc[("CRIT", "acknowledge"), "channel"] == "#inc-critical"
    assert pd.isna(frame.loc[("ENT", "acknowledge"), "missing_tags"])  # medium requires none
    assert pd.isna(frame.loc[("ENT", "acknowledge"), "channel"])
    con.execute("UPDATE tickets SET tags = 'Impact:Critical, requires-engineering,extra' WHERE ticket_id = 'SEC'")
    try:
        tagged = live_queue(con).set_index(["ticket_id", "metric"])
        assert pd.isna(tagged.loc[("SEC", "acknowledge"), "missing_tags"])  # case and spaces do not matter
    finally:
        con.execute("UPDATE tickets SET tags = NULL WHERE ticket_id = 'SEC'")


def test_responders_must_join_within_the_routes_window() -> None:
    # The sample policy: critical joins within 15 m, high within 2 h, responders [engineering]; a handoff to that
    # team (any case) is the join. At 12:00 on Thu 26 Nov:
    #   J1 critical 11:00, handed to Engineering 11:10: joined after 10 m
    #   J2 critical 11:00, handed to engineering 11:40: joined late, 40 m against 15 m
    #   J3 critical 10:00, handed to product 10:05 only: not joined, the window passed at 10:15
    #   J4 high 10:10 (its acknowledgement at risk: 1 h 50 m of 2 business hours): not joined yet, 10 m left
    #   J5 as J4, raised with the engineering team and never handed over: with them from the start
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    base = {"segment": "self_serve", "severity": "outage"}
    load_tables(con, [
        {"ticket_id": "J1", "created_at": at("2026-11-26 11:00"), "impact": "critical", **base},
        {"ticket_id": "J2", "created_at": at("2026-11-26 11:00"), "impact": "critical", **base},
        {"ticket_id": "J3", "created_at": at("2026-11-26 10:00"), "impact": "critical", **base},
        {"ticket_id": "J4", "created_at": at("2026-11-26 10:10"), "impact": "high", **base},
        {"ticket_id": "J5", "created_at": at("2026-11-26 10:10"), "impact": "high", "owner_team": " Engineering",
         **base},
    ], [("J1", at("2026-11-26 11:10"), "owner_team", "Engineering"),
        ("J2", at("2026-11-26 11:40"), "owner_team", "engineering"),
        ("J3", at("2026-11-26 10:05"), "owner_team", "product")])
    evaluate(con, POLICY, NOW)
    with queue.live_results(con, POLICY, NOW) as live:
        frame = queue.breach_queue(con, POLICY, live, Filters(), "UTC", as_of=NOW)
    first = frame.drop_duplicates("ticket_id").set_index("ticket_id")
    assert first.loc["J1", "joined_after_seconds"] == 600 and not first.loc["J1", "join_missed"]
    assert first.loc["J2", "joined_after_seconds"] == 2400 and first.loc["J2", "join_missed"]
    assert pd.isna(first.loc["J3", "joined_after_seconds"]) and first.loc["J3", "join_missed"]
    assert first.loc["J4", "join_left_seconds"] == 600 and not first.loc["J4", "join_missed"]
    said = dict(zip(first.index, words.responders(first.reset_index())))
    assert said == {"J1": "joined after 10 m", "J2": "joined late: 40 m (window 15 m)",
                    "J3": "not joined: 15 m window passed", "J4": "not joined yet: 10 m left",
                    "J5": "joined after 0 m"}
    assert queue.responders_missed(frame) == 2  # J2 and J3, each counted once over its clocks


def test_without_handoffs_the_queue_cannot_tell_who_joined(con: duckdb.DuckDBPyConnection) -> None:
    frame = live_queue(con)
    assert frame["join_window_seconds"].isna().all() and frame["join_missed"].isna().all()
    assert set(words.responders(frame)) == {words.MISSING}
    assert queue.responders_missed(frame) is None  # not 0: the data cannot tell
    assert queue.responders_missed(frame.iloc[0:0]) == 0  # nothing queued: none missed
