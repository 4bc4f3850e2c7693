"""Intercom: conversations through the search endpoint, loaded with the `intercom` preset.

Endpoints (developers.intercom.com, REST API 2.11):
- `POST /conversations/search` with `{"query": {"field": "updated_at", "operator": ">", "value": <since - 1>},
  "sort": {"field": "updated_at", "order": "ascending"}, "pagination": {"per_page": N, "starting_after": …}}`:
  `{"conversations": [...], "pages": {"next": {"starting_after": …}}}`, the cursor in the body:
  https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations/searchconversations
  https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination
- `GET /teams`: team names:
  https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/teams/listteams
- `GET /contacts/{id}/companies?page=P&per_page=N`: `{"type": "list", "data": [{"type": "company", "name", …}],
  "pages": {"type": "pages", "next": …, "page": 1, "per_page": 50, "total_pages": 1}, "total_count"}` (the model
  names the list `companies`, the example `data`: both are read):
  https://developers.intercom.com/intercom-api-reference/reference/listcompaniesforacontact,
  https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/models/contact_attached_companies;
  the contact is the first of the conversation's `contacts` (`{"type": "contact.list", "contacts": [{"type":
  "contact", "id", "external_id"}]}`, "only one customer unless more were added via the group conversation
  feature", as Intercom's API definition says in its Node client's types:
  https://app.unpkg.com/intercom-client@6.0.0/files/api/types/ConversationContacts.d.ts)
- Authentication: `Authorization: Bearer <token>`, `Intercom-Version: 2.11`; rate limits: 429 with
  X-RateLimit-Reset (an epoch second): https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting

Each conversation becomes a row of the Conversations report export, spelled as the preset reads it:
Conversation ID, Conversation started at (created_at), Conversation first replied at
(statistics.first_admin_reply_at), Conversation last closed at (statistics.last_close_at), Conversation
priority (Priority / Not Priority), Team currently assigned, Conversation tag, Conversation rating, Channel
(source.type), Company name (the names of the first contact's companies in the API's order, joined with ", ":
the preset reads it as `account`, and a contact in several companies exports them as one list), and each custom
attribute by its name. Times are epoch seconds in the API. A contact's companies are asked once per run, however
many of its conversations the run reads; a contact deleted since (404) has none.

Survey answers: a conversation's rating (`conversation_rating`: `rating` 1..5, `created_at`, "the time the rating
was requested": https://developers.intercom.com/docs/references/1.3/rest-api/conversations/conversation-rating-model,
and the 2.11 API definition, https://app.unpkg.com/intercom-client@6.4.0/files/api/types/ConversationRating.d.ts)
is its csat, as the export's Conversation rating; a rating of a conversation whose contact has a company is also
a survey answer of that account (the Company name cell, as the ticket's account reads it) at the rating's
`created_at`, a time that stays when the customer changes the rating, so a change updates the answer instead of
adding one. A rating without a company, or without a time, stays the ticket's csat only.

What the API does not give that the export has: the report's own reply-time definitions (the statistics count
from the first customer message). A company a contact joins without its conversation changing is read when the
conversation next changes.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, header, instant, iso

PRIORITY = {"priority": "Priority", "not_priority": "Not Priority"}


class _Companies:
    """Each contact's companies as one cell, asked once per run."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known: dict[str, Optional[str]] = {}

    def of(self, item: dict[str, Any]) -> Optional[str]:
        contacts = [c for c in (item.get("contacts") or {}).get("contacts") or [] if isinstance(c, dict)]
        ident = str(contacts[0].get("id") or "") if contacts else ""
        if ident and ident not in self.known:
            self.known[ident] = ", ".join(self._names(ident)) or None
        return self.known.get(ident)

    def _names(self, contact: str) -> list[str]:
        names: list[str] = []
        page_number = 1
        while True:
            answer = self.ctx.client.get(f"/contacts/{contact}/companies", missing_ok=True,
                                         params={"page": page_number, "per_page": self.ctx.source.page_size})
            body = (answer.body if answer else None) or {}
            found = [c for c in body.get("data") or body.get("companies") or [] if isinstance(c, dict)]
            names += [str(c["name"]) for c in found if c.get("name")]
            paging = body.get("pages") or {}
            if not found or not (paging.get("next") or page_number < int(paging.get("total_pages") or 0)):
                return names
            page_number += 1


def row(item: dict[str, Any], teams: dict[str, str], ctx: Context, companies: _Companies) -> dict[str, Any]:
    stats = item.get("statistics") or {}
    stamp = ctx.stamps
    tags = (item.get("tags") or {}).get("tags") or []
    rating = (item.get("conversation_rating") or {}).get("rating")
    out: dict[str, Any] = {
        "Conversation ID": item.get("id"),
        "State": item.get("state"),
        "Conversation started at": stamp(item.get("created_at")),
        "Conversation first replied at": stamp(stats.get("first_admin_reply_at")),
        "Conversation last closed at": stamp(stats.get("last_close_at")),
        "Conversation priority": PRIORITY.get(str(item.get("priority")), item.get("priority")),
        "Team currently assigned": teams.get(str(item.get("team_assignee_id"))),
        "Conversation tag": ",".join(str(t.get("name")) for t in tags) or None,
        "Conversation rating": rating,
        "Channel": (item.get("source") or {}).get("type"),
        "Company name": companies.of(item),
    }
    for name, value in sorted((item.get("custom_attributes") or {}).items()):
        if value not in (None, ""):
            out[name] = stamp(value) if name.lower().endswith(" at") and isinstance(value, int) else str(value)
    return out


def answers(items: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The rated conversations' ratings as survey answers of their contact's company (module docstring)."""
    out = []
    for item, row_ in zip(items, rows):
        rating = item.get("conversation_rating") or {}
        at = instant(rating.get("created_at"))
        if rating.get("rating") is not None and at is not None and row_.get("Company name"):
            out.append({"account": str(row_["Company name"]), "at": iso(at), "kind": "csat",
                        "score": str(rating["rating"])})
    return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    state = dict(cursor or {})
    since = int(state.get("since") or ctx.first_start().timestamp())
    max_seen = int(state.get("max_seen") or since)
    after: Optional[str] = state.get("after")
    body = ctx.client.get("/teams").body or {}
    teams = {str(t.get("id")): str(t.get("name")) for t in body.get("teams") or []}
    companies = _Companies(ctx)
    while True:
        query: dict[str, Any] = {
            "query": {"field": "updated_at", "operator": ">", "value": since - 1},
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": {"per_page": ctx.source.page_size, **({"starting_after": after} if after else {})}}
        answer = ctx.client.post("/conversations/search", query).body or {}
        items = [c for c in answer.get("conversations") or [] if isinstance(c, dict)]
        max_seen = max([max_seen, *(int(c.get("updated_at") or 0) for c in items)])
        after = ((answer.get("pages") or {}).get("next") or {}).get("starting_after")
        state = ({"since": since, "max_seen": max_seen, "after": after} if after
                 else {"since": max(since, max_seen - int(ctx.source.overlap))})
        rows = [row(c, teams, ctx, companies) for c in items]
        yield Page(rows=rows, cursor=state, fetched=len(items), surveys=answers(items, rows))
        if not after:
            return


CONNECTOR = Connector(tool="intercom", export_format="intercom", shape="csv", key="Conversation ID", pages=pages,
                      auth=header(Authorization="Bearer {token}", Intercom_Version="2.11"))
