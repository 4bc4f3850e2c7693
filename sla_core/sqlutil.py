"""SQL helpers: the one identifier-quoting function, small builders, and a frame loader.

Values always travel as `?` parameters. Identifiers (column names read from a
user's file) cannot, so every one of them goes through `quote_ident`.
"""

from __future__ import annotations

import os

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence, Union

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


MEMORY_ENV = "SLA_BOARD_MEMORY_LIMIT"
DEFAULT_LIMIT_CAP = 4 * 1024**3  # the default limit: the smaller of this and half the machine's memory


def default_memory_limit() -> str:
    """The smaller of 4 GiB and half the RAM: every connection holds to it unless told otherwise, so a 10M-ticket
    evaluate spills instead of taking 18 GB, and several sessions or cron jobs on one machine leave room for each
    other."""
    import os

    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 2 * DEFAULT_LIMIT_CAP
    return f"{min(DEFAULT_LIMIT_CAP, ram // 2) // 1024**2}MiB"


def connection_config(memory_limit: Optional[str] = None) -> dict[str, Union[str, bool, int, float, list[str]]]:
    """DuckDB settings every connection of the product gets: a memory limit (`memory_limit`, else
    SLA_BOARD_MEMORY_LIMIT, else default_memory_limit()) and a private spill folder that goes with the process
    (never DuckDB's shared `.tmp` beside a store, which two processes would share)."""
    import atexit
    import os
    import shutil
    import tempfile

    spill = tempfile.mkdtemp(prefix="sla_board_spill_")
    atexit.register(shutil.rmtree, spill, True)  # the spilled pages go with the process
    limit = memory_limit or os.environ.get(MEMORY_ENV) or default_memory_limit()
    return {"memory_limit": limit.strip(), "temp_directory": spill}


def connect(memory_limit: Optional[str] = None, path: Optional[Union[str, "os.PathLike[str]"]] = None,
            read_only: bool = False) -> "duckdb.DuckDBPyConnection":
    """A DuckDB (in memory, or the file at `path`) held to the memory limit (connection_config), spilling to a
    private folder past it instead of growing; with no progress bar, which DuckDB would draw on stdout into a
    command's output or a cron log for a query past two seconds."""
    import duckdb

    con = duckdb.connect(":memory:" if path is None else str(path), read_only=read_only,
                         config=connection_config(memory_limit))
    con.execute("SET enable_progress_bar = false")
    return con