"""The weekly post-mortem cadence: the incidents that need a post-incident review and when each is due, the reviews
overdue, and the action items due this week or overdue, by owner.

Why a module of its own: the Incident feedback page's "This week" view and notify's weekly digest
(sla_core/notify/digest.py) list the same three things, so both read them here, from one set of rows: a review the
page shows as overdue is the one the digest names. The policy says which tiers need a review and how soon
(`post_mortem: {tiers, due_within}`); a review is due `due_within` real seconds after the ticket was resolved. A
week is an ISO week (Monday 00:00 to the next Monday 00:00, wall clock) in the policy's timezone, and "now" is the
instant the source was judged at (`source.as_of`: sla_core.now.now() when the source was built).

The reviews and action items are records people typed (sla_core.feedback), kept in the source's records file; the
incidents are the judged data in memory. They meet by ticket id: the reviewed ids travel as one list parameter, so
the incidents are still chosen over the whole results table in SQL, and the action items over the whole
action_items table of the records file.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ContextManager, Optional, Sequence
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from sla_core.analysis.query import RowsQuery, frame, local
from sla_core.feedback.records import feedback_store, open_items_due, reviewed_in
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident


@dataclass(frozen=True)
class Week:
    """An ISO week in a timezone: Monday 00:00 to the next Monday 00:00, wall clock (a week with a clock change
    is an hour shorter or longer)."""

    monday: date
    zone: str

    @classmethod
    def holding(cls, instant: datetime, zone: str) -> "Week":
        day = instant.astimezone(ZoneInfo(zone)).date()
        return cls(day - timedelta(days=day.weekday()), zone)

    @property
    def label(self) -> str:
        """ISO 8601's name for the week, e.g. 2026-W49 (the ISO year: 29 Dec 2025 is in 2026-W01)."""
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time(), ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        """The next Monday's midnight: the first instant after the week."""
        return datetime.combine(self.monday + timedelta(days=7), time(), ZoneInfo(self.zone))

    def previous(self) -> "Week":
        return Week(self.monday - timedelta(days=7), self.zone)

    def words(self) -> str:
        """The week as a heading says it: "2026-W49, Mon 30 Nov – Sun 6 Dec"."""
        return f"{self.label}, Mon {self.monday.day} {self.monday:%b} – Sun {self.sunday.day} {self.sunday:%b}"


def current_week(source: DataSource) -> Week:
    """The week holding now (the instant the source was judged at), in the policy's timezone."""
    return Week.holding(source.as_of, source.policy.timezone)


def today(source: DataSource) -> date:
    """Now's date in the policy's timezone: an action item whose deadline is before it is overdue."""
    return source.as_of.astimezone(source.policy.zone).date()


def _review_rows(source: DataSource, reviewed: Sequence[str]) -> RowsQuery:
    """Every incident that needs a post-incident review, one row each: a ticket whose resolution clock was judged
    at one of the policy's `post_mortem.tiers` (the tier in force, as critical_incidents reads it), resolved by
    now. Its review is due `due_within` after the resolution; it is overdue when it has no review past that."""
    text = f"""
        SELECT ticket_id, tier, segment, owner_team, resolved_at, due_at, reviewed,
               NOT reviewed AND due_at < $as_of AS overdue,
               CASE WHEN NOT reviewed THEN epoch(due_at) - epoch($as_of) END AS time_left_seconds
        FROM (SELECT r.ticket_id, r.tier, r.segment, r.owner_team, t.resolved_at,
                     t.resolved_at + to_seconds($due_within::BIGINT) AS due_at,
                     list_contains($reviewed::VARCHAR[], r.ticket_id) AS reviewed
              FROM {quote_ident(source.results)} r JOIN tickets t USING (ticket_id)
              WHERE r.metric = 'resolution' AND list_contains($tiers::VARCHAR[], r.tier)
                AND t.resolved_at <= $as_of)"""
    post_mortem = source.policy.post_mortem
    return RowsQuery(text, {"as_of": source.as_of, "due_within": int(post_mortem.due_within),
                            "tiers": list(post_mortem.tiers), "reviewed": list(reviewed),
                            "tz": source.policy.timezone})


_SHOWN = f"""ticket_id, tier, segment, owner_team, {local("resolved_at")} AS resolved, {local("due_at")} AS due,
             time_left_seconds"""


def reviews_resolved_in(source: DataSource, week: Week, reviewed: Sequence[str]) -> pd.DataFrame:
    """(a) The incidents resolved in `week` that need a review, with when each is due and whether it has one;
    those without a review first, the soonest due first. Columns: ticket_id, tier, segment, owner_team, resolved,
    due (wall clock in the policy's timezone), time_left_seconds (until the review is due, negative once overdue;
    empty when reviewed), reviewed, overdue."""
    rows = _review_rows(source, reviewed)
    return frame(source, f"""SELECT {_SHOWN}, reviewed, overdue FROM ({rows.text})
                             WHERE resolved_at >= $week_start AND resolved_at < $week_end
                             ORDER BY reviewed, due_at, ticket_id""",
                 {**rows.params, "week_start": week.start, "week_end": week.end})


def reviews_overdue(source: DataSource, reviewed: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """(b) The incidents whose review is past due, not written, and due within the policy's `post_mortem.chase_for`
    before now, the longest overdue first; and how many more are past due longer than that (not chased weekly).
    Columns: ticket_id, tier, segment, owner_team, resolved, due, time_left_seconds (negative)."""
    rows = _review_rows(source, reviewed)
    params = {**rows.params, "chased_from": source.as_of - timedelta(seconds=source.policy.post_mortem.chase_for)}
    overdue = frame(source, f"""SELECT {_SHOWN}, due_at < $chased_from AS long_past FROM ({rows.text})
                                WHERE overdue ORDER BY due_at, ticket_id""", params)
    long_past = overdue.pop("long_past").astype(bool)
    return overdue[~long_past].reset_index(drop=True), int(long_past.sum())


def _records(source: DataSource, records: Optional[duckdb.DuckDBPyConnection]
             ) -> ContextManager[duckdb.DuckDBPyConnection]:
    """The records file: the connection a caller already holds (notify reads inside its own), else the source's
    records file opened for this read."""
    return nullcontext(records) if records is not None else feedback_store(source.records)


def action_items_due(source: DataSource, week: Week, *,
                     records: Optional[duckdb.DuckDBPyConnection] = None) -> pd.DataFrame:
    """(c) The open action items due by the end of `week` (its Sunday) or overdue, by owner then deadline.
    Columns: owner, item, ticket_id, description, deadline, overdue (the deadline is before today)."""
    with _records(source, records) as con:
        return open_items_due(con, week.sunday, today(source))


@dataclass(frozen=True)
class Weekly:
    """What the weekly cadence lists at one instant: (a) `resolved`, the incidents resolved in `resolved_in` that
    need a review; (b) `overdue`, the reviews overdue; (c) `items`, the action items due in `week` or overdue."""

    week: Week  # the week holding now
    resolved_in: Week  # the week whose resolved incidents (a) lists: this week on the page, last week in the digest
    today: date
    due_within: int  # seconds from a resolution to its review's due time
    chase_for: int  # seconds past due a review stays listed (`post_mortem.chase_for`)
    resolved: pd.DataFrame
    overdue: pd.DataFrame
    items: pd.DataFrame
    older_overdue: int = 0  # reviews past due longer than `post_mortem.chase_for`: counted, not listed


def weekly(source: DataSource, resolved_in: Optional[Week] = None, *,
           records: Optional[duckdb.DuckDBPyConnection] = None) -> Weekly:
    """(a), (b) and (c) at the source's now, from one read of the records (`records`, an open connection to the
    records file, or the source's records file)."""
    week = current_week(source)
    with _records(source, records) as con:
        reviewed = reviewed_in(con)
        items = open_items_due(con, week.sunday, today(source))
    overdue, older = reviews_overdue(source, reviewed)
    return Weekly(week=week, resolved_in=resolved_in or week, today=today(source),
                  due_within=int(source.policy.post_mortem.due_within),
                  chase_for=int(source.policy.post_mortem.chase_for),
                  resolved=reviews_resolved_in(source, resolved_in or week, reviewed),
                  overdue=overdue, items=items, older_overdue=older)
