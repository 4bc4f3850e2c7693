"""The words a page shows for the core's column and value names, once.

The core names columns for SQL and CSV (`owner_team`, `target_minutes`); a support manager reads "Owner team" and
"24 h". Every table a page draws goes through `for_people`, which renames each column to its word here (a column
without one fails the page tests), writes the metric and state values as words, durations as "2 h 23 m", and
leaves no empty cell showing a grey "None". CSV downloads keep the core's names and numbers. The words are
explained in docs/glossary.md, which a test keeps in step with `LABELS`.
"""

from __future__ import annotations

from typing import Iterable, Optional

import numpy as np
import pandas as pd

from sla_core.analysis import queue

# Column -> the word a page shows. Percent and duration columns are listed below by kind.
LABELS: dict[str, str] = {
    # tickets and clocks
    "ticket_id": "Ticket", "tier": "Tier", "metric": "Clock", "state": "State", "segment": "Segment",
    "owner_team": "Owner team", "discipline": "Discipline", "calendar": "Calendar", "impact": "Impact",
    "created": "Created", "created_at": "Created", "due": "Due", "stopped": "Stopped", "resolved": "Resolved",
    "target_minutes": "Target", "elapsed_minutes": "Took", "overdue_minutes": "Over target",
    "met": "Met", "breached": "Breached", "adherence": "Adherence", "goal": "Goal",
    # the breach queue
    "time_left": "Time left", "route": "Route", "missing_triage": "Missing triage", "playbook": "Playbook",
    "channel": "Channel", "missing_tags": "Missing tags", "responders": "Responders", "month": "Month",
    # beyond the timers
    "tickets": "Tickets", "median_hours": "Median (h)", "p90_hours": "90th percentile (h)",
    "p95_hours": "95th percentile (h)", "mean_hours": "Mean (h)", "owner": "Owner", "total_hours": "Total (h)",
    "share_of_time": "Share of time", "to_owner": "Handed to", "handoffs": "Handoffs", "acted": "Acted on",
    "median_wait_hours": "Median wait (h)", "p90_wait_hours": "90th percentile wait (h)",
    "mean_wait_hours": "Mean wait (h)", "reopened": "Reopened", "reopen_rate": "Reopen rate", "source": "Source",
    "incidents": "Incidents", "timed": "With a detection time", "median_minutes": "Median (min)",
    "p90_minutes": "90th percentile (min)", "mean_minutes": "Mean (min)", "share": "Share", "group": "Group",
    "csat_mean": "Mean CSAT", "share_low": "Share rated 1-2", "side": "Before or after", "customers": "Customers",
    "change": "Change", "handed": "Handed over", "complete": "Complete handoffs",
    "share_complete": "Share complete", "plan_hours_complete": "Hours to plan, complete",
    "plan_hours_incomplete": "Hours to plan, incomplete", "plan_ratio": "Incomplete / complete (plan)",
    "wait_hours_complete": "Wait (h), complete", "wait_hours_incomplete": "Wait (h), incomplete",
    "wait_ratio": "Incomplete / complete (wait)", "segments": "Segments", "target_hours": "Target (h)",
    "clocks": "Clocks", "met_share": "Met", "p90_vs_target": "90th percentile / target", "weeks": "Weeks",
    "per_week": "Per week", "busiest_week": "Busiest week",
    # the tickets behind a number of beyond the timers
    "resolution_hours": "Resolution (h)", "reopen_count": "Reopens", "stretches": "Stretches",
    "hours_with_owner": "Hours with owner", "from_owner": "Handed from", "handoff": "Handed over at",
    "first_action": "First action", "first_action_time": "First action at", "wait_hours": "Wait (h)",
    "handoff_wait_hours": "Wait (h)", "started": "Started", "detected": "Detected",
    "detect_minutes": "Time to detect (min)", "first_seen": "First seen by", "incident": "Incident",
    "first_alert": "First alert", "first_ticket": "First customer ticket", "signals": "Signals",
    "ticket_ids": "Tickets", "tools": "Tools", "services": "Services", "title": "Alert",
    "nps_before": "NPS before", "nps_after": "NPS after", "nps_change": "NPS change", "csat_before": "CSAT before",
    "csat_after": "CSAT after", "nps_answers_before": "NPS answers before", "nps_answers_after": "NPS answers after",
    "unaffected_nps_before": "Others' NPS before", "unaffected_nps_after": "Others' NPS after",
    "accounts": "Accounts", "csat": "CSAT", "customer": "Customer",
    # an incident's context: the deploys and signals before it began
    "naming_service": "Naming a service", "after_deploy": "Preceded by a deploy",
    "share_after_deploy": "Share preceded by a deploy", "deployed": "Deployed", "service": "Service",
    "version": "Version", "tool": "Tool", "deploy_id": "Deploy", "lead_minutes": "Before it began",
    "severity": "Severity", "signal_id": "Signal",
    "first_incident": "First incident", "required": "Required fields", "missing": "Missing fields",
    "action_plan_calendar": "Action plan calendar", "action_plan_hours": "Hours to action plan",
    "action_plan_state": "Action plan state", "assessed": "Assessed impact", "why_factor": "Moved most by",
    "why_delta": "Its points", "state_changes": "Clocks that changed",
    # incident feedback
    "reviewed": "Reviewed", "description": "Action item", "deadline": "Deadline", "done": "Done",
    "item": "No.",
    "overdue": "Overdue", "assessed_impact": "Assessed impact", "validated_impact": "Validated impact",
    "validated_at": "Validated", "note": "Note", "summary": "Summary", "reviewer": "Reviewer",
    "reviewed_at": "Reviewed on", "error": "Error",
    # the rubric simulator
    "tier_current": "Tier now", "tier_candidate": "Candidate tier", "score_current": "Score now",
    "score_candidate": "Candidate score", "current": "Now", "candidate": "Candidate",
    "delta_points": "Change (pts)", "rubric_tier": "Rubric tier", "rubric_score": "Rubric score",
    "hard_rule": "Hard rule", "contrib_customers_affected": "From customers affected",
    "contrib_segment": "From segment", "contrib_severity": "From severity", "contrib_regulatory": "From regulatory",
    "contrib_workaround": "From workaround", "name": "Scenario", "saved_at": "Saved",
    # load report and what the data can tell
    "figure": "Figure", "status": "Status", "needs": "Needs", "reason": "Reason", "rows": "Rows", "file": "File",
    "row_number": "Row", "column": "Column", "value": "Value",
    # imports into a store (store.IMPORTS_DDL)
    "id": "Import", "mapping": "Mapping", "rows_read": "Rows read", "accepted": "Accepted", "rejected": "Rejected",
    "tickets_accepted": "Tickets accepted", "tickets_rejected": "Tickets rejected", "new": "New",
    "updated": "Updated", "unchanged": "Unchanged",
    # the audit trail
    "at": "When", "who": "Who", "role": "Role", "action": "Action", "what": "What",
}

PERCENT = frozenset({
    "adherence", "goal", "share", "share_of_time", "reopen_rate", "share_low", "share_complete", "met_share",
    "current", "candidate", "share_after_deploy",
})
DURATION_MINUTES = frozenset({"target_minutes", "elapsed_minutes", "overdue_minutes", "lead_minutes"})
VALUE_WORDS: dict[str, str] = {"action_plan": "action plan", "at_risk": "at risk"}
WORDED = ("metric", "state", "tier_current", "tier_candidate", "rubric_tier")
MISSING = "—"
# Where the policy maps no owner team to a discipline, every team reads "unassigned": said where the discipline
# would show, so it never reads as "nobody owns it".
NO_DISCIPLINES = ("No discipline mapped: the policy rolls no owner team up to engineering, product or support "
                  "(add `disciplines` to the policy, see docs/policy.md).")


def label(column: str) -> str:
    """The word for a column; a column the core names as a month or a sentence is already a word."""
    return LABELS.get(column, column)


def value(word: str) -> str:
    """A metric or state value as people write it ("action plan", "at risk")."""
    return VALUE_WORDS.get(word, word)


def duration(seconds: pd.Series) -> pd.Series:
    """Durations as people say them: "35 m", "2 h 23 m", "24 h", then days from two days on ("4 d 3 h", "14 d");
    a dash where there is none."""
    s = pd.to_numeric(seconds, errors="coerce").astype("float64").abs()
    whole = lambda part: part.astype("Int64").astype(str)  # noqa: E731
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    text = np.where(
        s >= 2 * 86400, whole(days) + " d" + np.where(hours > 0, " " + whole(hours) + " h", ""),
        np.where(s >= 3600, whole(s // 3600) + " h" + np.where(minutes > 0, " " + whole(minutes) + " m", ""),
                 whole(minutes) + " m"),
    )
    return pd.Series(np.where(s.isna(), MISSING, text), index=seconds.index)


def time_left(seconds: pd.Series, state: pd.Series) -> pd.Series:
    """A running clock's time left as a shift lead says it: "2 h 23 m left", "48 d overdue", "paused, 3 h left"."""
    left = duration(seconds) + np.where(pd.to_numeric(seconds, errors="coerce") < 0, " overdue", " left")
    return pd.Series(np.where(state == "paused", "paused, " + left, left), index=seconds.index)


def responders(frame: pd.DataFrame) -> pd.Series:
    """Whether a route's responders joined in its window, from the queue's join columns: "joined after 7 m",
    "joined late: 42 m (window 15 m)", "not joined: 15 m window passed", "not joined yet: 6 m left"; a dash
    where the route names no window or the data cannot tell."""
    window, after = frame["join_window_seconds"], frame["joined_after_seconds"]
    missed = queue.joined_late(frame)
    text = np.where(
        after.notna(),
        np.where(missed, "joined late: " + duration(after) + " (window " + duration(window) + ")",
                 "joined after " + duration(after)),
        np.where(missed, "not joined: " + duration(window) + " window passed",
                 "not joined yet: " + duration(frame["join_left_seconds"]) + " left"),
    )
    return pd.Series(np.where(window.isna(), MISSING, text), index=frame.index)


def _number_text(values: pd.Series, percent: bool) -> pd.Series:
    shown = values.map(lambda v: f"{v:.1%}" if percent else f"{v:,.1f}" if isinstance(v, float) else f"{v:,}",
                       na_action="ignore")
    return shown.astype(object).fillna(MISSING)  # all-empty maps to float: object keeps the dash legal


def for_people(frame: pd.DataFrame, *, percent: Iterable[str] = (), zone: Optional[str] = None) -> pd.DataFrame:
    """The frame as a page shows it (see the module's docstring).

    `percent` adds columns (by their core name) shown as shares; `zone` is the timezone instants are shown in
    (the policy's), for columns the core returns as instants rather than wall-clock times. A numeric column with
    an empty cell becomes text, so the page shows a dash and not "None"; a full numeric column stays a number
    (sortable, formatted by the page, see `is_share`).
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column in DURATION_MINUTES:
            out[column] = duration(values * 60)
        elif column in WORDED and not pd.api.types.is_numeric_dtype(values):
            out[column] = values.map(value, na_action="ignore").fillna(MISSING)
        elif pd.api.types.is_datetime64_any_dtype(values):
            if zone is not None and values.dt.tz is not None:
                values = values.dt.tz_convert(zone)
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M").fillna(MISSING)
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "yes", False: "no"})
        elif pd.api.types.is_numeric_dtype(values):
            if values.isna().any():
                out[column] = _number_text(values, is_share(column, percent))
        elif values.isna().any():
            out[column] = values.astype(object).where(values.notna(), MISSING)
    if out.index.name in LABELS:
        out.index = out.index.rename(label(out.index.name))
    return out.rename(columns={c: label(c) for c in out.columns if isinstance(c, str)})


def is_share(column: str, percent: Iterable[str] = ()) -> bool:
    """Whether a column (by its core name) holds a share, to show it as a percent: PERCENT, or one the page
    names in `percent`."""
    return column in PERCENT or column in percent
