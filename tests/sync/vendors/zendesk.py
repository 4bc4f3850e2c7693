"""Zendesk's cursor-based incremental ticket export with its sideloads, its time-based ticket metric events export,
and the CSV export of the same tickets (support.zendesk.com/hc/en-us/articles/4408886165402: times in the
account's zone without an offset; labels for priority, status, channel and satisfaction; custom fields under
their titles).

Each ticket keeps its status history; the metric events are what Zendesk records for it (the ticket metric
event types reference): at creation every metric activates; agent_work_time runs in new and open, pauses in
pending and on-hold; requester_wait_time runs in new, open and on-hold, pauses in pending; both are fulfilled
when solved and activate again when reopened. Reply-time and SLA events come too, for the connector to leave
out. The CSV export has no history, so the equivalence test imports it with the history as an events file
(Zendesk's new and open both as `open`: the metric events do not tell them apart)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from tests.sync.helpers import api_time, basic, export_time
from tests.sync.server import Reply, Request
from tests.sync.vendors import World as Base

T0 = datetime(2026, 7, 6, 8, 0, tzinfo=timezone.utc)  # a Monday; 09:00 in London (BST)
EXPORT = "/api/v2/incremental/tickets/cursor.json"
METRIC_EVENTS = "/api/v2/incremental/ticket_metric_events.json"
# each metric's state in each Zendesk status, and the event type that enters it
WORK = {"new": "active", "open": "active", "pending": "paused", "hold": "paused", "solved": "fulfilled"}
WAIT = {"new": "active", "open": "active", "pending": "paused", "hold": "active", "solved": "fulfilled"}
ENTER = {"active": "activate", "paused": "pause", "fulfilled": "fulfill"}
STATUS = {"new": "open", "open": "open", "pending": "waiting_on_customer", "hold": "waiting_on_third_party",
          "solved": "resolved"}
GROUPS = {1: "Support", 2: "Tier 2"}
ORGS = {7: "Example Ltd", 8: "Acme"}
SEVERITY = {"id": 500, "title": "Severity", "options": {"sev_outage": "outage", "sev_partial": "partial"}}
VIA_LABEL = {"web": "Web form", "email": "Mail", "chat": "Chat"}
SCORE = {"good": "Good", "bad": "Bad", "offered": "Offered"}


def ticket(ident: int, minutes: int, changes: tuple[tuple[int, str], ...] = (), **extra: Any) -> dict[str, Any]:
    """A ticket created `minutes` after T0 as open, then moved to each (minutes after T0, status) of `changes`;
    its status and updated_at are the last of them."""
    created = T0 + timedelta(minutes=minutes)
    history = [(created, "open"), *((T0 + timedelta(minutes=m), status) for m, status in changes)]
    return {"id": ident, "subject": f"Ticket {ident}", "status": history[-1][1], "priority": "normal",
            "created_at": created, "updated_at": history[-1][0], "group_id": 1, "organization_id": 7,
            "tags": ["web"], "via": {"channel": "web"}, "satisfaction_rating": None, "severity": None, "brand_id": 1,
            "solved_at": None, "reopens": 0, "reply": None, "history": history, **extra}


def metric_events(t: dict[str, Any]) -> list[dict[str, Any]]:
    """What Zendesk records for one ticket's history (ids numbered per ticket, the status changes last, so an id
    stays its event's as the history grows)."""
    out: list[dict[str, Any]] = []

    def add(at: datetime, metric: str, kind: str, instance: int = 0) -> None:
        out.append({"id": t["id"] * 1000 + len(out), "ticket_id": t["id"], "metric": metric, "instance_id": instance,
                    "type": kind, "time": api_time(at), "deleted": False})

    add(t["created_at"], "reply_time", "activate", 1)
    if t["priority"] == "urgent":
        add(t["created_at"], "reply_time", "apply_sla", 1)
    if t["reply"] is not None:
        add(t["created_at"] + timedelta(minutes=t["reply"]), "reply_time", "fulfill", 1)
    before = None
    for at, status in t["history"]:
        for metric, states in (("agent_work_time", WORK), ("requester_wait_time", WAIT)):
            if before is None:
                add(at, metric, "activate")
            if states[status] != states[before or "new"]:
                add(at, metric, ENTER[states[status]])
        before = status
    return out


class World(Base):
    tool = "zendesk"
    listing = EXPORT
    expected_auth = {"Authorization": basic("agent@example.com/token", "zd-secret-0001")}

    events_per_page = 10  # events per page of the metric events export
    end_of_stream = True  # the metric events answer says end_of_stream (else the connector goes by its count)
    noise = 0  # SLA `measure` events of ticket 101 from its creation on, `noise_step` seconds apart
    noise_step = 1

    def __init__(self) -> None:
        super().__init__()
        day = 24 * 60
        data = [
            ticket(101, 0, priority="urgent", reply=12, tags=["checkout", "enterprise"], severity="sev_outage"),
            # pending 09:00-11:00, on-hold 11:30-12:00, solved 13:00
            ticket(102, 10, ((60, "pending"), (180, "open"), (210, "hold"), (240, "open"), (300, "solved")),
                   solved_at=T0 + timedelta(hours=5), reply=30, satisfaction_rating={"id": 7102, "score": "good"}),
            ticket(103, 20, priority="high", group_id=2, organization_id=8, via={"channel": "email"}),
            ticket(104, 30, ((35, "pending"),), priority="low", reply=5, satisfaction_rating={"score": "offered"}),
            # Normal (medium: a resolution clock); on-hold 09:40, pending 10:10, open 10:40; solved the next day,
            # reopened an hour later, solved again
            ticket(105, 40, ((100, "hold"), (130, "pending"), (160, "open"), (day, "solved"), (day + 60, "open"),
                             (2 * day, "solved")),
                   severity="sev_partial", reopens=1, reply=3, solved_at=T0 + timedelta(days=2),
                   satisfaction_rating={"id": 7105, "score": "bad"}),
            # pending 09:50, on-hold 10:20, open 10:50
            ticket(106, 50, ((110, "pending"), (140, "hold"), (170, "open")), via={"channel": "chat"},
                   organization_id=None, tags=[]),
            ticket(107, 60, priority="urgent", reply=1),
        ]
        self.tickets = {t["id"]: t for t in data}
        # the ratings list: each received rating's ticket and time (the ticket carries only its id and score)
        self.rated = {7102: (102, T0 + timedelta(hours=6)), 7105: (105, T0 + timedelta(days=2, hours=1))}
        self.clock = T0 + timedelta(days=10)
        self.hidden: set[int] = set()  # tickets the ticket export leaves out (changed in its last minute, deleted)

    def update(self, ident: int, **changes: Any) -> None:
        self.clock += timedelta(minutes=7)
        base = self.tickets.get(ident) or ticket(ident, int((self.clock - T0).total_seconds() // 60))
        merged = {**base, **changes, "updated_at": self.clock}
        if "status" in changes and changes["status"] != base["status"]:
            merged["history"] = [*base["history"], (self.clock, changes["status"])]
        self.tickets[ident] = merged

    def change_during_run(self) -> None:
        self.update(101, priority="high", status="pending")

    def change_between_runs(self) -> None:
        self.update(103, status="solved", solved_at=self.clock, reply=45)
        self.update(108, priority="urgent", severity="sev_outage")
        self.update(103, satisfaction_rating={"id": 7103, "score": "good"})  # rated once solved: Acme's answer
        self.rated[7103] = (103, self.clock)

    def route(self, request: Request) -> Reply:
        if request.path == EXPORT:
            return self.page(request)
        if request.path == METRIC_EVENTS:
            return self.metric_page(request)
        if request.path == "/api/v2/satisfaction_ratings":
            return self.rating_page(request)
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

    def metric_page(self, request: Request) -> Reply:
        """The time-based export: events at or after start_time in time order; the next page starts at this one's
        end_time (its last event's second, which comes again)."""
        start = datetime.fromtimestamp(int(str(request.arg("start_time"))), tz=UTC)
        created = self.tickets[101]["created_at"]
        noise = [{"id": 900_000 + n, "ticket_id": 101, "metric": "periodic_update_time", "instance_id": 1,
                  "type": "measure", "time": api_time(created + timedelta(seconds=n * self.noise_step)),
                  "deleted": False} for n in range(self.noise)]
        events = sorted([*noise, *(e for t in self.tickets.values() for e in metric_events(t))],
                        key=lambda e: (e["time"], e["id"]))
        rest = [e for e in events if e["time"] >= api_time(start)]
        page = rest[:self.events_per_page]
        end = int(datetime.fromisoformat(page[-1]["time"]).timestamp()) if page else int(start.timestamp())
        body: dict[str, Any] = {
            "ticket_metric_events": page, "count": len(page), "end_time": end,
            "next_page": f"https://example.zendesk.com{METRIC_EVENTS}?start_time={end}"}
        if self.end_of_stream:
            body["end_of_stream"] = len(rest) <= self.events_per_page
        return 200, {}, body

    def rating_page(self, request: Request) -> Reply:
        """Received ratings created at or after start_time, oldest first, cursor-paged by page[size] and
        page[after] (the next page's address in links.next while meta.has_more)."""
        if request.arg("score") != "received":
            return 400, {}, {"error": "expected score=received"}
        start = datetime.fromtimestamp(int(str(request.arg("start_time"))), tz=UTC)
        ratings = sorted((at, ident, ticket) for ident, (ticket, at) in self.rated.items() if at >= start)
        after = [n for n, (_, ident, _) in enumerate(ratings) if str(ident) == request.arg("page[after]")]
        rest = ratings[after[0] + 1:] if after else ratings
        size = int(str(request.arg("page[size]", "100")))
        page, more = rest[:size], len(rest) > size
        score = {t["satisfaction_rating"]["id"]: t["satisfaction_rating"]["score"] for t in self.tickets.values()
                 if (t["satisfaction_rating"] or {}).get("id")}
        link = (f"http://{request.headers['host']}/api/v2/satisfaction_ratings?score=received"
                f"&start_time={request.arg('start_time')}&page%5Bsize%5D={size}&page%5Bafter%5D={page[-1][1]}"
                if more else None)
        return 200, {}, {
            "satisfaction_ratings": [{"id": ident, "ticket_id": ticket, "score": score[ident],
                                      "created_at": api_time(at), "updated_at": api_time(at)}
                                     for at, ident, ticket in page],
            "meta": {"has_more": more, "after_cursor": str(page[-1][1]) if page else None}, "links": {"next": link}}

    def page(self, request: Request) -> Reply:
        order = sorted((t for t in self.tickets.values() if t["id"] not in self.hidden),
                       key=lambda t: (t["updated_at"], t["id"]))
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
        path, events = folder / "zendesk_export.csv", folder / "zendesk_events.csv"
        with events.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ticket_id", "at", "field", "value"])
            for t in sorted(self.tickets.values(), key=lambda t: t["id"]):
                for at, status in t["history"]:
                    writer.writerow([t["id"], at.isoformat(), "status", STATUS[status]])
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
        return path, events
