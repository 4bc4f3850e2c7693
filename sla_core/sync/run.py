"""`sync`: each configured source, page by page, into the store; then the changed tickets judged as `import` does.

Per source: read its cursor from `sync_state`, ask its connector for the pages after it, and for each page
load it with the tool's preset in a private database (as `import` loads a file: a bad page never touches the
store), then in ONE store transaction upsert its records, advance the cursor and write the audit row
(`store.store_loaded`). So the cursor never passes data the store lacks:

- a run killed (kill -9) anywhere before a page's COMMIT leaves that page and its cursor unwritten, and the
  next run fetches it again; killed after, the page and its cursor are in, and the next run goes on after it.
  Nothing is lost, and the upsert by id means nothing is stored twice;
- a re-run with nothing new fetches what its cursor points at, finds every record unchanged and its cursor
  where it was, and writes no data, no cursor and no `imports` row: only the run's own audit row and its time
  in `sync_state` (the app's freshness line);
- a source that fails (SourceFailed: refused credentials, a server that keeps failing, a rate limit past the
  bound; or a page the loader cannot read) stops with what it committed kept and one line, and the next
  source goes on; the run exits non-zero.

Then, when any page changed tickets (or an earlier run was killed before judging them), the store is judged
once and the results kept (kept.py), as after an import. Two runs of one source never overlap: the second
skips it (`STORE.sync-NAME.lock`), so cron may start a run before the last one ended.

`SLA_BOARD_SYNC_HOLD=<point>:<page>` is a test hook: the run stops (sleeps) at that point of that page so a
test can kill it there; points are `loaded` (page loaded, store untouched), `upserted` (inside the transaction,
records written, cursor not yet), `cursor` (cursor written, not committed) and `committed`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import duckdb

from sla_core.access import Actor, local_actor, require
from sla_core.errors import UserError
from sla_core.ingest.audit import record
from sla_core.ingest.loading import LoadReport, load_files
from sla_core.ingest.mapping import Mapping as LoadMapping
from sla_core.ingest.mapping import load_mapping, preset
from sla_core.ingest.store import (
    Stored,
    StoreError,
    attached_for_writing,
    judge_and_keep,
    open_store,
    store_loaded,
    store_path,
)
from sla_core.now import now
from sla_core.policy import Policy
from sla_core.sqlutil import connect, fetch_one
from sla_core.sync import state
from sla_core.sync.config import SourceFailed, SyncConfig, SyncConfigError, credentials
from sla_core.sync.connectors import connector
from sla_core.sync.http import Client, Limits
from sla_core.sync.pages import Connector, Context, Cursor, Page, write_page, write_surveys

HOLD_ENV = "SLA_BOARD_SYNC_HOLD"
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs of one source are not kept apart
    fcntl = None  # type: ignore[assignment]


@dataclass
class SourceReport:
    """What one source's run did."""

    name: str
    tool: str
    fetched: int = 0
    accepted: int = 0
    rejected: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    pages: int = 0
    cursor: Optional[Cursor] = None
    error: Optional[str] = None
    skipped: Optional[str] = None
    # survey answers read with the tickets (new, updated, unchanged, rejected); None: the source read none
    answers: Optional[tuple[int, int, int, int]] = None

    def answered(self, loaded: LoadReport, stored: Optional[Stored]) -> None:
        new, updated, unchanged, rejected = self.answers or (0, 0, 0, 0)
        if stored is not None:
            new, updated, unchanged = new + stored.new, updated + stored.updated, unchanged + stored.unchanged
        self.answers = (new, updated, unchanged, rejected + loaded.rejected)

    def counted(self, loaded: Optional[LoadReport], stored: Optional[Stored]) -> None:
        self.pages += 1
        if loaded is not None:
            self.accepted += loaded.accepted
            self.rejected += loaded.rejected + loaded.events_rejected
        if stored is not None:
            self.new, self.updated, self.unchanged = (
                self.new + stored.new, self.updated + stored.updated, self.unchanged + stored.unchanged)

    def line(self) -> str:
        """What the command prints for the source, and its audit row says."""
        head = f"{self.name} ({self.tool}): "
        if self.skipped:
            return head + f"skipped: {self.skipped}"
        answers = ("survey answers: {} new, {} updated, {} unchanged, {} rejected; ".format(*self.answers)
                   if self.answers is not None else "")
        counts = (f"fetched {self.fetched}, accepted {self.accepted}, rejected {self.rejected}; "
                  f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged; {answers}"
                  f"cursor {json.dumps(self.cursor, sort_keys=True) if self.cursor is not None else 'none'}")
        return head + (f"FAILED: {self.error} ({counts})" if self.error else counts)

    def audit(self) -> str:
        return f"sync {self.line()}"


@dataclass
class SyncReport:
    """What a run did: each source's report, and the judging after them."""

    sources: list[SourceReport] = field(default_factory=list)
    judged: int = 0
    not_kept: Optional[str] = None
    dry_run: bool = False

    @property
    def failed(self) -> bool:
        return any(s.error for s in self.sources)

    def lines(self) -> list[str]:
        out = [s.line() for s in self.sources]
        if self.dry_run:
            out.append("dry run: nothing was written")
        elif self.not_kept:
            out.append(f"results not kept ({self.not_kept}): the dashboard will judge every clock itself")
        elif self.judged:
            out.append(f"{self.judged:,} clocks judged and kept for the dashboard")
        return out


def _hold(point: str, page: int) -> None:
    """The test hook of the module docstring."""
    if os.environ.get(HOLD_ENV) == f"{point}:{page}":
        print(f"sync: holding at {point} of page {page}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


@contextmanager
def _one_run_of(target: Path, name: str) -> Iterator[bool]:
    """Whether this process may run the source now: no other sync of it on this store is running."""
    if fcntl is None:
        yield True
        return
    fd = os.open(f"{target}.sync-{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_store(target: Path, sql: str, params: Sequence[Any], table: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query of the store; none when the store or the table does not exist yet."""
    if not target.is_file():
        return []
    con = open_store(target, read_only=True)
    try:
        if not fetch_one(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]))[0]:
            return []
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _stored_cursor(target: Path, name: str) -> Optional[Cursor]:
    rows = _read_store(target, "SELECT cursor FROM sync_state WHERE source = ?", [name], "sync_state")
    return json.loads(rows[0][0]) if rows and rows[0][0] else None


def _stored_open(target: Path, tool: str) -> Callable[[], list[str]]:
    return lambda: [str(r[0]) for r in _read_store(
        target, "SELECT signal_id FROM signals WHERE source = ? AND resolved_at IS NULL ORDER BY signal_id",
        [tool], "signals")]


def _stored_events(target: Path) -> Callable[[list[str]], list[dict[str, str]]]:
    """Tickets' stored history, for a connector whose API gives only the changes since its cursor (Zendesk's metric
    events): each page must carry a ticket's whole history, as the upsert replaces it."""
    def read(ids: list[str]) -> list[dict[str, str]]:
        found = _read_store(target, 'SELECT ticket_id, "at", field, value FROM events '
                            'WHERE list_contains(?, ticket_id) ORDER BY ticket_id, "at", seq',
                            [ids], "events") if ids else []
        return [{"ticket_id": str(t), "at": at.astimezone(UTC).isoformat(), "field": str(f), "value": str(v)}
                for t, at, f, v in found]
    return read


def _dedupe(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The last row of each id (a record that changed while the pages were read comes again, newer)."""
    last: dict[Any, dict[str, Any]] = {}
    for item in rows:
        last.pop(item.get(key), None)
        last[item.get(key)] = item
    return list(last.values())


@dataclass
class _Run:
    """One source's run: where it writes, how it loads a page, and what it did so far."""

    target: Path
    name: str
    tool: Connector
    mapping: Optional[LoadMapping]  # the source's own mapping file, else None: the preset, as `import`
    mapping_file: Optional[str]
    policy: Policy
    actor: Actor
    dry_run: bool
    report: SourceReport

    def take(self, page: Page, number: int) -> None:
        """Load one page privately, then store it and its cursor in one transaction (not in a dry run)."""
        rows = _dedupe(page.rows, self.tool.key)
        events = list({tuple(e.items()): e for e in page.events}.values())
        self.report.fetched += page.fetched
        if page.surveys:
            self._answers(page, number)
        work = connect()
        try:
            loaded = None
            if rows:
                with tempfile.TemporaryDirectory(prefix="sla_sync_") as folder:
                    path, events_path = write_page(Page(rows, page.cursor, page.fetched, events), self.tool,
                                                   Path(folder))
                    loaded = load_files(work, path, events_path, self.policy, export_format=self.tool.export_format,
                                        mapping=self.mapping)
            _hold("loaded", number)
            if self.dry_run:
                self.report.counted(loaded, None)
                self.report.cursor = page.cursor
                return
            self.report.counted(loaded, self._store(work, loaded, page.cursor, number))
            self.report.cursor = page.cursor
            _hold("committed", number)
        finally:
            work.close()

    def _answers(self, page: Page, number: int) -> None:
        """The page's survey answers, loaded as `import` loads a survey answers file and stored in their own
        transaction before the page's (no cursor moves with them): a run killed between the two stores them
        again next time, unchanged, as they are matched on account, time and kind."""
        answers = list({(a["account"], a["at"], a["kind"]): a for a in page.surveys}.values())
        work = connect()
        try:
            with tempfile.TemporaryDirectory(prefix="sla_sync_") as folder:
                path = write_surveys(Page([], page.cursor, 0, surveys=answers), Path(folder))
                loaded = load_files(work, path, None, self.policy, export_format=self.tool.export_format,
                                    mapping=LoadMapping(format="surveys"))
            if self.dry_run:
                self.report.answered(loaded, None)
                return

            def describe(stored: Stored) -> Optional[str]:
                if not (stored.new or stored.updated or loaded.rejected):
                    return None
                return (f"sync {self.name} page {number}: {stored.new} new, {stored.updated} updated, "
                        f"{stored.unchanged} unchanged, {loaded.rejected} rejected (survey answers)")

            with attached_for_writing(work, self.target):
                stored = store_loaded(work, loaded, actor=self.actor, file=f"sync {self.name} survey answers",
                                      export_format=self.tool.export_format, mapping=None, action="sync",
                                      describe=describe, quiet_when_unchanged=True)
            self.report.answered(loaded, stored)
        finally:
            work.close()

    def _store(self, work: duckdb.DuckDBPyConnection, loaded: Optional[LoadReport], cursor: Cursor,
               number: int) -> Stored:
        def also(con: duckdb.DuckDBPyConnection, stored: Stored) -> None:
            _hold("upserted", number)
            changed = stored.kind == "tickets" and bool(stored.new or stored.updated)
            state.save_cursor(con, self.name, self.tool.tool, cursor, now(), changed_tickets=changed)
            _hold("cursor", number)

        def describe(stored: Stored) -> Optional[str]:
            rejected = (loaded.rejected + loaded.events_rejected) if loaded else 0
            if not (stored.new or stored.updated or rejected):
                return None  # fetched again, or only the cursor moved: the run's own row says where it ended
            return (f"sync {self.name} page {number}: {stored.new} new, {stored.updated} updated, "
                    f"{stored.unchanged} unchanged, {rejected} rejected ({stored.kind})")

        with attached_for_writing(work, self.target):
            state.ensure(work)
            return store_loaded(work, loaded, actor=self.actor, file=f"sync {self.name}",
                                export_format=self.tool.export_format, mapping=self.mapping_file, action="sync",
                                describe=describe, also=also, quiet_when_unchanged=True)


def _context(name: str, config: SyncConfig, tool: Connector, client: Client, policy: Policy,
             mapping: Optional[LoadMapping], target: Path) -> Context:
    return Context(name=name, source=config.sources[name], config=config, client=client, policy=policy, now=now(),
                   mapping=mapping or preset(tool.preset_name), stored_open=_stored_open(target, tool.export_format),
                   stored_events=_stored_events(target))


def _source(name: str, config: SyncConfig, target: Path, policy: Policy, actor: Actor, dry_run: bool,
            env: Mapping[str, str], sleep: Callable[[float], None]) -> SourceReport:
    """One source's run; its failure is its report's error, never raised."""
    source = config.sources[name]
    tool = connector(source.tool)
    report = SourceReport(name, source.tool)
    with (_one_run_of(target, name) if not dry_run else nullcontext(True)) as mine:
        if not mine:
            report.skipped = "another sync of it is running on this store"
            return report
        try:
            secrets = credentials(name, source, env)
            path = config.mapping_path(name)
            mapping = load_mapping(path) if path else None
            headers, basic = tool.auth(secrets)
            limits = Limits(config.timeout, config.retries, config.backoff, config.retry_after_max)
            run = _Run(target, name, tool, mapping, str(path) if path else None, policy, actor, dry_run, report)
            report.cursor = _stored_cursor(target, name)
            with Client(name, source.base_url, headers=headers, auth=basic, limits=limits, sleep=sleep,
                        variables=[source.credentials[k] for k in sorted(source.credentials)]) as client:
                context = _context(name, config, tool, client, policy, mapping, target)
                for number, page in enumerate(tool.pages(context, report.cursor), 1):
                    run.take(page, number)
        except SourceFailed as err:
            report.error = " ".join(str(err).split())
        except (UserError, duckdb.Error) as err:  # a page the loader cannot read, a mapping, a busy store
            report.error = f"{name}: {' '.join(str(err).split())[:300]}"
        if not dry_run:
            _finish(target, report, source.schedule, actor)
    return report


def _finish(target: Path, report: SourceReport, schedule: float, actor: Actor) -> None:
    """The run's end in `sync_state` and its audit row, together; a store too busy to take them is reported."""
    work = connect()
    try:
        with attached_for_writing(work, target):
            state.ensure(work)
            work.execute("BEGIN TRANSACTION")
            try:
                state.record_run(work, report.name, report.tool, now(), schedule, report.error)
                record(work, actor, "sync", report.audit(), db="st")
                work.execute("COMMIT")
            except BaseException:
                work.execute("ROLLBACK")
                raise
    except StoreError as err:
        report.error = report.error or f"{report.name}: the run's end was not recorded ({err})"
    finally:
        work.close()


def _judge(target: Path, policy: Policy, report: SyncReport) -> None:
    """Judge the store once when a page changed tickets, now or in a run killed before it judged them."""
    if not target.is_file():
        return
    work = connect()
    try:
        with attached_for_writing(work, target):
            state.ensure(work)
            if state.judge_pending(work):
                report.judged, report.not_kept = judge_and_keep(work, policy)
                if report.not_kept is None:
                    state.judged(work)
    except StoreError as err:  # the pages are in; the next run judges them (judge_pending stays)
        report.not_kept = str(err)
    finally:
        work.close()


def selected(config: SyncConfig, only: Sequence[str]) -> list[str]:
    """The sources to run: all, or those `--only` names (each must be configured)."""
    unknown = [name for name in only if name not in config.sources]
    if unknown:
        raise SyncConfigError(f"--only {unknown[0]}: no such source (configured: {', '.join(config.sources)})")
    return [name for name in config.sources if not only or name in only]


def sync(
    db: Optional[Path],
    config: SyncConfig,
    policy: Policy,
    *,
    only: Sequence[str] = (),
    dry_run: bool = False,
    actor: Optional[Actor] = None,
    env: Optional[Mapping[str, str]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Run the sources (all, or `only`) into the store `db`; see the module docstring."""
    actor = actor or local_actor()
    if not dry_run:
        require(actor, "admin", "a sync into the store")
    target = store_path(db)
    report = SyncReport(dry_run=dry_run)
    for name in selected(config, only):
        report.sources.append(_source(name, config, target, policy, actor, dry_run, env or os.environ, sleep))
    if not dry_run:
        _judge(target, policy, report)
    return report


__all__ = ["HOLD_ENV", "SourceReport", "SyncReport", "selected", "sync"]
