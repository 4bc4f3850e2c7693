"""The loader on every corpus it was checked on against the loader it replaced (issue 27), now as regression tests:
each corpus's report counts (rows read, accepted, rejected, their reasons, values left empty) or one-line refusal
are written down below, and every file hypothesis draws (bad timestamps, zones, duplicates, ragged and multi-line
rows, BOMs and other encodings, through plain headers, presets and drawn mappings) loads accounted: the tables
hold exactly what the report says, every reject names its row.

Until the one-pass loader (issue 27) passed on all of them, this file compared it with a verbatim copy of the
loader before it, `tests/importing/legacy_loader` (removed since; see `git log -- tests/importing/legacy_loader`):
the same accepted rows, rejects, values left empty and reports, the three intended fixes aside
(test_loader_fixes.py).
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import duckdb
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from sla_core.errors import UserError
from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import Mapping, load_mapping, mapping_from_dict
from sla_core.policy import Policy, load_policy
from tests.robustness.test_loader_fuzz import VALID_TICKETS, cell, csvish

from . import test_import_mapping as mapping_tests
from . import test_signal_imports as signal_tests
from .helpers import FIXTURES, ROOT

POLICY = load_policy(ROOT / "sample_data" / "policy.yaml")
SAMPLE = ROOT / "sample_data"
REALDATA = ROOT.parent / "shared" / "realdata" / "servicenow_incident_event_log.csv.gz"
# More examples on a quiet machine: LOADER_FUZZ_EXAMPLES=500 pytest tests/importing/test_loader_corpora.py
EXAMPLES = int(os.environ.get("LOADER_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") == "true",
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
COUNTS = ("rows_read", "accepted", "rejected", "reasons", "events_rows_read", "events_accepted", "events_rejected",
          "events_reasons")


@dataclass(frozen=True)
class Case:
    """One load: a file (and an events file beside it), read as `export_format`, through `mapping`."""

    tickets: Path
    events: Optional[Path] = None
    export_format: str = "plain"
    mapping: Optional[Mapping] = None


def load(case: Case, policy: Policy = POLICY) -> Any:
    """The load's counts ({rows_read, ..., cleared: values left empty}, zero counts left out), or its one-line
    refusal; the tables it leaves hold exactly what its report says."""
    con = duckdb.connect()
    try:
        try:
            report = load_files(con, case.tickets, case.events, policy, export_format=case.export_format,
                                mapping=case.mapping)
        except UserError as err:
            assert "\n" not in str(err)
            return str(err)
        table = {"signals": "signals", "surveys": "surveys"}.get(report.format, "tickets")
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == report.accepted
        assert report.accepted + report.rejected == report.rows_read
        assert report.events_accepted + report.events_rejected == report.events_rows_read
        if report.format == "tickets":  # an event log's events add the changes its rows show
            assert con.execute("SELECT count(*) FROM events").fetchone()[0] == report.events_accepted
        files = dict(con.execute("SELECT file, count(*) FROM rejects GROUP BY file").fetchall())
        assert sum(files.values()) == report.rejected + report.events_rejected
        assert files.get("events", 0) == report.events_rejected
        assert con.execute("SELECT count(*) FROM rejects WHERE row_number IS NULL OR row_number < 1"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM cleared").fetchone()[0] == sum(report.cleared.values())
        counts = {k: v for k, v in report.model_dump().items() if k in COUNTS and v}
        return {**counts, "cleared": sum(report.cleared.values())}
    finally:
        con.close()


def counts(rows_read: int, accepted: int, cleared: int = 0, *, reasons: Optional[dict[str, int]] = None,
           events: Optional[tuple[int, int]] = None, events_reasons: Optional[dict[str, int]] = None) -> dict[str, Any]:
    """A load's counts as `load` gives them: rows read and accepted (the rest rejected, for `reasons`), values
    left empty; `events`: event rows read and accepted."""
    out: dict[str, Any] = {"rows_read": rows_read, "accepted": accepted}
    if rows_read > accepted:
        out.update(rejected=rows_read - accepted, reasons=reasons)
    if events:
        out.update(events_rows_read=events[0], events_accepted=events[1])
        if events[0] > events[1]:
            out.update(events_rejected=events[0] - events[1], events_reasons=events_reasons)
    return {**out, "cleared": cleared}


def write(folder: Path, name: str, content: "str | bytes | object") -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


# --- the committed sample, the real ServiceNow log -------------------------------------------------------------

def rows_in(path: Path) -> int:
    """A CSV's data rows, counted without the loader (the sample is regenerated as the generator changes)."""
    con = duckdb.connect()
    try:
        return con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true)", [str(path)]).fetchone()[0]
    finally:
        con.close()


def test_the_sample():
    """The bundled sample is clean: every row of every file accepted, nothing left empty."""
    tickets, events = rows_in(SAMPLE / "tickets.csv"), rows_in(SAMPLE / "events.csv")
    assert load(Case(SAMPLE / "tickets.csv", SAMPLE / "events.csv")) == counts(tickets, tickets, events=(events, events))
    for name in ("signals.csv", "surveys.csv"):
        assert load(Case(SAMPLE / name)) == counts(rows_in(SAMPLE / name), rows_in(SAMPLE / name))


def test_the_sample_as_parquet(tmp_path):
    """Typed Parquet (TIMESTAMPTZ, BIGINT, BOOLEAN), and a copy whose times are naive TIMESTAMPs, dates and text
    and whose counts are DOUBLE (read as their text: 425.0 is not written as a whole number)."""
    con = duckdb.connect()
    tickets, events, naive = tmp_path / "tickets.parquet", tmp_path / "events.parquet", tmp_path / "naive.parquet"
    con.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE / 'tickets.csv'}')) TO '{tickets}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE / 'events.csv'}')) TO '{events}' (FORMAT parquet)")
    con.execute(
        f"""COPY (SELECT * REPLACE (CAST(created_at AT TIME ZONE 'America/New_York' AS TIMESTAMP) AS created_at,
                                    CAST(resolved_at AS DATE) AS resolved_at,
                                    CAST(customers_affected AS DOUBLE) AS customers_affected,
                                    CAST(acknowledged_at AS VARCHAR) AS acknowledged_at)
                  FROM read_csv('{SAMPLE / 'tickets.csv'}')) TO '{naive}' (FORMAT parquet)""")
    con.close()
    n, n_events = rows_in(SAMPLE / "tickets.csv"), rows_in(SAMPLE / "events.csv")
    assert load(Case(tickets, events)) == counts(n, n, events=(n_events, n_events))
    # a resolution cast to its date can fall before the ticket's creation; a DOUBLE count is not written whole
    got = load(Case(naive))
    assert set(got["reasons"]) == {"resolved before created"} and got["cleared"] > 0
    assert got["accepted"] + got["rejected"] == got["rows_read"] == n


def test_the_real_servicenow_log():
    if not REALDATA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data missing under CI: {REALDATA}", pytrace=False)
        pytest.skip(f"real data not present at {REALDATA} (../shared/realdata is outside the repo)")
    with gzip.open(REALDATA, "rt", encoding="utf-8") as fh:
        assert sum(1 for _ in fh) - 1 == 141_712
    assert load(Case(REALDATA, export_format="servicenow")) == {
        "rows_read": 24918, "accepted": 24916, "rejected": 2, "reasons": {"acknowledged before created": 2},
        "events_rows_read": 141712, "events_accepted": 141700, "events_rejected": 12,
        "events_reasons": {"ticket rejected": 12}, "cleared": 0}


# --- every preset fixture, the signal fixtures, the mapping tests' files, awkward files ---------------------------

PRESET_FIXTURES = {
    ("zendesk_tickets.csv", "zendesk"): counts(4, 3, reasons={"unknown impact value": 1}),
    ("jira_issues.csv", "jira"): counts(4, 3, reasons={"unparseable timestamp": 1}),
    ("freshdesk_tickets.csv", "freshdesk"): counts(4, 3, reasons={"resolved before created": 1}),
    ("servicenow_incidents.csv", "servicenow"): counts(4, 3, reasons={"unknown impact value": 1}),
    ("servicenow_audit.csv", "servicenow"): counts(3, 2, 1, reasons={"unknown impact value": 1}, events=(13, 12),
                                                   events_reasons={"ticket rejected": 1}),
    ("intercom_conversations.csv", "intercom"): counts(3, 3),
    ("zendesk_tickets.csv", "plain"): "tickets zendesk_tickets.csv: required column 'ticket_id' is missing; its header "
                                      "has 43 columns: 'Summation column', 'Id', 'Requester', 'Requester id', 'Requester "
                                      "external id', 'Requester email', 'Requester domain', 'Submitter', ...",
}


@pytest.mark.parametrize(("name", "export_format"), list(PRESET_FIXTURES))
def test_every_preset_fixture(name, export_format):
    assert load(Case(FIXTURES / name, export_format=export_format)) == PRESET_FIXTURES[(name, export_format)]


SIGNAL_FIXTURES = {
    "pagerduty api": ("incidents.json", signal_tests.PAGERDUTY_API, "pagerduty"),
    "pagerduty insights csv": ("activity.csv", signal_tests.PAGERDUTY_CSV, "pagerduty"),
    "opsgenie": ("alerts.json", signal_tests.OPSGENIE_API, "opsgenie"),
    "opsgenie repeated": ("alerts.json", signal_tests.REPEATED_ALERTS, "opsgenie"),
    "sentry": ("issues.json", signal_tests.SENTRY_API, "sentry"),
    "datadog": ("incidents.json", signal_tests.DATADOG_API, "datadog"),
    "plain signals": ("alerts.csv", signal_tests.PLAIN_SIGNALS_CSV, "plain"),
    "plain answers": ("answers.csv", signal_tests.SURVEYS_CSV, "plain"),
    # PagerDuty before it wrote resolved_at (May 2023): a status and the instant of its last change
    "pagerduty before resolved_at": ("old.json", {"incidents": [
        {"id": "Q1", "incident_number": 7, "title": "Disk", "created_at": "2022-03-01T10:00:00Z", "status": "resolved",
         "last_status_change_at": "2022-03-01T11:30:00Z", "urgency": "high"},
        {"id": "Q2", "incident_number": 8, "title": "CPU", "created_at": "2022-03-02T10:00:00Z",
         "status": "acknowledged", "last_status_change_at": "2022-03-02T10:05:00Z", "urgency": "low"}]}, "pagerduty"),
}
SIGNAL_COUNTS = {
    "pagerduty api": counts(1, 1), "pagerduty insights csv": counts(1, 1), "opsgenie": counts(2, 2),
    "opsgenie repeated": counts(2, 1, reasons={"duplicate signal_id (its first good row is kept)": 1}),
    "sentry": counts(1, 1), "datadog": counts(1, 1),
    "plain signals": counts(7, 2, 3, reasons={"missing required value": 2, "unparseable timestamp": 2,
                                              "duplicate signal_id (its first good row is kept)": 1}),
    "plain answers": counts(9, 2, reasons={"not a whole number": 2, "score out of range (csat 1..5, nps 0..10)": 2,
                                           "duplicate answer (same account, time and kind)": 1,
                                           "missing required value": 1, "unknown kind (use csat or nps)": 1}),
    "pagerduty before resolved_at": counts(2, 2),
}


@pytest.mark.parametrize("fixture", list(SIGNAL_FIXTURES))
def test_every_signal_and_answer_fixture(fixture, tmp_path):
    name, content, export_format = SIGNAL_FIXTURES[fixture]
    assert load(Case(write(tmp_path, name, content), export_format=export_format)) == SIGNAL_COUNTS[fixture]


def test_the_mapping_tests_files(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", mapping_tests.TICKETS_MAPPING))
    assert load(Case(write(tmp_path, "t.csv", mapping_tests.TICKETS_CSV), mapping=mapping)) == counts(3, 3, 1)
    assert load(Case(write(tmp_path, "log.csv", mapping_tests.EVENT_LOG), export_format="eventlog",
                     mapping=mapping_from_dict(mapping_tests.EVENT_MAPPING))) == counts(
        3, 2, reasons={"no valid event rows": 1}, events=(14, 12),
        events_reasons={"missing required value": 1, "unparseable timestamp": 1})


HEADER = "ticket_id,created_at,impact,segment,customers_affected,severity,owner_team,source,tags\n"
AWKWARD = {
    "empty": b"",
    "blank lines": b"\n\n  \n",
    "header only": HEADER.encode(),
    "semicolons under commas": (HEADER + "T1;2026-01-05 09:00;high;;;;;;\n").encode(),
    "semicolons": (HEADER.replace(",", ";") + "T1;2026-01-05 09:00;high;;;;;;\n").encode(),
    "bom": b"\xef\xbb\xbf" + (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n").encode(),
    "day and month first": (HEADER + "T1,25/12/2025 09:00,high,,,,,,\nT2,12/25/2025 09:00,high,,,,,,\n").encode(),
    "ambiguous dates": (HEADER + "T1,03/04/2026 09:00,high,,,,,,\n").encode(),
    "day first": (HEADER + "T1,03/04/2026 09:00,high,,,,,,\nT2,29/02/2028 1:30 PM,high,,,,,,\n").encode(),
    "zones": (HEADER + "T1,2026-07-01 10:00,high,,,,,,\nT2,2026-07-01T10:00:00Z,high,,,,,,\n"
              "T3,2026-07-01 10:00:00+02:00,high,,,,,,\nT4,2026-07-01 10:00 -0500,high,,,,,,\n"
              "T5,2026-01-15 10:00 UTC,high,,,,,,\nT6,2026-07-01,high,,,,,,\nT7,2026-07-01T10:00:00.250+0100,high,,,,,,\n"
              "T8,1969-12-31 23:00,high,,,,,,\nT9,2026-07-01 10:00 Europe/Paris,high,,,,,,\n").encode(),
    "multi-line": (HEADER + 'T1,2026-01-05 09:00,high,,,,,,"one\ntwo\nthree"\nT2,2026-01-05 09:00,urgent,,,,,,\n'
                   'T3,2026-01-05 09:00,low,,,,,,"a\r\nb"\n').encode(),
    "ragged": (HEADER + "T1,2026-01-05 09:00,high,,,,,,\nT2,2026-01-05 09:00,high,,,,,,,surplus\nT3,x\n"
               'T4,2026-01-05 09:00,"low,,,,,,\nT5,2026-01-05 09:00,low,,,,,,\n').encode(),
    "multi-line and ragged": (HEADER + 'T1,2026-01-05 09:00,high,,,,,,"a\nb"\nT2,2026,x\n'
                              'T3,2026-01-05 09:00,low,,,,,,"c\n\nd"\nT4,2026-01-05 09:00,low\n'
                              "T5,2026-01-05 09:00,low,,,,,,\n").encode(),
    "latin-1 row": (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n").encode()
    + "T2,2026-01-05 09:00,high,Caf\xe9,,,,,\n".encode("latin-1") + b"T3,2026-01-05 09:00,low,,,,,,\n",
    "utf-16": (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n").encode("utf-16"),
    "rows to judge": (HEADER + ",2026-01-05 09:00,high,,,,,,\nT2,,high,,,,,,\nT3,2026-01-05 09:00,,,,,,,\n"
                      "T4,2026-01-05 09:00,high,,-1,,,,\nT5,2026-01-05 09:00,high,,many,,,,\n"
                      "T6,2026-01-05 09:00,,,,melted,,,\nT7,2026-01-05 09:00,HIGH,,,,marketing,,\n"
                      "T8,2026-01-05 09:00,high,,,,,twitter,\nT9,2026-01-05 09:00,high,,,,,,\n"
                      "T9,2026-01-05 09:00,low,,,,,,\nT10,2026-01-05 09:00,low,,,,,,\nT10,2026-01-05 09:00,low,,,,,,\n"
                      "T11,2026-01-05 09:00,,,3,,,,\nT12,2026-01-05 09:00,high,,+7,,,,\n"
                      "T13,2026-01-05 09:00,high,, 7 ,,,,\nT14,2026-01-05 09:00,high,,1e2,,,,\n").encode(),
    "blank line inside": (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n\nT2,2026-01-05 09:00,high,,,,,,\n").encode(),
    "no final newline": (HEADER + "T1,2026-01-05 09:00,high,,,,,,").encode(),
    "carriage returns": (HEADER + "T1,2026-01-05 09:00,high,,,,,,\r\nT2,2026-01-05 09:00,low,,,,,,\r\n").encode(),
    "out of range": b"ticket_id,created_at,impact,acknowledged_at,resolved_at\nA,1969-12-31 20:00,high,,\n"
                    b"B,0001-01-01 00:00,high,,\nC,2026-01-05 09:00,high,2300-01-01 00:00,\n"
                    b"D,2026-01-05 09:00,high,2026-01-05 10:00,2026-01-05 08:00\nE,1970-01-01 00:00+00:00,low,,\n",
}
AWKWARD_COUNTS: dict[str, Any] = {
    "empty": "tickets t.csv: the file is empty",
    "blank lines": "tickets t.csv: the file is empty",
    "header only": "tickets t.csv: the file has a header but no data rows",
    "semicolons under commas": "tickets t.csv: none of its 1 data lines could be read (malformed line: missing "
                               "columns); is ',' the right delimiter?",
    "semicolons": counts(1, 1), "bom": counts(1, 1),
    "day and month first": "tickets t.csv: dates mix day-first (row 2: '25/12/2025 09:00') and month-first (row 3: "
                           "'12/25/2025 09:00'); set timestamp_format in a mapping file",
    "ambiguous dates": "tickets t.csv: dates like '03/04/2026 09:00' could be day-first or month-first; set "
                       "timestamp_format (e.g. '%d/%m/%Y %H:%M' or '%m/%d/%Y %H:%M') in a mapping file",
    "day first": counts(2, 2),
    "zones": counts(9, 8, reasons={"timestamp before 1970 or after 2199": 1}),
    "multi-line": counts(3, 2, reasons={"unknown impact value": 1}),
    "ragged": counts(5, 2, reasons={"malformed line: missing columns": 1, "malformed line: too many columns": 1,
                                    "unknown impact value": 1}),
    "multi-line and ragged": counts(5, 3, reasons={"malformed line: missing columns": 2}),
    "latin-1 row": counts(3, 2, reasons={"not UTF-8 text": 1}),
    "utf-16": "tickets t.csv: the header holds NUL bytes (the file is UTF-16: save it as UTF-8 CSV)",
    "rows to judge": counts(16, 9, 4, reasons={"duplicate ticket_id with conflicting values": 2,
                                               "missing required value": 2, "no impact and no rubric inputs": 2,
                                               "duplicate row": 1}),
    "blank line inside": counts(2, 2), "no final newline": counts(1, 1), "carriage returns": counts(2, 2),
    "out of range": counts(5, 1, reasons={"timestamp before 1970 or after 2199": 3, "resolved before created": 1}),
}


@pytest.mark.parametrize("name", list(AWKWARD))
def test_awkward_files(name, tmp_path):
    assert load(Case(write(tmp_path, "t.csv", AWKWARD[name]))) == AWKWARD_COUNTS[name]


def test_an_events_file_with_problems(tmp_path):
    events = ("ticket_id,at,field,value\nT1,2026-01-05 10:00,status,waiting_on_customer\n"
              "T1,2026-01-05 11:00,status,Reopened\nT1,2026-01-05 12:00,status,lunch\n"
              "T1,2026-01-05 12:00,priority,high\nT1,later,status,open\nT2,2026-01-05 12:00,status,open\n"
              "T1,2026-01-05 13:00,impact,critical\nT1,1960-01-01 00:00,status,open\nT1,,status,open\n"
              " T1 ,25/01/2026 14:00,OWNER_TEAM, Eng \n")
    got = load(Case(write(tmp_path, "t.csv", VALID_TICKETS.replace(b"F-1", b"T1")), write(tmp_path, "e.csv", events)))
    assert got == counts(3, 3, events=(10, 4), events_reasons={
        "missing required value": 1, "no accepted ticket with this id": 1, "timestamp before 1970 or after 2199": 1,
        "unknown event field": 1, "unknown status value": 1, "unparseable timestamp": 1})


# --- drawn files ----------------------------------------------------------------------------------------------

def _stamp(shape: str, year: int, month: int, day: int, hour: int, minute: int, second: int) -> str:
    hour12 = (hour % 12) or 12
    ampm = "AM" if hour < 12 else "PM"
    return shape.format(Y=f"{year:04d}", m=f"{month:02d}", d=f"{day:02d}", H=f"{hour:02d}", M=f"{minute:02d}",
                        S=f"{second:02d}", n=month, j=day, I=hour12, p=ampm, y=f"{year % 100:02d}")


STAMP_SHAPES = [
    "{Y}-{m}-{d}T{H}:{M}:{S}+00:00", "{Y}-{m}-{d}T{H}:{M}:{S}Z", "{Y}-{m}-{d} {H}:{M}:{S}+01:00",
    "{Y}-{m}-{d} {H}:{M} -0500", "{Y}-{m}-{d}T{H}:{M}:{S}.125+0530", "{Y}-{m}-{d} {H}:{M}:{S} UTC",
    "{Y}-{m}-{d}T{H}:{M}:{S}+02", "{Y}-{m}-{d} {H}:{M}", "{Y}-{m}-{d} {H}:{M}:{S}", "{Y}-{m}-{d}T{H}:{M}:{S}",
    "{Y}-{m}-{d}", "{Y}-{n}-{j} {H}:{M}", "{Y}-{m}-{d} {H}:{M}:{S}.250", "{d}/{m}/{Y} {H}:{M}", "{m}/{d}/{Y} {H}:{M}",
    "{j}/{n}/{Y} {I}:{M} {p}", "{n}/{j}/{Y} {I}:{M}:{S} {p}", "{d}/{m}/{Y}", "{d}-{m}-{Y} {H}:{M}",
    "{d}/{m}/{y} {H}:{M}", " {Y}-{m}-{d} {H}:{M} ", "{Y}-{m}-{d} {H}:{M} Europe/Paris", "{Y}-{m}-{d}T{H}:{M}",
]
BAD_STAMPS = ["", "yesterday", "2026-02-30 10:00", "2026-13-01", "31/02/2026 10:00", "0001-01-01", "1969-07-20 20:17",
              "2200-01-01 00:00+00:00", "9999-12-31 23:59:59", "2026-11-02 25:00", "1700000000", "?", "n/a", "-",
              "2026-11-02T10:00:00+25:00", "2026/11/02 10:00", "02.11.2026 10:00", "2026-11-02 10:00:00+01:00:00",
              "12/13/2026 10:00", "13/12/2026 10:00", "2026-11-02T10:00:00+0100 ", "２０２６-11-02"]


@st.composite
def stamps(draw: st.DrawFn, shape: Optional[str] = None) -> str:
    """A timestamp in the file's usual shape, another shape, or a bad one."""
    kind = draw(st.sampled_from(["usual"] * 12 + ["other", "bad"]))
    if kind == "bad":
        return draw(st.sampled_from(BAD_STAMPS))
    if kind == "other" or shape is None:
        shape = draw(st.sampled_from(STAMP_SHAPES))
    return _stamp(shape, draw(st.sampled_from([2025, 2026, 2026, 2026, 1999, 2199])), draw(st.integers(1, 12)),
                  draw(st.integers(1, 28)), draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59)))


WHOLE = st.sampled_from(["4", "4.5", "5.0", "-1", "0", "1e2", "+3", "007", " 5 ", "99999999999999999999", "many",
                         "", "3", "1", "12", "4.", ".5", "1_000", "0x10", "2147483648", "-0"])
BOOLS = st.sampled_from(["true", "False", "yes", "Y", "0", "1", "maybe", "", "TRUE", "n"])
TIER_WORDS = st.sampled_from(["critical", "high", "medium", "low", "High", "URGENT", "", "1 - Critical", "P1", "Normal",
                              "Urgent", "Low", "Highest", "3 - Moderate", "?"])
TEXT = st.sampled_from(["", "Support", "Eng", " padded ", "a,b", "x\ny", "Équipe", '"quoted"', "?", "n/a", "-",
                       "checkout enterprise", "Example Ltd", "=1+1"]) | cell
IDS = st.integers(1, 60).map(lambda n: f"T{n}") | st.sampled_from(["T1", " T1", "T1 ", "", "?", "t1", "1001"])


def column_values(column: str, shape: str) -> st.SearchStrategy[str]:
    if column.endswith("_at") or column in ("at", "opened", "when"):
        return stamps(shape)
    if column in ("customers_affected", "reopen_count", "csat", "score", "order", "minutes"):
        return WHOLE
    if column in ("regulatory", "workaround"):
        return BOOLS
    if column in ("impact", "severity", "priority"):
        return TIER_WORDS | st.sampled_from(["outage", "data_loss", "cosmetic", "melted", "SEV-1", "P2"])
    if column == "source":
        return st.sampled_from(["customer", "monitoring", "Email", "Monitoring", "twitter", "", "Web form"])
    if column in ("ticket_id", "signal_id", "account"):
        return IDS
    if column == "kind":
        return st.sampled_from(["csat", "nps", "NPS", "poll", ""])
    return TEXT


def _csv_cell(value: str, quote: bool, delimiter: str) -> str:
    if quote or any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def table_file(draw: st.DrawFn, header: list[str], kinds: Optional[list[str]] = None, rows: int = 12,
               ragged: bool = True) -> bytes:
    """A CSV of `header` with values drawn for each column's kind (its canonical name; by default its header):
    quoted or not, sometimes ragged, repeated or with a stray quote, in a drawn encoding."""
    kinds = kinds or [h.strip().lower() for h in header]
    shape = draw(st.sampled_from(STAMP_SHAPES))
    delimiter = draw(st.sampled_from([","] * 6 + [";", "\t"]))
    lines = [delimiter.join(_csv_cell(h, draw(st.booleans()), delimiter) for h in header)]
    for _ in range(draw(st.integers(1, rows))):
        values = [draw(column_values(kind, shape)) for kind in kinds]
        if ragged and draw(st.integers(0, 9)) == 0:
            values = values[:-1] if draw(st.booleans()) else [*values, "surplus"]
        line = delimiter.join(_csv_cell(v, draw(st.integers(0, 4)) == 0, delimiter) for v in values)
        if ragged and draw(st.integers(0, 29)) == 0:
            line = line.replace(delimiter, delimiter + '"', 1)  # a stray quote
        lines.append(line)
        if draw(st.integers(0, 19)) == 0:
            lines.append(lines[-1])  # a copy of the row
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from([newline, newline, ""]))
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


TICKET_HEADER_WORDS = ["ticket_id", "created_at", "impact", "segment", "customers_affected", "severity", "regulatory",
                       "workaround", "owner_team", "source", "detected_at", "started_at", "acknowledged_at",
                       "action_plan_at", "resolved_at", "reopen_count", "csat", "tags", "account", "incident_ref",
                       "Notes", "unmeasured", "Created_At", "ticket_id"]


@st.composite
def plain_tickets(draw: st.DrawFn) -> tuple[bytes, Optional[Mapping]]:
    rest = draw(st.lists(st.sampled_from(TICKET_HEADER_WORDS[3:]), max_size=9))
    header = ["ticket_id", "created_at", *(["impact"] if draw(st.integers(0, 4)) else []), *rest]
    return draw(table_file(header)), None


@st.composite
def mapped_tickets(draw: st.DrawFn) -> tuple[bytes, Optional[Mapping]]:
    """A ticket export with its own headers, some listed as several spellings, through a drawn mapping."""
    canon = ["ticket_id", "created_at", *draw(st.lists(st.sampled_from(
        ["impact", "customers_affected", "csat", "reopen_count", "resolved_at", "acknowledged_at", "owner_team",
         "account", "tags", "regulatory", "severity", "source", "detected_at"]), max_size=6, unique=True))]
    columns: dict[str, Any] = {}
    header: list[tuple[str, str]] = []
    for c in canon:
        names = [f"{c.title()} col", f"{c} alt", f"Their {c}"][:draw(st.integers(1, 3))]
        columns[c] = names[0] if len(names) == 1 else names
        present = draw(st.lists(st.sampled_from(names), min_size=1 if c in ("ticket_id", "created_at") else 0,
                                max_size=len(names), unique=True))
        header += [(name, c) for name in present]
    if draw(st.booleans()):
        header += [("Labels", "tags"), ("Labels", "tags")]
        columns.setdefault("tags", "Labels")
    data: dict[str, Any] = {"format": "tickets", "columns": columns}
    if draw(st.booleans()):
        data["null_values"] = draw(st.lists(st.sampled_from(["?", "n/a", "-", "none"]), min_size=1, max_size=2))
    if draw(st.booleans()):
        data["values"] = {"impact": {"P1": "critical", "1 - Critical": "critical", "Urgent": "critical",
                                     "Normal": "medium", "?": None},
                          "csat": {"good": "5", "bad": "1"}, "owner_team": {"Eng": "engineering"}}
        if draw(st.booleans()):
            data["values"]["source"] = {"*": "customer", "Monitoring": "monitoring"}
    if draw(st.booleans()):
        data["timestamp_format"] = draw(st.sampled_from(
            ["%d/%m/%Y %H:%M", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z"],
             ["%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S %z"]]))
    if draw(st.booleans()):
        data["separators"] = {"tags": " "}
    if draw(st.booleans()):
        header.append(("Reply minutes", "minutes"))
        data["durations"] = {"acknowledged_at": {"since": "created_at", "column": "Reply minutes",
                                                 "unit": draw(st.sampled_from(["minutes", "seconds", "hours"]))}}
    draw(st.randoms()).shuffle(header)
    return draw(table_file([h for h, _ in header], [k for _, k in header])), mapping_from_dict(data)


@st.composite
def events_beside(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([["ticket_id", "at", "field", "value"], ["at", "value", "ticket_id", "field"],
                                   ["ticket_id", "at", "field", "value", "seq", "note"]]))
    shape = draw(st.sampled_from(STAMP_SHAPES))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(1, 12))):
        field = draw(st.sampled_from(["status", "status", "impact", "owner_team", "Status", "priority", ""]))
        value = draw(st.sampled_from({"status": ["open", "waiting_on_customer", "resolved", "Reopened", "lunch", ""],
                                      "impact": ["critical", "High", "urgent", ""]}.get(field.lower(), ["Eng", " x "])))
        row = {"ticket_id": draw(st.sampled_from(["F-1", "F-2", "F-3", "F-9", "", " F-1"])), "at": draw(stamps(shape)),
               "field": field, "value": value, "seq": "1", "note": draw(TEXT)}
        lines.append(",".join(_csv_cell(row[h], False, ",") for h in header))
    return ("\n".join(lines) + "\n").encode()


EVENT_LOG_MAPPING = {
    "format": "events",
    "columns": {"ticket_id": "Case", "at": "When", "activity": "What", "impact": "Sev", "owner_team": "Team",
                "order": "Order", "csat": "Rating", "created_at": "Opened"},
    "values": {"impact": {"P1": "critical", "P2": "high", "P3": "medium"}},
    "activities": {"Opened": "created", "Agent replied": "acknowledged", "Pending customer": "waiting_on_customer",
                   "Customer replied": "open", "Plan posted": "action_plan", "Solved": "resolved",
                   "Reopened": "reopened", "Closed": "closed"},
}


@st.composite
def event_logs(draw: st.DrawFn) -> bytes:
    header = ["Case", "When", "What", *draw(st.lists(st.sampled_from(["Sev", "Team", "Order", "Rating", "Opened",
                                                                      "Extra"]), max_size=4, unique=True))]
    shape = draw(st.sampled_from(STAMP_SHAPES))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(1, 16))):
        row = {"Case": draw(st.sampled_from(["C1", "C2", "C3", ""])), "When": draw(stamps(shape)),
               "What": draw(st.sampled_from([*EVENT_LOG_MAPPING["activities"], "Internal note", ""])),
               "Sev": draw(st.sampled_from(["P1", "P2", "P3", "P9", ""])), "Team": draw(TEXT),
               "Order": draw(WHOLE), "Rating": draw(WHOLE), "Opened": draw(stamps(shape)), "Extra": draw(TEXT)}
        lines.append(",".join(_csv_cell(row[h], False, ",") for h in header))
    return ("\n".join(lines) + "\n").encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


@st.composite
def signal_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A plain signals CSV, or a PagerDuty / Opsgenie API answer, with drawn values."""
    shape = draw(st.sampled_from(STAMP_SHAPES))
    kind = draw(st.sampled_from(["plain", "pagerduty", "opsgenie", "answers"]))
    if kind == "plain":
        rest = draw(st.lists(st.sampled_from(["source", "started_at", "resolved_at", "severity", "ticket_id",
                                              "incident_ref", "title", "Notes"]), max_size=6, unique=True))
        return "alerts.csv", draw(table_file(["signal_id", "detected_at", *rest])), "plain"
    if kind == "answers":
        return "answers.csv", draw(table_file(["account", "at", "kind", "score"])), "plain"
    records = []
    for _ in range(draw(st.integers(1, 8))):
        if kind == "pagerduty":
            record = {"id": draw(IDS), "incident_number": draw(st.integers(1, 5)), "title": draw(TEXT),
                      "created_at": draw(stamps(shape)), "urgency": draw(st.sampled_from(["high", "low", "HIGH", ""])),
                      "service": {"summary": draw(TEXT)}}
            if draw(st.booleans()):
                record["resolved_at"] = draw(stamps(shape))
        else:
            record = {"id": draw(IDS), "tinyId": str(draw(st.integers(1, 5))), "message": draw(TEXT),
                      "createdAt": draw(stamps(shape)), "priority": draw(st.sampled_from(["P1", "P3", "P5", "", "P9"])),
                      "report": {"closeTime": draw(st.sampled_from([60503, -5, 0, "soon"]))}}
        records.append(record)
    return "export.json", json.dumps({"incidents" if kind == "pagerduty" else "data": records}).encode(), kind


@st.composite
def parquet_tickets(draw: st.DrawFn) -> list[tuple]:
    """Rows for a typed Parquet file: created_at typed (TIMESTAMPTZ or naive TIMESTAMP) or text."""
    return draw(st.lists(st.tuples(IDS, stamps("{Y}-{m}-{d} {H}:{M}:{S}"), TIER_WORDS, WHOLE), min_size=1, max_size=10))


@FUZZ
@given(drawn=plain_tickets() | mapped_tickets(), with_events=st.booleans(), events=events_beside())
def test_drawn_ticket_files(tmp_path_factory, drawn, with_events, events):
    folder = tmp_path_factory.mktemp("tickets")
    content, mapping = drawn
    load(Case(write(folder, "t.csv", content), write(folder, "e.csv", events) if with_events else None,
                     mapping=mapping))


ZENDESK_COLUMNS = [("Id", "ticket_id"), ("Created at", "created_at"), ("Priority", "impact"),
                   ("Organization", "account"), ("Organization Name", "account"), ("Tags", "tags"), ("Via", "source"),
                   ("Satisfaction Score", "csat"), ("Reopens", "reopen_count"),
                   ("First reply time in minutes", "minutes"), ("Solved at", "resolved_at")]


@FUZZ
@given(columns=st.lists(st.sampled_from(ZENDESK_COLUMNS[2:]), max_size=8), data=st.data())
def test_drawn_zendesk_files(tmp_path_factory, columns, data):
    header = [*ZENDESK_COLUMNS[:2], *columns]
    content = data.draw(table_file([h for h, _ in header], [k for _, k in header]))
    load(Case(write(tmp_path_factory.mktemp("zendesk"), "t.csv", content), export_format="zendesk"))


@FUZZ
@given(content=event_logs())
def test_drawn_event_logs(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("log")
    load(Case(write(folder, "log.csv", content), export_format="eventlog",
                     mapping=mapping_from_dict(EVENT_LOG_MAPPING)))


@FUZZ
@given(drawn=signal_files())
def test_drawn_signal_and_answer_files(tmp_path_factory, drawn):
    name, content, export_format = drawn
    load(Case(write(tmp_path_factory.mktemp("signals"), name, content), export_format=export_format))


@FUZZ
@given(rows=parquet_tickets(), typed=st.sampled_from(["TIMESTAMPTZ", "TIMESTAMP", "VARCHAR", "DATE"]),
       count=st.sampled_from(["BIGINT", "DOUBLE", "VARCHAR"]))
def test_drawn_parquet_files(tmp_path_factory, rows, typed, count):
    path = tmp_path_factory.mktemp("parquet") / "t.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    con.execute("CREATE TABLE t (ticket_id VARCHAR, created_at VARCHAR, impact VARCHAR, customers_affected VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    con.execute(f"""COPY (SELECT ticket_id, try_cast(created_at AS {typed}) AS created_at, impact,
                                 try_cast(customers_affected AS {count}) AS customers_affected FROM t)
                    TO '{path}' (FORMAT parquet)""")
    con.close()
    load(Case(path))


@FUZZ
@given(data=csvish(), source=st.sampled_from(["plain", "zendesk", "jira", "freshdesk", "servicenow", "intercom"]))
def test_the_robustness_fuzzers_text(tmp_path_factory, data, source):
    load(Case(write(tmp_path_factory.mktemp("csvish"), "t.csv", data), export_format=source))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_the_robustness_fuzzers_bytes(tmp_path_factory, data):
    load(Case(write(tmp_path_factory.mktemp("bytes"), "t.csv", data)))
