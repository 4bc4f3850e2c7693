"""The three behaviours issue 27 changed on purpose, each on its own (everything else the one-pass loader does is
what the loader before it did, checked against a copy of it on every corpus of test_loader_corpora.py before that
copy was removed).

(a) whole numbers are checked one way: digits with a sign, as survey scores always were;
(b) a list of spellings chooses per row: the first spelling not empty on the row;
(c) PagerDuty: an incident exported before `resolved_at` existed resolves at its last status change when its
    status is resolved.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
import yaml

from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import MappingError, Spelling, mapping_from_dict, mapping_yaml, preset
from sla_core.ingest.store import import_file, open_store
from sla_core.policy import Policy

from .helpers import accounted


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# --- (a) whole numbers ------------------------------------------------------------------------------------------

WHOLE = ("ticket_id,created_at,impact,csat,customers_affected,reopen_count\n"
         "T1,2026-01-05 09:00,high,4.5,12,0\n"      # line 2: a half point
         "T2,2026-01-05 09:00,high,4,1e2,2.0\n"     # line 3: 1e2 and 2.0 are not written as whole numbers
         "T3,2026-01-05 09:00,high,+5,007,-0\n")    # line 4: a sign and leading zeros are


def test_a_ticket_csat_of_four_and_a_half_is_not_a_whole_number(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "t.csv", WHOLE), None, policy)
    accounted(report)
    assert (report.accepted, report.rejected) == (3, 0)  # a bad optional value keeps its row
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT ticket_id, csat, customers_affected, reopen_count FROM tickets").fetchall()}
    # before: T1's csat was stored as 5 (a cast rounds), T2's counts as 100 and 2
    assert got == {"T1": (None, 12, 0), "T2": (4, None, None), "T3": (5, 7, 0)}
    assert con.execute('SELECT row_number, "column", value, problem FROM cleared ORDER BY ALL').fetchall() == [
        (2, "csat", "4.5", "not a whole number"), (3, "customers_affected", "1e2", "not a whole number"),
        (3, "reopen_count", "2.0", "not a whole number")]
    assert report.cleared["csat: not a whole number (e.g. '4.5'), left empty; use a score from 1 to 5 (or map it "
                          "with `values: {csat: ...}`)"] == 1


def test_the_import_command_stores_no_rounded_csat(tmp_path: Path, policy: Policy) -> None:
    db = tmp_path / "store.duckdb"
    result = import_file(write(tmp_path, "t.csv", WHOLE), "plain", db=db, policy=policy)
    assert result.load.cleared
    con = open_store(db, read_only=True)
    try:
        assert con.execute("SELECT ticket_id, csat FROM tickets ORDER BY 1").fetchall() == [
            ("T1", None), ("T2", 4), ("T3", 5)]
    finally:
        con.close()


def test_typed_parquet_numbers_are_whole_by_the_same_rule(tmp_path: Path, policy: Policy) -> None:
    """A typed whole number (INTEGER) is read as it is; a DOUBLE is read as its text, so 4.5 is not whole."""
    path = tmp_path / "t.parquet"
    src = duckdb.connect()
    src.execute("COPY (SELECT * FROM (VALUES ('P1', TIMESTAMPTZ '2026-07-01 10:00+00', 'high', 4, 4.5), "
                "('P2', TIMESTAMPTZ '2026-07-01 11:00+00', 'high', 5, 2.0)) v(ticket_id, created_at, impact, csat, "
                "customers_affected)) TO ? (FORMAT parquet)", [str(path)])
    src.close()
    con = duckdb.connect()
    accounted(load_files(con, path, None, policy))
    assert con.execute("SELECT ticket_id, csat, customers_affected FROM tickets ORDER BY 1").fetchall() == [
        ("P1", 4, None), ("P2", 5, None)]
    assert con.execute('SELECT "column", value, problem FROM cleared ORDER BY ALL').fetchall() == [
        ("customers_affected", "2.0", "not a whole number"), ("customers_affected", "4.5", "not a whole number")]


# --- (b) a list of spellings chooses per row ---------------------------------------------------------------------

def test_a_list_of_spellings_takes_the_first_one_not_empty_on_each_row(tmp_path: Path, policy: Policy) -> None:
    mapping = mapping_from_dict({"format": "signals", "columns": {
        "signal_id": "id", "source": "tool", "detected_at": ["created_at", "Created at"]}})
    csv = ("id,tool,created_at,Created at\n"
           "A1,grafana,2026-11-02T09:00:00Z,2026-11-02T09:30:00Z\n"  # both: the first spelling
           "A2,grafana,,2026-11-02T10:00:00Z\n"                      # only the second: before, rejected (no time)
           "A3,grafana,,\n")                                          # neither: rejected
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "alerts.csv", csv), None, policy, mapping=mapping)
    accounted(report)
    assert con.execute("SELECT signal_id, detected_at FROM signals ORDER BY 1").fetchall() == [
        ("A1", utc("2026-11-02 09:00")), ("A2", utc("2026-11-02 10:00"))]
    assert con.execute('SELECT row_number, "column", reason FROM rejects').fetchall() == [
        (4, "detected_at", "missing required value")]


def test_a_preset_reads_the_organization_a_row_has(tmp_path: Path, policy: Policy) -> None:
    """Zendesk's `account: [Organization, Organization Name]`: an export with both columns, each filled on some rows."""
    csv = ("Id,Created at,Priority,Organization,Organization Name\n"
           "1,2026-01-05 09:00:00,High,Example Ltd,\n"
           "2,2026-01-05 10:00:00,High,,Example Org\n"
           "3,2026-01-05 11:00:00,High,,\n")
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "zendesk.csv", csv), None, policy, export_format="zendesk"))
    assert con.execute("SELECT ticket_id, account FROM tickets ORDER BY 1").fetchall() == [
        ("1", "Example Ltd"), ("2", "Example Org"), ("3", None)]


def test_a_repeated_id_is_the_first_spelling_not_empty(tmp_path: Path, policy: Policy) -> None:
    mapping = mapping_from_dict({"columns": {"ticket_id": ["Key", "Id"], "created_at": "Opened", "impact": "impact"}})
    csv = "Key,Id,Opened,impact\nK1,,2026-01-05 09:00,high\n,K1,2026-01-05 09:00,low\n"
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "t.csv", csv), None, policy, mapping=mapping)
    assert report.reasons == {"duplicate ticket_id with conflicting values": 2}


# --- (c) PagerDuty before resolved_at -----------------------------------------------------------------------------

OLD_PAGERDUTY = {"incidents": [
    {"id": "Q1", "incident_number": 7, "title": "Disk", "created_at": "2022-03-01T10:00:00Z", "status": "resolved",
     "last_status_change_at": "2022-03-01T11:30:00Z", "urgency": "high"},
    {"id": "Q2", "incident_number": 8, "title": "CPU", "created_at": "2022-03-02T10:00:00Z", "status": "acknowledged",
     "last_status_change_at": "2022-03-02T10:05:00Z", "urgency": "low"},
    {"id": "Q3", "incident_number": 9, "title": "RAM", "created_at": "2022-03-03T10:00:00Z", "status": "Resolved",
     "last_status_change_at": "2022-03-03T12:00:00Z", "urgency": "low"}]}


def test_an_incident_exported_before_resolved_at_resolves_at_its_last_status_change(tmp_path: Path,
                                                                                    policy: Policy) -> None:
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "old.json", OLD_PAGERDUTY), None, policy, export_format="pagerduty"))
    assert con.execute("SELECT signal_id, resolved_at FROM signals ORDER BY 1").fetchall() == [
        ("Q1", utc("2022-03-01 11:30")), ("Q2", None), ("Q3", utc("2022-03-03 12:00"))]


def test_resolved_at_where_the_export_has_it_comes_first(tmp_path: Path, policy: Policy) -> None:
    answer = {"incidents": [dict(OLD_PAGERDUTY["incidents"][0], resolved_at="2022-03-01T11:00:00Z"),
                            dict(OLD_PAGERDUTY["incidents"][2], resolved_at=None)]}
    con = duckdb.connect()
    accounted(load_files(con, write(tmp_path, "mixed.json", answer), None, policy, export_format="pagerduty"))
    assert con.execute("SELECT signal_id, resolved_at FROM signals ORDER BY 1").fetchall() == [
        ("Q1", utc("2022-03-01 11:00")), ("Q3", utc("2022-03-03 12:00"))]


def test_a_conditional_spelling_is_a_mapping_entry() -> None:
    resolved = preset("pagerduty").spellings("resolved_at")
    assert resolved[-1] == Spelling(column="last_status_change_at", when={"status": "resolved"})
    assert preset("pagerduty").names("resolved_at") == ["resolved_at", "Resolved at"]
    again = mapping_from_dict(yaml.safe_load(mapping_yaml(preset("pagerduty"))))
    assert again == preset("pagerduty")
    with pytest.raises(MappingError, match="when"):
        mapping_from_dict({"format": "signals", "columns": {"resolved_at": [{"column": "x", "when": {}}]}})
    with pytest.raises(MappingError, match="colum"):
        mapping_from_dict({"format": "signals", "columns": {"resolved_at": [{"colum": "x", "when": {"a": "b"}}]}})
