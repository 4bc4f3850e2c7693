"""Every vendor preset on a small export written from the vendor's documented columns."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import PRESET_DIR, load_mapping

from .helpers import FIXTURES, accounted, rejects


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def tickets(con) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM tickets ORDER BY ticket_id")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


@pytest.mark.parametrize("path", sorted(PRESET_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_preset_is_a_valid_mapping_that_names_its_sources(path):
    mapping = load_mapping(path)
    assert mapping.columns["signal_id" if mapping.format == "signals" else "ticket_id"]
    assert "Sources:" in path.read_text(encoding="utf-8")


def test_zendesk_export(con, policy):
    # as Zendesk writes it: a byte order mark, CRLF lines, dates in the account's zone without an offset
    report = load_files(con, FIXTURES / "zendesk_tickets.csv", None, policy, export_format="zendesk")
    accounted(report)
    assert (report.rows_read, report.accepted, report.rejected) == (4, 3, 1)
    assert rejects(con) == [(5, "impact", "Sky-high", "unknown impact value")]
    t = tickets(con)
    assert t["1001"]["impact"] == "critical" and t["1002"]["impact"] == "medium" and t["1003"]["impact"] == "low"
    assert t["1001"]["created_at"] == utc("2026-01-05 09:00")
    # acknowledged = created + "First reply time in minutes" (12)
    assert t["1001"]["acknowledged_at"] == utc("2026-01-05 09:12")
    assert t["1002"]["acknowledged_at"] is None
    assert t["1001"]["resolved_at"] == utc("2026-01-05 12:30")
    assert t["1003"]["reopen_count"] == 1
    # the group as Zendesk names it; tags space separated -> a comma list; Good / Bad -> 5 / 1, unrated empty
    assert (t["1001"]["owner_team"], t["1002"]["owner_team"]) == ("Support", "Tier 2")
    # the requester's organization is the account of the incident cohorts; none -> empty
    assert (t["1001"]["account"], t["1002"]["account"]) == ("Example Ltd", None)
    assert (t["1001"]["tags"], t["1002"]["tags"]) == ("checkout,enterprise", "question")
    assert (t["1001"]["csat"], t["1002"]["csat"], t["1003"]["csat"]) == (5, None, 1)
    assert (t["1001"]["source"], t["1002"]["source"]) == ("customer", "customer")  # Web form, Email
    # custom fields titled like the canonical columns fill the rubric inputs and triage fields
    assert (t["1001"]["severity"], t["1001"]["repro_steps"]) == ("outage", "1. Open checkout 2. Pay: HTTP 500")
    # Zendesk has no action plan time: that clock is not measured, the others are
    assert t["1001"]["unmeasured"] == "action_plan"
    # unmapped vendor columns are kept
    assert t["1003"]["Subject"] == 'Reports show "NaN"'


def test_jira_service_management_export(con, policy):
    report = load_files(con, FIXTURES / "jira_issues.csv", None, policy, export_format="jira")
    accounted(report)
    assert (report.accepted, report.rejected) == (3, 1)
    assert rejects(con) == [(6, "created_at", "31/Feb/26 9:00 AM", "unparseable timestamp")]
    t = tickets(con)
    assert t["SD-101"]["impact"] == "critical" and t["SD-102"]["impact"] == "medium" and t["SD-103"]["impact"] == "low"
    # dd/MMM/yy h:mm a, naive, read in the policy zone (London: UTC in January)
    assert t["SD-101"]["created_at"] == utc("2026-01-05 09:12")
    assert t["SD-102"]["created_at"] == utc("2026-01-06 14:05")
    assert t["SD-101"]["resolved_at"] == utc("2026-01-05 13:30")
    assert t["SD-101"]["csat"] == 5 and t["SD-103"]["csat"] == 4
    # a quoted multi-line description survives; Jira's repeated "Labels" columns are one tag list
    assert t["SD-101"]["Description"] == "Users cannot log in.\nSince 09:00."
    assert t["SD-101"]["tags"] == "outage,enterprise"
    # JSM's first response (the [CHART] field, its own date format), the team and the source arrive
    assert t["SD-101"]["acknowledged_at"] == utc("2026-01-05 09:20:31.250")
    assert (t["SD-101"]["owner_team"], t["SD-102"]["owner_team"]) == ("IT Ops", "Payments")
    assert [t[i]["account"] for i in ("SD-101", "SD-102", "SD-103")] == ["Example Ltd", "Example Org", None]
    assert (t["SD-101"]["source"], t["SD-102"]["source"]) == ("monitoring", "customer")
    assert t["SD-102"]["acknowledged_at"] is None and t["SD-102"]["unmeasured"] == "action_plan"


def test_freshdesk_export(con, policy):
    report = load_files(con, FIXTURES / "freshdesk_tickets.csv", None, policy, export_format="freshdesk")
    accounted(report)
    assert (report.accepted, report.rejected) == (3, 1)
    assert rejects(con) == [(5, "resolved_at", "2026-01-08 11:00:00", "resolved before created")]
    t = tickets(con)
    assert [t[i]["impact"] for i in ("201", "202", "203")] == ["critical", "low", "high"]
    assert t["201"]["acknowledged_at"] == utc("2026-01-05 09:20")
    assert t["201"]["source"] == "customer"
    assert t["202"]["resolved_at"] is None
    # team, tags and the classic survey's rating arrive
    assert (t["201"]["owner_team"], t["201"]["tags"], t["201"]["csat"]) == ("Support", "sync", 5)
    assert (t["202"]["owner_team"], t["202"]["csat"]) == ("Billing", None)
    assert (t["201"]["account"], t["202"]["account"]) == ("Example Ltd", "Example Org")  # Company Name


def test_servicenow_incident_list(con, policy):
    report = load_files(con, FIXTURES / "servicenow_incidents.csv", None, policy, export_format="servicenow")
    accounted(report)
    assert (report.accepted, report.rejected) == (3, 1)
    assert rejects(con) == [(5, "impact", "9 - Whatever", "unknown impact value")]
    t = tickets(con)
    assert t["INC0010001"]["impact"] == "critical" and t["INC0010002"]["impact"] == "low"
    assert t["INC0010003"]["owner_team"] is None  # "?" is empty
    assert t["INC0010003"]["resolved_at"] is None
    assert t["INC0010002"]["reopen_count"] == 1
    assert (t["INC0010001"]["owner_team"], t["INC0010002"]["owner_team"]) == ("Network Ops", "Service Desk")
    assert (t["INC0010001"]["source"], t["INC0010002"]["source"]) == ("monitoring", "customer")  # contact_type
    # no company column: the caller is the account
    assert (t["INC0010001"]["account"], t["INC0010002"]["account"]) == ("Caller 12", "Caller 40")
    # the source's own `impact` column does not clash with the canonical one
    assert t["INC0010001"]["raw_impact"] == "1 - High"
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_servicenow_audit_log_becomes_tickets_and_status_events(con, policy):
    report = load_files(con, FIXTURES / "servicenow_audit.csv", None, policy, export_format="servicenow")
    accounted(report)
    assert report.format == "events"
    assert (report.events_rows_read, report.events_rejected) == (13, 1)
    assert (report.rows_read, report.accepted, report.rejected) == (3, 2, 1)
    # INC0000003's priority "Unknown" is left empty on its row, and nothing else tiers the ticket
    assert report.reasons == {"unknown impact value": 1}
    t = tickets(con)
    one = t["INC0000001"]
    assert one["created_at"] == utc("2026-01-03 09:00")  # opened_at, day-first
    assert one["acknowledged_at"] == utc("2026-01-03 09:20")  # first Active
    assert one["resolved_at"] == utc("2026-01-05 12:00")  # the final resolution
    assert one["reopen_count"] == 1
    assert one["impact"] == "medium"  # the priority at creation; the change is an event
    assert one["made_sla"] == "false"  # the last update's verdict, passed through
    assert (one["account"], t["INC0000002"]["account"]) == ("Caller 1", "Caller 2")  # no company: the caller
    events = con.execute(
        "SELECT field, value FROM events WHERE ticket_id = 'INC0000001' ORDER BY seq"
    ).fetchall()
    # assignment groups are teams as ServiceNow names them: a change of group is a handoff
    assert events == [
        ("status", "new"),
        ("owner_team", "Group 70"),
        ("status", "open"),
        ("status", "waiting_on_customer"),
        ("impact", "critical"),
        ("owner_team", "Group 24"),
        ("status", "open"),
        ("status", "resolved"),
        ("status", "open"),
        ("status", "waiting_on_third_party"),
        ("status", "resolved"),
        ("status", "closed"),
    ]
    # Awaiting Problem keeps the clock running; the `-100` row is kept as history and changes nothing
    two = con.execute("SELECT field, value FROM events WHERE ticket_id = 'INC0000002' ORDER BY seq").fetchall()
    assert two == [("status", "new"), ("status", "open"), ("activity", "-100")]
    assert t["INC0000002"]["resolved_at"] is None
    assert any("unmapped activities kept as history" in n for n in report.notes)


def test_intercom_conversations_export(con, policy):
    # Report exports name the time zone in every timestamp header: those times are read in it, not the policy's
    report = load_files(con, FIXTURES / "intercom_conversations.csv", None, policy, export_format="intercom")
    accounted(report)
    assert (report.accepted, report.rejected) == (3, 0)
    assert any("read in Europe/Berlin, the time zone its headers name" in n for n in report.notes)
    t = tickets(con)
    one = t["215470031"]
    # 10:00 in Berlin (summer time, UTC+2) is 08:00 UTC
    assert (one["created_at"], one["acknowledged_at"], one["resolved_at"]) == (
        utc("2026-07-02 08:00"), utc("2026-07-02 08:03:30"), utc("2026-07-02 09:20"))
    assert (one["impact"], t["215470044"]["impact"]) == ("medium", "high")  # Not Priority / Priority
    assert (one["owner_team"], one["tags"], one["csat"], one["source"]) == ("Tier 1", "billing, refund", 5, "customer")
    assert t["215470044"]["acknowledged_at"] is None  # not replied yet: a running clock, not a missing column
    assert one["unmeasured"] == "action_plan"


def test_an_export_without_an_acknowledgement_column_is_untimed_not_breached(con, policy):
    # A ServiceNow incident list has no first-response field: the acknowledge clocks are not measured.
    from sla_core.clocks.engine import evaluate

    report = load_files(con, FIXTURES / "servicenow_incidents.csv", None, policy, export_format="servicenow")
    assert report.unmeasured["acknowledge"].startswith("not measured: the data has no acknowledged_at")
    con.execute("SET TimeZone = 'UTC'")
    evaluate(con, policy, utc("2026-03-01 00:00"))
    acks = con.execute("SELECT DISTINCT state, untimed_reason FROM sla_results WHERE metric = 'acknowledge'").fetchall()
    assert acks == [("untimed", "not measured: the data has no acknowledged_at")]
    # the resolution clock is measured: the export has resolved_at
    states = {r[0] for r in con.execute("SELECT state FROM sla_results WHERE metric = 'resolution'").fetchall()}
    assert "untimed" not in states or states != {"untimed"}
