"""An events file (status, impact and owner changes) into the typed `events` table, staged like every file."""

from __future__ import annotations

from typing import Optional

import duckdb

from sla_core.ingest.loading.reading import Source, read_counts, rescan, row_sql
from sla_core.ingest.loading.report import LoadError
from sla_core.ingest.loading.sql import ROW, ParamSql
from sla_core.ingest.loading.staging import (
    TEMPORAL,
    VERDICT,
    kept_typed,
    StageColumn,
    Verdict,
    judged,
    sample_texts,
    n,
    said,
    stage,
    write_rejects,
)
from sla_core.ingest.loading.values import (
    OUT_OF_RANGE,
    UNPARSEABLE,
    TimestampParser,
    detect_slash_order,
    header_preview,
    out_of_range_sql,
    raw_text,
    sample_layouts,
    slash_order_of,
)
from sla_core.policy import Policy
from sla_core.sqlutil import quote_ident
from sla_core.vocab import EVENT_FIELDS, STATUSES, TIERS

COLUMNS = ("ticket_id", "at", "field", "value")


def _text(column: str) -> str:
    return f"NULLIF(trim({raw_text(column)}), '')"


def _columns(source: Source, parser: TimestampParser, layouts: list[tuple[str, str]]) -> list[StageColumn]:
    """ticket_id and at as text (at typed); field without case; value without case for a status or a tier,
    `reopened` read as `open`."""
    field = f"lower(trim({raw_text('field')}))"
    value = (f"CASE WHEN {field} IN ('status', 'impact') THEN lower({_text('value')}) ELSE {_text('value')} END")
    at_type = source.types.get("at", "VARCHAR")
    kept = kept_typed("TIMESTAMPTZ", at_type, parser.zone, n("at"))
    if kept is not None:
        at = StageColumn("at", ParamSql().add(quote_ident("at")), passthrough=kept)
    else:
        at = StageColumn("at", ParamSql().add(_text("at")), parser.expr(n("at"), layouts))
    return [
        StageColumn("ticket_id", ParamSql().add(_text("ticket_id")), lean=True),
        at,
        StageColumn("field", ParamSql().add(f"lower({_text('field')})"), lean=True),
        StageColumn("value", ParamSql().add(value), ParamSql().add(
            f"CASE WHEN {n('field')} = 'status' AND {n('value')} = 'reopened' THEN 'open' ELSE {n('value')} END")),
    ]


def _checks() -> Verdict:
    """Why an event is rejected, in the order the checks are tried (the value shown is the text as read); the
    last reads the tickets accepted (joined as k)."""
    return Verdict([
        ("ticket_id", "ticket_id IS NULL", "NULL", said("missing required value")),
        ("at", f"{n('at')} IS NULL", "NULL", said("missing required value")),
        ("at", '"at" IS NULL', n("at"), said(UNPARSEABLE)),
        ("at", out_of_range_sql('"at"'), n("at"), said(OUT_OF_RANGE)),
        ("field", "field IS NULL", "NULL", said("missing required value")),
        ("field", f"field NOT IN ({', '.join(said(f) for f in EVENT_FIELDS)})", "field", said("unknown event field")),
        ("value", "value IS NULL", n("value"), said("missing required value")),
        ("value", f"field = 'status' AND value NOT IN ({', '.join(said(s) for s in STATUSES)})", n("value"),
         said("unknown status value")),
        ("value", f"field = 'impact' AND value NOT IN ({', '.join(said(t) for t in TIERS)})", n("value"),
         said("unknown impact value")),
        ("ticket_id", "k.__known IS NULL", "ticket_id", said("no accepted ticket with this id")),
    ], frozenset({9}))


def load_event_rows(con: duckdb.DuckDBPyConnection, source: Source, policy: Policy) -> None:
    """Typed `events` from a plain events file (ticket_id, at, field, value); rejects go to _rejects."""
    missing = [c for c in COLUMNS if c not in source.columns]
    if missing:
        read_counts(con, source)
        raise LoadError(
            f"{source.label}: required column {missing[0]!r} is missing; its header has {header_preview(source.columns)}"
        )
    parser = TimestampParser(policy.timezone, [])
    typed_at = source.types.get("at", "VARCHAR") in TEMPORAL
    layouts: list[tuple[str, str]] = []
    if not typed_at:
        texts = source.sample("at") if source.head is not None else sample_texts(
            con, source, [_columns(source, parser, [])[1]]).get("at", [])
        texts = texts or []
        layouts = sample_layouts(con, {"at": texts})["at"]
        parser.slash_order = slash_order_of(con, [(0, v) for v in texts])
    table = f"{source.table}_staged"
    verdict = _checks()
    try:
        while True:
            staged = stage(con, source, table, _columns(source, parser, layouts),
                           late=[[ParamSql().add("*"), verdict.staged()]])
            order = None if typed_at else _order(con, source, table)
            if order == parser.slash_order:
                break
            parser.slash_order = order
        # the accepted tickets' ids are unique (a repeated id is rejected): the join adds no row
        relation = judged(staged, verdict.final(),
                          " LEFT JOIN (SELECT ticket_id AS __known FROM tickets) k ON k.__known = s.ticket_id")
        con.execute(
            f"""CREATE OR REPLACE TABLE events AS
            SELECT ticket_id, "at", field, value, CAST({ROW} AS BIGINT) AS seq
            FROM {relation} WHERE {VERDICT} IS NULL ORDER BY ticket_id, "at", seq"""
        )
        write_rejects(con, staged, relation, "events", "ticket_id")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _order(con: duckdb.DuckDBPyConnection, source: Source, table: str) -> Optional[str]:
    """The day/month order of the file's `at` texts (a message names them as the file has them, untrimmed)."""
    if not con.execute(f"SELECT bool_or(contains({n('at')}, '/')) FROM {table}").fetchone()[0]:  # type: ignore[index]
        return None
    row, join = row_sql(source, "s")
    try:
        return detect_slash_order(con, f"SELECT {row} AS r, s.{n('at')} AS v FROM {table} s{join}", source.label)
    except LoadError:
        raw = ParamSql().add(f"CREATE OR REPLACE TEMP TABLE {table}_raw AS SELECT {'__sla_row, ' if source.positional else ''}"
                             f"{raw_text('at')} AS v FROM ").join([rescan(con, source)])
        con.execute(raw.sql, raw.params)
        try:
            return detect_slash_order(con, f"SELECT {row} AS r, s.v FROM {table}_raw s{join}", source.label)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {table}_raw")
