"""Zendesk Support: tickets through the cursor-based incremental export, loaded with the `zendesk` preset.

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
- Authentication: `{email}/token:{api_token}` as HTTP Basic:
  https://developer.zendesk.com/api-reference/introduction/security-and-auth/

Each ticket becomes a row of the CSV export (support.zendesk.com/hc/en-us/articles/4408886165402), spelled as
the preset reads it: Id, Created at, Solved at, Priority (Urgent/High/Normal/Low), Reopens, Group,
Organization, Tags (space separated), Satisfaction Score (Good/Bad/Offered/Not Offered), Via (the channel's
label), First reply time in minutes (calendar minutes, as the export's), and each custom field under its title.
Subject and Status come too, as text beside the canonical columns; Updated at does not (the cursor has it).

What the API does not give that the export has: nothing the preset reads. The other way round, the export
writes times in the account's zone without an offset; the sync writes them with one. Not read yet: ticket
metric events (pauses, SLA breaches) and satisfaction-rating comments; see docs/sync.md.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, basic

EXPORT = "/api/v2/incremental/tickets/cursor.json"
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


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    """Pages of the incremental export from the saved cursor (else from `start`) to the end of the stream."""
    names = _Names(ctx)
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
        rows = [row(t, metrics.get(t.get("id"), {}), names, ctx) for t in tickets
                if brand is None or t.get("brand_id") == brand]
        after = body.get("after_cursor") or params.get("cursor")
        done = bool(body.get("end_of_stream")) or not body.get("after_cursor")
        yield Page(rows=rows, cursor={"cursor": after} if after else dict(cursor or {}), fetched=len(tickets))
        if done:
            return
        params = {"include": SIDELOADS, "exclude_deleted": "true", "per_page": ctx.source.page_size,
                  "cursor": body["after_cursor"]}


CONNECTOR = Connector(tool="zendesk", export_format="zendesk", shape="csv", key="Id", pages=pages,
                      auth=basic("{email}/token", "{token}"))
