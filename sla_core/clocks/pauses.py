"""The pause rule, in one place: which statuses stop which clock, the pause spans, and the due point around them.

docs/design.md: elapsed time counts the open hours of the metric's calendar minus
the time spent in one of the metric's pause statuses (and, under `on_reopen:
resume`, the resolved spans of a reopened ticket); `due_at` is the earliest
instant at which unpaused open time reaches the target, and a clock paused
now that has not reached it has no `due_at` until it resumes.

Three steps of the engine apply it: `clip_pauses` (while preparing: status
events to pause spans per ticket and metric, clipped to the clock), then,
while judging, `measure_pauses` (F, the calendar's open time, at both ends
of every span) and `pause_totals` (paused open time per clock and the due
point from the gaps between its pauses).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import duckdb
import pandas as pd

from sla_core.clocks.calendars import CalendarTables
from sla_core.policy import Policy
from sla_core.vocab import METRICS


def pause_statuses(policy: Policy) -> pd.DataFrame:
    """(metric code, status) pairs that stop a clock: the policy's pauses, and resolved spans under `resume`."""
    rows = {(METRICS.index(m), status) for m in METRICS for status in policy.pause_statuses(m)}
    if policy.on_reopen == "resume":
        # A resolved-then-reopened ticket's resolved spans do not count against resolution.
        rows |= {(METRICS.index("resolution"), "resolved"), (METRICS.index("resolution"), "closed")}
    return pd.DataFrame(sorted(rows), columns=["metric_i", "status"]).astype({"metric_i": "int64", "status": str})



def clip_pauses(
    con: duckdb.DuckDBPyConnection,
    prep: str,
    events: str,
    as_of_us: int,
    statuses: pd.DataFrame,
    stop_columns: Sequence[str],
    stop_us: Callable[[str], str],
    kind: str,
) -> None:
    """3a. `{prep}_pauses`: pause spans per ticket and metric (key = ticket rowid * 4 + metric code), clipped to
    [created, end] of the clock; `statuses` is the (metric code, status) frame loaded as `{prep}_pause_statuses`."""
    # A status at or after the stop of every clock that pauses ends nothing those clocks count (the status
    # before it is clipped to the stop either way): left out before the window, which costs per row.
    counts = " OR ".join(f"t.{stop_columns[m]} IS NULL OR epoch_us(e.\"at\") < t.{stop_columns[m]}"
                         for m in sorted(set(statuses["metric_i"]))) or "FALSE"
    con.execute(
        f"""
        CREATE OR REPLACE {kind} {prep}_pauses AS
        WITH st AS (
            SELECT t.rowid AS rid, e.value AS status, epoch_us(e."at") AS s_us,
                   lead(epoch_us(e."at")) OVER (PARTITION BY t.rowid ORDER BY e."at", e.seq) AS e_us
            FROM {events} e JOIN {prep}_tickets t ON t.ticket_id = e.ticket_id
            WHERE e.field = 'status' AND epoch_us(e."at") <= $as_of AND ({counts})
        ), clipped AS (
            -- clipped with the ticket row alone: a clock's start and end do not depend on its tier
            SELECT t.rowid * 4 + pm.metric_i AS key,
                   {stop_us('pm.metric_i')} AS stop_us,
                   coalesce(stop_us, $as_of) AS end_us,
                   greatest(st.s_us, t.created_us) AS s_us,
                   least(coalesce(st.e_us, end_us), end_us) AS e_us,
                   st.e_us IS NULL AND stop_us IS NULL AS is_open
            FROM (SELECT * FROM st WHERE list_contains($statuses::VARCHAR[], status)) st
            JOIN {prep}_tickets t ON t.rowid = st.rid
            JOIN {prep}_pause_statuses pm ON pm.status = st.status
        )
        -- drops e.g. a pause that began when its clock had already stopped
        SELECT key, s_us, e_us, is_open FROM clipped WHERE e_us > s_us OR (is_open AND s_us <= e_us)
        """,
        {"as_of": as_of_us, "statuses": sorted(set(statuses["status"]))},
    )


def measure_pauses(
    con: duckdb.DuckDBPyConnection,
    prep: str,
    scratch: str,
    cal: CalendarTables,
    clock_rows: Callable[[str, Sequence[int]], str],
    judged_rids: Optional[str],
    as_of_us: int,
    paused_metrics: list[int],
) -> None:
    """3b. `{scratch}_pause_spans`: F at both ends of every pause of the clocks judged. `clock_rows(where,
    metrics)` is the SQL of their ticket x metric rows (judge.clock_rows_sql); `judged_rids`, a query of the
    ticket rowids judged when not all are."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {scratch}_pause_spans AS
        WITH kept AS (
            SELECT k.* FROM {prep}_pauses k
            WHERE list_contains($metrics, (k.key % 4)::INT)
              {f"AND k.key // 4 IN ({judged_rids})" if judged_rids else ""}
        ), clocks AS (
            -- target, calendar and F(created) of the paused metrics, for the tickets that kept a pause only
            {clock_rows("rid IN (SELECT key // 4 FROM kept)", paused_metrics or [0])}
        )
        SELECT k.key, k.s_us, k.e_us, k.is_open, f.f_created, f.target_us,
               {cal.f("a", "f.cal_i", "k.s_us")} AS f_s,
               {cal.f("b", "f.cal_i", "k.e_us")} AS f_e
        FROM kept k
        JOIN clocks f ON f.key = k.key
        {cal.join_day("a", "f.cal_i", "k.s_us")}
        {cal.join_day("b", "f.cal_i", "k.e_us")}
        """,
        {"as_of": as_of_us, "metrics": paused_metrics},
    )


def pause_totals(con: duckdb.DuckDBPyConnection, scratch: str) -> None:
    """5. `{scratch}_pause_totals`: per paused clock, paused open time, whether it is paused now, and the due point
    from the gaps between pauses (the target is reached in the last gap that starts short of it)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {scratch}_pause_totals AS
        WITH ordered AS (
            SELECT p.*,
                   row_number() OVER w AS k,
                   count(*) OVER (PARTITION BY p.key) AS n,
                   coalesce(sum(p.f_e - p.f_s) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
                       AS paused_before,
                   lag(p.f_e) OVER w AS prev_f_e
            FROM {scratch}_pause_spans p
            WHERE p.target_us IS NOT NULL
            WINDOW w AS (PARTITION BY p.key ORDER BY p.s_us)
        ), gaps AS (
            -- the gap before each pause
            SELECT key, target_us, k,
                   coalesce(prev_f_e, f_created) AS g_start, f_s AS g_end,
                   coalesce(prev_f_e, f_created) - f_created - paused_before AS u_start
            FROM ordered
            UNION ALL
            -- the open-ended gap after the last pause, unless that pause is still open
            SELECT key, target_us, k + 1, f_e, NULL, f_e - f_created - paused_before - (f_e - f_s)
            FROM ordered
            WHERE k = n AND NOT is_open
        ), due AS (
            SELECT key,
                   CASE WHEN g_end IS NULL OR g_start + (target_us - u_start) <= g_end
                        THEN g_start + (target_us - u_start) END AS due_f
            FROM gaps WHERE u_start < target_us
            QUALIFY row_number() OVER (PARTITION BY key ORDER BY k DESC) = 1
        ), paused AS (
            SELECT key, sum(f_e - f_s)::BIGINT AS paused_us, bool_or(is_open) AS is_paused
            FROM {scratch}_pause_spans GROUP BY key
        )
        SELECT paused.*, due.due_f FROM paused LEFT JOIN due USING (key)
        """
    )
