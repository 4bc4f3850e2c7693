"""What a weekly digest target hears: one Slack message a week listing the post-incident reviews and action items
of sla_core.analysis.weekly, queued in the outbox once per target and ISO week.

When: the first notify run of an ISO week (policy timezone) queues the week's digest; a later run that week finds
its outbox row (target, `digest`, the week's label, e.g. 2026-W50) and queues nothing. Run from cron every
minute, the digest goes out just after Monday 00:00, so the incidents it lists as resolved are last week's, whose
list is complete: each incident of the `post_mortem` tiers is listed in exactly one digest. The reviews overdue
are every week's, as of the run; the action items are those due this week (to its Sunday) or overdue, by owner.
A week in which notify never ran gets no digest afterwards; a digest whose send failed is sent by a later run, as
it was queued.

Slack reads `<`, `>` and `&` as markup (`<!channel>` would ping a whole channel), so every value from the data or
from what people typed is escaped.
"""

from __future__ import annotations

from typing import Any, Optional

import duckdb
import pandas as pd

from sla_core.analysis.weekly import Week, Weekly, current_week, weekly
from sla_core.notify.messages import target_key
from sla_core.policy import Policy
from sla_core.sources import DataSource

ACTION = "digest"  # the outbox action of a digest; its ticket_id is the week's label, metric and state are empty
LISTED = 25  # lines per list at most; the rest is counted and left to the page


def digest_targets(policy: Policy) -> dict[str, Any]:
    """The weekly digest targets by outbox key: two targets on one webhook share a key, so one message each week."""
    return {target_key(target): target for target in policy.notify if target.digest == "weekly"}


def _escaped(value: Any, cut: int = 120) -> str:
    """A value as Slack text: markup characters escaped, cut to `cut` characters (a description may hold 2,000)."""
    text = str(value) if len(str(value)) <= cut else str(value)[:cut - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(value: Any, with_time: bool = True) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp:%a} {stamp.day} {stamp:%b}" + (f" {stamp:%H:%M}" if with_time else "")


def _duration(seconds: int) -> str:
    return f"{seconds // 86400} d" if seconds % 86400 == 0 else f"{seconds / 3600:g} h"


def _capped(lines: list[str], more: str) -> list[str]:
    if len(lines) <= LISTED:
        return lines
    return [*lines[:LISTED], f"… and {len(lines) - LISTED} more {more}: see Incident feedback, This week"]


def _incident(row: pd.Series) -> str:
    who = " · ".join(_escaped(row[c]) for c in ("tier", "segment", "owner_team") if pd.notna(row[c]) and row[c])
    return f"• {_escaped(row['ticket_id'])} ({who}): resolved {_when(row['resolved'])}, review due {_when(row['due'])}"


def digest_text(listed: Weekly) -> str:
    """The digest as one Slack message (mrkdwn): the week, then (a), (b) and (c)."""
    week, zone = listed.week, listed.week.zone
    lines = [f"*Post-incident digest, week {week.words()} ({zone})*"]
    resolved = [
        _incident(row) + (": reviewed" if row["reviewed"] else ": overdue, no review" if row["overdue"]
                          else ": no review yet")
        for _, row in listed.resolved.iterrows()]
    lines += [f"*Resolved in {listed.resolved_in.words()} and needing a review* (due {_duration(listed.due_within)} "
              f"after the resolution): {len(resolved)}", *(_capped(resolved, "incidents") or ["none"])]
    overdue = [_incident(row) for _, row in listed.overdue.iterrows()]
    lines += [f"*Reviews overdue*: {len(overdue)}", *(_capped(overdue, "reviews") or ["none"])]
    if listed.older_overdue:
        lines.append(f"({listed.older_overdue} more past due longer than {_duration(listed.chase_for)}: left to the "
                     "quarterly retrospective)")
    items = listed.items
    lines.append(f"*Action items due by Sun {week.sunday.day} {week.sunday:%b} or overdue, by owner*: {len(items)}")
    if items.empty:
        lines.append("none")
    item_lines: list[str] = []
    for owner, mine in items.groupby("owner", sort=True):
        late = int(mine["overdue"].sum())
        item_lines.append(f"*{_escaped(owner)}* ({len(mine)}{f', {late} overdue' if late else ''})")
        item_lines += [f"• No. {row['item']} {_escaped(row['description'])} ({_escaped(row['ticket_id'])}): due "
                       f"{_when(row['deadline'], with_time=False)}{', overdue' if row['overdue'] else ''}"
                       for _, row in mine.iterrows()]
    lines += _capped(item_lines, "lines")
    return "\n".join(lines)


def digest_rows(source: DataSource, policy: Policy, known: set[tuple[str, str, str, str, str]],
                records: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """New outbox rows: this week's digest for each digest target whose row the outbox lacks (`known`), from the
    store's reviews and action items (`records`, the open store)."""
    week: Week = current_week(source)
    due = [key for key in digest_targets(policy) if (key, ACTION, week.label, "", "") not in known]
    if not due:
        return []  # every target has this week's digest: nothing to read
    listed = weekly(source, resolved_in=week.previous(), records=records)
    text = digest_text(listed)
    summary = (f"weekly digest {week.label}: {len(listed.resolved)} resolved last week, {len(listed.overdue)} "
               f"reviews overdue, {len(listed.items)} action items")
    return [{"target": key, "action": ACTION, "ticket_id": week.label, "metric": "", "state": "", "summary": summary,
             "payload": {"text": text}} for key in due]


def digest_of(row: dict[str, Any]) -> Optional[str]:
    """A queued row's digest text, for a dry run to print; None for a clock message."""
    return row["payload"]["text"] if row["action"] == ACTION else None
