"""A hand-built month (November 2026, when London is on GMT, so local = UTC) for the systemic metrics.

Nine tickets, each placed to exercise one rule; the expected numbers are
worked out next to the tests that check them. Times are UTC.

  A critical engineering, monitoring: started 09:00, detected 09:10, created 09:20 (Mon 2 Nov),
    acked 09:30, handed to engineering 09:40, first engineering status 10:00, plan 10:20,
    resolved 21:20. All four triage fields. CSAT 2. Customers acme, globex.
  B critical engineering, customer: started 08:00, created 09:00 (Tue 3 Nov), acked 09:10,
    handed 09:30, first status 10:30, plan 12:00, resolved 20:00, reopened 22:00, resolved
    09:00 next day (reopen_count 1). No logs. CSAT 1. Customer acme.
  C high product, customer: started 09:00, created 10:00 (Mon 9 Nov), acked 11:00, handed to
    product 11:30, first status 12:00, plan 13:00, resolved 10:00 next day. CSAT 5. initech.
  D high engineering, monitoring: started 09:00, detected 09:05, created 09:15 (Tue 10 Nov),
    acked 09:45, handed 10:15, first status 11:15, plan 15:15, resolved 09:15 next day.
    Complete triage. CSAT 4. globex.
  E medium support: created 10:00 (Mon 16 Nov), acked 11:00, resolved 10:00 next day. CSAT 3.
  F low support: created 10:00 (Wed 18 Nov), acked 12:00, resolved 19 Nov 10:00, reopened
    11:00 (in events only, reopen_count 0), resolved 20 Nov 10:00. CSAT 4. acme.
  G high engineering, customer: started 08:00, created 10:00 (Fri 20 Nov), acked 10:30,
    handed 11:00, first status 14:00, plan Mon 23 Nov 13:00, resolved Tue 24 Nov 10:00.
    environment blank. CSAT 5.
  H low support (October): created 28 Oct 10:00, resolved 30 Oct 10:00. CSAT 5. acme.
  I medium product: created 25 Nov 10:00, acked 11:00, handed to product 26 Nov 10:00,
    nothing since; unresolved.

as_of is 1 Dec 2026 00:00 UTC.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import duckdb
import pytest

from sla_core.policy import Policy
from sla_core.sources import DataSource, evaluated
from tests.conftest import load_tables, make_policy

AS_OF = datetime(2026, 12, 1, tzinfo=timezone.utc)
TRIAGE = {
    "critical": ["repro_steps", "environment", "logs", "impacted_customers"],
    "high": ["repro_steps", "environment", "logs"],
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _triage(**blank: str) -> dict[str, str]:
    fields = {"repro_steps": "1. open 2. crash", "environment": "prod eu-1", "logs": "https://logs/x"}
    fields.update(blank)
    return {k: v for k, v in fields.items() if v is not None}


TICKETS: list[dict[str, Any]] = [
    dict(ticket_id="A", impact="critical", segment="enterprise", owner_team="engineering", source="monitoring",
         started_at=utc("2026-11-02 09:00"), detected_at=utc("2026-11-02 09:10"),
         created_at=utc("2026-11-02 09:20"), acknowledged_at=utc("2026-11-02 09:30"),
         action_plan_at=utc("2026-11-02 10:20"), resolved_at=utc("2026-11-02 21:20"),
         reopen_count=0, csat=2, impacted_customers="acme; globex", **_triage()),
    dict(ticket_id="B", impact="critical", segment="self_serve", owner_team="engineering", source="customer",
         started_at=utc("2026-11-03 08:00"), created_at=utc("2026-11-03 09:00"),
         acknowledged_at=utc("2026-11-03 09:10"), action_plan_at=utc("2026-11-03 12:00"),
         resolved_at=utc("2026-11-04 09:00"), reopen_count=1, csat=1, impacted_customers="Acme",
         **_triage(logs=None)),
    dict(ticket_id="C", impact="high", segment="enterprise", owner_team="product", source="customer",
         started_at=utc("2026-11-09 09:00"), created_at=utc("2026-11-09 10:00"),
         acknowledged_at=utc("2026-11-09 11:00"), action_plan_at=utc("2026-11-09 13:00"),
         resolved_at=utc("2026-11-10 10:00"), reopen_count=0, csat=5, impacted_customers="initech"),
    dict(ticket_id="D", impact="high", segment="self_serve", owner_team="engineering", source="monitoring",
         started_at=utc("2026-11-10 09:00"), detected_at=utc("2026-11-10 09:05"),
         created_at=utc("2026-11-10 09:15"), acknowledged_at=utc("2026-11-10 09:45"),
         action_plan_at=utc("2026-11-10 15:15"), resolved_at=utc("2026-11-11 09:15"),
         reopen_count=0, csat=4, impacted_customers="globex; +3 more", **_triage()),
    dict(ticket_id="E", impact="medium", segment="self_serve", owner_team="support", source="customer",
         created_at=utc("2026-11-16 10:00"), acknowledged_at=utc("2026-11-16 11:00"),
         resolved_at=utc("2026-11-17 10:00"), reopen_count=0, csat=3),
    dict(ticket_id="F", impact="low", segment="self_serve", owner_team="support", source="customer",
         created_at=utc("2026-11-18 10:00"), acknowledged_at=utc("2026-11-18 12:00"),
         resolved_at=utc("2026-11-20 10:00"), reopen_count=0, csat=4, tags="impact:low,customer:acme"),
    dict(ticket_id="G", impact="high", segment="enterprise", owner_team="engineering", source="customer",
         started_at=utc("2026-11-20 08:00"), created_at=utc("2026-11-20 10:00"),
         acknowledged_at=utc("2026-11-20 10:30"), action_plan_at=utc("2026-11-23 13:00"),
         resolved_at=utc("2026-11-24 10:00"), reopen_count=0, csat=5, **_triage(environment="  ")),
    dict(ticket_id="H", impact="low", segment="self_serve", owner_team="support", source="customer",
         created_at=utc("2026-10-28 10:00"), acknowledged_at=utc("2026-10-28 11:00"),
         resolved_at=utc("2026-10-30 10:00"), reopen_count=0, csat=5, impacted_customers="acme"),
    dict(ticket_id="I", impact="medium", segment="self_serve", owner_team="product", source="customer",
         created_at=utc("2026-11-25 10:00"), acknowledged_at=utc("2026-11-25 11:00")),
]

EVENTS: list[tuple[str, datetime, str, str]] = [
    ("A", utc("2026-11-02 09:30"), "status", "open"),
    ("A", utc("2026-11-02 09:40"), "owner_team", "engineering"),
    ("A", utc("2026-11-02 10:00"), "status", "open"),
    ("A", utc("2026-11-02 21:20"), "status", "resolved"),
    ("B", utc("2026-11-03 09:10"), "status", "open"),
    ("B", utc("2026-11-03 09:30"), "owner_team", "engineering"),
    ("B", utc("2026-11-03 10:30"), "status", "open"),
    ("B", utc("2026-11-03 20:00"), "status", "resolved"),
    ("B", utc("2026-11-03 22:00"), "status", "open"),
    ("B", utc("2026-11-04 09:00"), "status", "resolved"),
    ("C", utc("2026-11-09 11:00"), "status", "open"),
    ("C", utc("2026-11-09 11:30"), "owner_team", "product"),
    ("C", utc("2026-11-09 12:00"), "status", "open"),
    ("C", utc("2026-11-10 10:00"), "status", "resolved"),
    ("D", utc("2026-11-10 09:45"), "status", "open"),
    ("D", utc("2026-11-10 10:15"), "owner_team", "engineering"),
    ("D", utc("2026-11-10 11:15"), "status", "open"),
    ("D", utc("2026-11-11 09:15"), "status", "resolved"),
    ("E", utc("2026-11-16 11:00"), "status", "open"),
    ("E", utc("2026-11-17 10:00"), "status", "resolved"),
    ("F", utc("2026-11-18 12:00"), "status", "open"),
    ("F", utc("2026-11-19 10:00"), "status", "resolved"),
    ("F", utc("2026-11-19 11:00"), "status", "open"),
    ("F", utc("2026-11-20 10:00"), "status", "resolved"),
    ("G", utc("2026-11-20 10:30"), "status", "open"),
    ("G", utc("2026-11-20 11:00"), "owner_team", "engineering"),
    ("G", utc("2026-11-20 14:00"), "status", "open"),
    ("G", utc("2026-11-24 10:00"), "status", "resolved"),
    ("H", utc("2026-10-28 11:00"), "status", "open"),
    ("H", utc("2026-10-30 10:00"), "status", "resolved"),
    ("I", utc("2026-11-25 11:00"), "status", "open"),
    ("I", utc("2026-11-26 10:00"), "owner_team", "product"),
]


def insight_policy() -> Policy:
    return make_policy(triage_required=TRIAGE)


def build_source(
    tickets: list[dict[str, Any]], events: list[tuple[str, datetime, str, str]],
    policy: Optional[Policy] = None, as_of: datetime = AS_OF,
) -> DataSource:
    con = duckdb.connect()
    load_tables(con, tickets, events)
    return evaluated(con, policy or insight_policy(), as_of, kind="upload", label="hand-built", version="test")


@pytest.fixture(scope="session")
def month_source() -> DataSource:
    return build_source(TICKETS, EVENTS)


@pytest.fixture
def make_source() -> Callable[..., DataSource]:
    return build_source


# --- The bundled sample's October report, written once by the real command line -----------------

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_AS_OF = "2026-11-26T15:00:00+00:00"
SAMPLE_MONTH = "2026-10"
EVERY_CHART = {
    "adherence_trend", "dist_acknowledge", "dist_action_plan", "breaches_by_team", "resolution_by_team",
    "owner_time", "handoff_waits", "reopen_trend", "time_to_detect", "csat_after_incidents", "handoff_quality",
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sla_core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = run_cli(
        "report", "--month", SAMPLE_MONTH, "--tickets", "sample_data/tickets.csv",
        "--events", "sample_data/events.csv", "--policy", "sample_data/policy.yaml",
        "--as-of", SAMPLE_AS_OF, "--out", str(out),
    )
    return out, done
