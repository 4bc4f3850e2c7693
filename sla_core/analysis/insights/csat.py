"""CSAT after incidents: the satisfaction of the customers a critical or high incident hit, next to every
other rated ticket, and the impacted cohort before vs after its first incident.

Customer (the cohort key): when the tickets carry a `customer` column, a customer is segment + customer;
otherwise each name listed in `impacted_customers` (split on `;` or `,`, "+N more" dropped) and each
`customer:NAME` tag. The NPS / CSAT cohorts of survey answers are incidents.py's.
"""

from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.insights.tickets import base_params, tickets_cte
from sla_core.analysis.query import RowsQuery, frame, in_period, local, rows_behind
from sla_core.sources import DataSource
from sla_core.sqlutil import fetch_one
from sla_core.vocab import INCIDENT_TIERS

CSAT_WINDOW_DAYS = 30


def _has_customer_column(source: DataSource) -> bool:
    found = fetch_one(source.con.cursor().execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'customer'"
    ))[0]
    return bool(found)


def cohort_rule(source: DataSource) -> str:
    """How this source's customers are identified, in words, for the page and the report."""
    if _has_customer_column(source):
        return "customer = segment + the tickets' `customer` column"
    return "customer = each name in `impacted_customers` (and `customer:NAME` tags); no customer column"


def _csat_cte(source: DataSource) -> str:
    """`keys` (ticket -> customer), `anchor` (customer -> first incident in the period) and `rated`."""
    if _has_customer_column(source):
        keys = """SELECT tk.ticket_id, coalesce(t.segment, '') || ' / ' || lower(trim(t.customer)) AS customer
                  FROM tk JOIN tickets t USING (ticket_id)
                  WHERE trim(coalesce(CAST(t.customer AS VARCHAR), '')) <> ''"""
    else:
        keys = r"""SELECT DISTINCT ticket_id, customer FROM (
                      SELECT ticket_id, lower(trim(unnest(string_split_regex(impacted_customers, '[;,]'))))
                             AS customer FROM tk
                      UNION ALL
                      SELECT ticket_id, lower(trim(substr(tag, 10))) FROM (
                          SELECT ticket_id, trim(unnest(string_split(tags, ','))) AS tag FROM tk
                      ) WHERE tag ILIKE 'customer:%'
                   ) WHERE customer <> '' AND NOT regexp_matches(customer, '^\+\s*\d+\s*more$')"""
    return f"""
    keys AS ({keys}),
    anchor AS (
        SELECT k.customer, min(tk.created_at) AS first_incident_at
        FROM keys k JOIN tk USING (ticket_id)
        WHERE list_contains($incident_tiers::VARCHAR[], tk.tier) AND {in_period("tk.created_at")}
        GROUP BY k.customer
    ), rated AS (
        SELECT * FROM tk WHERE csat IS NOT NULL AND resolved_at IS NOT NULL
    )"""


def _csat_scope() -> str:
    """Incidents created in the period and tickets resolved within the window around it."""
    window = "CAST($window AS INTERVAL)"
    return f"""({in_period('t.created_at')} OR (
        t.resolved_at >= timezone($tz, $period::TIMESTAMP) - {window}
        AND t.resolved_at < timezone($tz, ($period + INTERVAL 1 MONTH)::TIMESTAMP) + {window}))"""


def _csat_params(source: DataSource, filters: Filters, window_days: int) -> dict[str, Any]:
    return base_params(source, filters) | {
        "incident_tiers": list(INCIDENT_TIERS),
        "window": f"{int(window_days)} days",
    }


def _csat_rows(source: DataSource, filters: Filters, window_days: int) -> RowsQuery:
    """Rated tickets resolved in the period, split into impacted customers' and all others."""
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, _csat_scope())}, {_csat_cte(source)},
        impacted AS (
            SELECT k.ticket_id, string_agg(DISTINCT k.customer, '; ' ORDER BY k.customer) AS customers
            FROM keys k JOIN anchor USING (customer) GROUP BY k.ticket_id
        )
        SELECT r.ticket_id, r.tier, r.segment, r.owner_team,
               CASE WHEN i.ticket_id IS NULL THEN 'other tickets' ELSE 'impacted customers' END AS "group",
               i.customers, {local("r.resolved_at")} AS resolved, r.csat
        FROM rated r LEFT JOIN impacted i USING (ticket_id)
        WHERE {in_period("r.resolved_at")}""",
        _csat_params(source, filters, window_days),
    )


def csat_after_incidents(source: DataSource, filters: Filters) -> pd.DataFrame:
    """CSAT of customers hit by a critical/high incident created in the period vs all other tickets.

    Both groups are the rated tickets resolved in the period. Columns: group,
    tickets, csat_mean, share_low (CSAT 1-2).
    """
    rows = _csat_rows(source, filters, CSAT_WINDOW_DAYS)
    return frame(
        source,
        f"""SELECT "group", count(*) AS tickets, avg(csat) AS csat_mean,
               count(*) FILTER (WHERE csat <= 2) / count(*) AS share_low
        FROM ({rows.text}) GROUP BY "group" ORDER BY "group\"""",
        rows.params,
    )


def csat_tickets(source: DataSource, filters: Filters, group: Optional[str] = None) -> pd.DataFrame:
    """The rated tickets behind `csat_after_incidents` ('impacted customers' or 'other tickets')."""
    return rows_behind(source, _csat_rows(source, filters, CSAT_WINDOW_DAYS), {"group": group}, "csat, resolved DESC")


def _csat_cohort_rows(source: DataSource, filters: Filters, window_days: int) -> RowsQuery:
    """Each impacted customer's rated tickets in the window before and after its first incident."""
    return RowsQuery(
        f"""WITH {tickets_cte(source, filters, _csat_scope())}, {_csat_cte(source)}
        SELECT DISTINCT r.ticket_id, k.customer, {local("a.first_incident_at")} AS first_incident,
               CASE WHEN r.resolved_at < a.first_incident_at THEN 'before' ELSE 'after' END AS side,
               {local("r.resolved_at")} AS resolved, r.tier, r.csat
        FROM anchor a JOIN keys k USING (customer) JOIN rated r ON r.ticket_id = k.ticket_id
        WHERE r.resolved_at >= a.first_incident_at - CAST($window AS INTERVAL)
          AND r.resolved_at < a.first_incident_at + CAST($window AS INTERVAL)""",
        _csat_params(source, filters, window_days),
    )


def csat_before_after(source: DataSource, filters: Filters, window_days: int = CSAT_WINDOW_DAYS) -> pd.DataFrame:
    """The impacted cohort's CSAT in the `window_days` before vs after each customer's first incident.

    Columns: side ('before', 'after'), customers, tickets, csat_mean, change
    (after minus before, on the 'after' row). A ticket listing two customers
    counts once per side it falls on.
    """
    rows = _csat_cohort_rows(source, filters, window_days)
    return frame(
        source,
        f"""WITH r AS ({rows.text}), c AS (
            SELECT side, count(DISTINCT customer) AS customers, any_value(m.tickets) AS tickets,
                   any_value(m.csat_mean) AS csat_mean
            FROM r JOIN (
                SELECT side, count(*) AS tickets, avg(csat) AS csat_mean
                FROM (SELECT DISTINCT side, ticket_id, csat FROM r) GROUP BY side
            ) m USING (side)
            GROUP BY side
        )
        SELECT s.side, coalesce(c.customers, 0) AS customers, coalesce(c.tickets, 0) AS tickets, c.csat_mean,
               CASE WHEN s.side = 'after'
                    THEN c.csat_mean - (SELECT csat_mean FROM c WHERE side = 'before') END AS change
        FROM (SELECT unnest(['before', 'after']) AS side, generate_subscripts(['before', 'after'], 1) AS k) s
        LEFT JOIN c USING (side) ORDER BY s.k""",
        rows.params,
    )


def csat_cohort_tickets(
    source: DataSource, filters: Filters, side: Optional[str] = None, window_days: int = CSAT_WINDOW_DAYS
) -> pd.DataFrame:
    """The cohort tickets behind `csat_before_after` (one row per ticket and impacted customer)."""
    return rows_behind(source, _csat_cohort_rows(source, filters, window_days), {"side": side}, "customer, resolved")


