"""Writing evaluation results as the CLI's public CSV / Parquet files.

CSV timestamps are ISO 8601 with the policy timezone's offset
(`2026-03-02T09:30:00+00:00`, fractional seconds only when present) and
empty where there is none; Parquet keeps native UTC timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import duckdb

from sla_core.clocks.engine import RESULT_COLUMNS
from sla_core.csv_safe import write_csv_safe
from sla_core.sqlutil import fetch_one, quote_ident


def write_results(
    con: duckdb.DuckDBPyConnection, table: str, path: Union[str, Path], zone: str, columns: tuple[str, ...] = RESULT_COLUMNS
) -> int:
    """Write `table` (engine results) sorted by ticket and metric; returns the rows written."""
    path = Path(path)
    select = f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {table}"
    if path.suffix.lower() == ".parquet":
        return int(fetch_one(con.execute(f"COPY ({select} ORDER BY ticket_id, metric) TO ? (FORMAT parquet)", [str(path)]))[0])
    if path.suffix.lower() == ".csv":
        return write_csv_safe(con, select, path, zone=zone, order_by=("ticket_id", "metric"))
    raise ValueError(f"--out {path}: use a .csv or .parquet file name")
