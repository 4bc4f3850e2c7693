"""The Upload page maps values too, and its mapping YAML imports the same export unchanged from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from sla_core.ingest.mapping import load_mapping
from sla_core.ingest.value_guess import distinct_values, guess_value, value_map
from sla_core.sources import DataSource
from ui.state import StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")

# An Intercom-style export: its own column names and its own words for priority, plan and channel.
EXPORT = """Conversation ID,Created,Priority level,Team assigned,Plan,Channel,First reply,Closed
IC-1,2026-11-02 10:00,P1,Billing Squad,Enterprise,Email,2026-11-02 10:05,2026-11-02 12:00
IC-2,2026-11-03 10:00,Urgent,Billing Squad,Self-serve,Messenger,2026-11-03 10:40,2026-11-04 10:00
IC-3,2026-11-04 10:00,normal,Core Platform,Enterprise,Alert,2026-11-04 11:00,
IC-4,2026-11-05 10:00,someday,core platform,Self-serve,Email,,
"""


def test_guesses_read_the_values_own_words() -> None:
    assert [guess_value("impact", v) for v in ("P1", "Urgent", "1 - Critical", "Highest", "sev 2", "normal",
                                               "3 - Moderate", "minor", "someday")] == [
        "critical", "critical", "critical", "critical", "high", "medium", "medium", "low", None]
    assert guess_value("source", "Messenger") == "customer" and guess_value("source", "Datadog alert") == "monitoring"
    assert guess_value("segment", "Self-serve", ["enterprise", "self_serve"]) == "self_serve"
    assert guess_value("segment", "Startup", ["enterprise", "self_serve"]) == "Startup"  # kept as it is
    assert guess_value("owner_team", "Billing Squad") == "Billing Squad"
    # free text: only renamed names are written down; enums: every decision is
    assert value_map("owner_team", {"Billing Squad": "Billing Squad", "core platform": "Core Platform"}) == {
        "core platform": "Core Platform"}
    assert value_map("impact", {"P1": "critical", "someday": None}) == {"P1": "critical", "someday": None}


def test_distinct_values_most_frequent_first(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    assert distinct_values(path, "Team assigned") == [("Billing Squad", 2), ("Core Platform", 1), ("core platform", 1)]
    assert distinct_values(path, "Priority level", limit=2) == [("P1", 1), ("Urgent", 1)]


@pytest.fixture
def mapped(tmp_path: Path) -> tuple[AppTest, Path]:
    """The Upload page with the export chosen under "My own columns", one value corrected by the user."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key=StateKeys.UPLOAD_PRESET).set_value("custom").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("intercom.csv", EXPORT.encode(), "text/csv")).run()
    for canonical, column in {"ticket_id": "Conversation ID", "created_at": "Created", "impact": "Priority level",
                              "owner_team": "Team assigned", "segment": "Plan", "source": "Channel",
                              "acknowledged_at": "First reply", "resolved_at": "Closed"}.items():
        at.selectbox(key=f"map_{canonical}").set_value(column)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, tmp_path


def test_value_tables_are_prefilled_with_the_guess(mapped: tuple[AppTest, Path]) -> None:
    at, _ = mapped
    editors = {e.key: e.value for e in at.data_editor}
    impact = editors["values_impact"].set_index("value in your file")["means"].to_dict()
    assert impact == {"P1": "critical", "Urgent": "critical", "normal": "medium", "someday": "(leave empty)"}
    assert editors["values_source"].set_index("value in your file")["means"].to_dict() == {
        "Email": "customer", "Messenger": "customer", "Alert": "monitoring"}
    segments = editors["values_segment"].set_index("value in your file")["means"].to_dict()
    assert segments == {"Enterprise": "enterprise", "Self-serve": "self_serve"}
    assert any("1 not recognised" in e.label for e in at.expander)


def test_the_downloaded_yaml_imports_the_same_tickets(mapped: tuple[AppTest, Path]) -> None:
    at, folder = mapped
    # the user says what "someday" means and merges the two spellings of one team
    impact_rows = list(at.data_editor(key="values_impact").value["value in your file"])
    team_rows = list(at.data_editor(key="values_owner_team").value["value in your file"])
    at.session_state["values_impact"] = {
        "edited_rows": {impact_rows.index("someday"): {"means": "low"}}, "added_rows": [], "deleted_rows": []}
    at.session_state["values_owner_team"] = {
        "edited_rows": {team_rows.index("core platform"): {"means": "Core Platform"}}, "added_rows": [],
        "deleted_rows": []}
    at.run()
    text = next(c.value for c in at.code if c.language == "yaml")
    data = yaml.safe_load(text)
    assert data["values"]["impact"]["someday"] == "low"
    assert data["values"]["owner_team"] == {"core platform": "Core Platform"}

    at.button[0].click().run()  # Load and evaluate
    assert not at.exception, [e.value for e in at.exception]
    upload: DataSource = at.session_state[StateKeys.UPLOAD]
    assert (upload.report.accepted, upload.report.rejected) == (4, 0)
    on_page = upload.con.execute(
        "SELECT ticket_id, impact, owner_team, segment, source, acknowledged_at FROM tickets ORDER BY 1").fetchall()
    assert [r[1] for r in on_page] == ["critical", "critical", "medium", "low"]
    assert {r[2] for r in on_page} == {"Billing Squad", "Core Platform"}

    # the same file and the YAML, unchanged, through `python -m sla_core import`
    (folder / "mapping.yaml").write_text(text, encoding="utf-8")
    (folder / "intercom.csv").write_text(EXPORT, encoding="utf-8")
    assert load_mapping(folder / "mapping.yaml").values == data["values"]
    db = folder / "store.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "sla_core", "import", str(folder / "intercom.csv"), "--source", "plain",
         "--mapping", str(folder / "mapping.yaml"), "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        imported = con.execute(
            "SELECT ticket_id, impact, owner_team, segment, source, acknowledged_at FROM tickets ORDER BY 1").fetchall()
    finally:
        con.close()
    assert imported == on_page
