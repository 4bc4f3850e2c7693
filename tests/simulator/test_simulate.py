"""simulate: an identical candidate changes nothing, raised thresholds send every scored ticket to low,
and re-evaluating only the tickets that can differ gives what re-evaluating all of them gives."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from sla_core import simulate as sim
from sla_core.clocks.engine import evaluate
from sla_core.policy import Policy, policy_from_dict, policy_to_dict
from sla_core.vocab import METRICS, TIERS
from tests.conftest import at, load_tables, make_policy
from tests.simulator.conftest import HAND_RUBRIC


def full_diff(result: sim.Simulation) -> pd.DataFrame:
    sql, params = result.diff_sql()
    frame = result.con.cursor().execute(f"SELECT * FROM ({sql}) ORDER BY ticket_id, metric", params).df()
    return frame.drop(columns=["changed", "why_factor", "why_delta", "reason"]).reset_index(drop=True)


def test_the_default_period_is_the_default_quarter(replay: sim.Replay) -> None:
    # the generator's data ends on 2026-11-26: Q4 is running, so Q3 is replayed
    assert replay.period == sim.Period(date(2026, 7, 1), date(2026, 10, 1))
    assert replay.ticket_count > 500
    # the sample carries every rubric input
    assert all(n > 0 for n in replay.factor_counts.values()), replay.factor_counts


def test_the_default_quarter_is_the_latest_with_most_of_the_data(policy: Policy) -> None:
    # Q1 2016 holds 4 tickets, Q2 10, Q3 2 (a thin tail: under half of Q2's), Q4 6 (at least half), and the data
    # ends in Q1 2017 (not a full quarter): Q4 2016 is the latest full quarter with at least half the busiest's
    days = ["2016-02-29"] * 4 + ["2016-05-02"] * 10 + ["2016-08-01"] * 2 + ["2016-11-01"] * 6 + ["2017-02-16"]
    con = duckdb.connect()
    rows = [{"ticket_id": f"T{i}", "created_at": at(f"{d} 10:00"), "impact": "low"} for i, d in enumerate(days)]
    load_tables(con, rows, [])
    as_of = at("2026-12-07 10:00")
    assert sim.default_quarter(con, policy, as_of) == sim.Period(date(2016, 10, 1), date(2017, 1, 1))
    # without Q4's tickets the tail is thin: back to the busy spring
    con.execute("DELETE FROM tickets WHERE created_at >= ? AND created_at < ?", [at("2016-10-01 00:00"),
                                                                               at("2017-01-01 00:00")])
    assert sim.default_quarter(con, policy, as_of) == sim.Period(date(2016, 4, 1), date(2016, 7, 1))


def test_a_bad_candidate_is_one_sentence_about_its_own_inputs(policy: Policy) -> None:
    inputs = sim.current_inputs(policy)
    assert sim.input_problems(inputs) == {}
    # a threshold of 0 for high under medium's 0.25: the thresholds say so, nothing else does
    problems = sim.input_problems({**inputs, "threshold.high": 0.0})
    assert list(problems) == ["threshold"]
    assert problems["threshold"].startswith("Thresholds must not rise from critical to high to medium")
    assert "high 0" in problems["threshold"] and "\n" not in problems["threshold"]
    # a target of 10^8 hours is out of the inputs' range, said of the target
    problems = sim.input_problems({**inputs, "target.critical.acknowledge": 1e8})
    assert problems == {"target": "critical acknowledge is 1e+08 hours: it must lie between 0 and 8,760 hours."}


@pytest.mark.parametrize("only_affected", [True, False], ids=["affected-only", "every-ticket"])
def test_identical_candidate_gives_identity(replay: sim.Replay, policy: Policy, only_affected: bool) -> None:
    # a copy through the file format, not the same object
    twin = policy_from_dict(policy_to_dict(policy), base_dir=policy.base_dir)
    result = sim.simulate(replay, twin, only_affected=only_affected)
    matrix = result.transition_matrix()
    assert list(matrix.index) == list(TIERS) == list(matrix.columns)
    off_diagonal = matrix.to_numpy().sum() - matrix.to_numpy().trace()
    assert off_diagonal == 0
    assert matrix.to_numpy().trace() == replay.ticket_count
    adherence = result.adherence()
    decided = adherence[adherence.met_current + adherence.breached_current > 0]
    assert not decided.empty
    assert (decided.delta_points == 0).all()
    for side in ("met", "breached"):
        assert (adherence[f"{side}_current"] == adherence[f"{side}_candidate"]).all()
    assert result.changed_count() == 0 and result.changed_tickets().empty
    load = result.on_call_load(capacity=10)
    assert (load.current == load.candidate).all()
    assert result.affected == (0 if only_affected else replay.ticket_count)


def test_thresholds_above_one_move_every_ticket_the_rubric_moves_to_low(replay: sim.Replay, policy: Policy) -> None:
    # the default rubric's largest score is 0.30 + 0.15 + 0.35 + 0.20 = 1.0 < 1.1: the candidate's rubric tiers
    # every scored ticket low, but critical where a hard rule holds
    candidate = sim.with_thresholds(policy, critical=1.3, high=1.2, medium=1.1)
    diff = full_diff(sim.simulate(replay, candidate))
    # an impact event sets the tier in force on both sides alike (DESIGN.md): leave those tickets out
    with_events = {r[0] for r in replay.con.execute(
        f"SELECT ticket_id FROM {replay.profiled_tickets} WHERE has_impact_events").fetchall()}
    assert with_events, "the generated data should hold impact events"
    diff = diff[~diff.ticket_id.isin(with_events)]
    scored = diff[diff.score_current.notna()]
    assert len(scored) > 0

    def current_rubric_tier(score: float, hard: bool) -> str:  # the sample policy's thresholds 0.75 / 0.50 / 0.25
        return "critical" if hard or score >= 0.75 else "high" if score >= 0.5 else "medium" if score >= 0.25 else "low"

    before = [current_rubric_tier(s, h) for s, h in zip(scored.score_current, scored.hard_rule_current)]
    after = ["critical" if h else "low" for h in scored.hard_rule_candidate]
    rubric_moved = pd.Series([a != b for a, b in zip(before, after)], index=scored.index)
    # a ticket the candidate's rubric tiers differently takes that tier ...
    assert rubric_moved.any() and (scored[rubric_moved].tier_candidate == "low").all()
    # ... every other one keeps the tier it was judged at, hard rules included
    kept = scored[~rubric_moved]
    assert (kept.hard_rule_candidate).any() and (kept.tier_current == kept.tier_candidate).all()
    unscored = diff[diff.score_current.isna()]
    assert len(unscored) > 0
    assert (unscored.tier_current == unscored.tier_candidate).all()  # no rubric inputs: keeps its impact


def test_the_current_side_is_the_reviews_adherence(replay: sim.Replay, policy: Policy) -> None:
    """What the Review computes (a plain evaluation) equals the simulator's current side, per tier and metric."""
    con = replay.con.cursor()
    evaluate(con, policy, replay.baseline.as_of, out="_review_results")
    review_side = con.execute(
        f"""SELECT tier, metric, count(*) FILTER (WHERE state = 'met') AS met,
                   count(*) FILTER (WHERE state = 'breached') AS breached
            FROM _review_results SEMI JOIN {replay.profiled_tickets} USING (ticket_id) GROUP BY ALL"""
    ).df().set_index(["tier", "metric"])
    current = sim.simulate(replay, policy).adherence().set_index(["tier", "metric"])
    current = current[current.met_current + current.breached_current > 0]
    assert len(current) >= 7  # every timed tier x metric of the sample policy
    assert (current.met_current == review_side.met.reindex(current.index)).all()
    assert (current.breached_current == review_side.breached.reindex(current.index)).all()


CANDIDATES = {
    "weight": lambda p: sim.with_weights(p, severity=0.5, workaround=-0.2),
    "scale": lambda p: sim.with_scale(p, "customers_affected", 100, 0.9),
    "threshold": lambda p: sim.with_thresholds(p, high=0.6),
    "target": lambda p: sim.with_target(p, "high", "acknowledge", "1h"),
    "untimed": lambda p: sim.with_target(p, "medium", "resolution", None),
    "segment-override": lambda p: sim.with_target(p, "medium", "acknowledge", "2h", segment="enterprise"),
    "new-segment-override": lambda p: sim.with_target(p, "medium", "acknowledge", "1h", segment="self_serve"),
    "clock-setting": lambda p: policy_from_dict({**policy_to_dict(p), "pauses": {}}, base_dir=p.base_dir),
    "everything": lambda p: sim.with_target(sim.with_weights(p, segment=0.3), "critical", "action_plan", "1h"),
}


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_only_affected_equals_full_reevaluation(replay: sim.Replay, policy: Policy, name: str) -> None:
    candidate = CANDIDATES[name](policy)
    quick = sim.simulate(replay, candidate)
    full = sim.simulate(replay, candidate, only_affected=False)
    assert quick.changed_count() > 0, "the candidate should change something"
    assert quick.affected <= full.affected == replay.ticket_count
    # a candidate that only moves targets re-judges only the metrics whose targets moved
    only_targets = name in ("target", "untimed", "segment-override", "new-segment-override")
    assert quick.metrics == ({"target": ["acknowledge"], "untimed": ["resolution"], "segment-override": ["acknowledge"],
                              "new-segment-override": ["acknowledge"]}[name] if only_targets else list(METRICS))
    pd.testing.assert_frame_equal(full_diff(quick), full_diff(full))
    pd.testing.assert_frame_equal(quick.transition_matrix(), full.transition_matrix())
    pd.testing.assert_frame_equal(quick.adherence(), full.adherence())
    pd.testing.assert_frame_equal(quick.on_call_load(50), full.on_call_load(50))
    assert quick.changed_count() == full.changed_count()


def test_a_weight_change_names_the_factor_that_moved(replay: sim.Replay, policy: Policy) -> None:
    result = sim.simulate(replay, sim.with_weights(policy, severity=0.6))
    changed = result.changed_tickets()
    moved = changed[changed.tier_current != changed.tier_candidate]
    assert len(moved) > 0
    assert set(moved.why_factor.dropna()) == {"severity"}
    # a heavier severity only raises scores; a moved ticket takes the candidate rubric's tier (DESIGN.md), which
    # is above the current rubric's but may be below the impact someone assigned
    assert (moved.score_candidate > moved.score_current).all()
    assert moved.reason.str.contains("mostly severity").all()
    # the tickets behind a cell are those the matrix counts
    matrix = result.transition_matrix()
    a, b = moved.iloc[0].tier_current, moved.iloc[0].tier_candidate
    assert len(result.cell_tickets(a, b, limit=100_000)) == matrix.loc[a, b]


def test_a_target_change_explains_the_state_change(replay: sim.Replay, policy: Policy) -> None:
    result = sim.simulate(replay, sim.with_target(policy, "medium", "acknowledge", "1h"))
    changed = result.changed_tickets()
    assert len(changed) > 0
    assert (changed.tier_current == changed.tier_candidate).all()
    assert changed.state_changes.str.contains("acknowledge: met → breached").any()
    assert changed.reason.str.contains("acknowledge target for medium 8h → 1h").all()
    adherence = result.adherence().set_index(["tier", "metric"])
    assert adherence.loc[("medium", "acknowledge"), "delta_points"] < 0
    assert adherence.loc[("high", "acknowledge"), "delta_points"] == 0


def test_on_call_load_counts_critical_and_high_per_iso_week(replay: sim.Replay, policy: Policy) -> None:
    result = sim.simulate(replay, sim.with_thresholds(policy, critical=0.6, high=0.4))
    load = result.on_call_load(capacity=20)
    assert load.iso_week.str.match(r"^\d{4}-W\d{2}$").all()
    assert (load.candidate >= load.current).all() and (load.candidate > load.current).any()
    assert (load.over_candidate == (load.candidate > 20)).all()
    on_call = result.con.cursor().execute(
        f"SELECT count(*) FROM {replay.profiled_tickets} WHERE tier_cur IN ('critical', 'high')").fetchone()[0]
    assert load.current.sum() == on_call
    assert sim.busiest_on_call_week(replay) == load.current.max() > 0


def test_calibration_compares_the_current_rubric_with_assigned_impact(replay: sim.Replay) -> None:
    cal = sim.calibration(replay)
    assert cal.compared == int(cal.matrix.to_numpy().sum()) > 0
    assert cal.agreeing == int(cal.matrix.to_numpy().trace())
    assert 0 < cal.agreement < 1  # the generator draws ~10% of inputs for a neighbouring tier
    assert (cal.disagreements.impact != cal.disagreements.rubric_tier).all()


def test_period_is_local_dates_start_inclusive_end_exclusive() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    load_tables(con, [
        {"ticket_id": "before", "created_at": at("2026-06-30 23:59"), "impact": "low"},
        {"ticket_id": "first", "created_at": at("2026-07-01 00:00"), "impact": "low"},  # 2026-06-30 23:00 UTC
        {"ticket_id": "last", "created_at": at("2026-09-30 23:59"), "impact": "high"},
        {"ticket_id": "after", "created_at": at("2026-10-01 00:00"), "impact": "low"},
    ], [])
    policy = make_policy(rubric=HAND_RUBRIC)
    replay = sim.prepare_replay(sim.prepare_baseline(con, policy, at("2026-11-01 00:00")),
                                sim.Period(date(2026, 7, 1), date(2026, 10, 1)))
    ids = {r[0] for r in con.execute(f"SELECT ticket_id FROM {replay.profiled_tickets}").fetchall()}
    assert ids == {"first", "last"}


def test_a_bad_period_is_refused() -> None:
    with pytest.raises(ValueError, match="must be after"):
        sim.Period(date(2026, 10, 1), date(2026, 7, 1))


def test_tables_are_dropped_when_a_simulation_is_closed(replay: sim.Replay, policy: Policy) -> None:
    result = sim.simulate(replay, sim.with_weights(policy, severity=0.4))
    prefix = result.prefix
    count = "SELECT count(*) FROM information_schema.tables WHERE starts_with(table_name, ?)"
    assert result.con.execute(count, [prefix]).fetchone()[0] > 0
    result.close()
    assert result.con.execute(count, [prefix]).fetchone()[0] == 0
