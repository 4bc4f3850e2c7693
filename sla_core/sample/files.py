"""The sample written as files: CSV with offsets (the committed sample_data/) or typed Parquet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Union

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sla_core.columns import FILE_COLUMNS
from sla_core.sample.draws import DEFAULT_TIMEZONE
from sla_core.sample.signals import add_signals_and_surveys
from sla_core.sample.tables import load_tables


def _plain_text(table: pa.Table) -> pa.Table:
    """Dictionary-encoded text -> plain strings, so a file's schema says `string`, not `dictionary`."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table


def _iso_columns(table: pa.Table, timezone: str) -> pa.Table:
    """Timestamp columns -> ISO 8601 text with the local offset (`2026-06-01T10:00:00+01:00`)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            local = table.column(i).cast(pa.timestamp("s", tz=timezone))
            text = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S%z")
            text = pc.replace_substring_regex(text, pattern=r"([+-]\d\d)(\d\d)$", replacement=r"\1:\2")
            table = table.set_column(i, field.name, text)
    return table


def write_files(tickets: pa.Table, events: pa.Table, out: Union[str, Path], fmt: str = "csv", timezone: str = DEFAULT_TIMEZONE) -> list[Path]:
    """DIR/tickets.<fmt> and DIR/events.<fmt>; CSV timestamps carry their offset, Parquet keeps them typed."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    tickets = tickets.select(list(FILE_COLUMNS))  # `unmeasured` is the loader's to fill
    for name, table in (("tickets", tickets), ("events", events)):
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(_iso_columns(_plain_text(table), timezone), path, pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(_plain_text(table), path)
        paths.append(path)
    return paths


def write_signal_files(tickets: pa.Table, events: pa.Table, out: Union[str, Path], fmt: str, timezone_name: str, *,
                       as_of: datetime, seed: int) -> list[Path]:
    """DIR/signals.<fmt>, DIR/surveys.<fmt> and DIR/deploys.<fmt>: the sample's monitoring signals, survey answers
    and deploys at `as_of` (signals.py), written as the tickets are."""
    con = duckdb.connect()
    load_tables(con, tickets, events)
    add_signals_and_surveys(con, as_of, seed)
    paths = []
    for name, order in (("signals", "signal_id"), ("surveys", 'account, "at", kind'), ("deploys", "deploy_id")):
        table = con.sql(f"SELECT * FROM {name} ORDER BY {order}").to_arrow_table()
        path = Path(out) / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(_iso_columns(table, timezone_name), path, pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, path)
        paths.append(path)
    return paths
