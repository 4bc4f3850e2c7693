"""A data source for the dashboard: its own DuckDB connection, the policy, evaluated results.

Three kinds exist: the bundled sample, the persistent store and a session's
upload. Each gets a private in-memory database holding tickets, events, the
engine's results and the review's outcomes, so the pages only query; the
store's tickets, events and kept results stay in a snapshot of the file,
read in place (`store_source`). The `version` strings let the app cache a
source per data version and policy (the store file itself is only copied,
then released, so imports can run while the dashboard is open).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic
from typing import Any, Callable, Literal, Optional, Union
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from sla_core.clocks.engine import evaluate
from sla_core.columns import EVENT_COLUMNS, TICKET_COLUMNS, events_ddl, table_ddl
from sla_core.csv_safe import write_csv_safe
from sla_core.ingest.kept import KEPT_EVENTS, KEPT_RESULTS, KEPT_TICKETS, kept_usable, policy_fingerprint
from sla_core.ingest.loading import load_files
from sla_core.ingest.loading.signals import SPECS, empty_tables
from sla_core.ingest.store import StoreError, open_store, store_path, writer_lock
from sla_core.now import now
from sla_core.periods import DataSpan, MonthChoice, days_so_far, default_month, month_choices
from sla_core.policy import Policy
from sla_core.sample import add_signals_and_surveys, live_sample, live_window, load_tables
from sla_core.sources.outcomes import filter_choices, month_clocks, prepare_outcomes
from sla_core.sqlutil import connect, fetch_one, quote_ident, table_columns
from sla_core.vocab import DEFAULT_POLICY

SourceKind = Literal["sample", "store", "upload"]



@dataclass(frozen=True, eq=False)
class DataSource:
    """Evaluated data the pages read; `con` is shared, so every query opens a cursor."""

    kind: SourceKind
    label: str
    version: str
    con: duckdb.DuckDBPyConnection = field(repr=False)
    policy: Policy = field(repr=False)
    as_of: datetime
    tickets: int
    # What the filters can choose from, computed once per evaluation (a scan of every clock each).
    segments: tuple[str, ...] = ()
    owner_teams: tuple[str, ...] = ()
    disciplines: tuple[str, ...] = ()
    months: tuple[date, ...] = ()  # months with decided clocks, oldest first
    choices: tuple[MonthChoice, ...] = ()  # what the month filter offers, newest first (periods.month_choices)
    span: Optional[DataSpan] = None  # the instants the data knows of (None: no tickets)
    results: str = "sla_results"
    outcomes: str = "review_outcomes"
    report: Optional[Any] = field(default=None, repr=False)  # the loader's LoadReport, for uploads
    seconds: Optional[float] = None  # how long an upload took to read, check and judge
    kept_at: Optional[datetime] = None  # the store's kept results were used, judged at this instant
    # Where this source's own records (incident reviews, action items, validations, scenarios) are saved: the
    # store for the store; a scratch file for the sample and for an upload, so neither ever writes to a user's
    # store (issue: a review saved on the sample landed in the store file).
    writes_to: Optional[Path] = None

    @property
    def records(self) -> Path:
        """The file this source's records are saved in (see `writes_to`)."""
        if self.writes_to is None:
            raise ValueError(f"{self.label} keeps no records: build it with `evaluated`")
        return self.writes_to

    @property
    def writes_where(self) -> str:
        """Where this source's records are kept, in words for a caption."""
        if self.kind == "store":
            return "saved in the persistent store, next to its tickets"
        if self.kind == "upload":
            return "kept with this session's upload only (gone when the session ends)"
        return "kept in the sample's scratch file on this server, never in your store"

    @property
    def periods(self) -> tuple[date, ...]:
        """The months the month filter offers, newest first."""
        return tuple(choice.month for choice in self.choices)

    @property
    def default_period(self) -> date:
        """The month a review opens on (periods.default_month): the newest the data covers whole."""
        return default_month(self.choices, self.as_of, self.policy.timezone)

    def month_choice(self, month: date) -> MonthChoice:
        """The month as the filter lists it (a month outside the list: no clocks; not offered)."""
        found = {choice.month: choice for choice in self.choices}
        return found.get(month) or MonthChoice(month, 0, days_so_far(month, self.as_of, self.policy.timezone))


def policy_path() -> Path:
    """The policy the dashboard judges by: env SLA_BOARD_POLICY, else the bundled default."""
    return Path(os.environ.get("SLA_BOARD_POLICY") or DEFAULT_POLICY)


def file_version(*paths: Union[str, Path]) -> str:
    """Changes whenever one of the files is rewritten (name, size, mtime); '' parts for missing files."""
    parts = []
    for path in paths:
        p = Path(path)
        stat = p.stat() if p.exists() else None
        parts.append(f"{p.resolve()}:{stat.st_size}:{stat.st_mtime_ns}" if stat else f"{p}:missing")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def evaluated(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    as_of: datetime,
    *,
    kind: SourceKind,
    label: str,
    version: str,
    report: Optional[Any] = None,
    kept_at: Optional[datetime] = None,
    writes_to: Optional[Path] = None,
    span: Optional[DataSpan] = None,
    started: Optional[float] = None,
) -> DataSource:
    """Run the engine over the connection's tickets/events and prepare the review's outcomes.

    `kept_at`: `sla_results` already holds every clock, from the store's kept
    results (judged at that instant) and the running tickets judged at `as_of`.
    `span`: the instants the data covers, when known better than its tickets tell (the live sample's window).
    `started`: when the load began (time.monotonic), for the seconds an upload took.
    """
    con.execute("SET TimeZone = 'UTC'")
    has_events = fetch_one(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'"
    ))[0]
    if not has_events:
        con.execute(events_ddl())
    empty_tables(con)  # signals and survey answers: empty unless the data brought some
    if kept_at is None:
        evaluate(con, policy, as_of)
    prepare_outcomes(con, policy.timezone)
    tickets = fetch_one(con.execute("SELECT count(*) FROM tickets"))[0]
    clocks = month_clocks(con)
    span = span or data_span(con, as_of)
    private = None
    if writes_to is None:  # only the store writes to a store; the sample and an upload get scratch files
        if kind == "store":
            raise ValueError("a store source names its store file as writes_to")
        if kind == "sample":
            writes_to = sample_scratch()
        else:
            private = Path(tempfile.mkdtemp(prefix="sla_board_upload_records_"))
            writes_to = private / "upload_records.duckdb"
    source = DataSource(
        kind=kind, label=label, version=version, con=con, policy=policy, as_of=as_of, tickets=int(tickets),
        segments=tuple(filter_choices(con, "segment")), owner_teams=tuple(filter_choices(con, "owner_team")),
        disciplines=tuple(filter_choices(con, "discipline")),
        months=tuple(clocks), choices=tuple(month_choices(clocks, as_of, policy.timezone, span)), span=span,
        report=report, kept_at=kept_at, writes_to=writes_to,
        seconds=None if started is None else monotonic() - started,
    )
    if private is not None:
        weakref.finalize(source, shutil.rmtree, private, True)  # an upload's records go with it
    return source


def data_span(con: duckdb.DuckDBPyConnection, as_of: datetime) -> Optional[DataSpan]:
    """From the first ticket's creation to the last instant anything happened (a ticket's stamp or an event),
    never after `as_of`: what decides which months the data covers only in part."""
    first, last = fetch_one(con.cursor().execute(
        """SELECT min(created_at),
                  greatest(max(greatest(created_at, acknowledged_at, action_plan_at, resolved_at)),
                           (SELECT max("at") FROM events))
           FROM tickets"""))
    if first is None:
        return None
    return DataSpan(first, min(last or first, as_of))


def sample_source(policy: Policy, as_of: Optional[datetime] = None, *, seed: int = 7) -> DataSource:
    """The bundled sample as it stands at `as_of` (default: now), judged then: its last ticket came in just
    before, so the review has a year of full months behind it and the queue is live on any day."""
    as_of = as_of or now()
    con = connect()
    load_tables(con, *live_sample(as_of, seed, policy.timezone))
    add_signals_and_surveys(con, as_of, seed)
    first_day, _ = live_window(as_of, policy.timezone)
    window = DataSpan(datetime.combine(first_day, time(), ZoneInfo(policy.timezone)), as_of)
    return evaluated(con, policy, as_of, kind="sample", label="Bundled sample", version=sample_version(as_of, seed),
                     span=window)


def sample_scratch() -> Path:
    """The sample's records file: one per server process, in the temp folder, shared by the sample's sessions."""
    folder = Path(tempfile.gettempdir()) / f"sla_board_sample_{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder / "sample_records.duckdb"


def sample_version(as_of: datetime, seed: int = 7) -> str:
    """The live sample's data version: its draws are fixed per seed and local date, its cut is `as_of`."""
    return f"sample:{seed}:{as_of.isoformat()}"


def store_configured() -> bool:
    """Whether the board has a team's store to open on: the file SLA_BOARD_DB names, else sla_board.duckdb here,
    exists. Then the store, not the sample, is what a visitor sees first."""
    return store_path().is_file()


def store_problem(path: Path) -> Optional[str]:
    """Why the store cannot be shown (missing, locked, not a store, empty), or None when it can.

    A read-only peek that keeps no lock.
    """
    if not path.is_file():
        return f"There is no store at `{path}` yet. Fill it with `python -m sla_core import FILE --source …`."
    try:
        con = open_store(path, read_only=True)
    except StoreError as err:
        return str(err)
    try:
        found = fetch_one(con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'tickets'"
        ))[0]
        if not found or not fetch_one(con.execute("SELECT count(*) > 0 FROM tickets"))[0]:
            return f"The store `{path}` holds no tickets yet. Import an export with `python -m sla_core import FILE`."
        return None
    finally:
        con.close()


def store_source(policy: Policy, path: Optional[Path] = None, as_of: Optional[datetime] = None) -> DataSource:
    """The persistent store, read in place from a private snapshot, so the file stays free for `python -m
    sla_core import` (and `sync`, `notify`, the app's own saves) while the pages read.

    The snapshot is a copy of the store file, taken while no writer can touch it (`_snapshot`: a few hundred
    milliseconds at 1M tickets, against 3-4 s to copy its tables into memory), then attached read-only: its
    tickets, events, signals and survey answers are views over it, and with the results the last import kept
    (kept.py), only the tickets with a clock still running are judged here (`_kept_results`). The review's
    outcomes are the one table built in memory. The snapshot goes with the source's connection.
    """
    path = path or store_path()
    as_of = as_of or now()
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        version = _attach_snapshot(con, path)
        _store_views(con, path)
        kept_at = _kept_results(con, policy, as_of)
        return evaluated(con, policy, as_of, kind="store", label=f"Store {path.name}", version=version,
                         kept_at=kept_at, writes_to=path)
    except BaseException:
        con.close()
        raise


def _attach_snapshot(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Attach a private snapshot of the store to `con`, read-only, as `sla_store`; the store's version.

    The snapshot file is deleted as soon as it is attached: DuckDB reads it through the file it holds open, and
    the system frees it when `con` closes, so no snapshot outlives its source, even a server killed mid-way.
    """
    folder = Path(tempfile.mkdtemp(prefix="sla_board_store_"))
    try:
        snapshot = folder / "store.duckdb"
        version = _snapshot(path, snapshot)
        con.execute("ATTACH ? AS sla_store (READ_ONLY)", [str(snapshot)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return version


def _snapshot(path: Path, copy: Path) -> str:
    """Copy the store file, and the WAL a writer killed mid-write leaves beside it, to `copy`; the store's version.

    The copy is taken holding the store's writer lock (no import, sync or save of this process or another
    writes meanwhile; they wait for the copy, as for any other writer) and a read-only connection to it (no
    other program holds it for writing: this waits while one does, as every open of the store does).
    """
    wal = Path(f"{path}.wal")
    with writer_lock(path):
        held = open_store(path, read_only=True)
        try:
            version = file_version(path, wal)
            shutil.copyfile(path, copy)
            if wal.is_file():
                shutil.copyfile(wal, Path(f"{copy}.wal"))
        finally:
            held.close()
    return version


def _store_views(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """`tickets`, `events`, `signals` and `surveys` as views over the attached snapshot (`sla_store`); a column
    the store lacks (written before the column was canonical) reads as empty, a table it lacks is empty."""
    tables = {row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'sla_store'").fetchall()}
    if "tickets" not in tables:
        raise StoreError(f"store {path} holds no tickets table: is it an SLA Board store?")
    for table, columns in (("tickets", TICKET_COLUMNS), ("events", EVENT_COLUMNS),
                           *((kind, spec.columns) for kind, spec in SPECS.items())):
        if table not in tables:
            con.execute(table_ddl(table, columns))
            continue
        have = set(table_columns(con, f"sla_store.{table}"))
        added = "".join(f", CAST(NULL AS {typ}) AS {quote_ident(column)}"
                        for column, typ in columns.items() if column not in have)
        con.execute(f"CREATE VIEW {quote_ident(table)} AS SELECT *{added} FROM sla_store.{quote_ident(table)}")


def _kept_results(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime) -> Optional[datetime]:
    """`sla_results` from the snapshot's kept results when they fit (kept.kept_usable), as kept.copy_kept makes
    it, but a view: the kept rows read in place and the tickets with a clock still running judged again at
    `as_of` (a table). The instant the kept results were judged at, or None (nothing created: judge it all)."""
    kept_at = kept_usable(con, "sla_store", policy, as_of, tickets="tickets", events="events")
    if kept_at is None:
        return None
    evaluate(con, policy, as_of, tickets=f"sla_store.{KEPT_TICKETS}", events=f"sla_store.{KEPT_EVENTS}",
             out="kept_judged_now")
    con.execute(f"CREATE VIEW sla_results AS SELECT * FROM sla_store.{KEPT_RESULTS} "
                "UNION ALL SELECT * FROM kept_judged_now")
    return kept_at


def upload_source(
    tickets_path: Path,
    events_path: Optional[Path],
    policy: Policy,
    *,
    label: str,
    export_format: str = "plain",
    mapping: Optional[Any] = None,
    as_of: Optional[datetime] = None,
    progress: Callable[[str], None] = lambda step: None,
) -> DataSource:
    """An uploaded export in a connection of its own (never cached: it belongs to one session). `progress`
    hears what is done once the rows are read and checked, before the clocks are judged."""
    started = monotonic()
    con = connect()
    report = load_files(
        con, str(tickets_path), str(events_path) if events_path else None, policy, export_format=export_format, mapping=mapping
    )
    progress(f"{report.rows_read:,} rows read: {report.accepted:,} accepted, {report.rejected:,} rejected. "
             "Running the SLA clocks…")
    return evaluated(
        con, policy, as_of or now(), kind="upload", label=label,
        version=file_version(tickets_path) + (file_version(events_path) if events_path else ""), report=report,
        started=started,
    )


def first_rejects(source: DataSource, limit: int = 20) -> pd.DataFrame:
    """The first rows the loader refused (file, row number, column, value, reason), in file order: what a person
    checking an export reads on the page before downloading all of them."""
    return source.con.cursor().execute(
        'SELECT file, row_number, "column", value, reason FROM rejects ORDER BY file DESC, row_number LIMIT ?',
        [limit]).df()


def rejects_csv(source: DataSource) -> bytes:
    """The rows the loader refused, with row number, column, value and reason, as a formula-safe CSV."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rejects.csv"
        write_csv_safe(source.con, "rejects", path)
        return path.read_bytes()

