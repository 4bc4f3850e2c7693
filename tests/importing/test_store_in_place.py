"""The board reads the store in place, from a snapshot of its own (sla_core.sources.store_source), and holds no
lock on it: an import while the Review is open succeeds at once, and the open Review shows the new data after
a refresh. A snapshot is taken while no writer writes, and leaves no file behind."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sla_core.analysis import review
from sla_core.ingest.store import import_file
from sla_core.policy import Policy
from sla_core.sources import DataSource, store_source
from ui.state import StateKeys

from .helpers import ROOT

SAMPLE = ROOT / "sample_data"
HEADER = "ticket_id,created_at,impact,acknowledged_at,action_plan_at\n"
# Five critical tickets of 2026-10 (the month the Review opens on: the sample ends in November), acknowledged
# in 10 minutes and planned in 40: ten clocks met in October.
LATE_ARRIVALS = HEADER + "".join(
    f"NEW-{n},2026-10-{10 + n}T10:00:00+00:00,critical,2026-10-{10 + n}T10:10:00+00:00,"
    f"2026-10-{10 + n}T10:40:00+00:00\n" for n in range(5))
HOLD = """
import sys, time
from sla_core.ingest.store import import_file, writer_lock
with writer_lock(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(1.0)
    import_file(sys.argv[2], db=sys.argv[1], policy=sys.argv[3])
"""


@pytest.fixture
def store(tmp_path: Path, policy: Policy) -> Path:
    db = tmp_path / "store.duckdb"
    import_file(SAMPLE / "tickets.csv", db=db, policy=policy)
    return db


def _headline(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_import_while_the_review_is_open_succeeds_and_a_refresh_shows_it(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLA_BOARD_DB", str(store))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[StateKeys.CHOSEN_SOURCE] = "store"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    before: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    filters = at.session_state[StateKeys.ACTIVE_FILTERS]
    assert before.kind == "store" and before.tickets == 3000 and filters.period.isoformat() == "2026-10-01"
    shown = _headline(at)

    # The Review stays open (its source and snapshot alive) while another process imports, allowed no wait at all.
    export = tmp_path / "late.csv"
    export.write_text(LATE_ARRIVALS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sla_core", "import", str(export), "--db", str(store), "--policy",
         str(SAMPLE / "policy.yaml")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "SLA_BOARD_LOCK_WAIT": "0"},
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert before.con.execute("SELECT count(*) FROM tickets").fetchone() == (3000,)  # the open page's data held still

    at.run()  # the reader refreshes
    assert not at.exception, [e.value for e in at.exception]
    after: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    assert after is not before and after.version != before.version and after.tickets == 3005
    head, was = review.headline(after, filters), review.headline(before, filters)
    assert head.month.met == was.month.met + 10  # hand-worked above: 5 tickets x 2 clocks met
    assert _headline(at)["Clocks met"] == f"{head.month.met:,}" != shown["Clocks met"]


def test_the_store_is_read_in_place_from_a_snapshot_no_file_outlives(
    store: Path, policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the snapshot is made
    source = store_source(policy, store)
    kinds = dict(source.con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'memory'").fetchall())
    # tickets, events, signals, surveys and the kept results are read from the snapshot; only what the review
    # builds (its outcomes) and the clocks judged again here are tables in memory.
    assert {t: kinds[t] for t in ("tickets", "events", "signals", "surveys", "sla_results")} == dict.fromkeys(
        ("tickets", "events", "signals", "surveys", "sla_results"), "VIEW")
    assert source.kept_at is not None and kinds["review_outcomes"] == "BASE TABLE"
    # The snapshot was deleted once attached (DuckDB reads it through the file it holds open; the system frees it
    # with the connection): nothing is left behind, even by a server killed mid-way.
    snapshot = Path(source.con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = 'sla_store'").fetchone()[0])
    assert snapshot.parent.parent == scratch and not snapshot.parent.exists()
    assert not list(scratch.glob("sla_board_store_*"))
    assert source.con.execute("SELECT count(*) FROM tickets").fetchone() == (3000,)
    source.con.close()


def test_a_snapshot_waits_for_the_writer_and_holds_what_it_wrote(store: Path, policy: Policy, tmp_path: Path) -> None:
    export = tmp_path / "late.csv"
    export.write_text(LATE_ARRIVALS, encoding="utf-8")
    writer = subprocess.Popen([sys.executable, "-c", HOLD, str(store), str(export), str(SAMPLE / "policy.yaml")],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        source = store_source(policy, store)  # taken while the writer holds the store: waits for it to finish
    finally:
        assert writer.wait(timeout=300) == 0
    assert source.tickets == 3005
    source.con.close()
