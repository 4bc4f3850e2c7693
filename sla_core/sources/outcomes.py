"""The review's outcomes, prepared once per judged data source: one row per decided clock with its review
month, and met / breached per month and filter value beside it. Every figure of the review reads these.

Adherence for a month = met / (met + breached) over the clocks decided in that month (docs/design.md): a
stopped clock is decided when it stopped, a clock still running past its due time when it breached (its
`due_at`). Months are calendar months in the policy's timezone.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import duckdb

from sla_core.clocks.calendars import DAY_US
from sla_core.sqlutil import quote_ident

# A clock's outcome is decided when it stops, or - still running - when it breached.
DECIDED_AT_SQL = "coalesce(stopped_at, due_at)"


def prepare_outcomes(
    con: duckdb.DuckDBPyConnection, timezone: str, *, results: str = "sla_results", out: str = "review_outcomes"
) -> str:
    """(Re)create `out`: one row per decided clock (met or breached) with its review month.

    Also (re)creates `monthly_table(out)`, met / breached per month, tier,
    metric, segment and owner team, so a filter change aggregates a few
    thousand rows instead of every clock. Not sorted: clocks are decided
    roughly in the order tickets arrive, so a month's rows already sit
    close together, and sorting 1M tickets' outcomes costs 0.4 s.
    """
    cur = con.cursor()
    decided = f"FROM {quote_ident(results)} WHERE state = 'met' OR (state = 'breached' AND {DECIDED_AT_SQL} IS NOT NULL)"
    day = f"CAST(fdiv(epoch_us({DECIDED_AT_SQL}), {DAY_US}) AS BIGINT)"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _outcome_days AS
        -- a UTC day's local month at its first and last microsecond; most days lie within one month
        SELECT day,
               CAST(date_trunc('month', timezone($zone, make_timestamptz(day * {DAY_US}))) AS DATE) AS first_month,
               CAST(date_trunc('month', timezone($zone, make_timestamptz(day * {DAY_US} + {DAY_US - 1}))) AS DATE)
                   AS last_month
        FROM (SELECT unnest(range(min({day}), max({day}) + 1)) AS day {decided})
        """,
        {"zone": timezone},
    )
    try:
        # The month from the day: DuckDB's per-row timezone conversion costs 0.4 s over 1M tickets'
        # clocks, so only the rows of days on which a month starts are converted one by one.
        cur.execute(
            f"""
            CREATE OR REPLACE TABLE {quote_ident(out)} AS
            SELECT r.ticket_id, r.metric, r.tier, r.segment, r.owner_team, r.discipline, r.state, r.calendar,
                   r.target_seconds, r.elapsed_seconds, r.created_at, r.due_at, r.stopped_at, r.decided_at,
                   CASE WHEN d.first_month = d.last_month THEN d.first_month
                        ELSE CAST(date_trunc('month', timezone($zone, r.decided_at)) AS DATE) END AS month
            FROM (SELECT *, {DECIDED_AT_SQL} AS decided_at, {day} AS day {decided}) r
            JOIN _outcome_days d USING (day)
            """,
            {"zone": timezone},
        )
    finally:
        cur.execute("DROP TABLE IF EXISTS _outcome_days")
    cur.execute(
        f"""
        CREATE OR REPLACE TABLE {quote_ident(monthly_table(out))} AS
        SELECT month, tier, metric, segment, owner_team, discipline,
               count(*) FILTER (WHERE state = 'met') AS met,
               count(*) FILTER (WHERE state = 'breached') AS breached
        FROM {quote_ident(out)}
        GROUP BY ALL
        ORDER BY month
        """
    )
    return out


def monthly_table(outcomes: str) -> str:
    """The per-month counts beside the outcomes: every headline, table and trend reads these few rows."""
    return f"{outcomes}_monthly"


def month_clocks(con: duckdb.DuckDBPyConnection, *, outcomes: str = "review_outcomes") -> dict[date, int]:
    """Decided clocks per month (months without any are absent)."""
    rows = con.cursor().execute(
        f"SELECT month, CAST(sum(met + breached) AS BIGINT) FROM {quote_ident(monthly_table(outcomes))} "
        "GROUP BY month ORDER BY month"
    ).fetchall()
    return {month: int(n) for month, n in rows}


def filter_choices(
    con: duckdb.DuckDBPyConnection, column: Literal["segment", "owner_team", "discipline"], *,
    results: str = "sla_results"
) -> list[str]:
    """Distinct non-empty values of a filterable column, sorted."""
    rows = con.cursor().execute(
        f"SELECT DISTINCT {quote_ident(column)} AS v FROM {quote_ident(results)} WHERE v IS NOT NULL ORDER BY v"
    ).fetchall()
    return [row[0] for row in rows]
