"""SQL helpers: the one identifier-quoting function and small builders.

Values always travel as `?` parameters. Identifiers (column names read from a
user's file) cannot, so every one of them goes through `quote_ident`.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence


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


def case_map(expr: str, mapping: dict[str, str], default_sql: str, params: list[Any]) -> str:
    """CASE expression translating `expr` through `mapping`, values passed as parameters.

    Keys compare case-insensitively after trimming; `params` is appended to in
    the order the `?` appear.
    """
    if not mapping:
        return default_sql
    parts = []
    for key, value in mapping.items():
        parts.append("WHEN ? THEN ?")
        params.extend([str(key).strip().lower(), value])
    return f"(CASE lower(trim({expr})) {' '.join(parts)} ELSE {default_sql} END)"


def in_list(expr: str, values: Sequence[Any], params: list[Any]) -> str:
    """`expr IN (?, ?, …)` with the values appended to `params`."""
    params.extend(values)
    return f"({expr} IN ({placeholders(len(values))}))"


def table_columns(con: Any, table: str) -> list[str]:
    """Column names of a table or view, in order."""
    return [row[0] for row in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def select_list(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)
