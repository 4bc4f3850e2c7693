"""An incident's context: the deploys to its services, and those services' signals, in the hours before it
began (docs/design.md: Deploys; the policy's `context_window`), and how many incidents a deploy preceded, per
month.

The incident is incidents.py's (the tickets and signals of one problem). Its services are the services its
signals name; a ticket names none. It began at the earliest `started_at` known, else when it was detected:
the start incidents.py works out, and its detection where the data knows no start. Its window is
[began − context_window, began], both ends included (a deploy at the very instant the problem began is the
likeliest suspect). A deploy or a signal is in the context when it falls in that window and its service is one
of the incident's, compared ignoring case and surrounding spaces (two tools may write `Checkout` and
`checkout `). The incident's own signals are the incident, not its context.

"Preceded by a deploy" is counted over the incidents whose signals name a service: an incident that names none
cannot be matched to any deploy, so it is counted apart, never as not preceded. And preceded is not caused: a
routine deploy can fall in the window by chance. The share says how often there was a deploy to look at first,
not how often one was to blame.

One rows builder (`_context_rows`, one row per incident) feeds the monthly share, the list a person picks an
incident from, and the check that an incident asked for is one the filters keep, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.incidents import incidents_sql
from sla_core.analysis.query import RowsQuery, frame, local, month
from sla_core.analysis.review import TREND_MONTHS
from sla_core.periods import shift_month
from sla_core.sources import DataSource


def _same_service(left: str, right: str) -> str:
    """SQL: two service names are the same service (case and surrounding spaces aside)."""
    return f"lower(trim({left})) = lower(trim({right}))"


# SQL over `w` (an incident's window: incident, began_at, service) and a deploys / signals alias: in its window.
def _in_window(alias: str, at: str) -> str:
    return (f"{_same_service(f'{alias}.service', 'w.service')} AND {alias}.{at} >= w.began_at - to_seconds($window) "
            f"AND {alias}.{at} <= w.began_at AND {alias}.{at} <= $as_of")


def _windows(src: DataSource, filters: Filters, months: int) -> tuple[str, dict]:
    """CTEs `inc` (the incidents detected in the period, or the `months` ending at it; any month when no period is
    set) with when each began, and `w` (one row per incident and service: the windows to look in)."""
    spread = months > 1 and filters.period is not None
    rows, params = incidents_sql(src, filters.model_copy(update={"period": None}) if spread else filters)
    params = params | {"window": src.policy.context_window}
    if spread:
        params |= {"first": shift_month(filters.period, -(months - 1)), "last": filters.period}  # type: ignore[arg-type]
    sql = f"""
    inc AS (
        SELECT *, coalesce(started_utc, detected_utc) AS began_at FROM ({rows})
        {f"WHERE {month('detected_utc')} BETWEEN $first AND $last" if spread else ""}
    ), w AS (
        -- one row per incident and service as compared, so a deploy or a signal is counted once however the
        -- incident's signals spell its service
        SELECT DISTINCT incident, began_at, lower(trim(service)) AS service
        FROM (SELECT incident, began_at, unnest(service_list) AS service FROM inc)
    )"""
    return sql, params


def _context_rows(src: DataSource, filters: Filters, *, months: int = 1) -> RowsQuery:
    """One row per incident of the period (or of the `months` ending at it): when it began, its services, and how
    many deploys and other signals of those services fell in its window (the module docstring)."""
    windows, params = _windows(src, filters, months)
    sql = f"""
    WITH {windows}, deployed AS (
        SELECT w.incident, count(*) AS deploys_before,
               max(d.deployed_at) AS last_deploy_at
        FROM w JOIN deploys d ON {_in_window('d', 'deployed_at')} GROUP BY w.incident
    ), alerted AS (
        SELECT w.incident, count(*) AS signals_before
        FROM w JOIN signals g ON {_in_window('g', 'detected_at')}
        WHERE coalesce(g.incident_ref, g.signal_id) <> w.incident
        GROUP BY w.incident
    )
    SELECT i.incident, strftime({month('i.detected_utc')}, '%Y-%m') AS month, i.tier, i.first_seen,
           {local('i.began_at')} AS began, i.services, len(i.service_list) > 0 AS names_service,
           coalesce(d.deploys_before, 0) AS deploys_before, coalesce(a.signals_before, 0) AS signals_before,
           {local('d.last_deploy_at')} AS last_deploy, i.began_at AS began_utc
    FROM inc i LEFT JOIN deployed d USING (incident) LEFT JOIN alerted a USING (incident)"""
    return RowsQuery(sql, params)


def deploy_share(src: DataSource, filters: Filters) -> pd.DataFrame:
    """Per month of detection, over the 12 months ending at the period (every month without one): the incidents,
    those whose signals name a service, those preceded by a deploy of one of their services, and that share of
    the ones naming a service (empty when none does). Columns: month, incidents, naming_service, after_deploy,
    share_after_deploy."""
    rows = _context_rows(src, filters, months=TREND_MONTHS)
    return frame(
        src,
        f"""SELECT month, count(*) AS incidents, count(*) FILTER (WHERE names_service) AS naming_service,
               count(*) FILTER (WHERE deploys_before > 0) AS after_deploy,
               count(*) FILTER (WHERE deploys_before > 0) / nullif(count(*) FILTER (WHERE names_service), 0)
                   AS share_after_deploy
        FROM ({rows.text}) GROUP BY month ORDER BY month""",
        rows.params,
    )


def incidents_in_context(src: DataSource, filters: Filters) -> pd.DataFrame:
    """The period's incidents with what their windows hold, the latest to begin first: incident, tier, first_seen,
    began, services, deploys_before, signals_before, last_deploy."""
    rows = _context_rows(src, filters)
    return frame(
        src,
        f"""SELECT incident, tier, first_seen, began, services, deploys_before, signals_before, last_deploy
        FROM ({rows.text}) ORDER BY began_utc DESC, incident""",
        rows.params,
    )


@dataclass(frozen=True)
class IncidentContext:
    """What was deployed, and what the incident's services signalled, in the window before it began."""

    incident: str
    began: datetime  # in the policy's timezone (wall-clock)
    window_seconds: int
    services: tuple[str, ...]  # its signals' services; none: nothing to match a deploy or a signal to
    deploys: pd.DataFrame  # deployed, service, version, tool, deploy_id, lead_minutes (latest first)
    signals: pd.DataFrame  # detected, service, title, severity, source, signal_id, lead_minutes (latest first)


def incident_context(src: DataSource, filters: Filters, incident: str) -> Optional[IncidentContext]:
    """The context of one incident the filters keep (None: they keep no such incident): the deploys to its
    services and those services' other signals in its window, latest first; `lead_minutes` is how long before
    it began each came."""
    windows, params = _windows(src, filters, 1)
    params = params | {"incident": incident}
    head = frame(src, f"WITH {windows} SELECT {local('began_at')} AS began, service_list FROM inc "
                      "WHERE incident = $incident", params)
    if head.empty:
        return None
    lead = "(epoch(w.began_at) - epoch({at})) / 60.0 AS lead_minutes"
    deploys = frame(src, f"""WITH {windows}
        SELECT {local('d.deployed_at')} AS deployed, d.service, d.version, d.tool, d.deploy_id,
               {lead.format(at='d.deployed_at')}
        FROM w JOIN deploys d ON {_in_window('d', 'deployed_at')}
        WHERE w.incident = $incident ORDER BY d.deployed_at DESC, d.tool, d.deploy_id""", params)
    signals = frame(src, f"""WITH {windows}
        SELECT {local('g.detected_at')} AS detected, g.service, g.title, g.severity, g.source, g.signal_id,
               {lead.format(at='g.detected_at')}
        FROM w JOIN signals g ON {_in_window('g', 'detected_at')}
        WHERE w.incident = $incident AND coalesce(g.incident_ref, g.signal_id) <> w.incident
        ORDER BY g.detected_at DESC, g.source, g.signal_id""", params)
    return IncidentContext(
        incident=incident, began=head["began"].iloc[0].to_pydatetime(), window_seconds=src.policy.context_window,
        services=tuple(head["service_list"].iloc[0]), deploys=deploys, signals=signals,
    )


__all__ = ["IncidentContext", "deploy_share", "incident_context", "incidents_in_context"]
