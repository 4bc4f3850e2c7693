"""Each tool's API served as its documentation describes (a `World`: the fake server's answers over in-memory
records), and the same records written as the tool's export, for the equivalence every sync test checks."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Literal, Optional

from tests.sync.server import Vendor

TOOLS = ("zendesk", "jira", "servicenow", "freshdesk", "intercom", "pagerduty", "opsgenie", "sentry", "datadog")


class World(Vendor):
    """A tool's API over its records, with the changes the tests make and the export of what it holds."""

    tool: str
    listing: str  # the path of the paged list: where the scripted 429 and 500 land
    kind: Literal["tickets", "signals"] = "tickets"

    def scope(self) -> dict[str, Any]:
        """The sync.yaml keys of the source beyond the common ones."""
        return {}

    def change_during_run(self) -> None:
        """Update a record the first page held, so it comes again on a later page (an id repeated)."""
        raise NotImplementedError

    def change_between_runs(self) -> None:
        """Change one record and add another."""
        raise NotImplementedError

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        """The records as the tool's export (and an events file when the tool has history), written to folder."""
        raise NotImplementedError


def world(tool: str) -> World:
    made: World = importlib.import_module(f"tests.sync.vendors.{tool}").World()
    return made
