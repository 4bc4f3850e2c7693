"""Saved simulator scenarios: a named candidate kept with the data it was tried on, so a reload or a colleague
opening `?scenario=NAME` finds it again.

A scenario is kept where the data source keeps its records (DataSource.records: the store for the store, a
scratch file for the sample or an upload, never the user's store for those), as its inputs (the same text the
`candidate` link carries), the complete policy YAML a user can download, and the summary row the page compares.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.access import Actor
from sla_core.errors import UserError
from sla_core.ingest.audit import record
from sla_core.ingest.store import audited_write, store_with
from sla_core.now import now

PathLike = Union[str, Path]

SCENARIOS_DDL = """
    CREATE TABLE IF NOT EXISTS scenarios (
        name VARCHAR PRIMARY KEY,
        inputs VARCHAR NOT NULL,
        policy_yaml VARCHAR NOT NULL,
        summary_json VARCHAR NOT NULL,
        saved_at TIMESTAMPTZ NOT NULL
    )
"""


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be saved: the message names the field and the problem."""


class Scenario(BaseModel):
    """A named candidate: `inputs` is the candidate link's text (empty = the current policy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    inputs: str = Field(default="", max_length=4000)
    policy_yaml: str = Field(min_length=1)
    summary: dict[str, Any] = Field(default_factory=dict)
    saved_at: datetime

    @field_validator("name", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


def scenario(name: str, inputs: str, policy_yaml: str, summary: dict[str, Any]) -> Scenario:
    """A scenario from the page's input, saved now; a bad name is refused with the field named."""
    try:
        return Scenario(name=name, inputs=inputs, policy_yaml=policy_yaml, summary=summary, saved_at=now())
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "scenario"
        raise ScenarioError(f"scenario {name!r}, {field}: {first['msg']}") from None


def save_scenario(saved: Scenario, path: PathLike, *, actor: Actor) -> None:
    """Keep the scenario, replacing one of the same name (editors and admins), with its audit row."""
    with audited_write(path, actor, "editor", "saving a simulator scenario", ddl=[SCENARIOS_DDL]) as con:
        con.execute(
            "INSERT OR REPLACE INTO scenarios VALUES (?, ?, ?, ?, ?)",
            [saved.name, saved.inputs, saved.policy_yaml, json.dumps(saved.summary, default=str), saved.saved_at],
        )
        record(con, actor, "scenario", f"scenario {saved.name!r} saved ({saved.inputs or 'the current policy'})")


def delete_scenario(name: str, path: PathLike, *, actor: Actor) -> None:
    with audited_write(path, actor, "editor", "deleting a simulator scenario", ddl=[SCENARIOS_DDL]) as con:
        con.execute("DELETE FROM scenarios WHERE name = ?", [name])
        record(con, actor, "scenario", f"scenario {name!r} deleted")


def saved_scenarios(path: PathLike) -> list[Scenario]:
    """Every kept scenario, oldest first; none when the records file does not exist yet."""
    if not Path(path).is_file():
        return []
    with store_with(path, [SCENARIOS_DDL]) as con:
        rows = con.execute(
            "SELECT name, inputs, policy_yaml, summary_json, saved_at FROM scenarios ORDER BY saved_at, name"
        ).fetchall()
    return [Scenario(name=n, inputs=i, policy_yaml=y, summary=json.loads(s), saved_at=t) for n, i, y, s, t in rows]


def find_scenario(name: str, path: PathLike) -> Scenario | None:
    return next((s for s in saved_scenarios(path) if s.name == name), None)
