"""The policy file: the bundled one loads, bad ones are refused naming the key, every key is documented."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from sla_core.policy import PolicyError, load_policy, parse_duration, policy_from_dict
from sla_core.policy.playbooks import missing_playbooks
from tests.conftest import ROOT, SAMPLE_POLICY

DESIGN = ROOT.parent / "shared" / "DESIGN.md"


def sample_dict() -> dict:
    return yaml.safe_load(SAMPLE_POLICY.read_text())


def test_bundled_policy_has_the_framework_targets():
    policy = load_policy(SAMPLE_POLICY)
    assert policy.targets_for("critical").target("acknowledge") == ("24x7", 30 * 60)
    assert policy.targets_for("critical").target("action_plan") == ("24x7", 2 * 3600)
    assert policy.targets_for("high").target("acknowledge") == ("business", 2 * 3600)
    assert policy.targets_for("high").target("action_plan") == ("business", 24 * 3600)
    assert policy.targets_for("medium").target("acknowledge") == ("business", 8 * 3600)
    assert policy.targets_for("medium", "enterprise").target("acknowledge") == ("business", 4 * 3600)
    assert policy.targets_for("medium").target("resolution") == ("24x7", 14 * 86400)
    assert policy.targets_for("low").target("acknowledge") == ("business", 24 * 3600)
    assert policy.targets_for("low").target("resolution") == ("business", None)  # tracked, not timed
    assert policy.playbooks and all(policy.playbook_path(rule).is_file() for rule in policy.playbooks)
    assert not missing_playbooks(policy)


def test_policy_round_trips_through_yaml():
    policy = load_policy(SAMPLE_POLICY)
    again = policy_from_dict(yaml.safe_load(policy.to_yaml()), base_dir=policy.base_dir)
    assert again == policy


@pytest.mark.parametrize(
    "text, seconds",
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("14d", 14 * 86400), ("1w", 7 * 86400), ("1.5h", 5400)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def _refused(change) -> str:
    data = sample_dict()
    change(data)
    with pytest.raises(PolicyError) as err:
        policy_from_dict(data)
    return str(err.value)


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d.update(colour="blue"), r"colour: unknown key"),
        (lambda d: d["tiers"]["high"].update(acknowledge="2 hours"), r"tiers\.high\.acknowledge.*bad duration '2 hours'"),
        (lambda d: d["tiers"]["high"].update(acknowledge=120), r"tiers\.high\.acknowledge.*bad duration 120"),
        (
            lambda d: d["calendars"]["business"]["hours"].update(mon=["09:00-13:00", "12:00-18:00"]),
            r"calendars\.business\.hours: mon: intervals 09:00-13:00 and 12:00-18:00 overlap",
        ),
        (lambda d: d["calendars"]["business"]["hours"].update(tue=["18:00-09:00"]), r"calendars\.business\.hours.*must end after it starts"),
        (lambda d: d["tiers"]["low"].update(calendar="support_hours"), r"tiers\.low: unknown calendar 'support_hours'"),
        (lambda d: d["segments"]["enterprise"]["medium"].update(calendar="nope"), r"segments\.enterprise\.medium: unknown calendar 'nope'"),
        (lambda d: d["rubric"]["thresholds"].update(high=0.9), r"rubric\.thresholds: thresholds out of order"),
        (lambda d: d.update(timezone="Europe/Londn"), r"timezone: unknown timezone 'Europe/Londn'"),
        (lambda d: d["calendars"]["business"].update(holiday_country="XX"), r"holiday_country: unknown holiday country 'XX'"),
        (lambda d: d.update(on_reopen="sometimes"), r"on_reopen: 'sometimes' is not allowed"),
        (lambda d: d["pauses"].update(resolution=["on_holiday"]), r"pauses\.resolution\.0: 'on_holiday' is not allowed"),
        (lambda d: d["tiers"].pop("low"), r"tiers: missing low"),
        (lambda d: d["rubric"]["scales"]["severity"].update(meteor=1.0), r"severity\.meteor: unknown severity"),
        (lambda d: d.update(at_risk_ratio=1.5), r"at_risk_ratio"),
    ],
)
def test_bad_policy_is_refused_naming_the_key(change, expected):
    message = _refused(change)
    assert re.search(expected, message), message
    assert "\n" not in message


def test_a_missing_playbook_file_is_named_and_stops_nothing(tmp_path: Path):
    data = sample_dict()
    data["playbooks"] = {"critical": "playbooks/missing.md"}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    policy = load_policy(path)  # DESIGN.md: reported where playbooks are shown, it does not stop evaluate
    (missing,) = missing_playbooks(policy)
    assert missing.file == "playbooks/missing.md" and missing.path == tmp_path / "playbooks" / "missing.md"
    assert missing.summary == "Missing (file playbooks/missing.md not found)"


def test_not_yaml_is_refused(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    path.write_text("timezone: [unclosed")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(path)


def _design_policy_block() -> str:
    text = DESIGN.read_text()
    start = text.index("### Policy")
    block = text[start:].split("```yaml", 1)[1].split("```", 1)[0]
    return block


@pytest.mark.skipif(not DESIGN.exists(), reason="../shared/DESIGN.md is not checked out next to the project")
def test_the_example_policy_of_design_is_accepted_as_written():
    # the contract's own example (its playbook files live elsewhere: reported missing, they stop nothing)
    policy = policy_from_dict(yaml.safe_load(_design_policy_block()))
    assert policy.calendars["business"].holiday_country == "GB"
    assert policy.routes["critical"].join_within == 15 * 60
    assert [rule.when.tier for rule in policy.playbooks][1] == ["critical"]


def test_segment_override_with_explicit_null_untimes_the_metric():
    data = sample_dict()
    data["segments"]["self_serve"] = {"high": {"action_plan": None}}
    policy = policy_from_dict(copy.deepcopy(data))
    assert policy.targets_for("high", "self_serve").target("action_plan") == ("business", None)
    assert policy.targets_for("high", "self_serve").target("acknowledge") == ("business", 7200)


def test_a_playbook_tag_matches_as_required_tags_do_trimmed_and_without_case(tmp_path: Path):
    import duckdb

    from sla_core.policy.playbooks import match_sql

    data = sample_dict()
    data["playbooks"] = [{"file": "playbooks/vip.md", "when": {"tags": ["VIP "]}}]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    sql, params = match_sql(load_policy(path))
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 'billing, vip'), ('b', 'Vip'), ('c', 'vipish')) v(id, tags)")
    con.execute("CREATE TABLE r AS SELECT id, 'critical' AS tier, 'self_serve' AS segment, 'breached' AS state FROM t")
    got = dict(con.execute(f"SELECT t.id, {sql} FROM r JOIN t USING (id) ORDER BY 1", params).fetchall())
    assert got == {"a": [0], "b": [0], "c": []}
