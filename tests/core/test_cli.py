"""`python -m sla_core evaluate` as scripts call it: files in, one row per ticket and metric out."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SAMPLE_POLICY

REQUIRED = ["ticket_id", "metric", "tier", "calendar", "target_seconds", "elapsed_seconds", "due_at", "stopped_at", "state"]


def sla(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sla_core", *args], cwd=ROOT, capture_output=True, text=True)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def small_files(tmp_path: Path) -> tuple[Path, Path]:
    # Naive timestamps are read in the policy timezone (Europe/London; summer = +01:00).
    tickets = write(
        tmp_path / "tickets.csv",
        "ticket_id,created_at,impact,segment,acknowledged_at,resolved_at\n"
        "A-1,2026-07-06 09:00:00,high,enterprise,2026-07-06 10:30:00,2026-07-07 12:00:00\n"
        "A-2,2026-07-06 09:00:00,critical,self_serve,,\n"
        "A-3,2026-07-06 09:00:00,medium,enterprise,2026-07-06 09:05:00+00:00,\n",
    )
    events = write(
        tmp_path / "events.csv",
        "ticket_id,at,field,value\nA-3,2026-07-06 12:00:00,status,waiting_on_customer\n",
    )
    return tickets, events


def test_evaluate_writes_one_row_per_ticket_and_metric(tmp_path, small_files):
    tickets, events = small_files
    out = tmp_path / "results.csv"
    done = sla("evaluate", "--tickets", str(tickets), "--events", str(events), "--as-of", "2026-07-06T12:30:00+01:00", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 9
    assert set(REQUIRED) <= set(rows[0])
    by = {(r["ticket_id"], r["metric"]): r for r in rows}
    # High, business hours: 09:00 -> 10:30 is 1.5h of a 2h target, due 11:00 local (+01:00).
    assert by[("A-1", "acknowledge")]["state"] == "met"
    assert by[("A-1", "acknowledge")]["due_at"] == "2026-07-06T11:00:00+01:00"
    assert by[("A-1", "acknowledge")]["stopped_at"] == "2026-07-06T10:30:00+01:00"
    assert float(by[("A-1", "acknowledge")]["elapsed_seconds"]) == 5400
    # Critical, 24x7, 30 min, not acknowledged by 12:30: breached, empty stopped_at.
    assert by[("A-2", "acknowledge")]["state"] == "breached"
    assert by[("A-2", "acknowledge")]["stopped_at"] == ""
    # An offset timestamp keeps its offset: 09:05 UTC is 10:05 London.
    assert by[("A-3", "acknowledge")]["stopped_at"] == "2026-07-06T10:05:00+01:00"
    assert by[("A-3", "resolution")]["state"] == "paused"
    assert by[("A-2", "resolution")]["state"] == "untimed"
    assert "rows read 3, accepted 3, rejected 0" in done.stderr


def test_evaluate_writes_parquet(tmp_path, small_files):
    tickets, events = small_files
    out = tmp_path / "results.parquet"
    done = sla("evaluate", "--tickets", str(tickets), "--as-of", "2026-07-06T12:30:00+01:00", "--out", str(out))
    assert done.returncode == 0, done.stderr
    got = duckdb.connect().execute("SELECT count(*), count(DISTINCT ticket_id) FROM read_parquet(?)", [str(out)]).fetchone()
    assert got == (9, 3)


def test_evaluate_reports_rejected_rows(tmp_path):
    tickets = write(
        tmp_path / "tickets.csv",
        "ticket_id,created_at,impact\nB-1,2026-07-06 09:00:00,high\nB-2,not a date,high\nB-3,2026-07-06 09:00:00,urgent\n",
    )
    out = tmp_path / "r.csv"
    done = sla("evaluate", "--tickets", str(tickets), "--as-of", "2026-07-07T00:00:00+00:00", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "rows read 3, accepted 1, rejected 2" in done.stderr
    assert len(list(csv.DictReader(out.open()))) == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tickets", "missing.csv"], "missing.csv"),
        (["--tickets", "{tickets}", "--policy", "{bad_policy}"], "tiers.high.acknowledge"),
        (["--tickets", "{tickets}", "--as-of", "next tuesday"], "--as-of"),
        (["--tickets", "{empty}"], "empty"),
    ],
)
def test_evaluate_fails_with_one_line(tmp_path, small_files, args, message):
    bad_policy = tmp_path / "policy.yaml"
    bad_policy.write_text(SAMPLE_POLICY.read_text().replace("acknowledge: 2h", "acknowledge: 2 hours"))
    (tmp_path / "playbooks").symlink_to(SAMPLE_POLICY.parent / "playbooks")
    empty = write(tmp_path / "empty.csv", "")
    filled = [a.format(tickets=small_files[0], bad_policy=bad_policy, empty=empty) for a in args]
    done = sla("evaluate", *filled, "--out", str(tmp_path / "r.csv"))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_result_csv_escapes_every_text_cell_and_keeps_numbers(tmp_path: Path) -> None:
    # A calendar is named in the policy, so its name is someone's text like a ticket id: both are
    # escaped when they would start a formula; a negative time left stays a number; timestamps
    # are ISO 8601 in the zone asked for.
    from sla_core.clocks.engine import RESULT_COLUMNS
    from sla_core.present.results_file import write_results

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE r AS SELECT '=HYPERLINK(1)' AS ticket_id, 'acknowledge' AS metric, 'high' AS tier, "
        "'high' AS initial_tier, '-seg' AS segment, '@team' AS owner_team, 'unassigned' AS discipline, "
        "NULL::VARCHAR AS route, "
        "TIMESTAMPTZ '2026-07-06 08:00:00+00' AS created_at, '+cal' AS calendar, 7200 AS target_seconds, "
        "9000.0 AS elapsed_seconds, 0.0 AS paused_seconds, TIMESTAMPTZ '2026-07-06 10:00:00+00' AS due_at, "
        "NULL::TIMESTAMPTZ AS stopped_at, 'breached' AS state, -1800.0 AS time_left_seconds, "
        "NULL::VARCHAR AS untimed_reason"
    )
    out = tmp_path / "r.csv"
    assert write_results(con, "r", out, "Europe/London") == 1
    with out.open(newline="") as fh:
        row = next(csv.DictReader(fh))
    assert list(row) == list(RESULT_COLUMNS)
    assert (row["ticket_id"], row["segment"], row["owner_team"], row["calendar"]) == (
        "'=HYPERLINK(1)", "'-seg", "'@team", "'+cal")
    assert (row["time_left_seconds"], row["target_seconds"]) == ("-1800.0", "7200")
    assert (row["created_at"], row["due_at"], row["stopped_at"]) == ("2026-07-06T09:00:00+01:00", "2026-07-06T11:00:00+01:00", "")


def test_evaluate_prints_its_phases_and_holds_to_a_memory_limit(tmp_path, small_files):
    tickets, events = small_files
    out = tmp_path / "results.csv"
    done = sla("evaluate", "--tickets", str(tickets), "--events", str(events), "--as-of", "2026-07-06T12:30:00+01:00",
               "--memory-limit", "256MB", "--out", str(out))
    assert done.returncode == 0, done.stderr
    phases = [line.split(":")[0] for line in done.stderr.splitlines() if line.endswith(" s)")]
    assert phases == ["read", "judged", "written"], done.stderr
    assert "read: 3 tickets, 1 events (" in done.stderr and "written: 9 rows to" in done.stderr
    assert len(list(csv.DictReader(out.open()))) == 9


@pytest.mark.parametrize("given", ["--memory-limit=lots", "env"])
def test_a_memory_limit_that_is_not_a_size_is_one_line(tmp_path, small_files, given, monkeypatch):
    args = ["evaluate", "--tickets", str(small_files[0]), "--out", str(tmp_path / "r.csv")]
    if given == "env":
        monkeypatch.setenv("SLA_BOARD_MEMORY_LIMIT", "half")
    else:
        args.insert(1, given)
    done = sla(*args)
    assert done.returncode == 2
    where = "SLA_BOARD_MEMORY_LIMIT 'half'" if given == "env" else "--memory-limit 'lots'"
    assert done.stderr.strip() == f"error: {where}: give a size such as 2GB, 1.5GiB or 512MB"


def test_a_connection_draws_no_progress_bar_into_a_command_output():
    """DuckDB draws a progress bar on stdout for a query past two seconds (a 1M `evaluate`): noise in a cron log."""
    from sla_core.sqlutil import connect

    con = connect()
    try:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
    finally:
        con.close()
