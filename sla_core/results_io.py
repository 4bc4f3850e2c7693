"""Writing evaluation results as the CLI's public CSV / Parquet files.

CSV timestamps are ISO 8601 with the policy timezone's offset
(`2026-03-02T09:30:00+00:00`, fractional seconds only when present) and
empty where there is none; Parquet keeps native UTC timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import duckdb

from sla_core.csv_safe import escape_formula_sql
from sla_core.engine import RESULT_COLUMNS
from sla_core.sqlutil import quote_ident

TEXT_COLUMNS = ("ticket_id", "segment", "owner_team")


def iso_sql(expr: str) -> str:
    """SQL: TIMESTAMPTZ `expr` as ISO 8601 text in the zone bound to the named parameter `$zone`."""
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


def write_results(
    con: duckdb.DuckDBPyConnection, table: str, path: Union[str, Path], zone: str, columns: tuple[str, ...] = RESULT_COLUMNS
) -> int:
    """Write `table` (engine results) sorted by ticket and metric; returns the rows written."""
    path = Path(path)
    order = "ORDER BY ticket_id, metric"
    if path.suffix.lower() == ".parquet":
        select = f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {table} {order}"
        con.execute(f"COPY ({select}) TO ? (FORMAT parquet)", [str(path)])
    elif path.suffix.lower() == ".csv":
        kinds = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE {table}").fetchall()}
        parts = []
        for col in columns:
            q = quote_ident(col)
            if kinds[col].startswith("TIMESTAMP WITH TIME ZONE"):
                parts.append(f"{iso_sql(q)} AS {q}")
            elif col in TEXT_COLUMNS:
                parts.append(f"{escape_formula_sql(q)} AS {q}")
            else:
                parts.append(q)
        select = f"SELECT {', '.join(parts)} FROM {table} {order}"
        con.execute(f"COPY ({select}) TO $path (FORMAT csv, HEADER true)", {"zone": zone, "path": str(path)})
    else:
        raise ValueError(f"--out {path}: use a .csv or .parquet file name")
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
