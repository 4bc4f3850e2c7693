"""Sentry's organization issue list (firstSeen query, sort=new: newest first, the Link header's cursor with
results="true"/"false"); the same issues saved as the list answer, which `import --source sentry` reads."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
ISSUES = "/api/0/organizations/acme/issues/"


def issue(n: int, first: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": str(4500 + n), "shortId": f"CHECKOUT-{n}", "title": f"Error {n}", "level": "error",
            "status": "unresolved", "firstSeen": first, "project": {"id": "11", "slug": "checkout"}, **extra}


class World(Base):
    tool = "sentry"
    listing = ISSUES
    kind = "signals"
    expected_auth = {"Authorization": "Bearer sentry-secret-0008"}

    def scope(self) -> dict[str, Any]:
        return {"organization": "acme", "projects": ["11"]}

    def __init__(self) -> None:
        super().__init__()
        data = [issue(n, T0 + timedelta(hours=n), level=["error", "warning", "fatal"][n % 3]) for n in range(1, 8)]
        self.issues = {i["id"]: i for i in data}

    def change_during_run(self) -> None:  # a new issue on top: every later one moves down a place
        new = issue(9, T0 + timedelta(days=1))
        self.issues[new["id"]] = new

    def change_between_runs(self) -> None:  # the newest issue run 1 read (sync reads the newest again)
        self.issues["4507"] = {**self.issues["4507"], "level": "fatal", "title": "Error 7, worse"}
        new = issue(8, datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc))
        self.issues[new["id"]] = new

    @staticmethod
    def api(i: dict[str, Any]) -> dict[str, Any]:
        return {**i, "firstSeen": i["firstSeen"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")}

    def route(self, request: Request) -> Reply:
        if request.path != ISSUES:
            return 404, {}, {"detail": "not found"}
        found = re.fullmatch(r"firstSeen:>=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)", str(request.arg("query")))
        if not found or request.arg("sort") != "new" or request.query.get("project") != ["11"]:
            return 400, {}, {"detail": "bad query"}
        since = datetime.fromisoformat(found.group(1)).replace(tzinfo=timezone.utc)
        rows = sorted((i for i in self.issues.values() if i["firstSeen"] >= since),
                      key=lambda i: (i["firstSeen"], i["id"]), reverse=True)
        offset = int(str(request.arg("cursor", "0:0:0")).split(":")[1])
        limit = int(str(request.arg("limit", "100")))
        query = {k: v[0] for k, v in request.query.items() if k != "cursor"}
        more = offset + limit < len(rows)
        link = (f'<http://{request.headers["host"]}{ISSUES}?{urlencode({**query, "cursor": f"0:{offset + limit}:0"})}>;'
                f' rel="next"; results="{"true" if more else "false"}"; cursor="0:{offset + limit}:0"')
        return 200, {"Link": link}, [self.api(i) for i in rows[offset:offset + limit]]

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "issues.json"
        path.write_text(json.dumps([self.api(i) for i in self.issues.values()]), encoding="utf-8")
        return path, None
