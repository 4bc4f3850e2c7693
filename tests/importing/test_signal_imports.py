"""Signals and survey answers: each monitoring tool's preset on a file laid out as the tool writes it (values
from the tools' own documented examples, cited in the presets), plain files with their rejects, mapping
refusals, and the store's upsert."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import MappingError, mapping_from_dict
from sla_core.ingest.store import import_file, open_store
from sla_core.policy import Policy

from .helpers import accounted


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def signals(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM signals ORDER BY signal_id")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# PagerDuty REST `GET /incidents` (PagerDuty/api-schema, Incident example, trimmed).
PAGERDUTY_API = {"incidents": [{
    "id": "PT4KHLK", "type": "incident", "summary": "[#1234] The server is on fire.", "incident_number": 1234,
    "title": "The server is on fire.", "created_at": "2015-10-06T21:30:42Z", "updated_at": "2015-10-06T21:40:23Z",
    "status": "resolved", "service": {"id": "PIJ90N7", "type": "service_reference", "summary": "My Mail Service"},
    "resolved_at": "2015-10-06T21:38:23Z", "alert_counts": {"all": 2, "triggered": 0, "resolved": 2},
    "priority": {"id": "P53ZZH5", "type": "priority_reference", "summary": "P2"}, "urgency": "high"}],
    "limit": 1, "offset": 0, "more": True}
# Opsgenie `GET /v2/alerts` (docs.opsgenie.com/docs/alert-api, List Alerts sample; ids added to the first).
OPSGENIE_API = {"data": [
    {"id": "8418d193-2dab-4490-b331-8c02cdd196b7", "tinyId": "14", "message": "Disk full",
     "createdAt": "2017-03-21T20:32:52.353Z", "updatedAt": "2017-04-03T20:32:57.301Z", "source": "Isengard",
     "priority": "P4", "integration": {"id": "4513b7ea", "name": "Nebuchadnezzar", "type": "API"},
     "report": {"ackTime": 15702, "closeTime": 60503, "acknowledgedBy": "agent_smith", "closedBy": "neo"}},
    {"id": "70413a06-38d6-4c85-92b8-5ebc900d42e2", "tinyId": "1791", "alias": "event_573", "message": "Sample Message",
     "status": "open", "tags": ["RandomTag"], "createdAt": "2017-03-21T20:32:52.353Z", "source": "Zion",
     "priority": "P5", "responders": []}],
    "took": 0.605, "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"}
# Sentry issues (getsentry/sentry project_group_index.py example).
SENTRY_API = [{"id": "1", "shortId": "PUMP-STATION-1", "title": "This is an example Python exception",
               "level": "error", "status": "unresolved", "firstSeen": "2018-11-06T21:19:55Z",
               "lastSeen": "2018-11-06T21:19:55Z", "count": "1",
               "project": {"id": "2", "name": "Pump Station", "slug": "pump-station", "platform": "python"},
               "stats": {"24h": [[1541455200.0, 473]]}}]
# Datadog Incidents API v2 (datadog-api-client-python IncidentResponseAttributes).
DATADOG_API = {"data": [{"id": "00000000-0000-0000-0000-000000000042", "type": "incidents", "attributes": {
    "public_id": 42, "title": "Checkout 5xx spike", "severity": "SEV-2", "state": "resolved",
    "customer_impact_start": "2024-05-01T09:58:00+00:00", "detected": "2024-05-01T10:03:00+00:00",
    "created": "2024-05-01T10:05:12+00:00", "resolved": "2024-05-01T11:20:00+00:00", "time_to_detect": 300,
    "fields": {}}}], "meta": {"pagination": {"offset": 0, "next_offset": 1, "size": 1}}}


# PagerDuty's Insights "Incident Activity" CSV (support.pagerduty.com/main/docs/insights).
PAGERDUTY_CSV = ("Number,Incident ID,Title,Urgency,Priority,Service,Team,Created at,Resolved at\n"
                 "1234,PT4KHLK,The server is on fire.,high,P2,My Mail Service,Mail,2015-10-06T21:30:42Z,"
                 "2015-10-06T21:38:23Z\n")
# A plain signals file, one problem per line (the test below reads it line by line).
PLAIN_SIGNALS_CSV = ("signal_id,source,detected_at,started_at,resolved_at,severity,ticket_id\n"
                     "A1,grafana,2026-11-02T09:50:00Z,2026-11-02T09:30:00Z,,high,T-1\n"   # line 2: kept whole
                     ",grafana,2026-11-02T09:51:00Z,,,,\n"                                # 3: no id
                     "A2,grafana,yesterday,,,,\n"                                         # 4: no readable alert time
                     "A1,grafana,2026-11-02T09:52:00Z,,,,\n"                              # 5: A1 again
                     "A3,,2026-11-02T10:00:00Z,,,,\n"                                     # 6: no tool
                     "A4,grafana,bad,,,,\n"                                               # 7: a bad first copy of A4 ...
                     "A4,grafana,2026-11-02T11:00:00Z,soon,2026-11-02T10:00:00Z,SEV-9,\n")  # 8: ... and a good one
# Two alerts with one id whose own `source` field differs: the preset names the tool, so they are one alert.
REPEATED_ALERTS = {"data": [{"id": "a1", "source": "x", "createdAt": "2024-01-01T00:00:00Z"},
                            {"id": "a1", "source": "y", "createdAt": "2024-01-01T00:05:00Z"}]}
# Survey answers: a repeat, a csat out of range, no account, an unknown kind, a word, a half point, an nps of 11.
SURVEYS_CSV = ("account,at,kind,score\nacme,2026-01-02T10:00:00Z,NPS,9\nacme,2026-01-02T10:00:00Z,nps,9\n"
              "globex,2026-01-03,csat,7\n,2026-01-03,nps,3\nx,2026-01-03T00:00:00Z,poll,3\ny,2026-01-04,nps,ten\n"
              "z,2026-01-05,nps,6.5\nw,2026-01-06,nps,11\nw,2026-01-06,nps,10\n")


def test_pagerduty_api_answer(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "incidents.json", PAGERDUTY_API), None, policy, export_format="pagerduty")
    accounted(report)
    got = signals(con)["PT4KHLK"]
    assert (got["source"], got["incident_ref"], got["service"], got["title"], got["severity"]) == (
        "pagerduty", "1234", "My Mail Service", "The server is on fire.", "high")
    assert (got["detected_at"], got["resolved_at"], got["started_at"]) == (
        utc("2015-10-06 21:30:42"), utc("2015-10-06 21:38:23"), None)


def test_pagerduty_insights_csv(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "activity.csv", PAGERDUTY_CSV), None, policy, export_format="pagerduty"))
    got = signals(con)["PT4KHLK"]
    assert (got["incident_ref"], got["service"], got["detected_at"]) == ("1234", "My Mail Service",
                                                                         utc("2015-10-06 21:30:42"))


def test_opsgenie_alerts_close_after_created_plus_close_time(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "alerts.json", OPSGENIE_API), None, policy, export_format="opsgenie"))
    got = signals(con)
    closed, open_ = got["8418d193-2dab-4490-b331-8c02cdd196b7"], got["70413a06-38d6-4c85-92b8-5ebc900d42e2"]
    # the tool is Opsgenie, not the alert's own "source" (the sending system)
    assert closed["source"] == open_["source"] == "opsgenie"
    assert closed["resolved_at"] == utc("2017-03-21 20:32:52.353") + (utc("2017-03-21 20:33:52.856")
                                                                       - utc("2017-03-21 20:32:52.353"))
    assert (closed["incident_ref"], closed["service"], closed["severity"]) == ("14", "Nebuchadnezzar", "low")
    assert open_["resolved_at"] is None and open_["severity"] == "low"


def test_sentry_issues(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "issues.json", SENTRY_API), None, policy, export_format="sentry"))
    got = signals(con)["1"]
    assert (got["incident_ref"], got["service"], got["severity"], got["detected_at"]) == (
        "PUMP-STATION-1", "pump-station", "high", utc("2018-11-06 21:19:55"))


def test_datadog_incidents_know_when_the_impact_began(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "incidents.json", DATADOG_API), None, policy, export_format="datadog"))
    got = signals(con)["00000000-0000-0000-0000-000000000042"]
    assert (got["started_at"], got["detected_at"], got["resolved_at"]) == (
        utc("2024-05-01 09:58"), utc("2024-05-01 10:03"), utc("2024-05-01 11:20"))
    assert (got["incident_ref"], got["severity"]) == ("42", "high")


def test_a_plain_signals_file_rejects_with_reasons_and_keeps_the_rest(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "alerts.csv", PLAIN_SIGNALS_CSV), None, policy)
    accounted(report)
    assert (report.format, report.rows_read, report.accepted, report.rejected) == ("signals", 7, 2, 5)
    assert con.execute('SELECT row_number, "column", reason FROM rejects ORDER BY row_number').fetchall() == [
        (3, "signal_id", "missing required value"), (4, "detected_at", "unparseable timestamp"),
        (5, "signal_id", "duplicate signal_id (its first good row is kept)"), (6, "source", "missing required value"),
        (7, "detected_at", "unparseable timestamp")]
    got = signals(con)
    assert got["A1"]["ticket_id"] == "T-1" and got["A1"]["severity"] == "high"
    # A4's start does not parse, its resolution comes before its alert, its severity is no tier word: each left
    # empty and counted with the fix
    assert (got["A4"]["started_at"], got["A4"]["resolved_at"], got["A4"]["severity"]) == (None, None, None)
    problems = " | ".join(report.cleared)
    assert "started_at: unparseable timestamp" in problems and "resolved_at: resolved before detected" in problems
    assert "severity: unknown severity value" in problems


def test_a_preset_names_the_tool_so_its_ids_are_unique_per_file(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "alerts.json", REPEATED_ALERTS), None, policy, export_format="opsgenie")
    assert (report.accepted, report.rejected) == (1, 1)


def test_survey_answers_are_checked_whole(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "answers.csv", SURVEYS_CSV), None, policy)
    accounted(report)
    # acme once (the repeat rejected), and w's good answer after its bad one
    assert (report.format, report.accepted) == ("surveys", 2)
    assert report.reasons == {"duplicate answer (same account, time and kind)": 1, "missing required value": 1,
                              "not a whole number": 2, "score out of range (csat 1..5, nps 0..10)": 2,
                              "unknown kind (use csat or nps)": 1}


@pytest.mark.parametrize(("data", "message"), [
    ({"format": "signals", "columns": {"created_at": "Opened"}}, "created_at not a canonical column of format signals"),
    ({"format": "surveys", "columns": {"account": []}}, "columns.account"),
    ({"format": "signals", "durations": {"resolved_at": {"since": "created_at", "column": "x"}}}, "durations.resolved_at"),
    ({"format": "signals", "values": {"impact": {"P1": "critical"}}}, "values: impact not a canonical column"),
])
def test_a_mapping_names_only_its_formats_columns(data: dict, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        mapping_from_dict(data)


def test_the_store_upserts_signals_by_tool_and_id(tmp_path: Path, policy: Policy) -> None:
    db = tmp_path / "store.duckdb"
    path = write(tmp_path, "incidents.json", PAGERDUTY_API)
    first = import_file(path, "pagerduty", db=db, policy=policy)
    again = import_file(path, "pagerduty", db=db, policy=policy)
    assert (first.new, again.new, again.unchanged) == (1, 0, 1)
    changed = json.loads(json.dumps(PAGERDUTY_API))
    changed["incidents"][0]["resolved_at"] = "2015-10-06T22:00:00Z"
    later = import_file(write(tmp_path, "later.json", changed), "pagerduty", db=db, policy=policy)
    assert (later.new, later.updated) == (0, 1)
    con = open_store(db, read_only=True)
    try:
        assert con.execute("SELECT count(*), max(resolved_at) FROM signals").fetchall() == [
            (1, utc("2015-10-06 22:00"))]
        assert con.execute("SELECT count(*) FROM tickets").fetchall() == [(0,)]  # nothing else touched
    finally:
        con.close()
