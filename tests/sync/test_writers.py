"""Several writers, one store (issue 28 item 5): two imports and a sync started together while another process
holds the store; each waits its turn and every write lands. Past SLA_BOARD_LOCK_WAIT a writer gives up with one
line and writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from sla_core.ingest.store import import_file
from tests.conftest import ROOT, SAMPLE_POLICY
from tests.sync.helpers import SECRETS, source, write_config
from tests.sync.server import Server
from tests.sync.vendors import world

HOLD = """
import sys, time
from sla_core.ingest.store import open_store, writer_lock
with writer_lock(sys.argv[1]):
    con = open_store(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
"""


def _tickets_file(path: Path, prefix: str, count: int) -> Path:
    lines = ["ticket_id,created_at,impact"]
    lines += [f"{prefix}{n},2026-11-{1 + n % 28:02d}T09:00:00+00:00,high" for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _holder(store: Path, seconds: float, env: dict[str, str]) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store), str(seconds)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_two_imports_and_a_sync_at_once_all_land(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    import_file(_tickets_file(tmp_path / "seed.csv", "S-", 3), "plain", db=store, policy=SAMPLE_POLICY)
    vendor = world("zendesk")
    server = Server(vendor)
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        holder = _holder(store, 2.0, env)  # everyone below starts while the store is held
        started = time.monotonic()
        commands = [
            ["import", str(_tickets_file(tmp_path / "a.csv", "A-", 300)), "--db", str(store)],
            ["import", str(_tickets_file(tmp_path / "b.csv", "B-", 300)), "--db", str(store)],
            ["sync", "--db", str(store), "--config", str(config)],
        ]
        runs = [subprocess.Popen([sys.executable, "-m", "sla_core", *c, "--policy", str(SAMPLE_POLICY)], cwd=ROOT,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for c in commands]
        done = [r.communicate(timeout=300) for r in runs]
        holder.wait(30)
    finally:
        server.close()
    for command, process, (out, err) in zip(commands, runs, done):
        assert process.returncode == 0, (command, out, err)
    assert time.monotonic() - started >= 1.5  # they waited for the holder
    con = duckdb.connect(str(store), read_only=True)
    try:
        prefixes = dict(con.execute(
            "SELECT CASE WHEN ticket_id LIKE 'A-%' THEN 'A' WHEN ticket_id LIKE 'B-%' THEN 'B' "
            "WHEN ticket_id LIKE 'S-%' THEN 'S' ELSE 'zendesk' END, count(*) FROM tickets GROUP BY 1").fetchall())
        actions = [r[0] for r in con.execute("SELECT action FROM audit ORDER BY \"at\"").fetchall()]
    finally:
        con.close()
    assert prefixes == {"S": 3, "A": 300, "B": 300, "zendesk": 7}
    assert actions.count("import") == 3 and actions.count("sync") >= 2  # its pages and its run


def test_past_the_wait_a_writer_gives_up_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    import_file(_tickets_file(tmp_path / "seed.csv", "S-", 3), "plain", db=store, policy=SAMPLE_POLICY)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLA_BOARD_LOCK_WAIT": "0.5"}
    holder = _holder(store, 120.0, env)  # held until the late import has given up, however slowly it starts
    try:
        late = subprocess.run([sys.executable, "-m", "sla_core", "import", str(_tickets_file(tmp_path / "a.csv", "A-", 5)),
                               "--db", str(store), "--policy", str(SAMPLE_POLICY)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait(30)
    assert late.returncode == 2
    [line] = late.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"error: store {store} is busy: another writer") and "SLA_BOARD_LOCK_WAIT" in line
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (3,)
    finally:
        con.close()
