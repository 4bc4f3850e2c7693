"""ServiceNow's Table API (display_value=all, keyset by sys_updated_on then sys_id) with sys_audit's
assignment-group changes, and the incident list exported as CSV (field names as headers, display values,
dates in the user's zone) with the handoffs as a plain events file."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.helpers import basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)
TABLE = "/api/now/table/incident"
GROUPS = {"g1": "Service Desk", "g2": "Network", "g3": "Database"}
PRIORITY = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low"}
STATE = {"1": "New", "2": "In Progress", "6": "Resolved"}
CHANNEL = {"email": "Email", "phone": "Phone", "monitoring": "Monitoring"}


def db(moment: Optional[datetime]) -> str:
    """A stored date as the Table API's value: UTC, no offset."""
    return "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def incident(n: int, minutes: int, **extra: Any) -> dict[str, Any]:
    opened = T0 + timedelta(minutes=minutes)
    return {"sys_id": f"{n:032x}", "number": f"INC{n:07d}", "short_description": f"Incident {n}", "state": "2",
            "opened_at": opened, "resolved_at": None, "u_first_response": None, "sys_updated_on": opened,
            "priority": "3", "assignment_group": "g1", "company": "Example Ltd", "caller_id": "Ann Caller",
            "reopen_count": "0", "contact_type": "email", "audit": [(opened, "g1")], **extra}


class World(Base):
    tool = "servicenow"
    listing = TABLE
    expected_auth = {"Authorization": basic("integration", "sn-secret-0003")}

    def __init__(self) -> None:
        super().__init__()
        data = [
            incident(1, 0, priority="1", u_first_response=T0 + timedelta(minutes=5), contact_type="monitoring"),
            incident(2, 10, state="6", resolved_at=T0 + timedelta(hours=3),
                     audit=[(T0 + timedelta(minutes=10), "g1"), (T0 + timedelta(minutes=50), "g2")],
                     assignment_group="g2"),
            incident(3, 20, priority="2", company="", caller_id="Bob Caller"),
            incident(4, 30, priority="4", reopen_count="1", contact_type="phone"),
            incident(5, 40, u_first_response=T0 + timedelta(minutes=70)),
            incident(6, 50, state="1"),
            incident(7, 60, priority="2"),
        ]
        self.incidents = {i["number"]: i for i in data}
        self.clock = T0 + timedelta(days=2)

    def update(self, number: str, **changes: Any) -> None:
        self.clock += timedelta(minutes=5)
        n = int(number[3:])
        base = self.incidents.get(number) or incident(n, int((self.clock - T0).total_seconds() // 60))
        merged = {**base, **changes, "sys_updated_on": self.clock}
        if changes.get("assignment_group") and changes["assignment_group"] != base["assignment_group"]:
            merged["audit"] = [*base["audit"], (self.clock, changes["assignment_group"])]
        self.incidents[number] = merged

    def change_during_run(self) -> None:
        self.update("INC0000001", priority="2", assignment_group="g3")

    def change_between_runs(self) -> None:
        self.update("INC0000003", state="6", resolved_at=self.clock, assignment_group="g2")
        self.update("INC0000008", priority="1")

    def field(self, record: dict[str, Any], name: str) -> dict[str, Any]:
        value = record[name]
        if isinstance(value, datetime) or (value is None and name in ("resolved_at", "u_first_response")):
            return {"value": db(value), "display_value": export_time(value)}
        shown = {"priority": PRIORITY, "state": STATE, "assignment_group": GROUPS, "contact_type": CHANNEL}
        return {"value": value, "display_value": shown.get(name, {}).get(value, value)}

    def route(self, request: Request) -> Reply:
        if request.path == TABLE:
            return self.table(request)
        if request.path == "/api/now/table/sys_audit":
            return self.audit(request)
        if request.path == "/api/now/table/sys_user_group":
            ids = str(request.arg("sysparm_query")).removeprefix("sys_idIN").split(",")
            return 200, {}, {"result": [{"sys_id": i, "name": GROUPS[i]} for i in ids if i in GROUPS]}
        return 404, {}, {"error": {"message": "no such table"}}

    def table(self, request: Request) -> Reply:
        match = re.fullmatch(r"sys_updated_on>=(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\^ORDERBYsys_updated_on\^ORDERBYsys_id",
                             str(request.arg("sysparm_query")))
        if not match or request.arg("sysparm_display_value") != "all":
            return 400, {}, {"error": {"message": f"unexpected query {request.arg('sysparm_query')!r}"}}
        rows = sorted((i for i in self.incidents.values() if db(i["sys_updated_on"]) >= match.group(1)),
                      key=lambda i: (db(i["sys_updated_on"]), i["sys_id"]))
        offset, limit = int(str(request.arg("sysparm_offset", "0"))), int(str(request.arg("sysparm_limit")))
        fields = [f for f in str(request.arg("sysparm_fields")).split(",") if f in rows[0]] if rows else []
        return 200, {}, {"result": [{f: self.field(i, f) for f in fields} for i in rows[offset:offset + limit]]}

    def audit(self, request: Request) -> Reply:
        query = str(request.arg("sysparm_query"))
        keys = re.search(r"documentkeyIN([0-9a-f,]+)", query)
        if not query.startswith("tablename=incident^fieldname=assignment_group^") or not keys:
            return 400, {}, {"error": {"message": "unexpected audit query"}}
        wanted = set(keys.group(1).split(","))
        rows = sorted(({"documentkey": i["sys_id"], "newvalue": group, "sys_created_on": db(at)}
                       for i in self.incidents.values() if i["sys_id"] in wanted for at, group in i["audit"]),
                      key=lambda r: (r["sys_created_on"], r["documentkey"]))
        offset, limit = int(str(request.arg("sysparm_offset", "0"))), int(str(request.arg("sysparm_limit")))
        return 200, {}, {"result": rows[offset:offset + limit]}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path, events = folder / "incident.csv", folder / "incident_events.csv"
        header = ["number", "short_description", "state", "opened_at", "u_first_response", "resolved_at",
                  "priority", "assignment_group", "company", "caller_id", "reopen_count", "contact_type"]
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for i in sorted(self.incidents.values(), key=lambda i: i["number"]):
                writer.writerow([self.field(i, name)["display_value"] or "" for name in header])
        with events.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ticket_id", "at", "field", "value"])
            for i in sorted(self.incidents.values(), key=lambda i: i["number"]):
                for at, group in i["audit"]:
                    writer.writerow([i["number"], at.isoformat(), "owner_team", GROUPS[group]])
        return path, events
