"""Plain helpers shared by the import tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sla_core.ingest.loading import LoadReport

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def accounted(report: LoadReport) -> None:
    """The contract of every load: nothing lost, nothing invented."""
    assert report.accepted + report.rejected == report.rows_read
    assert report.events_accepted + report.events_rejected == report.events_rows_read
    assert sum(report.reasons.values()) == report.rejected
    assert sum(report.events_reasons.values()) == report.events_rejected


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        'SELECT row_number, "column", value, reason FROM rejects ORDER BY file DESC, row_number'
    ).fetchall()
