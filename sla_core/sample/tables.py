"""The sample's Arrow tables into typed `tickets` / `events` tables of a DuckDB connection."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from sla_core.columns import events_ddl, tickets_ddl
from sla_core.sample.draws import DEFAULT_END, DEFAULT_START, DEFAULT_TIMEZONE, When, generate
from sla_core.sqlutil import quote_ident


def write_into(
    con: duckdb.DuckDBPyConnection,
    n: int,
    seed: int = 7,
    start: When = DEFAULT_START,
    end: When = DEFAULT_END,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    tickets: str = "tickets",
    events: str = "events",
) -> tuple[int, int]:
    """Generate and load typed `tickets`/`events` tables (replacing them); returns their row counts."""
    return load_tables(con, *generate(n, seed, start, end, timezone), tickets=tickets, events=events)


def load_tables(
    con: duckdb.DuckDBPyConnection,
    ticket_table: pa.Table,
    event_table: pa.Table,
    *,
    tickets: str = "tickets",
    events: str = "events",
) -> tuple[int, int]:
    """Generated tables into typed `tickets`/`events` tables (replacing them); returns their row counts."""
    event_table = event_table.append_column("seq", pa.array(np.arange(1, event_table.num_rows + 1)))
    for name, table, ddl in ((tickets, ticket_table, tickets_ddl), (events, event_table, events_ddl)):
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        con.execute(ddl(quote_ident(name)))
        view = f"_sample_{name}"
        con.register(view, table)
        try:
            con.execute(f"INSERT INTO {quote_ident(name)} SELECT * FROM {quote_ident(view)}")
        finally:
            con.unregister(view)
    return ticket_table.num_rows, event_table.num_rows
