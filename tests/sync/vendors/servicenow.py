"""ServiceNow's Table API (display_value=all, keyset by sys_updated_on then sys_id) with sys_audit's rows for
assignment_group, state, incident_state and hold_reason (one row per field an insert set or an update changed,
the stored value: a group's sys_id, a choice's number; `state` and `incident_state` both, as business rules keep
them equal), and the incident list exported as CSV (field names as headers, display values, dates in the user's
zone) with the same history as a plain events file: handoffs, and statuses mapped here by hand from the numbers
(servicenow_audit.yaml's decisions: Awaiting Caller waits on the customer, Awaiting Vendor on a third party,
Awaiting Problem and Awaiting Change on our own work)."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.sync.helpers import basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
TABLE = "/api/now/table/incident"
GROUPS = {"g1": "Service Desk", "g2": "Network", "g3": "Database"}
PRIORITY = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low"}
# the instance's state choices: the base system's and its own 10 (sys_choice lists them; the export shows labels)
STATE = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled",
         "10": "Awaiting User Info"}
HOLD = {"1": "Awaiting Caller", "3": "Awaiting Problem", "4": "Awaiting Vendor", "5": "Awaiting Change"}
# (state, hold_reason) numbers -> the status the export's events file carries
STATUS = {"1": "new", "2": "open", "6": "resolved", "7": "closed", "8": "closed", "10": "waiting_on_customer"}
HELD = {"1": "waiting_on_customer", "3": "open", "4": "waiting_on_third_party", "5": "open"}
CHANNEL = {"email": "Email", "phone": "Phone", "monitoring": "Monitoring"}


def db(moment: datetime | None) -> str:
    """A stored date as the Table API's value: UTC, no offset."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def status(state: str, reason: str) -> str:
    return HELD.get(reason, "waiting_on_customer") if state == "3" else STATUS[state]


def incident(n: int, minutes: int, states: tuple[tuple[int, str, str], ...] = (), **extra: Any) -> dict[str, Any]:
    """An incident opened `minutes` after T0 in `state` (In Progress unless given); `states` its later
    (minutes, state, hold_reason) changes."""
    opened = T0 + timedelta(minutes=minutes)
    first = extra.pop("state", "2")
    history = [(opened, first, ""), *((T0 + timedelta(minutes=m), s, r) for m, s, r in states)]
    return {"sys_id": f"{n:032x}", "number": f"INC{n:07d}", "short_description": f"Incident {n}",
            "state": history[-1][1], "hold_reason": history[-1][2],
            "opened_at": opened, "resolved_at": None, "u_first_response": None, "sys_updated_on": opened,
            "priority": "3", "assignment_group": "g1", "company": "Example Ltd", "caller_id": "Ann Caller",
            "reopen_count": "0", "contact_type": "email", "audit": [(opened, "g1")], "states": history, **extra}


class World(Base):
    tool = "servicenow"
    listing = TABLE
    expected_auth = {"Authorization": basic("integration", "sn-secret-0003")}

    def __init__(self) -> None:
        super().__init__()
        data = [
            incident(1, 0, priority="1", u_first_response=T0 + timedelta(minutes=5), contact_type="monitoring"),
            # New, In Progress, On Hold awaiting a vendor for 30 min (handed to Network while held), resolved
            incident(2, 10, state="1", resolved_at=T0 + timedelta(hours=3),
                     states=((20, "2", ""), (60, "3", "4"), (90, "2", ""), (180, "6", "")),
                     audit=[(T0 + timedelta(minutes=10), "g1"), (T0 + timedelta(minutes=60), "g2")],
                     assignment_group="g2"),
            incident(3, 20, priority="2", company="", caller_id="Bob Caller"),
            # On Hold awaiting the caller, then awaiting a change (the clock runs), then In Progress again
            incident(4, 30, priority="4", reopen_count="1", contact_type="phone",
                     states=((45, "3", "1"), (75, "3", "5"), (100, "2", ""))),
            # On Hold awaiting the caller for exactly 2 h, then resolved: the hand-computed pause (test_servicenow)
            incident(5, 40, u_first_response=T0 + timedelta(minutes=70), resolved_at=T0 + timedelta(hours=5),
                     states=((60, "3", "1"), (180, "2", ""), (300, "6", ""))),
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
        if "state" in changes or "hold_reason" in changes:
            merged.setdefault("hold_reason", "")
            if merged["state"] != "3":
                merged["hold_reason"] = ""  # leaving On Hold clears the reason (the state model's docs)
            merged["states"] = [*base["states"], (self.clock, merged["state"], merged["hold_reason"])]
        self.incidents[number] = merged

    def change_during_run(self) -> None:
        self.update("INC0000001", priority="2", assignment_group="g3")

    def change_between_runs(self) -> None:
        self.update("INC0000003", state="6", resolved_at=self.clock + timedelta(minutes=5), assignment_group="g2")
        self.update("INC0000006", state="3", hold_reason="4")  # held for a vendor after run 1: a status event
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
        if request.path == "/api/now/table/sys_choice":
            return self.choices(request)
        if request.path == "/api/now/table/sys_user_group":
            ids = str(request.arg("sysparm_query")).removeprefix("sys_idIN").split(",")
            return 200, {}, {"result": [{"sys_id": i, "name": GROUPS[i]} for i in ids if i in GROUPS]}
        return 404, {}, {"error": {"message": "no such table"}}

    def choices(self, request: Request) -> Reply:
        """The incident's active English choices of the fields asked for; an inactive one and a Spanish one beside
        them, which the query leaves out. Paged by sysparm_offset and sysparm_limit."""
        match = re.fullmatch(r"name=incident\^elementIN([a-z_,]+)\^inactive=false\^language=en",
                             str(request.arg("sysparm_query")))
        if not match:
            return 400, {}, {"error": {"message": f"unexpected choice query {request.arg('sysparm_query')!r}"}}
        rows = [{"element": e, "value": v, "label": label, "inactive": "false", "language": "en"}
                for e in ("state", "incident_state") for v, label in STATE.items()]
        rows += [{"element": "hold_reason", "value": v, "label": label, "inactive": "false", "language": "en"}
                 for v, label in HOLD.items()]
        rows += [{"element": "state", "value": "9", "label": "Retired", "inactive": "true", "language": "en"},
                 {"element": "state", "value": "10", "label": "Esperando al usuario", "inactive": "false",
                  "language": "es"}]
        wanted = set(match.group(1).split(","))
        found = [r for r in rows if r["element"] in wanted and r["inactive"] == "false" and r["language"] == "en"]
        offset, limit = int(str(request.arg("sysparm_offset", "0"))), int(str(request.arg("sysparm_limit")))
        fields = str(request.arg("sysparm_fields")).split(",")
        return 200, {}, {"result": [{f: r[f] for f in fields} for r in found[offset:offset + limit]]}

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

    def audit_rows(self, record: dict[str, Any]) -> list[dict[str, str]]:
        """The incident's sys_audit rows: each field an insert set or an update changed, at that instant."""
        rows = [("assignment_group", at, group) for at, group in record["audit"]]
        state = reason = ""
        for at, new_state, new_reason in record["states"]:
            if new_state != state:
                rows += [("state", at, new_state), ("incident_state", at, new_state)]
            if new_reason != reason:
                rows.append(("hold_reason", at, new_reason))
            state, reason = new_state, new_reason
        return [{"sys_id": f"{record['sys_id'][-8:]}{n:024x}", "documentkey": record["sys_id"], "fieldname": name,
                 "newvalue": value, "sys_created_on": db(at)} for n, (name, at, value) in enumerate(rows)]

    def audit(self, request: Request) -> Reply:
        match = re.fullmatch(r"tablename=incident\^fieldnameIN([a-z_,]+)\^documentkeyIN([0-9a-f,]+)"
                             r"\^ORDERBYsys_created_on\^ORDERBYsys_id", str(request.arg("sysparm_query")))
        if not match:
            return 400, {}, {"error": {"message": f"unexpected audit query {request.arg('sysparm_query')!r}"}}
        names, wanted = set(match.group(1).split(",")), set(match.group(2).split(","))
        fields = str(request.arg("sysparm_fields")).split(",")
        rows = sorted((r for i in self.incidents.values() if i["sys_id"] in wanted for r in self.audit_rows(i)
                       if r["fieldname"] in names), key=lambda r: (r["sys_created_on"], r["sys_id"]))
        offset, limit = int(str(request.arg("sysparm_offset", "0"))), int(str(request.arg("sysparm_limit")))
        return 200, {}, {"result": [{f: r[f] for f in fields if f in r} for r in rows[offset:offset + limit]]}

    def export(self, folder: Path) -> tuple[Path, Path | None]:
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
                history = [(at, 0, "owner_team", GROUPS[group]) for at, group in i["audit"]]
                history += [(at, 1, "status", status(state, reason)) for at, state, reason in i["states"]]
                for at, _, field, value in sorted(history):  # a handoff before a status of the same instant
                    writer.writerow([i["number"], at.isoformat(), field, value])
        return path, events
