"""The project's own docs say what the code does: every policy key documented, every documented key accepted.

These tests never skip: the docs live in the repository (docs/), unlike the contract in ../shared.
"""

from __future__ import annotations

import re

import yaml
from pydantic import BaseModel

from sla_core.clocks.engine import RESULT_COLUMNS
from sla_core.columns import EVENT_COLUMNS, TICKET_COLUMNS
from sla_core.policy import Policy, policy_from_dict
from tests.conftest import ROOT

POLICY_DOC = ROOT / "docs" / "policy.md"
DATA_DOC = ROOT / "docs" / "data.md"
ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """The model and every model its fields hold (in lists, dicts or optionals), each once."""
    seen.add(model)
    for field in model.model_fields.values():
        for inner in _types(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                _models(inner, seen)
    return seen


def _types(annotation: object) -> list[object]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *[t for arg in args for t in _types(arg)]]


def _documented_keys() -> set[str]:
    """Every name in the first column of the keys table: `tiers.TIER.calendar` gives tiers, TIER and calendar."""
    text = POLICY_DOC.read_text(encoding="utf-8")
    table = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for row in re.findall(r"^\| (`[^|]+) \|", table, flags=re.M):
        for code in re.findall(r"`([^`]+)`", row):
            keys |= set(re.split(r"[.\[\]]+", code)) - {""}
    return keys


def _example() -> dict:
    text = POLICY_DOC.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("## An example with every key", 1)[1].split("```yaml", 1)[1].split("```", 1)[0])


def test_every_key_the_policy_accepts_is_documented() -> None:
    documented = _documented_keys()
    for model in _models(Policy, set()):
        for name, field in model.model_fields.items():
            if field.exclude:  # base_dir: where the file was read from, not a key of it
                continue
            assert name in documented, f"{model.__name__}.{name} is accepted but not documented in docs/policy.md"


def test_every_documented_key_is_accepted() -> None:
    accepted = {name for model in _models(Policy, set()) for name in model.model_fields}
    placeholders = {"NAME", "TIER", "METRIC"}
    unknown = _documented_keys() - accepted - placeholders
    assert not unknown, f"docs/policy.md documents keys the policy refuses: {sorted(unknown)}"


def test_the_example_with_every_key_loads_and_uses_every_key() -> None:
    data = _example()
    policy = policy_from_dict(data, base_dir=ROOT / "sample_data")
    assert set(data) == set(Policy.model_fields) - {"base_dir"}
    assert policy.routes["critical"].join_within == 15 * 60
    assert policy.goals["critical"] == 0.95
    assert policy.playbooks[2].when.tags == ["vip"]


def _table_columns(section: str) -> list[str]:
    """The first-column names of the table under a `## section` heading of docs/data.md."""
    text = DATA_DOC.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M)


def test_every_column_of_every_table_is_documented_in_order() -> None:
    assert _table_columns("Tickets") == list(TICKET_COLUMNS)
    assert _table_columns("Events") == list(EVENT_COLUMNS)
    assert _table_columns("`evaluate` output") == list(RESULT_COLUMNS)


def test_the_architecture_names_every_package_and_module_of_the_core() -> None:
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    core = ROOT / "sla_core"
    names = [p.name for p in core.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    names += [p.stem for p in core.glob("*.py") if not p.stem.startswith("__")]
    missing = [name for name in names if not re.search(rf"\b{name}\b", text)]
    assert not missing, f"docs/architecture.md does not say where these live: {missing}"
