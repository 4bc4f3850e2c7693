"""An event log (one row per activity: Jira, ServiceNow audit, a mapped CSV) into tickets and events: the ticket
row is built from its activities, the events from its changes."""

from __future__ import annotations

from typing import Optional

import duckdb

from sla_core.columns import STOP_COLUMN, TICKET_COLUMNS
from sla_core.ingest.loading.reading import Source
from sla_core.ingest.loading.sql import ROW, TEXT, ParamSql
from sla_core.ingest.loading.staging import (
    VERDICT,
    Check,
    Duration,
    Staged,
    judged,
    n,
    p,
    said,
    stage_mapped,
    verdict_sql,
    write_cleared,
)
from sla_core.ingest.loading.tickets import durations_of, impact_unknown, planned, ticket_rules
from sla_core.ingest.loading.values import JUDGED, Plan, has_problem
from sla_core.ingest.mapping import Mapping
from sla_core.policy import Policy
from sla_core.sqlutil import dropped_after, fetch_one, quote_ident
from sla_core.vocab import METRICS, STATUSES

# What each event-log activity kind sets the status to (docs/data.md, "Mapping files").
KIND_STATUS: dict[str, Optional[str]] = {
    "created": "new",
    "acknowledged": "open",
    "action_plan": "open",
    "reopened": "open",
    "resolved": "resolved",
    "closed": "closed",
    **{s: s for s in STATUSES},
}
TERMINAL = ("resolved", "closed")
KEYS = ("at", "activity", "order")
KEY_TYPES = {"at": "TIMESTAMPTZ", "activity": "VARCHAR", "order": "VARCHAR"}


def load_event_log(
    con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping, policy: Policy, notes: list[str]
) -> list[str]:
    """Derive `tickets` and `events` from an activity log, in SQL over the whole log; returns the extra columns.

    The log is staged with each row's activity kind, tie-breaking order and verdict (its first failed check);
    then, each a few whole-table statements over scratch tables `_load_l_*`: the accepted rows numbered per
    ticket, aggregated per ticket, resolutions and reopens found, the tickets built and checked, then the events.
    """
    label = source.label
    plan = planned(con, source, mapping, ("ticket_id", "at", "activity"), KEYS)
    notes.extend(f"{label}: {m}" for m in plan.missing_optional)
    durations = durations_of(plan, mapping)
    present = [c for c in plan.found if c in TICKET_COLUMNS and c != "ticket_id"]
    typed_cols = [c for c in TICKET_COLUMNS if c in present or c in {d.target for d in durations}]
    has_order = "order" in plan.found
    late = [ParamSql().add("*"), ParamSql().add('try_cast("order" AS DOUBLE) AS __ord' if has_order
                                                 else "CAST(NULL AS DOUBLE) AS __ord"),
            ParamSql().join([_activity_kind(mapping)]).add(" AS __kind"),
            ParamSql().add(f"{verdict_sql(_row_checks(typed_cols, has_order))} AS {VERDICT}")]
    table = f"{source.table}_staged"
    staged = stage_mapped(con, source, table, plan, mapping, "tickets", {**KEY_TYPES, **TICKET_COLUMNS},
                          plan.zone or policy.timezone, durations=durations, late=[late])
    rows = judged(staged, None)
    with dropped_after(con, "_load_l", ("ok", "agg", "flow", "tickets", "checked", "ev")):
        try:
            # a bad value in a column no clock depends on is left empty; the row stays (docs/data.md)
            cleared = [c for c in typed_cols if c not in JUDGED and has_problem("tickets", c, TICKET_COLUMNS[c])]
            write_cleared(con, rows, "tickets", cleared)
            _accepted_rows(con, rows, cleared)
            _aggregate_tickets(con, plan, present, durations)
            _find_resolutions(con)
            _build_tickets(con, plan, present, durations, mapping, rows)
            _build_events(con, staged, rows, present)
            unmapped = fetch_one(con.execute(
                "SELECT count(*), count(DISTINCT activity) FROM _load_l_ok WHERE __kind IS NULL"
            ))
            if unmapped[0]:
                notes.append(f"{label}: {unmapped[0]} rows with {unmapped[1]} unmapped activities kept as history")
        finally:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return list(plan.extras)


def _activity_kind(mapping: Mapping) -> ParamSql:
    """SQL: an activity's kind, via the mapping's activities (case-insensitive); NULL = unmapped, kept as history."""
    kind = ParamSql().add("CASE")
    for key, value in mapping.activities.items():
        kind.add(" WHEN lower(activity) = ? THEN ?", key.strip().lower(), value)
    return kind.add(" END")


def _row_checks(typed_cols: list[str], has_order: bool) -> list[Check]:
    """Why a row of the log is rejected, in the order the checks are tried."""
    checks: list[Check] = [
        ("ticket_id", "ticket_id IS NULL", "NULL", said("missing required value")),
        ("at", f"{n('at')} IS NULL", "NULL", said("missing required value")),
        ("at", f"{p('at')} IS NOT NULL", n("at"), p("at")),
        ("activity", "activity IS NULL", "NULL", said("missing required value")),
    ]
    if has_order:
        checks.append(("order", '"order" IS NOT NULL AND try_cast("order" AS DOUBLE) IS NULL', '"order"',
                       said("not a number")))
    checks += [(c, f"{p(c)} IS NOT NULL", n(c), p(c)) for c in typed_cols if c in JUDGED]
    return checks


def _accepted_rows(con: duckdb.DuckDBPyConnection, rows: str, cleared: list[str]) -> None:
    """`_load_l_ok`: the accepted rows, their bad optional values left empty, numbered per ticket in log order,
    with the status each sets."""
    emptied = ", ".join(f"CASE WHEN {p(c)} IS NULL THEN {quote_ident(c)} END AS {quote_ident(c)}" for c in cleared)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_ok AS
        SELECT *{f' REPLACE ({emptied})' if emptied else ''},
               row_number() OVER (PARTITION BY ticket_id ORDER BY __ord NULLS LAST, "at", {ROW}) AS __pos,
               CASE __kind {' '.join(f"WHEN '{k}' THEN '{v}'" for k, v in KIND_STATUS.items())} END AS __status
        FROM {rows} WHERE {VERDICT} IS NULL"""
    )


def _aggregate_tickets(con: duckdb.DuckDBPyConnection, plan: Plan, present: list[str],
                       durations: list[Duration]) -> None:
    """`_load_l_agg`: per ticket, the times the event-log rules derive (docs/design.md) next to the mapped
    columns."""
    last = lambda c: f"arg_max({quote_ident(c)}, __pos)"  # noqa: E731 - the last row's value
    last_nn = lambda c: f"arg_max({quote_ident(c)}, __pos) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"  # noqa: E731
    first_nn = lambda c: f"arg_min({quote_ident(c)}, __pos) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"  # noqa: E731
    aggs = [
        f"min({ROW}) AS __first_row",
        'min("at") AS __first_at',
        """min("at") FILTER (WHERE __kind = 'created') AS __created""",
        """min("at") FILTER (WHERE __kind = 'acknowledged') AS __ack""",
        """min("at") FILTER (WHERE __kind = 'action_plan') AS __plan""",
        "arg_max(__status, __pos) FILTER (WHERE __status IS NOT NULL) AS __final_status",
        f"max(__pos) FILTER (WHERE __status IS NOT NULL AND __status NOT IN {TERMINAL}) AS __last_open_pos",
    ]
    for c in present:
        if c == "impact":
            aggs.append(f"{first_nn(c)} AS {quote_ident(c)}")
        elif c == "owner_team":
            aggs.append(f"{last_nn(c)} AS {quote_ident(c)}")
        else:
            aggs.append(f"{last(c)} AS {quote_ident(c)}")
        aggs.append(f"{last(c + TEXT)} AS {n(c)}")
    for target in [d.target for d in durations if d.target not in present]:
        aggs.append(f"{last(target)} AS {quote_ident(target)}")
    for e in plan.extras:
        aggs.append(f"{last(e)} AS {quote_ident(e)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _load_l_agg AS SELECT ticket_id, {', '.join(aggs)} "
        "FROM _load_l_ok GROUP BY ticket_id"
    )


def _find_resolutions(con: duckdb.DuckDBPyConnection) -> None:
    """`_load_l_flow`: the start of each ticket's final resolved/closed run, and its reopens."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_flow AS
        WITH s AS (
            SELECT ticket_id, "at", __pos, __status,
                   lag(__status) OVER (PARTITION BY ticket_id ORDER BY __pos) AS prev
            FROM _load_l_ok WHERE __status IS NOT NULL)
        SELECT s.ticket_id,
               min(s."at") FILTER (WHERE s.__status IN {TERMINAL} AND s.__pos > coalesce(a.__last_open_pos, 0))
                   AS __resolved,
               count(*) FILTER (WHERE s.prev IN {TERMINAL} AND s.__status NOT IN {TERMINAL}) AS __reopens
        FROM s JOIN _load_l_agg a USING (ticket_id) GROUP BY s.ticket_id"""
    )


def _build_tickets(con: duckdb.DuckDBPyConnection, plan: Plan, present: list[str], durations: list[Duration],
                   mapping: Mapping, rows: str) -> None:
    """`tickets` from the aggregates, checked by the ticket rules; a ticket whose every row was rejected is
    rejected too."""
    filled = {d.target for d in durations}

    def derived(col: str, fallback: str) -> str:
        if col in present or col in filled:
            return f"coalesce(a.{quote_ident(col)}, {fallback})"
        return fallback

    resolved_derived = f"CASE WHEN a.__final_status IN {TERMINAL} THEN f.__resolved END"
    computed = {
        "created_at": derived("created_at", "coalesce(a.__created, a.__first_at)"),
        "acknowledged_at": derived("acknowledged_at", "a.__ack"),
        "action_plan_at": derived("action_plan_at", "a.__plan"),
        "resolved_at": derived("resolved_at", resolved_derived),
        "reopen_count": derived("reopen_count", "CAST(coalesce(f.__reopens, 0) AS INTEGER)"),
    }
    cols_sql = []
    for c, typ in TICKET_COLUMNS.items():
        if c == "ticket_id":
            cols_sql.append("a.ticket_id")
        elif c == "unmeasured":
            cols_sql.append(f"CAST({_unmeasured_literal(present, filled, mapping)} AS VARCHAR) AS unmeasured")
        elif c in computed:
            cols_sql.append(f"CAST({computed[c]} AS {typ}) AS {quote_ident(c)}")
        elif c in present:
            cols_sql.append(f"a.{quote_ident(c)}")
        else:
            cols_sql.append(f"CAST(NULL AS {typ}) AS {quote_ident(c)}")
    raw_text = [f"a.{n(c)}" for c in present]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_tickets AS
        SELECT {', '.join(cols_sql)}, a.__first_row{''.join(', ' + r for r in raw_text)}
               {''.join(', a.' + quote_ident(e) for e in plan.extras)}
        FROM _load_l_agg a LEFT JOIN _load_l_flow f USING (ticket_id)"""
    )
    # Ticket-level rules; a ticket whose every row was rejected is rejected too.
    checks = impact_unknown(set(present))
    for col, cond, why in ticket_rules(set(TICKET_COLUMNS)):
        val = n(col) if col in present else f"CAST({quote_ident(col)} AS VARCHAR)"
        checks.append((col, cond, val, said(why)))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _load_l_checked AS SELECT t.*, {verdict_sql(checks)} AS {VERDICT} "
                "FROM _load_l_tickets t")
    out_cols = [quote_ident(c) for c in TICKET_COLUMNS] + [quote_ident(e) for e in plan.extras]
    con.execute(
        f"CREATE OR REPLACE TABLE tickets AS SELECT {', '.join(out_cols)} FROM _load_l_checked "
        f"WHERE {VERDICT} IS NULL ORDER BY __first_row"
    )
    con.execute(
        f"""INSERT INTO _rejects SELECT __first_row, {VERDICT}.col, {VERDICT}.val, {VERDICT}.why, 'tickets', ticket_id
        FROM _load_l_checked WHERE {VERDICT} IS NOT NULL"""
    )
    con.execute(
        f"""INSERT INTO _rejects
        SELECT min({ROW}), 'ticket_id', ticket_id, 'no valid event rows', 'tickets', ticket_id
        FROM {rows} WHERE ticket_id IS NOT NULL
        GROUP BY ticket_id HAVING count(*) FILTER (WHERE {VERDICT} IS NULL) = 0"""
    )


def _build_events(con: duckdb.DuckDBPyConnection, staged: Staged, rows: str, present: list[str]) -> None:
    """`events`: one status (or history) event per accepted row; impact / owner_team where they change."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _load_l_ev AS
        SELECT ticket_id, "at", CASE WHEN __status IS NULL THEN 'activity' ELSE 'status' END AS field,
               coalesce(__status, activity) AS value, __pos, 2 AS __k
        FROM _load_l_ok"""
    )
    for c, k in (("impact", 0), ("owner_team", 1)):
        if c not in present:
            continue
        q = quote_ident(c)
        with_first = "true" if c == "owner_team" else "false"
        con.execute(
            f"""INSERT INTO _load_l_ev
            WITH v AS (
                SELECT ticket_id, "at", __pos, {q} AS v,
                       lag({q}) OVER (PARTITION BY ticket_id ORDER BY __pos) AS prev
                FROM _load_l_ok WHERE {q} IS NOT NULL),
            ch AS (SELECT *, count(*) FILTER (WHERE prev IS NOT NULL AND prev <> v)
                                OVER (PARTITION BY ticket_id) AS changes FROM v)
            SELECT ticket_id, "at", '{c}', v, __pos, {k} FROM ch
            WHERE (prev IS NOT NULL AND prev <> v) OR ({with_first} AND prev IS NULL AND changes > 0)"""
        )
    con.execute(
        """CREATE OR REPLACE TABLE events AS
        SELECT e.ticket_id, e."at", e.field, e.value,
               row_number() OVER (ORDER BY e.ticket_id, e.__pos, e.__k) AS seq
        FROM _load_l_ev e SEMI JOIN tickets t ON t.ticket_id = e.ticket_id
        ORDER BY e.ticket_id, seq"""
    )
    con.execute(
        f"""INSERT INTO _rejects
        SELECT {ROW}, {VERDICT}.col, {VERDICT}.val, {VERDICT}.why, 'events', ticket_id FROM {rows}
        WHERE {VERDICT} IS NOT NULL
        UNION ALL
        SELECT r.{ROW}, 'ticket_id', r.ticket_id, 'ticket rejected', 'events', r.ticket_id
        FROM _load_l_ok r ANTI JOIN tickets t ON t.ticket_id = r.ticket_id
        UNION ALL
        SELECT row_number, NULL, value, reason, 'events', NULL FROM {staged.source.bad}"""
    )


def _unmeasured_literal(present: list[str], filled: set[str], mapping: Mapping) -> str:
    """SQL literal of the metrics an event log cannot time: neither a column nor an activity gives their stop."""
    kinds = set(mapping.activities.values())
    stops = {"acknowledge": {"acknowledged"}, "action_plan": {"action_plan"}, "resolution": {"resolved", "closed"}}
    missing = [m for m in METRICS
               if STOP_COLUMN[m] not in present and STOP_COLUMN[m] not in filled and not kinds & stops[m]]
    return f"'{','.join(missing)}'" if missing else "NULL"
