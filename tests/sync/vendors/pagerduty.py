"""PagerDuty's REST API v2 incidents (since/until on the creation time, `until` taken as inclusive, so an
incident created on a window's edge comes in both windows; offset paging while `more`), and the same incidents
saved as the list answer, which `import --source pagerduty` reads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.helpers import api_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
START = T0 - timedelta(hours=1)  # the source's start; windows of a day from here


def incident(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": f"P{n:05d}", "type": "incident", "incident_number": 1000 + n, "title": f"Incident {n}",
            "status": "triggered", "urgency": "high", "created_at": created, "resolved_at": None,
            "service": {"id": "PSVC1", "type": "service_reference", "summary": "Checkout API"}, **extra}


class World(Base):
    tool = "pagerduty"
    listing = "/incidents"
    kind = "signals"
    expected_auth = {"Authorization": "Token token=pd-secret-0004"}

    def scope(self) -> dict[str, Any]:
        return {"start": START.isoformat(), "window": "1d", "service_ids": ["PSVC1"]}

    def __init__(self) -> None:
        super().__init__()
        data = [
            incident(1, T0),
            incident(2, T0 + timedelta(hours=1), urgency="low"),
            incident(3, T0 + timedelta(hours=2), status="resolved", resolved_at=T0 + timedelta(hours=4)),
            incident(4, T0 + timedelta(hours=3)),
            incident(5, START + timedelta(days=1)),  # on the edge of the first two windows
            incident(6, T0 + timedelta(days=1, hours=2), status="acknowledged"),
            incident(7, T0 + timedelta(days=1, hours=5), urgency="low"),
        ]
        self.incidents = {i["id"]: i for i in data}

    def change_during_run(self) -> None:  # read open on page 1, resolved now: the next run asks for it again
        self.incidents["P00001"] = {**self.incidents["P00001"], "status": "resolved",
                                    "resolved_at": T0 + timedelta(days=2)}

    def change_between_runs(self) -> None:
        self.incidents["P00002"] = {**self.incidents["P00002"], "status": "resolved",
                                    "resolved_at": T0 + timedelta(days=2, hours=1)}
        new = incident(8, datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc))
        self.incidents[new["id"]] = new

    @staticmethod
    def api(i: dict[str, Any]) -> dict[str, Any]:
        return {**i, "created_at": api_time(i["created_at"]), "resolved_at": api_time(i["resolved_at"])}

    def route(self, request: Request) -> Reply:
        if request.headers.get("accept") != "application/vnd.pagerduty+json;version=2":
            return 406, {}, {"error": {"message": "Accept header"}}
        if request.path == "/incidents":
            since = datetime.fromisoformat(str(request.arg("since")))
            until = datetime.fromisoformat(str(request.arg("until")))
            if until - since > timedelta(days=180) or request.arg("sort_by") != "created_at:asc":
                return 400, {}, {"error": {"message": "bad window"}}
            services = request.query.get("service_ids[]")
            rows = sorted((i for i in self.incidents.values() if since <= i["created_at"] <= until
                           and (not services or i["service"]["id"] in services)),
                          key=lambda i: (i["created_at"], i["id"]))
            offset, limit = int(str(request.arg("offset", "0"))), int(str(request.arg("limit", "25")))
            return 200, {}, {"incidents": [self.api(i) for i in rows[offset:offset + limit]], "limit": limit,
                             "offset": offset, "more": offset + limit < len(rows), "total": None}
        ident = request.path.removeprefix("/incidents/")
        if ident in self.incidents:
            return 200, {}, {"incident": self.api(self.incidents[ident])}
        return 404, {}, {"error": {"message": "Not Found", "code": 2100}}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "incidents.json"
        path.write_text(json.dumps({"incidents": [self.api(i) for i in self.incidents.values()]}), encoding="utf-8")
        return path, None
