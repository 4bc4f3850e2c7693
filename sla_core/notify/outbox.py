"""`python -m sla_core notify`: tell the policy's `notify` targets when a running clock turns at_risk or breached,
and a weekly digest target once a week of the post-incident reviews and action items due (digest.py).

An outbox in the store makes it safe to run from cron every minute: each run judges the store at now, queues one
message per (target, clock, state) it has not queued before, resolves a PagerDuty alert once its clock stops,
queues one digest per digest target and ISO week (the row's ticket_id is the week, e.g. 2026-W50), then delivers
every message not yet delivered. A repeated run sends nothing twice; an endpoint that fails keeps
its messages for the next run; nothing is lost. Payloads follow Slack's incoming webhooks (`{"text": ...}`, 200 =
delivered) and PagerDuty's Events API v2 (`routing_key`, `event_action`, `dedup_key`, `payload`; 202 = accepted).
Secrets come from the environment at send time and are never stored, printed or logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, Union

import duckdb

from sla_core.access import Actor, local_actor, require
from sla_core.ingest.audit import record
from sla_core.ingest.store import audited_write, open_store
from sla_core.notify.digest import digest_of, digest_rows
from sla_core.notify.messages import target_key, wanted
from sla_core.policy import Policy
from sla_core.sources import store_source
from sla_core.sqlutil import fetch_one

PathLike = Union[str, Path]
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
OUTBOX_DDL = """CREATE TABLE IF NOT EXISTS notify_outbox (
    target VARCHAR NOT NULL, action VARCHAR NOT NULL, ticket_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
    state VARCHAR NOT NULL, payload VARCHAR NOT NULL, queued_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0, last_error VARCHAR,
    PRIMARY KEY (target, action, ticket_id, metric, state))"""
Sender = Callable[[str, bytes], tuple[int, str]]  # (url, JSON body) -> (HTTP status, short reason)


def _named(*ident: str) -> str:
    """An outbox row in one line: its key's parts, the empty ones (a digest has no metric or state) left out."""
    return " ".join(part for part in ident if part)


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
            for m in self.queued:
                out.append(f"  {_named(m['target'], m['action'], m['ticket_id'], m['metric'], m['state'])}: {m['summary']}")
                text = digest_of(m)  # a digest is printed whole, as the channel would read it
                out += [f"    {line}" for line in text.splitlines()] if text else []
            return out
        return [f"queued {len(self.queued)}, delivered {self.delivered}, failed {len(self.failed)} "
                f"(kept for the next run), waiting {self.pending}", *[f"  {line}" for line in self.failed]]


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
            report.failed.append(f"{_named(key, action, ticket_id, metric, state)}: {problem}")
    return outcomes


def notify(store: PathLike, policy: Policy, now: datetime, *, dry_run: bool = False, send: Sender,
           actor: Optional[Actor] = None) -> NotifyReport:
    """Queue what turned at_risk or breached since the last run and this week's digests not yet queued, then
    deliver everything not yet delivered."""
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
            known = {tuple(r[:5]) for r in rows}
            report.queued = [*wanted(source.con, source.results, policy, known, now),
                             *digest_rows(source, policy, known, con)]
        finally:
            con.close()
        report.pending = sum(1 for r in rows if r[5])
        return report
    require(actor, "admin", "sending notifications")
    con = open_store(store)
    try:  # queue, in one transaction; then let go of the store while the network is slow
        con.execute(OUTBOX_DDL)
        known = {tuple(r) for r in con.execute(
            "SELECT target, action, ticket_id, metric, state FROM notify_outbox").fetchall()}
        report.queued = [*wanted(source.con, source.results, policy, known, now),
                         *digest_rows(source, policy, known, con)]
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
