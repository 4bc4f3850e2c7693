"""The live breach queue: running clocks that are breached, at risk or paused, by time left.

The queue is judged at "now", not at the moment the data was loaded. Only
tickets with a clock still running can change state as time passes (the data
itself is fixed per data version), so `live_results` re-evaluates just those
tickets with the engine - cheap enough to run on a timer.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.where import FILTER_COLUMNS, filtered
from sla_core.columns import tags_sql
from sla_core.ingest.kept import evaluate_tickets
from sla_core.now import now
from sla_core.policy import Policy, playbooks
from sla_core.policy.teams import route_sql
from sla_core.sqlutil import quote_ident, table_columns
from sla_core.vocab import INCIDENT_TIERS

QUEUE_STATES: tuple[str, ...] = ("breached", "at_risk", "paused")

QUEUE_COLUMNS: tuple[str, ...] = (
    "priority",
    "ticket_id",
    "metric",
    "state",
    "time_left_seconds",
    "due",
    "tier",
    "segment",
    "owner_team",
    "discipline",
    "route",
    "channel",
    "missing_triage",
    "missing_tags",
    "playbook",
    "playbook_ids",
    "join_window_seconds",
    "joined_after_seconds",
    "join_left_seconds",
    "join_missed",
)


@contextmanager
def live_results(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    as_of: datetime,
    *,
    results: str = "sla_results",
    tickets: str = "tickets",
    events: str = "events",
) -> Iterator[str]:
    """Evaluate, at `as_of`, the tickets that had a clock running in `results`; yields the table.

    The table has a name of its own and is dropped on exit, so sessions
    sharing one database never see each other's queue.
    """
    cur = con.cursor()
    name = f"live_{uuid.uuid4().hex[:12]}"
    running = f"""SELECT ticket_id FROM {quote_ident(results)} WHERE stopped_at IS NULL AND state <> 'untimed'"""
    try:
        evaluate_tickets(cur, policy, as_of, running, tickets=quote_ident(tickets), events=quote_ident(events), out=name)
        yield name
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.close()


def _missing_triage_sql(policy: Policy, columns: list[str]) -> tuple[str, dict[str, object]]:
    """A comma list of the triage fields the clock's tier requires and the ticket lacks (a column the data
    does not have is lacking on every ticket), and its named parameters."""
    parts: list[str] = []
    params: dict[str, object] = {}
    for tier, fields in policy.triage_required.items():
        for field in fields:
            n = len(params)
            value = f"nullif(trim(CAST(t.{quote_ident(field)} AS VARCHAR)), '')" if field in columns else "NULL"
            parts.append(f"CASE WHEN r.tier = $triage_{n} AND {value} IS NULL THEN $triage_{n + 1} END")
            params |= {f"triage_{n}": tier, f"triage_{n + 1}": field}
    if not parts:
        return "CAST(NULL AS VARCHAR)", {}
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')", params


def _missing_tags_sql(policy: Policy, columns: list[str]) -> tuple[str, dict[str, object]]:
    """A comma list of the tags the clock's tier requires (`tags_required`) that the ticket's `tags` lack
    (compared case-insensitively; no `tags` column: all lack), and its named parameters."""
    parts: list[str] = []
    params: dict[str, object] = {}
    have = tags_sql("t.tags") if "tags" in columns else "CAST([] AS VARCHAR[])"
    for tier, tags in policy.tags_required.items():
        for tag in tags:
            n = len(params)
            parts.append(f"CASE WHEN r.tier = $tags_{n} AND NOT list_contains({have}, lower($tags_{n + 1})) "
                         f"THEN $tags_{n + 1} END")
            params |= {f"tags_{n}": tier, f"tags_{n + 1}": tag}
    if not parts:
        return "CAST(NULL AS VARCHAR)", {}
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')", params


def _join_sql(policy: Policy) -> tuple[str, str, dict[str, object]]:
    """SQL (the join window of `r.tier` in seconds, where its route also names responders; the responders of
    `r.tier`, trimmed and lower-cased) and parameters, from the policy's `routes` (teams.route_sql)."""
    window, window_params = route_sql(policy, "r.tier", prefix="join_w", field="join_within")
    named, named_params = route_sql(policy, "r.tier", prefix="join_r", field="responders")
    responders = f"list_transform(coalesce(CAST({named} AS VARCHAR[]), []), lambda x: lower(trim(x)))"
    return (f"CASE WHEN len({responders}) > 0 THEN CAST({window} AS BIGINT) END", responders,
            window_params | named_params)


# `joined`: per queued clock whose tier has a join window, seconds from creation to the first handoff to one of
# the route's responders (by $as_of); `timed`: the queued clocks with it, and what is left of the window.
_JOINED_CTES = """joined AS (
                SELECT q.ticket_id, q.metric, greatest(0, epoch(min(e."at")) - epoch(any_value(q.created_at))) AS after
                FROM queued q JOIN {events} e
                  ON e.ticket_id = q.ticket_id AND e.field = 'owner_team' AND e."at" <= $as_of
                 AND list_contains(q.responders, lower(trim(e.value)))
                WHERE q.join_window_seconds IS NOT NULL
                GROUP BY q.ticket_id, q.metric
            ), handed AS (SELECT DISTINCT ticket_id FROM {events} WHERE field = 'owner_team' AND "at" <= $as_of),
            timed AS (
                SELECT q.*,
                       -- a ticket never handed over that was raised with a responder team was with them from the start
                       coalesce(j.after, CASE WHEN h.ticket_id IS NULL
                                               AND list_contains(q.responders, lower(trim(q.owner_team))) THEN 0 END)
                           AS joined_after_seconds,
                       q.join_window_seconds - (epoch($as_of) - epoch(q.created_at)) AS join_left
                FROM queued q LEFT JOIN joined j USING (ticket_id, metric) LEFT JOIN handed h USING (ticket_id)
            )"""
_JOIN_COLUMNS = """r.join_window_seconds, r.joined_after_seconds,
                   CASE WHEN r.joined_after_seconds IS NULL AND r.join_left > 0 THEN r.join_left END
                       AS join_left_seconds,
                   CASE WHEN r.join_window_seconds IS NOT NULL
                        THEN coalesce(r.joined_after_seconds, r.join_window_seconds - r.join_left)
                             > r.join_window_seconds END AS join_missed"""


# What to do first: clocks that can still be saved on urgent tiers, then urgent breaches, then the same for the
# other tiers, then paused clocks; within each, least time left first (so the most overdue breach leads its group).
_PRIORITY_SQL = """
    CASE WHEN r.state = 'paused' THEN 5
         ELSE (CASE WHEN list_contains($urgent, r.tier) THEN 0 ELSE 2 END)
              + (CASE WHEN r.state = 'at_risk' THEN 1 ELSE 2 END)
    END
"""


def breach_queue(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    live: str,
    filters: Filters,
    viewer_timezone: str,
    *,
    tickets: str = "tickets",
    events: str = "events",
    as_of: Optional[datetime] = None,
) -> pd.DataFrame:
    """Running clocks breached, at risk or paused, in the order to act on them (columns: QUEUE_COLUMNS).

    `priority` 1-5: at risk on an urgent tier (INCIDENT_TIERS: critical, high), breached on an urgent tier, at risk
    on another tier, breached on another tier, paused; within a priority, least time left first.

    `due` is the due instant as wall-clock time in `viewer_timezone`; the
    period filter does not apply (the queue is always "now", `as_of`, default clock.now).

    Responders: where the tier's route names `responders` and a `join_within` window, a responder joined when
    the ticket was handed (an `owner_team` event) to a team the route names, compared trimmed and without case;
    a ticket never handed over whose `owner_team` is one of them was with them from the start.
    `joined_after_seconds` is from creation to the first such handoff; `join_left_seconds` what is left of the
    window while no one has joined; `join_missed` whether the window passed without one. All empty where the
    route names no window or the data holds no handoffs at all (it cannot tell who joined).
    """
    as_of = as_of or now()
    try:
        ZoneInfo(viewer_timezone)  # refuse an unknown zone before it reaches SQL
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {viewer_timezone!r} (use an IANA name such as Europe/London)") from None
    columns = table_columns(con.cursor(), quote_ident(tickets))
    triage_sql, triage_params = _missing_triage_sql(policy, columns)
    missing_tags, tags_params = _missing_tags_sql(policy, columns)
    channel_sql, channel_params = route_sql(policy, "r.tier", prefix="channel", field="channel")
    matched_sql, matched_params = playbooks.match_sql(policy)
    window_sql, responders_sql, join_params = _join_sql(policy)
    if join_params:  # no handoff in the data at all: no one can be seen joining, so no window is judged
        window_sql = f"CASE WHEN $handoffs THEN {window_sql} END"
        join_params["handoffs"] = bool(con.cursor().execute(
            f"SELECT count(*) > 0 FROM {quote_ident(events)} WHERE field = 'owner_team'").fetchall()[0][0])
    summaries = [book.summary for book in playbooks.playbooks(policy)]
    where = filtered(filters, columns={name: f"r.{column}" for name, column in FILTER_COLUMNS.items()})
    where.add("r.stopped_at IS NULL AND list_contains($queued, r.state)", queued=list(QUEUE_STATES))
    return (
        con.cursor()
        .execute(
            f"""
            WITH queued AS (
                SELECT r.*, {triage_sql} AS missing_triage, {missing_tags} AS missing_tags, {channel_sql} AS channel,
                       {matched_sql} AS playbook_ids, {window_sql} AS join_window_seconds,
                       {responders_sql} AS responders
                FROM {quote_ident(live)} r LEFT JOIN {quote_ident(tickets)} t USING (ticket_id)
                WHERE {where.sql}
            ), {_JOINED_CTES.format(events=quote_ident(events))}
            SELECT {_PRIORITY_SQL} AS priority, r.ticket_id, r.metric, r.state,
                   r.time_left_seconds,
                   timezone($viewer_tz, r.due_at) AS due,
                   r.tier, r.segment, r.owner_team, r.discipline, r.route, r.channel, r.missing_triage,
                   r.missing_tags,
                   nullif(array_to_string(list_transform(r.playbook_ids, lambda i: $summaries[i + 1]), '; '), '')
                       AS playbook,
                   r.playbook_ids, {_JOIN_COLUMNS}
            FROM timed r
            ORDER BY priority, r.time_left_seconds NULLS LAST, r.ticket_id, r.metric
            """,
            {**triage_params, **tags_params, **channel_params, **matched_params, **where.params, **join_params,
             "viewer_tz": viewer_timezone, "summaries": summaries, "urgent": list(INCIDENT_TIERS), "as_of": as_of},
        )
        .df()
    )


def joined_late(frame: pd.DataFrame) -> pd.Series:
    """Per clock of a breach queue: its responders missed the join window (False where no window was judged)."""
    return frame["join_missed"].astype("boolean").fillna(False).astype(bool)


def responders_missed(frame: pd.DataFrame) -> Optional[int]:
    """Tickets of a breach queue whose responders missed the join window; None where no clock had a window
    judged (no route names one, or the data holds no handoff to see a join by): the queue cannot say 0.
    Nothing queued: none missed."""
    if frame.empty:
        return 0
    if not frame["join_window_seconds"].notna().any():
        return None
    return int(frame.loc[joined_late(frame), "ticket_id"].nunique())
