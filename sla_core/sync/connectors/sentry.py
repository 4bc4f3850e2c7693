"""Sentry: issues as signals, loaded with the `sentry` preset (which reads the API's answer as it is).

Endpoints (docs.sentry.io):
- `GET /api/0/organizations/{org}/issues/?query=firstSeen:>=<since> <query>&sort=new&start=…&end=…
  &project=<id>&limit=N&cursor=…`: a list of issues; the next page is the `Link` header's rel="next" while it
  says results="true": https://docs.sentry.io/api/events/list-an-organizations-issues/ and
  https://docs.sentry.io/api/pagination/ (the per-project list is deprecated in its favour:
  https://docs.sentry.io/api/events/list-a-projects-issues/). An empty `query` would read only unresolved
  issues, so the firstSeen term is always sent.
- Authentication: `Authorization: Bearer <auth token>` (scopes event:read, project:read):
  https://docs.sentry.io/api/auth/
- Rate limits: 429 with X-Sentry-Rate-Limit-Reset: https://docs.sentry.io/api/ratelimits/

The fields the preset reads: id, shortId, title, project.slug, firstSeen, level. Cursor: the newest firstSeen
read (less the overlap); a page's Link cursor while a run reads. What the API does not give: a resolution time
(neither does any Sentry export), and a new title or level of an issue first seen before the cursor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, header, instant, iso


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    state = dict(cursor or {})
    since = instant(state.get("since")) or ctx.first_start()
    max_seen = instant(state.get("max_seen")) or since
    link: Optional[str] = state.get("next")
    organization = getattr(ctx.source, "organization")
    scope = getattr(ctx.source, "query", "")
    params: Optional[list[tuple[str, Any]]] = [
        ("query", f"firstSeen:>={since.strftime('%Y-%m-%dT%H:%M:%S')} {scope}".strip()), ("sort", "new"),
        ("start", iso(since)), ("end", iso(ctx.now)), ("limit", ctx.source.page_size),
        *(("project", p) for p in getattr(ctx.source, "projects", []))]
    while True:
        answer = ctx.client.get(link, params=None) if link else ctx.client.get(
            f"/api/0/organizations/{organization}/issues/", params=params)
        issues = [i for i in (answer.body or []) if isinstance(i, dict)]
        for issue in issues:
            seen = instant(issue.get("firstSeen"))
            if seen is not None and seen > max_seen:
                max_seen = seen
        link = answer.next_link()
        if link:
            state = {"since": iso(since), "max_seen": iso(max_seen), "next": link}
        else:
            state = {"since": iso(max(since, max_seen - timedelta(seconds=ctx.source.overlap)))}
        yield Page(rows=issues, cursor=state, fetched=len(issues))
        if not link:
            return


CONNECTOR = Connector(tool="sentry", export_format="sentry", shape="json", key="id", pages=pages,
                      auth=header(Authorization="Bearer {token}"), json_key="issues")
