"""One "now": SLA_BOARD_NOW when set, else the clock; nothing else in the product reads the time."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sla_core.now import NOW_ENV, NowError, now
from tests.conftest import ROOT

READS_THE_CLOCK = re.compile(
    r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(\)|current_timestamp|\bget_current_time\(|"
    r"(?<![\w.])now\(\)\s*(?:AT TIME ZONE|::)|SELECT\s+now\(\)",
    re.IGNORECASE,
)


def test_now_is_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, "2027-03-28T00:59:59+00:00")
    assert now() == datetime(2027, 3, 28, 0, 59, 59, tzinfo=timezone.utc)
    monkeypatch.setenv(NOW_ENV, "2027-03-28T02:30:00")  # no offset: UTC
    assert now() == datetime(2027, 3, 28, 2, 30, tzinfo=timezone.utc)
    monkeypatch.setenv(NOW_ENV, "tomorrow")
    with pytest.raises(NowError, match="SLA_BOARD_NOW='tomorrow': not an ISO 8601 instant"):
        now()


def test_else_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NOW_ENV)
    before = datetime.now(timezone.utc)
    assert before <= now() <= datetime.now(timezone.utc)


def test_nothing_else_reads_the_clock() -> None:
    files = [p for folder in ("sla_core", "ui", "pages", "bench") for p in (ROOT / folder).rglob("*.py")]
    files += list(ROOT.glob("app*.py"))
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if path.relative_to(ROOT) != Path("sla_core/now.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if READS_THE_CLOCK.search(line)
    ]
    assert not found, "read the time through sla_core.now.now():\n" + "\n".join(found)


def test_the_command_line_judges_at_the_environments_now(tmp_path) -> None:  # noqa: ANN001
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket_id,created_at,impact\nA,2027-03-01T09:00:00+00:00,critical\n")
    out = tmp_path / "r.csv"
    run = subprocess.run(
        [sys.executable, "-m", "sla_core", "evaluate", "--tickets", str(tickets), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={"PYTHONPATH": str(ROOT), NOW_ENV: "2027-03-01T09:20:00+00:00", "PATH": ""},
    )
    assert run.returncode == 0, run.stderr
    assert "as of 2027-03-01T09:20:00+00:00" in run.stderr  # no --as-of: the environment's now
    bad = subprocess.run(
        [sys.executable, "-m", "sla_core", "evaluate", "--tickets", str(tickets), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={"PYTHONPATH": str(ROOT), NOW_ENV: "noon", "PATH": ""},
    )
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: SLA_BOARD_NOW='noon': not an ISO 8601 instant (e.g. 2026-12-03T09:30:00+00:00)")
