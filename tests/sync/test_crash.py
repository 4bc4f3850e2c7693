"""kill -9 of a `python -m sla_core sync` process at fixed points of a page, then a resume: nothing lost, nothing
stored twice. The points are deterministic: run.py's test hook (SLA_BOARD_SYNC_HOLD=<point>:<page>) sleeps there
and says so on stderr, or the local server stalls on a request; the test kills the process while it waits.

- loaded:2     page 2 loaded in the private database; the store untouched
- upserted:2   inside page 2's transaction: its records written, its cursor not yet
- cursor:2     the cursor written too, not committed
- committed:2  page 2 committed, page 3 not asked for
- committed:4  every page committed, the results not judged yet (judge_pending)
- stall        waiting on the server for page 3

A page's survey answers are stored just before it (Freshdesk's ratings): killed at loaded:3, page 3's answer
(ticket 4's rating) is in and its ticket and cursor are not; the resume stores them again, unchanged, and the answers equal a clean
run's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.sync.helpers import SECRETS, imported, rows, run, signals, source, tickets, write_config
from tests.sync.server import Server
from tests.sync.vendors import world
from tests.conftest import ROOT

CASES = [("zendesk", "loaded:2"), ("zendesk", "upserted:2"), ("zendesk", "cursor:2"), ("zendesk", "committed:2"),
         ("zendesk", "committed:4"), ("zendesk", "stall"), ("servicenow", "upserted:2"), ("jira", "cursor:2"),
         ("pagerduty", "upserted:2"), ("freshdesk", "loaded:3")]


def _kill_at(point: str, store: Path, config: Path, vendor) -> None:  # noqa: ANN001 - a World
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
    if point == "stall":
        vendor.stall(vendor.listing, after=2)
    else:
        env["SLA_BOARD_SYNC_HOLD"] = point
    process = subprocess.Popen([sys.executable, "-m", "sla_core", "sync", "--db", str(store), "--config", str(config)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if point == "stall":
            assert vendor.stalled.wait(60), "the sync never reached the stalled request"
        else:
            for line in process.stderr:  # type: ignore[union-attr]
                if line.startswith("sync: holding at"):
                    break
            else:
                pytest.fail(f"the sync ended before {point}: {process.wait()} {process.stdout.read()}")  # type: ignore[union-attr]
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        vendor.release.set()


@pytest.mark.parametrize(("tool", "point"), CASES, ids=[f"{t}-{p}" for t, p in CASES])
def test_a_killed_sync_resumes_with_nothing_lost_or_doubled(tool: str, point: str, tmp_path: Path) -> None:
    vendor = world(tool)
    server = Server(vendor)
    try:
        config = write_config(tmp_path, {"src": source(tool, server.url, **vendor.scope())})
        store = tmp_path / "store.duckdb"
        _kill_at(point, store, config, vendor)
        if tool == "freshdesk":  # page 3 holds ticket 4 alone: its rating is stored as an answer, the ticket not
            killed = [dict(r) for r in rows(store, "surveys", '"at"')]
            assert len(killed) == 2 and "4" not in {dict(t)["ticket_id"] for t in tickets(store)["tickets"]}
        report, _ = run(store, config)  # the resume
    finally:
        server.close()
    assert not report.sources[0].error, report.sources[0].line()
    if tool == "freshdesk":
        clean, server = tmp_path / "clean.duckdb", Server(world(tool))
        try:
            run(clean, write_config(tmp_path, {"src": source(tool, server.url)}))
        finally:
            server.close()
        answers = rows(store, "surveys", 'account, "at", kind')
        assert answers == rows(clean, "surveys", 'account, "at", kind') and len(answers) == 5
    export, events = vendor.export(tmp_path)
    reference = imported(tmp_path / "reference.duckdb", export, tool, events)
    if vendor.kind == "tickets":
        assert tickets(store) == tickets(reference)
    else:
        assert signals(store) == signals(reference)
    con = duckdb.connect(str(store), read_only=True)
    try:
        if vendor.kind == "tickets":
            assert con.execute("SELECT count(*) = count(DISTINCT ticket_id) FROM tickets").fetchone() == (True,)
        pending = con.execute("SELECT bool_or(judge_pending) FROM sync_state").fetchone()
        kept = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kept_meta'").fetchone()
    finally:
        con.close()
    assert pending == (False,)  # the resume judged what the killed run had not
    if vendor.kind == "tickets":
        assert kept == (1,)
