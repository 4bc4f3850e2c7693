"""What a notify target hears: which running clocks are news to it, and the Slack or PagerDuty message for each
(Slack incoming webhook `{"text": ...}`; PagerDuty Events API v2 `event_action`, `dedup_key`, `payload`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from sla_core.policy import Policy
from sla_core.policy.model import NotifyTarget
from sla_core.sqlutil import quote_ident

# What a message says of a running clock.
CLOCK_COLUMNS = ["ticket_id", "metric", "tier", "segment", "owner_team", "state", "due_at", "time_left_seconds"]


def clock_targets(policy: Policy) -> list[NotifyTarget]:
    """The targets that hear of clocks (a weekly digest target hears of reviews and action items instead)."""
    return [target for target in policy.notify if target.digest is None]


def target_key(target: NotifyTarget) -> str:
    """A target's name in the outbox: its kind and the variable holding its secret (never the secret)."""
    kind = f"{target.to}:{target.url_env if target.to == 'slack' else target.routing_key_env}"
    return f"{kind}:{target.digest}" if target.digest else kind


def _summary(clock: pd.Series, zone: str) -> str:
    when = "" if pd.isna(clock["due_at"]) else pd.Timestamp(clock["due_at"]).tz_convert(zone).strftime("%Y-%m-%d %H:%M")
    state = "at risk" if clock["state"] == "at_risk" else "breached"
    return (f"SLA {state}: {clock['ticket_id']} {str(clock['metric']).replace('_', ' ')} "
            f"({clock['tier']}, {clock['segment'] or 'no segment'}, {clock['owner_team'] or 'no team'}), "
            f"due {when} ({zone})")[:1024]


def dedup_key(ticket_id: str, metric: str) -> str:
    """One PagerDuty alert per clock: its trigger and its resolve share this key."""
    return f"sla-board:{ticket_id}:{metric}"[:255]


def _payload(target: NotifyTarget, clock: pd.Series, summary: str, now: datetime) -> dict[str, Any]:
    """A new message without its secret (PagerDuty's routing key is added when it is sent)."""
    if target.to == "slack":
        return {"text": summary}
    return {"event_action": "trigger", "dedup_key": dedup_key(clock["ticket_id"], clock["metric"]), "payload": {
        "summary": summary, "source": "sla-board", "severity": "critical" if clock["state"] == "breached" else "warning",
        "timestamp": now.isoformat(), "component": str(clock["metric"]), "group": str(clock["owner_team"] or ""),
        "class": str(clock["tier"]),
        "custom_details": {"ticket_id": str(clock["ticket_id"]), "state": str(clock["state"]),
                           "segment": str(clock["segment"] or "")}}}


def _running(con: duckdb.DuckDBPyConnection, results: str, policy: Policy) -> pd.DataFrame:
    """The running clocks some target may hear of (its states and tiers), selected in SQL: at 1M tickets the
    store holds 3M clocks and a few hundred of them are news."""
    states = sorted({s for t in clock_targets(policy) for s in t.states})
    tiers = sorted({tier for t in clock_targets(policy) for tier in t.tiers})
    return con.execute(
        f"SELECT {', '.join(CLOCK_COLUMNS)} FROM {quote_ident(results)} WHERE stopped_at IS NULL "
        "AND list_contains($states::VARCHAR[], state) AND list_contains($tiers::VARCHAR[], tier) "
        "ORDER BY ticket_id, metric", {"states": states, "tiers": tiers}).df()


def _stopped(con: duckdb.DuckDBPyConnection, results: str, clocks: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (ticket, metric) clocks have stopped."""
    if not clocks:
        return set()
    ids, metrics = zip(*sorted(clocks))
    rows = con.execute(
        f"""WITH asked AS (SELECT unnest($ids::VARCHAR[]) AS ticket_id, unnest($metrics::VARCHAR[]) AS metric)
            SELECT r.ticket_id, r.metric FROM {quote_ident(results)} r JOIN asked USING (ticket_id, metric)
            WHERE r.stopped_at IS NOT NULL""", {"ids": list(ids), "metrics": list(metrics)}).fetchall()
    return {(t, m) for t, m in rows}


def wanted(con: duckdb.DuckDBPyConnection, results: str, policy: Policy,
            known: set[tuple[str, str, str, str, str]], now: datetime) -> list[dict[str, Any]]:
    """New outbox rows (those `known` lacks): each target's running clocks in its states and tiers, and a
    PagerDuty resolve for each triggered clock that has stopped."""
    triggered = {(k, t, m) for k, a, t, m, _ in known if a == "trigger"}
    running = _running(con, results, policy)
    stopped = _stopped(con, results, {(t, m) for _, t, m in triggered})
    rows: list[dict[str, Any]] = []
    for target in clock_targets(policy):
        key = target_key(target)
        action = "message" if target.to == "slack" else "trigger"
        hits = running[running["state"].isin(target.states) & running["tier"].isin(target.tiers)]
        for _, clock in hits.iterrows():
            ident = (key, action, clock["ticket_id"], clock["metric"], clock["state"])
            if ident not in known:
                summary = _summary(clock, policy.timezone)
                rows.append({"target": key, "action": action, "ticket_id": clock["ticket_id"],
                             "metric": clock["metric"], "state": clock["state"], "summary": summary,
                             "payload": _payload(target, clock, summary, now)})
        if target.to == "pagerduty":
            for ticket_id, metric in sorted(t[1:] for t in triggered if t[0] == key):
                if (ticket_id, metric) in stopped and (key, "resolve", ticket_id, metric, "") not in known:
                    rows.append({"target": key, "action": "resolve", "ticket_id": ticket_id, "metric": metric,
                                 "state": "", "summary": f"clock stopped: {ticket_id} {metric}",
                                 "payload": {"event_action": "resolve", "dedup_key": dedup_key(ticket_id, metric)}})
    unique = {(r["target"], r["action"], r["ticket_id"], r["metric"], r["state"]): r for r in rows}
    return list(unique.values())  # two targets on one webhook: one message per clock and state, not two
