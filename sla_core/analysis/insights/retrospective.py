"""The quarterly retrospective: for each tier and metric, the target the team would have met 90 % / 95 % of the
time last quarter next to the current one, and the load it carried. It reads only the engine's results."""

from __future__ import annotations

from datetime import date
from typing import Optional

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.query import frame
from sla_core.analysis.where import Where, filtered
from sla_core.periods import last_quarter, quarter_end
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident
from sla_core.vocab import METRICS, TIERS


def _quarter_bounds(source: DataSource, quarter: Optional[date]) -> tuple[date, date]:
    """The quarter's first day and the first day after it (the last full quarter when none is given)."""
    start = quarter or last_quarter(source.as_of, source.policy.timezone)
    if start.day != 1 or start.month not in (1, 4, 7, 10):
        raise ValueError(f"quarter {start}: give the first day of a quarter (e.g. {start.year}-07-01)")
    return start, quarter_end(start)


def _in_quarter(source: DataSource, filters: Filters, quarter: Optional[date], instant: str) -> Where:
    """The shared filters and `instant` (a results column) in the quarter, local dates of the policy timezone."""
    start, end = _quarter_bounds(source, quarter)
    return filtered(filters).add(
        f"CAST(timezone($tz, {instant}) AS DATE) >= $start AND CAST(timezone($tz, {instant}) AS DATE) < $end",
        tz=source.policy.timezone, start=start, end=end,
    )


def retrospective(source: DataSource, filters: Filters, quarter: Optional[date] = None) -> pd.DataFrame:
    """Per tier, metric and current target: what target the quarter's stopped clocks would have met.

    Clocks that stopped in the quarter (policy timezone), untimed ones too.
    Columns: tier, metric, calendar, segments, target_hours (current; NaN =
    untimed), clocks, met_share (share with elapsed <= current target),
    p90_hours, p95_hours (elapsed time met 90 % / 95 % of the time, in the
    metric's calendar), p90_vs_target (p90 / target: below 1 means the target
    has slack, above 1 means it was missed more than 10 % of the time).
    """
    where = _in_quarter(source, filters, quarter, "stopped_at").add("stopped_at IS NOT NULL")
    where.bind(tiers=list(TIERS), metrics=list(METRICS))
    return frame(
        source,
        f"""WITH stopped AS (
            SELECT tier, metric, calendar, target_seconds, segment, elapsed_seconds
            FROM {quote_ident(source.results)}
            WHERE {where.sql}
        )
        SELECT tier, metric, calendar,
               string_agg(DISTINCT coalesce(segment, '(none)'), ', ' ORDER BY coalesce(segment, '(none)')) AS segments,
               target_seconds / 3600.0 AS target_hours, count(*) AS clocks,
               avg(CASE WHEN target_seconds IS NOT NULL THEN (elapsed_seconds <= target_seconds)::INT END) AS met_share,
               quantile_cont(elapsed_seconds, 0.90) / 3600.0 AS p90_hours,
               quantile_cont(elapsed_seconds, 0.95) / 3600.0 AS p95_hours,
               quantile_cont(elapsed_seconds, 0.90) / nullif(target_seconds, 0) AS p90_vs_target
        FROM stopped GROUP BY tier, metric, calendar, target_seconds
        ORDER BY list_position($tiers, tier), list_position($metrics, metric), target_seconds""",
        where.params,
    )


def capacity(source: DataSource, filters: Filters, quarter: Optional[date] = None) -> pd.DataFrame:
    """Tickets created per week and tier in the quarter: the load the targets were met (or missed) under.

    Columns: tier, tickets, weeks, per_week, busiest_week (most tickets in one ISO week).
    """
    start, end = _quarter_bounds(source, quarter)
    where = _in_quarter(source, filters, quarter, "created_at").add("metric = 'resolution'")
    where.bind(weeks=(end - start).days / 7, tiers=list(TIERS))
    return frame(
        source,
        f"""WITH created AS (
            SELECT tier, date_trunc('week', timezone($tz, created_at)) AS week
            FROM {quote_ident(source.results)}
            WHERE {where.sql}
        ), weekly AS (SELECT tier, week, count(*) AS n FROM created GROUP BY tier, week)
        SELECT tier, sum(n)::BIGINT AS tickets, $weeks AS weeks, sum(n) / $weeks AS per_week, max(n) AS busiest_week
        FROM weekly GROUP BY tier ORDER BY list_position($tiers, tier)""",
        where.params,
    )
