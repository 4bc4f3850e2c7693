"""Freshdesk's ticket list (updated_since, ascending by updated_at, include=stats, the Link header's next page),
and the ticket export of the same tickets (labels, local times without an offset)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

from tests.sync.helpers import api_time, basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)
STATUS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE = {1: "Email", 2: "Portal", 3: "Phone", 7: "Chat"}
GROUPS = {11: "Support", 12: "Billing"}
COMPANIES = {21: "Example Ltd", 22: "Acme"}


def ticket(ident: int, minutes: int, **extra: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {"id": ident, "subject": f"Ticket {ident}", "status": 2, "priority": 2, "source": 1, "type": None,
            "group_id": 11, "company_id": 21, "tags": [], "custom_fields": {"cf_severity": None},
            "created_at": created, "updated_at": created, "first": None, "resolved": None, **extra}


class World(Base):
    tool = "freshdesk"
    listing = "/api/v2/tickets"
    expected_auth = {"Authorization": basic("fd-secret-0005", "X")}

    def __init__(self) -> None:
        super().__init__()
        data = [
            ticket(1, 0, priority=4, first=T0 + timedelta(minutes=4), tags=["vip", "outage"],
                   custom_fields={"cf_severity": "outage"}),
            ticket(2, 10, status=4, first=T0 + timedelta(minutes=30), resolved=T0 + timedelta(hours=6)),
            ticket(3, 20, priority=3, group_id=12, company_id=22, source=3),
            ticket(4, 30, priority=1, status=3, type="Question"),
            ticket(5, 40, source=7, first=T0 + timedelta(minutes=41)),
            ticket(6, 50, company_id=None),
            ticket(7, 60, priority=3, source=2),
        ]
        self.tickets = {t["id"]: t for t in data}
        self.clock = T0 + timedelta(days=2)

    def update(self, ident: int, **changes: Any) -> None:
        self.clock += timedelta(minutes=5)
        base = self.tickets.get(ident) or ticket(ident, int((self.clock - T0).total_seconds() // 60))
        self.tickets[ident] = {**base, **changes, "updated_at": self.clock}

    def change_during_run(self) -> None:
        self.update(1, status=3)

    def change_between_runs(self) -> None:
        self.update(3, status=4, resolved=self.clock, first=self.clock - timedelta(hours=1))
        self.update(8, priority=4)

    def route(self, request: Request) -> Reply:
        if request.path == "/api/v2/tickets":
            return self.list(request)
        if request.path == "/api/v2/ticket_fields":
            return 200, {}, [{"id": 1, "name": "cf_severity", "label": "Severity", "type": "custom_dropdown"}]
        for kind, names in (("groups", GROUPS), ("companies", COMPANIES)):
            if request.path.startswith(f"/api/v2/{kind}/"):
                ident = int(request.path.rsplit("/", 1)[1])
                return (200, {}, {"id": ident, "name": names[ident]}) if ident in names else (404, {}, {})
        return 404, {}, {"code": "not_found"}

    def list(self, request: Request) -> Reply:
        if (request.arg("order_by"), request.arg("order_type"), request.arg("include")) != ("updated_at", "asc", "stats"):
            return 400, {}, {"description": "unexpected order"}
        since = datetime.fromisoformat(str(request.arg("updated_since")))
        rows = sorted((t for t in self.tickets.values() if t["updated_at"] >= since),
                      key=lambda t: (t["updated_at"], t["id"]))
        size, page = int(str(request.arg("per_page", "30"))), int(str(request.arg("page", "1")))
        if page > 300:
            return 400, {}, {"description": "You cannot access tickets beyond the 300th page"}
        chunk = rows[(page - 1) * size:page * size]
        headers = {}
        if page * size < len(rows):
            query = {k: v[0] for k, v in request.query.items()} | {"page": page + 1}
            headers["Link"] = f'<http://{request.headers["host"]}/api/v2/tickets?{urlencode(query)}>; rel="next"'
        return 200, headers, [self.api(t) for t in chunk]

    @staticmethod
    def api(t: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in t.items() if k not in ("first", "resolved")}
        return {**out, "created_at": api_time(t["created_at"]), "updated_at": api_time(t["updated_at"]),
                "stats": {"first_responded_at": api_time(t["first"]), "resolved_at": api_time(t["resolved"]),
                          "closed_at": None, "agent_responded_at": None}}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "freshdesk_tickets.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Group", "Company Name",
                             "Created time", "Initial response time", "Resolved time", "Tags", "Severity"])
            for t in sorted(self.tickets.values(), key=lambda t: t["id"]):
                writer.writerow([t["id"], t["subject"], STATUS[t["status"]], PRIORITY[t["priority"]],
                                 SOURCE[t["source"]], t["type"] or "", GROUPS[t["group_id"]],
                                 COMPANIES.get(t["company_id"], ""), export_time(t["created_at"]),
                                 export_time(t["first"]), export_time(t["resolved"]), ",".join(t["tags"]),
                                 t["custom_fields"]["cf_severity"] or ""])
        return path, None
