"""The persistent store: one DuckDB file that imports and syncs upsert into.

An import loads the export into a private in-memory database first (so a bad
file never touches the store), then writes the new and changed tickets, their
events and an `imports` record in ONE transaction: a failure or a killed
process leaves the store as it was, and re-importing the same export changes
nothing. Then it judges the whole store and keeps the results (kept.py).
`sync` writes each page of a tool's API the same way (`store_loaded`), with its
cursor in the same transaction.
Who may write the file, and when, is store_file.py's.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Union

import duckdb
import pandas as pd
from pydantic import BaseModel

from sla_core.access import Actor, Role, local_actor, require
from sla_core.columns import EVENT_COLUMNS, TICKET_COLUMNS, table_ddl
from sla_core.ingest.audit import AUDIT_DDL, record
from sla_core.ingest.kept import copy_kept, write_kept
from sla_core.ingest.loading import SIGNAL_FORMATS, LoadReport, load_files
from sla_core.ingest.loading.signals import SPECS, empty_tables
from sla_core.ingest.mapping import Mapping, load_mapping
from sla_core.ingest.store_file import (
    StoreError,
    lock_wait,
    retrying,
    store_error,
    store_path,
    writer_lock,
)
from sla_core.now import now
from sla_core.policy import Policy, load_policy
from sla_core.sqlutil import connect, fetch_one, quote_ident, table_columns
from sla_core.vocab import DEFAULT_POLICY, DEFAULT_STORE

PathLike = Union[str, Path]

IMPORTS_DDL = """CREATE TABLE IF NOT EXISTS {db}imports (
    id INTEGER, "at" TIMESTAMPTZ, file VARCHAR, source VARCHAR, mapping VARCHAR,
    rows_read BIGINT, accepted BIGINT, rejected BIGINT,
    tickets_accepted BIGINT, tickets_rejected BIGINT,
    new BIGINT, updated BIGINT, unchanged BIGINT)"""
REJECTS_DDL = """CREATE TABLE IF NOT EXISTS {db}import_rejects (
    import_id INTEGER, row_number BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR,
    file VARCHAR, ticket_id VARCHAR)"""


class ImportReport(BaseModel):
    """What one import did: the load's counts plus what changed in the store."""

    import_id: int
    store: str
    file: str
    export_format: str
    load: LoadReport
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kind: str = "tickets"  # what the file held: tickets (or an event log), signals, surveys or deploys
    rejects_file: Optional[str] = None
    judged: int = 0  # clocks judged and kept for the dashboard (kept.py)
    not_kept: Optional[str] = None  # why no results were kept, when judging failed

    def lines(self) -> list[str]:
        out = list(self.load.lines())
        noun = SPECS[self.kind].noun if self.kind in SPECS else "tickets"
        out.append(f"{noun} new {self.new}, updated {self.updated}, unchanged {self.unchanged}")
        out.append(f"store {self.store} (import #{self.import_id})")
        if self.kind in SIGNAL_FORMATS:
            return out + ([f"rejects written to {self.rejects_file}"] if self.rejects_file else [])
        if self.not_kept:
            out.append(f"results not kept ({self.not_kept}): the dashboard will judge every clock itself")
        else:
            out.append(f"{self.judged:,} clocks judged and kept for the dashboard")
        if self.rejects_file:
            out.append(f"rejects written to {self.rejects_file}")
        return out


CREATE_ATTEMPTS = 8  # waits 0.02 .. 1.28 s between them: 2.5 s in all


def _create_if_missing(con: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
    """Run `CREATE ... IF NOT EXISTS` statements. Two sessions of one app opening a new records file at once both
    try to create its tables and one gets DuckDB's "write-write conflict on create": the other has just created
    the table, so the statement is run again and now finds it."""
    for statement in statements:
        for attempt in range(CREATE_ATTEMPTS):
            try:
                con.execute(statement)
                break
            except duckdb.TransactionException as err:
                if "write-write conflict" not in str(err) or attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * 2**attempt)  # the other session's create commits within moments


def _ensure_schema(con: duckdb.DuckDBPyConnection, db: str = "") -> None:
    prefix = f"{db}." if db else ""
    ticket_cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in TICKET_COLUMNS.items())
    event_cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in EVENT_COLUMNS.items())
    _create_if_missing(con, [
        f"CREATE TABLE IF NOT EXISTS {prefix}tickets ({ticket_cols})",
        f"CREATE TABLE IF NOT EXISTS {prefix}events ({event_cols})",
        *(table_ddl(f"{prefix}{kind}", spec.columns, if_not_exists=True) for kind, spec in SPECS.items()),
        IMPORTS_DDL.format(db=prefix), REJECTS_DDL.format(db=prefix), AUDIT_DDL.format(db=prefix),
    ])


def open_store(path: Optional[PathLike] = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the store file. Read-only for the app (the file must exist); else created if absent."""
    path = store_path(path)
    if read_only and not path.is_file():
        raise StoreError(f"no store at {path}: run `python -m sla_core import FILE --source ...` first")
    con = retrying(path, lambda: duckdb.connect(str(path), read_only=read_only))
    if not read_only:
        try:
            _ensure_schema(con)
        except duckdb.Error as err:
            con.close()
            raise store_error(path, err) from None
    return con


@contextmanager
def store_with(path: PathLike, ddl: Sequence[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store or records file, opened for one unit of work with the tables `ddl` creates present, then closed."""
    con = open_store(path)
    try:
        try:
            _create_if_missing(con, ddl)
        except duckdb.Error as err:
            raise store_error(store_path(path), err) from None
        yield con
    finally:
        con.close()


@contextmanager
def audited_write(
    path: PathLike, actor: Actor, needs: Role, doing: str, *, ddl: Sequence[str] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write to a store or records file: refused unless the actor's role includes `needs` (`doing` names it in
    the refusal); `ddl` makes sure the tables exist; the caller's statements and its audit row (`record`) commit
    together or not at all."""
    require(actor, needs, doing)
    with writer_lock(path), store_with(path, ddl) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except duckdb.Error as err:  # e.g. another session saved the same rows a moment earlier
            _rollback(con)
            if "conflict" in str(err).lower():
                raise StoreError(f"{doing}: someone else saved at the same moment, so nothing of yours was saved; "
                                 "try again") from None
            raise store_error(store_path(path), err) from None
        except BaseException:
            _rollback(con)
            raise


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo an open transaction; one DuckDB already ended (a failed COMMIT) needs nothing more."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def attach_store(
    con: duckdb.DuckDBPyConnection, path: Optional[PathLike] = None, *, kept_for: Optional[tuple[Policy, datetime]] = None
) -> Optional[datetime]:
    """Copy the store's tickets and events into `con` (the file is read, then released).

    With `kept_for=(policy, as_of)` also fills `sla_results` from the store's
    kept results when they fit (kept.py) and returns the instant they were
    judged at; None when it did not.
    """
    path = store_path(path)
    if not path.is_file():
        raise StoreError(f"no store at {path}: run `python -m sla_core import FILE --source ...` first")
    retrying(path, lambda: con.execute("ATTACH ? AS sla_store (READ_ONLY)", [str(path)]))
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'sla_store'"
        ).fetchall()}
        if "tickets" not in tables:
            raise StoreError(f"store {path} holds no tickets table: is it an SLA Board store?")
        con.execute("CREATE OR REPLACE TABLE tickets AS SELECT * FROM sla_store.tickets")
        have = set(table_columns(con, "tickets"))
        for column, typ in TICKET_COLUMNS.items():  # a store written before a column was canonical
            if column not in have:
                con.execute(f"ALTER TABLE tickets ADD COLUMN {quote_ident(column)} {typ}")
        for kind in SPECS:
            if kind in tables:
                con.execute(f"CREATE OR REPLACE TABLE {kind} AS SELECT * FROM sla_store.{kind}")
        empty_tables(con)
        if "events" in tables:
            con.execute("CREATE OR REPLACE TABLE events AS SELECT * FROM sla_store.events")
        else:
            event_cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in EVENT_COLUMNS.items())
            con.execute(f"CREATE OR REPLACE TABLE events ({event_cols})")
        if kept_for is None:
            return None
        return copy_kept(con, "sla_store", *kept_for)
    finally:
        con.execute("DETACH sla_store")


def _policy(policy: Optional[Union[Policy, PathLike]]) -> Policy:
    """A Policy, a policy file's path, or None for the bundled one."""
    if policy is None or isinstance(policy, (str, Path)):
        return load_policy(policy or DEFAULT_POLICY)
    return policy


def _attach_for_writing(work: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Attach the store file as `st` to the private connection `work` (waiting while another process holds it);
    StoreError when it cannot be. Callers hold writer_lock(target)."""
    retrying(target, lambda: work.execute("ATTACH ? AS st", [str(target)]))


@contextmanager
def attached_for_writing(work: duckdb.DuckDBPyConnection, path: Optional[PathLike] = None) -> Iterator[Path]:
    """The store attached as `st` to `work`, its tables present, under the writer lock; detached at the end."""
    target = store_path(path)
    with writer_lock(target):
        _attach_for_writing(work, target)
        try:
            try:
                _ensure_schema(work, "st")
            except duckdb.Error as err:
                raise store_error(target, err) from None
            yield target
        finally:
            work.execute("DETACH st")


def keep_results(path: Optional[PathLike] = None, policy: Optional[Union[Policy, PathLike]] = None) -> int:
    """Judge a store filled by other means than `import_file` now and keep the results in it; the clocks judged."""
    policy = _policy(policy)
    work = connect()
    try:
        with attached_for_writing(work, path):
            return write_kept(work, policy, now(), db="st")
    finally:
        work.close()


def _upsert(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Write loaded `tickets`/`events` into `st.*`: new and changed tickets only. Returns (new, updated, unchanged)."""
    store_cols = table_columns(con, "st.tickets")
    # DuckDB's names ignore case: ServiceNow's `state` and Intercom's `State` are one column of the store
    for extra in table_columns(con, "tickets"):
        if extra.lower() not in {c.lower() for c in store_cols}:
            con.execute(f"ALTER TABLE st.tickets ADD COLUMN {quote_ident(extra)} VARCHAR")
            store_cols.append(extra)
    incoming = {c.lower() for c in table_columns(con, "tickets")}
    select = ", ".join(
        f"i.{quote_ident(c)}" if c.lower() in incoming else f"NULL AS {quote_ident(c)}" for c in store_cols
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _in AS SELECT {select} FROM tickets i")
    whole = lambda alias: "struct_pack(" + ", ".join(  # noqa: E731 - the full row, for comparison
        f"c{i} := CAST({alias}.{quote_ident(c)} AS VARCHAR)" for i, c in enumerate(store_cols)
    ) + ")"
    # A history is compared only for a ticket the store holds: a new one is new whatever its events (a first
    # import of 1M tickets would otherwise build 1M lists from 3.3M events for nothing).
    history = """(SELECT ticket_id, list(struct_pack(a := "at", f := field, v := value) ORDER BY seq) AS h
                  FROM {src} WHERE ticket_id IN (SELECT ticket_id FROM st.tickets) GROUP BY ticket_id)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _changes AS
        SELECT i.ticket_id,
               CASE WHEN s.ticket_id IS NULL THEN 'new'
                    WHEN {whole('i')} IS DISTINCT FROM {whole('s')} OR ie.h IS DISTINCT FROM se.h THEN 'updated'
                    ELSE 'unchanged' END AS change
        FROM _in i
        LEFT JOIN st.tickets s ON s.ticket_id = i.ticket_id
        LEFT JOIN {history.format(src='events')} ie ON ie.ticket_id = i.ticket_id
        LEFT JOIN {history.format(src='st.events')} se ON se.ticket_id = i.ticket_id"""
    )
    con.execute(
        "DELETE FROM st.events WHERE ticket_id IN (SELECT ticket_id FROM _changes WHERE change = 'updated')"
    )
    con.execute(
        "DELETE FROM st.tickets WHERE ticket_id IN (SELECT ticket_id FROM _changes WHERE change = 'updated')"
    )
    cols = ", ".join(quote_ident(c) for c in store_cols)
    con.execute(
        f"""INSERT INTO st.tickets ({cols}) SELECT {cols} FROM _in
        WHERE ticket_id IN (SELECT ticket_id FROM _changes WHERE change <> 'unchanged')"""
    )
    ev_cols = ", ".join(quote_ident(c) for c in EVENT_COLUMNS)
    con.execute(
        f"""INSERT INTO st.events ({ev_cols}) SELECT {ev_cols} FROM events
        WHERE ticket_id IN (SELECT ticket_id FROM _changes WHERE change <> 'unchanged')"""
    )
    counts = dict(con.execute("SELECT change, count(*) FROM _changes GROUP BY change").fetchall())
    return int(counts.get("new", 0)), int(counts.get("updated", 0)), int(counts.get("unchanged", 0))


def _upsert_records(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[int, int, int]:
    """Write loaded signals or survey answers into `st.<kind>`, matched on their identity (a tool's id; an
    account's answer of one kind at one instant): new and changed rows only. Returns (new, updated, unchanged)."""
    columns, key = list(SPECS[kind].columns), SPECS[kind].identity
    on = " AND ".join(f"s.{quote_ident(k)} = i.{quote_ident(k)}" for k in key)
    whole = lambda alias: "struct_pack(" + ", ".join(  # noqa: E731 - the full row, for comparison
        f"c{n} := {alias}.{quote_ident(c)}" for n, c in enumerate(columns)) + ")"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _changes AS
        SELECT i.*, CASE WHEN s.{quote_ident(key[0])} IS NULL THEN 'new'
                         WHEN {whole('i')} IS DISTINCT FROM {whole('s')} THEN 'updated' ELSE 'unchanged' END AS change
        FROM {kind} i LEFT JOIN st.{kind} s ON {on}"""
    )
    con.execute(f"DELETE FROM st.{kind} s WHERE EXISTS (SELECT 1 FROM _changes i WHERE {on} AND change = 'updated')")
    cols = ", ".join(quote_ident(c) for c in columns)
    con.execute(f"INSERT INTO st.{kind} ({cols}) SELECT {cols} FROM _changes WHERE change <> 'unchanged'")
    counts = dict(con.execute("SELECT change, count(*) FROM _changes GROUP BY change").fetchall())
    return int(counts.get("new", 0)), int(counts.get("updated", 0)), int(counts.get("unchanged", 0))


def _record_import(
    con: duckdb.DuckDBPyConnection, file: str, export_format: str, mapping: Optional[str], report: LoadReport,
    new: int, updated: int, unchanged: int,
) -> int:
    import_id = fetch_one(con.execute("SELECT coalesce(max(id), 0) + 1 FROM st.imports"))[0]
    if report.format == "events":
        rows = (report.events_rows_read, report.events_accepted, report.events_rejected)
    else:
        rows = (report.rows_read, report.accepted, report.rejected)
    con.execute(
        "INSERT INTO st.imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [import_id, now(), file, export_format, mapping, *rows, report.accepted, report.rejected,
         new, updated, unchanged],
    )
    con.execute(
        'INSERT INTO st.import_rejects SELECT ?, row_number, "column", value, reason, file, ticket_id FROM rejects',
        [import_id],
    )
    return int(import_id)


@dataclass
class Stored:
    """What one write of loaded data changed in the store."""

    kind: str  # tickets, or the signal / survey / deploy kind loaded
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    import_id: Optional[int] = None  # its `imports` row, when one was written


def store_loaded(
    work: duckdb.DuckDBPyConnection,
    report: Optional[LoadReport],
    *,
    actor: Actor,
    file: str,
    export_format: str,
    mapping: Optional[str],
    action: str,
    describe: Callable[[Stored], Optional[str]],
    also: Callable[[duckdb.DuckDBPyConnection, Stored], None] = lambda con, stored: None,
    quiet_when_unchanged: bool = False,
) -> Stored:
    """In ONE transaction of the store attached to `work` as `st` (attached_for_writing): upsert what `work`
    loaded (`report`; None when nothing was), its `imports` row and rejects, the caller's own statements (`also`,
    such as a sync cursor) and the audit row `describe` words (None: no row). All of it commits or none does.

    quiet_when_unchanged: write no `imports` row for a load that changed and rejected nothing (a sync page
    fetched again), so a run with nothing new leaves the store as it was.
    """
    kind = report.format if report is not None and report.format in SIGNAL_FORMATS else "tickets"
    stored = Stored(kind)
    work.execute("BEGIN TRANSACTION")
    try:
        if report is not None:
            upsert = _upsert(work) if kind == "tickets" else _upsert_records(work, kind)
            stored.new, stored.updated, stored.unchanged = upsert
            changed = stored.new or stored.updated or report.rejected or report.events_rejected
            if changed or not quiet_when_unchanged:
                stored.import_id = _record_import(work, file, export_format, mapping, report, *upsert)
        also(work, stored)
        what = describe(stored)
        if what:
            record(work, actor, action, what, db="st")
        work.execute("COMMIT")
    except BaseException:
        _rollback(work)
        raise
    return stored


def judge_and_keep(work: duckdb.DuckDBPyConnection, policy: Policy) -> tuple[int, Optional[str]]:
    """Judge the store attached as `st` now and keep the results (kept.py): (clocks judged, why none were kept).
    The data is in by then, so a failure costs only speed and is reported, not raised."""
    try:
        return write_kept(work, policy, now(), db="st"), None
    except Exception as err:  # noqa: BLE001 - whatever it was, the write itself is done
        return 0, " ".join(str(err).split())[:200] or type(err).__name__


def import_file(
    path: PathLike,
    export_format: str = "plain",
    mapping_path: Optional[PathLike] = None,
    db: Optional[PathLike] = None,
    rejects_path: Optional[PathLike] = None,
    policy: Optional[Union[Policy, PathLike]] = None,
    *,
    events: Optional[PathLike] = None,
    actor: Optional[Actor] = None,
    memory_limit: Optional[str] = None,
    progress: Callable[[str], None] = lambda line: None,
    tool: Optional[str] = None,
) -> ImportReport:
    """Load an export and upsert it into the store in one transaction, with its audit row.

    Raises LoadError / MappingError for a bad file or mapping (the store is not
    touched), StoreError when the store cannot be opened, AccessError when the
    actor (default: the operating-system user) is not an admin. `progress` hears one
    line per phase (loaded, stored, judged) with its counts and seconds. `tool` names the tool of every deploy of
    a deploys file (`import --tool`).
    """
    actor = actor or local_actor()
    require(actor, "admin", "an import into the store")
    from sla_core.csv_safe import write_csv_safe

    policy = _policy(policy)
    mapping: Optional[Mapping] = None
    if mapping_path is not None:
        mapping = load_mapping(mapping_path)
    target = store_path(db)
    work = connect(memory_limit)
    started = time.perf_counter()
    try:
        report = load_files(work, path, events, policy, export_format=export_format, mapping=mapping, tool=tool)
        noun = SPECS[report.format].noun if report.format in SPECS else "tickets"
        progress(f"loaded: {report.accepted:,} {noun} accepted, {report.rejected:,} rejected"
                 f"{f', {report.events_accepted:,} events' if report.events_accepted else ''} "
                 f"({time.perf_counter() - started:.1f} s)")
        if rejects_path is not None:
            write_csv_safe(work, "rejects", rejects_path, order_by=("file DESC", "row_number"))
        with attached_for_writing(work, target):
            stored = store_loaded(
                work, report, actor=actor, file=str(Path(path)), export_format=export_format,
                mapping=str(mapping_path) if mapping_path else None, action="import",
                describe=lambda done: (f"import {done.import_id}: {Path(path).name} ({export_format}, {done.kind}), "
                                       f"{done.new} new, {done.updated} updated, {done.unchanged} unchanged, "
                                       f"{report.rejected} rejected"),
            )
            kind, new, updated, unchanged = stored.kind, stored.new, stored.updated, stored.unchanged
            import_id = int(stored.import_id or 0)
            progress(f"stored: {new:,} new, {updated:,} updated, {unchanged:,} unchanged "
                     f"({time.perf_counter() - started:.1f} s)")
            # The whole store judged once, so the dashboard starts without judging all history again.
            # The data is in by now: a failure here costs only speed, and is reported, not raised.
            judged, not_kept = 0, None
            if kind == "tickets":  # signals and answers change no clock
                judged, not_kept = judge_and_keep(work, policy)
                progress(f"judged: {judged:,} clocks kept for the dashboard "
                         f"({time.perf_counter() - started:.1f} s)")
    finally:
        work.close()
    return ImportReport(
        import_id=import_id, store=str(target), file=str(path), export_format=export_format, load=report,
        new=new, updated=updated, unchanged=unchanged, kind=kind,
        rejects_file=str(rejects_path) if rejects_path is not None else None, judged=judged, not_kept=not_kept,
    )


def audit_trail(path: PathLike) -> pd.DataFrame:
    """Every audit row of a store or records file, newest first (empty when the file does not exist yet)."""
    if not Path(path).is_file():
        return pd.DataFrame(columns=["at", "who", "role", "action", "what"])
    con = open_store(path)
    try:
        return con.execute('SELECT "at", who, role, action, what FROM audit ORDER BY "at" DESC, rowid DESC').df()
    finally:
        con.close()


def store_imports(path: Optional[PathLike] = None) -> list[dict[str, object]]:
    """The import history (newest first) for the review page: when, which file, what it changed."""
    con = open_store(path, read_only=True)
    try:
        cur = con.execute("SELECT * FROM imports ORDER BY id DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    except duckdb.Error as err:
        raise store_error(store_path(path), err) from None
    finally:
        con.close()


__all__ = [
    "DEFAULT_STORE",
    "ImportReport",
    "StoreError",
    "attach_store",
    "import_file",
    "keep_results",
    "open_store",
    "Stored",
    "attached_for_writing",
    "audit_trail",
    "audited_write",
    "judge_and_keep",
    "lock_wait",
    "store_loaded",
    "writer_lock",
    "store_with",
    "store_imports",
    "store_path",
]
