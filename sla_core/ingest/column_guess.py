"""Guessing which columns of an unfamiliar export feed the canonical ones.

The Upload page proposes a mapping the user can correct; a good first guess
means most exports load with one click. Guesses are by name only (normalized,
with common vendor spellings), never by content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Union

import duckdb

from sla_core.columns import TICKET_COLUMNS

# canonical column -> other names exports use for it (compared after normalize()).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ticket", "ticket_number", "ticket_no", "number", "issue_key", "key", "incident", "case_id", "conversation_id",
                  "case_number", "request_id", "id"),
    "created_at": ("created", "opened", "opened_at", "created_date", "creation_date", "date_created", "open_date"),
    "impact": ("priority", "priority_level", "impact_level", "tier", "urgency"),
    "segment": ("customer_segment", "plan", "tier_segment", "account_type"),
    "customers_affected": ("affected_customers", "customers", "users_affected"),
    "severity": ("issue_type", "category", "type"),
    "regulatory": ("compliance", "regulated"),
    "workaround": ("has_workaround", "workaround_available"),
    "owner_team": ("team", "team_assigned", "assigned_team", "group", "assignment_group", "assignee_group", "owner"),
    "source": ("channel", "origin", "reported_by"),
    "detected_at": ("detected", "alert_at", "alerted_at"),
    "started_at": ("started", "began_at", "incident_start"),
    "acknowledged_at": ("acknowledged", "first_response_at", "first_reply_at", "responded_at", "first_response",
                        "first_reply"),
    "action_plan_at": ("action_plan", "plan_at", "eta_posted_at"),
    "resolved_at": ("resolved", "solved_at", "solved", "resolution_date", "closed_at", "resolved_date",
                    "closed"),
    "reopen_count": ("reopens", "reopened", "times_reopened"),
    "csat": ("satisfaction", "satisfaction_score", "rating"),
    "repro_steps": ("steps_to_reproduce", "reproduction_steps", "repro"),
    "environment": ("env",),
    "logs": ("log", "log_link"),
    "impacted_customers": ("affected_accounts",),
    "tags": ("labels", "tag"),
    "account": ("organization", "organization_name", "organisation", "company", "company_name", "customer",
                "customer_name", "org"),
    # not incident_id / incident_number: in an export keyed by its incidents, those name the ticket itself
    "incident_ref": ("parent_incident", "major_incident", "related_incident", "pagerduty_incident"),
}


def normalize(name: str) -> str:
    """`Ticket #` -> `ticket`, `Created At` -> `created_at`."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def guess_columns(source_columns: list[str]) -> dict[str, str]:
    """canonical column -> the source column that most likely holds it; each source column used once."""
    by_name: dict[str, str] = {}
    for column in source_columns:
        by_name.setdefault(normalize(column), column)
    guesses: dict[str, str] = {}
    used: set[str] = set()
    # Exact canonical names first, so `id` cannot steal a column a later exact name needs.
    for passes in ((lambda c: (c,)), (lambda c: SYNONYMS.get(c, ()))):
        for canonical in TICKET_COLUMNS:
            if canonical in guesses:
                continue
            for name in passes(canonical):
                source = by_name.get(normalize(name))
                if source is not None and source not in used:
                    guesses[canonical] = source
                    used.add(source)
                    break
    return guesses


def file_columns(path: Union[str, Path]) -> list[str]:
    """The column names of a CSV or Parquet file, read by DuckDB (header only)."""
    reader = "read_parquet(?)" if str(path).lower().endswith(".parquet") else "read_csv(?, all_varchar = true)"
    con = duckdb.connect()
    try:
        cur = con.execute(f"SELECT * FROM {reader} LIMIT 0", [str(path)])
        return [d[0] for d in cur.description]
    finally:
        con.close()
