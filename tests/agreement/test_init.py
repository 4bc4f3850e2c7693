"""`python -m sla_core init`: a starter policy that is the bundled one with every key explained, the tool's
mapping and a sync.yaml that the loaders accept, and never a file overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from sla_core.cli.initializing import CUSTOM_FIELDS, TOOLS, custom_spelling
from sla_core.ingest.loading import load_files
from sla_core.ingest.mapping import load_mapping, preset
from sla_core.policy import Policy, load_policy
from sla_core.sync.config import load_config
from tests.agreement.conftest import Run

PRESET_OF = {"servicenow": "servicenow_incidents"}
# What the starter must keep from the bundled policy: every key a team signs, as the engine reads it.
SEED_KEYS = ("timezone", "at_risk_ratio", "calendars", "tiers", "segments", "pauses", "on_tier_change", "on_reopen",
             "rubric", "goals", "disciplines", "routes", "triage_required", "tags_required", "playbooks")


def test_the_starter_policy_is_the_bundled_one(cli: Run, tmp_path: Path, sample_policy: Policy) -> None:
    code, _, err = cli("init", "--dir", tmp_path)
    assert code == 0, err
    starter = load_policy(tmp_path / "policy.yaml")
    for key in SEED_KEYS:  # the bundled file writes its playbooks in the earlier mapping form: the same rules
        assert getattr(starter, key) == getattr(sample_policy, key), key
    assert sorted(p.name for p in (tmp_path / "playbooks").iterdir()) == [
        "engineering_on_call.md", "enterprise_override.md", "security_incident.md"]
    assert not [rule.file for rule in starter.playbooks if not starter.playbook_path(rule).is_file()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["playbooks", "policy.yaml"]  # no tool: no mapping
    assert "--tool" in err


def test_every_key_of_the_starter_says_what_it_does(cli: Run, tmp_path: Path) -> None:
    cli("init", "--dir", tmp_path)
    lines = (tmp_path / "policy.yaml").read_text(encoding="utf-8").splitlines()
    keys = [n for n, text in enumerate(lines) if re.match(r"^[a-z_]+:", text)]
    assert sorted(lines[n].split(":")[0] for n in keys) == sorted(k for k in Policy.model_fields if k != "base_dir")
    uncommented = [lines[n] for n in keys if not lines[n - 1].startswith("#") and "#" not in lines[n]]
    assert uncommented == []


@pytest.mark.parametrize("tool", TOOLS)
def test_a_tool_gets_its_mapping_and_a_sync_yaml_the_loaders_accept(cli: Run, tmp_path: Path, tool: str) -> None:
    code, _, err = cli("init", "--tool", tool, "--dir", tmp_path)
    assert code == 0, err
    mapping = load_mapping(tmp_path / f"{tool}_mapping.yaml")
    built_in = preset(PRESET_OF.get(tool, tool))
    # the preset whole (a mapping replaces it), with the custom fields named as the tool spells them
    for column, spelling in built_in.columns.items():
        if column not in CUSTOM_FIELDS:
            assert mapping.columns[column] == spelling, column
    assert {c: mapping.columns[c] for c in CUSTOM_FIELDS} == {c: custom_spelling(tool, c) for c in CUSTOM_FIELDS}
    for column, words in built_in.values.items():
        assert words.items() <= mapping.values[column].items(), column
    assert (mapping.formats, mapping.separators, mapping.durations, mapping.null_values) == (
        built_in.formats, built_in.separators, built_in.durations, built_in.null_values)
    # each custom field says what it holds, beside its line
    text = (tmp_path / f"{tool}_mapping.yaml").read_text(encoding="utf-8")
    assert all(re.search(rf"^  {c}: .*# your field: ", text, re.M) for c in CUSTOM_FIELDS)

    config = load_config(tmp_path / "sync.yaml")
    (name, source), = config.sources.items()
    assert source.tool == tool
    assert config.mapping_path(name) == tmp_path / f"{tool}_mapping.yaml"
    assert load_mapping(config.mapping_path(name)) == mapping  # type: ignore[arg-type]


def test_the_zendesk_mapping_reads_a_custom_drop_down(cli: Run, tmp_path: Path, sample_policy: Policy) -> None:
    """A Zendesk export whose Severity drop-down says "Data loss" and Segment "Self-serve": the preset alone
    leaves both empty (not canonical words); the starter mapping translates them."""
    cli("init", "--tool", "zendesk", "--dir", tmp_path)
    export = tmp_path / "export.csv"
    export.write_text(
        "Id,Created at,Solved at,Priority,Group,Tags,Severity [list],Segment [list],Customers affected [int],"
        "Repro steps [txt]\n"
        "7,2026-11-02 10:00:00,,Urgent,Backend,impact:critical,Data loss,Self-serve,12,open the page\n",
        encoding="utf-8")
    con = duckdb.connect()
    load_files(con, export, None, sample_policy, export_format="zendesk",
               mapping=load_mapping(tmp_path / "zendesk_mapping.yaml"))
    assert con.execute("SELECT severity, segment, customers_affected, repro_steps FROM tickets").fetchall() == [
        ("data_loss", "self_serve", 12, "open the page")]


def test_init_never_overwrites_and_then_writes_nothing(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "sync.yaml").write_text("mine\n", encoding="utf-8")
    code, out, err = cli("init", "--tool", "jira", "--dir", tmp_path)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "sync.yaml" in err and "policy.yaml" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sync.yaml"]
    assert (tmp_path / "sync.yaml").read_text(encoding="utf-8") == "mine\n"
    # a second init in a folder it filled names every file, still on one line
    assert cli("init", "--dir", tmp_path / "team")[0] == 0
    code, _, err = cli("init", "--dir", tmp_path / "team")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "policy.yaml" in err and "playbooks" in err


def test_the_starter_policy_file_is_plain_yaml_a_team_can_edit() -> None:
    """The file init copies is the one in the package: what a reader of the repository sees is what they get."""
    from sla_core.cli.initializing import STARTERS

    data = yaml.safe_load((STARTERS / "policy.yaml").read_text(encoding="utf-8"))
    assert data["notify"] == [] and data["tiers"]["critical"]["calendar"] == "24x7"
