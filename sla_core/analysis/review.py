"""The monthly SLA review: adherence, counts, distributions and the tickets behind them.

Every number is computed in DuckDB over an "outcomes" table prepared once per
evaluation (`prepare_outcomes`), so a filter change is a handful of small,
parameterized aggregate queries. Each function opens its own cursor: the
Streamlit server calls them from several threads.

Adherence for a month = met / (met + breached) over the clocks decided in that
month (DESIGN.md): a stopped clock is decided when it stopped, a clock still
running past its due time when it breached (its `due_at`). Months are
calendar months in the policy's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal, Mapping, Optional
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.where import Where, filtered
from sla_core.periods import shift_month
from sla_core.sources.outcomes import monthly_table
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import METRICS, TIERS, Tier

Window = Literal["month", "previous", "12m"]
StateChoice = Literal["breached", "met", "all"]
TREND_MONTHS = 12
NO_TEAM = "(no owner team)"

def _where(filters: Filters, first: date, last: date) -> Where:
    """The outcomes of months [first, last] under the shared filters."""
    return filtered(filters).add("month BETWEEN $first AND $last", first=first, last=last)


def window_bounds(period: date, window: Window) -> tuple[date, date]:
    """The first and last month a window covers, around the selected month."""
    if window == "month":
        return period, period
    if window == "previous":
        previous = shift_month(period, -1)
        return previous, previous
    return shift_month(period, -(TREND_MONTHS - 1)), period


def _require_period(filters: Filters) -> date:
    if filters.period is None:
        raise ValueError("the review needs a period (a month)")
    return filters.period


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    return con.cursor().execute(sql, params).df()


@dataclass(frozen=True)
class Counts:
    met: int
    breached: int

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def adherence(self) -> Optional[float]:
        """met / (met + breached); None when nothing was decided."""
        return self.met / self.decided if self.decided else None


@dataclass(frozen=True)
class Headline:
    month: Counts
    previous: Counts
    last_12_months: Counts


def counts(
    con: duckdb.DuckDBPyConnection, filters: Filters, window: Window = "month", *, outcomes: str = "review_outcomes"
) -> Counts:
    where = _where(filters, *window_bounds(_require_period(filters), window))
    met, breached = fetch_one(con.cursor().execute(
        f"""
        SELECT CAST(coalesce(sum(met), 0) AS BIGINT), CAST(coalesce(sum(breached), 0) AS BIGINT)
        FROM {quote_ident(monthly_table(outcomes))} WHERE {where.sql}
        """,
        where.params,
    ))
    return Counts(met=int(met), breached=int(breached))


def headline(con: duckdb.DuckDBPyConnection, filters: Filters, *, outcomes: str = "review_outcomes") -> Headline:
    """Met / breached / adherence for the month, the month before and the last 12 months."""
    return Headline(
        month=counts(con, filters, "month", outcomes=outcomes),
        previous=counts(con, filters, "previous", outcomes=outcomes),
        last_12_months=counts(con, filters, "12m", outcomes=outcomes),
    )


def route_load(
    con: duckdb.DuckDBPyConnection, filters: Filters, timezone: str, *, results: str = "sla_results"
) -> pd.DataFrame:
    """Tickets created per month and route (the policy's `routes`: who each tier sends work to), over the last
    12 months to the selected one, in the policy's timezone. Columns: month, then one per route."""
    period = _require_period(filters)
    zone = ZoneInfo(timezone)
    first, _ = window_bounds(period, "12m")
    # One row per ticket (every ticket has an acknowledge row), and only the window's tickets are put into months.
    where = filtered(filters).add("metric = 'acknowledge' AND created_at >= $lo AND created_at < $hi",
                                  lo=datetime.combine(first, time(), zone),
                                  hi=datetime.combine(shift_month(period, 1), time(), zone))
    frame = _frame(
        con,
        f"""
        SELECT CAST(date_trunc('month', timezone($tz, created_at)) AS DATE) AS month,
               coalesce(route, 'no route') AS route, count(*) AS tickets
        FROM {quote_ident(results)}
        WHERE {where.sql}
        GROUP BY ALL
        """,
        {**where.params, "tz": timezone},
    )
    if frame.empty:
        return pd.DataFrame(columns=["month"])
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    table = frame.pivot_table(index="month", columns="route", values="tickets", fill_value=0, aggfunc="sum")
    return table.sort_index(ascending=False).reset_index().rename_axis(columns=None)


def _tier_metric_order(frame: pd.DataFrame) -> pd.DataFrame:
    order = {tier: i for i, tier in enumerate(TIERS)}
    morder = {metric: i for i, metric in enumerate(METRICS)}
    keys = frame["tier"].map(order).fillna(len(order)) * 10 + frame["metric"].map(morder).fillna(len(morder))
    return frame.assign(_k=keys).sort_values(["_k", "tier", "metric"]).drop(columns="_k").reset_index(drop=True)


def adherence_table(
    con: duckdb.DuckDBPyConnection, filters: Filters, *, outcomes: str = "review_outcomes",
    goals: Mapping[Tier, float] = {},
) -> pd.DataFrame:
    """Per tier and metric: counts and adherence this month, the month before, the last 12 months.

    Columns: tier, metric, met, breached, adherence, goal (the policy's, per tier; None without one), prev_met,
    prev_breached, prev_adherence, met_12m, breached_12m, adherence_12m (adherence None when nothing was
    decided). Rows: every tier/metric with an outcome in 12 months.
    """
    period = _require_period(filters)
    where = _where(filters, *window_bounds(period, "12m")).bind(period=period, previous=shift_month(period, -1))
    frame = _frame(
        con,
        f"""
        WITH c AS (
            SELECT tier, metric,
                   CAST(coalesce(sum(met) FILTER (WHERE month = $period), 0) AS BIGINT) AS met,
                   CAST(coalesce(sum(breached) FILTER (WHERE month = $period), 0) AS BIGINT) AS breached,
                   CAST(coalesce(sum(met) FILTER (WHERE month = $previous), 0) AS BIGINT) AS prev_met,
                   CAST(coalesce(sum(breached) FILTER (WHERE month = $previous), 0) AS BIGINT) AS prev_breached,
                   CAST(sum(met) AS BIGINT) AS met_12m,
                   CAST(sum(breached) AS BIGINT) AS breached_12m
            FROM {quote_ident(monthly_table(outcomes))} WHERE {where.sql}
            GROUP BY tier, metric
        )
        SELECT tier, metric, met, breached,
               met / nullif(met + breached, 0) AS adherence,
               prev_met, prev_breached,
               prev_met / nullif(prev_met + prev_breached, 0) AS prev_adherence,
               met_12m, breached_12m,
               met_12m / nullif(met_12m + breached_12m, 0) AS adherence_12m
        FROM c
        """,
        where.params,
    )
    frame.insert(5, "goal", frame["tier"].map(lambda tier: goals.get(tier)).astype("float64"))
    return _tier_metric_order(frame)


@dataclass(frozen=True)
class GoalCheck:
    """The month's adherence of one tier (all its clocks) against the policy's goal for it."""

    tier: str
    adherence: Optional[float]
    goal: float

    @property
    def reached(self) -> Optional[bool]:
        return None if self.adherence is None else self.adherence >= self.goal


def goal_checks(
    con: duckdb.DuckDBPyConnection, filters: Filters, goals: Mapping[Tier, float], *, outcomes: str = "review_outcomes"
) -> list[GoalCheck]:
    """Each tier with a goal and clocks decided in the month, most urgent first."""
    checks = []
    for tier in TIERS:
        if tier in goals and (filters.tier is None or filters.tier == tier):
            month = counts(con, filters.model_copy(update={"tier": tier}), "month", outcomes=outcomes)
            if month.decided:
                checks.append(GoalCheck(tier=tier, adherence=month.adherence, goal=goals[tier]))
    return checks


def adherence_trend(
    con: duckdb.DuckDBPyConnection, filters: Filters, *, outcomes: str = "review_outcomes"
) -> pd.DataFrame:
    """Adherence per month, tier and metric over the 12 months ending at the period.

    Columns: month (DATE), tier, metric, met, breached, adherence.
    """
    where = _where(filters, *window_bounds(_require_period(filters), "12m"))
    return _frame(
        con,
        f"""
        SELECT month, tier, metric,
               CAST(sum(met) AS BIGINT) AS met,
               CAST(sum(breached) AS BIGINT) AS breached,
               sum(met) / (sum(met) + sum(breached)) AS adherence
        FROM {quote_ident(monthly_table(outcomes))} WHERE {where.sql}
        GROUP BY month, tier, metric
        ORDER BY month, tier, metric
        """,
        where.params,
    )


def distribution_tier(filters: Filters) -> str:
    """The tier whose response-time distributions the review draws: the filtered one, else critical."""
    return filters.tier or "critical"


def elapsed_distribution(
    con: duckdb.DuckDBPyConnection, filters: Filters, metric: str, *, outcomes: str = "review_outcomes"
) -> pd.DataFrame:
    """Time to `metric` in minutes for the distribution tier's clocks decided in the month.

    Columns: ticket_id, elapsed_minutes, target_minutes, state. Elapsed time is
    counted in the metric's calendar (open hours), as the target is.
    """
    period = _require_period(filters)
    where = _where(filters.model_copy(update={"tier": distribution_tier(filters)}), period, period)
    where.add("metric = $metric", metric=metric)
    return _frame(
        con,
        f"""
        SELECT ticket_id, elapsed_seconds / 60.0 AS elapsed_minutes,
               target_seconds / 60.0 AS target_minutes, state
        FROM {quote_ident(outcomes)}
        WHERE {where.sql}
        ORDER BY elapsed_minutes
        """,
        where.params,
    )


def breaches_by_team(
    con: duckdb.DuckDBPyConnection, filters: Filters, *, outcomes: str = "review_outcomes"
) -> pd.DataFrame:
    """Per owner team and metric in the month: breached, met, adherence; most breaches first."""
    period = _require_period(filters)
    where = _where(filters, period, period)
    return _frame(
        con,
        f"""
        SELECT coalesce(owner_team, $no_team) AS owner_team, discipline, metric,
               CAST(sum(breached) AS BIGINT) AS breached,
               CAST(sum(met) AS BIGINT) AS met,
               sum(met) / (sum(met) + sum(breached)) AS adherence
        FROM {quote_ident(monthly_table(outcomes))} WHERE {where.sql}
        GROUP BY ALL
        ORDER BY breached DESC, owner_team, metric
        """,
        {**where.params, "no_team": NO_TEAM},
    )


def _drill_where(
    filters: Filters,
    window: Window,
    state: StateChoice,
    tier: Optional[str],
    metric: Optional[str],
    owner_team: Optional[str],
) -> Where:
    """The WHERE clause of one drill-down: the filters narrowed to a table cell."""
    narrowed = filters.model_copy(update={"tier": tier}) if tier is not None else filters
    where = _where(narrowed, *window_bounds(_require_period(filters), window)).equal("metric", metric, "metric")
    if owner_team is not None:
        where.add("coalesce(owner_team, $no_team) = $cell_team", no_team=NO_TEAM, cell_team=owner_team)
    return where.equal("state", None if state == "all" else state, "state")


def tickets_behind(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    timezone: str,
    *,
    window: Window = "month",
    state: StateChoice = "breached",
    tier: Optional[str] = None,
    metric: Optional[str] = None,
    owner_team: Optional[str] = None,
    limit: Optional[int] = None,
    outcomes: str = "review_outcomes",
) -> pd.DataFrame:
    """The clocks behind a number: the filters plus an optional tier / metric / owner team.

    Times are shown in `timezone` (the policy's); overdue_minutes is how far
    past its target a breached clock ran, in the metric's open hours.
    """
    where = _drill_where(filters, window, state, tier, metric, owner_team).bind(tz=timezone)
    limit_sql = ""
    if limit is not None:
        limit_sql = " LIMIT $limit"
        where.params["limit"] = int(limit)
    return _frame(
        con,
        f"""
        SELECT ticket_id, tier, metric, state, segment, owner_team, discipline,
               timezone($tz, created_at) AS created,
               timezone($tz, due_at) AS due,
               timezone($tz, stopped_at) AS stopped,
               round(target_seconds / 60.0, 1) AS target_minutes,
               round(elapsed_seconds / 60.0, 1) AS elapsed_minutes,
               round(greatest(elapsed_seconds - target_seconds, 0) / 60.0, 1) AS overdue_minutes
        FROM {quote_ident(outcomes)}
        WHERE {where.sql}
        ORDER BY decided_at DESC, ticket_id, metric{limit_sql}
        """,
        where.params,
    )


def count_behind(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    window: Window = "month",
    state: StateChoice = "breached",
    tier: Optional[str] = None,
    metric: Optional[str] = None,
    owner_team: Optional[str] = None,
    outcomes: str = "review_outcomes",
) -> int:
    """How many rows `tickets_behind` returns without a limit."""
    where = _drill_where(filters, window, state, tier, metric, owner_team)
    return int(fetch_one(con.cursor().execute(f"SELECT count(*) FROM {quote_ident(outcomes)} WHERE {where.sql}",
                                    where.params))[0])
