"""Mapping files: any ticket-per-row CSV, and event logs turned into tickets and events."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sla_core.ingest.loading import LoadError, load_files
from sla_core.ingest.mapping import MappingError, load_mapping, mapping_from_dict

from .helpers import accounted, rejects


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


TICKETS_CSV = """Ticket #,Opened,Priority,Customers,Fixed,Team,Notes
A-1,25/03/2026 09:00,1 - Critical,12,25/03/2026 11:30,Eng,first
A-2,02/04/2026 14:15,3 - Moderate,n/a,,Support,summer time
A-3,03/04/2026 10:00,Whatever,1,,Support,bad priority
"""

TICKETS_MAPPING = """
format: tickets
columns: {ticket_id: "Ticket #", created_at: "Opened", impact: "Priority",
          customers_affected: "Customers", resolved_at: "Fixed", owner_team: "Team"}
timestamp_format: "%d/%m/%Y %H:%M"
null_values: ["n/a"]
values:
  impact: {"1 - Critical": critical, "2 - High": high, "3 - Moderate": medium, "4 - Low": low}
  owner_team: {Eng: engineering, Support: support}
"""


def test_mapping_for_a_ticket_per_row_csv(con, policy, write):
    mapping = load_mapping(write("m.yaml", TICKETS_MAPPING))
    report = load_files(con, write("t.csv", TICKETS_CSV), None, policy, mapping=mapping)
    accounted(report)
    # A-3's priority is unknown, but it counts customers (a rubric input): kept, for the rubric to tier
    assert (report.accepted, report.rejected) == (3, 0)
    assert rejects(con) == []
    rows = con.execute(
        "SELECT ticket_id, created_at, impact, customers_affected, resolved_at, owner_team, Notes "
        "FROM tickets ORDER BY ticket_id"
    ).fetchall()
    assert rows == [
        ("A-1", utc("2026-03-25 09:00"), "critical", 12, utc("2026-03-25 11:30"), "engineering", "first"),
        # naive time read in Europe/London, which is on summer time (UTC+1) in April
        ("A-2", utc("2026-04-02 13:15"), "medium", None, None, "support", "summer time"),
        ("A-3", utc("2026-04-03 09:00"), None, 1, None, "support", "bad priority"),
    ]


EVENT_LOG = """Case,When,What,Sev,Team
C1,2026-03-02 09:00,Opened,P2,Support Desk
C1,2026-03-02 09:30,Agent replied,P2,Support Desk
C1,2026-03-02 10:00,Pending customer,P2,Support Desk
C1,2026-03-02 12:00,Customer replied,P1,Eng
C1,2026-03-02 13:00,Plan posted,P1,Eng
C1,2026-03-02 15:00,Solved,P1,Eng
C1,2026-03-03 09:00,Reopened,P1,Eng
C1,2026-03-03 11:00,Solved,P1,Eng
C1,2026-03-03 11:05,Internal note,P1,Eng
C2,2026-03-04 08:00,Agent replied,P3,Support Desk
C2,2026-03-04 09:00,Solved,P3,Support Desk
C2,2026-03-04 10:00,Reopened,P3,Support Desk
C3,yesterday,Opened,P3,Support Desk
,2026-03-04 10:00,Opened,P3,Support Desk
"""

EVENT_MAPPING = {
    "format": "events",
    "columns": {"ticket_id": "Case", "at": "When", "activity": "What", "impact": "Sev", "owner_team": "Team"},
    "values": {"impact": {"P1": "critical", "P2": "high", "P3": "medium"},
               "owner_team": {"Support Desk": "support", "Eng": "engineering"}},
    "activities": {"Opened": "created", "Agent replied": "acknowledged", "Pending customer": "waiting_on_customer",
                   "Customer replied": "open", "Plan posted": "action_plan", "Solved": "resolved",
                   "Reopened": "reopened"},
}


def test_mapping_for_an_event_log(con, policy, write):
    report = load_files(con, write("log.csv", EVENT_LOG), None, policy, export_format="eventlog",
                        mapping=mapping_from_dict(EVENT_MAPPING))
    accounted(report)
    assert (report.events_rows_read, report.events_accepted, report.events_rejected) == (14, 12, 2)
    assert report.events_reasons == {"unparseable timestamp": 1, "missing required value": 1}
    # C3's only row is unreadable: the ticket is accounted for as rejected, not dropped
    assert (report.rows_read, report.accepted, report.rejected) == (3, 2, 1)
    assert report.reasons == {"no valid event rows": 1}
    t = {r[0]: r[1:] for r in con.execute(
        "SELECT ticket_id, created_at, acknowledged_at, action_plan_at, resolved_at, reopen_count, impact, owner_team "
        "FROM tickets"
    ).fetchall()}
    assert t["C1"] == (utc("2026-03-02 09:00"), utc("2026-03-02 09:30"), utc("2026-03-02 13:00"),
                       utc("2026-03-03 11:00"), 1, "high", "engineering")
    # no `created` activity: created at the first event; reopened and still open: no resolution
    assert t["C2"] == (utc("2026-03-04 08:00"), utc("2026-03-04 08:00"), None, None, 1, "medium", "support")
    c1 = con.execute("SELECT field, value, \"at\" FROM events WHERE ticket_id = 'C1' ORDER BY seq").fetchall()
    assert [(f, v) for f, v, _ in c1] == [
        ("owner_team", "support"),  # an owner that changes gets its first value too: the handoff has a start
        ("status", "new"),
        ("status", "open"),
        ("status", "waiting_on_customer"),
        ("impact", "critical"),
        ("owner_team", "engineering"),
        ("status", "open"),
        ("status", "open"),  # an action plan also ends a pause
        ("status", "resolved"),
        ("status", "open"),
        ("status", "resolved"),
        ("activity", "Internal note"),  # unmapped: history only
    ]
    owners = [(v, a) for f, v, a in c1 if f == "owner_team"]
    assert owners == [("support", utc("2026-03-02 09:00")), ("engineering", utc("2026-03-02 12:00"))]
    # C2 keeps one team throughout: no owner_team events
    assert con.execute("SELECT count(*) FROM events WHERE ticket_id = 'C2' AND field <> 'status'").fetchone() == (0,)


def test_event_log_needs_a_mapping(con, policy, write):
    with pytest.raises(LoadError, match="needs a mapping"):
        load_files(con, write("log.csv", EVENT_LOG), None, policy, export_format="eventlog")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"columns": {"ticket_no": "x"}}, "ticket_no not a canonical column"),
        ({"format": "events", "columns": {"ticket_id": "a", "at": "b"}}, "must name activity"),
        ({"format": "events", "columns": {"ticket_id": "a", "at": "b", "activity": "c"},
          "activities": {"Done": "finished"}}, "activities.Done"),
        ({"activities": {"Done": "resolved"}}, "only an event log"),
        ({"colums": {}}, "colums: unknown key"),
        ({"values": {"priority": {"P1": "critical"}}}, "values: priority not a canonical column"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(data, message):
    with pytest.raises(MappingError, match=message):
        mapping_from_dict(data)


def test_mapping_file_that_is_not_yaml(write):
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(write("bad.yaml", "columns: {ticket_id: [unclosed"))


def test_required_mapped_column_missing_from_the_file(con, policy, write):
    mapping = load_mapping(write("m.yaml", TICKETS_MAPPING))
    with pytest.raises(LoadError, match="required column 'Opened'"):
        load_files(con, write("t.csv", "Ticket #,Priority\nA-1,1 - Critical\n"), None, policy, mapping=mapping)


def test_any_text_column_as_owner_team_never_rejects_a_row(con, policy, write):
    """Real owner columns hold hundreds of names (`application`, `Group 70`, `Équipe Paris`): each is a team."""
    names = ["application", "software", "computer", "Équipe Paris", "L2 / Network", "team with, comma",
             "'quoted'", "  padded  ", "123", "DROP TABLE tickets"] + [f"Group {n}" for n in range(400)]
    lines = ["id,opened,impact,owner"]
    for n, name in enumerate(names):
        cell = '"' + name.replace('"', '""') + '"'
        lines.append(f"T{n},2026-03-02 09:{n % 60:02d},high,{cell}")
    mapping = mapping_from_dict({"format": "tickets",
                                 "columns": {"ticket_id": "id", "created_at": "opened", "impact": "impact",
                                             "owner_team": "owner"}})
    report = load_files(con, write("owners.csv", "\n".join(lines) + "\n"), None, policy, mapping=mapping)
    accounted(report)
    assert (report.accepted, report.rejected) == (len(names), 0)
    assert report.cleared == {}
    kept = {t for (t,) in con.execute("SELECT owner_team FROM tickets").fetchall()}
    assert len(kept) == len(names) == 410
    assert {"Équipe Paris", "team with, comma", "DROP TABLE tickets", "Group 399"} <= kept
    assert report.teams == 410
    # the sample policy rolls "l2*" up to support; every other name is counted as unassigned, by name
    assert "L2 / Network" not in report.unassigned_teams
    assert sum(report.unassigned_teams.values()) == 409 and report.unassigned_teams["Group 7"] == 1
