"""PagerDuty: incidents as signals, loaded with the `pagerduty` preset (which reads the API's answer as it is).

Endpoints (PagerDuty REST API v2, developer.pagerduty.com):
- `GET /incidents?since=…&until=…&limit=N&offset=K&total=false&sort_by=created_at:asc&time_zone=UTC
  &service_ids[]=…`: `{"incidents": [...], "more": …}`, offset paging while `more`; `since`/`until` bound the
  creation time, at most 6 months apart:
  https://developer.pagerduty.com/api-reference/9d0b4b12e36f9-list-incidents
  https://developer.pagerduty.com/docs/pagination
- `GET /incidents/{id}`: one incident, to learn that a stored open one was resolved:
  https://developer.pagerduty.com/api-reference/005299ba1b5b7-get-an-incident
- Authentication: `Authorization: Token token=<key>` with `Accept: application/vnd.pagerduty+json;version=2`:
  https://developer.pagerduty.com/docs/authentication
- Rate limits: 429 with `ratelimit-reset` (seconds): https://support.pagerduty.com/docs/rest-api-rate-limits

The fields the preset reads: id, incident_number, title, service.summary, created_at, resolved_at, urgency
(PagerDuty/api-schema reference/REST/openapiv3.json, schema Incident).

Reading (windows.py): creation-time windows of the source's `window` (default 30 days), offset pages in each;
then the incidents the store holds unresolved, one by one. What the API does not give: when the problem began
(started_at), as in the export; a priority is per account and not read (the preset says so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Optional

from sla_core.sync.connectors.windows import windowed
from sla_core.sync.pages import Connector, Context, Cursor, Page, header, iso


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    services = list(getattr(ctx.source, "service_ids", []))

    def listing(since: datetime, until: datetime, offset: int) -> tuple[list[dict[str, Any]], bool]:
        params: list[tuple[str, Any]] = [
            ("since", iso(since)), ("until", iso(until)), ("limit", ctx.source.page_size), ("offset", offset),
            ("total", "false"), ("sort_by", "created_at:asc"), ("time_zone", "UTC"),
            *(("service_ids[]", s) for s in services)]
        body = ctx.client.get("/incidents", params=params).body or {}
        return list(body.get("incidents") or []), bool(body.get("more"))

    def one(ident: str) -> Optional[dict[str, Any]]:
        found = ctx.client.get(f"/incidents/{ident}", missing_ok=True)
        incident = (found.body or {}).get("incident") if found else None
        return incident if isinstance(incident, dict) else None

    return windowed(ctx, cursor, float(getattr(ctx.source, "window", 30 * 86400.0)), listing, one)


CONNECTOR = Connector(tool="pagerduty", export_format="pagerduty", shape="json", key="id", pages=pages,
                      auth=header(Authorization="Token token={token}",
                                  Accept="application/vnd.pagerduty+json;version=2"),
                      json_key="incidents")
