"""The monthly SLA review: adherence, counts, distributions and the tickets behind them.

Every number is computed in DuckDB over the source's "outcomes" table, prepared once per
evaluation (`sla_core.sources.outcomes`), so a filter change is a handful of small,
parameterized aggregate queries. Every figure takes the source and the filters, as the
other figures do, and runs on a cursor of its own (`query.frame`): the Streamlit server
calls them from several threads.

Adherence for a month = met / (met + breached) over the clocks decided in that
month (docs/design.md, SLA semantics): a stopped clock is decided when it stopped, a clock still
running past its due time when it breached (its `due_at`). Months are
calendar months in the policy's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal, Optional, TypedDict, Unpack

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.query import frame, month
from sla_core.analysis.where import Where, filtered
from sla_core.periods import shift_month
from sla_core.sources import DataSource
from sla_core.sources.outcomes import monthly_table
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import METRICS, TIERS

Window = Literal["month", "previous", "12m"]
StateChoice = Literal["breached", "met", "all"]
TREND_MONTHS = 12
MIN_TREND_CLOCKS = 10  # fewer decided clocks in a month than this tell nothing: no trend point (too_few)
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


def counts(source: DataSource, filters: Filters, window: Window = "month") -> Counts:
    """Met and breached clocks decided in the window, under the filters."""
    where = _where(filters, *window_bounds(_require_period(filters), window))
    met, breached = fetch_one(source.con.cursor().execute(
        f"""
        SELECT CAST(coalesce(sum(met), 0) AS BIGINT), CAST(coalesce(sum(breached), 0) AS BIGINT)
        FROM {quote_ident(monthly_table(source.outcomes))} WHERE {where.sql}
        """,
        where.params,
    ))
    return Counts(met=int(met), breached=int(breached))


def headline(source: DataSource, filters: Filters) -> Headline:
    """Met / breached / adherence for the month, the month before and the last 12 months."""
    return Headline(
        month=counts(source, filters, "month"),
        previous=counts(source, filters, "previous"),
        last_12_months=counts(source, filters, "12m"),
    )


def route_load(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Tickets created per month and route (the policy's `routes`: who each tier sends work to), over the last
    12 months to the selected one, in the policy's timezone. Columns: month, then one per route."""
    period = _require_period(filters)
    zone = source.policy.zone
    first, _ = window_bounds(period, "12m")
    # One row per ticket (every ticket has an acknowledge row), and only the window's tickets are put into months.
    where = filtered(filters).add("metric = 'acknowledge' AND created_at >= $lo AND created_at < $hi",
                                  lo=datetime.combine(first, time(), zone),
                                  hi=datetime.combine(shift_month(period, 1), time(), zone))
    created = frame(
        source,
        f"""
        SELECT {month("created_at")} AS month, coalesce(route, 'no route') AS route, count(*) AS tickets
        FROM {quote_ident(source.results)}
        WHERE {where.sql}
        GROUP BY ALL
        """,
        {**where.params, "tz": source.policy.timezone},
    )
    if created.empty:
        return pd.DataFrame(columns=["month"])
    created["month"] = pd.to_datetime(created["month"]).dt.date
    table = created.pivot_table(index="month", columns="route", values="tickets", fill_value=0, aggfunc="sum")
    return table.sort_index(ascending=False).reset_index().rename_axis(columns=None)


def _tier_metric_order(table: pd.DataFrame) -> pd.DataFrame:
    """Most urgent tier first, then the clocks in the order a ticket meets them (vocab)."""
    order = {tier: i for i, tier in enumerate(TIERS)}
    morder = {metric: i for i, metric in enumerate(METRICS)}
    keys = table["tier"].map(order).fillna(len(order)) * 10 + table["metric"].map(morder).fillna(len(morder))
    return table.assign(_k=keys).sort_values(["_k", "tier", "metric"]).drop(columns="_k").reset_index(drop=True)


def adherence_table(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per tier and metric: counts and adherence this month, the month before, the last 12 months.

    Columns: tier, metric, met, breached, adherence, goal (the policy's `goals`, per tier; None without one), prev_met,
    prev_breached, prev_adherence, met_12m, breached_12m, adherence_12m (adherence None when nothing was
    decided). Rows: every tier/metric with an outcome in 12 months.
    """
    period = _require_period(filters)
    where = _where(filters, *window_bounds(period, "12m")).bind(period=period, previous=shift_month(period, -1))
    table = frame(
        source,
        f"""
        WITH c AS (
            SELECT tier, metric,
                   CAST(coalesce(sum(met) FILTER (WHERE month = $period), 0) AS BIGINT) AS met,
                   CAST(coalesce(sum(breached) FILTER (WHERE month = $period), 0) AS BIGINT) AS breached,
                   CAST(coalesce(sum(met) FILTER (WHERE month = $previous), 0) AS BIGINT) AS prev_met,
                   CAST(coalesce(sum(breached) FILTER (WHERE month = $previous), 0) AS BIGINT) AS prev_breached,
                   CAST(sum(met) AS BIGINT) AS met_12m,
                   CAST(sum(breached) AS BIGINT) AS breached_12m
            FROM {quote_ident(monthly_table(source.outcomes))} WHERE {where.sql}
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
    goals = source.policy.goals
    table.insert(5, "goal", table["tier"].map(lambda tier: goals.get(tier)).astype("float64"))
    return _tier_metric_order(table)


@dataclass(frozen=True)
class GoalCheck:
    """The month's adherence of one tier (all its clocks) against the policy's goal for it."""

    tier: str
    adherence: Optional[float]
    goal: float

    @property
    def reached(self) -> Optional[bool]:
        return None if self.adherence is None else self.adherence >= self.goal


def goal_checks(source: DataSource, filters: Filters) -> list[GoalCheck]:
    """Each tier with a goal (the policy's `goals`) and clocks decided in the month, most urgent first."""
    goals, checks = source.policy.goals, []
    for tier in TIERS:
        if tier in goals and (filters.tier is None or filters.tier == tier):
            decided = counts(source, filters.model_copy(update={"tier": tier}), "month")
            if decided.decided:
                checks.append(GoalCheck(tier=tier, adherence=decided.adherence, goal=goals[tier]))
    return checks


def adherence_trend(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Adherence per month, tier and metric over the 12 months ending at the period, every month of the window
    present: a month without clocks has no adherence (a gap in a line, never a joined one), and a month with
    fewer than MIN_TREND_CLOCKS decided clocks has none either and says so (`too_few`), not a 0 % or 100 % spike.

    Columns: month (DATE), tier, metric, met, breached, adherence, too_few.
    """
    first, last = window_bounds(_require_period(filters), "12m")
    where = _where(filters, first, last)
    return frame(
        source,
        f"""
        WITH counts AS (
            SELECT month, tier, metric, CAST(sum(met) AS BIGINT) AS met, CAST(sum(breached) AS BIGINT) AS breached
            FROM {quote_ident(monthly_table(source.outcomes))} WHERE {where.sql}
            GROUP BY month, tier, metric
        ), grid AS (
            SELECT CAST(m AS DATE) AS month, tier, metric
            FROM range(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) r(m)
            CROSS JOIN (SELECT DISTINCT tier, metric FROM counts)
        )
        SELECT month, tier, metric, coalesce(met, 0) AS met, coalesce(breached, 0) AS breached,
               CASE WHEN coalesce(met + breached, 0) >= $fewest THEN met / (met + breached) END AS adherence,
               coalesce(met + breached, 0) BETWEEN 1 AND $fewest - 1 AS too_few
        FROM grid LEFT JOIN counts USING (month, tier, metric)
        ORDER BY month, tier, metric
        """,
        {**where.params, "fewest": MIN_TREND_CLOCKS},
    )


def distribution_tier(filters: Filters) -> str:
    """The tier whose response-time distributions the review draws: the filtered one, else critical."""
    return filters.tier or "critical"


def elapsed_distribution(source: DataSource, filters: Filters, metric: str) -> pd.DataFrame:
    """Time to `metric` in minutes for the distribution tier's clocks decided in the month.

    Columns: ticket_id, elapsed_minutes, target_minutes, state. Elapsed time is
    counted in the metric's calendar (open hours), as the target is.
    """
    period = _require_period(filters)
    where = _where(filters.model_copy(update={"tier": distribution_tier(filters)}), period, period)
    where.add("metric = $metric", metric=metric)
    return frame(
        source,
        f"""
        SELECT ticket_id, elapsed_seconds / 60.0 AS elapsed_minutes,
               target_seconds / 60.0 AS target_minutes, state
        FROM {quote_ident(source.outcomes)}
        WHERE {where.sql}
        ORDER BY elapsed_minutes
        """,
        where.params,
    )


def breaches_by_team(source: DataSource, filters: Filters) -> pd.DataFrame:
    """Per owner team and metric in the month: breached, met, adherence; most breaches first."""
    period = _require_period(filters)
    where = _where(filters, period, period)
    return frame(
        source,
        f"""
        SELECT coalesce(owner_team, $no_team) AS owner_team, discipline, metric,
               CAST(sum(breached) AS BIGINT) AS breached,
               CAST(sum(met) AS BIGINT) AS met,
               sum(met) / (sum(met) + sum(breached)) AS adherence
        FROM {quote_ident(monthly_table(source.outcomes))} WHERE {where.sql}
        GROUP BY ALL
        ORDER BY breached DESC, owner_team, metric
        """,
        {**where.params, "no_team": NO_TEAM},
    )


class Cell(TypedDict, total=False):
    """What a drill-down narrows the filters to: a window (default the month) and an outcome (default breached),
    and optionally one tier, metric and owner team (a table cell)."""

    window: Window
    state: StateChoice
    tier: Optional[str]
    metric: Optional[str]
    owner_team: Optional[str]


def _drill_where(filters: Filters, cell: Cell) -> Where:
    """The WHERE clause of one drill-down: the filters narrowed to a table cell."""
    tier, owner_team, state = cell.get("tier"), cell.get("owner_team"), cell.get("state", "breached")
    narrowed = filters.model_copy(update={"tier": tier}) if tier is not None else filters
    where = _where(narrowed, *window_bounds(_require_period(filters), cell.get("window", "month")))
    where.equal("metric", cell.get("metric"), "metric")
    if owner_team is not None:
        where.add("coalesce(owner_team, $no_team) = $cell_team", no_team=NO_TEAM, cell_team=owner_team)
    return where.equal("state", None if state == "all" else state, "state")


def tickets_behind(
    source: DataSource, filters: Filters, *, limit: Optional[int] = None, **cell: Unpack[Cell]
) -> pd.DataFrame:
    """The clocks behind a number: the filters narrowed to a cell (window, state, tier, metric, owner team).

    Times are shown in the policy's timezone; overdue_minutes is how far
    past its target a breached clock ran, in the metric's open hours.
    """
    where = _drill_where(filters, cell).bind(tz=source.policy.timezone)
    limit_sql = ""
    if limit is not None:
        limit_sql = " LIMIT $limit"
        where.params["limit"] = int(limit)
    return frame(
        source,
        f"""
        SELECT ticket_id, tier, metric, state, segment, owner_team, discipline,
               timezone($tz, created_at) AS created,
               timezone($tz, due_at) AS due,
               timezone($tz, stopped_at) AS stopped,
               round(target_seconds / 60.0, 1) AS target_minutes,
               round(elapsed_seconds / 60.0, 1) AS elapsed_minutes,
               round(greatest(elapsed_seconds - target_seconds, 0) / 60.0, 1) AS overdue_minutes
        FROM {quote_ident(source.outcomes)}
        WHERE {where.sql}
        ORDER BY decided_at DESC, ticket_id, metric{limit_sql}
        """,
        where.params,
    )


def count_behind(source: DataSource, filters: Filters, **cell: Unpack[Cell]) -> int:
    """How many rows `tickets_behind` returns without a limit."""
    where = _drill_where(filters, cell)
    return int(fetch_one(source.con.cursor().execute(
        f"SELECT count(*) FROM {quote_ident(source.outcomes)} WHERE {where.sql}", where.params))[0])
