"""Intercom's conversation search (updated_at, ascending, starting_after in the body), a contact's companies
(page and per_page, `pages.next` while there are more), and the Conversations report export of the same
conversations (headers with the report's zone, "(Europe/London)", local times, "Company name" the first
contact's companies as one list)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.helpers import export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)
TEAMS = {"501": "Billing", "502": "Technical"}
CHANNEL = "conversation"
# a contact's companies, in the order the API lists them; c2's take two pages of two, c3 has none, and a
# contact not here (c9) was deleted (404)
COMPANIES = {"c1": ["Example Ltd"], "c2": ["Acme", "Globex", "Initech"], "c3": [], "c4": ["Umbrella"]}


def epoch(moment: Optional[datetime]) -> Optional[int]:
    return None if moment is None else int(moment.timestamp())


def conversation(ident: int, minutes: int, **extra: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {"id": str(9000 + ident), "state": "open", "priority": "not_priority", "team": "501", "tags": [],
            "rating": None, "rated": None, "source": "email", "severity": None, "created": created, "updated": created,
            "replied": None, "closed": None, "contact": "c1", **extra}


class World(Base):
    tool = "intercom"
    listing = "/conversations/search"
    expected_auth = {"Authorization": "Bearer ic-secret-0006", "Intercom-Version": "2.11"}

    def __init__(self) -> None:
        super().__init__()
        data = [
            conversation(1, 0, priority="priority", replied=T0 + timedelta(minutes=3), tags=["vip", "outage"],
                         severity="outage"),
            conversation(2, 10, state="closed", replied=T0 + timedelta(minutes=20), closed=T0 + timedelta(hours=2),
                         rating=5, rated=T0 + timedelta(hours=2, minutes=5), contact="c2"),
            conversation(3, 20, team="502", source="chat"),
            conversation(4, 30, rating=2, rated=T0 + timedelta(hours=1), replied=T0 + timedelta(minutes=31), contact="c3"),
            conversation(5, 40, priority="priority", contact="c4"),
            conversation(6, 50, team=None, contact="c9"),
            conversation(7, 60, tags=["billing"], contact="c2"),
        ]
        self.items = {c["id"]: c for c in data}
        self.clock = T0 + timedelta(days=2)

    def update(self, ident: str, **changes: Any) -> None:
        self.clock += timedelta(minutes=5)
        base = self.items.get(ident) or conversation(int(ident) - 9000, int((self.clock - T0).total_seconds() // 60))
        self.items[ident] = {**base, **changes, "updated": self.clock}

    def change_during_run(self) -> None:
        self.update("9001", state="snoozed")

    def change_between_runs(self) -> None:
        self.update("9003", state="closed", closed=self.clock, replied=self.clock - timedelta(minutes=50))
        self.update("9003", rating=4, rated=self.clock)  # rated once closed: Example Ltd's answer
        self.update("9008", priority="priority", contact="c4")

    def api(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"type": "conversation", "id": c["id"], "created_at": epoch(c["created"]),
                "updated_at": epoch(c["updated"]), "state": c["state"], "priority": c["priority"],
                "team_assignee_id": int(c["team"]) if c["team"] else None, "admin_assignee_id": None,
                "source": {"type": c["source"], "delivered_as": "customer_initiated"},
                "tags": {"type": "tag.list", "tags": [{"type": "tag", "name": t} for t in c["tags"]]},
                "conversation_rating": {"rating": c["rating"], "remark": None, "created_at": epoch(c["rated"]),
                                        "contact": {"type": "contact", "id": c["contact"]}} if c["rating"] else None,
                "custom_attributes": {"Severity": c["severity"]} if c["severity"] else {},
                "statistics": {"first_admin_reply_at": epoch(c["replied"]), "last_close_at": epoch(c["closed"])},
                "contacts": {"type": "contact.list", "contacts": [
                    {"type": "contact", "id": c["contact"], "external_id": f"ext-{c['contact']}"}]}}

    def companies(self, request: Request) -> Reply:
        """A contact's companies, a page of `per_page` at a time; `pages.next` the next page's address."""
        contact = request.path.split("/")[2]
        if contact not in COMPANIES:
            return 404, {}, {"type": "error.list", "errors": [{"code": "not_found", "message": "Contact Not Found"}]}
        size, page = int(str(request.arg("per_page", "15"))), int(str(request.arg("page", "1")))
        names = COMPANIES[contact]
        total = max(1, -(-len(names) // size))
        after = f"http://{request.headers['host']}/contacts/{contact}/companies?page={page + 1}&per_page={size}"
        return 200, {}, {"type": "list", "total_count": len(names),
                         "data": [{"type": "company", "id": f"co-{n.lower()}", "company_id": n.lower(), "name": n}
                                  for n in names[(page - 1) * size:page * size]],
                         "pages": {"type": "pages", "next": after if page < total else None, "page": page,
                                   "per_page": size, "total_pages": total}}

    def route(self, request: Request) -> Reply:
        if request.path == "/teams":
            return 200, {}, {"type": "team.list", "teams": [{"type": "team", "id": i, "name": n}
                                                             for i, n in TEAMS.items()]}
        if request.path.startswith("/contacts/") and request.path.endswith("/companies") and request.method == "GET":
            return self.companies(request)
        if request.path != "/conversations/search" or request.method != "POST":
            return 404, {}, {"type": "error.list", "errors": [{"code": "not_found"}]}
        body = request.body or {}
        query, paging = body.get("query") or {}, body.get("pagination") or {}
        if query.get("field") != "updated_at" or query.get("operator") != ">" or \
                body.get("sort") != {"field": "updated_at", "order": "ascending"}:
            return 400, {}, {"type": "error.list", "errors": [{"code": "parameter_invalid"}]}
        rows = sorted((c for c in self.items.values() if epoch(c["updated"]) > query["value"]),
                      key=lambda c: (c["updated"], c["id"]))
        if paging.get("starting_after"):
            stamp, ident = str(paging["starting_after"]).split("|")
            rows = [c for c in rows if (epoch(c["updated"]), c["id"]) > (int(stamp), ident)]
        size = int(paging.get("per_page") or 20)
        page = rows[:size]
        following = {"next": {"page": 2, "starting_after": f"{epoch(page[-1]['updated'])}|{page[-1]['id']}"}} \
            if len(rows) > size else {}
        return 200, {}, {"type": "conversation.list", "conversations": [self.api(c) for c in page],
                         "total_count": len(rows), "pages": {"type": "pages", "per_page": size, **following}}

    def export(self, folder: Path) -> tuple[Path, Optional[Path]]:
        path = folder / "conversations.csv"
        zone = "(Europe/London)"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Conversation ID", "State", f"Conversation started at {zone}",
                             f"Conversation first replied at {zone}", f"Conversation last closed at {zone}",
                             "Conversation priority", "Team currently assigned", "Conversation tag",
                             "Conversation rating", "Channel", "Company name", "Severity"])
            for c in sorted(self.items.values(), key=lambda c: c["id"]):
                writer.writerow([c["id"], c["state"], export_time(c["created"]), export_time(c["replied"]),
                                 export_time(c["closed"]),
                                 "Priority" if c["priority"] == "priority" else "Not Priority",
                                 TEAMS.get(c["team"] or "", ""), ",".join(c["tags"]), c["rating"] or "",
                                 c["source"], ", ".join(COMPANIES.get(c["contact"], [])), c["severity"] or ""])
        return path, None
