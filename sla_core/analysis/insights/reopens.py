"""Reopens: how often a fix did not stick, per tier and owner team, and month by month over the review's year.

Reopened: `reopen_count > 0`, or a `status` event leaving resolved/closed for any other status.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.insights.tickets import base_params, tickets_cte
from sla_core.analysis.query import RowsQuery, frame, in_period, local, month, rows_behind
from sla_core.analysis.review import TREND_MONTHS
from sla_core.periods import shift_month
from sla_core.sources import DataSource
from sla_core.vocab import TIERS

RESOLVED_STATUSES: tuple[str, ...] = ("resolved", "closed")


def _reopen_rows(source: DataSource, filters: Filters, *, months: int = 1) -> RowsQuery:
    """Tickets finally resolved in the period (or the `months` ending at it) and whether they reopened."""
    params = base_params(source, filters) | {"resolved_statuses": list(RESOLVED_STATUSES)}
    if months > 1 and filters.period is not None:
        params |= {"first": shift_month(filters.period, -(months - 1)), "last": filters.period}
        window = lambda expr: f"{month(expr)} BETWEEN $first AND $last"  # noqa: E731
    else:
        window = in_period
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, f"t.resolved_at <= $as_of AND {window('t.resolved_at')}")},
        ev_reopens AS (
            -- a status other than resolved/closed after the first resolution: an aggregate, not a window
            SELECT ticket_id,
                   min("at") FILTER (WHERE list_contains($resolved_statuses::VARCHAR[], value))
                       < max("at") FILTER (WHERE NOT list_contains($resolved_statuses::VARCHAR[], value))
                       AS reopened
            FROM ev WHERE field = 'status' GROUP BY ticket_id
        )
        SELECT tk.ticket_id, tk.tier, tk.segment, tk.owner_team, {month("tk.resolved_at")} AS month,
               {local("tk.resolved_at")} AS resolved,
               coalesce(tk.reopen_count, 0) AS reopen_count, coalesce(r.reopened, FALSE) AS reopened_in_events,
               coalesce(tk.reopen_count, 0) > 0 OR coalesce(r.reopened, FALSE) AS reopened
        FROM tk LEFT JOIN ev_reopens r USING (ticket_id)
        WHERE tk.resolved_at IS NOT NULL AND {window("tk.resolved_at")}""",
        params,
    )


def reopen_rate(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per tier and owner team: tickets resolved in the period, how many reopened, the rate.

    Columns: tier, owner_team, resolved, reopened, reopen_rate.
    """
    rows = _reopen_rows(source, filters)
    rates = frame(
        source,
        f"""SELECT tier, owner_team, count(*) AS resolved, count(*) FILTER (WHERE reopened) AS reopened,
               count(*) FILTER (WHERE reopened) / count(*) AS reopen_rate
        FROM ({rows.text}) GROUP BY tier, owner_team""",
        rows.params,
    )
    return _tier_order(rates, "owner_team")


def reopen_trend(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Reopen rate per month and tier over the 12 months ending at the period.

    Columns: month, tier, resolved, reopened, reopen_rate. Without a period: every month.
    """
    rows = _reopen_rows(source, filters, months=TREND_MONTHS)
    return frame(
        source,
        f"""SELECT month, tier, count(*) AS resolved, count(*) FILTER (WHERE reopened) AS reopened,
               count(*) FILTER (WHERE reopened) / count(*) AS reopen_rate
        FROM ({rows.text}) GROUP BY month, tier
        ORDER BY month, list_position($tiers::VARCHAR[], tier)""",
        rows.params | {"tiers": list(TIERS)},
    )


def reopen_tickets(
    source: DataSource,
    filters: Filters,
    tier: Optional[str] = None,
    owner_team: Optional[str] = None,
    *,
    reopened_only: bool = True,
) -> pd.DataFrame:
    """The tickets behind `reopen_rate` (the reopened ones unless `reopened_only=False`)."""
    where = {"tier": tier, "owner_team": owner_team, "reopened": True if reopened_only else None}
    return rows_behind(source, _reopen_rows(source, filters), where, "resolved DESC, ticket_id")


def _tier_order(rates: pd.DataFrame, *then: str) -> pd.DataFrame:
    """Most urgent tier first (vocab.TIERS), then the given columns."""
    order = {tier: i for i, tier in enumerate(TIERS)}
    key = rates["tier"].map(order).fillna(len(order))
    return rates.assign(_k=key).sort_values(["_k", *then]).drop(columns="_k").reset_index(drop=True)
