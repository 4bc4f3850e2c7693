"""Any bytes given as a policy file end in a policy or in one PolicyError line: never a traceback or a hang."""

from __future__ import annotations

import copy
from pathlib import Path

import hypothesis.strategies as st
import yaml
from hypothesis import HealthCheck, given, settings

from sla_core.policy import Policy, PolicyError, load_policy, policy_from_dict
from tests.conftest import SAMPLE_POLICY

SETTINGS = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load_or_refuse(path: Path) -> None:
    try:
        assert isinstance(load_policy(path), Policy)
    except PolicyError as err:
        assert str(err) and "\n" not in str(err)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "policy.yaml"
    path.write_bytes(data)
    _load_or_refuse(path)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@SETTINGS
@given(st.sampled_from(["timezone", "at_risk_ratio", "calendars", "tiers", "segments", "pauses", "on_tier_change",
                        "on_reopen", "rubric", "triage_required", "playbooks"]), yaml_values)
def test_any_value_under_a_real_key(key, value):
    # The sample policy with one top-level key replaced by arbitrary YAML data.
    data = copy.deepcopy(yaml.safe_load(SAMPLE_POLICY.read_text()))
    data[key] = value
    try:
        policy_from_dict(data, base_dir=SAMPLE_POLICY.parent)
    except PolicyError as err:
        assert str(err).startswith("policy: ") and "\n" not in str(err)


@SETTINGS
@given(st.text(max_size=12), st.text(max_size=12))
def test_any_duration_and_interval_text(duration, interval):
    data = copy.deepcopy(yaml.safe_load(SAMPLE_POLICY.read_text()))
    data["tiers"]["high"]["acknowledge"] = duration
    data["calendars"]["business"]["hours"]["mon"] = [interval]
    try:
        policy_from_dict(data)
    except PolicyError as err:
        assert "\n" not in str(err)
