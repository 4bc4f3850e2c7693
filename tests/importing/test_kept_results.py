"""Kept results: a store judged at import gives the dashboard exactly what a full evaluation would.

Each test compares, row for row, the store source built from kept results with
the engine run over the same store from scratch; and checks that kept results
that no longer fit (another policy, other engine code, data changed outside an
import, an earlier instant, data from the future) are not used.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla_core.clocks.engine import RESULT_COLUMNS, evaluate
from sla_core.ingest import kept
from sla_core.ingest import store as store_module
from sla_core.ingest.store import attach_store, import_file, keep_results, open_store
from sla_core.now import now
from sla_core.policy import Policy
from sla_core.policy.model import Forecast, NotifyTarget, PostMortem
from sla_core.sources import store_source

from .helpers import ROOT

SAMPLE = ROOT / "sample_data"
HEADER = "ticket_id,created_at,impact,acknowledged_at,resolved_at\n"


def full_evaluation(db: Path, policy: Policy, as_of: datetime) -> list[tuple]:
    """The engine over the whole store, ignoring anything kept."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        attach_store(con, db)
        evaluate(con, policy, as_of)
        return con.execute("SELECT * FROM sla_results ORDER BY ticket_id, metric").fetchall()
    finally:
        con.close()


def dashboard_rows(db: Path, policy: Policy, as_of: datetime) -> tuple[object, list[tuple]]:
    source = store_source(policy, db, as_of)
    try:
        rows = source.con.cursor().execute("SELECT * FROM sla_results ORDER BY ticket_id, metric").fetchall()
        return source.kept_at, rows
    finally:
        source.con.close()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> tuple[Path, datetime]:
    """The bundled sample imported into a store; the instant its results were kept at."""
    from sla_core.policy import load_policy

    db = tmp_path_factory.mktemp("kept") / "store.duckdb"
    before = now()
    import_file(SAMPLE / "tickets.csv", db=db, policy=load_policy(SAMPLE / "policy.yaml"), events=SAMPLE / "events.csv")
    con = open_store(db, read_only=True)
    try:
        kept_at = con.execute(f"SELECT as_of FROM {kept.KEPT_META}").fetchone()[0]
        running = con.execute(f"SELECT count(*) FROM {kept.KEPT_TICKETS}").fetchone()[0]
        settled = con.execute(f"SELECT count(DISTINCT ticket_id) FROM {kept.KEPT_RESULTS}").fetchone()[0]
    finally:
        con.close()
    assert kept_at == before  # judged at "now", which the tests set (clock.now)
    assert running > 0 and settled > 0  # both halves of the merge are exercised
    return db, kept_at


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=5), timedelta(hours=7), timedelta(days=3),
                                   timedelta(days=45)])
def test_kept_results_plus_running_tickets_judged_now_equal_a_full_evaluation(sample_store, policy, later):
    db, kept_at = sample_store
    as_of = kept_at + later
    used, rows = dashboard_rows(db, policy, as_of)
    assert used == kept_at
    assert rows == full_evaluation(db, policy, as_of)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=st.integers(min_value=0, max_value=400 * 86_400))
def test_equal_to_a_full_evaluation_at_any_later_instant(sample_store, policy, seconds):
    db, kept_at = sample_store
    as_of = kept_at + timedelta(seconds=seconds)
    used, rows = dashboard_rows(db, policy, as_of)
    assert used == kept_at
    assert rows == full_evaluation(db, policy, as_of)


def test_not_used_for_another_policy(sample_store, policy):
    db, kept_at = sample_store
    other = policy.model_copy(update={"at_risk_ratio": 0.5})
    assert kept.policy_fingerprint(other) != kept.policy_fingerprint(policy)
    used, rows = dashboard_rows(db, other, kept_at + timedelta(hours=1))
    assert used is None
    assert rows == full_evaluation(db, other, kept_at + timedelta(hours=1))


def _edited(policy: Policy, key: str) -> Policy:
    """The policy with one key the engine never reads changed (NOT_JUDGED, and a route's channel and people)."""
    if key == "route channel, responders and window":
        routes = {t: r.model_copy(update={"channel": "#elsewhere", "responders": ["someone"], "join_within": 60})
                  for t, r in policy.routes.items()}
        return policy.model_copy(update={"routes": routes})
    edits = {
        "goals": {t: 0.5 for t in policy.tiers},
        "triage_required": {"low": ["environment"]},
        "tags_required": {"high": ["needs-eng"]},
        "playbooks": [],
        "notify": [NotifyTarget(to="slack", url_env="SLACK_WEBHOOK_URL", tiers=["critical"])],
        "post_mortem": PostMortem(tiers=["critical", "high"], due_within="3d"),
        "context_window": 3600,
        "forecast": Forecast(horizon="4h", interval=0.9),
    }
    return policy.model_copy(update={key: edits[key]})


@pytest.mark.parametrize("key", [*kept.NOT_JUDGED, "route channel, responders and window"])
def test_used_after_editing_what_the_engine_never_reads(sample_store, policy, key):
    # a full evaluation under the edited policy equals the kept rows: the engine indeed does not read the key
    db, kept_at = sample_store
    other = _edited(policy, key)
    assert other.to_yaml() != policy.to_yaml()
    used, rows = dashboard_rows(db, other, kept_at + timedelta(hours=1))
    assert used == kept_at
    assert rows == full_evaluation(db, other, kept_at + timedelta(hours=1))


def test_not_used_once_a_route_is_renamed(sample_store, policy):
    db, kept_at = sample_store  # the route's name is in every result row
    routes = {t: r.model_copy(update={"route": f"{r.route}_v2"}) for t, r in policy.routes.items()}
    other = policy.model_copy(update={"routes": routes})
    used, rows = dashboard_rows(db, other, kept_at + timedelta(hours=1))
    assert used is None
    assert rows == full_evaluation(db, other, kept_at + timedelta(hours=1))


def test_not_used_by_other_engine_code(sample_store, policy, monkeypatch):
    db, kept_at = sample_store
    monkeypatch.setattr(kept, "engine_fingerprint", lambda: "another engine")
    used, rows = dashboard_rows(db, policy, kept_at + timedelta(hours=1))
    assert used is None
    assert rows == full_evaluation(db, policy, kept_at + timedelta(hours=1))


def test_not_used_before_the_instant_they_were_judged_at(sample_store, policy):
    db, kept_at = sample_store
    earlier = kept_at - timedelta(days=2)
    used, rows = dashboard_rows(db, policy, earlier)
    assert used is None
    assert rows == full_evaluation(db, policy, earlier)


def test_not_used_once_the_data_changed_outside_an_import(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\nT2,2026-01-05 10:00,low,2026-01-05 10:30,\n"),
                db=db, policy=policy)
    as_of = now() + timedelta(minutes=1)
    assert dashboard_rows(db, policy, as_of)[0] is not None
    con = open_store(db)  # as a crash between an import's data and its kept results would leave it
    try:
        con.execute("UPDATE tickets SET acknowledged_at = TIMESTAMPTZ '2026-01-05 09:10+00' WHERE ticket_id = 'T1'")
    finally:
        con.close()
    used, rows = dashboard_rows(db, policy, as_of)
    assert used is None
    assert rows == full_evaluation(db, policy, as_of)
    assert next(r for r in rows if r[0] == "T1" and r[1] == "acknowledge")[RESULT_COLUMNS.index("state")] == "met"
    # the next judging fits the new data again
    keep_results(db, policy)
    used, again = dashboard_rows(db, policy, as_of + timedelta(minutes=1))
    assert used is not None
    assert again == full_evaluation(db, policy, as_of + timedelta(minutes=1))


def test_not_used_when_the_data_holds_instants_after_the_judging(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    future = (now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    import_file(write("a.csv", HEADER + f"T1,2026-01-05 09:00,high,{future},\n"), db=db, policy=policy)
    as_of = now() + timedelta(days=3)
    used, rows = dashboard_rows(db, policy, as_of)
    assert used is None  # at judging time T1's acknowledgement was still to come
    assert rows == full_evaluation(db, policy, as_of)


def test_a_store_without_kept_results_is_judged_in_full(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\n"), db=db, policy=policy)
    con = open_store(db)
    try:
        con.execute(f"DROP TABLE {kept.KEPT_META}")
    finally:
        con.close()
    as_of = now()
    used, rows = dashboard_rows(db, policy, as_of)
    assert used is None and len(rows) == 3
    assert rows == full_evaluation(db, policy, as_of)


def test_an_import_says_what_it_judged_and_a_failed_judging_costs_only_speed(tmp_path, policy, write, monkeypatch):
    db = tmp_path / "store.duckdb"
    report = import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\nT2,2026-01-05 10:00,low,,\n"),
                         db=db, policy=policy)
    assert report.judged == 6 and report.not_kept is None
    assert "6 clocks judged and kept for the dashboard" in report.lines()

    def broken(*args, **kwargs):
        raise OverflowError("judging went wrong")  # any failure, not only DuckDB's

    monkeypatch.setattr(store_module, "write_kept", broken)
    second = import_file(write("b.csv", HEADER + "T3,2026-01-06 09:00,medium,,\n"), db=db, policy=policy)
    assert second.new == 1 and second.not_kept == "judging went wrong"
    assert any("results not kept (judging went wrong)" in line for line in second.lines())
    as_of = now()
    used, rows = dashboard_rows(db, policy, as_of)
    assert used is None  # the kept results are those of the first import: they no longer fit
    assert {r[0] for r in rows} == {"T1", "T2", "T3"}
    assert rows == full_evaluation(db, policy, as_of)


def test_the_command_line_evaluate_on_a_store_writes_the_same_file_with_or_without_kept_results(
    sample_store, tmp_path, capsys
):
    from sla_core.cli import main

    db, kept_at = sample_store
    as_of = (kept_at + timedelta(days=1, hours=3)).isoformat()
    kept_file, full_file = tmp_path / "kept.csv", tmp_path / "full.csv"
    assert main(["evaluate", "--db", str(db), "--as-of", as_of, "--out", str(kept_file)]) == 0
    assert "kept results" in capsys.readouterr().err
    copy = tmp_path / "nothing_kept.duckdb"
    copy.write_bytes(db.read_bytes())
    con = open_store(copy)
    try:
        con.execute(f"DROP TABLE {kept.KEPT_META}")
    finally:
        con.close()
    assert main(["evaluate", "--db", str(copy), "--as-of", as_of, "--out", str(full_file)]) == 0
    assert "kept results" not in capsys.readouterr().err
    assert kept_file.read_bytes() == full_file.read_bytes()
    assert len(kept_file.read_text().splitlines()) > 3000


def test_a_store_with_a_ticket_without_id_is_not_kept_and_judged_in_full(tmp_path, policy, write):
    db = tmp_path / "store.duckdb"
    import_file(write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\nT2,2026-01-05 10:00,low,2026-01-05 10:30,\n"),
                db=db, policy=policy)
    con = open_store(db)  # only something other than an import can write this
    try:
        con.execute("INSERT INTO tickets (ticket_id, created_at, impact) VALUES (NULL, '2026-01-06 09:00+00', 'high')")
    finally:
        con.close()
    with pytest.raises(ValueError, match="without a ticket_id"):
        keep_results(db, policy)
    as_of = now() + timedelta(minutes=1)
    used, rows = dashboard_rows(db, policy, as_of)
    assert used is None
    assert rows == full_evaluation(db, policy, as_of) and len(rows) == 9


def test_the_import_command_judges_by_the_dashboards_policy(tmp_path, policy, write, monkeypatch, capsys):
    from sla_core.cli import main
    from sla_core.policy import load_policy

    text = (SAMPLE / "policy.yaml").read_text(encoding="utf-8").replace("at_risk_ratio: 0.75", "at_risk_ratio: 0.5")
    dashboard_policy = write("dashboard_policy.yaml", text)
    shutil.copytree(SAMPLE / "playbooks", tmp_path / "playbooks")  # the policy names them
    monkeypatch.setenv("SLA_BOARD_POLICY", str(dashboard_policy))
    db = tmp_path / "store.duckdb"
    export = write("a.csv", HEADER + "T1,2026-01-05 09:00,high,,\n")
    assert main(["import", str(export), "--db", str(db)]) == 0
    assert "3 clocks judged and kept for the dashboard" in capsys.readouterr().out
    as_of = now() + timedelta(minutes=1)
    assert dashboard_rows(db, load_policy(dashboard_policy), as_of)[0] is not None
    assert dashboard_rows(db, policy, as_of)[0] is None  # the bundled policy differs: judged in full
