"""SQL helpers: the one identifier-quoting function, small builders, and a frame loader.

Values always travel as `?` parameters. Identifiers (column names read from a
user's file) cannot, so every one of them goes through `quote_ident`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

if TYPE_CHECKING:
    import duckdb


def quote_ident(name: str) -> str:
    """A DuckDB identifier for any text: embedded `"` doubled, wrapped in `"`."""
    if not isinstance(name, str):
        raise TypeError(f"identifier must be text, got {type(name).__name__}")
    if "\x00" in name:
        raise ValueError("identifier contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` parameters (at least one)."""
    return ", ".join(["?"] * max(count, 1))


def table_columns(con: Any, table: str) -> list[str]:
    """Column names of a table (a name the caller wrote, not user text), in order."""
    return [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def load_frame(con: Any, table: str, frame: Any, columns: str) -> None:
    """(Re)create temp table `table` with the DDL `columns` and fill it from a small pandas frame
    (policy lookups, calendar days): typed by the DDL, not by pandas' guesses."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
    con.register(f"{table}_df", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM {table}_df")
    finally:
        con.unregister(f"{table}_df")


@contextmanager
def dropped_after(con: Any, prefix: str, parts: Sequence[str]) -> Iterator[None]:
    """Scratch tables `{prefix}_{part}` (names the caller wrote) are dropped when the block ends, whether or not
    it got through: a failed step leaves nothing behind on a shared connection."""
    try:
        yield
    finally:
        for part in parts:
            con.execute(f"DROP TABLE IF EXISTS {prefix}_{part}")


def fetch_one(result: Any) -> tuple[Any, ...]:
    """The row a query that always returns one (an aggregate, a count) returned; fetchone() is Optional."""
    row = result.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return tuple(row)


def connect(memory_limit: Optional[str] = None) -> "duckdb.DuckDBPyConnection":
    """An in-memory DuckDB; with `memory_limit` (a size such as 2GB, checked by the caller) it holds to it and
    spills to a temp folder past it instead of growing."""
    import atexit
    import shutil
    import tempfile

    import duckdb

    if memory_limit is None:
        return duckdb.connect()
    spill = tempfile.mkdtemp(prefix="sla_board_spill_")
    atexit.register(shutil.rmtree, spill, True)  # the spilled pages go with the process
    return duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill})
