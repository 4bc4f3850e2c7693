"""Preparing clocks: what no tier, target or calendar changes (steps 1, 2 and 3a of engine.py).

For each ticket the base tier (assigned impact, else the rubric's) and the
instant each metric's clock stops; the tier changes; the clipped pause spans.
The simulator keeps these per replay and judges many candidates over them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional, Sequence

import duckdb

from sla_core.clocks.calendars import utc_date
from sla_core.clocks.codes import code_sql, segment_code_sql
from sla_core.clocks.pauses import clip_pauses, pause_statuses
from sla_core.clocks.rubric import score_tickets
from sla_core.policy import Policy
from sla_core.sqlutil import dropped_after, fetch_one, load_frame, quote_ident
from sla_core.vocab import METRICS, TIERS

PREPARED_PARTS: tuple[str, ...] = ("tickets", "tier_changes", "pauses")  # the tables `prepare` leaves

# The `{prep}_tickets` column holding the instant each metric's clock stops, by metric code.
STOP_COLUMNS: tuple[str, ...] = ("stop_ack", "stop_plan", "stop_res")


def stop_us(metric_i: str) -> str:
    """SQL: the instant ticket `t`'s clock for the metric code `metric_i` stops; NULL while it runs."""
    whens = " ".join(f"WHEN {i} THEN t.{column}" for i, column in enumerate(STOP_COLUMNS))
    return f"CASE {metric_i} {whens} END"


def data_span(con: duckdb.DuckDBPyConnection, tickets: str, events: str, as_of_us: int) -> tuple[date, date]:
    """First and last dates any clock can touch, for the calendar table.

    The first is taken back to the start of its month, so subsets of the same tickets (the
    simulator's re-evaluated ones) mostly share one span and calendars.py's remembered tables.
    """
    # Per-column extremes, not a per-row greatest(): DuckDB answers these from its column statistics.
    first, last, first_event = fetch_one(con.execute(
        f"""
        SELECT epoch_us(min(created_at)),
               epoch_us(greatest(max(created_at), max(acknowledged_at), max(action_plan_at), max(resolved_at))),
               (SELECT epoch_us(min("at")) FROM {events})
        FROM {tickets}
        """
    ))
    lo = min(v for v in (first, first_event, as_of_us) if v is not None)
    hi = max(v for v in (last, as_of_us) if v is not None)
    return (utc_date(lo) - timedelta(days=2)).replace(day=1), utc_date(hi) + timedelta(days=2)


def _unmeasured_mask(column: str) -> str:
    """SQL: bit m set for each metric code m the ticket's export cannot time (its `unmeasured` list)."""
    bits = " + ".join(f"list_contains(string_split({column}, ','), '{metric}')::INT * {1 << i}"
                      for i, metric in enumerate(METRICS))
    return f"coalesce({bits}, 0)"


def prepare(
    con: duckdb.DuckDBPyConnection,
    prep: str,
    policy: Policy,
    as_of_us: int,
    tickets: str,
    events: str,
    metric_codes: Sequence[int],
    coded_by: Optional[str],
    kind: str = "TEMP TABLE",
) -> tuple[date, date]:
    """Steps 1, 2 and 3's clipped pause rows: what no target or calendar changes (the base tier of step 1
    is the one thing a judging may replace).

    Creates `{prep}_tickets`, `{prep}_tier_changes` and `{prep}_pauses` (`kind`: "TABLE" for tables other
    cursors read); returns the dates any clock can touch. One function because its three statements share the
    scratch tables of one `with` block, which drops them even when a statement fails.
    """
    with dropped_after(con, prep, ("pause_statuses", "rubric_tiers")):
        pause_frame = pause_statuses(policy)
        pause_frame = pause_frame[pause_frame["metric_i"].isin(metric_codes)]
        load_frame(con, f"{prep}_pause_statuses", pause_frame, "metric_i INT, status VARCHAR")
        span = data_span(con, tickets, events, as_of_us)
        # The base tier: the assigned impact, else the rubric's (only tickets without an impact are scored).
        score_tickets(con, policy.rubric, tickets=f"(SELECT * FROM {tickets} WHERE impact IS NULL)",
                      out=f"{prep}_rubric_tiers")

        # Codes instead of text through the 3-rows-per-ticket stages: joins carry no strings.
        codes = {"as_of": as_of_us, "segments": list(policy.segments)}
        if policy.on_reopen == "first_resolution":
            # The resolution clock stops at the first resolved/closed status, reopens notwithstanding.
            first_res = f"""SELECT ticket_id, min(epoch_us("at")) AS at_us FROM {events}
                            WHERE field = 'status' AND value IN ('resolved', 'closed') AND epoch_us("at") <= $as_of
                            GROUP BY ticket_id"""
            resolution_stop = "least(fr.at_us, epoch_us(t.resolved_at))"
        else:
            first_res = "SELECT NULL::VARCHAR AS ticket_id, NULL::BIGINT AS at_us WHERE FALSE"
            resolution_stop = "epoch_us(t.resolved_at)"
        key_column = f", t.{quote_ident(coded_by)} AS tkey" if coded_by else ""

        # 1. Tickets (the table's rowid is the join key): base tier, segment code, the instant each clock stops.
        con.execute(
            f"""
            CREATE OR REPLACE {kind} {prep}_tickets AS
            WITH first_res AS ({first_res}), raw AS (
                SELECT t.ticket_id, epoch_us(t.created_at) AS created_us, t.segment, t.owner_team,
                       {code_sql("coalesce(t.impact, r.rubric_tier)", TIERS)} AS base_tier_i,
                       epoch_us(t.resolved_at) AS resolved_us,
                       {resolution_stop} AS resolution_us,
                       epoch_us(t.acknowledged_at) AS ack_us,
                       epoch_us(t.action_plan_at) AS plan_us,
                       {_unmeasured_mask("t.unmeasured")} AS unmeasured_i{key_column}
                FROM {tickets} t
                LEFT JOIN {prep}_rubric_tiers r USING (ticket_id)
                LEFT JOIN first_res fr USING (ticket_id)
                WHERE epoch_us(t.created_at) <= $as_of
            )
            SELECT raw.* EXCLUDE (resolved_us, resolution_us, ack_us, plan_us),
                   {segment_code_sql("segment")} AS seg_i,
                   -- a ticket resolved with no acknowledgement or plan was answered by its resolution
                   CASE WHEN coalesce(ack_us, resolved_us) <= $as_of THEN coalesce(ack_us, resolved_us) END AS stop_ack,
                   CASE WHEN coalesce(plan_us, resolved_us) <= $as_of
                        THEN coalesce(plan_us, resolved_us) END AS stop_plan,
                   CASE WHEN resolution_us <= $as_of THEN resolution_us END AS stop_res
            FROM raw
            """,
            codes,
        )

        # 2. Tier changes (the latest event per instant wins).
        con.execute(
            f"""
            CREATE OR REPLACE {kind} {prep}_tier_changes AS
            SELECT t.rowid AS rid, epoch_us(e."at") AS at_us, {code_sql("arg_max(e.value, e.seq)", TIERS)} AS tier_i
            FROM {events} e JOIN {prep}_tickets t USING (ticket_id)
            WHERE e.field = 'impact' AND e.value IN ('critical', 'high', 'medium', 'low') AND epoch_us(e."at") <= ?
            GROUP BY t.rowid, epoch_us(e."at")
            """,
            [as_of_us],
        )

        # 3a. Pause spans per ticket and metric, clipped to the clock (pauses.py).
        clip_pauses(con, prep, events, as_of_us, pause_frame, STOP_COLUMNS, stop_us, kind)
        return span


def prepared_tables(prefix: str) -> list[str]:
    """Names of the tables `prepare` leaves under `prefix` (an owner can claim them before they exist)."""
    return [f"{prefix}_{part}" for part in PREPARED_PARTS]
