"""Datadog's incident list (page[size] / page[offset], newest first, meta.pagination.next_offset); the same
incidents saved as the list answer, which `import --source datadog` reads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def stamp(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.isoformat()


def incident(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": f"00000000-0000-0000-0000-{n:012d}", "public_id": n, "title": f"Incident {n}",
            "created": created, "detected": created + timedelta(minutes=2), "impact": created - timedelta(minutes=5),
            "resolved": None, "severity": "SEV-3", **extra}


class World(Base):
    tool = "datadog"
    listing = "/api/v2/incidents"
    kind = "signals"
    expected_auth = {"DD-API-KEY": "dd-secret-0009", "DD-APPLICATION-KEY": "dd-secret-0010"}

    def __init__(self) -> None:
        super().__init__()
        data = [incident(n, T0 + timedelta(hours=n), severity=f"SEV-{1 + n % 5}") for n in range(1, 8)]
        data[0] = {**data[0], "resolved": T0 + timedelta(hours=3)}
        self.incidents = {i["id"]: i for i in data}

    def change_during_run(self) -> None:  # a new incident on top: every later one moves down a place
        new = incident(9, T0 + timedelta(days=1))
        self.incidents[new["id"]] = new

    def change_between_runs(self) -> None:
        key = "00000000-0000-0000-0000-000000000002"
        self.incidents[key] = {**self.incidents[key], "resolved": T0 + timedelta(days=1, hours=2)}
        new = incident(8, T0 + timedelta(days=2))
        self.incidents[new["id"]] = new

    @staticmethod
    def api(i: dict[str, Any]) -> dict[str, Any]:
        return {"id": i["id"], "type": "incidents", "attributes": {
            "public_id": i["public_id"], "title": i["title"], "created": stamp(i["created"]),
            "modified": stamp(i["created"]), "detected": stamp(i["detected"]),
            "customer_impact_start": stamp(i["impact"]), "resolved": stamp(i["resolved"]),
            "severity": i["severity"], "state": "resolved" if i["resolved"] else "active"}}

    def route(self, request: Request) -> Reply:
        if request.path != "/api/v2/incidents":
            return 404, {}, {"errors": ["Not found"]}
        rows = sorted(self.incidents.values(), key=lambda i: i["created"], reverse=True)
        size, offset = int(str(request.arg("page[size]", "10"))), int(str(request.arg("page[offset]", "0")))
        return 200, {}, {"data": [self.api(i) for i in rows[offset:offset + size]], "included": [],
                         "meta": {"pagination": {"offset": offset, "size": size, "next_offset": offset + size}}}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "incidents.json"
        path.write_text(json.dumps({"data": [self.api(i) for i in self.incidents.values()]}), encoding="utf-8")
        return path, None
