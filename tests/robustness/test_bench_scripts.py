"""The scale and import benchmark scripts still run end to end at a tiny size (the lead runs the big sizes)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from .conftest import ROOT

DATA = ROOT / "bench" / "data"


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_scale_builds_in_chunks_with_unique_ids_and_reports_each_size():
    out = run("bench/scale.py", "--sizes", "1500", "--sizes", "3000", "--chunk", "1000", "--rebuild", "--clean")
    assert "built scale_3000.duckdb: 3,000 tickets" in out and "(3 chunks" in out
    rows = re.findall(r"^\| ([\d,]+) \| [\d,]+ \([\d.]+/ticket\) \| ([\d,]+) \|", out, flags=re.MULTILINE)
    assert rows == [("1,500", "4,500"), ("3,000", "9,000")]  # three clocks per ticket, every ticket judged
    # the linearity verdict is the one its own numbers give: the worst slope between the sizes against the bound
    verdict = re.search(r"\| cost grows linearly \(log-log slope <= ([\d.]+)\) \| worst slope (-?[\d.]+) \| (PASS|FAIL) \|",
                        out)
    assert verdict, out
    bound, worst, said = float(verdict.group(1)), float(verdict.group(2)), verdict.group(3)
    slopes = [float(x) for x in re.findall(r"^\| 3,000 \|.*\| (-?[\d.]+) \| [\d.]+ \|$", out, flags=re.MULTILINE)]
    assert slopes == [worst]  # two sizes: one slope, the worst
    assert said == ("PASS" if worst <= bound else "FAIL")
    assert not (DATA / "scale_3000.duckdb").exists()


def test_import_benchmark_accounts_every_row_for_both_formats():
    try:
        out = run("bench/importing.py", "--tickets", "2000", "--rebuild")
        for fmt in ("csv", "parquet"):
            assert re.search(rf"^\| {fmt} \| .* \| 2,000 / 2,000 / 0 \|", out, flags=re.MULTILINE), out
    finally:
        shutil.rmtree(DATA / "import_2000", ignore_errors=True)


def test_notify_benchmark_finds_the_same_messages_whether_the_results_fit_or_not():
    try:
        out = run("bench/notify.py", "--tickets", "20000", "--repeat", "1")
        found = dict(re.findall(r"^20,000 tickets, (judged in full|kept): .* would queue (\d+) new messages", out,
                                flags=re.MULTILINE))
        assert set(found) == {"judged in full", "kept"} and found["kept"] == found["judged in full"], out
        assert int(found["kept"]) > 0, out  # the store's open clocks at its end hold breaches to tell
    finally:
        for name in ("dashboard_20000.duckdb", "notify_20000.duckdb"):
            (DATA / name).unlink(missing_ok=True)


def test_the_ratio_guard_measures_both_works_and_reads_its_baseline():
    out = run("bench/ratios.py", "--tickets", "3000", "--clean")
    rows = dict(re.findall(r"^\| `(evaluate|import)` \|.*\| ([\d.]+)x \| (?:[\d.]+x|—) \| (?:ok|no baseline|GROSS REGRESSION) \|$",
                           out, flags=re.MULTILINE))
    assert set(rows) == {"evaluate", "import"} and all(float(r) > 1 for r in rows.values()), out
    measured = re.search(r"^ratio-measured 3000: evaluate=([\d.]+) import=([\d.]+)$", out, flags=re.MULTILINE)
    assert measured and float(measured.group(1)) == float(rows["evaluate"]), out
    # the baseline CI checks against is recorded, for the size CI runs
    import bench.ratios as ratios

    assert set(ratios.baseline(200_000) or {}) == {"evaluate", "import"}
