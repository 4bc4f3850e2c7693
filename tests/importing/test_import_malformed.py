"""The malformed-file corpus: each file gives a clear one-line message or clean rejects, never a
traceback and never a silent drop (accepted + rejected = rows read)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from sla_core.cli import main
from sla_core.ingest.loading import LoadError, load_files

from .helpers import accounted, rejects

HEADER = "ticket_id,created_at,impact,segment,customers_affected,severity,owner_team,source,tags\n"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def cli(path, tmp_path, capsys) -> tuple[int, str, str]:
    code = main(["import", str(path), "--db", str(tmp_path / "store.duckdb")])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("header_only.csv", HEADER.encode(), "header but no data rows"),
        ("semicolons_under_commas.csv",
         (HEADER + "T1;2026-01-05 09:00;high;;;;;;\nT2;2026-01-05 10:00;low;;;;;;\n").encode(),
         "none of its 2 data lines could be read"),
        ("no_ticket_id.csv", b"id,created_at,impact\n1,2026-01-05 09:00,high\n", "required column 'ticket_id'"),
        ("day_and_month_first.csv",
         (HEADER + "T1,25/12/2025 09:00,high,,,,,,\nT2,12/25/2025 09:00,high,,,,,,\n").encode(),
         "dates mix day-first \\(row 2: '25/12/2025 09:00'\\) and month-first \\(row 3: '12/25/2025 09:00'\\)"),
        ("ambiguous_dates.csv", (HEADER + "T1,03/04/2026 09:00,high,,,,,,\n").encode(),
         "could be day-first or month-first"),
    ],
)
def test_unusable_files_give_one_clear_line(name, content, message, con, policy, write, tmp_path, capsys):
    path = write(name, content)
    with pytest.raises(LoadError, match=message) as caught:
        load_files(con, path, None, policy)
    assert "\n" not in str(caught.value)
    assert name in str(caught.value)
    code, out, err = cli(path, tmp_path, capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_missing_file(con, policy, tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load_files(con, tmp_path / "nope.csv", None, policy)


def test_whole_file_with_another_delimiter_is_detected(con, policy, write):
    text = HEADER.replace(",", ";") + "T1;2026-01-05 09:00;high;;;;;;\n"
    report = load_files(con, write("semi.csv", text), None, policy)
    accounted(report)
    assert report.accepted == 1


def test_byte_order_mark_is_not_part_of_the_first_column(con, policy, write):
    report = load_files(con, write("bom.csv", b"\xef\xbb\xbf" + (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n").encode()),
                        None, policy)
    accounted(report)
    assert con.execute("SELECT ticket_id FROM tickets").fetchall() == [("T1",)]


def test_mixed_time_zones_keep_their_offsets(con, policy, write):
    text = HEADER + (
        "T1,2026-07-01 10:00,high,,,,,,\n"          # naive: Europe/London summer time (UTC+1)
        "T2,2026-07-01T10:00:00Z,high,,,,,,\n"      # UTC
        "T3,2026-07-01 10:00:00+02:00,high,,,,,,\n" # offset kept
        "T4,2026-07-01 10:00 -0500,high,,,,,,\n"
        "T5,2026-01-15 10:00,high,,,,,,\n"          # naive in winter: UTC+0
        "T6,2026-07-01,high,,,,,,\n"                # a date: local midnight
    )
    report = load_files(con, write("tz.csv", text), None, policy)
    accounted(report)
    assert report.rejected == 0
    got = dict(con.execute("SELECT ticket_id, created_at FROM tickets").fetchall())
    assert got == {
        "T1": utc("2026-07-01 09:00"),
        "T2": utc("2026-07-01 10:00"),
        "T3": utc("2026-07-01 08:00"),
        "T4": utc("2026-07-01 15:00"),
        "T5": utc("2026-01-15 10:00"),
        "T6": utc("2026-06-30 23:00"),
    }


def test_day_first_dates_are_recognised_over_the_whole_file(con, policy, write):
    text = HEADER + "T1,03/04/2026 09:00,high,,,,,,\nT2,29/02/2028 13:30,high,,,,,,\n"
    report = load_files(con, write("dayfirst.csv", text), None, policy)
    accounted(report)
    got = dict(con.execute("SELECT ticket_id, created_at FROM tickets").fetchall())
    assert got == {"T1": utc("2026-04-03 08:00"), "T2": utc("2028-02-29 13:30")}


def test_quoted_newlines_stay_in_the_value_and_row_numbers_follow_the_file(con, policy, write):
    text = HEADER + (
        'T1,2026-01-05 09:00,high,,,,,,"line one\nline two\nline three"\n'
        "T2,2026-01-05 09:00,urgent,,,,,,\n"
    )
    report = load_files(con, write("quoted.csv", text), None, policy)
    accounted(report)
    assert con.execute("SELECT tags FROM tickets").fetchall() == [("line one\nline two\nline three",)]
    assert rejects(con) == [(5, "impact", "urgent", "unknown impact value")]


def test_a_ten_column_row_in_a_nine_column_file_is_rejected_with_its_line(con, policy, write):
    text = HEADER + (
        "T1,2026-01-05 09:00,high,,,,,,\n"
        "T2,2026-01-05 09:00,high,,,,,,,surplus\n"
        "T3,2026-01-05 09:00,low,,,,,,\n"
    )
    report = load_files(con, write("ten.csv", text), None, policy)
    accounted(report)
    assert (report.rows_read, report.accepted, report.rejected) == (3, 2, 1)
    assert report.reasons == {"malformed line: too many columns": 1}
    assert rejects(con) == [(3, None, "T2,2026-01-05 09:00,high,,,,,,,surplus", "malformed line: too many columns")]


def test_non_utf8_bytes_reject_their_row_only(con, policy, write):
    data = (HEADER + "T1,2026-01-05 09:00,high,,,,,,\n").encode() + "T2,2026-01-05 09:00,high,Caf\xe9,,,,,\n".encode(
        "latin-1") + b"T3,2026-01-05 09:00,low,,,,,,\n"
    report = load_files(con, write("latin1.csv", data), None, policy)
    accounted(report)
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.reasons == {"not UTF-8 text": 1}
    assert rejects(con)[0][0] == 3


def test_a_row_is_rejected_only_when_it_cannot_be_judged(con, policy, write):
    text = HEADER + (
        ",2026-01-05 09:00,high,,,,,,\n"
        "T2,,high,,,,,,\n"
        "T3,2026-01-05 09:00,,,,,,,\n"
        "T4,2026-01-05 09:00,high,,-1,,,,\n"
        "T5,2026-01-05 09:00,high,,many,,,,\n"
        "T6,2026-01-05 09:00,,,,melted,,,\n"
        "T7,2026-01-05 09:00,high,,,,marketing,,\n"
        "T8,2026-01-05 09:00,high,,,,,twitter,\n"
        "T9,2026-01-05 09:00,high,,,,,,\n"
        "T9,2026-01-05 09:00,low,,,,,,\n"
        "T10,2026-01-05 09:00,low,,,,,,\n"
        "T10,2026-01-05 09:00,low,,,,,,\n"
        "T11,2026-01-05 09:00,,,3,,,,\n"
    )
    report = load_files(con, write("rows.csv", text), None, policy)
    accounted(report)
    assert rejects(con) == [
        (2, "ticket_id", None, "missing required value"),
        (3, "created_at", None, "missing required value"),
        (4, "impact", None, "no impact and no rubric inputs"),
        # the unknown severity is left empty, which leaves T6 with nothing to tier it by
        (7, "impact", None, "no impact and no rubric inputs"),
        (10, "ticket_id", "T9", "duplicate ticket_id with conflicting values"),
        (11, "ticket_id", "T9", "duplicate ticket_id with conflicting values"),
        (13, "ticket_id", "T10", "duplicate row"),
    ]
    # a bad value in a column no clock depends on keeps the row: typed values left empty, free text kept
    assert con.execute("SELECT ticket_id, customers_affected, owner_team, source FROM tickets ORDER BY ticket_id"
                       ).fetchall() == [("T10", None, None, None), ("T11", 3, None, None), ("T4", None, None, None),
                                        ("T5", None, None, None), ("T7", None, "marketing", None),
                                        ("T8", None, None, None)]
    assert con.execute('SELECT row_number, "column", value, problem FROM cleared').fetchall() == [
        (5, "customers_affected", "-1", "negative count"),
        (6, "customers_affected", "many", "not a whole number"),
        (9, "source", "twitter", "unknown source value"),
    ]
    assert report.cleared == {
        "customers_affected: negative count (e.g. '-1'), left empty; use a whole number of customers": 1,
        "customers_affected: not a whole number (e.g. 'many'), left empty; use a whole number of customers": 1,
        "source: unknown source value (e.g. 'twitter'), left empty; map it with `values: {source: "
        "{\"your value\": customer}}`": 1,
    }


def test_events_file_problems_are_rejects_too(con, policy, write):
    tickets = write("t.csv", HEADER + "T1,2026-01-05 09:00,high,,,,,,\n")
    events = write("e.csv", (
        "ticket_id,at,field,value\n"
        "T1,2026-01-05 10:00,status,waiting_on_customer\n"
        "T1,2026-01-05 11:00,status,Reopened\n"
        "T1,2026-01-05 12:00,status,lunch\n"
        "T1,2026-01-05 12:00,priority,high\n"
        "T1,later,status,open\n"
        "T2,2026-01-05 12:00,status,open\n"
        "T1,2026-01-05 13:00,impact,critical\n"
    ))
    report = load_files(con, tickets, events, policy)
    accounted(report)
    assert (report.events_rows_read, report.events_accepted, report.events_rejected) == (7, 3, 4)
    assert con.execute("SELECT field, value FROM events ORDER BY seq").fetchall() == [
        ("status", "waiting_on_customer"), ("status", "open"), ("impact", "critical")]
    assert rejects(con) == [
        (4, "value", "lunch", "unknown status value"),
        (5, "field", "priority", "unknown event field"),
        (6, "at", "later", "unparseable timestamp"),
        (7, "ticket_id", "T2", "no accepted ticket with this id"),
    ]


def test_parquet_is_read_by_duckdb_with_row_positions(con, policy, tmp_path):
    path = tmp_path / "t.parquet"
    src = duckdb.connect()
    src.execute(
        "COPY (SELECT * FROM (VALUES ('P1', TIMESTAMP '2026-07-01 10:00', 'high', 3), "
        "('P2', TIMESTAMP '2026-07-01 11:00', 'nope', 1)) v(ticket_id, created_at, impact, customers_affected)) "
        "TO ? (FORMAT parquet)", [str(path)])
    src.close()
    report = load_files(con, path, None, policy)
    accounted(report)
    # P2's impact is unknown, but it has a rubric input: kept, its impact left empty for the rubric to tier
    assert con.execute("SELECT ticket_id, created_at, impact, customers_affected FROM tickets").fetchall() == [
        ("P1", utc("2026-07-01 09:00"), "high", 3), ("P2", utc("2026-07-01 10:00"), None, 1)]
    assert rejects(con) == []
    assert con.execute('SELECT row_number, "column", value FROM cleared').fetchall() == [(2, "impact", "nope")]


def test_timestamps_outside_1970_to_2199_are_rejected_with_their_reason(con, policy, write):
    # The clocks count microseconds and calendar days from 1970: earlier (or absurdly late)
    # instants would be bucketed into the wrong day, so they are refused, not judged wrongly.
    tickets = write("t.csv", "ticket_id,created_at,impact,acknowledged_at\n"
                              "A,1969-12-31 20:00,high,\n"
                              "B,0001-01-01 00:00,high,\n"
                              "C,2026-01-05 09:00,high,2300-01-01 00:00\n"
                              "D,2026-01-05 09:00,high,2026-01-05 10:00\n"
                              "E,1970-01-01 00:00+00:00,low,2199-12-31 23:59+00:00\n")
    events = write("e.csv", "ticket_id,at,field,value\n"
                            "D,1960-01-01 00:00,status,open\n"
                            "D,2026-01-05 09:30,status,waiting_on_customer\n")
    report = load_files(con, tickets, events, policy)
    accounted(report)
    why = "timestamp before 1970 or after 2199"
    assert rejects(con) == [  # tickets first, then events
        (2, "created_at", "1969-12-31 20:00", why),
        (3, "created_at", "0001-01-01 00:00", why),
        (4, "acknowledged_at", "2300-01-01 00:00", why),
        (2, "at", "1960-01-01 00:00", why),
    ]
    assert sorted(r[0] for r in con.execute("SELECT ticket_id FROM tickets").fetchall()) == ["D", "E"]
    assert report.reasons == {why: 3} and report.events_reasons == {why: 1}
