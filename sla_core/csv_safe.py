"""CSV files a spreadsheet opens safely: no cell may start a formula.

A rejects file or a dashboard download carries text from someone else's
export; a cell starting with `=`, `+`, `-` or `@` (or a tab / carriage return
that precedes one) would run as a formula in Excel or Sheets. Such text cells
get a leading apostrophe, in SQL, so the whole file is written by DuckDB's
COPY. Numbers, dates and booleans are written as they are: `-3600` in a
numeric column is a value, and escaping it would turn it into text.

Every CSV the project writes (the CLI's results and simulations, dashboard
downloads, rejects) goes through `write_csv_safe`, so the rule is by column
type, in one place, and a text column nobody listed cannot slip through.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence, Union

import duckdb
import pandas as pd

from sla_core.sqlutil import fetch_one, quote_ident

FORMULA_START = r"^[=+\-@\t\r]"
# Typed cells a spreadsheet reads as values: a negative time left stays a number, not text.
_VALUE_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
    "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN", "DATE", "TIME", "TIMESTAMP", "INTERVAL",
)


def escape_formula_sql(expr: str) -> str:
    """SQL expression: `expr` as text, prefixed with `'` when it starts a formula."""
    text = f"CAST({expr} AS VARCHAR)"
    return f"(CASE WHEN regexp_matches({text}, '{FORMULA_START}') THEN '''' || {text} ELSE {text} END)"


def iso_sql(expr: str) -> str:
    """SQL: TIMESTAMPTZ `expr` as ISO 8601 text in the zone bound to the named parameter `$zone`
    (`2026-03-02T09:30:00+00:00`, fractional seconds only when present)."""
    local = f"timezone($zone, {expr})"
    offset = f"CAST(round(epoch({local}) - epoch({expr})) AS BIGINT)"
    return (
        f"strftime({local}, '%Y-%m-%dT%H:%M:%S')"
        f" || CASE WHEN microsecond({expr}) % 1000000 <> 0"
        f" THEN '.' || lpad(CAST(microsecond({expr}) % 1000000 AS VARCHAR), 6, '0') ELSE '' END"
        f" || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || lpad(CAST(abs({offset}) // 3600 AS VARCHAR), 2, '0') || ':'"
        f" || lpad(CAST(abs({offset}) % 3600 // 60 AS VARCHAR), 2, '0')"
    )


def csv_cell_sql(expr: str, duckdb_type: str) -> str:
    """SQL for the CSV cell of `expr`, a column of that DuckDB type: the one rule for every CSV
    this project writes (timestamps ISO 8601 in `$zone`, values as they are, text escaped)."""
    if _is_zoned(duckdb_type):
        return iso_sql(expr)
    if duckdb_type.upper().startswith(_VALUE_TYPES):
        return expr
    return escape_formula_sql(expr)


def write_csv_safe(
    con: Any, query_or_table: str, path: Union[str, Path], *, zone: str = "UTC", order_by: Sequence[str] = ()
) -> int:
    """Write a table name or a SELECT to CSV with every cell formula-escaped; returns rows written.

    `query_or_table` is SQL written by the caller, never user text. `order_by` names columns
    (each optionally followed by " DESC"), sorted by their values, not by the cells' text.
    Timestamps are written in ISO 8601 with their offset in `zone`.
    """
    source = query_or_table.strip()
    relation = f"({source})" if source.lower().startswith(("select", "with", "from", "(")) else source
    cur = con.cursor()
    described = [(name, str(kind)) for name, kind, *_ in cur.execute(f"DESCRIBE SELECT * FROM {relation} AS src").fetchall()]
    cells = [f"{csv_cell_sql('src.' + quote_ident(name), kind)} AS {quote_ident(name)}" for name, kind in described]
    select_sql = f"SELECT {', '.join(cells) if cells else '*'} FROM {relation} AS src"
    if order_by:
        select_sql += " ORDER BY " + ", ".join(_order_term(term) for term in order_by)
    params = {"path": str(path)}
    if any(_is_zoned(kind) for _, kind in described):
        params["zone"] = zone  # DuckDB refuses a parameter the statement does not use
    # COPY answers with the rows it wrote: no second pass over the relation to count them
    return int(fetch_one(cur.execute(f"COPY ({select_sql}) TO $path (FORMAT csv, HEADER true)", params))[0])


def _is_zoned(duckdb_type: str) -> bool:
    return duckdb_type.upper().startswith("TIMESTAMP WITH TIME ZONE")


def _order_term(term: str) -> str:
    """`name` or `name DESC` as an ORDER BY term on the source column (the cell may be escaped text)."""
    name, _, direction = term.partition(" ")
    if direction.upper() not in ("", "ASC", "DESC"):
        raise ValueError(f"order_by term {term!r}: a column name, optionally followed by ASC or DESC")
    return f"src.{quote_ident(name)} {direction.upper()}".rstrip()


def frame_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as a CSV download in which no cell can start a spreadsheet formula."""
    con = duckdb.connect()
    try:
        con.register("frame_view", frame)
        con.execute("CREATE TABLE download_frame AS SELECT * FROM frame_view")  # cursors cannot see a view
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "download.csv"
            write_csv_safe(con, "download_frame", path)
            return path.read_bytes()
    finally:
        con.close()
