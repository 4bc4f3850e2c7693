"""One module per tool, each reading its API into pages its import preset loads (sla_core/sync/pages.py).

Every connector cites in its header the vendor documentation of its endpoints, fields and paging, and says
what the API does not give that the export has (docs/sync.md gathers them). None speaks HTTP itself: each asks
through the source's `Client` (sla_core/sync/http.py).
"""

from __future__ import annotations

import importlib

from sla_core.sync.pages import Connector

MODULES: dict[str, str] = {
    tool: f"sla_core.sync.connectors.{tool}"
    for tool in ("zendesk", "jira", "servicenow", "pagerduty", "freshdesk", "intercom", "opsgenie", "sentry",
                 "datadog")
}


def connector(tool: str) -> Connector:
    """The connector of a tool (imported when asked for: a run reads only the tools it syncs)."""
    found: Connector = importlib.import_module(MODULES[tool]).CONNECTOR
    return found


__all__ = ["MODULES", "connector"]
