"""An events file (status, impact and owner changes) into the typed `events` table."""

from __future__ import annotations

import duckdb

from tests.importing.legacy_loader.reading import Raw
from tests.importing.legacy_loader.report import LoadError
from tests.importing.legacy_loader.sql import ROW, ParamSql
from tests.importing.legacy_loader.values import (
    OUT_OF_RANGE,
    TimestampParser,
    detect_slash_order,
    header_preview,
    out_of_range_sql,
)
from sla_core.policy import Policy
from sla_core.sqlutil import placeholders
from sla_core.vocab import EVENT_FIELDS, STATUSES, TIERS


def load_event_rows(con: duckdb.DuckDBPyConnection, raw: Raw, policy: Policy, label: str) -> None:
    """Typed `events` from a plain events file (ticket_id, at, field, value)."""
    missing = [c for c in ("ticket_id", "at", "field", "value") if c not in raw.columns]
    if missing:
        raise LoadError(
            f"{label}: required column {missing[0]!r} is missing; its header has {header_preview(raw)}"
        )
    order = detect_slash_order(con, raw.table, ["at"], label)
    parser = TimestampParser(policy.timezone, [], order)
    t = "NULLIF(trim(CAST(\"at\" AS VARCHAR)), '')"
    at_expr = parser.expr("at_t")
    fields = EVENT_FIELDS
    sel = ParamSql().add(
        f"""CREATE OR REPLACE TEMP TABLE _load_e_typed AS
        SELECT {ROW}, ticket_id, at_t, field, value_t,
               CASE WHEN field = 'status' AND value_t = 'reopened' THEN 'open' ELSE value_t END AS value,
               """
    ).join([at_expr]).add(
        f""" AS at
        FROM (SELECT {ROW}, NULLIF(trim("ticket_id"), '') AS ticket_id, {t} AS at_t,
                     lower(NULLIF(trim("field"), '')) AS field,
                     CASE WHEN lower(trim("field")) IN ('status', 'impact')
                          THEN lower(NULLIF(trim("value"), '')) ELSE NULLIF(trim("value"), '') END AS value_t
              FROM {raw.table})"""
    )
    con.execute(sel.sql, sel.params)
    status_in = placeholders(len(STATUSES))
    params = [*fields, *STATUSES, *TIERS]  # an owner team is the tool's own name: any text
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_e_checked AS
        SELECT e.*, CASE
            WHEN ticket_id IS NULL THEN 'ticket_id'
            WHEN at_t IS NULL OR "at" IS NULL OR {out_of_range_sql('"at"')} THEN 'at'
            WHEN field IS NULL OR field NOT IN ({placeholders(len(fields))}) THEN 'field'
            WHEN value IS NULL THEN 'value'
            WHEN field = 'status' AND value NOT IN ({status_in}) THEN 'value'
            WHEN field = 'impact' AND value NOT IN ({placeholders(len(TIERS))}) THEN 'value'
            WHEN k.known IS NULL THEN 'ticket_id'
          END AS __col
        FROM _load_e_typed e LEFT JOIN (SELECT DISTINCT ticket_id AS known FROM tickets) k ON k.known = e.ticket_id""",
        params,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_e_checked2 AS
        SELECT *, CASE
            WHEN __col IS NULL THEN NULL
            WHEN __col = 'ticket_id' AND ticket_id IS NULL THEN 'missing required value'
            WHEN __col = 'at' AND at_t IS NULL THEN 'missing required value'
            WHEN __col = 'at' AND "at" IS NOT NULL THEN '{OUT_OF_RANGE}'
            WHEN __col = 'at' THEN 'unparseable timestamp'
            WHEN __col = 'field' AND field IS NULL THEN 'missing required value'
            WHEN __col = 'field' THEN 'unknown event field'
            WHEN __col = 'value' AND value IS NULL THEN 'missing required value'
            WHEN __col = 'value' THEN 'unknown ' || field || ' value'
            ELSE 'no accepted ticket with this id' END AS __why,
          CASE __col WHEN 'at' THEN at_t WHEN 'field' THEN field WHEN 'value' THEN value_t
                     ELSE ticket_id END AS __val
        FROM _load_e_checked"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE events AS
        SELECT ticket_id, "at", field, value, CAST({ROW} AS BIGINT) AS seq
        FROM _load_e_checked2 WHERE __why IS NULL ORDER BY ticket_id, "at", seq"""
    )
    con.execute(
        f"""INSERT INTO _rejects SELECT {ROW}, __col, __val, __why, 'events', ticket_id
        FROM _load_e_checked2 WHERE __why IS NOT NULL"""
    )
    con.execute(f"INSERT INTO _rejects SELECT row_number, NULL, value, reason, 'events', NULL FROM {raw.table}_bad")
    for tname in ("_load_e_typed", "_load_e_checked", "_load_e_checked2"):
        con.execute(f"DROP TABLE IF EXISTS {tname}")
