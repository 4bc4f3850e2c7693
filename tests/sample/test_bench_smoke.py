"""The engine benchmark script still runs end to end and prints its verdict table (tiny size)."""

from __future__ import annotations

import re

import pytest

from bench.engine import main


def test_benchmark_prints_every_run_and_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tickets", "1000", "--sample", "40", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "1,000 tickets" in out
    runs = [line for line in out.splitlines() if line.startswith(("| engine.evaluate", "| floor:", "| row-by-row"))]
    assert len(runs) == 3
    verdicts = re.findall(r"\| (PASS|FAIL) \|$", out, flags=re.MULTILINE)
    assert len(verdicts) == 4
