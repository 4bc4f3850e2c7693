"""Freshdesk: tickets through the list endpoint with their stats and satisfaction ratings, loaded with the
`freshdesk` preset.

Endpoints (developers.freshdesk.com/api):
- `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&include=stats&per_page=N&page=P`:
  a list of tickets, the next page in the `Link` header (rel="next"); `stats` carries first_responded_at,
  resolved_at and closed_at: https://developers.freshdesk.com/api/#list_all_tickets (a page past the 300th is
  refused: the cursor moves the `updated_since` watermark instead of going deeper); `GET /api/v2/tickets/{id}
  ?include=stats` for a ticket rated without being updated: https://developers.freshdesk.com/api/#view_a_ticket
- `GET /api/v2/surveys/satisfaction_ratings?created_since=…&per_page=N&page=P`: a list of ratings, each
  `{"id", "survey_id", "ticket_id", "ratings": {"default_question": 103, "question_2": -102}, "created_at", …}`,
  paged like the tickets (we also go on while a page is full, in case the `Link` header is left out):
  https://developers.freshdesk.com/api/#view_all_satisfaction_ratings, the values of a rating:
  https://developers.freshdesk.com/api/#satisfaction-ratings (the list's shape and `created_since` as read at
  https://www.withone.ai/knowledge/freshdesk/conn_mod_def%3A%3AGJ2huncp0XI%3A%3Argn2I4AgRIylD3846TAg_A)
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
(stats.first_responded_at), Resolved time, Tags (comma separated), Survey results, custom fields by label.

Survey results: the ticket's latest rating's `default_question`, written as the label of its value on the
seven-point scale (103 Extremely Happy … 100 Neutral … -103 Extremely Unhappy), which the preset scores 5 5 4 3
2 1 1. A shorter scale answers with some of these values; we take the classic survey's Awesome / Just Okay /
Not Good to be 103 / 100 / -103 (not in the pages we could read), which the preset scores alike.

Survey answers: every rating of a page's ticket whose ticket has a company is also a survey answer (account =
the Company Name, at = the rating's created_at, kind csat, score = the preset's score of its label), stored with
the page, so satisfaction before and after an incident is read from the ratings themselves and not only from a
ticket's latest one. A rating of a ticket without a company stays the ticket's csat only: answers are by account.

Why the ratings are read per run: the list filters by creation only (no ticket id), and a loaded row replaces
the stored ticket, so a row without its rating would erase one stored earlier; asking per ticket would be a
request per ticket, and reading only the ratings since the ticket cursor would miss an older rating of a ticket
updated again. So the ratings are read once, from the oldest creation time among the page's tickets (every
rating of a ticket is created after it) or the cursor's `rated` watermark if earlier, again only when a later
page holds an older ticket, and kept in memory for the run. A ticket rated since `rated` that no page of the
run held (a rating need not update its ticket) is fetched by id and stored with the last page, whose cursor
moves `rated` to the newest rating read, less `overlap`, and keeps the ids of the ratings since then as
`rated_seen` (keyset, as for the tickets: the next run reads them again but fetches no ticket for them). A
cursor from before `rated` existed starts it at `start`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Collection, Iterator, Optional

from sla_core.ingest.mapping import preset
from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant, iso

STATUS = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE = {1: "Email", 2: "Portal", 3: "Phone", 4: "Forum", 5: "Twitter", 6: "Facebook", 7: "Chat",
          9: "Feedback Widget", 10: "Outbound Email"}
# a rating's value -> the export's "Survey results" label the preset maps to a score
RATING = {103: "Extremely Happy", 102: "Very Happy", 101: "Happy", 100: "Neutral", -101: "Unhappy",
          -102: "Very Unhappy", -103: "Extremely Unhappy"}


def _query_time(moment: datetime) -> str:
    """An instant as the lists' filters take it, in UTC (a `start` may carry another offset)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class _Ratings:
    """Each ticket's latest rating, from every rating created since `since`: read again only when a page needs
    an earlier start, as the list cannot be asked for a ticket's ratings."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.since: Optional[datetime] = None
        self.latest: dict[Any, tuple[datetime, int, str]] = {}  # ticket id -> (created, rating id, label)
        self.every: dict[Any, list[tuple[datetime, int, str]]] = {}  # ticket id -> all its ratings since `since`
        self.scores = preset("freshdesk").values["csat"]  # a label -> its score, as the export's is scored

    def cover(self, since: datetime) -> None:
        if self.since is not None and self.since <= since:
            return
        latest: dict[Any, tuple[datetime, int, str]] = {}
        every: dict[Any, list[tuple[datetime, int, str]]] = {}
        size, page_number = self.ctx.source.page_size, 1
        while True:
            answer = self.ctx.client.get("/api/v2/surveys/satisfaction_ratings", params={
                "created_since": _query_time(since), "per_page": size, "page": page_number})
            ratings = [r for r in answer.body or [] if isinstance(r, dict)]
            for rating in ratings:
                value = (rating.get("ratings") or {}).get("default_question")
                label = RATING.get(value) if isinstance(value, int) else None
                created = instant(rating.get("created_at"))
                if label is None or created is None or rating.get("ticket_id") is None:
                    continue
                ticket, key = rating["ticket_id"], (created, int(rating.get("id") or 0), label)
                every.setdefault(ticket, []).append(key)
                if ticket not in latest or key[:2] > latest[ticket][:2]:
                    latest[ticket] = key
            if not ratings or (len(ratings) < size and not answer.next_link()):
                break
            page_number += 1
        self.since, self.latest, self.every = since, latest, every

    def label(self, ticket_id: Any) -> Optional[str]:
        found = self.latest.get(ticket_id)
        return found[2] if found else None

    def answers(self, ticket_id: Any, account: Optional[str]) -> list[dict[str, str]]:
        """The ticket's ratings as survey answers of its account (none without one), scored as the preset
        scores the export's "Survey results"."""
        if not account:
            return []
        return [{"account": account, "at": iso(created), "kind": "csat", "score": str(self.scores[label])}
                for created, _, label in sorted(set(self.every.get(ticket_id, [])))
                if self.scores.get(label) is not None]

    def rated_since(self, moment: datetime, skip: Collection[int] = ()) -> list[Any]:
        """Tickets whose latest rating was created at `moment` or later, but for the ratings in `skip`."""
        return sorted(t for t, (created, ident, _) in self.latest.items() if created >= moment and ident not in skip)

    def newest(self) -> Optional[datetime]:
        return max((created for created, _, _ in self.latest.values()), default=None)


def row(ticket: dict[str, Any], names: _Names, ctx: Context, ratings: _Ratings) -> dict[str, Any]:
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
        "Survey results": ratings.label(ticket.get("id")),
    }
    for field, value in sorted((ticket.get("custom_fields") or {}).items()):
        if value not in (None, ""):
            out[names.label(field)] = "true" if value is True else "false" if value is False else str(value)
    return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    state = dict(cursor or {})
    since = instant(state.get("since")) or ctx.first_start()
    rated = instant(state.get("rated")) or ctx.first_start()
    rated_seen = set(state.get("rated_seen") or [])  # ratings since `rated` whose tickets are stored
    seen, page_number = set(state.get("seen") or []), int(state.get("page") or 1)
    names, ratings, held = _Names(ctx), _Ratings(ctx), set()
    while True:
        answer = ctx.client.get("/api/v2/tickets", params={
            "updated_since": _query_time(since), "order_by": "updated_at", "order_type": "asc",
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
        # every rating of a ticket is created after it; the last page also needs those since `rated`
        ratings.cover(min([rated, *(c for c in (instant(t.get("created_at")) for t in fresh) if c is not None)]))
        held |= {t.get("id") for t in fresh}
        alone = _rated_alone(ctx, ratings, rated, rated_seen, held) if done else []
        if done:
            newest = ratings.newest()
            rated = max(rated, newest - timedelta(seconds=ctx.source.overlap)) if newest else rated
            rated_seen = {ident for created, ident, _ in ratings.latest.values() if created >= rated}
        state = {"since": iso(since), "seen": sorted(seen), "page": page_number, "rated": iso(rated),
                 "rated_seen": sorted(rated_seen)}
        rows = [row(t, names, ctx, ratings) for t in fresh + alone]
        answers = [a for r in rows for a in ratings.answers(r["Ticket ID"], r["Company Name"])]
        yield Page(rows=rows, cursor=state, fetched=len(tickets) + len(alone), surveys=answers)
        if done:
            return


def _rated_alone(ctx: Context, ratings: _Ratings, rated: datetime, rated_seen: set[int],
                 held: set[Any]) -> list[dict[str, Any]]:
    """The tickets rated since `rated` (but for the ratings the last run stored) that no page of this run held,
    by id; deleted or spam ones left out, as the list leaves them out."""
    out = []
    for ident in ratings.rated_since(rated, rated_seen):
        if ident in held:
            continue
        found = ctx.client.get(f"/api/v2/tickets/{ident}", params={"include": "stats"}, missing_ok=True)
        ticket = found.body if found else None
        if isinstance(ticket, dict) and not ticket.get("deleted") and not ticket.get("spam"):
            out.append(ticket)
    return out


CONNECTOR = Connector(tool="freshdesk", export_format="freshdesk", shape="csv", key="Ticket ID", pages=pages,
                      auth=basic("{api_key}", "X"))
