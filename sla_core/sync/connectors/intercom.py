"""Intercom: conversations through the search endpoint, loaded with the `intercom` preset.

Endpoints (developers.intercom.com, REST API 2.11):
- `POST /conversations/search` with `{"query": {"field": "updated_at", "operator": ">", "value": <since - 1>},
  "sort": {"field": "updated_at", "order": "ascending"}, "pagination": {"per_page": N, "starting_after": …}}`:
  `{"conversations": [...], "pages": {"next": {"starting_after": …}}}`, the cursor in the body:
  https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations/searchconversations
  https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination
- `GET /teams`: team names: https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/teams/listteams
- Authentication: `Authorization: Bearer <token>`, `Intercom-Version: 2.11`; rate limits: 429 with
  X-RateLimit-Reset (an epoch second): https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting

Each conversation becomes a row of the Conversations report export, spelled as the preset reads it:
Conversation ID, Conversation started at (created_at), Conversation first replied at
(statistics.first_admin_reply_at), Conversation last closed at (statistics.last_close_at), Conversation
priority (Priority / Not Priority), Team currently assigned, Conversation tag, Conversation rating, Channel
(source.type), and each custom attribute by its name. Times are epoch seconds in the API.

What the API does not give that the export has: the company (a conversation names its contacts; their
companies are another endpoint per contact, not read yet), and the report's own reply-time definitions
(the statistics count from the first customer message).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, header

PRIORITY = {"priority": "Priority", "not_priority": "Not Priority"}


def row(item: dict[str, Any], teams: dict[str, str], ctx: Context) -> dict[str, Any]:
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
    }
    for name, value in sorted((item.get("custom_attributes") or {}).items()):
        if value not in (None, ""):
            out[name] = stamp(value) if name.lower().endswith(" at") and isinstance(value, int) else str(value)
    return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    state = dict(cursor or {})
    since = int(state.get("since") or ctx.first_start().timestamp())
    max_seen = int(state.get("max_seen") or since)
    after: Optional[str] = state.get("after")
    body = ctx.client.get("/teams").body or {}
    teams = {str(t.get("id")): str(t.get("name")) for t in body.get("teams") or []}
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
        yield Page(rows=[row(c, teams, ctx) for c in items], cursor=state, fetched=len(items))
        if not after:
            return


CONNECTOR = Connector(tool="intercom", export_format="intercom", shape="csv", key="Conversation ID", pages=pages,
                      auth=header(Authorization="Bearer {token}", Intercom_Version="2.11"))
