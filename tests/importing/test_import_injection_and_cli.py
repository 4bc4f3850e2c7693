"""SQL text in a file stays data; the import command prints its counts; rejects files are spreadsheet-safe."""

from __future__ import annotations

import csv

import duckdb
import pytest

from sla_core.cli import main
from sla_core.csv_safe import escape_formula_sql, write_csv_safe
from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import mapping_from_dict
from sla_core.sqlutil import quote_ident

from .helpers import FIXTURES, accounted

EVIL_COLUMN = 'x"; DROP TABLE tickets; --'
EVIL_VALUE = "Robert'); DROP TABLE tickets;--"


def test_quote_ident_doubles_quotes():
    assert quote_ident("plain") == '"plain"'
    assert quote_ident('a"b') == '"a""b"'
    assert quote_ident(EVIL_COLUMN) == '"x""; DROP TABLE tickets; --"'
    with pytest.raises(ValueError):
        quote_ident("nul\x00byte")


def test_sql_in_column_names_and_values_stays_data(con, policy, write):
    header = f'ticket_id,created_at,impact,"{EVIL_COLUMN.replace(chr(34), chr(34) * 2)}",\'; DELETE FROM rejects; --\n'
    rows = (
        f'"{EVIL_VALUE}",2026-01-05 09:00,high,"{EVIL_VALUE}",1\n'
        f"T2,2026-01-05 09:00,\"high'; DROP TABLE events; --\",x,2\n"
    )
    report = load_files(con, write("evil.csv", header + rows), None, policy)
    accounted(report)
    assert (report.accepted, report.rejected) == (1, 1)
    assert con.execute(f"SELECT ticket_id, {quote_ident(EVIL_COLUMN)} FROM tickets").fetchall() == [
        (EVIL_VALUE, EVIL_VALUE)]
    assert con.execute("SELECT value, reason FROM rejects").fetchall() == [
        ("high'; DROP TABLE events; --", "unknown impact value")]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"tickets", "events", "rejects"} <= tables


def test_sql_in_a_mapping_stays_data(con, policy, write):
    mapping = mapping_from_dict({
        "columns": {"ticket_id": EVIL_COLUMN, "created_at": "when'; DROP TABLE x; --"},
        "values": {"impact": {"'; DROP TABLE tickets; --": "critical"}},
        "null_values": ["'); DROP TABLE tickets; --"],
        "timestamp_format": "%Y-%m-%d %H:%M'; DROP TABLE tickets; --",
    })
    header = f'"{EVIL_COLUMN.replace(chr(34), chr(34) * 2)}",when\'; DROP TABLE x; --,impact\n'
    body = "A,2026-01-05 09:00'; DROP TABLE tickets; --,'; DROP TABLE tickets; --\n"
    report = load_files(con, write("evil2.csv", header + body), None, policy, mapping=mapping)
    accounted(report)
    assert con.execute("SELECT ticket_id, impact FROM tickets").fetchall() == [("A", "critical")]


def test_formula_cells_are_escaped_in_csv_downloads(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('=1+1', '+cmd', '-2', '@SUM(A1)', 'fine', ' =x')) "
                "v(a, b, c, d, e, f)")
    path = tmp_path / "out.csv"
    assert write_csv_safe(con, "t", path) == 1
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "fine", " =x"]
    assert con.execute(f"SELECT {escape_formula_sql(chr(39) + chr(9) + '=x' + chr(39))}").fetchone() == ("'\t=x",)


def test_csv_rows_are_sorted_by_values_not_by_escaped_cells(tmp_path):
    # "=0000" sorts after "0001" ('=' > '0') but is written "'=0000", which would sort first as
    # text; the file keeps the order of the values, as the Parquet output and the table do.
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('0001', 2), ('=0000', 1)) v(ticket_id, n)")
    path = tmp_path / "out.csv"
    write_csv_safe(con, "t", path, order_by=("ticket_id",))
    with path.open(newline="", encoding="utf-8") as fh:
        assert [r[0] for r in csv.reader(fh)][1:] == ["0001", "'=0000"]
    write_csv_safe(con, "t", path, order_by=("n DESC",))
    with path.open(newline="", encoding="utf-8") as fh:
        assert [r[1] for r in csv.reader(fh)][1:] == ["2", "1"]
    with pytest.raises(ValueError, match="order_by term"):
        write_csv_safe(con, "t", path, order_by=("n; DROP TABLE t",))


def test_numbers_stay_numbers_in_csv_downloads(tmp_path):
    # An overdue ticket's time left is negative: a spreadsheet must read it as a number, while the
    # same characters in a text column are still escaped.
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT -3600.5::DOUBLE AS time_left_seconds, -2::BIGINT AS n, '-2' AS note")
    path = tmp_path / "out.csv"
    write_csv_safe(con, "t", path)
    with path.open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1] == ["-3600.5", "-2", "'-2"]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(["import", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_command_prints_counts_and_writes_safe_rejects(tmp_path, write, capsys):
    tickets = write("t.csv", "ticket_id,created_at,impact\nT1,2026-01-05 09:00,high\n"
                             "=HYPERLINK(\"http://x\"),2026-01-05 09:00,nope\nT1,2026-01-05 09:00,high\n")
    db, rejected = tmp_path / "s.duckdb", tmp_path / "rejects.csv"
    code, out, err = run_cli([str(tickets), "--db", str(db), "--rejects", str(rejected)], capsys)
    assert code == 0, err
    assert "rows read 3, accepted 1, rejected 2" in out
    assert "1 x unknown impact value" in out and "1 x duplicate row" in out
    assert "tickets new 1, updated 0, unchanged 0" in out
    with rejected.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reason"] for r in rows] == ["unknown impact value", "duplicate row"]
    assert rows[0]["ticket_id"] == "'=HYPERLINK(\"http://x\")"
    code, out, _ = run_cli([str(tickets), "--db", str(db)], capsys)
    assert "tickets new 0, updated 0, unchanged 1" in out


def test_import_command_event_log_needs_mapping(tmp_path, capsys):
    code, out, err = run_cli([str(FIXTURES / "servicenow_audit.csv"), "--source", "eventlog",
                              "--db", str(tmp_path / "s.duckdb")], capsys)
    assert code == 2 and "--mapping" in err and out == ""


def test_import_command_with_a_preset_and_a_mapping_file(tmp_path, capsys):
    from sla_core.ingest.mapping import PRESET_DIR

    code, out, err = run_cli([str(FIXTURES / "servicenow_audit.csv"), "--source", "eventlog",
                              "--mapping", str(PRESET_DIR / "servicenow_audit.yaml"),
                              "--db", str(tmp_path / "s.duckdb")], capsys)
    assert code == 0, err
    assert "event rows read 13, accepted 12, rejected 1" in out
    assert "tickets seen 3, accepted 2, rejected 1" in out


def test_import_command_bad_mapping_is_one_line(tmp_path, write, capsys):
    mapping = write("m.yaml", "format: tickets\ncolumns: {nope: x}\n")
    code, out, err = run_cli([str(FIXTURES / "zendesk_tickets.csv"), "--mapping", str(mapping),
                              "--db", str(tmp_path / "s.duckdb")], capsys)
    assert code == 2 and err.count("\n") == 1 and "nope not a canonical column" in err


def test_python_dash_m_sla_core_import(tmp_path):
    import os
    import subprocess
    import sys

    from .helpers import ROOT

    db = tmp_path / "s.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "sla_core", "import", str(FIXTURES / "zendesk_tickets.csv"), "--source", "zendesk",
         "--db", str(db)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "rows read 4, accepted 3, rejected 1" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "sla_core", "import", str(tmp_path / "missing.csv"), "--db", str(db)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert bad.returncode != 0
    assert "no such file" in bad.stderr and "Traceback" not in bad.stderr


def test_upload_bytes_and_file_objects(con, policy):
    import io

    from sla_core.ingest.loading import load_upload

    data = (FIXTURES / "freshdesk_tickets.csv").read_bytes()
    report = load_upload(con, data, "export.csv", policy, export_format="freshdesk")
    accounted(report)
    assert report.accepted == 3
    report = load_upload(con, io.BytesIO(b"ticket_id,created_at,impact\nU1,2026-01-05 09:00,low\n"),
                         "../../etc/passwd", policy)
    assert con.execute("SELECT ticket_id FROM tickets").fetchall() == [("U1",)]
