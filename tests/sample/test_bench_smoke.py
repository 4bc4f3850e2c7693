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


def test_the_whole_process_benchmark_times_evaluate_its_phases_and_help(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.whole_process as whole

    monkeypatch.setattr(whole, "DATA", tmp_path)
    assert whole.main(["--tickets", "2000", "--memory-limit", "500MB"]) == 0
    out = capsys.readouterr().out
    assert "2,000 tickets" in out
    rows = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| ")][2:]  # no header
    assert rows[0].startswith("floor:") and rows[1].startswith("`python -m sla_core evaluate` `--memory-limit 500MB`")
    assert [r.split(" (")[0] for r in rows[2:5]] == ["· read", "· judged", "· written"]
    assert rows[5].startswith("`python -m sla_core --help`")
    assert (tmp_path / "whole_2000" / "results.parquet").is_file()
