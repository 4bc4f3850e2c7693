"""Shared fixtures: a small policy builder and a one-call engine runner for hand-built tickets."""

from __future__ import annotations

import copy
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sla_core.clocks.engine import evaluate
from sla_core.columns import TICKET_COLUMNS, events_ddl, tickets_ddl
from sla_core.now import NOW_ENV
from sla_core.policy import Policy, policy_from_dict

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_POLICY = ROOT / "sample_data" / "policy.yaml"

# "Now" is set, never read off the clock: a test must not depend on the day it runs. CI runs the date-sensitive
# tests again under other values (the first hour of a month, a DST change, a year ahead): see .ci/run.
DEFAULT_NOW = "2026-12-03T10:36:00+00:00"
os.environ.setdefault(NOW_ENV, DEFAULT_NOW)

BASE_POLICY: dict[str, Any] = {
    "timezone": "Europe/London",
    "at_risk_ratio": 0.75,
    "calendars": {
        "business": {
            "hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-12-25", "2026-12-28"],
        }
    },
    "tiers": {
        "critical": {"calendar": "24x7", "acknowledge": "30m", "action_plan": "2h"},
        "high": {"calendar": "business", "acknowledge": "2h", "action_plan": "24h"},
        "medium": {"calendar": "business", "acknowledge": "8h", "resolution": {"target": "14d", "calendar": "24x7"}},
        "low": {"calendar": "business", "acknowledge": "24h"},
    },
    "segments": {"enterprise": {"medium": {"acknowledge": "4h"}}},
    "pauses": {"resolution": ["waiting_on_customer"]},
    "on_tier_change": "recompute",
    "on_reopen": "resume",
}


def make_policy(**changes: Any) -> Policy:
    """BASE_POLICY with top-level keys replaced (None removes a key)."""
    data = copy.deepcopy(BASE_POLICY)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return policy_from_dict(data)


def at(text: str, zone: str = "Europe/London") -> datetime:
    """A wall-clock time in `zone`, e.g. at('2026-11-27 17:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def load_tables(
    con: duckdb.DuckDBPyConnection, tickets: list[dict[str, Any]], events: list[tuple[str, datetime, str, str]]
) -> None:
    """Typed tickets/events tables from Python rows (tests only: the app uses sla_core.ingest.loading)."""
    con.execute(tickets_ddl())
    con.execute(events_ddl())
    cols = list(TICKET_COLUMNS)
    for row in tickets:
        unknown = set(row) - set(cols)
        assert not unknown, f"unknown ticket columns {unknown}"
        con.execute(
            f"INSERT INTO tickets VALUES ({', '.join('?' for _ in cols)})", [row.get(c) for c in cols]
        )
    for seq, (ticket_id, when, field, value) in enumerate(events):
        con.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?)", [ticket_id, when, field, value, seq])


Result = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture
def run_engine() -> Callable[..., Result]:
    """run_engine(tickets, events, policy, as_of) -> {(ticket_id, metric): result row}."""

    def run(
        tickets: list[dict[str, Any]],
        events: Optional[list[tuple[str, datetime, str, str]]] = None,
        policy: Optional[Policy] = None,
        as_of: Optional[datetime] = None,
        **kwargs: Any,
    ) -> Result:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        load_tables(con, tickets, events or [])
        out = evaluate(con, policy or make_policy(), as_of or at("2027-06-01 00:00"), **kwargs)
        cur = con.execute(f"SELECT * FROM {out}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        return {(r["ticket_id"], r["metric"]): r for r in rows}

    return run


# Modules whose answers depend on "now" (the live sample, the queue, the default month, the report, the
# simulator's default quarter, kept results): .ci/run runs them again under other values of SLA_BOARD_NOW.
DATE_SENSITIVE: frozenset[str] = frozenset({
    "tests/app/test_pages.py",
    "tests/importing/test_kept_results.py",
    "tests/insights/test_feedback.py",
    "tests/insights/test_pages.py",
    "tests/insights/test_report.py",
    "tests/robustness/test_no_raw_html.py",
    "tests/robustness/test_page_errors.py",
    "tests/robustness/test_session_isolation.py",
    "tests/sample/test_live_sample.py",
    "tests/simulator/test_simulator_page.py",
})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "date_sensitive: depends on SLA_BOARD_NOW; CI runs it under several")
    config.addinivalue_line("markers", "browser: drives Chromium against `streamlit run app.py`")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.path.relative_to(ROOT)) in DATE_SENSITIVE:
            item.add_marker(pytest.mark.date_sensitive)
        if {"server", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        # a module's tests share its module-scoped fixtures (one evaluated sample, one app session): one worker.
        # Browser modules spread over both workers too; each worker starts its own app server and Chromium.
        item.add_marker(pytest.mark.xdist_group(str(item.path.relative_to(ROOT))))
