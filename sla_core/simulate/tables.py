"""Tables a simulator object owns: a unique prefix per owner, dropped when the owner is closed or collected.

Why: several sessions simulate over one shared connection, so every table a
baseline, replay or simulation creates must carry a name no other one uses,
and must not outlive its Python object.
"""

from __future__ import annotations

import itertools
import threading
import uuid
import weakref

import duckdb

_counter = itertools.count()
_lock = threading.Lock()


def _prefix(kind: str) -> str:
    with _lock:
        n = next(_counter)
    return f"_sim_{kind}_{uuid.uuid4().hex[:8]}_{n}"


def _drop(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    try:
        cur = con.cursor()
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
    except duckdb.Error:
        pass  # the connection is already closed: its tables went with it


class OwnedTables:
    """Owner of a set of prefixed tables, dropped when the owner is collected or closed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: str) -> None:
        self.con = con
        self.prefix = _prefix(kind)
        self._names: list[str] = []
        self._finalizer = weakref.finalize(self, _drop, con, self._names)

    def name(self, part: str) -> str:
        table = f"{self.prefix}_{part}"
        if table not in self._names:
            self._names.append(table)
        return table

    def close(self) -> None:
        self._finalizer()

