"""CSV files a spreadsheet opens safely: no cell may start a formula.

A rejects file or a dashboard download carries text from someone else's
export; a cell starting with `=`, `+`, `-` or `@` (or a tab / carriage return
that precedes one) would run as a formula in Excel or Sheets. Such text cells
get a leading apostrophe, in SQL, so the whole file is written by DuckDB's
COPY. Numbers, dates and booleans are written as they are: `-3600` in a
numeric column is a value, and escaping it would turn it into text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Union

from sla_core.sqlutil import quote_ident

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


def write_csv_safe(con: Any, query_or_table: str, path: Union[str, Path]) -> int:
    """Write a table name or a SELECT to CSV with every cell formula-escaped; returns rows written.

    `query_or_table` is SQL written by the caller (a table name or a query),
    never user text. Timestamps are written in ISO 8601 with their offset.
    """
    source = query_or_table.strip()
    relation = f"({source})" if source.lower().startswith(("select", "with", "from", "(")) else source
    cur = con.cursor()
    cols = [d[0] for d in cur.execute(f"SELECT * FROM {relation} AS src LIMIT 0").description]
    described = cur.execute(f"DESCRIBE SELECT * FROM {relation} AS src").fetchall()
    col_types = {row[0]: str(row[1]).upper() for row in described}
    selects = []
    for col in cols:
        q = quote_ident(col)
        if col_types.get(col, "").startswith("TIMESTAMP WITH TIME ZONE"):
            value = f"strftime(src.{q}, '%Y-%m-%dT%H:%M:%S%z')"
            selects.append(f"{value} AS {q}")
        elif col_types.get(col, "").startswith(_VALUE_TYPES):
            selects.append(f"src.{q}")
        else:
            selects.append(f"{escape_formula_sql('src.' + q)} AS {q}")
    select_sql = f"SELECT {', '.join(selects) if selects else '*'} FROM {relation} AS src"
    count = cur.execute(f"SELECT count(*) FROM {relation} AS src").fetchone()[0]
    cur.execute(f"COPY ({select_sql}) TO ? (FORMAT csv, HEADER true)", [str(path)])
    return int(count)
