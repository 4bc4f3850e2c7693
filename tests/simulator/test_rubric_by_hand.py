"""The rubric scored by hand: each factor alone, the step scale, the hard rules and the thresholds' exact edges.

Rubric (conftest.HAND_RUBRIC): weights customers_affected 0.4, segment 0.1, severity 0.3,
regulatory 0.2, workaround -0.1; thresholds critical 0.75, high 0.50, medium 0.25;
data_loss and security are always critical.
"""

from __future__ import annotations

from typing import Any, Optional

import duckdb
import pytest

from sla_core import simulate as sim
from sla_core.clocks.rubric import score_tickets
from sla_core.vocab import FACTORS
from tests.conftest import at, load_tables, make_policy
from tests.simulator.conftest import HAND_RUBRIC

# (ticket columns, expected score, tier, hard rule, non-zero contributions)
CASES: list[tuple[str, dict[str, Any], Optional[float], Optional[str], bool, dict[str, float]]] = [
    # customers_affected is a step function "at least N": 9 -> the 0 step (0.0), 10 -> 0.5, 100 -> 1.0
    ("ca-9", {"customers_affected": 9}, 0.0, "low", False, {}),
    ("ca-10", {"customers_affected": 10}, 0.2, "low", False, {"customers_affected": 0.2}),  # 0.4 * 0.5
    ("ca-99", {"customers_affected": 99}, 0.2, "low", False, {"customers_affected": 0.2}),
    ("ca-100", {"customers_affected": 100}, 0.4, "medium", False, {"customers_affected": 0.4}),  # 0.4 * 1.0
    ("ca-5000", {"customers_affected": 5000}, 0.4, "medium", False, {"customers_affected": 0.4}),
    # each other factor alone
    ("reg", {"regulatory": True}, 0.2, "low", False, {"regulatory": 0.2}),  # 0.2 * 1.0
    ("not-reg", {"regulatory": False}, 0.0, "low", False, {}),
    ("wa", {"workaround": True}, -0.1, "low", False, {"workaround": -0.1}),  # -0.1 * 1.0
    ("sev", {"severity": "blocked"}, 0.15, "low", False, {"severity": 0.15}),  # 0.3 * 0.5
    ("sev-unlisted", {"severity": "question"}, 0.0, "low", False, {}),  # not in the scale: adds nothing
    # segment alone is not a rubric input: no score, the ticket keeps its impact
    ("seg-only", {"segment": "enterprise"}, None, None, False, {}),
    # medium edge: 0.1 (enterprise) + 0.15 (blocked) = 0.25 -> medium, exactly on the threshold
    ("medium-edge", {"segment": "enterprise", "severity": "blocked"}, 0.25, "medium", False,
     {"segment": 0.1, "severity": 0.15}),
    # 0.2 (10 customers) + 0.05 (self_serve 0.1 * 0.5) = 0.25 -> medium; with a workaround 0.15 -> low
    ("medium-edge-2", {"customers_affected": 10, "segment": "self_serve"}, 0.25, "medium", False,
     {"customers_affected": 0.2, "segment": 0.05}),
    ("below-medium", {"customers_affected": 10, "segment": "self_serve", "workaround": True}, 0.15, "low", False,
     {"customers_affected": 0.2, "segment": 0.05, "workaround": -0.1}),
    # high edge: 0.2 (10 customers) + 0.3 (outage) = 0.50 -> high; with a workaround 0.40 -> medium
    ("high-edge", {"customers_affected": 10, "severity": "outage"}, 0.5, "high", False,
     {"customers_affected": 0.2, "severity": 0.3}),
    ("below-high", {"customers_affected": 10, "severity": "outage", "workaround": True}, 0.4, "medium", False,
     {"customers_affected": 0.2, "severity": 0.3, "workaround": -0.1}),
    # critical edge: 0.4 (100 customers) + 0.3 (outage) + 0.05 (self_serve) = 0.75 -> critical;
    # without the segment 0.70 -> high
    ("critical-edge", {"customers_affected": 100, "severity": "outage", "segment": "self_serve"}, 0.75, "critical",
     False, {"customers_affected": 0.4, "severity": 0.3, "segment": 0.05}),
    ("below-critical", {"customers_affected": 100, "severity": "outage"}, 0.7, "high", False,
     {"customers_affected": 0.4, "severity": 0.3}),
    # everything: 0.4 + 0.1 + 0.3 + 0.2 - 0.1 = 0.9
    ("all", {"customers_affected": 1000, "segment": "enterprise", "severity": "outage", "regulatory": True,
             "workaround": True}, 0.9, "critical", False,
     {"customers_affected": 0.4, "segment": 0.1, "severity": 0.3, "regulatory": 0.2, "workaround": -0.1}),
    # hard rules: data_loss with a workaround scores 0.3 - 0.1 = 0.2 (low) but is critical; security alone 0.3
    ("hard-data-loss", {"severity": "data_loss", "workaround": True, "customers_affected": 0}, 0.2, "critical", True,
     {"severity": 0.3, "workaround": -0.1}),
    ("hard-security", {"severity": "security"}, 0.3, "critical", True, {"severity": 0.3}),
]


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, Any]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    tickets = [{"ticket_id": name, "created_at": at("2026-11-02 10:00"), "impact": "low", **cols}
               for name, cols, *_ in CASES]
    load_tables(con, tickets, [])
    policy = make_policy(rubric=HAND_RUBRIC)
    out = score_tickets(con, policy.rubric, tickets="tickets", out="scores")
    cur = con.execute(f"SELECT * FROM {out}")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


@pytest.mark.parametrize("name, cols, score, tier, hard, contribs", CASES, ids=[c[0] for c in CASES])
def test_score_by_hand(scored: dict, name: str, cols: dict, score: Optional[float], tier: Optional[str],
                       hard: bool, contribs: dict[str, float]) -> None:
    row = scored[name]
    if score is None:
        assert row["rubric_score"] is None and row["rubric_tier"] is None and not row["has_rubric_inputs"]
        return
    assert row["rubric_score"] == pytest.approx(score, abs=1e-9)
    assert row["rubric_tier"] == tier
    assert row["hard_rule"] is hard
    for factor in FACTORS:
        assert row[f"contrib_{factor}"] == pytest.approx(contribs.get(factor, 0.0), abs=1e-9), factor


def test_a_ticket_keeps_its_tier_unless_the_candidate_rubric_tiers_it_differently() -> None:
    """DESIGN.md simulate: the current side is the Review's; only a rubric move moves a ticket."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    created = at("2026-11-02 10:00")
    load_tables(con, [
        # assigned low; rubric 0.4 (100 customers) + 0.05 (self_serve) + 0.3 (outage) = 0.75 -> critical
        {"ticket_id": "R", "created_at": created, "impact": "low", "customers_affected": 100,
         "severity": "outage", "segment": "self_serve"},
        # no impact; rubric 0.2 (10 customers) + 0.05 + 0.15 (blocked) = 0.40 -> medium
        {"ticket_id": "N", "created_at": created, "customers_affected": 10, "severity": "blocked",
         "segment": "self_serve"},
        # assigned high, no rubric inputs
        {"ticket_id": "I", "created_at": created, "impact": "high", "segment": "enterprise"},
    ], [])
    policy = make_policy(rubric=HAND_RUBRIC)
    replay = sim.prepare_replay(sim.prepare_baseline(con, policy, at("2026-11-03 10:00")))
    current = dict(con.execute(f"SELECT ticket_id, tier FROM {replay.current_results} WHERE metric = 'acknowledge'")
                   .fetchall())
    assert current == {"R": "low", "N": "medium", "I": "high"}  # what the Review shows: R keeps its impact

    assert sim.simulate(replay, policy).changed_count() == 0

    def moves(candidate: Any) -> dict[str, tuple[str, str]]:
        changed = sim.simulate(replay, candidate).changed_tickets()
        return {r.ticket_id: (r.tier_current, r.tier_candidate) for r in changed.itertuples()
                if r.tier_current != r.tier_candidate}

    # severity 0.6: R 0.4 + 0.05 + 0.6 = 1.05, still critical by the rubric -> R stays low;
    # N 0.2 + 0.05 + 0.3 = 0.55, medium -> high by the rubric -> N moves to high
    assert moves(sim.with_weights(policy, severity=0.6)) == {"N": ("medium", "high")}
    # critical from 0.8: R's 0.75 is now high by the rubric (it moved) -> R takes high; N's 0.40 stays medium
    assert moves(sim.with_thresholds(policy, critical=0.8)) == {"R": ("low", "high")}
