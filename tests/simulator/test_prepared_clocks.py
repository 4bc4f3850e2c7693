"""The simulator's fast path judges what a fresh evaluation judges.

`PreparedClocks.judge` (stops, pauses and tier events computed once, tiers
given from the scored profiles) and the coded output are there for speed
only: each must equal `evaluate` row for row, or the simulator would report
a candidate's effect wrongly.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sla_core import simulate as sim
from sla_core.clocks.engine import CODED_COLUMNS, RESULT_COLUMNS, evaluate, result_select
from sla_core.policy import Policy, policy_from_dict, policy_to_dict
from tests.simulator.conftest import AS_OF

CANDIDATES = {
    "current": lambda p: p,
    "weight": lambda p: sim.with_weights(p, severity=0.6, workaround=-0.3),
    "thresholds above one": lambda p: sim.with_thresholds(p, critical=1.3, high=1.2, medium=1.1),
    "target and calendar": lambda p: sim.with_target(sim.with_target(p, "high", "acknowledge", "30m"),
                                                     "low", "resolution", "30d"),
    "segment override": lambda p: sim.with_target(p, "medium", "acknowledge", "1h", segment="enterprise"),
    # segment codes follow the candidate's own list of segments, not the prepared one
    "new segment override": lambda p: sim.with_target(p, "medium", "acknowledge", "1h", segment="self_serve"),
    "segments reordered": lambda p: policy_from_dict(
        {**policy_to_dict(sim.with_target(p, "high", "acknowledge", "1h", segment="self_serve")),
         "segments": {"self_serve": {"high": {"acknowledge": "1h"}}, "enterprise": {"medium": {"acknowledge": "4h"}}}},
        base_dir=p.base_dir),
    "no segments": lambda p: policy_from_dict({**policy_to_dict(p), "segments": {}}, base_dir=p.base_dir),
    "tier changes at creation": lambda p: policy_from_dict({**policy_to_dict(p), "on_tier_change": "keep_initial"},
                                                           base_dir=p.base_dir),
}


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["ticket_key", "metric_i"]).reset_index(drop=True)


def _tiers_sql(replay: sim.Replay, scores: str) -> str:
    """DESIGN.md's rule: a ticket keeps its tier (assigned impact, else the current rubric's) unless the
    candidate's rubric tiers it differently from the current rubric."""
    return (f"SELECT k.{sim.TICKET_KEY} AS ticket_key, CASE WHEN cand.rubric_tier IS DISTINCT FROM cur.rubric_tier "
            f"THEN cand.rubric_tier ELSE coalesce(k.impact, cur.rubric_tier) END AS tier FROM {replay.profiled_tickets} k "
            f"LEFT JOIN {replay.profile_scores} cur USING (profile_id) LEFT JOIN {scores} cand USING (profile_id)")


def _fresh(replay: sim.Replay, candidate: Policy, scores: str) -> pd.DataFrame:
    """A plain evaluation of the period's tickets with the candidate's tiers written in as their impact."""
    cur = replay.con.cursor()
    cur.execute(f"CREATE OR REPLACE TABLE _fresh_tickets AS SELECT t.* REPLACE (o.tier AS impact) FROM {replay.period_tickets} t "
                f"JOIN ({_tiers_sql(replay, scores)}) o ON o.ticket_key = t.{sim.TICKET_KEY}")
    evaluate(cur, candidate, AS_OF, tickets="_fresh_tickets", events=replay.period_events, out="_fresh_codes",
             coded_by=sim.TICKET_KEY)
    return _ordered(cur.execute("SELECT * FROM _fresh_codes").df())


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_prepared_judging_equals_a_fresh_evaluation(replay: sim.Replay, policy: Policy, name: str) -> None:
    candidate = CANDIDATES[name](policy)
    cur = replay.con.cursor()
    scores = "_cand_scores"
    sim.score_profiles(cur, candidate, replay.profiles, scores)
    replay.clocks.judge(cur, candidate, "_judged_codes", tiers=_tiers_sql(replay, scores))
    judged = _ordered(cur.execute("SELECT * FROM _judged_codes").df())
    assert list(judged.columns) == list(CODED_COLUMNS)
    assert len(judged) == 3 * replay.ticket_count
    fresh = _fresh(replay, candidate, scores)
    pd.testing.assert_frame_equal(judged, fresh, check_dtype=False)
    if candidate.rubric == policy.rubric:  # the simulator then keeps the prepared base tiers
        replay.clocks.judge(cur, candidate, "_judged_codes")
        kept_tiers = _ordered(cur.execute("SELECT * FROM _judged_codes").df())
        pd.testing.assert_frame_equal(kept_tiers, fresh, check_dtype=False)


def test_judging_some_tickets_and_metrics_gives_their_rows_of_all(replay: sim.Replay, policy: Policy) -> None:
    candidate = sim.with_weights(policy, severity=0.6)
    cur = replay.con.cursor()
    cur.execute(f"CREATE OR REPLACE TABLE _some AS SELECT {sim.TICKET_KEY} AS ticket_key FROM {replay.period_tickets} "
                f"WHERE {sim.TICKET_KEY} % 3 = 0")
    sim.score_profiles(cur, candidate, replay.profiles, "_cand_scores")
    replay.clocks.judge(cur, candidate, "_some_codes", metrics=["resolution"], only="_some",
                        tiers=_tiers_sql(replay, "_cand_scores"))
    some = _ordered(cur.execute("SELECT * FROM _some_codes").df())
    every = _fresh(replay, candidate, "_cand_scores")
    expected = every[(every.ticket_key % 3 == 0) & (every.metric_i == 2)].reset_index(drop=True)
    assert len(some) > 0
    pd.testing.assert_frame_equal(some, expected, check_dtype=False)


def test_prepared_clocks_refuse_a_policy_that_pauses_differently(replay: sim.Replay, policy: Policy) -> None:
    no_pauses = policy_from_dict({**policy_to_dict(policy), "pauses": {}}, base_dir=policy.base_dir)
    assert not replay.clocks.fits(no_pauses)
    with pytest.raises(ValueError, match="pauses or reopens"):
        replay.clocks.judge(replay.con.cursor(), no_pauses, "_never")


def test_codes_decode_to_the_text_result(replay: sim.Replay, policy: Policy) -> None:
    cur = replay.con.cursor()
    evaluate(cur, policy, AS_OF, tickets=replay.period_tickets, events=replay.period_events, out="_text")
    evaluate(cur, policy, AS_OF, tickets=replay.period_tickets, events=replay.period_events, out="_codes", coded_by=sim.TICKET_KEY)
    decoded, params = result_select("c", policy)
    from_codes = cur.execute(
        f"""SELECT {decoded} FROM (SELECT r.*, t.ticket_id, t.segment, t.owner_team, epoch_us(t.created_at) AS created_us
                                   FROM _codes r JOIN {replay.period_tickets} t ON t.{sim.TICKET_KEY} = r.ticket_key) c
            ORDER BY ticket_id, metric""",
        params,
    ).df()
    text = cur.execute("SELECT * FROM _text ORDER BY ticket_id, metric").df()
    assert list(from_codes.columns) == list(RESULT_COLUMNS)
    assert set(text.state) >= {"met", "breached", "untimed"}  # a past quarter: every clock decided
    pd.testing.assert_frame_equal(from_codes, text)


def test_a_closed_replay_leaves_no_prepared_tables(replay: sim.Replay) -> None:
    other = sim.prepare_replay(replay.baseline, replay.period)
    count = "SELECT count(*) FROM information_schema.tables WHERE starts_with(table_name, ?)"
    assert replay.con.execute(count, [other.clocks.prefix]).fetchone()[0] == 3  # tickets, tier events, pauses
    other.close()
    assert replay.con.execute(count, [other.prefix]).fetchone()[0] == 0
