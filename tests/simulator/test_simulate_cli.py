"""`python -m sla_core simulate` end to end on small CSVs, as a script or cron job would call it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from sla_core.policy import load_policy, policy_to_dict
from tests.conftest import ROOT, SAMPLE_POLICY

# Default rubric: T1 and T5 score 0.3*0.7 (150 customers) + 0.15 (enterprise) + 0.35*0.7 (blocked) = 0.605 -> high.
# The candidate's high threshold 0.65 makes them medium (enterprise medium acknowledge: 4h).
TICKETS = """ticket_id,created_at,impact,segment,customers_affected,severity,regulatory,workaround,acknowledged_at,resolved_at
T1,2026-11-02 10:00,high,enterprise,150,blocked,false,false,2026-11-02 10:30,2026-11-03 10:00
T2,2026-11-02 11:00,high,self_serve,3,data_loss,false,false,2026-11-02 11:10,
T3,2026-11-02 12:00,medium,self_serve,,,,,2026-11-02 13:00,
T4,2026-11-03 09:30,low,self_serve,5,cosmetic,false,false,2026-11-03 10:00,
T5,2026-11-03 10:00,high,enterprise,150,blocked,false,false,2026-11-03 13:00,
"""


def write_policy(path: Path, **rubric_changes: dict) -> Path:
    data = policy_to_dict(load_policy(SAMPLE_POLICY))
    data["playbooks"] = {}  # the playbook files stay next to the bundled policy
    for key, values in rubric_changes.items():
        data["rubric"][key].update(values)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def simulate(*args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sla_core", "simulate", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS)
    return {
        "tickets": tickets,
        "current": write_policy(tmp_path / "current.yaml"),
        "candidate": write_policy(tmp_path / "candidate.yaml", thresholds={"high": 0.65}),
        "dir": tmp_path,
    }


def read_csv(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open() as f:
        return {(r["ticket_id"], r["metric"]): r for r in csv.DictReader(f)}


def test_simulate_writes_both_sides_and_prints_the_matrix(files: dict[str, Path]) -> None:
    out = files["dir"] / "diff.csv"
    run = simulate("--tickets", files["tickets"], "--policy", files["current"], "--candidate", files["candidate"],
                   "--as-of", "2026-11-10T00:00", "--out", out)
    assert run.returncode == 0, run.stderr
    rows = read_csv(out)
    assert len(rows) == 5 * 3
    header = next(csv.reader(out.open()))
    for column in ("tier_current", "tier_candidate", "state_current", "state_candidate", "target_seconds_current",
                   "target_seconds_candidate", "elapsed_seconds_current", "due_at_current", "due_at_candidate",
                   "score_current", "score_candidate", "contrib_severity_current", "why_factor", "reason"):
        assert column in header
    t5 = rows[("T5", "acknowledge")]
    # high: 2 business hours from Tue 10:00 -> due 12:00, acknowledged 13:00: breached;
    # medium for enterprise: 4h -> due 14:00: met
    assert (t5["tier_current"], t5["tier_candidate"]) == ("high", "medium")
    assert (t5["state_current"], t5["state_candidate"]) == ("breached", "met")
    assert (t5["due_at_current"], t5["due_at_candidate"]) == ("2026-11-03T12:00:00+00:00", "2026-11-03T14:00:00+00:00")
    assert (t5["target_seconds_current"], t5["target_seconds_candidate"]) == ("7200", "14400")
    assert float(t5["score_current"]) == pytest.approx(0.605) == pytest.approx(float(t5["score_candidate"]))
    assert t5["reason"].startswith("score 0.6") and t5["reason"].endswith("unchanged, thresholds moved")
    assert rows[("T1", "acknowledge")]["tier_candidate"] == "medium"
    assert rows[("T1", "acknowledge")]["state_candidate"] == "met"
    # data_loss is a hard rule under both rubrics: the rubric does not move T2, so it keeps its assigned high
    assert rows[("T2", "acknowledge")]["tier_current"] == rows[("T2", "acknowledge")]["tier_candidate"] == "high"
    assert rows[("T2", "acknowledge")]["hard_rule_candidate"] == "true"
    assert rows[("T3", "acknowledge")]["tier_candidate"] == "medium"  # no rubric inputs: keeps its impact
    assert rows[("T3", "acknowledge")]["score_current"] == ""
    assert rows[("T4", "acknowledge")]["tier_current"] == "low"  # 0.03 + 0.045 + 0.035 = 0.11
    # the printed matrix: 2 tickets high -> medium, T2 stays high; adherence printed for both sides
    # (high acknowledge: T1 and T2 met, T5 breached under the current policy; only T2 stays high)
    lines = run.stdout.splitlines()
    high_row = next(line for line in lines if line.startswith("high "))
    assert high_row.split()[1:] == ["0", "1", "2", "0"]
    assert any(line.split()[:2] == ["high", "acknowledge"] and "66.7% (2/3)" in line and "100.0% (1/1)" in line
               for line in lines), run.stdout


def test_an_identical_candidate_changes_nothing(files: dict[str, Path]) -> None:
    out = files["dir"] / "same.parquet"
    run = simulate("--tickets", files["tickets"], "--policy", files["current"], "--candidate", files["current"],
                   "--as-of", "2026-11-10T00:00", "--out", out)
    assert run.returncode == 0, run.stderr
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{out}')").df()
    assert len(rows) == 15
    assert (rows.tier_current == rows.tier_candidate).all() and (rows.state_current == rows.state_candidate).all()
    assert not rows.changed.any()
    assert "+0.0 pts" in run.stdout and "pts" in run.stdout


def test_the_period_filter_replays_only_tickets_created_in_it(files: dict[str, Path]) -> None:
    out = files["dir"] / "period.csv"
    run = simulate("--tickets", files["tickets"], "--policy", files["current"], "--candidate", files["candidate"],
                   "--from", "2026-11-03", "--to", "2026-11-04", "--as-of", "2026-11-10T00:00", "--out", out)
    assert run.returncode == 0, run.stderr
    assert {ticket for ticket, _ in read_csv(out)} == {"T4", "T5"}


@pytest.mark.parametrize("change, message", [
    (lambda f: ["--candidate", f["dir"] / "missing.yaml"], "cannot read"),
    (lambda f: ["--candidate", write_policy(f["dir"] / "bad.yaml", thresholds={"medium": 0.9})],
     "thresholds out of order"),
    (lambda f: ["--from", "2026-02-30"], "--from '2026-02-30': not a date"),
    (lambda f: ["--from", "2026-11-04", "--to", "2026-11-03"], "must be after"),
    (lambda f: ["--out", f["dir"] / "diff.txt"], "use a .csv or .parquet"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(files: dict[str, Path], change, message: str) -> None:
    args = {"--tickets": files["tickets"], "--policy": files["current"], "--candidate": files["candidate"],
            "--out": files["dir"] / "diff.csv"}
    extra = change(files)
    for flag, value in zip(extra[::2], extra[1::2]):
        args[flag] = value
    run = simulate(*[x for pair in args.items() for x in pair])
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], run.stderr
    assert "Traceback" not in run.stderr


def test_a_missing_tickets_file_is_refused(files: dict[str, Path]) -> None:
    run = simulate("--tickets", files["dir"] / "nope.csv", "--policy", files["current"],
                   "--candidate", files["candidate"], "--out", files["dir"] / "diff.csv")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_simulate_reads_the_persistent_store(files: dict[str, Path]) -> None:
    store = files["dir"] / "store.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    imported = subprocess.run([sys.executable, "-m", "sla_core", "import", str(files["tickets"]), "--source", "plain",
                               "--db", str(store)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert imported.returncode == 0, imported.stderr
    out = files["dir"] / "from_store.csv"
    run = simulate("--db", store, "--policy", files["current"], "--candidate", files["candidate"],
                   "--as-of", "2026-11-10T00:00", "--out", out)
    assert run.returncode == 0, run.stderr
    rows = read_csv(out)
    assert len(rows) == 15 and rows[("T5", "acknowledge")]["state_candidate"] == "met"
