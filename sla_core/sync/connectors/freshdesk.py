"""Freshdesk: tickets through the list endpoint with their stats, loaded with the `freshdesk` preset.

Endpoints (developers.freshdesk.com/api):
- `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&include=stats&per_page=N&page=P`:
  a list of tickets, the next page in the `Link` header (rel="next"); `stats` carries first_responded_at,
  resolved_at and closed_at: https://developers.freshdesk.com/api/#list_all_tickets (a page past the 300th is
  refused: the cursor moves the `updated_since` watermark instead of going deeper)
- `GET /api/v2/ticket_fields` (a custom field's `name` cf_… and its `label`), `GET /api/v2/groups/{id}`,
  `GET /api/v2/companies/{id}`: https://developers.freshdesk.com/api/#ticket_fields,
  https://developers.freshdesk.com/api/#groups, https://developers.freshdesk.com/api/#companies
- Authentication: the API key as the HTTP Basic user, `X` as the password:
  https://developers.freshdesk.com/api/#authentication; rate limits per plan, 429 with Retry-After:
  https://developers.freshdesk.com/api/#ratelimit

Paging: keyset on updated_at. After a page the watermark is its last update time and the ids read at that
instant are kept, so the next request starts there (page 1) and a ticket updated while the run reads comes
again later instead of shifting an unread one back a page. Only a run of tickets all updated in one second
longer than a page is read by page number.

Each ticket becomes a row of the ticket export spelled as the preset reads it: Ticket ID, Subject, Status,
Priority, Source and Type as their labels, Group, Company Name, Created time, Initial response time
(stats.first_responded_at), Resolved time, Tags (comma separated), custom fields by label.
What the API does not give on a ticket that the export has: "Survey results" (the satisfaction survey is
another endpoint, /api/v2/surveys/satisfaction_ratings, not read yet).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant, iso

STATUS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE = {1: "Email", 2: "Portal", 3: "Phone", 4: "Forum", 5: "Twitter", 6: "Facebook", 7: "Chat",
          9: "Feedback Widget", 10: "Outbound Email"}


class _Names:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known: dict[tuple[str, Any], Optional[str]] = {}
        self.labels: Optional[dict[str, str]] = None

    def name(self, kind: str, ident: Any) -> Optional[str]:
        if ident is None:
            return None
        if (kind, ident) not in self.known:
            found = self.ctx.client.get(f"/api/v2/{kind}/{ident}", missing_ok=True)
            self.known[(kind, ident)] = (found.body or {}).get("name") if found else None
        return self.known[(kind, ident)]

    def label(self, field: str) -> str:
        if self.labels is None:
            body = self.ctx.client.get("/api/v2/ticket_fields").body or []
            self.labels = {str(f.get("name")): str(f.get("label")) for f in body if isinstance(f, dict)}
        return self.labels.get(field, field)


def row(ticket: dict[str, Any], names: _Names, ctx: Context) -> dict[str, Any]:
    stats = ticket.get("stats") or {}
    stamp = ctx.stamps
    out: dict[str, Any] = {
        "Ticket ID": ticket.get("id"),
        "Subject": ticket.get("subject"),
        "Status": STATUS.get(ticket.get("status") or 0, ticket.get("status")),
        "Priority": PRIORITY.get(ticket.get("priority") or 0, ticket.get("priority")),
        "Source": SOURCE.get(ticket.get("source") or 0, ticket.get("source")),
        "Type": ticket.get("type"),
        "Group": names.name("groups", ticket.get("group_id")),
        "Company Name": names.name("companies", ticket.get("company_id")),
        "Created time": stamp(ticket.get("created_at")),
        "Initial response time": stamp(stats.get("first_responded_at")),
        "Resolved time": stamp(stats.get("resolved_at")),
        "Tags": ",".join(ticket.get("tags") or []) or None,
    }
    for field, value in sorted((ticket.get("custom_fields") or {}).items()):
        if value not in (None, ""):
            out[names.label(field)] = "true" if value is True else "false" if value is False else str(value)
    return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    state = dict(cursor or {})
    since = instant(state.get("since")) or ctx.first_start()
    seen, page_number = set(state.get("seen") or []), int(state.get("page") or 1)
    names = _Names(ctx)
    while True:
        answer = ctx.client.get("/api/v2/tickets", params={
            "updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "order_by": "updated_at", "order_type": "asc",
            "include": "stats", "per_page": ctx.source.page_size, "page": page_number})
        tickets = [t for t in answer.body or [] if isinstance(t, dict)]
        done = len(tickets) < ctx.source.page_size or not answer.next_link()
        stamps = [instant(t.get("updated_at")) for t in tickets]
        fresh = [t for t, s in zip(tickets, stamps) if not (s == since and t.get("id") in seen)]
        if tickets and all(s == since for s in stamps):  # a tie longer than a page: the next page of it
            seen |= {t.get("id") for t in tickets}
            page_number += 1
        elif tickets:
            last = stamps[-1] or since
            since, page_number = last, 1
            seen = {t.get("id") for t, s in zip(tickets, stamps) if s == last}
        if done:
            page_number = 1
        state = {"since": iso(since), "seen": sorted(seen), "page": page_number}
        yield Page(rows=[row(t, names, ctx) for t in fresh], cursor=state, fetched=len(tickets))
        if done:
            return


CONNECTOR = Connector(tool="freshdesk", export_format="freshdesk", shape="csv", key="Ticket ID", pages=pages,
                      auth=basic("{api_key}", "X"))
