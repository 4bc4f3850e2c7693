"""SQL helpers: the one identifier-quoting function and two small builders.

Values always travel as `?` parameters. Identifiers (column names read from a
user's file) cannot, so every one of them goes through `quote_ident`.
"""

from __future__ import annotations

from typing import Any


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
