"""Load ticket exports into typed DuckDB tables, accounting for every row.

Files are read by DuckDB's own readers (read_csv with all_varchar, read_parquet kept typed, a JSON answer's
records), never through pandas, so a large export stays out of Python memory. Each file is staged in one
statement (staging.py) and every row lands either in the typed `tickets` / `events` (or `signals` / `surveys` /
`deploys`) table or in `rejects` with its row number, column, value and reason: accepted + rejected = rows read, always.

Row numbers are the file's line numbers (the header is line 1; a quoted value spanning lines moves the next row
down, as an editor shows it); for Parquet and JSON they are 1-based row positions.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Optional, Union

import duckdb

from sla_core.columns import EVENT_COLUMNS, STOP_COLUMN
from sla_core.ingest.loading.event_log import load_event_log
from sla_core.ingest.loading.events import load_event_rows
from sla_core.ingest.loading.reading import PathLike, Source, drop_scratch, open_source, reader_complaint
from sla_core.ingest.loading.report import LoadError, LoadReport, check_accounting
from sla_core.ingest.loading.signals import SPECS, load_signal_file
from sla_core.ingest.loading.tickets import load_ticket_rows
from sla_core.ingest.mapping import ACTIVITY_KINDS, Mapping, MappingError, preset
from sla_core.policy import Policy
from sla_core.policy.teams import discipline_of
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import EXPORT_FORMATS, METRICS, SIGNAL_TOOLS, UNASSIGNED

# Mapping formats that load beside the tickets, into their own tables (loading/signals.py).
SIGNAL_FORMATS: tuple[str, ...] = tuple(SPECS)


def _peek_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The file's column names ([] when it cannot be read: loading it then says why); a JSON file's are its
    records' fields, as the loader names them."""
    if path.suffix.lower() == ".json":
        try:
            peeked = open_source(con, path, "_peek", "file")
        except LoadError:
            return []
        drop_scratch(con, peeked)
        return peeked.columns
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        return [
            r[0]
            for r in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true, sample_size = 2048)",
                [str(path)],
            ).fetchall()
        ]
    except duckdb.Error:
        return []


def resolve_mapping(
    con: duckdb.DuckDBPyConnection, path: PathLike, export_format: str, mapping: Optional[Mapping]
) -> Optional[Mapping]:
    """The mapping an export format implies: the given one, else the vendor preset (ServiceNow: list or audit log); a
    plain file whose header names signals, survey answers or deploys (and no created_at) reads as those."""
    if export_format not in EXPORT_FORMATS + SIGNAL_TOOLS:
        raise LoadError(f"unknown export format {export_format!r} (one of {', '.join(EXPORT_FORMATS + SIGNAL_TOOLS)})")
    if mapping is not None:
        return mapping
    if export_format == "plain":
        header = {c.strip().lower() for c in _peek_header(con, Path(path))}
        if "created_at" not in header and {"signal_id", "detected_at"} <= header:  # a signal may name its ticket
            return Mapping(format="signals")
        if "created_at" not in header and {"account", "at", "kind", "score"} <= header:
            return Mapping(format="surveys")
        if "created_at" not in header and {"deploy_id", "deployed_at"} <= header:
            return Mapping(format="deploys")
        return None
    if export_format == "eventlog":
        raise LoadError("--export_format eventlog needs a mapping file (--mapping) naming ticket_id, at and activity")
    try:
        if export_format == "servicenow":
            header = set(_peek_header(con, Path(path)))
            audit = {"incident_state", "sys_mod_count"} <= header
            return preset("servicenow_audit" if audit else "servicenow_incidents")
        return preset(export_format)
    except MappingError as err:
        raise LoadError(str(err)) from None


def load_files(
    con: duckdb.DuckDBPyConnection,
    tickets: PathLike,
    events: Optional[PathLike],
    policy: Policy,
    *,
    export_format: str = "plain",
    mapping: Optional[Mapping] = None,
    tool: Optional[str] = None,
) -> LoadReport:
    """Load a tickets file (or an event log) and an optional events file into `tickets`, `events`, `rejects`.

    Raises LoadError (one line) for a file that cannot be read at all; row-level
    problems become rejects. `tickets` has schema.TICKET_COLUMNS first, then the
    file's other columns as text. A signals, survey answers or deploys file loads alone into its own table
    instead (loading/signals.py); `tool` names the tool of every deploy of a deploys file (`import --tool`).
    """
    mapping = resolve_mapping(con, tickets, export_format, mapping)
    fmt = mapping.format if mapping else "tickets"
    if tool is not None and fmt != "deploys":
        raise LoadError(f"--tool names the tool of a deploys file; this file reads as {fmt}"
                        + (" (a signals file's tool is its --source preset or its `source` column)"
                           if fmt == "signals" else ""))
    if mapping is not None and fmt in SIGNAL_FORMATS:
        if events is not None:
            raise LoadError(f"a {fmt} file goes alone: give no events file with it")
        source = open_source(con, tickets, "_load_s", fmt)
        try:
            return load_signal_file(con, source, mapping, policy,
                                    tool=export_format if export_format in SIGNAL_TOOLS else tool)
        finally:
            drop_scratch(con, source)
    if fmt == "events" and events is not None:
        raise LoadError("an event log already holds the events: give no separate events file")
    notes: list[str] = []
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects (row_number BIGINT, \"column\" VARCHAR, value VARCHAR, "
        "reason VARCHAR, file VARCHAR, ticket_id VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _cleared (row_number BIGINT, \"column\" VARCHAR, value VARCHAR, "
                "problem VARCHAR, fix VARCHAR)")
    sources: list[Source] = []
    try:
        source = open_source(con, tickets, "_load_t", "tickets" if fmt == "tickets" else "event log")
        sources.append(source)
        if fmt == "events":
            load_event_log(con, source, mapping, policy, notes)  # type: ignore[arg-type]
        else:
            load_ticket_rows(con, source, mapping or Mapping(), policy, notes)
            if events is None:
                con.execute(f"CREATE OR REPLACE TABLE events ({_event_columns_ddl()})")
        ev_source = None
        if events is not None:
            ev_source = open_source(con, events, "_load_e", "events")
            sources.append(ev_source)
            load_event_rows(con, ev_source, policy)
        con.execute("CREATE OR REPLACE TABLE rejects AS SELECT * FROM _rejects ORDER BY file DESC, row_number")
        con.execute("CREATE OR REPLACE TABLE cleared AS SELECT * FROM _cleared ORDER BY row_number, \"column\"")
        report = _report(con, fmt, source, ev_source, notes)
        describe_data(con, policy, report)
        return report
    finally:
        for t in ("_rejects", "_cleared"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        for opened in sources:
            drop_scratch(con, opened)


def describe_data(con: duckdb.DuckDBPyConnection, policy: Policy, report: LoadReport) -> None:
    """What the accepted data holds beyond its counts: values left empty and how to fix them, metrics it cannot
    time, its owner teams and those no `disciplines` rule of the policy matches."""
    for column, problem, fix, rows, example in con.execute(
        'SELECT "column", problem, fix, count(*), arg_min(value, row_number) FROM cleared GROUP BY ALL ORDER BY 4 DESC'
    ).fetchall():
        report.cleared[f"{column}: {problem} (e.g. {example!r}), left empty; {fix}"] = int(rows)
    unmeasured = {row[0] for row in con.execute(
        "SELECT DISTINCT unnest(string_split(unmeasured, ',')) FROM tickets WHERE unmeasured IS NOT NULL").fetchall()}
    for metric in [m for m in METRICS if m in unmeasured]:
        report.unmeasured[metric] = (f"not measured: the data has no {STOP_COLUMN[metric]}; map a column to it "
                                     f"(`columns: {{{STOP_COLUMN[metric]}: ...}}`) to time {metric}")
    teams = con.execute(
        "SELECT owner_team, count(*) FROM tickets WHERE owner_team IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    report.teams = len(teams)
    report.unassigned_teams = {team: int(n) for team, n in teams if discipline_of(policy, team) == UNASSIGNED}


def _event_columns_ddl() -> str:
    return ", ".join(f"{quote_ident(k)} {v}" for k, v in EVENT_COLUMNS.items())


def _reasons(con: duckdb.DuckDBPyConnection, file: str) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason, count(*) FROM rejects WHERE file = ? GROUP BY reason ORDER BY 2 DESC, 1", [file]
    ).fetchall()
    return {r: int(n) for r, n in rows}


def _report(
    con: duckdb.DuckDBPyConnection, fmt: str, raw: Source, ev_raw: Optional[Source], notes: list[str]
) -> LoadReport:
    accepted = fetch_one(con.execute("SELECT count(*) FROM tickets"))[0]
    t_reasons = _reasons(con, "tickets")
    e_reasons = _reasons(con, "events")
    rejected = sum(t_reasons.values())
    if fmt == "events":
        events_read = raw.parsed + raw.malformed
        events_rejected = sum(e_reasons.values())
        report = LoadReport(
            rows_read=accepted + rejected,
            accepted=accepted,
            rejected=rejected,
            reasons=t_reasons,
            events_rows_read=events_read,
            events_accepted=events_read - events_rejected,
            events_rejected=events_rejected,
            events_reasons=e_reasons,
            format="events",
            notes=notes,
        )
    else:
        report = LoadReport(
            rows_read=raw.parsed + raw.malformed,
            accepted=accepted,
            rejected=rejected,
            reasons=t_reasons,
            format="tickets",
            notes=notes,
        )
        if ev_raw is not None:
            ev_accepted = fetch_one(con.execute("SELECT count(*) FROM events"))[0]
            report.events_rows_read = ev_raw.parsed + ev_raw.malformed
            report.events_accepted = ev_accepted
            report.events_rejected = sum(e_reasons.values())
            report.events_reasons = e_reasons
    check_accounting(report)
    return report


def save_upload(data: Union[bytes, BinaryIO], filename: str, folder: Path, stem: str) -> Path:
    """An uploaded file (bytes, or a file object such as Streamlit's UploadedFile) saved as `folder/stem.SUFFIX`,
    streamed in chunks, keeping the one suffix that picks the reader (.parquet, .yaml, .csv.gz; .csv otherwise).
    The user's file name never becomes a path."""
    lower = filename.lower()
    suffix = next((s for s in (".parquet", ".yaml", ".yml", ".csv.gz") if lower.endswith(s)), ".csv")
    path = folder / f"{stem}{suffix}"
    if not path.exists():
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            data.seek(0)
            with path.open("wb") as out:
                shutil.copyfileobj(data, out, length=4 << 20)
    return path


def load_upload(
    con: duckdb.DuckDBPyConnection,
    data: Union[bytes, BinaryIO],
    filename: str,
    policy: Policy,
    *,
    events: Optional[Union[bytes, BinaryIO]] = None,
    events_filename: str = "events.csv",
    export_format: str = "plain",
    mapping: Optional[Mapping] = None,
) -> LoadReport:
    """Load an uploaded file via a private temp folder (see save_upload)."""
    with tempfile.TemporaryDirectory(prefix="sla_upload_") as tmp:
        path = save_upload(data, filename, Path(tmp), "tickets")
        ev_path = save_upload(events, events_filename, Path(tmp), "events") if events is not None else None
        return load_files(con, path, ev_path, policy, export_format=export_format, mapping=mapping)


__all__ = [
    "ACTIVITY_KINDS",
    "LoadError",
    "LoadReport",
    "EXPORT_FORMATS",
    "load_files",
    "load_upload",
    "reader_complaint",
    "save_upload",
    "resolve_mapping",
]
