"""Building candidates from a user's changes, the targets sanity check and the policy diff."""

from __future__ import annotations

import pytest
import yaml

from sla_core import simulate as sim
from sla_core.policy import Policy, PolicyError, load_policy, policy_from_dict
from tests.conftest import SAMPLE_POLICY


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(SAMPLE_POLICY)


def test_changes_give_a_new_valid_policy(policy: Policy) -> None:
    candidate = sim.apply_changes(policy, {
        "weights": {"severity": 0.5},
        "scales": {"customers_affected": {"1000": 0.9}, "regulatory": {"true": 0.8}, "segment": {"mid_market": 0.6}},
        "thresholds": {"high": 0.55},
        "targets": [{"tier": "medium", "metric": "resolution", "target": "7d"},
                    {"tier": "high", "metric": "acknowledge", "target": 5400},
                    {"tier": "low", "metric": "acknowledge", "target": None}],
    })
    rubric = candidate.rubric
    assert rubric.weights["severity"] == 0.5 and rubric.weights["segment"] == 0.15
    assert rubric.scales["customers_affected"][1000] == 0.9  # the integer key, not a new "1000" key
    assert rubric.scales["regulatory"][True] == 0.8
    assert rubric.scales["segment"]["mid_market"] == 0.6
    assert rubric.thresholds == {"critical": 0.75, "high": 0.55, "medium": 0.25}
    assert candidate.tiers["medium"].target("resolution") == ("24x7", 7 * 86400)  # keeps its own calendar
    assert candidate.tiers["high"].target("acknowledge") == ("business", 5400)
    assert candidate.tiers["low"].target("acknowledge") == ("business", None)
    assert policy.rubric.weights["severity"] == 0.35  # the current policy is untouched
    # the YAML of a candidate reads back to the same policy
    assert policy_from_dict(__import__("yaml").safe_load(candidate.to_yaml()), base_dir=policy.base_dir) == candidate


@pytest.mark.parametrize("changes, message", [
    ({"thresholds": {"medium": 0.9}}, "thresholds out of order"),
    ({"scales": {"severity": {"outage": 1.5}}}, "must be between 0 and 1"),
    ({"scales": {"severity": {"meltdown": 0.5}}}, "unknown severity"),
    ({"targets": [{"tier": "high", "metric": "acknowledge", "target": "soon"}]}, "bad duration"),
    ({"targets": [{"tier": "urgent", "metric": "acknowledge", "target": "1h"}]}, "unknown tier"),
    ({"weights": {"mood": 0.1}}, "rubric.weights.mood"),
])
def test_invalid_changes_raise_policy_error(policy: Policy, changes: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        sim.apply_changes(policy, changes)


def test_the_default_policy_passes_the_targets_sanity_check(policy: Policy) -> None:
    assert sim.targets_warnings(policy) == []


def test_a_lenient_tier_answered_sooner_gets_a_warning(policy: Policy) -> None:
    candidate = sim.with_target(policy, "medium", "acknowledge", "1h")  # high is 2h
    warnings = sim.targets_warnings(candidate)
    assert warnings == [
        "acknowledge: medium target 1h is shorter than high's 2h; a less urgent tier would be answered sooner"
    ]
    # and the segment override that is now slower than... enterprise medium stays 4h: no extra warning
    enterprise = sim.with_target(policy, "medium", "acknowledge", "20m", segment="enterprise")
    assert any("for segment enterprise" in w and "critical's 30m" in w and "calendar" in w
               for w in sim.targets_warnings(enterprise))


def test_policy_diff_shows_only_what_changed(policy: Policy) -> None:
    assert sim.policy_diff(policy, policy) == ""
    diff = sim.policy_diff(policy, sim.with_weights(policy, severity=0.5))
    assert "-    severity: 0.35\n" in diff and "+    severity: 0.5\n" in diff
    assert sum(line.startswith(("+", "-")) and not line.startswith(("+++", "---")) for line in diff.splitlines()) == 2


def test_on_call_tiers_follow_the_routes() -> None:
    from sla_core.policy.teams import on_call_tiers, on_call_words

    data = yaml.safe_load(SAMPLE_POLICY.read_text())
    # The sample: critical and high routes name a join_within window (15m, 2h); medium and low do not.
    assert on_call_tiers(policy_from_dict(data)) == ("critical", "high")
    data["routes"]["medium"]["join_within"] = "1d"
    del data["routes"]["high"]["join_within"]
    assert on_call_words(policy_from_dict(data)) == "critical + medium"
    del data["routes"]
    assert on_call_tiers(policy_from_dict(data)) == ("critical", "high")  # no routes: the old rule
