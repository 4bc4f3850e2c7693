"""Owners and handoffs: time to definitive resolution by the team that owned the fix, the time each owner
held the tickets, and the wait after each handoff.

- Owners: a ticket with `owner_team` events is with `FIRST_OWNER` (support, the first line) from creation to
  its first handoff, then with each new owner until the next handoff, the final resolution, or `as_of`. A
  ticket without such events spent its whole life with its `owner_team` column.
- Handoff wait: from a handoff to the new owner's first action, which is the earliest of the next `status`
  event, the next handoff (passing a ticket on is an action) and a posted action plan, strictly after the
  handoff. A handoff with none of them by `as_of` has no wait yet (NULL) and counts as waiting.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.insights.tickets import base_params, handed_in_period, resolved_in_period, tickets_cte
from sla_core.analysis.query import RowsQuery, frame, hours, in_period, local, rows_behind
from sla_core.sources import DataSource

FIRST_OWNER = "support"


# --- Time to definitive resolution, by the team that owned the fix -------------------------------


def _resolution_rows(source: DataSource, filters: Filters) -> RowsQuery:
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, resolved_in_period())}
        SELECT ticket_id, tier, segment, owner_team,
               {local("created_at")} AS created, {local("resolved_at")} AS resolved,
               {hours("created_at", "resolved_at")} AS resolution_hours,
               coalesce(reopen_count, 0) AS reopen_count
        FROM tk
        WHERE resolved_at IS NOT NULL AND {in_period("resolved_at")}""",
        base_params(source, filters),
    )


def resolution_by_team(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per owner team: tickets finally resolved in the period and their time to definitive resolution.

    Columns: owner_team, tickets, median_hours, p90_hours, mean_hours (wall-clock,
    created to the final `resolved_at`, reopen cycles included).
    """
    rows = _resolution_rows(source, filters)
    return frame(
        source,
        f"""SELECT owner_team, count(*) AS tickets,
               median(resolution_hours) AS median_hours,
               quantile_cont(resolution_hours, 0.9) AS p90_hours,
               avg(resolution_hours) AS mean_hours
        FROM ({rows.text}) GROUP BY owner_team ORDER BY median_hours DESC, owner_team""",
        rows.params,
    )


def resolution_tickets(source: DataSource, filters: Filters, owner_team: Optional[str] = None) -> pd.DataFrame:
    """The tickets behind `resolution_by_team` (one owner team, or all), slowest first."""
    return rows_behind(source, _resolution_rows(source, filters), {"owner_team": owner_team},
                       "resolution_hours DESC")


# --- Time with each owner, and the wait after each handoff --------------------------------------


def _owner_segments_cte() -> str:
    """`seg`: one row per ticket and stretch with one owner (see the module docstring)."""
    return """
    handoff AS (
        SELECT ticket_id, "at", value AS owner, seq,
               lead("at") OVER (PARTITION BY ticket_id ORDER BY "at", seq) AS next_at,
               lag(value) OVER (PARTITION BY ticket_id ORDER BY "at", seq) AS prev_owner,
               row_number() OVER (PARTITION BY ticket_id ORDER BY "at", seq) AS k
        FROM ev WHERE field = 'owner_team'
    ), ends AS (
        SELECT tk.*, coalesce(tk.resolved_at, $as_of) AS end_at FROM tk
    ), seg AS (
        -- before the first handoff (or the whole life, without handoffs)
        SELECT e.ticket_id, e.tier, e.segment, e.resolved_at,
               CASE WHEN h.ticket_id IS NULL THEN e.owner_team ELSE $first_owner END AS owner,
               e.created_at AS seg_start, least(coalesce(h."at", e.end_at), e.end_at) AS seg_end
        FROM ends e LEFT JOIN handoff h ON h.ticket_id = e.ticket_id AND h.k = 1
        UNION ALL
        SELECT e.ticket_id, e.tier, e.segment, e.resolved_at, h.owner,
               greatest(h."at", e.created_at), least(coalesce(h.next_at, e.end_at), e.end_at)
        FROM ends e JOIN handoff h ON h.ticket_id = e.ticket_id
    )"""


def _owner_time_rows(source: DataSource, filters: Filters) -> RowsQuery:
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, resolved_in_period())}, {_owner_segments_cte()}
        SELECT ticket_id, tier, segment, owner,
               count(*) AS stretches,
               sum(greatest({hours("seg_start", "seg_end")}, 0)) AS hours_with_owner
        FROM seg
        WHERE resolved_at IS NOT NULL AND {in_period("resolved_at")}
        GROUP BY ticket_id, tier, segment, owner""",
        base_params(source, filters) | {"first_owner": FIRST_OWNER},
    )


def owner_time(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per owner: how long the tickets resolved in the period spent with them.

    Columns: owner, tickets (that passed through this owner), total_hours,
    median_hours (per ticket), share_of_time (of all ticket-hours in the period).
    """
    rows = _owner_time_rows(source, filters)
    return frame(
        source,
        f"""SELECT owner, count(*) AS tickets, sum(hours_with_owner) AS total_hours,
               median(hours_with_owner) AS median_hours,
               sum(hours_with_owner) / nullif(sum(sum(hours_with_owner)) OVER (), 0) AS share_of_time
        FROM ({rows.text}) GROUP BY owner ORDER BY total_hours DESC, owner""",
        rows.params,
    )


def owner_time_tickets(source: DataSource, filters: Filters, owner: Optional[str] = None) -> pd.DataFrame:
    """The tickets behind `owner_time`: hours each ticket spent with the owner, longest first."""
    return rows_behind(source, _owner_time_rows(source, filters), {"owner": owner}, "hours_with_owner DESC, ticket_id")


def _handoff_rows(source: DataSource, filters: Filters) -> RowsQuery:
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, handed_in_period(source.policy))}, {_owner_segments_cte()},
        acts AS (
            SELECT ticket_id, "at", 'status: ' || value AS action FROM ev WHERE field = 'status'
            UNION ALL
            SELECT ticket_id, "at", 'handoff to ' || value FROM ev WHERE field = 'owner_team'
            UNION ALL
            SELECT ticket_id, action_plan_at, 'action plan' FROM tk WHERE action_plan_at IS NOT NULL
        ), firsts AS (
            SELECT h.ticket_id, h.seq, min(a."at") AS first_action_at, arg_min(a.action, a."at") AS first_action
            FROM handoff h JOIN acts a ON a.ticket_id = h.ticket_id AND a."at" > h."at"
            GROUP BY h.ticket_id, h.seq
        )
        SELECT h.ticket_id, tk.tier, tk.segment,
               coalesce(h.prev_owner, $first_owner) AS from_owner, h.owner AS to_owner,
               {local('h."at"')} AS handoff, {local("f.first_action_at")} AS first_action_time,
               f.first_action,
               {hours('h."at"', "f.first_action_at")} AS wait_hours
        FROM handoff h JOIN tk USING (ticket_id)
        LEFT JOIN firsts f ON f.ticket_id = h.ticket_id AND f.seq = h.seq
        WHERE {in_period('h."at"')}""",
        base_params(source, filters) | {"first_owner": FIRST_OWNER},
    )


def handoff_waits(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per receiving team: handoffs made in the period and how long they waited for a first action.

    Columns: to_owner, handoffs, acted (handoffs with a first action by `as_of`),
    median_wait_hours, p90_wait_hours, mean_wait_hours.
    """
    rows = _handoff_rows(source, filters)
    return frame(
        source,
        f"""SELECT to_owner, count(*) AS handoffs, count(wait_hours) AS acted,
               median(wait_hours) AS median_wait_hours,
               quantile_cont(wait_hours, 0.9) AS p90_wait_hours,
               avg(wait_hours) AS mean_wait_hours
        FROM ({rows.text}) GROUP BY to_owner ORDER BY median_wait_hours DESC NULLS LAST, to_owner""",
        rows.params,
    )


def handoff_tickets(source: DataSource, filters: Filters, to_owner: Optional[str] = None) -> pd.DataFrame:
    """The handoffs behind `handoff_waits`, longest wait first (no action yet at the top)."""
    return rows_behind(source, _handoff_rows(source, filters), {"to_owner": to_owner},
                       "wait_hours DESC NULLS FIRST, ticket_id")
