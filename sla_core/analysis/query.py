"""How the figures run their SQL: one query helper, a query that names the rows behind a number, and the
time expressions every figure writes the same way.

Why one place: the review, the systemic metrics, incidents and the feedback loops all read a `DataSource`
shared by Streamlit's threads, so each query opens a cursor of its own (`frame`); and a month, a local time or
a duration written once here cannot drift between two figures that should agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import pandas as pd

from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident


def frame(source: DataSource, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """The query's rows, on a fresh cursor (the source is shared by Streamlit's threads).

    Only the parameters the SQL names (`$name`) are passed: DuckDB refuses a named parameter the text does not
    use, and the shared builders hand every query the same set.
    """
    used = {key: value for key, value in params.items() if re.search(rf"\${key}\b", sql)}
    return source.con.cursor().execute(sql, used).df()


@dataclass(frozen=True)
class RowsQuery:
    """The rows behind a metric (one per ticket or handoff) and their named parameters: the headline
    aggregates them and the drill-down filters them, so a number and its tickets cannot disagree."""

    text: str
    params: dict[str, Any]


def rows_behind(source: DataSource, rows: RowsQuery, where: Mapping[str, Optional[Any]], order: str) -> pd.DataFrame:
    """The rows behind a number: `rows` narrowed to the given column values (None = any), in `order`."""
    clauses, params = [], dict(rows.params)
    for i, (column, value) in enumerate(where.items()):
        if value is not None:
            clauses.append(f"{quote_ident(column)} = $w{i}")
            params[f"w{i}"] = value
    condition = " AND ".join(clauses) or "TRUE"
    return frame(source, f"SELECT * FROM ({rows.text}) WHERE {condition} ORDER BY {order}", params)


def local(expr: str) -> str:
    """SQL: the instant `expr` as wall-clock time in the policy timezone (`$tz`)."""
    return f"timezone($tz, {expr})"


def month(expr: str) -> str:
    """SQL: the calendar month (a DATE, its first day) of the instant `expr` in the policy timezone (`$tz`)."""
    return f"CAST(date_trunc('month', {local(expr)}) AS DATE)"


def in_period(expr: str) -> str:
    """SQL: `expr` falls in the filtered month (`$period`, policy timezone); no period = all time."""
    return f"($period IS NULL OR {month(expr)} = $period)"


def hours(start: str, end: str) -> str:
    """SQL: wall-clock hours from `start` to `end` (real seconds, not an SLA calendar's)."""
    return f"(epoch({end}) - epoch({start})) / 3600.0"
