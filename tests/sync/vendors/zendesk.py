"""Zendesk's cursor-based incremental ticket export with its sideloads, and the CSV export of the same tickets
(support.zendesk.com/hc/en-us/articles/4408886165402: times in the account's zone without an offset; labels for
priority, status, channel and satisfaction; custom fields under their titles)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.helpers import api_time, basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)  # a Monday; 09:00 in London (BST)
EXPORT = "/api/v2/incremental/tickets/cursor.json"
GROUPS = {1: "Support", 2: "Tier 2"}
ORGS = {7: "Example Ltd", 8: "Acme"}
SEVERITY = {"id": 500, "title": "Severity", "options": {"sev_outage": "outage", "sev_partial": "partial"}}
VIA_LABEL = {"web": "Web form", "email": "Mail", "chat": "Chat"}
SCORE = {"good": "Good", "bad": "Bad", "offered": "Offered"}


def ticket(ident: int, minutes: int, **extra: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {"id": ident, "subject": f"Ticket {ident}", "status": "open", "priority": "normal",
            "created_at": created, "updated_at": created, "group_id": 1, "organization_id": 7, "tags": ["web"],
            "via": {"channel": "web"}, "satisfaction_rating": None, "severity": None, "brand_id": 1,
            "solved_at": None, "reopens": 0, "reply": None, **extra}


class World(Base):
    tool = "zendesk"
    listing = EXPORT
    expected_auth = {"Authorization": basic("agent@example.com/token", "zd-secret-0001")}

    def __init__(self) -> None:
        super().__init__()
        data = [
            ticket(101, 0, priority="urgent", reply=12, tags=["checkout", "enterprise"], severity="sev_outage"),
            ticket(102, 10, status="solved", solved_at=T0 + timedelta(hours=5), reply=30,
                   satisfaction_rating={"score": "good"}),
            ticket(103, 20, priority="high", group_id=2, organization_id=8, via={"channel": "email"}),
            ticket(104, 30, priority="low", status="pending", reply=5, satisfaction_rating={"score": "offered"}),
            ticket(105, 40, priority="high", severity="sev_partial", reopens=1, status="solved", reply=3,
                   solved_at=T0 + timedelta(days=2), satisfaction_rating={"score": "bad"}),
            ticket(106, 50, via={"channel": "chat"}, organization_id=None, tags=[]),
            ticket(107, 60, priority="urgent", reply=1),
        ]
        self.tickets = {t["id"]: t for t in data}
        self.clock = T0 + timedelta(days=10)

    def update(self, ident: int, **changes: Any) -> None:
        self.clock += timedelta(minutes=7)
        base = self.tickets.get(ident) or ticket(ident, int((self.clock - T0).total_seconds() // 60))
        self.tickets[ident] = {**base, **changes, "updated_at": self.clock}

    def change_during_run(self) -> None:
        self.update(101, priority="high", status="pending")

    def change_between_runs(self) -> None:
        self.update(103, status="solved", solved_at=self.clock, reply=45)
        self.update(108, priority="urgent", severity="sev_outage")

    def route(self, request: Request) -> Reply:
        if request.path == EXPORT:
            return self.page(request)
        if request.path == "/api/v2/ticket_fields.json":
            options = [{"name": n, "value": v} for v, n in SEVERITY["options"].items()]
            return 200, {}, {"ticket_fields": [{"id": SEVERITY["id"], "title": SEVERITY["title"],
                                                "custom_field_options": options}], "next_page": None}
        for kind, names in (("groups", GROUPS), ("organizations", ORGS)):
            prefix = f"/api/v2/{kind}/"
            if request.path.startswith(prefix):
                ident = int(request.path[len(prefix):].removesuffix(".json"))
                if ident not in names:
                    return 404, {}, {"error": "RecordNotFound"}
                return 200, {}, {kind[:-1]: {"id": ident, "name": names[ident]}}
        return 404, {}, {"error": "InvalidEndpoint"}

    def page(self, request: Request) -> Reply:
        order = sorted(self.tickets.values(), key=lambda t: (t["updated_at"], t["id"]))
        if request.arg("cursor"):
            stamp, ident = str(request.arg("cursor")).split("|")
            after = (datetime.fromisoformat(stamp), int(ident))
            rest = [t for t in order if (t["updated_at"], t["id"]) > after]
        else:
            start = datetime.fromtimestamp(int(str(request.arg("start_time"))), tz=timezone.utc)
            rest = [t for t in order if t["updated_at"] >= start]
        size = int(str(request.arg("per_page", "1000")))
        page = rest[:size]
        cursor = f"{page[-1]['updated_at'].isoformat()}|{page[-1]['id']}" if page else request.arg("cursor")
        groups = sorted({t["group_id"] for t in page if t["group_id"] == 1})  # group 2 left out: asked for
        orgs = sorted({t["organization_id"] for t in page if t["organization_id"]})
        return 200, {}, {
            "tickets": [self.api(t) for t in page],
            "metric_sets": [{"ticket_id": t["id"], "solved_at": api_time(t["solved_at"]), "reopens": t["reopens"],
                             "reply_time_in_minutes": {"calendar": t["reply"], "business": None}} for t in page],
            "groups": [{"id": g, "name": GROUPS[g]} for g in groups],
            "organizations": [{"id": o, "name": ORGS[o]} for o in orgs],
            "after_cursor": cursor, "before_cursor": None, "end_of_stream": len(rest) <= size,
        }

    @staticmethod
    def api(t: dict[str, Any]) -> dict[str, Any]:
        return {"id": t["id"], "subject": t["subject"], "status": t["status"], "priority": t["priority"],
                "created_at": api_time(t["created_at"]), "updated_at": api_time(t["updated_at"]),
                "group_id": t["group_id"], "organization_id": t["organization_id"], "tags": t["tags"],
                "via": t["via"], "satisfaction_rating": t["satisfaction_rating"], "brand_id": t["brand_id"],
                "custom_fields": [{"id": SEVERITY["id"], "value": t["severity"]}]}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "zendesk_export.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Id", "Subject", "Status", "Created at", "Solved at", "Priority", "Reopens", "Group",
                             "Organization", "Tags", "Satisfaction Score", "Via", "First reply time in minutes",
                             "Severity [list]"])
            for t in sorted(self.tickets.values(), key=lambda t: t["id"]):
                writer.writerow([
                    t["id"], t["subject"], t["status"].capitalize(), export_time(t["created_at"]),
                    export_time(t["solved_at"]), t["priority"].capitalize(), t["reopens"], GROUPS[t["group_id"]],
                    ORGS.get(t["organization_id"], ""), " ".join(t["tags"]),
                    SCORE.get((t["satisfaction_rating"] or {}).get("score"), ""), VIA_LABEL[t["via"]["channel"]],
                    "" if t["reply"] is None else t["reply"], SEVERITY["options"].get(t["severity"], ""),
                ])
        return path, None
