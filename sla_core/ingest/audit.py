"""The audit trail: every write to a store or records file says who, when and what, in the same transaction.

Append-only by construction: nothing in the app or the command line updates or deletes an audit row, and the
Incident feedback page shows the trail read-only.
"""

from __future__ import annotations

import duckdb

from sla_core.access import Actor
from sla_core.now import now

AUDIT_DDL = """CREATE TABLE IF NOT EXISTS {db}audit (
    "at" TIMESTAMPTZ NOT NULL, who VARCHAR NOT NULL, role VARCHAR NOT NULL, action VARCHAR NOT NULL,
    what VARCHAR NOT NULL)"""


def record(con: duckdb.DuckDBPyConnection, actor: Actor, action: str, what: str, *, db: str = "") -> None:
    """Add one audit row through `con` (inside the caller's transaction, so the row and the write go together)."""
    prefix = f"{db}." if db else ""
    con.execute(f"INSERT INTO {prefix}audit VALUES (?, ?, ?, ?, ?)", [now(), actor.who, actor.role, action, what])
