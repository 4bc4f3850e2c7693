"""The Rubric simulator page in-process (AppTest) on the bundled sample: what it shows is what sla_core computes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from sla_core import simulate as sim
from sla_core.access import local_actor
from sla_core.cli import main as cli_main
from sla_core.policy import load_policy, policy_from_dict
from sla_core.simulate import scenarios as kept
from sla_core.sources import DataSource
from tests.conftest import ROOT, SAMPLE_POLICY
from ui.state import StateKeys

APP = str(ROOT / "app.py")
PAGE = "pages/simulator.py"


def open_simulator() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_matrix(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if df.value.index.name == "current tier")


def core_result(at: AppTest) -> sim.Simulation:
    return at.session_state["sim_result"][1]


@pytest.fixture(scope="module")
def page() -> AppTest:
    return open_simulator()


def test_the_review_filters_are_not_offered_where_they_do_not_apply(page: AppTest) -> None:
    # The simulator replays its own period over every ticket; a Tier or Month filter in the
    # sidebar would suggest otherwise.
    sidebar_keys = {box.key for box in page.sidebar.selectbox}
    assert not sidebar_keys & {StateKeys.PERIOD, StateKeys.SEGMENT, StateKeys.TEAM, StateKeys.TIER}
    assert any("do not apply" in c.value for c in page.sidebar.caption)


def test_the_page_starts_from_the_current_policy(page: AppTest) -> None:
    assert page.title[0].value == "Rubric simulator"
    matrix = shown_matrix(page)
    assert matrix.to_numpy().sum() == matrix.to_numpy().trace() > 0  # identical candidate: identity
    assert {m.label: m.value for m in page.metric}["Change tier"] == "0"
    assert page.slider(key="sim_in:weight.severity").value == pytest.approx(0.35)
    assert page.number_input(key="sim_in:target.medium.acknowledge").value == pytest.approx(8.0)
    assert not [w for w in page.warning if w.icon != ":material/science:"] and not page.error  # the demo banner
    # the default period is the last full quarter of the sample
    source: DataSource = page.session_state[StateKeys.ACTIVE_SOURCE]
    quarter = sim.default_quarter(source.con, source.policy, source.as_of)
    assert core_result(page).replay.period == quarter
    # the default capacity: the busiest current week, rounded up to a multiple of 5
    busiest = sim.busiest_on_call_week(core_result(page).replay)
    assert busiest <= page.number_input(key="sim_capacity").value < busiest + 5


def test_moving_a_weight_changes_the_matrix(page: AppTest) -> None:
    before = shown_matrix(page)
    page.slider(key="sim_in:weight.severity").set_value(0.6).run()
    assert not page.exception, [e.value for e in page.exception]
    after = shown_matrix(page)
    assert not after.equals(before)
    assert after.to_numpy().sum() - after.to_numpy().trace() > 0
    # what the page shows is the core's answer for that candidate
    result = core_result(page)
    assert result.candidate.rubric.weights["severity"] == 0.6
    expected = sim.simulate(result.replay, sim.with_weights(result.current, severity=0.6)).transition_matrix()
    pd.testing.assert_frame_equal(after, expected)
    assert int({m.label: m.value for m in page.metric}["Change tier"].replace(",", "")) > 0
    changed = next(df.value for df in page.dataframe if "Moved most by" in df.value.columns)
    assert set(changed["Moved most by"]) - {"—"} == {"severity"}
    # until the user picks a cell, the tickets shown are those of the biggest move
    biggest = max(((a, b) for a in after.index for b in after.columns if a != b), key=lambda c: after.loc[c])
    assert page.selectbox(key="sim_cell").value == "auto"
    assert_cell_shown(page, *biggest, count=int(after.loc[biggest]))


def assert_cell_shown(at: AppTest, tier_from: str, tier_to: str, *, count: int) -> None:
    """The caption and the table under the matrix are those of the cell the picker resolves to."""
    assert f"**{count:,}** tickets {tier_from} → {tier_to}" in [m.value.strip() for m in at.markdown]
    cell = next(df.value for df in at.dataframe if {"Tier now", "Candidate tier", "Candidate score"}
                <= set(df.value.columns))
    assert len(cell) == min(500, count)
    assert set(cell["Tier now"]) <= {tier_from} and set(cell["Candidate tier"]) <= {tier_to}


def test_a_picked_cell_stays_while_the_inputs_move(page: AppTest) -> None:
    page.selectbox(key="sim_cell").set_value("low|low").run()
    page.slider(key="sim_in:weight.severity").set_value(0.6).run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.selectbox(key="sim_cell").value == "low|low"
    assert_cell_shown(page, "low", "low", count=int(shown_matrix(page).loc["low", "low"]))
    # resetting the inputs hands the cell back to the page: the biggest move again
    next(b for b in page.button if "Reset" in b.label).click().run()
    page.slider(key="sim_in:weight.severity").set_value(0.6).run()
    after = shown_matrix(page)
    biggest = max(((a, b) for a in after.index for b in after.columns if a != b), key=lambda c: after.loc[c])
    assert page.selectbox(key="sim_cell").value == "auto"
    assert_cell_shown(page, *biggest, count=int(after.loc[biggest]))


def test_a_cell_lists_its_tickets(page: AppTest) -> None:
    page.slider(key="sim_in:weight.severity").set_value(0.6)  # a heavier severity moves high tickets up
    page.selectbox(key="sim_cell").set_value("high|critical").run()
    cell = next(df.value for df in page.dataframe if {"Tier now", "Candidate tier", "Candidate score"}
                <= set(df.value.columns) and "Moved most by" not in df.value.columns)
    assert len(cell) == min(500, shown_matrix(page).loc["high", "critical"]) > 0
    assert set(cell["Tier now"]) == {"high"} and set(cell["Candidate tier"]) == {"critical"}


def test_a_lenient_tier_with_a_shorter_target_warns(page: AppTest) -> None:
    page.number_input(key="sim_in:target.medium.acknowledge").set_value(1.0).run()
    assert not page.exception
    assert any("medium target 1h is shorter than high's 2h" in w.value for w in page.warning)


def test_thresholds_out_of_order_are_an_error_not_a_crash(page: AppTest) -> None:
    page.slider(key="sim_in:threshold.medium").set_value(0.9).run()
    assert not page.exception
    # one plain sentence beside the thresholds, a pointer to it on the page, and the link keeps no bad value
    assert [e.value for e in page.sidebar.error] == [
        "Thresholds must not rise from critical to high to medium (a ticket that scores enough for a tier scores "
        "enough for the ones below it); now critical 0.75, high 0.5, medium 0.9."]
    assert any(w.value.startswith("The candidate cannot be judged as it stands") for w in page.warning)
    assert "threshold.medium" not in page.query_params.get("candidate", "")
    page.slider(key="sim_in:threshold.medium").set_value(0.25).run()
    assert not page.error


def test_a_saved_scenario_downloads_as_a_policy_evaluate_accepts(page: AppTest, tmp_path: Path) -> None:
    # the candidate this scenario saves (set here, so the test does not lean on the order of the others)
    page.slider(key="sim_in:weight.severity").set_value(0.6)
    page.slider(key="sim_in:weight.segment").set_value(0.15)
    page.slider(key="sim_in:threshold.medium").set_value(0.25)
    page.number_input(key="sim_in:target.medium.acknowledge").set_value(1.0).run()
    page.text_input(key="sim_scenario_name").set_value("severity heavy").run()
    page.button(key="sim_save").click().run()
    assert not page.exception
    page.slider(key="sim_in:weight.segment").set_value(0.3).run()
    page.text_input(key="sim_scenario_name").set_value("segment heavy").run()
    page.button(key="sim_save").click().run()
    table = next(df.value for df in page.dataframe if "Scenario" in df.value.columns)
    table = table[table.Scenario.isin(["severity heavy", "segment heavy"])]  # the sample's records are shared
    assert set(table.Scenario) == {"severity heavy", "segment heavy"}  # oldest first (same instant here: by name)
    assert table["change tier"].iloc[0] != table["change tier"].iloc[1]
    page.selectbox(key="sim_scenario_pick").set_value("severity heavy").run()
    assert page.get("download_button")[-1].proto.label == "Download policy YAML"
    diff = page.code[0].value
    assert "+    severity: 0.6" in diff and "+    acknowledge: 1h" in diff
    assert "segment: 0.3" not in diff  # the first scenario was saved before the segment moved

    source: DataSource = page.session_state[StateKeys.ACTIVE_SOURCE]
    text = kept.find_scenario("severity heavy", source.records).policy_yaml  # the bytes the button serves
    folder = tmp_path / "policy"
    shutil.copytree(SAMPLE_POLICY.parent / "playbooks", folder / "playbooks")
    (folder / "policy.yaml").write_text(text)
    loaded = load_policy(folder / "policy.yaml")
    assert loaded.rubric.weights["severity"] == 0.6
    assert policy_from_dict(yaml.safe_load(text)).tiers["medium"].target("acknowledge") == ("business", 3600)
    out = tmp_path / "results.csv"
    code = cli_main(["evaluate", "--tickets", str(SAMPLE_POLICY.parent / "tickets.csv"), "--policy",
                     str(folder / "policy.yaml"), "--as-of", "2026-11-26T12:00", "--out", str(out)])
    assert code == 0 and len(out.read_text().splitlines()) > 1000


def test_a_saved_scenario_survives_a_reload_and_opens_from_its_link() -> None:
    first = open_simulator()
    first.slider(key="sim_in:weight.severity").set_value(0.7)
    first.number_input(key="sim_in:target.high.acknowledge").set_value(3.0).run()
    first.text_input(key="sim_scenario_name").set_value("  reload check  ").run()
    first.button(key="sim_save").click().run()
    assert not first.exception and not first.error, [e.value for e in first.error]
    assert first.query_params["scenario"] == "reload check"  # the page's own link now names it
    moved = shown_matrix(first)
    source: DataSource = first.session_state[StateKeys.ACTIVE_SOURCE]
    assert kept.find_scenario("reload check", source.records) is not None
    assert source.records != source.records.parent / "sla_board.duckdb"

    # A new session (a reload, or a colleague) opening the link gets the same inputs and the same matrix.
    again = AppTest.from_file(APP, default_timeout=120)
    again.run()
    again.query_params["scenario"] = "reload check"
    again.switch_page(PAGE).run()
    assert not again.exception, [e.value for e in again.exception]
    assert again.slider(key="sim_in:weight.severity").value == pytest.approx(0.7)
    assert again.number_input(key="sim_in:target.high.acknowledge").value == pytest.approx(3.0)
    pd.testing.assert_frame_equal(shown_matrix(again), moved)
    names = next(df.value for df in again.dataframe if "Scenario" in df.value.columns).Scenario
    assert "reload check" in set(names)
    kept.delete_scenario("reload check", source.records, actor=local_actor())


def test_a_scenario_without_a_name_is_refused_with_the_field_named() -> None:
    with pytest.raises(kept.ScenarioError, match="scenario '  ', name: String should have at least 1 character"):
        kept.scenario("  ", "", "timezone: UTC", {})


def test_reset_brings_back_the_current_policy() -> None:
    at = open_simulator()
    at.slider(key="sim_in:weight.severity").set_value(0.9).run()
    assert shown_matrix(at).to_numpy().sum() != shown_matrix(at).to_numpy().trace()
    at.button(key="sim_reset").click().run()
    assert at.slider(key="sim_in:weight.severity").value == pytest.approx(0.35)
    matrix = shown_matrix(at)
    assert matrix.to_numpy().sum() == matrix.to_numpy().trace()


def test_an_upload_is_simulated_in_its_own_session_only(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from sla_core.sources import upload_source

    tickets = tmp_path / "export.csv"
    # the sample's first 600 tickets: December 2025 to early 2026, so the last full quarter is Q4 2025 or Q1 2026
    lines = (SAMPLE_POLICY.parent / "tickets.csv").read_text().splitlines()[:601]
    tickets.write_text("\n".join(lines) + "\n")
    uploaded = upload_source(tickets, None, load_policy(SAMPLE_POLICY), label="export.csv",
                             as_of=datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[StateKeys.UPLOAD] = uploaded
    at.session_state[StateKeys.PENDING_SOURCE] = "upload"  # how a page picks a source for the sidebar
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    held = at.session_state["sim_private"]
    assert held["baseline"].con is uploaded.con  # judged in the upload's own connection
    result = core_result(at)
    assert result.replay.baseline is held["baseline"]
    assert result.replay.period == sim.default_quarter(uploaded.con, uploaded.policy, uploaded.as_of)
    at.slider(key="sim_in:threshold.high").set_value(0.4).run()
    assert not at.exception
    matrix = shown_matrix(at)
    assert matrix.loc["medium", "high"] > 0 and matrix.to_numpy().sum() == result.replay.ticket_count


def test_data_without_rubric_inputs_says_the_rubric_cannot_move_it(tmp_path: Path) -> None:
    """The real ServiceNow export carries none of the rubric's inputs: a moved weight would change nothing, and
    the page says why instead of a bare "nothing changes"."""
    from datetime import datetime, timezone

    import duckdb

    from sla_core.sources import upload_source

    tickets = tmp_path / "bare.csv"
    duckdb.sql(f"COPY (SELECT ticket_id, created_at, impact, acknowledged_at, resolved_at "
               f"FROM read_csv('{SAMPLE_POLICY.parent / 'tickets.csv'}', all_varchar = true)) TO '{tickets}'")
    uploaded = upload_source(tickets, None, load_policy(SAMPLE_POLICY), label="bare.csv",
                             as_of=datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[StateKeys.UPLOAD] = uploaded
    at.session_state[StateKeys.PENDING_SOURCE] = "upload"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(w.value.startswith("This data has none of the rubric's inputs (customers affected, segment, severity, "
                                  "regulatory, workaround)") for w in at.warning), [w.value for w in at.warning]
    at.slider(key="sim_in:weight.severity").set_value(0.9).run()
    assert {m.label: m.value for m in at.metric}["Change tier"] == "0"
