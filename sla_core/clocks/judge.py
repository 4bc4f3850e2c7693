"""Judging prepared clocks under a policy's targets and calendars (steps 2, 3b-6 of engine.py).

Per ticket x metric: the tier in force, the target and calendar of its
segment, F (the calendar's open time) at the clock's start and end, the
pauses (pauses.py), elapsed time, the due instant through F's inverse, and
the state.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Optional, Sequence

import duckdb
import pandas as pd

from sla_core.clocks.calendars import CalendarTables, build_calendar_tables, calendar_names
from sla_core.clocks.codes import CODED_COLUMNS, code_sql, result_select, segment_code_sql
from sla_core.clocks.pauses import measure_pauses, pause_statuses, pause_totals
from sla_core.clocks.prepare import STOP_COLUMNS, stop_us
from sla_core.policy import Policy
from sla_core.sqlutil import dropped_after, load_frame
from sla_core.vocab import METRICS, STATES, TIERS


def targets_frame(policy: Policy) -> pd.DataFrame:
    """(segment code, tier code, metric code) -> calendar code and target; segment 0 is the default."""
    cal_codes = {name: i for i, name in enumerate(calendar_names(policy))}
    rows = []
    for seg_i, segment in enumerate([None, *policy.segments]):
        for tier_i, tier in enumerate(TIERS):
            merged = policy.targets_for(tier, segment)
            for metric_i, metric in enumerate(METRICS):
                calendar, target = merged.target(metric)
                rows.append((seg_i, tier_i, metric_i, cal_codes[calendar], None if target is None else target * 1_000_000))
    return pd.DataFrame(rows, columns=["seg_i", "tier_i", "metric_i", "cal_i", "target_us"]).astype("Int64")


def state_code_sql(j: str) -> str:
    """SQL: the clock's state code (index in STATES) at `$as_of`, per docs/design.md "SLA semantics"."""
    code = {state: STATES.index(state) for state in STATES}
    return f"""CASE WHEN {j}.target_us IS NULL THEN {code['untimed']}
                    WHEN {j}.stop_us IS NOT NULL THEN
                         CASE WHEN {j}.stop_us <= {j}.due_us THEN {code['met']} ELSE {code['breached']} END
                    WHEN {j}.due_us IS NOT NULL AND $as_of > {j}.due_us THEN {code['breached']}
                    WHEN {j}.is_paused THEN {code['paused']}
                    WHEN {j}.elapsed_us >= $ratio * {j}.target_us THEN {code['at_risk']}
                    ELSE {code['running']} END"""


def clock_rows_sql(
    prep: str,
    scratch: str,
    cal: CalendarTables,
    tier_point: str,
    tickets: str,
    tickets_where: str,
    metrics: Sequence[int] = (0, 1, 2),
) -> str:
    """SELECT of one row per ticket x metric (rows of `tickets`, `{prep}_tickets`'s with their rowid as `rid`,
    matching `tickets_where`; metric codes in `metrics`): tier in force, target (`{scratch}_targets`),
    calendar and F at the clock's start and end.

    Computed where it is read rather than stored, since writing 3M wide rows
    costs more than computing them. Reads the `$as_of` parameter.
    """
    return f"""
        WITH tm AS (
            SELECT t.rid * 4 + m.metric_i AS key, m.metric_i,
                   t.* EXCLUDE (rid, {", ".join(STOP_COLUMNS)}),
                   {stop_us('m.metric_i')} AS stop_us, coalesce(stop_us, $as_of) AS end_us
            FROM (SELECT * FROM {tickets} WHERE {tickets_where}) t
            CROSS JOIN (SELECT unnest({[int(m) for m in metrics]}) AS metric_i) m
        ), changed AS (
            -- only the few tickets with tier changes
            SELECT tm.key,
                   arg_max(i.tier_i, i.at_us) FILTER (WHERE i.at_us <= {tier_point}) AS tier_i,
                   arg_max(i.tier_i, i.at_us) FILTER (WHERE i.at_us <= tm.created_us) AS initial_tier_i
            FROM {prep}_tier_changes i JOIN (
                SELECT t.rowid * 4 + m.metric_i AS key, t.rowid AS rid, t.created_us,
                       coalesce({stop_us('m.metric_i')}, $as_of) AS end_us
                FROM {prep}_tickets t CROSS JOIN (SELECT unnest([0, 1, 2]) AS metric_i) m
                WHERE t.rowid IN (SELECT rid FROM {prep}_tier_changes)
            ) tm ON i.rid = tm.rid
            GROUP BY tm.key
        ), tiered AS (
            SELECT tm.* EXCLUDE (base_tier_i),
                   coalesce(c.tier_i, tm.base_tier_i) AS tier_i,
                   coalesce(c.initial_tier_i, tm.base_tier_i) AS initial_tier_i
            FROM tm LEFT JOIN changed c USING (key)
        ), targeted AS (
            -- a metric the ticket's export cannot time is not measured: no target, so untimed (docs/design.md)
            SELECT tiered.* EXCLUDE (seg_i, unmeasured_i), coalesce(g.cal_i, 0) AS cal_i,
                   (tiered.unmeasured_i >> tiered.metric_i) & 1 = 1 AS unmeasured,
                   CASE WHEN NOT unmeasured THEN g.target_us END AS target_us
            FROM tiered
            LEFT JOIN {scratch}_targets g
                   ON g.seg_i = tiered.seg_i AND g.tier_i = tiered.tier_i AND g.metric_i = tiered.metric_i
        )
        SELECT tm.*, {cal.f("a", "tm.cal_i", "tm.created_us")} AS f_created,
               {cal.f("b", "tm.cal_i", "tm.end_us")} AS f_end
        FROM targeted tm
        {cal.join_day("a", "tm.cal_i", "tm.created_us")}
        {cal.join_day("b", "tm.cal_i", "tm.end_us")}
    """


def judge(
    con: duckdb.DuckDBPyConnection,
    prep: str,
    scratch: str,
    policy: Policy,
    as_of_us: int,
    span: tuple[date, date],
    out: str,
    metric_codes: Sequence[int],
    coded_by: Optional[str],
    tiers: Optional[str] = None,
    only: Optional[str] = None,
    resegment: bool = False,
) -> str:
    """Steps 3b-6 over `_prepare`'s tables `{prep}_*`, with `policy`'s targets and calendars; scratch `{scratch}_*`.

    `tiers`: a (ticket_key, tier) relation replacing every ticket's base tier; `only`: a (ticket_key)
    relation limiting the tickets judged; `resegment`: `policy` lists other segments than the prepared
    one, so segment codes are taken again (all three need `coded_by`). One function because every
    statement reads the scratch tables of one `with` block, which drops them even when a statement fails.
    """
    parts = ["targets", "cal_day", "cal_inv", "pause_spans", "pause_totals", *(["tickets"] if tiers or resegment else [])]
    with dropped_after(con, scratch, parts):  # a failed judging leaves nothing behind on the cursor either
        targets = targets_frame(policy)
        load_frame(con, f"{scratch}_targets", targets, "seg_i INT, tier_i INT, metric_i INT, cal_i INT, target_us BIGINT")
        longest = int(targets["target_us"].max()) if targets["target_us"].notna().any() else 0
        cal = build_calendar_tables(con, policy, span[0], span[1], longest, f"{scratch}_cal")
        tickets_where = f"tkey IN (SELECT ticket_key FROM {only})" if only else "TRUE"
        if tiers or resegment:
            if not coded_by:
                raise ValueError("judging with other tiers or segments writes codes only: give coded_by")
            # The tickets with the given base tiers and this policy's segment codes (and no text: only codes are
            # written), keeping `{prep}_tickets`'s rowids.
            base_tier = code_sql("o.tier", TIERS) if tiers else "t.base_tier_i"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {scratch}_tickets AS
                    SELECT t.rowid AS rid, t.* EXCLUDE (base_tier_i, seg_i, ticket_id, segment, owner_team),
                           {base_tier} AS base_tier_i,
                           {segment_code_sql("t.segment")} AS seg_i
                    FROM {prep}_tickets t {f"LEFT JOIN ({tiers}) o ON o.ticket_key = t.tkey" if tiers else ""}""",
                {"segments": list(policy.segments)},
            )
            tickets = f"{scratch}_tickets"
        else:
            tickets = f"(SELECT rowid AS rid, * FROM {prep}_tickets)"
        # The tier in force and the target per ticket x metric: SQL used inside steps 3b and 6 (see clock_rows_sql).
        tier_point = "tm.end_us" if policy.on_tier_change == "recompute" else "tm.created_us"
        clocks = partial(clock_rows_sql, prep, scratch, cal, tier_point, tickets)
        paused_metrics = sorted(set(pause_statuses(policy)["metric_i"]) & set(metric_codes))

        # 3b and 5: the pauses of the clocks judged, their open time and the due points around them.
        judged_rids = f"SELECT rid FROM {tickets} WHERE {tickets_where}" if only else None
        measure_pauses(con, prep, scratch, cal, clocks, judged_rids, as_of_us, paused_metrics)
        pause_totals(con, scratch)

        # 4b + 6. Elapsed, the due instant through F's inverse, and the state.
        if coded_by:
            shown = "j.tkey AS ticket_key, " + ", ".join(f"j.{c}" for c in CODED_COLUMNS[1:])
            shown_params: dict[str, object] = {}
        else:
            shown, shown_params = result_select("j", policy)
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {out} AS
            WITH f AS (
                {clocks(tickets_where, metric_codes)}
            ), j AS (
                SELECT f.*, coalesce(pz.paused_us, 0) AS paused_us, coalesce(pz.is_paused, FALSE) AS is_paused,
                       f.f_end - f.f_created - coalesce(pz.paused_us, 0) AS elapsed_us,
                       CASE WHEN f.target_us IS NULL THEN NULL
                            WHEN pz.key IS NULL THEN f.f_created + f.target_us
                            ELSE pz.due_f END AS due_f
                FROM f
                LEFT JOIN {scratch}_pause_totals pz USING (key)
            ), inv AS (
                SELECT j.*, {cal.f_inverse("v", "j.cal_i", "j.due_f")} AS due_us
                FROM j {cal.join_inv("v", "j.cal_i", "j.due_f")}
            ), judged AS (
                SELECT inv.*, {state_code_sql("inv")} AS state_i FROM inv
            )
            SELECT {shown}
            FROM judged j
            """,
            {"as_of": as_of_us, "ratio": policy.at_risk_ratio, **shown_params},
        )
        return out
