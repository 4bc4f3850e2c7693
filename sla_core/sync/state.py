"""`sync_state`: each source's cursor and its last runs, kept in the store beside the data they describe.

One row per source. `cursor` is written only in the transaction that stores its page (run.py), so the store
never holds a cursor past data it lacks, nor data its cursor will fetch again without upserting it. The
other columns say how fresh the data is (`freshness`, for the app's sidebar): the last run, the last good run
(one that reached the end of what the tool had), and the last failure's one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import duckdb

from sla_core.ingest.store import open_store
from sla_core.sqlutil import fetch_one
from sla_core.sync.config import SyncConfig
from sla_core.sync.pages import Cursor

SYNC_STATE_DDL = """CREATE TABLE IF NOT EXISTS {db}sync_state (
    source VARCHAR NOT NULL, tool VARCHAR NOT NULL, cursor VARCHAR, cursor_at TIMESTAMPTZ,
    last_run_at TIMESTAMPTZ, last_ok_at TIMESTAMPTZ, last_error VARCHAR, schedule_seconds DOUBLE,
    judge_pending BOOLEAN NOT NULL DEFAULT false)"""
STALE_AFTER = 3  # schedules without a good run before the app warns


def ensure(con: duckdb.DuckDBPyConnection, db: str = "st") -> None:
    con.execute(SYNC_STATE_DDL.format(db=f"{db}." if db else ""))


def _row(con: duckdb.DuckDBPyConnection, name: str, tool: str, db: str) -> None:
    con.execute(f"INSERT INTO {db}.sync_state (source, tool) SELECT ?, ? WHERE NOT EXISTS "
                f"(SELECT 1 FROM {db}.sync_state WHERE source = ?)", [name, tool, name])


def read_cursor(con: duckdb.DuckDBPyConnection, name: str, db: str = "st") -> Optional[Cursor]:
    row = con.execute(f"SELECT cursor FROM {db}.sync_state WHERE source = ?", [name]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def save_cursor(con: duckdb.DuckDBPyConnection, name: str, tool: str, cursor: Cursor, at: datetime, *,
                changed_tickets: bool, db: str = "st") -> bool:
    """Advance the source's cursor (inside the caller's transaction); whether it moved. A page that changed
    tickets marks the store as owing a judging, cleared once the results are kept (run.py)."""
    _row(con, name, tool, db)
    text = json.dumps(cursor, sort_keys=True)
    moved = read_cursor(con, name, db) != json.loads(text)
    if moved:
        con.execute(f"UPDATE {db}.sync_state SET cursor = ?, cursor_at = ? WHERE source = ?", [text, at, name])
    if changed_tickets:
        con.execute(f"UPDATE {db}.sync_state SET judge_pending = true WHERE source = ?", [name])
    return moved


def judge_pending(con: duckdb.DuckDBPyConnection, db: str = "st") -> bool:
    return bool(fetch_one(con.execute(f"SELECT count(*) FROM {db}.sync_state WHERE judge_pending"))[0])


def judged(con: duckdb.DuckDBPyConnection, db: str = "st") -> None:
    con.execute(f"UPDATE {db}.sync_state SET judge_pending = false WHERE judge_pending")


def record_run(con: duckdb.DuckDBPyConnection, name: str, tool: str, at: datetime, schedule: float,
               error: Optional[str], db: str = "st") -> None:
    """The run's end: its time, and either a good run or its failure's line."""
    _row(con, name, tool, db)
    if error is None:
        con.execute(f"UPDATE {db}.sync_state SET last_run_at = ?, last_ok_at = ?, last_error = NULL, "
                    f"schedule_seconds = ?, tool = ? WHERE source = ?", [at, at, schedule, tool, name])
    else:
        con.execute(f"UPDATE {db}.sync_state SET last_run_at = ?, last_error = ?, schedule_seconds = ?, tool = ? "
                    f"WHERE source = ?", [at, error, schedule, tool, name])


@dataclass(frozen=True)
class Freshness:
    """How fresh one source's data is."""

    source: str
    tool: str
    last_ok_at: Optional[datetime]
    last_run_at: Optional[datetime]
    last_error: Optional[str]
    schedule_seconds: float

    def stale(self, now: datetime) -> bool:
        """No good run within STALE_AFTER schedules (or none at all)."""
        if self.last_ok_at is None:
            return True
        return now - self.last_ok_at > timedelta(seconds=STALE_AFTER * self.schedule_seconds)


def freshness(store: Path, config: Optional[SyncConfig] = None) -> list[Freshness]:
    """Every source the store has synced (and every source `config` names, synced or not), by name."""
    rows: dict[str, Freshness] = {}
    if store.is_file():
        con = open_store(store, read_only=True)
        try:
            has = fetch_one(con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sync_state'"))[0]
            found = con.execute(
                "SELECT source, tool, last_ok_at, last_run_at, last_error, coalesce(schedule_seconds, 300) "
                "FROM sync_state ORDER BY source").fetchall() if has else []
        finally:
            con.close()
        rows = {r[0]: Freshness(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in found}
    for name, source in (config.sources.items() if config else []):
        known = rows.get(name)
        rows[name] = Freshness(name, source.tool, known.last_ok_at if known else None,
                               known.last_run_at if known else None, known.last_error if known else None,
                               source.schedule)
    return [rows[name] for name in sorted(rows)]


TOOL_NAMES = {"zendesk": "Zendesk", "jira": "Jira", "servicenow": "ServiceNow", "pagerduty": "PagerDuty",
              "freshdesk": "Freshdesk", "intercom": "Intercom", "opsgenie": "Opsgenie", "sentry": "Sentry",
              "datadog": "Datadog"}


def ago(seconds: float) -> str:
    """`just now`, `4 min ago`, `3 h ago`, `2 days ago`."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def every(seconds: float) -> str:
    return f"every {int(seconds // 60)} min" if seconds < 7200 else f"every {seconds / 3600:g} h"


def freshness_words(sources: list[Freshness], now: datetime) -> tuple[Optional[str], list[str]]:
    """What the sidebar says: "Synced 4 min ago from Zendesk, PagerDuty" (the newest good run, and the tools
    that had one), and a warning per source without a good run in STALE_AFTER times its schedule."""
    good = [s for s in sources if s.last_ok_at is not None]
    line = None
    if good:
        newest = max(s.last_ok_at for s in good if s.last_ok_at is not None)
        tools = list(dict.fromkeys(TOOL_NAMES.get(s.tool, s.tool) for s in good))
        line = f"Synced {ago((now - newest).total_seconds())} from {', '.join(tools)}"
    warnings = []
    for item in sources:
        if not item.stale(now):
            continue
        name = f"{TOOL_NAMES.get(item.tool, item.tool)} ({item.source})"
        when = (f"last synced {ago((now - item.last_ok_at).total_seconds())}" if item.last_ok_at
                else "never synced")
        why = f"; last error: {item.last_error}" if item.last_error else ""
        warnings.append(f"{name}: {when}, expected {every(item.schedule_seconds)}{why}")
    return line, warnings


__all__ = ["Freshness", "TOOL_NAMES", "ago", "freshness_words", "STALE_AFTER", "SYNC_STATE_DDL", "ensure", "freshness", "judge_pending", "judged",
           "read_cursor", "record_run", "save_cursor"]
