"""The canonical ticket and event columns of docs/design.md and docs/data.md, in one place.

Loaders, the engine, the generator and the pages all name columns from here,
so a renamed column breaks loudly instead of silently reading NULL. The words
the columns hold (tiers, statuses, ...) are in vocab.py.
"""

from __future__ import annotations

# Which timestamp column stops each metric's clock.
STOP_COLUMN: dict[str, str] = {
    "acknowledge": "acknowledged_at",
    "action_plan": "action_plan_at",
    "resolution": "resolved_at",
}

# column -> DuckDB type of the typed `tickets` table the engine reads.
TICKET_COLUMNS: dict[str, str] = {
    "ticket_id": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "impact": "VARCHAR",
    "segment": "VARCHAR",
    "customers_affected": "BIGINT",
    "severity": "VARCHAR",
    "regulatory": "BOOLEAN",
    "workaround": "BOOLEAN",
    "owner_team": "VARCHAR",
    "source": "VARCHAR",
    "detected_at": "TIMESTAMPTZ",
    "started_at": "TIMESTAMPTZ",
    "acknowledged_at": "TIMESTAMPTZ",
    "action_plan_at": "TIMESTAMPTZ",
    "resolved_at": "TIMESTAMPTZ",
    "reopen_count": "INTEGER",
    "csat": "INTEGER",
    "repro_steps": "VARCHAR",
    "environment": "VARCHAR",
    "logs": "VARCHAR",
    "impacted_customers": "VARCHAR",
    "tags": "VARCHAR",
    "account": "VARCHAR",
    "incident_ref": "VARCHAR",
    # Filled by the loader, not read from a file: the metrics this ticket's export cannot time (comma separated).
    "unmeasured": "VARCHAR",
}
REQUIRED_TICKET_COLUMNS: tuple[str, ...] = ("ticket_id", "created_at")
# The columns a tickets file holds (the loader fills the others).
FILE_COLUMNS: tuple[str, ...] = tuple(c for c in TICKET_COLUMNS if c != "unmeasured")

# column -> DuckDB type of the typed `events` table; `seq` keeps file order for ties.
# `at` is a reserved word in DuckDB: always write it quoted, "at", in SQL.
EVENT_COLUMNS: dict[str, str] = {
    "ticket_id": "VARCHAR",
    "at": "TIMESTAMPTZ",
    "field": "VARCHAR",
    "value": "VARCHAR",
    "seq": "BIGINT",
}


# column -> DuckDB type of the typed `signals` table: alerts and incidents from monitoring and incident tools.
SIGNAL_COLUMNS: dict[str, str] = {
    "signal_id": "VARCHAR",
    "source": "VARCHAR",
    "detected_at": "TIMESTAMPTZ",
    "started_at": "TIMESTAMPTZ",
    "ticket_id": "VARCHAR",
    "incident_ref": "VARCHAR",
    "service": "VARCHAR",
    "title": "VARCHAR",
    "severity": "VARCHAR",
    "resolved_at": "TIMESTAMPTZ",
}
REQUIRED_SIGNAL_COLUMNS: tuple[str, ...] = ("signal_id", "detected_at")

# column -> DuckDB type of the typed `surveys` table: satisfaction answers by account.
SURVEY_COLUMNS: dict[str, str] = {
    "account": "VARCHAR",
    "at": "TIMESTAMPTZ",
    "kind": "VARCHAR",
    "score": "INTEGER",
}
REQUIRED_SURVEY_COLUMNS: tuple[str, ...] = ("account", "at", "kind", "score")
# kind -> the scores an answer may hold.
SURVEY_SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10)}

# column -> DuckDB type of the typed `deploys` table: what went out to which service, when (an incident's context).
DEPLOY_COLUMNS: dict[str, str] = {
    "deploy_id": "VARCHAR",
    "service": "VARCHAR",
    "deployed_at": "TIMESTAMPTZ",
    "version": "VARCHAR",
    "tool": "VARCHAR",
}
# `tool` is required too, unless the import names it (`import --tool NAME`): the store tells deploys apart by it.
REQUIRED_DEPLOY_COLUMNS: tuple[str, ...] = ("deploy_id", "service", "deployed_at")


def table_ddl(table: str, columns: dict[str, str], *, if_not_exists: bool = False, replace: bool = False) -> str:
    """CREATE TABLE statement for an empty table of the given canonical columns."""
    cols = ", ".join(f'"{name}" {typ}' for name, typ in columns.items())
    head = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
    return f"{head} {table} ({cols})"


def tickets_ddl(table: str = "tickets") -> str:
    """CREATE TABLE statement for an empty canonical tickets table."""
    cols = ", ".join(f'"{name}" {typ}' for name, typ in TICKET_COLUMNS.items())
    return f"CREATE TABLE {table} ({cols})"


def events_ddl(table: str = "events") -> str:
    """CREATE TABLE statement for an empty canonical events table."""
    cols = ", ".join(f'"{name}" {typ}' for name, typ in EVENT_COLUMNS.items())
    return f"CREATE TABLE {table} ({cols})"


def tags_sql(column: str) -> str:
    """SQL: a `tags` cell (comma separated) as a list, trimmed and lower-cased, as required tags are compared."""
    return f"list_transform(string_split(coalesce({column}, ''), ','), lambda x: lower(trim(x)))"
