"""The persistent store: upserts by ticket id in one transaction; failures leave it as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest

from sla_core.ingest import store as store_module
from sla_core.ingest.loading import LoadError
from sla_core.ingest.store import StoreError, attach_store, import_file, open_store, store_imports
from sla_core.simulate.scenarios import SCENARIOS_DDL

from .helpers import ROOT, accounted

HEADER = "ticket_id,created_at,impact,resolved_at,customers_affected\n"
EVENTS_HEADER = "ticket_id,at,field,value\n"


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Everything in the store, sorted: two equal snapshots mean nothing changed."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in ("tickets", "events", "imports", "import_rejects")
        }
    finally:
        con.close()


@pytest.fixture
def export(write):
    tickets = write("export.csv", HEADER + (
        "T1,2026-01-05 09:00,high,2026-01-05 12:00,\n"
        "T2,2026-01-05 10:00,low,,\n"
        "T3,2026-01-05 11:00,bogus,,\n"
    ))
    events = write("events.csv", EVENTS_HEADER + (
        "T1,2026-01-05 10:00,status,waiting_on_customer\n"
        "T1,2026-01-05 11:00,status,open\n"
    ))
    return tickets, events


def test_first_import_then_the_same_export_again_changes_nothing(export, tmp_path, policy):
    db = tmp_path / "store.duckdb"
    first = import_file(export[0], db=db, policy=policy, events=export[1])
    accounted(first.load)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    before = snapshot(db)
    again = import_file(export[0], db=db, policy=policy, events=export[1])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    after = snapshot(db)
    assert after["tickets"] == before["tickets"]
    assert after["events"] == before["events"]
    imports = store_imports(db)
    assert [(i["id"], i["rows_read"], i["accepted"], i["rejected"], i["new"], i["updated"]) for i in imports] == [
        (2, 3, 2, 1, 0, 0), (1, 3, 2, 1, 2, 0)]
    assert imports[0]["file"].endswith("export.csv") and imports[0]["source"] == "plain"


def test_updated_export_updates_changed_tickets_and_replaces_their_events(export, tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(export[0], db=db, policy=policy, events=export[1])
    updated = write("export2.csv", HEADER + (
        "T1,2026-01-05 09:00,high,2026-01-05 12:00,\n"      # same row, but its events change
        "T2,2026-01-05 10:00,low,2026-01-06 09:00,\n"       # now resolved
        "T4,2026-01-06 08:00,medium,,\n"                    # new
    ))
    events2 = write("events2.csv", EVENTS_HEADER + "T1,2026-01-05 10:30,status,waiting_on_third_party\n")
    report = import_file(updated, db=db, policy=policy, events=events2)
    assert (report.new, report.updated, report.unchanged) == (1, 2, 0)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT ticket_id, resolved_at IS NOT NULL FROM tickets ORDER BY 1").fetchall() == [
        ("T1", True), ("T2", True), ("T4", False)]
    assert con.execute("SELECT ticket_id, value FROM events").fetchall() == [("T1", "waiting_on_third_party")]
    con.close()


def test_extra_columns_are_kept_in_the_store(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("a.csv", "ticket_id,created_at,impact,Region\nT1,2026-01-05 09:00,high,EMEA\n"), db=db,
                policy=policy)
    import_file(write("b.csv", "ticket_id,created_at,impact,Plan\nT2,2026-01-05 09:00,high,Gold\n"), db=db,
                policy=policy)
    con = duckdb.connect()
    attach_store(con, db)
    assert con.execute('SELECT ticket_id, "Region", "Plan" FROM tickets ORDER BY 1').fetchall() == [
        ("T1", "EMEA", None), ("T2", None, "Gold")]


def test_a_failure_inside_the_transaction_leaves_the_store_as_it_was(export, tmp_path, policy, write, monkeypatch):
    db = tmp_path / "store.duckdb"
    import_file(export[0], db=db, policy=policy, events=export[1])
    before = snapshot(db)

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_module, "_record_import", explode)
    changed = write("changed.csv", HEADER + "T1,2026-01-05 09:00,critical,,\nT9,2026-01-07 09:00,low,,\n")
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_file(changed, db=db, policy=policy)
    assert snapshot(db) == before


def test_a_bad_file_never_touches_the_store(export, tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(export[0], db=db, policy=policy, events=export[1])
    before = snapshot(db)
    with pytest.raises(LoadError):
        import_file(write("empty.csv", ""), db=db, policy=policy)
    assert snapshot(db) == before


KILLED_IMPORT = textwrap.dedent(
    """
    import sys, time
    from sla_core.ingest import store

    real = store._record_import

    def record_then_hang(con, *args):
        result = real(con, *args)   # every write of the import is done, the COMMIT is not
        print("in transaction", flush=True)
        time.sleep(600)
        return result

    store._record_import = record_then_hang
    store.import_file(sys.argv[1], db=sys.argv[2], policy=sys.argv[3])
    """
)


def test_a_killed_import_leaves_the_store_as_it_was(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("small.csv", HEADER + "T1,2026-01-05 09:00,high,,\n"), db=db, policy=policy)
    before = snapshot(db)
    big = tmp_path / "big.csv"
    gen = duckdb.connect()
    gen.execute(
        """COPY (SELECT 'G' || i AS ticket_id, TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE AS created_at,
                 ['critical','high','medium','low'][1 + i % 4] AS impact, NULL AS resolved_at, i % 50 AS customers_affected
                 FROM range(300000) r(i)) TO ? (FORMAT csv, HEADER true)""",
        [str(big)],
    )
    gen.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(big), str(db), str(ROOT / "sample_data" / "policy.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "in transaction", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    # and the store still takes imports
    report = import_file(write("next.csv", HEADER + "T2,2026-01-05 09:00,low,,\n"), db=db, policy=policy)
    assert report.new == 1


def test_a_locked_store_gives_a_clear_message(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\n"), db=db, policy=policy)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(600)",
         str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="in use by another process"):
            import_file(write("b.csv", HEADER + "T2,2026-01-05 09:00,high,,\n"), db=db, policy=policy)
        with pytest.raises(StoreError, match="in use by another process"):
            open_store(db, read_only=True)
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_corrupt_or_missing_store_gives_a_clear_message(tmp_path, policy, write):
    bad = tmp_path / "store.duckdb"
    bad.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreError, match="not a readable DuckDB database"):
        open_store(bad)
    with pytest.raises(StoreError, match="not a readable DuckDB database"):
        import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\n"), db=bad, policy=policy)
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "absent.duckdb", read_only=True)


def test_default_store_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SLA_BOARD_DB", str(tmp_path / "env.duckdb"))
    assert store_module.store_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("SLA_BOARD_DB")
    assert store_module.store_path() == Path("sla_board.duckdb")


def test_read_only_store_for_the_app(export, tmp_path, policy):
    db = tmp_path / "store.duckdb"
    import_file(export[0], db=db, policy=policy, events=export[1])
    con = open_store(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (2,)
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM tickets")
    finally:
        con.close()


def test_a_table_another_session_is_creating_is_waited_for_not_refused(tmp_path: Path) -> None:
    # Two sessions of the app open a new records file at once: while one's CREATE TABLE is not yet committed,
    # the other's CREATE TABLE IF NOT EXISTS meets DuckDB's "write-write conflict on create". It waits for the
    # first to commit and finds the table, instead of telling the user the store cannot be used.
    path = tmp_path / "records.duckdb"
    open_store(path).close()
    first = duckdb.connect(str(path))  # the same database instance as the store's own connections
    first.execute("BEGIN TRANSACTION")
    first.execute(SCENARIOS_DDL)
    done = threading.Timer(0.1, lambda: first.execute("COMMIT"))
    done.start()
    try:
        with store_module.store_with(path, [SCENARIOS_DDL]) as con:
            assert con.execute("SELECT count(*) FROM scenarios").fetchone() == (0,)
    finally:
        done.join()
        first.close()
