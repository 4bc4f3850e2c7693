"""`python -m sla_core notify`: tell the policy's `notify` targets when a running clock turns at_risk or breached.

An outbox in the store makes it safe to run from cron every minute: each run judges the store at now, queues one
message per (target, clock, state) it has not queued before, resolves a PagerDuty alert once its clock stops,
then delivers every message not yet delivered. A repeated run sends nothing twice; an endpoint that fails keeps
its messages for the next run; nothing is lost. Payloads follow Slack's incoming webhooks (`{"text": ...}`, 200 =
delivered) and PagerDuty's Events API v2 (`routing_key`, `event_action`, `dedup_key`, `payload`; 202 = accepted).
Secrets come from the environment at send time and are never stored, printed or logged.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, Union

import duckdb
import pandas as pd

from sla_core.access import Actor, local_actor, require
from sla_core.analysis.datasource import store_source
from sla_core.ingest.audit import record
from sla_core.ingest.store import audited_write, open_store
from sla_core.policy import Policy
from sla_core.policy.model import NotifyTarget
from sla_core.sqlutil import fetch_one, quote_ident

PathLike = Union[str, Path]
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
OUTBOX_DDL = """CREATE TABLE IF NOT EXISTS notify_outbox (
    target VARCHAR NOT NULL, action VARCHAR NOT NULL, ticket_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
    state VARCHAR NOT NULL, payload VARCHAR NOT NULL, queued_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0, last_error VARCHAR,
    PRIMARY KEY (target, action, ticket_id, metric, state))"""
# What a message says of a running clock.
CLOCK_COLUMNS = ["ticket_id", "metric", "tier", "segment", "owner_team", "state", "due_at", "time_left_seconds"]

Sender = Callable[[str, bytes], tuple[int, str]]  # (url, JSON body) -> (HTTP status, short reason)


@dataclass
class NotifyReport:
    queued: list[dict[str, Any]] = field(default_factory=list)  # new messages of this run
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # one line per message that failed (no secret in it)
    pending: int = 0  # messages still waiting for a later run

    def lines(self, dry_run: bool) -> list[str]:
        if dry_run:
            out = [f"would queue {len(self.queued)} new message{'s' if len(self.queued) != 1 else ''}; "
                   f"{self.pending} waiting from earlier runs"]
            return out + [f"  {m['target']} {m['action']} {m['ticket_id']} {m['metric']} {m['state']}: {m['summary']}"
                          for m in self.queued]
        return [f"queued {len(self.queued)}, delivered {self.delivered}, failed {len(self.failed)} "
                f"(kept for the next run), waiting {self.pending}", *[f"  {line}" for line in self.failed]]


def target_key(target: NotifyTarget) -> str:
    """A target's name in the outbox: its kind and the variable holding its secret (never the secret)."""
    return f"{target.to}:{target.url_env if target.to == 'slack' else target.routing_key_env}"


def http_post(url: str, body: bytes) -> tuple[int, str]:
    """POST JSON; the status and a short reason (the body's start), or 0 and the network error."""
    try:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read(200).decode("utf-8", "replace")
    except Exception as err:  # noqa: BLE001 - a bad URL, a network or protocol error: its text may hold the secret URL
        return 0, f"{type(err).__name__} (the endpoint could not be reached)"


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
    states = sorted({s for t in policy.notify for s in t.states})
    tiers = sorted({tier for t in policy.notify for tier in t.tiers})
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


def _wanted(con: duckdb.DuckDBPyConnection, results: str, policy: Policy,
            known: set[tuple[str, str, str, str, str]], now: datetime) -> list[dict[str, Any]]:
    """New outbox rows (those `known` lacks): each target's running clocks in its states and tiers, and a
    PagerDuty resolve for each triggered clock that has stopped."""
    triggered = {(k, t, m) for k, a, t, m, _ in known if a == "trigger"}
    running = _running(con, results, policy)
    stopped = _stopped(con, results, {(t, m) for _, t, m in triggered})
    rows: list[dict[str, Any]] = []
    for target in policy.notify:
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


def _deliver(pending: list[tuple], policy: Policy, send: Sender, report: NotifyReport) -> list[tuple[list, Optional[str]]]:
    """Send the waiting messages, oldest first; each one's outcome (its key, and None or the problem). A clock
    whose earlier message failed keeps its later ones waiting, so a PagerDuty resolve never overtakes its
    trigger."""
    targets = {target_key(t): t for t in policy.notify}
    blocked: set[tuple[str, str, str]] = set()
    outcomes: list[tuple[list, Optional[str]]] = []
    for key, action, ticket_id, metric, state, payload in pending:
        ident = [key, action, ticket_id, metric, state]
        target = targets.get(key)
        if target is None or (key, ticket_id, metric) in blocked:
            continue  # a target the policy no longer names, or a clock waiting on an earlier message
        body = json.loads(payload)
        secret_env = target.url_env if target.to == "slack" else target.routing_key_env
        secret = os.environ.get(secret_env or "")
        url = os.environ.get(target.url_env or "") if target.url_env else PAGERDUTY_URL
        if not secret or not url:
            status, reason = 0, f"environment variable {secret_env if not secret else target.url_env} is not set"
        else:
            if target.to == "pagerduty":
                body = {"routing_key": secret, **body}
            status, reason = send(url, json.dumps(body).encode("utf-8"))
        if 200 <= status < 300:
            outcomes.append((ident, None))
            report.delivered += 1
        else:
            problem = f"HTTP {status}: {reason.strip()[:80]}" if status else reason
            outcomes.append((ident, problem))
            blocked.add((key, ticket_id, metric))
            report.failed.append(f"{key} {action} {ticket_id} {metric} {state}: {problem}")
    return outcomes


def notify(store: PathLike, policy: Policy, now: datetime, *, dry_run: bool = False, send: Sender = http_post,
           actor: Optional[Actor] = None) -> NotifyReport:
    """Queue what turned at_risk or breached since the last run, then deliver everything not yet delivered."""
    actor = actor or local_actor()
    report = NotifyReport()
    source = store_source(policy, Path(store), as_of=now)
    if dry_run:  # read only: the store is not touched
        con = duckdb.connect(str(store), read_only=True)
        try:
            has_outbox = bool(fetch_one(con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notify_outbox'"))[0])
            rows = con.execute("SELECT target, action, ticket_id, metric, state, sent_at IS NULL FROM notify_outbox"
                               ).fetchall() if has_outbox else []
        finally:
            con.close()
        report.queued = _wanted(source.con, source.results, policy, {tuple(r[:5]) for r in rows}, now)
        report.pending = sum(1 for r in rows if r[5])
        return report
    require(actor, "admin", "sending notifications")
    con = open_store(store)
    try:  # queue, in one transaction; then let go of the store while the network is slow
        con.execute(OUTBOX_DDL)
        known = {tuple(r) for r in con.execute(
            "SELECT target, action, ticket_id, metric, state FROM notify_outbox").fetchall()}
        report.queued = _wanted(source.con, source.results, policy, known, now)
        con.execute("BEGIN TRANSACTION")
        for row in report.queued:
            con.execute("INSERT INTO notify_outbox (target, action, ticket_id, metric, state, payload, queued_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [row["target"], row["action"], row["ticket_id"], row["metric"], row["state"],
                         json.dumps(row["payload"]), now])
        con.execute("COMMIT")
        pending = con.execute("SELECT target, action, ticket_id, metric, state, payload FROM notify_outbox "
                              "WHERE sent_at IS NULL ORDER BY queued_at, ticket_id, metric, action DESC").fetchall()
    finally:
        con.close()
    outcomes = _deliver(pending, policy, send, report)
    with audited_write(store, actor, "admin", "recording notifications", ddl=[OUTBOX_DDL]) as con:
        for ident, problem in outcomes:  # each delivery and its audit row commit together
            if problem is None:
                con.execute("UPDATE notify_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
                            "WHERE target = ? AND action = ? AND ticket_id = ? AND metric = ? AND state = ?",
                            [now, *ident])
                record(con, actor, "notify delivery", " ".join(str(part) for part in ident).rstrip())
            else:
                con.execute("UPDATE notify_outbox SET attempts = attempts + 1, last_error = ? "
                            "WHERE target = ? AND action = ? AND ticket_id = ? AND metric = ? AND state = ?",
                            [problem, *ident])
        report.pending = int(fetch_one(con.execute("SELECT count(*) FROM notify_outbox WHERE sent_at IS NULL"))[0])
    return report
