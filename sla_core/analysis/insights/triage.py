"""Handoff quality: how many handoffs to engineering carry the triage template the policy asks of their tier
(`triage_required` fields, `tags_required` tags), and whether a complete one gets to an action plan faster.

Handed to engineering: an `owner_team` event to engineering (at its first one); a ticket without owner events
whose `owner_team` is engineering was handed over at creation.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.insights.tickets import (
    TRIAGE_PREFIX,
    base_params,
    handed_in_period,
    is_engineering,
    required_fields,
    tickets_cte,
)
from sla_core.analysis.query import RowsQuery, frame, hours, in_period, local, rows_behind
from sla_core.columns import tags_sql
from sla_core.policy import Policy
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident
from sla_core.vocab import TIERS

# The framework's claim: a complete triage template cuts handoff time by two-thirds.
CLAIMED_RATIO = 1 / 3


def _engineering_scope(policy: Policy) -> str:
    return f"""({handed_in_period(policy, to_engineering=True)}
               OR ({is_engineering(policy, 't.owner_team')} AND {in_period('t.created_at')}))"""


def _triage_rows(source: DataSource, filters: Filters) -> RowsQuery:
    """Tickets handed to engineering in the period whose tier requires triage fields, and what they lack."""
    required, tags = source.policy.triage_required, source.policy.tags_required
    params = base_params(source, filters) | {
        "req_tiers": list(TIERS),
        "req_fields": [list(required.get(t, [])) for t in TIERS],
        "req_tags": [list(tags.get(t, [])) for t in TIERS],
    }
    checks = []
    for i, field in enumerate(required_fields(source)):
        params[f"rf{i}"] = field
        checks.append(f"CASE WHEN list_contains(q.required, $rf{i}) "
                      f"AND trim(coalesce(CAST(tk.{quote_ident(TRIAGE_PREFIX + field)} AS VARCHAR), '')) = '' "
                      f"THEN $rf{i} END")
    have = tags_sql("tk.tags")
    for i, tag in enumerate(dict.fromkeys(t for listed in tags.values() for t in listed)):
        params[f"tg{i}"] = tag
        checks.append(f"CASE WHEN list_contains(q.tags, $tg{i}) AND NOT list_contains({have}, lower($tg{i})) "
                      f"THEN 'tag ' || $tg{i} END")
    missing = ", ".join(checks) or "CAST(NULL AS VARCHAR)"
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, _engineering_scope(source.policy))},
        req AS (
            SELECT unnest($req_tiers::VARCHAR[]) AS tier, unnest($req_fields::VARCHAR[][]) AS required,
                   unnest($req_tags::VARCHAR[][]) AS tags
        ), first_eng AS (
            SELECT ticket_id, min("at") AS handoff_at FROM ev
            WHERE field = 'owner_team' AND {is_engineering(source.policy, 'value')} GROUP BY ticket_id
        ), with_owner_events AS (
            SELECT DISTINCT ticket_id FROM ev WHERE field = 'owner_team'
        ), handed AS (
            SELECT tk.*, coalesce(f.handoff_at, tk.created_at) AS handoff_at
            FROM tk LEFT JOIN first_eng f USING (ticket_id)
            WHERE f.ticket_id IS NOT NULL
               OR ({is_engineering(source.policy, 'tk.owner_team')}
                   AND tk.ticket_id NOT IN (SELECT ticket_id FROM with_owner_events))
        ), firsts AS (
            SELECT h.ticket_id, min(e."at") AS first_action_at
            FROM handed h JOIN ev e ON e.ticket_id = h.ticket_id AND e."at" > h.handoff_at
                                   AND e.field IN ('status', 'owner_team')
            GROUP BY h.ticket_id
        ), plan AS (
            SELECT ticket_id, elapsed_seconds, calendar, state FROM {quote_ident(source.results)}
            WHERE metric = 'action_plan'
        )
        SELECT tk.ticket_id, tk.tier, tk.segment, tk.owner_team, {local("tk.handoff_at")} AS handoff,
               array_to_string(list_concat(q.required, list_transform(q.tags, lambda x: 'tag ' || x)), ', ')
                   AS required,
               array_to_string(list_filter([{missing}], lambda x: x IS NOT NULL), ', ') AS missing,
               len(list_filter([{missing}], lambda x: x IS NOT NULL)) = 0 AS complete,
               p.elapsed_seconds / 3600.0 AS action_plan_hours, p.calendar AS action_plan_calendar,
               p.state AS action_plan_state,
               {hours("tk.handoff_at", "least(f.first_action_at, CASE WHEN tk.action_plan_at > tk.handoff_at "
                       "THEN tk.action_plan_at END)")} AS handoff_wait_hours
        FROM handed tk
        JOIN req q ON q.tier = tk.tier
        LEFT JOIN firsts f USING (ticket_id)
        LEFT JOIN plan p USING (ticket_id)
        WHERE len(q.required) + len(q.tags) > 0 AND {in_period("tk.handoff_at")}""",
        params,
    )


def handoff_quality(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per tier with required triage fields (and 'all'): share of complete handoffs to engineering
    and whether a complete one is faster.

    Columns: tier, handed, complete, share_complete,
    plan_hours_complete / plan_hours_incomplete (median action-plan clock, in
    the tier's calendar hours; only stopped clocks), plan_ratio (complete ÷
    incomplete: the framework claims about 1/3), wait_hours_complete /
    wait_hours_incomplete (median handoff wait, wall-clock) and wait_ratio.
    Tiers without required fields have no template to meet and are left out.
    """
    rows = _triage_rows(source, filters)
    stats = """count(*) AS handed, count(*) FILTER (WHERE complete) AS complete,
               count(*) FILTER (WHERE complete) / count(*) AS share_complete,
               median(action_plan_hours) FILTER (WHERE complete AND action_plan_state IN ('met', 'breached'))
                   AS plan_hours_complete,
               median(action_plan_hours) FILTER (WHERE NOT complete AND action_plan_state IN ('met', 'breached'))
                   AS plan_hours_incomplete,
               median(handoff_wait_hours) FILTER (WHERE complete) AS wait_hours_complete,
               median(handoff_wait_hours) FILTER (WHERE NOT complete) AS wait_hours_incomplete"""
    return frame(
        source,
        f"""WITH r AS ({rows.text}), s AS (
            SELECT tier, list_position($tiers::VARCHAR[], tier) AS k, {stats} FROM r GROUP BY tier
            UNION ALL
            SELECT 'all', 99, {stats} FROM r HAVING count(*) > 0
        )
        SELECT tier, handed, complete, share_complete, plan_hours_complete, plan_hours_incomplete,
               plan_hours_complete / nullif(plan_hours_incomplete, 0) AS plan_ratio,
               wait_hours_complete, wait_hours_incomplete,
               wait_hours_complete / nullif(wait_hours_incomplete, 0) AS wait_ratio
        FROM s ORDER BY k""",
        rows.params | {"tiers": list(TIERS)},
    )


def handoff_quality_tickets(
    source: DataSource, filters: Filters, tier: Optional[str] = None, complete: Optional[bool] = None
) -> pd.DataFrame:
    """The engineering handoffs behind `handoff_quality`, incomplete ones first."""
    return rows_behind(source, _triage_rows(source, filters), {"tier": tier, "complete": complete},
                       "complete, handoff DESC")


