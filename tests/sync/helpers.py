"""What the sync tests share: a sync.yaml written for a local server, a run with its waits recorded instead of
slept, the store read back as plain rows, and the same data imported from the tool's export for comparison."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence
from zoneinfo import ZoneInfo

import duckdb
import yaml

from sla_core.ingest.store import import_file
from sla_core.policy import load_policy
from sla_core.sync.config import load_config
from sla_core.sync.run import SyncReport, sync
from tests.conftest import ROOT, SAMPLE_POLICY

POLICY = SAMPLE_POLICY  # Europe/London: the July data below is an hour off UTC
ZONE = ZoneInfo("Europe/London")
# the credentials' environment; the values must never appear in output, the store or the audit trail
SECRETS = {
    "ZD_EMAIL": "agent@example.com", "ZD_TOKEN": "zd-secret-0001",
    "JIRA_EMAIL": "bot@example.com", "JIRA_TOKEN": "jira-secret-0002",
    "SN_USER": "integration", "SN_PASSWORD": "sn-secret-0003",
    "PD_TOKEN": "pd-secret-0004",
    "FD_KEY": "fd-secret-0005",
    "IC_TOKEN": "ic-secret-0006",
    "OG_KEY": "og-secret-0007",
    "SENTRY_TOKEN": "sentry-secret-0008",
    "DD_API": "dd-secret-0009", "DD_APP": "dd-secret-0010",
}
# how each tool's source names its credentials
CREDENTIALS = {
    "zendesk": {"email": "ZD_EMAIL", "token": "ZD_TOKEN"},
    "jira": {"email": "JIRA_EMAIL", "token": "JIRA_TOKEN"},
    "servicenow": {"user": "SN_USER", "password": "SN_PASSWORD"},
    "pagerduty": {"token": "PD_TOKEN"},
    "freshdesk": {"api_key": "FD_KEY"},
    "intercom": {"token": "IC_TOKEN"},
    "opsgenie": {"api_key": "OG_KEY"},
    "sentry": {"token": "SENTRY_TOKEN"},
    "datadog": {"api_key": "DD_API", "app_key": "DD_APP"},
}
PATIENCE = {"timeout": "10s", "retries": 3, "backoff": "10ms", "retry_after_max": "5s"}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def source(tool: str, url: str, **scope: Any) -> dict[str, Any]:
    return {"tool": tool, "base_url": url, "credentials": CREDENTIALS[tool], "page_size": 2,
            "start": "2026-06-01T00:00:00+00:00", **scope}


def write_config(folder: Path, sources: dict[str, dict[str, Any]], **top: Any) -> Path:
    path = folder / "sync.yaml"
    path.write_text(yaml.safe_dump({**PATIENCE, **top, "sources": sources}, sort_keys=False), encoding="utf-8")
    return path


def run(store: Path, config: Path, *, only: Sequence[str] = (), dry_run: bool = False,
        env: Optional[dict[str, str]] = None) -> tuple[SyncReport, list[float]]:
    """A sync in this process; the waits it asked for are recorded, not slept."""
    waits: list[float] = []
    report = sync(store, load_config(config), load_policy(POLICY), only=only, dry_run=dry_run,
                  env=SECRETS if env is None else env, sleep=waits.append)
    return report, waits


def imported(store: Path, file: Path, tool: str, events: Optional[Path] = None) -> Path:
    """The same data imported from the tool's export into a fresh store, as `import` does."""
    import_file(file, tool, db=store, policy=POLICY, events=events)
    return store


def rows(store: Path, table: str, order: str = "ALL", exclude: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in exclude]
        picked = ", ".join(f'"{c}"' for c in columns)
        return [tuple(zip(columns, r)) for r in con.execute(f"SELECT {picked} FROM {table} ORDER BY {order}").fetchall()]
    finally:
        con.close()


def tickets(store: Path) -> dict[str, Any]:
    """Tickets (every column) and events (in order per ticket; `seq` is the file's row number, so it is left out
    and the order kept) as plain rows, for comparing two stores."""
    return {"tickets": rows(store, "tickets", "ticket_id"),
            "events": rows(store, "events", "ticket_id, \"at\", seq", exclude=("seq",))}


def signals(store: Path) -> list[tuple[Any, ...]]:
    return rows(store, "signals", "source, signal_id")


def state(store: Path) -> dict[str, Any]:
    """Everything a re-run with nothing new must leave as it was."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        cursors = con.execute("SELECT source, cursor FROM sync_state ORDER BY source").fetchall()
        imports = con.execute("SELECT count(*) FROM imports").fetchall()
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    data = {"cursors": cursors, "imports": imports, "tickets": tickets(store)}
    for table, order in (("signals", "source, signal_id"), ("surveys", 'account, "at", kind')):
        if table in tables:
            data[table] = rows(store, table, order)
    return data


def audit(store: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT action, what FROM audit ORDER BY \"at\", rowid").fetchall()
    finally:
        con.close()


def whole_store_text(store: Path) -> str:
    """Every cell of every table, as text: to find a secret anywhere in the store."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        out = []
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            out.append(json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str))
        return "\n".join(out)
    finally:
        con.close()


def export_time(moment: Optional[datetime], fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An instant as an export writes it: in the account's zone (here the policy's), without an offset."""
    return "" if moment is None else moment.astimezone(ZONE).strftime(fmt)


def api_time(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["CREDENTIALS", "POLICY", "ROOT", "SECRETS", "api_time", "audit", "basic", "export_time", "imported",
           "rows", "run", "signals", "source", "state", "tickets", "whole_store_text", "write_config"]
