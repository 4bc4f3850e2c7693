"""`python -m sla_core sync` against every connector's local server at once, as cron runs it: one line per
source (fetched, accepted, rejected, new / updated / unchanged, the new cursor), exit 0; run again, nothing new.
And `python -m sla_core --help` stays quick: it imports no command, so neither sync nor httpx."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.sync.helpers import SECRETS, source, write_config
from tests.sync.server import Server
from tests.sync.vendors import TOOLS, world

LINE = re.compile(r"^(\w+) \((\w+)\): fetched (\d+), accepted (\d+), rejected (\d+); (\d+) new, (\d+) updated, "
                  r"(\d+) unchanged; (?:survey answers: \d+ new, \d+ updated, \d+ unchanged, \d+ rejected; )?"
                  r"cursor (\{.*\})$")


def test_sync_runs_every_connector_from_the_command_line(tmp_path: Path) -> None:
    vendors = {tool: world(tool) for tool in TOOLS}
    servers = {tool: Server(vendor) for tool, vendor in vendors.items()}
    try:
        config = write_config(tmp_path, {tool: source(tool, servers[tool].url, **vendors[tool].scope())
                                         for tool in TOOLS})
        command = [sys.executable, "-m", "sla_core", "sync", "--db", str(tmp_path / "store.duckdb"),
                   "--config", str(config)]
        env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        for server in servers.values():
            server.close()
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    found = {m.group(1): m.groups() for m in map(LINE.match, lines) if m}
    assert sorted(found) == sorted(TOOLS), lines
    for tool, (_, named, fetched, accepted, rejected, new, _, _, cursor) in found.items():
        assert named == tool and 7 <= int(accepted) <= int(fetched) and rejected == "0", (tool, lines)
        assert int(new) == 7 and json.loads(cursor), (tool, lines)
    assert lines[-1].endswith("clocks judged and kept for the dashboard")
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(", 0 new, 0 updated," in line.replace("; 0 new", ", 0 new") for line in again.stdout.splitlines()
               if LINE.match(line))
    assert not [s for s in SECRETS.values() if s in first.stdout + first.stderr + again.stdout + again.stderr]


def test_the_help_imports_no_command() -> None:
    probe = ("import sys\nfrom sla_core.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(n for n in sys.modules if n.startswith(('sla_core.sync', 'httpx'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert " sync " in done.stdout.replace("{", " ").replace(",", " ") or "sync" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
