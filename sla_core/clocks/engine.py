"""The SLA clocks: every ticket x metric evaluated in DuckDB SQL at one `as_of`.

The semantics are DESIGN.md's "SLA semantics"; this module is their only
implementation. All instants are handled as epoch microseconds (BIGINT) so
that comparisons are exact; F(cal, t) is a calendar's open microseconds
before t (see calendars.py).

Steps, each a whole-table statement:
1. tickets -> base tier (assigned impact or rubric) and the instant each
   metric's clock stops (unknown stops and stops after `as_of` = running);
2. ticket x metric -> tier in force (impact events, `on_tier_change`),
   segment-merged target and calendar, F at the clock's start and end;
3. status events -> pause intervals per metric (plus resolved/closed spans
   for the resolution clock under `on_reopen: resume`), clipped to the clock;
4. elapsed = F(end) - F(created) - paused open time;
5. due_at from the gaps between pauses: the gap in which unpaused open time
   reaches the target, inverted through the calendar; a clock paused now
   that has not reached its target has no due_at;
6. state: met / breached / paused / at_risk / running / untimed.

Steps 1, 2 and 3's clipped pauses depend on no target or calendar, and on
tiers only through step 1's base tier (`_prepare`); the rest does
(`_judge`). `evaluate` runs both; the simulator keeps the first per replay
(`PreparedClocks`) and judges each candidate with the second, given the
candidate's base tiers, in codes (`coded_by`), decoded only where shown
(`result_select`, the one place codes become text).

Speed comes from writing few wide tables: a ticket's key is its scratch
table rowid (no window to number it); the ticket x metric rows of step 2
are never stored but computed where they are read (in step 3 for the
tickets that kept a pause after clipping, for all in the result), because
writing 3M wide rows costs more than computing them; text codes are decoded
by CASE at the end.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial
from typing import Iterator, Optional, Sequence

import duckdb
import pandas as pd

from sla_core.clocks.calendars import CalendarTables, build_calendar_tables, calendar_names, epoch_us, utc_date
from sla_core.clocks.rubric import score_tickets
from sla_core.policy import Policy
from sla_core.sqlutil import load_frame, quote_ident
from sla_core.vocab import FACTORS, METRICS, STATES, TIERS

PREPARED_PARTS: tuple[str, ...] = ("t", "imp", "kept")  # the tables `_prepare` leaves, after its prefix

# The ticket columns `evaluate` reads: a caller copying tickets for it need copy no others.
INPUT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((
    "ticket_id", "created_at", "impact", "segment", "owner_team",
    "acknowledged_at", "action_plan_at", "resolved_at", *FACTORS,
)))

# The event columns it reads.
EVENT_INPUT_COLUMNS: tuple[str, ...] = ("ticket_id", "at", "field", "value", "seq")

RESULT_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "metric",
    "tier",
    "initial_tier",
    "segment",
    "owner_team",
    "created_at",
    "calendar",
    "target_seconds",
    "elapsed_seconds",
    "paused_seconds",
    "due_at",
    "stopped_at",
    "state",
    "time_left_seconds",
)

# What `evaluate(..., coded_by=...)` writes instead: the same clocks as codes and epoch microseconds,
# keyed by the caller's integer ticket key. A caller comparing many evaluations of the same tickets
# (the simulator) joins and counts these several times faster than text, and decodes only the rows
# it shows, with `result_select`.
CODED_COLUMNS: tuple[str, ...] = (
    "ticket_key",
    "metric_i",  # index in METRICS
    "tier_i",  # index in TIERS (tier in force)
    "initial_tier_i",
    "cal_i",  # index in calendars.calendar_names(policy)
    "target_us",
    "elapsed_us",
    "paused_us",
    "due_us",
    "stop_us",
    "state_i",  # index in STATES
)


def _targets_frame(policy: Policy) -> pd.DataFrame:
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


def _pause_frame(policy: Policy) -> pd.DataFrame:
    """(metric code, status) pairs that stop a clock."""
    rows = {(METRICS.index(m), status) for m in METRICS for status in policy.pause_statuses(m)}
    if policy.on_reopen == "resume":
        # A resolved-then-reopened ticket's resolved spans do not count against resolution.
        rows |= {(METRICS.index("resolution"), "resolved"), (METRICS.index("resolution"), "closed")}
    return pd.DataFrame(sorted(rows), columns=["metric_i", "status"]).astype({"metric_i": "int64", "status": str})


def _decode(code: str, name: str, n: int) -> str:
    """A code back to its text as a CASE over parameters `$name_0..`: several times cheaper
    on 3M rows than indexing a list parameter, which copies every string."""
    whens = " ".join(f"WHEN {i} THEN ${name}_{i}" for i in range(n))
    return f"CASE {code} {whens} END"


def _decode_params(name: str, values: Sequence[str]) -> dict[str, str]:
    return {f"{name}_{i}": value for i, value in enumerate(values)}


def code_sql(expr: str, values: Sequence[str]) -> str:
    """SQL: the code (index in `values`, code constants such as TIERS) of the text `expr`; NULL when absent."""
    return f"(list_position([{', '.join(repr(v) for v in values)}], {expr}) - 1)"


def text_sql(code: str, values: Sequence[str], missing: str = "NULL") -> str:
    """SQL: the text of code `code` in `values` (code constants), the SQL `missing` for any other code."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE {code} {whens} ELSE {missing} END)"


def _segment_code_sql(segment: str) -> str:
    """SQL: a ticket's segment code under the `$segments` parameter (0 = no override of its own)."""
    return f"coalesce(list_position($segments::VARCHAR[], {segment}), 0)"


def result_select(j: str, calendars: Sequence[str]) -> tuple[str, dict[str, str]]:
    """SELECT list of RESULT_COLUMNS from the coded clock row `j` (CODED_COLUMNS plus ticket_id, segment,
    owner_team and created_us), and its parameters: the one place codes become the result's text."""
    sql = f"""
        {j}.ticket_id,
        {_decode(f"{j}.metric_i", "metric", len(METRICS))} AS metric,
        {_decode(f"{j}.tier_i", "tier", len(TIERS))} AS tier,
        {_decode(f"{j}.initial_tier_i", "tier", len(TIERS))} AS initial_tier,
        {j}.segment, {j}.owner_team,
        make_timestamptz({j}.created_us) AS created_at,
        {_decode(f"{j}.cal_i", "calendar", len(calendars))} AS calendar,
        {j}.target_us // 1000000 AS target_seconds,
        {j}.elapsed_us / 1e6 AS elapsed_seconds,
        {j}.paused_us / 1e6 AS paused_seconds,
        make_timestamptz({j}.due_us) AS due_at,
        make_timestamptz({j}.stop_us) AS stopped_at,
        {_decode(f"{j}.state_i", "state", len(STATES))} AS state,
        CASE WHEN {j}.stop_us IS NULL AND {j}.target_us IS NOT NULL
             THEN ({j}.target_us - {j}.elapsed_us) / 1e6 END AS time_left_seconds
    """
    params = {
        **_decode_params("metric", METRICS),
        **_decode_params("tier", TIERS),
        **_decode_params("calendar", calendars),
        **_decode_params("state", STATES),
    }
    return sql, params


def _state_code_sql(j: str) -> str:
    """SQL: the clock's state code (index in STATES) at `$as_of`, per DESIGN.md "SLA semantics"."""
    code = {state: STATES.index(state) for state in STATES}
    return f"""CASE WHEN {j}.target_us IS NULL THEN {code['untimed']}
                    WHEN {j}.stop_us IS NOT NULL THEN
                         CASE WHEN {j}.stop_us <= {j}.due_us THEN {code['met']} ELSE {code['breached']} END
                    WHEN {j}.due_us IS NOT NULL AND $as_of > {j}.due_us THEN {code['breached']}
                    WHEN {j}.is_paused THEN {code['paused']}
                    WHEN {j}.elapsed_us >= $ratio * {j}.target_us THEN {code['at_risk']}
                    ELSE {code['running']} END"""


# The `{p}_t` column holding the instant each metric's clock stops, by metric code.
_STOP_COLUMNS: tuple[str, ...] = ("stop_ack", "stop_plan", "stop_res")


def _stop_us(metric_i: str) -> str:
    """SQL: the instant ticket `t`'s clock for the metric code `metric_i` stops; NULL while it runs."""
    whens = " ".join(f"WHEN {i} THEN t.{column}" for i, column in enumerate(_STOP_COLUMNS))
    return f"CASE {metric_i} {whens} END"


def _clock_rows_sql(
    p: str,
    q: str,
    cal: CalendarTables,
    tier_point: str,
    tickets: str,
    tickets_where: str,
    metrics: Sequence[int] = (0, 1, 2),
) -> str:
    """SELECT of one row per ticket x metric (rows of `tickets`, `{p}_t`'s with their rowid as `rid`,
    matching `tickets_where`; metric codes in `metrics`): tier in force, target (`{q}_targets`),
    calendar and F at the clock's start and end.

    Computed where it is read rather than stored, since writing 3M wide rows
    costs more than computing them. Reads the `$as_of` parameter.
    """
    return f"""
        WITH tm AS (
            SELECT t.rid * 4 + m.metric_i AS key, m.metric_i,
                   t.* EXCLUDE (rid, {", ".join(_STOP_COLUMNS)}),
                   {_stop_us('m.metric_i')} AS stop_us, coalesce(stop_us, $as_of) AS end_us
            FROM (SELECT * FROM {tickets} WHERE {tickets_where}) t
            CROSS JOIN (SELECT unnest({[int(m) for m in metrics]}) AS metric_i) m
        ), changed AS (
            -- only the few tickets with tier changes
            SELECT tm.key,
                   arg_max(i.tier_i, i.at_us) FILTER (WHERE i.at_us <= {tier_point}) AS tier_i,
                   arg_max(i.tier_i, i.at_us) FILTER (WHERE i.at_us <= tm.created_us) AS initial_tier_i
            FROM {p}_imp i JOIN (
                SELECT t.rowid * 4 + m.metric_i AS key, t.rowid AS rid, t.created_us,
                       coalesce({_stop_us('m.metric_i')}, $as_of) AS end_us
                FROM {p}_t t CROSS JOIN (SELECT unnest([0, 1, 2]) AS metric_i) m
                WHERE t.rowid IN (SELECT rid FROM {p}_imp)
            ) tm ON i.rid = tm.rid
            GROUP BY tm.key
        ), tiered AS (
            SELECT tm.* EXCLUDE (base_tier_i),
                   coalesce(c.tier_i, tm.base_tier_i) AS tier_i,
                   coalesce(c.initial_tier_i, tm.base_tier_i) AS initial_tier_i
            FROM tm LEFT JOIN changed c USING (key)
        ), targeted AS (
            SELECT tiered.* EXCLUDE (seg_i), coalesce(g.cal_i, 0) AS cal_i, g.target_us
            FROM tiered
            LEFT JOIN {q}_targets g
                   ON g.seg_i = tiered.seg_i AND g.tier_i = tiered.tier_i AND g.metric_i = tiered.metric_i
        )
        SELECT tm.*, {cal.f("a", "tm.cal_i", "tm.created_us")} AS f_created,
               {cal.f("b", "tm.cal_i", "tm.end_us")} AS f_end
        FROM targeted tm
        {cal.join_day("a", "tm.cal_i", "tm.created_us")}
        {cal.join_day("b", "tm.cal_i", "tm.end_us")}
    """


def _data_span(con: duckdb.DuckDBPyConnection, tickets: str, events: str, as_of_us: int) -> tuple[date, date]:
    """First and last dates any clock can touch, for the calendar table.

    The first is taken back to the start of its month, so subsets of the same tickets (the
    simulator's re-evaluated ones) mostly share one span and calendars.py's remembered tables.
    """
    # Per-column extremes, not a per-row greatest(): DuckDB answers these from its column statistics.
    first, last, first_event = con.execute(
        f"""
        SELECT epoch_us(min(created_at)),
               epoch_us(greatest(max(created_at), max(acknowledged_at), max(action_plan_at), max(resolved_at))),
               (SELECT epoch_us(min("at")) FROM {events})
        FROM {tickets}
        """
    ).fetchone()
    lo = min(v for v in (first, first_event, as_of_us) if v is not None)
    hi = max(v for v in (last, as_of_us) if v is not None)
    return (utc_date(lo) - timedelta(days=2)).replace(day=1), utc_date(hi) + timedelta(days=2)


@contextmanager
def _dropped_after(con: duckdb.DuckDBPyConnection, prefix: str, parts: Sequence[str]) -> Iterator[None]:
    """Scratch tables `{prefix}_{part}` are dropped when the block ends, whether or not it got through."""
    try:
        yield
    finally:
        for part in parts:
            con.execute(f"DROP TABLE IF EXISTS {prefix}_{part}")


def _metric_codes(metrics: Sequence[str]) -> list[int]:
    unknown = set(metrics) - set(METRICS)
    if unknown or not metrics:
        raise ValueError(f"metrics must be some of {', '.join(METRICS)}; got {sorted(metrics)}")
    return sorted(METRICS.index(m) for m in set(metrics))


def _prepare(
    con: duckdb.DuckDBPyConnection,
    p: str,
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

    Creates `{p}_t`, `{p}_imp` and `{p}_kept` (`kind`: "TABLE" for tables other cursors read);
    returns the dates any clock can touch.
    """
    with _dropped_after(con, p, ("pause_map", "rubric")):
        pause_frame = _pause_frame(policy)
        pause_frame = pause_frame[pause_frame["metric_i"].isin(metric_codes)]
        load_frame(con, f"{p}_pause_map", pause_frame, "metric_i INT, status VARCHAR")
        span = _data_span(con, tickets, events, as_of_us)
        # The base tier: the assigned impact, else the rubric's (only tickets without an impact are scored).
        score_tickets(con, policy.rubric, tickets=f"(SELECT * FROM {tickets} WHERE impact IS NULL)", out=f"{p}_rubric")

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
            CREATE OR REPLACE {kind} {p}_t AS
            WITH first_res AS ({first_res}), raw AS (
                SELECT t.ticket_id, epoch_us(t.created_at) AS created_us, t.segment, t.owner_team,
                       {code_sql("coalesce(t.impact, r.rubric_tier)", TIERS)} AS base_tier_i,
                       epoch_us(t.resolved_at) AS resolved_us,
                       {resolution_stop} AS resolution_us,
                       epoch_us(t.acknowledged_at) AS ack_us,
                       epoch_us(t.action_plan_at) AS plan_us{key_column}
                FROM {tickets} t
                LEFT JOIN {p}_rubric r USING (ticket_id)
                LEFT JOIN first_res fr USING (ticket_id)
                WHERE epoch_us(t.created_at) <= $as_of
            )
            SELECT raw.* EXCLUDE (resolved_us, resolution_us, ack_us, plan_us),
                   {_segment_code_sql("segment")} AS seg_i,
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
            CREATE OR REPLACE {kind} {p}_imp AS
            SELECT t.rowid AS rid, epoch_us(e."at") AS at_us, {code_sql("arg_max(e.value, e.seq)", TIERS)} AS tier_i
            FROM {events} e JOIN {p}_t t USING (ticket_id)
            WHERE e.field = 'impact' AND e.value IN ('critical', 'high', 'medium', 'low') AND epoch_us(e."at") <= ?
            GROUP BY t.rowid, epoch_us(e."at")
            """,
            [as_of_us],
        )

        # 3a. Pause intervals per ticket and metric, clipped to [created, end].
        # A status at or after the stop of every clock that pauses ends nothing those clocks count (the status
        # before it is clipped to the stop either way): left out before the window, which costs per row.
        counts = " OR ".join(f"t.{_STOP_COLUMNS[m]} IS NULL OR epoch_us(e.\"at\") < t.{_STOP_COLUMNS[m]}"
                             for m in sorted(set(pause_frame["metric_i"]))) or "FALSE"
        con.execute(
            f"""
            CREATE OR REPLACE {kind} {p}_kept AS
            WITH st AS (
                SELECT t.rowid AS rid, e.value AS status, epoch_us(e."at") AS s_us,
                       lead(epoch_us(e."at")) OVER (PARTITION BY t.rowid ORDER BY e."at", e.seq) AS e_us
                FROM {events} e JOIN {p}_t t ON t.ticket_id = e.ticket_id
                WHERE e.field = 'status' AND epoch_us(e."at") <= $as_of AND ({counts})
            ), clipped AS (
                -- clipped with the ticket row alone: a clock's start and end do not depend on its tier
                SELECT t.rowid * 4 + pm.metric_i AS key,
                       {_stop_us('pm.metric_i')} AS stop_us,
                       coalesce(stop_us, $as_of) AS end_us,
                       greatest(st.s_us, t.created_us) AS s_us,
                       least(coalesce(st.e_us, end_us), end_us) AS e_us,
                       st.e_us IS NULL AND stop_us IS NULL AS is_open
                FROM (SELECT * FROM st WHERE list_contains($statuses::VARCHAR[], status)) st
                JOIN {p}_t t ON t.rowid = st.rid
                JOIN {p}_pause_map pm ON pm.status = st.status
            )
            -- drops e.g. a pause that began when its clock had already stopped
            SELECT key, s_us, e_us, is_open FROM clipped WHERE e_us > s_us OR (is_open AND s_us <= e_us)
            """,
            {"as_of": as_of_us, "statuses": sorted(set(pause_frame["status"]))},
        )
        return span


def _judge(
    con: duckdb.DuckDBPyConnection,
    p: str,
    q: str,
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
    """Steps 3b-6 over `_prepare`'s tables `{p}_*`, with `policy`'s targets and calendars; scratch `{q}_*`.

    `tiers`: a (ticket_key, tier) relation replacing every ticket's base tier; `only`: a (ticket_key)
    relation limiting the tickets judged; `resegment`: `policy` lists other segments than the prepared
    one, so segment codes are taken again (all three need `coded_by`).
    """
    scratch = ["targets", "cal_day", "cal_inv", "pause", "due", *(["t"] if tiers or resegment else [])]
    with _dropped_after(con, q, scratch):  # a failed judging leaves nothing behind on the cursor either
        targets = _targets_frame(policy)
        load_frame(con, f"{q}_targets", targets, "seg_i INT, tier_i INT, metric_i INT, cal_i INT, target_us BIGINT")
        longest = int(targets["target_us"].max()) if targets["target_us"].notna().any() else 0
        cal = build_calendar_tables(con, policy, span[0], span[1], longest, f"{q}_cal")
        tickets_where = f"tkey IN (SELECT ticket_key FROM {only})" if only else "TRUE"
        if tiers or resegment:
            if not coded_by:
                raise ValueError("judging with other tiers or segments writes codes only: give coded_by")
            # The tickets with the given base tiers and this policy's segment codes (and no text: only codes are
            # written), keeping `{p}_t`'s rowids.
            base_tier = code_sql("o.tier", TIERS) if tiers else "t.base_tier_i"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {q}_t AS
                    SELECT t.rowid AS rid, t.* EXCLUDE (base_tier_i, seg_i, ticket_id, segment, owner_team),
                           {base_tier} AS base_tier_i,
                           {_segment_code_sql("t.segment")} AS seg_i
                    FROM {p}_t t {f"LEFT JOIN ({tiers}) o ON o.ticket_key = t.tkey" if tiers else ""}""",
                {"segments": list(policy.segments)},
            )
            tickets = f"{q}_t"
        else:
            tickets = f"(SELECT rowid AS rid, * FROM {p}_t)"
        # The tier in force and the target per ticket x metric: SQL used inside steps 3b and 6 (see _clock_rows_sql).
        tier_point = "tm.end_us" if policy.on_tier_change == "recompute" else "tm.created_us"
        clocks = partial(_clock_rows_sql, p, q, cal, tier_point, tickets)
        paused_metrics = sorted(set(_pause_frame(policy)["metric_i"]) & set(metric_codes))

        # 3b. F at both ends of every pause of the clocks judged.
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {q}_pause AS
            WITH kept AS (
                SELECT k.* FROM {p}_kept k
                WHERE list_contains($metrics, (k.key % 4)::INT)
                  {f"AND k.key // 4 IN (SELECT rid FROM {tickets} WHERE {tickets_where})" if only else ""}
            ), clocks AS (
                -- target, calendar and F(created) of the paused metrics, for the tickets that kept a pause only
                {clocks("rid IN (SELECT key // 4 FROM kept)", paused_metrics or [0])}
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

        # 5. Per paused clock: paused open time, and the due point from the gaps between pauses
        # (the target is reached in the last gap that starts short of it).
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {q}_due AS
            WITH ordered AS (
                SELECT p.*,
                       row_number() OVER w AS k,
                       count(*) OVER (PARTITION BY p.key) AS n,
                       coalesce(sum(p.f_e - p.f_s) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
                           AS paused_before,
                       lag(p.f_e) OVER w AS prev_f_e
                FROM {q}_pause p
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
                FROM {q}_pause GROUP BY key
            )
            SELECT paused.*, due.due_f FROM paused LEFT JOIN due USING (key)
            """
        )

        # 4b + 6. Elapsed, the due instant through F's inverse, and the state.
        if coded_by:
            shown = "j.tkey AS ticket_key, " + ", ".join(f"j.{c}" for c in CODED_COLUMNS[1:])
            shown_params: dict[str, str] = {}
        else:
            shown, shown_params = result_select("j", calendar_names(policy))
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
                LEFT JOIN {q}_due pz USING (key)
            ), inv AS (
                SELECT j.*, {cal.f_inverse("v", "j.cal_i", "j.due_f")} AS due_us
                FROM j {cal.join_inv("v", "j.cal_i", "j.due_f")}
            ), judged AS (
                SELECT inv.*, {_state_code_sql("inv")} AS state_i FROM inv
            )
            SELECT {shown}
            FROM judged j
            """,
            {"as_of": as_of_us, "ratio": policy.at_risk_ratio, **shown_params},
        )
        return out


def evaluate(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    as_of: datetime,
    *,
    tickets: str = "tickets",
    events: str = "events",
    out: str = "sla_results",
    metrics: Sequence[str] = METRICS,
    coded_by: Optional[str] = None,
) -> str:
    """Evaluate every clock of every ticket created by `as_of`; (re)creates table `out`.

    A ticket's tier is its assigned impact, else the rubric's (DESIGN.md).
    Events after `as_of` and stops after it are not known yet: those clocks
    are still running.
    `metrics` limits the clocks computed (the simulator re-judges only the
    metrics whose targets a candidate changed); a clock does not depend on
    another metric's. `coded_by` names a unique integer column of `tickets`:
    then `out` holds CODED_COLUMNS keyed by it instead of RESULT_COLUMNS.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a timezone")
    metric_codes = _metric_codes(metrics)
    as_of_us = epoch_us(as_of)
    p = f"_{out}"  # prefix of this evaluation's scratch tables
    with _dropped_after(con, p, PREPARED_PARTS):
        span = _prepare(con, p, policy, as_of_us, tickets, events, metric_codes, coded_by)
        return _judge(con, p, p, policy, as_of_us, span, out, metric_codes, coded_by)


class PreparedClocks:
    """The part of an evaluation that no tier, target or calendar changes, kept to judge again and again.

    The simulator judges the same tickets under many candidate policies: the
    status window, the clipped pauses and the tickets' stops are computed once
    here; each `judge` adds the candidate's tiers, targets and calendars.
    Tickets carry the integer key `coded_by`; results are CODED_COLUMNS.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        policy: Policy,
        as_of: datetime,
        *,
        tickets: str,
        events: str,
        coded_by: str,
        prefix: str,
    ) -> None:
        if as_of.tzinfo is None:
            raise ValueError("as_of must carry a timezone")
        self.policy, self.prefix, self.coded_by = policy, prefix, coded_by
        self.as_of_us = epoch_us(as_of)
        self.span = _prepare(con, prefix, policy, self.as_of_us, tickets, events, [0, 1, 2], coded_by,
                             kind="TABLE")  # read by the cursors that judge

    def fits(self, policy: Policy) -> bool:
        """Whether `policy` runs its clocks as the prepared one does (same pauses, same reopen rule)."""
        return (policy.on_reopen == self.policy.on_reopen
                and _pause_frame(policy).equals(_pause_frame(self.policy)))

    def judge(
        self,
        con: duckdb.DuckDBPyConnection,
        policy: Policy,
        out: str,
        *,
        metrics: Sequence[str] = METRICS,
        tiers: Optional[str] = None,
        only: Optional[str] = None,
    ) -> str:
        """(Re)create `out` with the prepared tickets' clocks under `policy` (CODED_COLUMNS), on `con`
        (a cursor of the preparing connection: one per thread).

        `tiers`: SQL of a (ticket_key, tier) relation giving every ticket's base tier (NULL = none);
        `only`: a table of ticket_key limiting the tickets judged.
        """
        if not self.fits(policy):
            raise ValueError("the policy pauses or reopens clocks differently from the prepared one: evaluate it")
        scratch = f"{self.prefix}_j{uuid.uuid4().hex[:8]}"  # sessions may judge at once over one connection
        return _judge(con, self.prefix, scratch, policy, self.as_of_us, self.span, out, _metric_codes(metrics),
                      self.coded_by, tiers=tiers, only=only,
                      resegment=list(policy.segments) != list(self.policy.segments))


def prepared_tables(prefix: str) -> list[str]:
    """Names of the tables `_prepare` leaves under `prefix` (an owner can claim them before they exist)."""
    return [f"{prefix}_{part}" for part in PREPARED_PARTS]
