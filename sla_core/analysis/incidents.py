"""Incidents: the tickets and monitoring signals of one problem, grouped, with how it was first seen and
what it did to the satisfaction of the accounts it hit (docs/design.md: Signals, Survey answers).

Grouping (all in one query; a signal's incident is its `incident_ref`, else its own `signal_id`):
- a ticket joins the incident of a signal that names it (`ticket_id`), or whose `signal_id` or
  `incident_ref` equals the ticket's `incident_ref` (linked to several, it joins the first by name; references
  are compared as text across tools, so two tools that both number from 1 should be quoted with a prefix);
  a ticket with an `incident_ref` no signal matches is
  an incident of its own reference (tickets quoting the same reference group);
- a ticket of an incident tier (critical, high) with no reference but a `started_at` or `source` is an
  incident by itself (the per-ticket form: the export carries its own detection columns);
- a signal no ticket links to is an incident monitoring alone saw.

Per incident: its services = those its signals name (a ticket names none); started = the earliest
`started_at` of its signals and tickets; monitoring saw it at the earliest of its signals' `detected_at` and
its monitoring-sourced tickets' `detected_at` (else `created_at`); customers at the earliest `created_at` of
its other tickets; detected = the earlier of the two, and monitoring was first when it was not later. Time to detect = detected − started, empty when
the start is unknown (or after the detection: a start the data cannot back). Tier = the highest of its
tickets' tiers and its signals' severities. Resolved = the last resolution of its tickets once all are
resolved (a signal-only incident: its signals' last `resolved_at`, once all are resolved by as_of).

Satisfaction cohorts (NPS and CSAT from survey answers): for each critical incident, the accounts of its
tickets are the impacted cohort; "before" is the answers in the COHORT_WINDOW_DAYS before it started,
"after" those in the COHORT_WINDOW_DAYS after it was resolved; every other account answering in the same
windows is the unaffected comparison. NPS = % promoters (9-10) − % detractors (0-6); a score from fewer
than MIN_ANSWERS answers is left empty (too few to say).
"""

from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.query import frame, in_period, local
from sla_core.analysis.where import filtered
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident
from sla_core.vocab import INCIDENT_TIERS, TIERS

COHORT_WINDOW_DAYS = 30
MIN_ANSWERS = 5
FIRST_SEEN: tuple[str, ...] = ("monitoring", "customer")


def incidents_sql(src: DataSource, filters: Filters) -> tuple[str, dict[str, Any]]:
    """One row per incident detected in the filtered month (any month: none set), as the module docstring
    defines it; the shared filters other than the tier keep incidents with a ticket that passes them."""
    narrowing = filtered(filters, columns={"segment": "t.segment", "owner_team": "t.owner_team",
                                           "discipline": "r.discipline"}, skip=("tier",))
    by_ticket = bool(narrowing.clauses)
    params: dict[str, Any] = {
        "as_of": src.as_of, "tz": src.policy.timezone, "period": filters.period, "tiers": list(TIERS),
        "incident_tiers": list(INCIDENT_TIERS), "tier": filters.tier, **narrowing.params,
    }
    sql = f"""
    WITH tk AS (
        SELECT t.ticket_id, t.created_at, t.source, t.detected_at, t.started_at, t.incident_ref, t.account,
               CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END AS resolved_at, r.tier,
               {narrowing.sql} AS passes
        FROM tickets t JOIN {quote_ident(src.results)} r ON r.ticket_id = t.ticket_id AND r.metric = 'resolution'
        WHERE t.created_at <= $as_of
    ), sg AS (
        SELECT *, coalesce(incident_ref, signal_id) AS incident FROM signals WHERE detected_at <= $as_of
    ), link AS (
        SELECT ticket_id, min(incident) AS incident FROM (
            SELECT ticket_id, incident FROM sg WHERE ticket_id IS NOT NULL
            UNION ALL SELECT tk.ticket_id, sg.incident FROM tk JOIN sg ON tk.incident_ref = sg.signal_id
            UNION ALL SELECT tk.ticket_id, sg.incident FROM tk JOIN sg ON tk.incident_ref = sg.incident_ref
        ) GROUP BY ticket_id
    ), members AS (
        SELECT tk.*, coalesce(l.incident, tk.incident_ref, 'ticket ' || tk.ticket_id) AS incident
        FROM tk LEFT JOIN link l USING (ticket_id)
        WHERE l.incident IS NOT NULL OR tk.incident_ref IS NOT NULL
           OR (list_contains($incident_tiers::VARCHAR[], tk.tier)
               AND (tk.started_at IS NOT NULL OR tk.source IS NOT NULL))
    ), by_tickets AS (
        SELECT incident, count(*) AS tickets,
               min(created_at) FILTER (WHERE coalesce(source, 'customer') <> 'monitoring') AS customer_at,
               min(coalesce(detected_at, created_at)) FILTER (WHERE source = 'monitoring') AS alert_at,
               min(started_at) AS started_at,
               CASE WHEN bool_and(resolved_at IS NOT NULL) THEN max(resolved_at) END AS resolved_at,
               min(list_position($tiers::VARCHAR[], tier)) AS rank,
               bool_or(passes) AS passes,
               list(DISTINCT account) FILTER (WHERE account IS NOT NULL) AS accounts,
               array_to_string(list(ticket_id ORDER BY created_at, ticket_id)[1:5], ', ')
                   || CASE WHEN count(*) > 5 THEN ', …' ELSE '' END AS ticket_ids
        FROM members GROUP BY incident
    ), by_signals AS (
        SELECT incident, count(*) AS signals, min(detected_at) AS alert_at, min(started_at) AS started_at,
               CASE WHEN bool_and(resolved_at <= $as_of) THEN max(resolved_at) END AS resolved_at,
               min(list_position($tiers::VARCHAR[], severity)) AS rank,
               string_agg(DISTINCT source, ', ' ORDER BY source) AS tools,
               string_agg(DISTINCT service, ', ' ORDER BY service) AS services,
               list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS service_list,
               arg_min(title, detected_at) AS title
        FROM sg GROUP BY incident
    ), joined AS (
        SELECT coalesce(t.incident, s.incident) AS incident, coalesce(t.tickets, 0) AS tickets,
               coalesce(s.signals, 0) AS signals, least(t.alert_at, s.alert_at) AS monitoring_at,
               t.customer_at, least(t.started_at, s.started_at) AS started_at,
               CASE WHEN t.incident IS NULL THEN s.resolved_at ELSE t.resolved_at END AS resolved_at,
               $tiers[least(t.rank, s.rank)] AS tier, coalesce(t.passes, false) AS passes,
               coalesce(t.accounts, []) AS accounts, t.ticket_ids, s.tools, s.services,
               coalesce(s.service_list, []) AS service_list, s.title
        FROM by_tickets t FULL JOIN by_signals s ON s.incident = t.incident
    ), judged AS (
        SELECT *, least(monitoring_at, customer_at) AS detected_at,
               CASE WHEN monitoring_at IS NOT NULL AND (customer_at IS NULL OR monitoring_at <= customer_at)
                    THEN 'monitoring' ELSE 'customer' END AS first_seen
        FROM joined
    )
    SELECT incident, tier, first_seen, {local("started_at")} AS started, {local("detected_at")} AS detected,
           {local("monitoring_at")} AS first_alert, {local("customer_at")} AS first_ticket,
           CASE WHEN started_at <= detected_at THEN (epoch(detected_at) - epoch(started_at)) / 60.0 END
               AS detect_minutes,
           {local("resolved_at")} AS resolved, tickets, signals, ticket_ids, tools, services, title,
           accounts, service_list, started_at AS started_utc, detected_at AS detected_utc, resolved_at AS resolved_utc
    FROM judged
    WHERE {in_period("detected_at")}
      AND ($tier IS NULL AND (tier IS NULL OR list_contains($incident_tiers::VARCHAR[], tier)) OR tier = $tier)
      {"AND passes" if by_ticket else ""}"""
    return sql, params


def time_to_detect(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per first-seen source (monitoring, customer): incidents, how many have a start to time from
    (`timed`), median / 90th percentile / mean minutes to detect, and the share of the incidents."""
    rows, params = incidents_sql(src, filters)
    return frame(
        src,
        f"""SELECT first_seen, count(*) AS incidents, count(detect_minutes) AS timed,
               median(detect_minutes) AS median_minutes, quantile_cont(detect_minutes, 0.9) AS p90_minutes,
               avg(detect_minutes) AS mean_minutes, count(*) / sum(count(*)) OVER () AS share
        FROM ({rows}) GROUP BY first_seen ORDER BY list_position($seen::VARCHAR[], first_seen)""",
        params | {"seen": list(FIRST_SEEN)},
    )


def monitoring_share(detect: pd.DataFrame) -> Optional[float]:
    """The share of incidents monitoring saw first, from `time_to_detect`'s frame (None: no incidents)."""
    if detect.empty:
        return None
    total = int(detect["incidents"].sum())
    caught = int(detect.loc[detect["first_seen"] == "monitoring", "incidents"].sum())
    return caught / total if total else None


def detect_incidents(src: DataSource, filters: Filters, first_seen: Optional[str] = None) -> pd.DataFrame:
    """The incidents behind `time_to_detect` (one first-seen source, or all), slowest detection first."""
    rows, params = incidents_sql(src, filters)
    return frame(
        src,
        f"""SELECT incident, tier, first_seen, started, first_alert, first_ticket, detected, detect_minutes,
               tickets, signals, ticket_ids, tools, services, title
        FROM ({rows}) WHERE $seen IS NULL OR first_seen = $seen
        ORDER BY detect_minutes DESC NULLS LAST, detected DESC, incident""",
        params | {"seen": first_seen},
    )


def _cohort_ctes(src: DataSource, filters: Filters) -> tuple[str, dict[str, Any]]:
    """CTEs `inc` (the month's critical incidents, incidents_sql) and `answers` (one row per critical incident and
    survey answer in its before or after window: side, impacted or not), for a query to select from."""
    rows, params = incidents_sql(src, filters.model_copy(update={"tier": "critical"}))
    sql = f"""
    WITH inc AS ({rows}), crit AS (
        SELECT incident, coalesce(started_utc, detected_utc) AS start_at, resolved_utc AS resolved_at, accounts
        FROM inc
    ), cohort AS (SELECT incident, unnest(accounts) AS account FROM crit),
    windowed AS (  -- two range joins, not one join on an OR: each can run as an inequality join
        SELECT c.incident, s.account, s."at", s.kind, s.score, 'before' AS side
        FROM crit c JOIN surveys s ON s."at" >= c.start_at - to_days($days) AND s."at" < c.start_at
        WHERE s."at" <= $as_of
        UNION ALL
        SELECT c.incident, s.account, s."at", s.kind, s.score, 'after' AS side
        FROM crit c JOIN surveys s ON s."at" > c.resolved_at AND s."at" <= c.resolved_at + to_days($days)
        WHERE s."at" <= $as_of
    ), answers AS (
        SELECT w.*, co.account IS NOT NULL AS impacted
        FROM windowed w LEFT JOIN cohort co ON co.incident = w.incident AND co.account = w.account
    )"""
    return sql, params | {"days": COHORT_WINDOW_DAYS, "min": MIN_ANSWERS}


def _nps(cond: str) -> str:
    """SQL: NPS of the answers meeting `cond` (empty below $min answers)."""
    nps = f"kind = 'nps' AND {cond}"
    return f"""CASE WHEN count(*) FILTER (WHERE {nps}) >= $min THEN
        100.0 * (count(*) FILTER (WHERE {nps} AND score >= 9) - count(*) FILTER (WHERE {nps} AND score <= 6))
        / count(*) FILTER (WHERE {nps}) END"""


def _scores(side: str, impacted: str) -> str:
    """SQL aggregates for one side (before / after) of one group: NPS answers, NPS and CSAT (too few: empty)."""
    cond = f"side = '{side}' AND {impacted}"
    csat = f"kind = 'csat' AND {cond}"
    return f"""count(*) FILTER (WHERE kind = 'nps' AND {cond}) AS nps_answers_{side}, {_nps(cond)} AS nps_{side},
        CASE WHEN count(*) FILTER (WHERE {csat}) >= $min THEN avg(score) FILTER (WHERE {csat}) END AS csat_{side}"""


def satisfaction_cohorts(src: DataSource, filters: Filters) -> pd.DataFrame:
    """NPS and CSAT before vs after the month's critical incidents: the impacted accounts next to the
    unaffected ones, every incident's windows pooled (an answer counts once per group and side). Columns: group,
    nps_before, nps_after, nps_change, csat_before, csat_after, and the NPS answers behind each side."""
    ctes, params = _cohort_ctes(src, filters)
    return frame(
        src,
        f"""{ctes}, a AS (SELECT DISTINCT account, "at", kind, score, side, impacted FROM answers), g AS (
            SELECT 'impacted accounts' AS "group", 1 AS k, {_scores('before', 'impacted')},
                   {_scores('after', 'impacted')} FROM a
            UNION ALL
            SELECT 'unaffected accounts', 2, {_scores('before', 'NOT impacted')},
                   {_scores('after', 'NOT impacted')} FROM a
        )
        SELECT "group", nps_before, nps_after, nps_after - nps_before AS nps_change, csat_before, csat_after,
               nps_answers_before, nps_answers_after
        FROM g WHERE (SELECT count(*) FROM a) > 0 ORDER BY k""",
        params,
    )


def incident_cohorts(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per critical incident of the month: its accounts, and NPS / CSAT of them and of everyone else in its
    windows (the rows behind `satisfaction_cohorts`)."""
    ctes, params = _cohort_ctes(src, filters)
    return frame(
        src,
        f"""{ctes}, s AS (
            SELECT incident, {_scores('before', 'impacted')}, {_scores('after', 'impacted')},
                   {_nps("side = 'before' AND NOT impacted")} AS unaffected_nps_before,
                   {_nps("side = 'after' AND NOT impacted")} AS unaffected_nps_after
            FROM answers GROUP BY incident
        )
        SELECT i.incident, i.started, i.resolved, len(i.accounts) AS accounts, s.nps_before, s.nps_after,
               s.unaffected_nps_before, s.unaffected_nps_after, s.csat_before, s.csat_after,
               coalesce(s.nps_answers_before, 0) AS nps_answers_before,
               coalesce(s.nps_answers_after, 0) AS nps_answers_after, i.ticket_ids
        FROM inc i LEFT JOIN s USING (incident)
        ORDER BY i.started DESC NULLS LAST, i.incident""",
        params,
    )


__all__ = [
    "COHORT_WINDOW_DAYS",
    "MIN_ANSWERS",
    "detect_incidents",
    "incident_cohorts",
    "incidents_sql",
    "monitoring_share",
    "satisfaction_cohorts",
    "time_to_detect",
]
