"""Jira Cloud's enhanced JQL search (nextPageToken, expand=names,changelog; a changelog the search truncates read
from /issue/{key}/changelog), and the "Export > CSV (all fields)" file of the same issues with their history as
a plain events file (the export has none)."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

from tests.sync.helpers import ZONE, basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)
SEARCH = "/rest/api/3/search/jql"
NAMES = {"customfield_10010": "[CHART] Date of First Response", "customfield_10001": "Team",
         "customfield_10002": "Organizations", "customfield_10003": "Satisfaction", "customfield_10004": "Severity",
         "customfield_10005": "Time to first response"}
IN_SEARCH = 2  # histories the search carries before it truncates
# the export side's reading of the statuses (the jira_changelog preset's decisions); Triage is not named
STATUS = {"Waiting for support": "open", "In Progress": "open", "Waiting for customer": "waiting_on_customer",
          "Resolved": "resolved", "Closed": "closed"}
TIER = {"Highest": "critical", "High": "high", "Medium": "medium", "Low": "low"}


def jira_time(moment: Optional[datetime]) -> Optional[str]:
    """As Jira's API writes an instant: the user's zone, milliseconds, `+0100`."""
    return None if moment is None else moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M:%S.000%z")


def issue(n: int, minutes: int, **extra: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {"key": f"SUP-{n}", "id": str(10000 + n), "summary": f"Issue {n}", "status": "Waiting for support",
            "priority": "Medium", "created": created, "updated": created, "resolved": None, "labels": [],
            "team": "Support", "org": "Example Ltd", "chart": None, "rating": None, "severity": None,
            "histories": [], **extra}


class World(Base):
    tool = "jira"
    listing = SEARCH
    expected_auth = {"Authorization": basic("bot@example.com", "jira-secret-0002")}

    def scope(self) -> dict[str, Any]:
        return {"jql": "project = SUP"}

    def __init__(self) -> None:
        super().__init__()
        data = [
            issue(1, 0, priority="Highest", labels=["vip", "outage"], chart=T0 + timedelta(minutes=9),
                  severity="outage"),
            issue(2, 10, chart=T0 + timedelta(minutes=40), rating=4),
            issue(3, 20, priority="High", team="Payments", org="Acme"),
            issue(4, 30, priority="Low", labels=["billing"]),
            issue(5, 40, chart=T0 + timedelta(minutes=45)),
            issue(6, 50, org=None),
            issue(7, 60, priority="High"),
        ]
        self.issues = {i["key"]: i for i in data}
        self.clock = T0 + timedelta(days=3)
        # SUP-2: five changes, more than the search carries: the rest come from the changelog endpoint
        self.change("SUP-2", ("status", "In Progress"), ("Team", "Payments"), ("priority", "High"),
                    ("status", "Waiting for customer"), ("status", "Triage"))
        self.change("SUP-4", ("status", "In Progress"))

    def change(self, key: str, *items: tuple[str, str], **fields: Any) -> None:
        """New histories (one per item) at the next minutes, the fields they set, and a new `updated`."""
        base = self.issues.get(key) or issue(int(key.split("-")[1]), int((self.clock - T0).total_seconds() // 60))
        base = {**base, "histories": list(base["histories"])}
        for field, value in items:
            self.clock += timedelta(minutes=3)
            old = {"status": base["status"], "priority": base["priority"], "Team": base["team"]}[field]
            base["histories"].append({"id": str(len(base["histories"]) + 1), "created": jira_time(self.clock),
                                      "items": [{"field": field, "fieldId": "customfield_10001" if field == "Team"
                                                 else field, "fromString": old, "toString": value}]})
            base[{"status": "status", "priority": "priority", "Team": "team"}[field]] = value
        self.clock += timedelta(minutes=1)
        self.issues[key] = {**base, **fields, "updated": self.clock}

    def change_during_run(self) -> None:
        self.change("SUP-1", ("status", "Waiting for customer"))

    def change_between_runs(self) -> None:
        self.change("SUP-3", ("status", "Resolved"), resolved=self.clock + timedelta(minutes=3))
        self.change("SUP-8", ("priority", "Highest"), labels=["new"])

    def api(self, i: dict[str, Any]) -> dict[str, Any]:
        return {"id": i["id"], "key": i["key"], "fields": {
            "summary": i["summary"], "status": {"name": i["status"]}, "priority": {"name": i["priority"]},
            "created": jira_time(i["created"]), "updated": jira_time(i["updated"]),
            "resolutiondate": jira_time(i["resolved"]), "labels": i["labels"],
            "customfield_10010": jira_time(i["chart"]),
            "customfield_10001": {"id": "t1", "name": i["team"], "title": i["team"]} if i["team"] else None,
            "customfield_10002": [{"id": "o1", "name": i["org"]}] if i["org"] else [],
            "customfield_10003": {"rating": i["rating"]} if i["rating"] else None,
            "customfield_10004": {"value": i["severity"], "id": "s1"} if i["severity"] else None,
            "customfield_10005": {"id": "1", "name": "Time to first response", "completedCycles": []},
        }, "changelog": {"startAt": 0, "maxResults": IN_SEARCH, "total": len(i["histories"]),
                         "histories": i["histories"][:IN_SEARCH]}}

    def route(self, request: Request) -> Reply:
        if request.path == "/rest/api/3/myself":
            return 200, {}, {"accountId": "bot", "timeZone": "Europe/London"}
        if request.path == SEARCH:
            return self.search(request)
        found = re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/changelog", request.path)
        if found and found.group(1) in self.issues:
            start, size = int(str(request.arg("startAt", "0"))), int(str(request.arg("maxResults", "100")))
            values = self.issues[found.group(1)]["histories"]
            return 200, {}, {"startAt": start, "maxResults": size, "total": len(values),
                             "isLast": start + size >= len(values), "values": values[start:start + size]}
        return 404, {}, {"errorMessages": ["not found"]}

    def search(self, request: Request) -> Reply:
        jql = str(request.arg("jql"))
        match = re.fullmatch(r'\(project = SUP\) AND updated >= "(\d{4}/\d\d/\d\d \d\d:\d\d)" '
                             r"ORDER BY updated ASC, key ASC", jql)
        if not match or request.arg("fields") != "*all" or "changelog" not in str(request.arg("expand")):
            return 400, {}, {"errorMessages": [f"unexpected query {jql!r}"]}
        since = datetime.strptime(match.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=ZoneInfo("Europe/London"))
        order = sorted((i for i in self.issues.values() if i["updated"] >= since),
                       key=lambda i: (i["updated"], int(i["key"].split("-")[1])))
        if request.arg("nextPageToken"):
            stamp, number = str(request.arg("nextPageToken")).split("|")
            after = (datetime.fromisoformat(stamp), int(number))
            order = [i for i in order if (i["updated"], int(i["key"].split("-")[1])) > after]
        size = int(str(request.arg("maxResults", "50")))
        page, more = order[:size], len(order) > size
        token = f"{page[-1]['updated'].isoformat()}|{page[-1]['key'].split('-')[1]}" if more else None
        return 200, {}, {"issues": [self.api(i) for i in page], "names": NAMES, "isLast": not more,
                         **({"nextPageToken": token} if token else {})}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path, events = folder / "jira_export.csv", folder / "jira_events.csv"
        labels = max(1, max(len(i["labels"]) for i in self.issues.values()))
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Summary", "Issue key", "Issue id", "Status", "Priority", "Created", "Resolved",
                             *["Labels"] * labels, "Custom field ([CHART] Date of First Response)",
                             "Custom field (Team)", "Custom field (Organizations)", "Satisfaction rating",
                             "Custom field (Severity)"])
            for i in sorted(self.issues.values(), key=lambda i: int(i["key"].split("-")[1])):
                writer.writerow([
                    i["summary"], i["key"], i["id"], i["status"], i["priority"],
                    export_time(i["created"], "%d/%b/%y %I:%M %p"), export_time(i["resolved"], "%d/%b/%y %I:%M %p"),
                    *(i["labels"] + [""] * (labels - len(i["labels"]))),
                    export_time(i["chart"], "%Y-%m-%d %H:%M:%S.%f"), i["team"] or "", i["org"] or "",
                    i["rating"] or "", i["severity"] or "",
                ])
        with events.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ticket_id", "at", "field", "value"])
            for i in sorted(self.issues.values(), key=lambda i: int(i["key"].split("-")[1])):
                for history in i["histories"]:
                    item = history["items"][0]
                    field, value = item["field"], item["toString"]
                    if field == "status" and value in STATUS:
                        writer.writerow([i["key"], history["created"], "status", STATUS[value]])
                    elif field == "priority":
                        writer.writerow([i["key"], history["created"], "impact", TIER[value]])
                    elif field == "Team":
                        writer.writerow([i["key"], history["created"], "owner_team", value])
        return path, events
