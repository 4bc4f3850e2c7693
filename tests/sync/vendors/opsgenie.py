"""Opsgenie's alert list (a createdAt window in epoch milliseconds, both ends included, offset paging,
`paging.next`) and one alert by
id; the same alerts saved as the list answer, which `import --source opsgenie` reads."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
START = T0 - timedelta(hours=1)  # the source's start; windows of a day from here


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alert(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": f"a{n:03d}-uuid", "tinyId": str(n), "alias": f"alias-{n}", "message": f"Alert {n}",
            "status": "open", "createdAt": created, "priority": "P3", "integration": {"name": "Datadog"},
            "report": {}, **extra}


class World(Base):
    tool = "opsgenie"
    listing = "/v2/alerts"
    kind = "signals"
    expected_auth = {"Authorization": "GenieKey og-secret-0007"}

    def scope(self) -> dict[str, Any]:
        return {"start": START.isoformat(), "window": "1d"}

    def __init__(self) -> None:
        super().__init__()
        data = [alert(n, T0 + timedelta(hours=n), priority=f"P{1 + n % 4}") for n in range(1, 7)]
        data[2] = {**data[2], "status": "closed", "report": {"closeTime": 3_600_000}}
        data.append(alert(7, START + timedelta(days=1)))  # on the edge of the first two windows: read twice
        self.alerts = {a["id"]: a for a in data}

    def change_during_run(self) -> None:  # read open on page 1, closed now: the next run asks for it again
        self.alerts["a001-uuid"] = {**self.alerts["a001-uuid"], "status": "closed", "report": {"closeTime": 7_000}}

    def change_between_runs(self) -> None:
        self.alerts["a002-uuid"] = {**self.alerts["a002-uuid"], "status": "closed", "report": {"closeTime": 90_000}}
        new = alert(8, datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc))
        self.alerts[new["id"]] = new

    @staticmethod
    def api(a: dict[str, Any]) -> dict[str, Any]:
        return {**a, "createdAt": stamp(a["createdAt"])}

    def route(self, request: Request) -> Reply:
        if request.path == "/v2/alerts":
            found = re.fullmatch(r"createdAt>=(\d+) AND createdAt<=(\d+)", str(request.arg("query")))
            if not found or (request.arg("sort"), request.arg("order")) != ("createdAt", "asc"):
                return 422, {}, {"message": "bad query"}
            since, until = (datetime.fromtimestamp(int(g) / 1000, tz=timezone.utc) for g in found.groups())
            rows = sorted((a for a in self.alerts.values() if since <= a["createdAt"] <= until),
                          key=lambda a: (a["createdAt"], a["id"]))
            offset, limit = int(str(request.arg("offset", "0"))), int(str(request.arg("limit", "20")))
            paging = {"first": "…"}
            if offset + limit < len(rows):
                paging["next"] = f"http://{request.headers['host']}/v2/alerts?offset={offset + limit}"
            return 200, {}, {"data": [self.api(a) for a in rows[offset:offset + limit]], "paging": paging,
                             "took": 0.01, "requestId": "r"}
        ident = request.path.removeprefix("/v2/alerts/")
        if ident in self.alerts and request.arg("identifierType") == "id":
            return 200, {}, {"data": self.api(self.alerts[ident]), "took": 0.01, "requestId": "r"}
        return 404, {}, {"message": "Alert does not exist", "took": 0.01, "requestId": "r"}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "alerts.json"
        path.write_text(json.dumps({"data": [self.api(a) for a in self.alerts.values()]}), encoding="utf-8")
        return path, None
