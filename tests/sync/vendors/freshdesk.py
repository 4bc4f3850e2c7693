"""Freshdesk's ticket list (updated_since, ascending by updated_at, include=stats, the Link header's next page),
one ticket by id, the satisfaction ratings (created_since, paged the same way), and the ticket export of the same
tickets (labels, local times without an offset, "Survey results" as the latest rating's label)."""

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
# the seven-point scale: a value and its label in the export (developers.freshdesk.com/api/#satisfaction-ratings)
RATING = {103: "Extremely Happy", 102: "Very Happy", 101: "Happy", 100: "Neutral", -101: "Unhappy",
          -102: "Very Unhappy", -103: "Extremely Unhappy"}


def ticket(ident: int, minutes: int, **extra: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {"id": ident, "subject": f"Ticket {ident}", "status": 2, "priority": 2, "source": 1, "type": None,
            "group_id": 11, "company_id": 21, "tags": [], "custom_fields": {"cf_severity": None},
            "created_at": created, "updated_at": created, "first": None, "resolved": None, **extra}


def _page(request: Request, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of a list by per_page and page, the next one in the Link header while there is one."""
    size, page = int(str(request.arg("per_page", "30"))), int(str(request.arg("page", "1")))
    headers = {}
    if page * size < len(rows):
        query = {k: v[0] for k, v in request.query.items()} | {"page": page + 1}
        headers["Link"] = f'<http://{request.headers["host"]}{request.path}?{urlencode(query)}>; rel="next"'
    return rows[(page - 1) * size:page * size], headers


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
        self.ratings: list[dict[str, Any]] = []
        # ticket 5 rated twice (the later one counts); five ratings: three pages of two
        for ticket_id, value, hours in ((2, 103, 7), (5, 101, 3), (4, -101, 1), (5, -103, 5), (7, 102, 2)):
            self.rate(ticket_id, value, T0 + timedelta(hours=hours))
        self.clock = T0 + timedelta(days=2)

    def rate(self, ticket_id: int, value: int, at: datetime) -> None:
        """A rating as the list shows it: the default question's value and a second question's."""
        self.ratings.append({"id": 900 + len(self.ratings), "survey_id": 1, "user_id": 31, "agent_id": 41,
                             "group_id": None, "ticket_id": ticket_id, "feedback": "",
                             "ratings": {"default_question": value, "question_2": -102},
                             "created_at": at, "updated_at": at})

    def update(self, ident: int, **changes: Any) -> None:
        self.clock += timedelta(minutes=5)
        base = self.tickets.get(ident) or ticket(ident, int((self.clock - T0).total_seconds() // 60))
        self.tickets[ident] = {**base, **changes, "updated_at": self.clock}

    def change_during_run(self) -> None:
        self.update(1, status=3)

    def change_between_runs(self) -> None:
        """Besides a change and a new ticket: ticket 3 rated as it is resolved, ticket 6 rated without being
        updated (a rating need not touch its ticket), and ticket 5, rated before run 1, updated (its rating
        must stay)."""
        self.update(3, status=4, resolved=self.clock, first=self.clock - timedelta(hours=1))
        self.rate(3, 100, self.clock + timedelta(seconds=30))
        self.update(8, priority=4)
        self.update(5, priority=3)
        self.rate(6, -102, self.clock + timedelta(minutes=1))

    def route(self, request: Request) -> Reply:
        if request.path == "/api/v2/tickets":
            return self.list(request)
        if request.path == "/api/v2/surveys/satisfaction_ratings":
            return self.rating_list(request)
        if request.path.startswith("/api/v2/tickets/"):
            found = self.tickets.get(int(request.path.rsplit("/", 1)[1]))
            return (200, {}, self.api(found, request.arg("include") == "stats")) if found else \
                (404, {}, {"code": "not_found"})
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
        if int(str(request.arg("page", "1"))) > 300:
            return 400, {}, {"description": "You cannot access tickets beyond the 300th page"}
        chunk, headers = _page(request, rows)
        return 200, headers, [self.api(t) for t in chunk]

    def rating_list(self, request: Request) -> Reply:
        """Ratings created since `created_since` (required here), oldest first, paged like the tickets."""
        if not request.arg("created_since"):
            return 400, {}, {"description": "created_since expected"}
        since = datetime.fromisoformat(str(request.arg("created_since")))
        rows = sorted((r for r in self.ratings if r["created_at"] >= since), key=lambda r: (r["created_at"], r["id"]))
        chunk, headers = _page(request, rows)
        return 200, headers, [{**r, "created_at": api_time(r["created_at"]), "updated_at": api_time(r["updated_at"])}
                              for r in chunk]

    @staticmethod
    def api(t: dict[str, Any], stats: bool = True) -> dict[str, Any]:
        out = {k: v for k, v in t.items() if k not in ("first", "resolved")}
        out = {**out, "created_at": api_time(t["created_at"]), "updated_at": api_time(t["updated_at"])}
        return {**out, "stats": {"first_responded_at": api_time(t["first"]), "resolved_at": api_time(t["resolved"]),
                                 "closed_at": None, "agent_responded_at": None}} if stats else out

    def survey_result(self, ticket_id: int) -> str:
        """The export's "Survey results": the label of the ticket's latest rating."""
        mine = [r for r in self.ratings if r["ticket_id"] == ticket_id]
        latest = max(mine, key=lambda r: (r["created_at"], r["id"]), default=None)
        return RATING[latest["ratings"]["default_question"]] if latest else ""

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "freshdesk_tickets.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Group", "Company Name",
                             "Created time", "Initial response time", "Resolved time", "Tags", "Survey results",
                             "Severity"])
            for t in sorted(self.tickets.values(), key=lambda t: t["id"]):
                writer.writerow([t["id"], t["subject"], STATUS[t["status"]], PRIORITY[t["priority"]],
                                 SOURCE[t["source"]], t["type"] or "", GROUPS[t["group_id"]],
                                 COMPANIES.get(t["company_id"], ""), export_time(t["created_at"]),
                                 export_time(t["first"]), export_time(t["resolved"]), ",".join(t["tags"]),
                                 self.survey_result(t["id"]), t["custom_fields"]["cf_severity"] or ""])
        return path, None
