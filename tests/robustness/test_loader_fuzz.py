"""Any bytes given to the CSV loader end in an accounted load or one LoadError line: never a traceback, never a hang.

Three shapes of input: raw bytes; CSV-ish text built from real column names
(canonical and every vendor preset's) and nasty values (quotes, delimiters,
newlines, NULs, formulas, SQL, huge numbers) read through a random preset;
and a valid tickets file with such an events file beside it. A watchdog
interrupts the DuckDB connection if one load runs for more than
HANG_SECONDS, so a hang fails the test instead of blocking the run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import duckdb
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from sla_core.columns import FILE_COLUMNS as TICKET_COLUMNS
from sla_core.ingest.loading import LoadError, LoadReport, load_files
from sla_core.ingest.mapping import preset
from sla_core.policy import load_policy
from sla_core.vocab import EVENT_FIELDS, STATUSES, TIERS
from tests.conftest import SAMPLE_POLICY

POLICY = load_policy(SAMPLE_POLICY)
HANG_SECONDS = 60
# The deadline is per example; generous because the machine is shared, tight enough to catch a crawl.
SETTINGS = settings(max_examples=60, deadline=15_000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                              HealthCheck.too_slow])
FUZZED_FORMATS = ("plain", "zendesk", "jira", "freshdesk", "servicenow")
PRESET_COLUMNS = sorted({
    column
    for name in ("zendesk", "jira", "freshdesk", "servicenow_incidents", "servicenow_audit")
    for column in [*(n for canonical in preset(name).columns for n in preset(name).names(canonical)),
                   *(d.column for d in preset(name).durations.values())]
})
HEADER_WORDS = [*TICKET_COLUMNS, *PRESET_COLUMNS, "at", "field", "value", "", "ticket_id", "created_at"]

nasty_text = st.sampled_from([
    "", " ", '"', '""', "'", ",", ";", "\t", "|", "\n", "\r\n", "\x00", "\ufeff", "é", "🙂", "NULL", "null",
    "=1+1", "@SUM(A1)", "+cmd", "-2", "'); DROP TABLE tickets; --", '" OR 1=1 --', "\\", "%s", "{}", "?",
    "9" * 40, "-1", "0", "1e309", "NaN", "true", "yes", "2026-02-30", "2026-11-02 10:00", "2026-11-02T10:00:00+01:00",
    "02/11/2026 10:00", "11/02/2026", "yesterday", "2026-13-01", "0001-01-01", "9999-12-31 23:59:59",
    "1 - Critical", "Urgent", "P1", "Highest",
    *TIERS, *STATUSES, *EVENT_FIELDS,
])
cell = nasty_text | st.text(max_size=12) | st.integers(-10**12, 10**12).map(str)


def _quoted(value: str, quote: bool) -> str:
    return '"' + value.replace('"', '""') + '"' if quote else value


@st.composite
def csvish(draw: st.DrawFn, header_words: list[str] = HEADER_WORDS) -> bytes:
    """A header of real-looking column names and rows of hostile cells, some quoted, some ragged."""
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(header_words) | st.text(max_size=8), min_size=1, max_size=8))
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        rows.append([_quoted(draw(cell), draw(st.booleans())) for _ in range(max(width, 0))])
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [delimiter.join(_quoted(h, draw(st.booleans())) for h in header)] + [delimiter.join(r) for r in rows]
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


VALID_TICKETS = (
    b"ticket_id,created_at,impact,acknowledged_at,resolved_at\n"
    b"F-1,2026-11-02 10:00,critical,2026-11-02 10:10,2026-11-02 15:00\n"
    b"F-2,2026-11-03 10:00,high,,\n"
    b"F-3,2026-11-04 10:00,medium,2026-11-04 11:00,\n"
)


def _accounted(con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
    assert report.accepted + report.rejected == report.rows_read
    assert report.events_accepted + report.events_rejected == report.events_rows_read
    assert sum(report.reasons.values()) == report.rejected
    assert sum(report.events_reasons.values()) == report.events_rejected
    # The tables hold exactly what the report says, and every reject names its row.
    assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] == report.accepted
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == report.events_accepted
    counts = dict(con.execute("SELECT file, count(*) FROM rejects GROUP BY file").fetchall())
    assert counts.get("tickets", 0) == report.rejected and counts.get("events", 0) == report.events_rejected
    assert con.execute("SELECT count(*) FROM rejects WHERE row_number IS NULL OR row_number < 1").fetchone()[0] == 0


def load_or_refuse(folder: Path, tickets: bytes, events: Optional[bytes] = None, source: str = "plain") -> None:
    """Load the bytes; pass on an accounted report or a one-line LoadError, fail on anything else or a hang."""
    folder.mkdir(parents=True, exist_ok=True)
    tickets_path = folder / "tickets.csv"
    tickets_path.write_bytes(tickets)
    events_path = None
    if events is not None:
        events_path = folder / "events.csv"
        events_path.write_bytes(events)
    con = duckdb.connect()
    timed_out = threading.Event()

    def interrupt() -> None:
        timed_out.set()
        con.interrupt()

    watchdog = threading.Timer(HANG_SECONDS, interrupt)
    watchdog.start()
    try:
        report = load_files(con, tickets_path, events_path, POLICY, export_format=source)
    except LoadError as err:
        message = str(err)
        assert message and "\n" not in message and "Traceback" not in message, repr(message)
    except BaseException:
        if timed_out.is_set():
            raise AssertionError(f"load_files ran past {HANG_SECONDS} s on {tickets[:200]!r}") from None
        raise
    else:
        _accounted(con, report)
    finally:
        watchdog.cancel()
        con.close()


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_any_bytes(tmp_path_factory, data):
    load_or_refuse(tmp_path_factory.mktemp("bytes"), data)


@SETTINGS
@given(data=csvish(), source=st.sampled_from(FUZZED_FORMATS))
def test_csvish_text_through_every_preset(tmp_path_factory, data, source):
    load_or_refuse(tmp_path_factory.mktemp("csvish"), data, source=source)


@SETTINGS
@given(events=st.binary(max_size=1500) | csvish(["ticket_id", "at", "field", "value", "seq", "F-1", ""]))
def test_any_events_file_beside_valid_tickets(tmp_path_factory, events):
    load_or_refuse(tmp_path_factory.mktemp("events"), VALID_TICKETS, events)


def test_the_checks_bite_on_a_known_good_and_a_known_bad_file(tmp_path):
    """The harness: a mixed file is accounted row by row, two NUL bytes are refused in one line."""
    con = duckdb.connect()
    (tmp_path / "mixed.csv").write_bytes(VALID_TICKETS + b"F-4,not a date,high,,\n")
    report = load_files(con, tmp_path / "mixed.csv", None, POLICY)
    assert (report.rows_read, report.accepted, report.rejected) == (4, 3, 1)
    _accounted(con, report)
    (tmp_path / "nul.csv").write_bytes(b"\x00\x01")
    with pytest.raises(LoadError) as refused:
        load_files(con, tmp_path / "nul.csv", None, POLICY)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_export_is_loaded_or_refused_in_one_line(tmp_path, encoding):
    """Excel's "Unicode text" export: NUL bytes in every header name (found by the fuzzer above)."""
    text = VALID_TICKETS.decode().replace(",", "\t") if encoding != "utf-16" else VALID_TICKETS.decode()
    (tmp_path / "tickets.csv").write_bytes(text.encode(encoding))
    with pytest.raises(LoadError) as refused:  # with a byte-order mark or without one, the same plain advice
        load_files(duckdb.connect(), tmp_path / "tickets.csv", None, POLICY)
    assert str(refused.value) == "tickets tickets.csv: the header holds NUL bytes (the file is UTF-16: save it as UTF-8 CSV)"
