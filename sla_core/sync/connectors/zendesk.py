"""Zendesk Support: tickets through the cursor-based incremental export, loaded with the `zendesk` preset; their
status changes (pauses) from the ticket metric events as status events.

Endpoints (developer.zendesk.com):
- `GET /api/v2/incremental/tickets/cursor.json?start_time=…` then `?cursor=<after_cursor>`, with
  `include=metric_sets,groups,organizations` and `exclude_deleted=true`: tickets changed since the cursor,
  pages until `end_of_stream` is true; the last page's `after_cursor` is where the next run resumes.
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
  (tickets changed in the minute before the request come on the next run; 10 requests a minute, 429 with
  Retry-After: https://developer.zendesk.com/api-reference/introduction/rate-limits)
- the `metric_sets` sideload (fields of ticket metrics: `solved_at`, `reopens`,
  `reply_time_in_minutes.calendar`): https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/
  (sideloading it on the incremental export: support.zendesk.com/hc/en-us/community/posts/4984355661466)
- `GET /api/v2/ticket_fields` for custom fields' titles and drop-down option names, and
  `GET /api/v2/groups/{id}`, `GET /api/v2/organizations/{id}` for a name the sideload lacks:
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/
- `GET /api/v2/satisfaction_ratings?score=received&start_time=…&page[size]=N`, cursor-paged (`meta.has_more`,
  `links.next`): the good and bad ratings created since start_time, each with its `created_at`, for the survey
  answers below: https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/
  (paging: https://developer.zendesk.com/api-reference/introduction/pagination/)
- Authentication: `{email}/token:{api_token}` as HTTP Basic:
  https://developer.zendesk.com/api-reference/introduction/security-and-auth/

Each ticket becomes a row of the CSV export (support.zendesk.com/hc/en-us/articles/4408886165402), spelled as
the preset reads it: Id, Created at, Solved at, Priority (Urgent/High/Normal/Low), Reopens, Group,
Organization, Tags (space separated), Satisfaction Score (Good/Bad/Offered/Not Offered), Via (the channel's
label), First reply time in minutes (calendar minutes, as the export's), and each custom field under its title.
Subject and Status come too, as text beside the canonical columns; Updated at does not (the cursor has it).

Status changes (pauses) come from the ticket metric events:
- `GET /api/v2/incremental/ticket_metric_events.json?start_time=…`: the time-based incremental export, events on
  or after start_time in time order, `count`, `end_time`, `next_page` (whose start_time is the `end_time`, so
  the last second comes again: events are kept once by id). The stream ends at `end_of_stream`, or, where the
  answer lacks it, at a page of fewer than 100 (a last page may repeat its last event with a `next_page` to
  itself: github.com/facetoe/zenpy/issues/489). A whole page within one second would come back unchanged for
  ever: the source stops with one line instead of skipping the rest of that second.
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events/
  https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
- What the (metric, type) pairs mean:
  https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-metric-event-types-reference
  (requester_wait_time pauses when the ticket goes pending; agent_work_time when it goes pending or on-hold; an
  activate un-pauses, or reopens a fulfilled metric; a solve fulfills both) and the metrics' definitions,
  https://support.zendesk.com/hc/en-us/articles/4408834848154 (requester wait time counts new, open and on-hold;
  agent work time new and open). So, per ticket and instant: a fulfill -> `resolved`; requester_wait_time pause
  -> `waiting_on_customer` (pending); agent_work_time activate -> `open` (created, back, reopened); else
  agent_work_time pause or requester_wait_time activate -> `waiting_on_third_party` (on-hold, from open or from
  pending). Zendesk's new and open are both `open`: the events do not tell them apart. Other metrics and types
  (reply_time, SLA apply/breach/update_status, measure) are left out.
- First reply: not taken from `reply_time` fulfill (instance 1). The preset's `First reply time in minutes`
  (metric_sets) is the same definition to the minute, as the export has it; the event would add only seconds
  and make a synced ticket differ from an exported one. So first reply comes once, from metric_sets; what the
  events add is the pauses and the reopen cycles (resolved, then open again) the export's Reopens only counts.

The events are loaded beside the ticket page as a plain events file, as ServiceNow's sys_audit changes are. The
export cannot be asked for one ticket's events, so a ticket's whole history is what the store holds for it
(`Context.stored_events`) and what this run read. The streams go in step: before a ticket page is handed over,
the events are read up to its newest `updated_at` (a status change updates the ticket at the same instant), so
each change comes with the page that holds its ticket's update. The cursor keeps the events' own place beside
Zendesk's `cursor`, in the same `sync_state` row and transaction: `events` (the next start_time) never passes a
change no page has stored with its ticket, and `updated` (the newest ticket update read) tells the next run which
of those to let go: a change older than it whose ticket still came on no page belongs to a ticket deleted or out
of the brand, not to one changed again in the minute the export leaves out, and no longer holds the cursor back
(so after a first run the second may read the events again from a deleted ticket's change, once). A store
synced before the events were read gets a ticket's history with the ticket's next change.

Survey answers: a ticket's satisfaction rating (legacy CSAT: one per ticket, its `satisfaction_rating` {id,
score}) is its csat, as the export's Satisfaction Score; a good or bad one of a ticket with an organization is also
a survey answer of that organization (account), at the rating's `created_at` (the ticket does not carry it, so
the ratings list is read), scored as the preset scores the export's label (Good 5, Bad 1). Receiving or changing a
rating updates its ticket, so each rating comes with a page that holds its ticket; the list is read once per run
from the oldest creation among the pages' rated tickets (a ticket is rated after it is created), again only when a
later page holds an older one. A requester who changes a rating changes the answer made at its creation time.
A rating of a ticket without an organization stays the ticket's csat only: answers are by account.

What the API does not give that the export has: nothing the preset reads. The other way round, the export
writes times in the account's zone without an offset and has no status history; the sync writes times with
their offset and loads the history above. Not read yet: SLA breaches and satisfaction-rating comments.
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime
from typing import Any, Iterator, Optional

from sla_core.ingest.mapping import preset
from sla_core.sync.config import SourceFailed
from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant, iso

EXPORT = "/api/v2/incremental/tickets/cursor.json"
RATINGS = "/api/v2/satisfaction_ratings"
METRIC_EVENTS = "/api/v2/incremental/ticket_metric_events.json"
FULL_PAGE = 100  # a metric events page without `end_of_stream` that holds fewer is the last
WORK, WAIT = "agent_work_time", "requester_wait_time"
STATUS_PAIRS = frozenset((m, t) for m in (WORK, WAIT) for t in ("activate", "pause", "fulfill"))
SIDELOADS = "metric_sets,groups,organizations"
# via.channel -> the export's Via label (the preset maps the labels; an unknown channel goes through as it is)
VIA = {"web": "Web form", "email": "Mail", "chat": "Chat", "voice": "Voice", "api": "Web service",
       "mobile_sdk": "Mobile SDK", "web_widget": "Web Widget", "help_center": "Help Center",
       "native_messaging": "Messaging", "mobile": "Mobile", "sms": "Text", "facebook": "Facebook",
       "twitter": "Twitter", "rule": "Trigger", "side_conversation": "Side conversation"}
SATISFACTION = {"good": "Good", "bad": "Bad", "offered": "Offered", "unoffered": "Not Offered"}


class _Names:
    """Group, organization and custom field names, from the page's sideloads and, when missing, asked once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known: dict[tuple[str, Any], Optional[str]] = {}
        self.fields: Optional[dict[Any, tuple[str, dict[str, str]]]] = None

    def learn(self, answer: dict[str, Any]) -> None:
        for kind in ("groups", "organizations"):
            for item in answer.get(kind) or []:
                self.known[(kind, item.get("id"))] = item.get("name")

    def name(self, kind: str, ident: Any) -> Optional[str]:
        if ident is None:
            return None
        if (kind, ident) not in self.known:
            found = self.ctx.client.get(f"/api/v2/{kind}/{ident}.json", missing_ok=True)
            item = (found.body or {}).get(kind[:-1], {}) if found else {}
            self.known[(kind, ident)] = item.get("name")
        return self.known[(kind, ident)]

    def custom(self) -> dict[Any, tuple[str, dict[str, str]]]:
        """Custom field id -> (title, option value -> option name)."""
        if self.fields is None:
            self.fields = {}
            url: Optional[str] = "/api/v2/ticket_fields.json"
            while url:
                body = self.ctx.client.get(url).body or {}
                for item in body.get("ticket_fields") or []:
                    options = {str(o.get("value")): str(o.get("name")) for o in item.get("custom_field_options") or []}
                    self.fields[item.get("id")] = (str(item.get("title")), options)
                url = body.get("next_page") or (body.get("links") or {}).get("next")
                if not (body.get("meta") or {}).get("has_more", bool(body.get("next_page"))):
                    url = None
        return self.fields


def _value(value: Any, options: dict[str, str]) -> Optional[str]:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(options.get(str(v), str(v)) for v in value)
    return options.get(str(value), str(value))


def status_of(pairs: set[tuple[str, str]]) -> str | None:
    """The status a ticket went to at one instant, from that instant's (metric, type) pairs (module docstring)."""
    if (WORK, "fulfill") in pairs or (WAIT, "fulfill") in pairs:
        return "resolved"
    if (WAIT, "pause") in pairs:
        return "waiting_on_customer"
    if (WORK, "activate") in pairs:
        return "open"
    if (WORK, "pause") in pairs or (WAIT, "activate") in pairs:
        return "waiting_on_third_party"
    return None


class _Metrics:
    """The ticket metric events export, read as far as the tickets read so far; this run's status changes by
    ticket, and the cursor that never passes a change whose ticket is not stored yet."""

    def __init__(self, ctx: Context, cursor: Cursor | None) -> None:
        self.ctx = ctx
        state = cursor or {}
        self.start = int(state.get("events") or ctx.first_start().timestamp())
        self.before = int(state.get("updated") or self.start)  # the newest ticket update the last run read
        self.updated = self.before
        self.read = float(self.start)  # every event up to here is fetched and sorted into `found`
        self.next = self.start  # the next request's start_time: the last page's end_time
        self.reached = float("-inf")  # the latest event time fetched
        self.ids: set[Any] = set()
        self.ahead: list[tuple[float, str, tuple[str, str]]] = []  # fetched, later than `read`
        self.found: dict[str, dict[float, set[tuple[str, str]]]] = {}  # this run's events up to `read`, by ticket
        self.held: dict[str, float] = {}  # ticket -> the `updated_at` of the last page that held it
        self.waiting: dict[str, float] = {}  # ticket -> its first event after that (or at all), not stored yet
        self.queue: list[tuple[float, str]] = []  # `waiting` as a heap, oldest first (stale entries skipped)

    def _fetch(self) -> bool:
        """One page from `next`; whether more follow now."""
        body = self.ctx.client.get(METRIC_EVENTS, params={"start_time": self.next}).body or {}
        events = body.get("ticket_metric_events") or []
        fresh = [e for e in events if e.get("id") not in self.ids]
        for event in fresh:
            self.ids.add(event.get("id"))
            moment = instant(event.get("time"))
            if moment is None:
                continue
            self.reached = max(self.reached, moment.timestamp())
            pair = (str(event.get("metric")), str(event.get("type")))
            if pair in STATUS_PAIRS and not event.get("deleted") and event.get("ticket_id") is not None:
                self.ahead.append((moment.timestamp(), str(event["ticket_id"]), pair))
        if "end_of_stream" in body:
            more = body["end_of_stream"] is not True
        else:
            more = len(events) >= FULL_PAGE and bool(body.get("next_page"))
        if body.get("end_time") is not None:
            self.next = max(self.next, int(body["end_time"]))
        if more and not fresh:
            at = datetime.fromtimestamp(self.next, tz=UTC).isoformat()
            raise SourceFailed(f"{self.ctx.name}: Zendesk's ticket metric events at {at} fill a whole page, and the "
                               "next page starts there again; the run stops before them")
        return more

    def read_to(self, upto: float) -> None:
        """Fetch every event up to `upto` (a page's newest ticket update) and sort those into `found`. A stream
        that had ended is asked again from its last `end_time` when a later page reaches past it."""
        more = True
        while more and self.reached <= upto:
            more = self._fetch()
        self.read = max(self.read, upto)
        later = []
        for moment, ticket, pair in self.ahead:
            if moment <= upto:
                self.found.setdefault(ticket, {}).setdefault(moment, set()).add(pair)
                if moment > self.held.get(ticket, float("-inf")) and ticket not in self.waiting:
                    self._wait(ticket, moment)
            else:
                later.append((moment, ticket, pair))
        self.ahead = later

    def _wait(self, ticket: str, moment: float) -> None:
        self.waiting[ticket] = moment
        heapq.heappush(self.queue, (moment, ticket))

    def saw(self, tickets: list[dict[str, Any]]) -> None:
        """A page's tickets (also those out of the brand's scope): their events up to the update the page holds
        are stored with it and need hold the cursor no more."""
        moments = {str(t.get("id")): instant(t.get("updated_at")) for t in tickets}
        updates = {ticket: moment.timestamp() for ticket, moment in moments.items() if moment is not None}
        if updates:
            self.read_to(max(updates.values()))
            self.updated = max(self.updated, int(max(updates.values())))
        for ticket, update in updates.items():
            self.held[ticket] = max(update, self.held.get(ticket, update))
            self.waiting.pop(ticket, None)
            after = [m for m in self.found.get(ticket, {}) if m > self.held[ticket]]
            if after:
                self._wait(ticket, min(after))

    def history(self, ids: list[str]) -> list[dict[str, str]]:
        """These tickets' whole status history: what the store holds, then what this run read, in time order."""
        events = {tuple(e.items()): e for e in self.ctx.stored_events(ids)}
        for ticket in ids:
            for moment, pairs in self.found.get(ticket, {}).items():
                status = status_of(pairs)
                if status:
                    at = datetime.fromtimestamp(moment, tz=UTC).isoformat()
                    event = {"ticket_id": ticket, "at": at, "field": "status", "value": status}
                    events.setdefault(tuple(event.items()), event)
        return sorted(events.values(), key=lambda e: (e["ticket_id"], e["at"]))

    def cursor(self, last: bool) -> dict[str, int]:
        """`events`: the start_time that re-reads every change of a ticket no page held yet; `updated`. After the
        last page, a change of such a ticket older than the last run's `updated` is let go (module docstring)."""
        if last:
            later = {t: [m for m in self.found[t] if m > max(self.before, self.held.get(t, self.before))]
                     for t in self.waiting}
            self.waiting = {t: min(times) for t, times in later.items() if times}
            first = min(self.waiting.values(), default=self.read)
        else:
            while self.queue and self.waiting.get(self.queue[0][1]) != self.queue[0][0]:
                heapq.heappop(self.queue)
            first = self.queue[0][0] if self.queue else self.read
        return {"events": max(self.start, int(min(self.read, first))), "updated": self.updated}


def row(ticket: dict[str, Any], metrics: dict[str, Any], names: _Names, ctx: Context) -> dict[str, Any]:
    """One ticket as a row of the export."""
    stamp = ctx.stamps
    reply = (metrics.get("reply_time_in_minutes") or {}).get("calendar")
    channel = (ticket.get("via") or {}).get("channel")
    out: dict[str, Any] = {
        "Id": ticket.get("id"),
        "Subject": ticket.get("subject"),
        "Status": str(ticket.get("status") or "").capitalize() or None,
        "Created at": stamp(ticket.get("created_at")),
        "Solved at": stamp(metrics.get("solved_at")),
        "Priority": str(ticket.get("priority") or "").capitalize() or None,
        "Reopens": metrics.get("reopens"),
        "Group": names.name("groups", ticket.get("group_id")),
        "Organization": names.name("organizations", ticket.get("organization_id")),
        "Tags": " ".join(ticket.get("tags") or []) or None,
        "Satisfaction Score": SATISFACTION.get(str((ticket.get("satisfaction_rating") or {}).get("score")), None),
        "Via": VIA.get(str(channel), channel),
        "First reply time in minutes": reply,
    }
    fields = names.custom() if ticket.get("custom_fields") else {}
    for item in ticket.get("custom_fields") or []:
        title, options = fields.get(item.get("id"), (f"Custom field {item.get('id')}", {}))
        out[title] = _value(item.get("value"), options)
    return out


class _Ratings:
    """The good and bad ratings created since `since`, by id (module docstring: survey answers)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.since: Optional[datetime] = None
        self.by_id: dict[Any, tuple[datetime, str]] = {}  # rating id -> (created, score)
        self.scores = preset("zendesk").values["csat"]  # the export's label -> its score

    def cover(self, since: datetime) -> None:
        if self.since is not None and self.since <= since:
            return
        found: dict[Any, tuple[datetime, str]] = {}
        url: Optional[str] = RATINGS
        params: Optional[dict[str, Any]] = {"score": "received", "start_time": int(since.timestamp()),
                                            "page[size]": self.ctx.source.page_size}
        while url:
            body = self.ctx.client.get(url, params=params).body or {}
            for rating in body.get("satisfaction_ratings") or []:
                created = instant(rating.get("created_at"))
                if created is not None and rating.get("score") in ("good", "bad"):
                    found[rating.get("id")] = (created, str(rating["score"]))
            more = (body.get("meta") or {}).get("has_more")
            url, params = ((body.get("links") or {}).get("next") if more else None), None
        self.since, self.by_id = since, found

    def answers(self, tickets: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        """The rated tickets' ratings as survey answers of their organization (the row's Organization)."""
        rated = [(t, r) for t, r in zip(tickets, rows)
                 if (t.get("satisfaction_rating") or {}).get("score") in ("good", "bad") and r.get("Organization")]
        starts = [c for c in (instant(t.get("created_at")) for t, _ in rated) if c is not None]
        if not starts:
            return []
        self.cover(min(starts))
        out = []
        for ticket, row_ in rated:
            found = self.by_id.get((ticket.get("satisfaction_rating") or {}).get("id"))
            if found is not None:
                created, score = found
                out.append({"account": str(row_["Organization"]), "at": iso(created), "kind": "csat",
                            "score": str(self.scores[SATISFACTION[score]])})
        return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    """Pages of the incremental export from the saved cursor (else from `start`) to the end of the stream, each
    with its tickets' whole status history."""
    names, ratings = _Names(ctx), _Ratings(ctx)
    stream = _Metrics(ctx, cursor)
    brand = getattr(ctx.source, "brand", None)
    params: dict[str, Any] = {"include": SIDELOADS, "exclude_deleted": "true", "per_page": ctx.source.page_size}
    if cursor and cursor.get("cursor"):
        params["cursor"] = cursor["cursor"]
    else:
        params["start_time"] = int(ctx.first_start().timestamp())
    while True:
        body = ctx.client.get(EXPORT, params=params).body or {}
        names.learn(body)
        metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or []}
        tickets = body.get("tickets") or []
        mine = [t for t in tickets if brand is None or t.get("brand_id") == brand]
        rows = [row(t, metrics.get(t.get("id"), {}), names, ctx) for t in mine]
        stream.saw(tickets)
        after = body.get("after_cursor") or params.get("cursor")
        done = bool(body.get("end_of_stream")) or not body.get("after_cursor")
        state = {"cursor": after} if after else {k: v for k, v in (cursor or {}).items() if k == "cursor"}
        yield Page(rows=rows, cursor={**state, **stream.cursor(done)}, fetched=len(tickets),
                   events=stream.history([str(r["Id"]) for r in rows]), surveys=ratings.answers(mine, rows))
        if done:
            return
        params = {"include": SIDELOADS, "exclude_deleted": "true", "per_page": ctx.source.page_size,
                  "cursor": body["after_cursor"]}


CONNECTOR = Connector(tool="zendesk", export_format="zendesk", shape="csv", key="Id", pages=pages,
                      auth=basic("{email}/token", "{token}"))
