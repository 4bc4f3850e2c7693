"""Beyond the timers: the systemic metrics of the monthly review, each with its drill-down.

The SLA clocks say whether a promise was kept; these say why tickets are slow:
who held them, how long a handed-off ticket waited, how often fixes did not
stick, how incidents were first seen, what incidents did to satisfaction and
whether a complete triage handoff pays off.

Every metric is one parameterized DuckDB query over the source's `tickets`,
`events` and engine results. A private `_*_rows` builder gives one row per
ticket (or handoff) with the columns the metric groups by; the summary
aggregates it and the drill-down filters it, so a number and the tickets
behind it cannot disagree.

Definitions where the data leaves room (all times are wall-clock, real seconds,
unless a column says it is an SLA clock's elapsed time):

- A ticket's tier is the tier in force on its resolution clock (the engine's
  result row; so a re-tiered ticket counts at its latest tier).
- Owners: a ticket with `owner_team` events is with `FIRST_OWNER` (support,
  the first line) from creation to its first handoff, then with each new owner
  until the next handoff, the final resolution, or `as_of`. A ticket without
  such events spent its whole life with its `owner_team` column.
- Handoff wait: from a handoff to the new owner's first action, which is the
  earliest of the next `status` event, the next handoff (passing a ticket on is
  an action) and a posted action plan, strictly after the handoff. A handoff
  with none of them by `as_of` has no wait yet (NULL) and counts as waiting.
- Reopened: `reopen_count > 0`, or a `status` event leaving resolved/closed for
  any other status.
- Incidents, time to detect and the NPS / CSAT cohorts of survey answers: incidents.py.
- CSAT cohort: when the tickets carry a `customer` column, a customer is
  segment + customer; otherwise each name listed in `impacted_customers`
  (split on `;` or `,`, "+N more" dropped) and each `customer:NAME` tag.
- Handed to engineering: an `owner_team` event to engineering (at its first
  one); a ticket without owner events whose `owner_team` is engineering was
  handed over at creation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import pandas as pd

from sla_core.analysis import incidents
from sla_core.analysis.filters import Filters
from sla_core.analysis.where import Where, filtered
from sla_core.columns import tags_sql
from sla_core.periods import shift_month
from sla_core.policy import Policy
from sla_core.policy.teams import discipline_sql
from sla_core.sources import DataSource
from sla_core.sqlutil import fetch_one, quote_ident, table_columns
from sla_core.vocab import INCIDENT_TIERS, TIERS, TRIAGE_FIELDS

FIRST_OWNER = "support"
NO_TEAM = "(no owner team)"
TREND_MONTHS = 12
CSAT_WINDOW_DAYS = 30
RESOLVED_STATUSES: tuple[str, ...] = ("resolved", "closed")
# The framework's claim: a complete triage template cuts handoff time by two-thirds.
CLAIMED_RATIO = 1 / 3


@dataclass(frozen=True)
class Sql:
    """A query and its named parameters."""

    text: str
    params: dict[str, Any]


def _frame(src: DataSource, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run on a fresh cursor (the source is shared by Streamlit threads) with the parameters the SQL names."""
    used = {key: value for key, value in params.items() if re.search(rf"\${key}\b", sql)}
    return src.con.cursor().execute(sql, used).df()


def _base_params(src: DataSource, filters: Filters) -> dict[str, Any]:
    return {
        "tz": src.policy.timezone,
        "as_of": src.as_of,
        "period": filters.period,
        "no_team": NO_TEAM,
        **_ticket_filters(filters).params,
        **discipline_sql(src.policy, "owner_team")[1],
    }


def _ticket_filters(filters: Filters) -> Where:
    """The shared filters on the tickets `t` and their resolution clock `r` (the tier the review shows)."""
    return filtered(filters, columns={"segment": "t.segment", "owner_team": "t.owner_team",
                                      "discipline": "r.discipline", "tier": "r.tier"})


TRIAGE_PREFIX = "triage__"  # the ticket's own value of a required field (owner_team, say, is filled in `tk`)


def _required_fields(src: DataSource) -> list[str]:
    """Every triage field the policy requires of any tier (any column), the sample's four first."""
    named = [f for fields in src.policy.triage_required.values() for f in fields]
    return list(dict.fromkeys([*TRIAGE_FIELDS, *named]))


def _triage_columns(src: DataSource) -> list[str]:
    """`t.<field>` for each required triage field; a field the tickets lack reads empty (so it is missing)."""
    have = set(table_columns(src.con.cursor(), "tickets"))
    return [f"{f't.{quote_ident(f)}' if f in have else 'CAST(NULL AS VARCHAR)'} AS {quote_ident(TRIAGE_PREFIX + f)}"
            for f in _required_fields(src)]


def _tickets_cte(src: DataSource, filters: Filters, scope: str = "TRUE") -> str:
    """`tk`: the tickets created by `as_of`, with their tier and owner team as the review shows them; `ev`:
    their events known at `as_of`.

    `scope` is a cheap SQL condition on `t` (the tickets) that keeps at least every ticket the metric can
    count (a superset: the metric applies its exact rule later); with a period set it keeps the window
    functions over events to the month's tickets instead of the whole history.
    """
    return f"""
    tk AS (
        SELECT t.ticket_id, t.created_at, t.segment, coalesce(t.owner_team, $no_team) AS owner_team,
               r.tier, t.source, t.detected_at, t.started_at, t.acknowledged_at,
               CASE WHEN t.action_plan_at <= $as_of THEN t.action_plan_at END AS action_plan_at,
               CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END AS resolved_at,
               t.reopen_count, t.csat, t.impacted_customers, t.tags,
               {", ".join(_triage_columns(src))}
        FROM tickets t
        JOIN {quote_ident(src.results)} r ON r.ticket_id = t.ticket_id AND r.metric = 'resolution'
        WHERE {_ticket_filters(filters).sql}
          AND ({scope})
    ), ev AS (
        SELECT ticket_id, "at", field, value, seq FROM events
        WHERE "at" <= $as_of AND ticket_id IN (SELECT ticket_id FROM tk)
    )"""


def _in_period(expr: str) -> str:
    """SQL: `expr` falls in the filtered month (policy timezone); no period = all time."""
    return f"($period IS NULL OR CAST(date_trunc('month', timezone($tz, {expr})) AS DATE) = $period)"


def _month(expr: str) -> str:
    return f"CAST(date_trunc('month', timezone($tz, {expr})) AS DATE)"


def _resolved_in_period() -> str:
    return f"t.resolved_at <= $as_of AND {_in_period('t.resolved_at')}"


def _is_engineering(policy: Policy, team: str) -> str:
    """SQL: the team expression's discipline (the policy's `disciplines`) is engineering; reads `$disc_*`."""
    return f"{discipline_sql(policy, team)[0]} = 'engineering'"


def _handed_in_period(policy: Policy, *, to_engineering: bool = False) -> str:
    """Tickets with a handoff (to an engineering team, if asked) in the period."""
    only = f" AND {_is_engineering(policy, 'value')}" if to_engineering else ""
    return f"""t.ticket_id IN (SELECT ticket_id FROM events WHERE field = 'owner_team'{only}
                                 AND "at" <= $as_of AND {_in_period('"at"')})"""


def _hours(start: str, end: str) -> str:
    return f"(epoch({end}) - epoch({start})) / 3600.0"


def _local(expr: str) -> str:
    return f"timezone($tz, {expr})"


def _drill(src: DataSource, rows: Sql, where: dict[str, Any], order: str) -> pd.DataFrame:
    """The rows behind a number: `rows` narrowed to the given column values (None = any)."""
    clauses, params = [], dict(rows.params)
    for i, (column, value) in enumerate(where.items()):
        if value is not None:
            clauses.append(f"{quote_ident(column)} = $w{i}")
            params[f"w{i}"] = value
    condition = " AND ".join(clauses) or "TRUE"
    return _frame(src, f"SELECT * FROM ({rows.text}) WHERE {condition} ORDER BY {order}", params)


# --- Time to definitive resolution, by the team that owned the fix -------------------------------


def _resolution_rows(src: DataSource, filters: Filters) -> Sql:
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _resolved_in_period())}
        SELECT ticket_id, tier, segment, owner_team,
               {_local("created_at")} AS created, {_local("resolved_at")} AS resolved,
               {_hours("created_at", "resolved_at")} AS resolution_hours,
               coalesce(reopen_count, 0) AS reopen_count
        FROM tk
        WHERE resolved_at IS NOT NULL AND {_in_period("resolved_at")}""",
        _base_params(src, filters),
    )


def resolution_by_team(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per owner team: tickets finally resolved in the period and their time to definitive resolution.

    Columns: owner_team, tickets, median_hours, p90_hours, mean_hours (wall-clock,
    created to the final `resolved_at`, reopen cycles included).
    """
    rows = _resolution_rows(src, filters)
    return _frame(
        src,
        f"""SELECT owner_team, count(*) AS tickets,
               median(resolution_hours) AS median_hours,
               quantile_cont(resolution_hours, 0.9) AS p90_hours,
               avg(resolution_hours) AS mean_hours
        FROM ({rows.text}) GROUP BY owner_team ORDER BY median_hours DESC, owner_team""",
        rows.params,
    )


def resolution_tickets(src: DataSource, filters: Filters, owner_team: Optional[str] = None) -> pd.DataFrame:
    """The tickets behind `resolution_by_team` (one owner team, or all), slowest first."""
    return _drill(src, _resolution_rows(src, filters), {"owner_team": owner_team}, "resolution_hours DESC")


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


def _owner_time_rows(src: DataSource, filters: Filters) -> Sql:
    params = _base_params(src, filters) | {"first_owner": FIRST_OWNER}
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _resolved_in_period())}, {_owner_segments_cte()}
        SELECT ticket_id, tier, segment, owner,
               count(*) AS stretches,
               sum(greatest({_hours("seg_start", "seg_end")}, 0)) AS hours_with_owner
        FROM seg
        WHERE resolved_at IS NOT NULL AND {_in_period("resolved_at")}
        GROUP BY ticket_id, tier, segment, owner""",
        params,
    )


def owner_time(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per owner: how long the tickets resolved in the period spent with them.

    Columns: owner, tickets (that passed through this owner), total_hours,
    median_hours (per ticket), share_of_time (of all ticket-hours in the period).
    """
    rows = _owner_time_rows(src, filters)
    return _frame(
        src,
        f"""SELECT owner, count(*) AS tickets, sum(hours_with_owner) AS total_hours,
               median(hours_with_owner) AS median_hours,
               sum(hours_with_owner) / nullif(sum(sum(hours_with_owner)) OVER (), 0) AS share_of_time
        FROM ({rows.text}) GROUP BY owner ORDER BY total_hours DESC, owner""",
        rows.params,
    )


def owner_time_tickets(src: DataSource, filters: Filters, owner: Optional[str] = None) -> pd.DataFrame:
    """The tickets behind `owner_time`: hours each ticket spent with the owner, longest first."""
    return _drill(src, _owner_time_rows(src, filters), {"owner": owner}, "hours_with_owner DESC, ticket_id")


def _handoff_rows(src: DataSource, filters: Filters) -> Sql:
    params = _base_params(src, filters) | {"first_owner": FIRST_OWNER}
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _handed_in_period(src.policy))}, {_owner_segments_cte()},
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
               {_local('h."at"')} AS handoff, {_local("f.first_action_at")} AS first_action_time,
               f.first_action,
               {_hours('h."at"', "f.first_action_at")} AS wait_hours
        FROM handoff h JOIN tk USING (ticket_id)
        LEFT JOIN firsts f ON f.ticket_id = h.ticket_id AND f.seq = h.seq
        WHERE {_in_period('h."at"')}""",
        params,
    )


def handoff_waits(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per receiving team: handoffs made in the period and how long they waited for a first action.

    Columns: to_owner, handoffs, acted (handoffs with a first action by `as_of`),
    median_wait_hours, p90_wait_hours, mean_wait_hours.
    """
    rows = _handoff_rows(src, filters)
    return _frame(
        src,
        f"""SELECT to_owner, count(*) AS handoffs, count(wait_hours) AS acted,
               median(wait_hours) AS median_wait_hours,
               quantile_cont(wait_hours, 0.9) AS p90_wait_hours,
               avg(wait_hours) AS mean_wait_hours
        FROM ({rows.text}) GROUP BY to_owner ORDER BY median_wait_hours DESC NULLS LAST, to_owner""",
        rows.params,
    )


def handoff_tickets(src: DataSource, filters: Filters, to_owner: Optional[str] = None) -> pd.DataFrame:
    """The handoffs behind `handoff_waits`, longest wait first (no action yet at the top)."""
    return _drill(src, _handoff_rows(src, filters), {"to_owner": to_owner}, "wait_hours DESC NULLS FIRST, ticket_id")


# --- Reopen rate ----------------------------------------------------------------------------------


def _reopen_rows(src: DataSource, filters: Filters, *, months: int = 1) -> Sql:
    """Tickets finally resolved in the period (or the `months` ending at it) and whether they reopened."""
    params = _base_params(src, filters) | {"resolved_statuses": list(RESOLVED_STATUSES)}
    if months > 1 and filters.period is not None:
        params |= {"first": shift_month(filters.period, -(months - 1)), "last": filters.period}
        window = lambda expr: f"{_month(expr)} BETWEEN $first AND $last"  # noqa: E731
    else:
        window = _in_period
    return Sql(
        f"""WITH {_tickets_cte(src, filters, f"t.resolved_at <= $as_of AND {window('t.resolved_at')}")},
        ev_reopens AS (
            -- a status other than resolved/closed after the first resolution: an aggregate, not a window
            SELECT ticket_id,
                   min("at") FILTER (WHERE list_contains($resolved_statuses::VARCHAR[], value))
                       < max("at") FILTER (WHERE NOT list_contains($resolved_statuses::VARCHAR[], value))
                       AS reopened
            FROM ev WHERE field = 'status' GROUP BY ticket_id
        )
        SELECT tk.ticket_id, tk.tier, tk.segment, tk.owner_team, {_month("tk.resolved_at")} AS month,
               {_local("tk.resolved_at")} AS resolved,
               coalesce(tk.reopen_count, 0) AS reopen_count, coalesce(r.reopened, FALSE) AS reopened_in_events,
               coalesce(tk.reopen_count, 0) > 0 OR coalesce(r.reopened, FALSE) AS reopened
        FROM tk LEFT JOIN ev_reopens r USING (ticket_id)
        WHERE tk.resolved_at IS NOT NULL AND {window("tk.resolved_at")}""",
        params,
    )


def reopen_rate(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per tier and owner team: tickets resolved in the period, how many reopened, the rate.

    Columns: tier, owner_team, resolved, reopened, reopen_rate.
    """
    rows = _reopen_rows(src, filters)
    frame = _frame(
        src,
        f"""SELECT tier, owner_team, count(*) AS resolved, count(*) FILTER (WHERE reopened) AS reopened,
               count(*) FILTER (WHERE reopened) / count(*) AS reopen_rate
        FROM ({rows.text}) GROUP BY tier, owner_team""",
        rows.params,
    )
    return _tier_order(frame, "owner_team")


def reopen_trend(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Reopen rate per month and tier over the 12 months ending at the period.

    Columns: month, tier, resolved, reopened, reopen_rate. Without a period: every month.
    """
    rows = _reopen_rows(src, filters, months=TREND_MONTHS)
    return _frame(
        src,
        f"""SELECT month, tier, count(*) AS resolved, count(*) FILTER (WHERE reopened) AS reopened,
               count(*) FILTER (WHERE reopened) / count(*) AS reopen_rate
        FROM ({rows.text}) GROUP BY month, tier
        ORDER BY month, list_position($tiers::VARCHAR[], tier)""",
        rows.params | {"tiers": list(TIERS)},
    )


def reopen_tickets(
    src: DataSource,
    filters: Filters,
    tier: Optional[str] = None,
    owner_team: Optional[str] = None,
    *,
    reopened_only: bool = True,
) -> pd.DataFrame:
    """The tickets behind `reopen_rate` (the reopened ones unless `reopened_only=False`)."""
    where = {"tier": tier, "owner_team": owner_team, "reopened": True if reopened_only else None}
    return _drill(src, _reopen_rows(src, filters), where, "resolved DESC, ticket_id")


def _tier_order(frame: pd.DataFrame, *then: str) -> pd.DataFrame:
    order = {tier: i for i, tier in enumerate(TIERS)}
    key = frame["tier"].map(order).fillna(len(order))
    return frame.assign(_k=key).sort_values(["_k", *then]).drop(columns="_k").reset_index(drop=True)


# --- Customer satisfaction after incidents --------------------------------------------------------


def _has_customer_column(src: DataSource) -> bool:
    found = fetch_one(src.con.cursor().execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'customer'"
    ))[0]
    return bool(found)


def cohort_rule(src: DataSource) -> str:
    """How this source's customers are identified, in words, for the page and the report."""
    if _has_customer_column(src):
        return "customer = segment + the tickets' `customer` column"
    return "customer = each name in `impacted_customers` (and `customer:NAME` tags); no customer column"


def _csat_cte(src: DataSource) -> str:
    """`keys` (ticket -> customer), `anchor` (customer -> first incident in the period) and `rated`."""
    if _has_customer_column(src):
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
        WHERE list_contains($incident_tiers::VARCHAR[], tk.tier) AND {_in_period("tk.created_at")}
        GROUP BY k.customer
    ), rated AS (
        SELECT * FROM tk WHERE csat IS NOT NULL AND resolved_at IS NOT NULL
    )"""


def _csat_scope() -> str:
    """Incidents created in the period and tickets resolved within the window around it."""
    window = "CAST($window AS INTERVAL)"
    return f"""({_in_period('t.created_at')} OR (
        t.resolved_at >= timezone($tz, $period::TIMESTAMP) - {window}
        AND t.resolved_at < timezone($tz, ($period + INTERVAL 1 MONTH)::TIMESTAMP) + {window}))"""


def _csat_params(src: DataSource, filters: Filters, window_days: int) -> dict[str, Any]:
    return _base_params(src, filters) | {
        "incident_tiers": list(INCIDENT_TIERS),
        "window": f"{int(window_days)} days",
    }


def _csat_rows(src: DataSource, filters: Filters, window_days: int) -> Sql:
    """Rated tickets resolved in the period, split into impacted customers' and all others."""
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _csat_scope())}, {_csat_cte(src)},
        impacted AS (
            SELECT k.ticket_id, string_agg(DISTINCT k.customer, '; ' ORDER BY k.customer) AS customers
            FROM keys k JOIN anchor USING (customer) GROUP BY k.ticket_id
        )
        SELECT r.ticket_id, r.tier, r.segment, r.owner_team,
               CASE WHEN i.ticket_id IS NULL THEN 'other tickets' ELSE 'impacted customers' END AS "group",
               i.customers, {_local("r.resolved_at")} AS resolved, r.csat
        FROM rated r LEFT JOIN impacted i USING (ticket_id)
        WHERE {_in_period("r.resolved_at")}""",
        _csat_params(src, filters, window_days),
    )


def csat_after_incidents(src: DataSource, filters: Filters) -> pd.DataFrame:
    """CSAT of customers hit by a critical/high incident created in the period vs all other tickets.

    Both groups are the rated tickets resolved in the period. Columns: group,
    tickets, csat_mean, share_low (CSAT 1-2).
    """
    rows = _csat_rows(src, filters, CSAT_WINDOW_DAYS)
    return _frame(
        src,
        f"""SELECT "group", count(*) AS tickets, avg(csat) AS csat_mean,
               count(*) FILTER (WHERE csat <= 2) / count(*) AS share_low
        FROM ({rows.text}) GROUP BY "group" ORDER BY "group\"""",
        rows.params,
    )


def csat_tickets(src: DataSource, filters: Filters, group: Optional[str] = None) -> pd.DataFrame:
    """The rated tickets behind `csat_after_incidents` ('impacted customers' or 'other tickets')."""
    return _drill(src, _csat_rows(src, filters, CSAT_WINDOW_DAYS), {"group": group}, "csat, resolved DESC")


def _csat_cohort_rows(src: DataSource, filters: Filters, window_days: int) -> Sql:
    """Each impacted customer's rated tickets in the window before and after its first incident."""
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _csat_scope())}, {_csat_cte(src)}
        SELECT DISTINCT r.ticket_id, k.customer, {_local("a.first_incident_at")} AS first_incident,
               CASE WHEN r.resolved_at < a.first_incident_at THEN 'before' ELSE 'after' END AS side,
               {_local("r.resolved_at")} AS resolved, r.tier, r.csat
        FROM anchor a JOIN keys k USING (customer) JOIN rated r ON r.ticket_id = k.ticket_id
        WHERE r.resolved_at >= a.first_incident_at - CAST($window AS INTERVAL)
          AND r.resolved_at < a.first_incident_at + CAST($window AS INTERVAL)""",
        _csat_params(src, filters, window_days),
    )


def csat_before_after(src: DataSource, filters: Filters, window_days: int = CSAT_WINDOW_DAYS) -> pd.DataFrame:
    """The impacted cohort's CSAT in the `window_days` before vs after each customer's first incident.

    Columns: side ('before', 'after'), customers, tickets, csat_mean, change
    (after minus before, on the 'after' row). A ticket listing two customers
    counts once per side it falls on.
    """
    rows = _csat_cohort_rows(src, filters, window_days)
    return _frame(
        src,
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
    src: DataSource, filters: Filters, side: Optional[str] = None, window_days: int = CSAT_WINDOW_DAYS
) -> pd.DataFrame:
    """The cohort tickets behind `csat_before_after` (one row per ticket and impacted customer)."""
    return _drill(src, _csat_cohort_rows(src, filters, window_days), {"side": side}, "customer, resolved")


# --- Handoff quality ------------------------------------------------------------------------------


def _engineering_scope(policy: Policy) -> str:
    return f"""({_handed_in_period(policy, to_engineering=True)}
               OR ({_is_engineering(policy, 't.owner_team')} AND {_in_period('t.created_at')}))"""


def _triage_rows(src: DataSource, filters: Filters) -> Sql:
    """Tickets handed to engineering in the period whose tier requires triage fields, and what they lack."""
    required, tags = src.policy.triage_required, src.policy.tags_required
    params = _base_params(src, filters) | {
        "req_tiers": list(TIERS),
        "req_fields": [list(required.get(t, [])) for t in TIERS],
        "req_tags": [list(tags.get(t, [])) for t in TIERS],
    }
    checks = []
    for i, field in enumerate(_required_fields(src)):
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
    return Sql(
        f"""WITH {_tickets_cte(src, filters, _engineering_scope(src.policy))},
        req AS (
            SELECT unnest($req_tiers::VARCHAR[]) AS tier, unnest($req_fields::VARCHAR[][]) AS required,
                   unnest($req_tags::VARCHAR[][]) AS tags
        ), first_eng AS (
            SELECT ticket_id, min("at") AS handoff_at FROM ev
            WHERE field = 'owner_team' AND {_is_engineering(src.policy, 'value')} GROUP BY ticket_id
        ), with_owner_events AS (
            SELECT DISTINCT ticket_id FROM ev WHERE field = 'owner_team'
        ), handed AS (
            SELECT tk.*, coalesce(f.handoff_at, tk.created_at) AS handoff_at
            FROM tk LEFT JOIN first_eng f USING (ticket_id)
            WHERE f.ticket_id IS NOT NULL
               OR ({_is_engineering(src.policy, 'tk.owner_team')}
                   AND tk.ticket_id NOT IN (SELECT ticket_id FROM with_owner_events))
        ), firsts AS (
            SELECT h.ticket_id, min(e."at") AS first_action_at
            FROM handed h JOIN ev e ON e.ticket_id = h.ticket_id AND e."at" > h.handoff_at
                                   AND e.field IN ('status', 'owner_team')
            GROUP BY h.ticket_id
        ), plan AS (
            SELECT ticket_id, elapsed_seconds, calendar, state FROM {quote_ident(src.results)}
            WHERE metric = 'action_plan'
        )
        SELECT tk.ticket_id, tk.tier, tk.segment, tk.owner_team, {_local("tk.handoff_at")} AS handoff,
               array_to_string(list_concat(q.required, list_transform(q.tags, lambda x: 'tag ' || x)), ', ')
                   AS required,
               array_to_string(list_filter([{missing}], lambda x: x IS NOT NULL), ', ') AS missing,
               len(list_filter([{missing}], lambda x: x IS NOT NULL)) = 0 AS complete,
               p.elapsed_seconds / 3600.0 AS action_plan_hours, p.calendar AS action_plan_calendar,
               p.state AS action_plan_state,
               {_hours("tk.handoff_at", "least(f.first_action_at, CASE WHEN tk.action_plan_at > tk.handoff_at "
                       "THEN tk.action_plan_at END)")} AS handoff_wait_hours
        FROM handed tk
        JOIN req q ON q.tier = tk.tier
        LEFT JOIN firsts f USING (ticket_id)
        LEFT JOIN plan p USING (ticket_id)
        WHERE len(q.required) + len(q.tags) > 0 AND {_in_period("tk.handoff_at")}""",
        params,
    )


def handoff_quality(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per tier with required triage fields (and 'all'): share of complete handoffs to engineering
    and whether a complete one is faster.

    Columns: tier, handed, complete, share_complete,
    plan_hours_complete / plan_hours_incomplete (median action-plan clock, in
    the tier's calendar hours; only stopped clocks), plan_ratio (complete ÷
    incomplete: the framework claims about 1/3), wait_hours_complete /
    wait_hours_incomplete (median handoff wait, wall-clock) and wait_ratio.
    Tiers without required fields have no template to meet and are left out.
    """
    rows = _triage_rows(src, filters)
    stats = """count(*) AS handed, count(*) FILTER (WHERE complete) AS complete,
               count(*) FILTER (WHERE complete) / count(*) AS share_complete,
               median(action_plan_hours) FILTER (WHERE complete AND action_plan_state IN ('met', 'breached'))
                   AS plan_hours_complete,
               median(action_plan_hours) FILTER (WHERE NOT complete AND action_plan_state IN ('met', 'breached'))
                   AS plan_hours_incomplete,
               median(handoff_wait_hours) FILTER (WHERE complete) AS wait_hours_complete,
               median(handoff_wait_hours) FILTER (WHERE NOT complete) AS wait_hours_incomplete"""
    return _frame(
        src,
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
    src: DataSource, filters: Filters, tier: Optional[str] = None, complete: Optional[bool] = None
) -> pd.DataFrame:
    """The engineering handoffs behind `handoff_quality`, incomplete ones first."""
    return _drill(src, _triage_rows(src, filters), {"tier": tier, "complete": complete}, "complete, handoff DESC")


@dataclass(frozen=True)
class Summary:
    """Every metric's summary frame for one set of filters, computed once for a page or a report."""

    resolution: pd.DataFrame
    owners: pd.DataFrame
    waits: pd.DataFrame
    reopens: pd.DataFrame
    reopen_trend: pd.DataFrame
    detect: pd.DataFrame
    satisfaction: pd.DataFrame
    csat: pd.DataFrame
    cohort: pd.DataFrame
    quality: pd.DataFrame


def summarize(src: DataSource, filters: Filters) -> Summary:
    return Summary(
        resolution=resolution_by_team(src, filters),
        owners=owner_time(src, filters),
        waits=handoff_waits(src, filters),
        reopens=reopen_rate(src, filters),
        reopen_trend=reopen_trend(src, filters),
        detect=incidents.time_to_detect(src, filters),
        satisfaction=incidents.satisfaction_cohorts(src, filters),
        csat=csat_after_incidents(src, filters),
        cohort=csat_before_after(src, filters),
        quality=handoff_quality(src, filters),
    )


__all__ = [
    "CLAIMED_RATIO",
    "Summary",
    "FIRST_OWNER",
    "INCIDENT_TIERS",
    "cohort_rule",
    "csat_after_incidents",
    "csat_before_after",
    "csat_cohort_tickets",
    "csat_tickets",
    "handoff_quality",
    "handoff_quality_tickets",
    "handoff_tickets",
    "handoff_waits",
    "owner_time",
    "owner_time_tickets",
    "reopen_rate",
    "reopen_tickets",
    "reopen_trend",
    "resolution_by_team",
    "resolution_tickets",
    "summarize",
]
