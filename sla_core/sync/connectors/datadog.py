"""Datadog: incidents as signals, loaded with the `datadog` preset (which reads the API's answer as it is).

Endpoints (docs.datadoghq.com):
- `GET /api/v2/incidents?page[size]=N&page[offset]=K`: `{"data": [...], "meta": {"pagination":
  {"next_offset": …}}}`: https://docs.datadoghq.com/api/latest/incidents/get-a-list-of-incidents/
  The list has no time filter: each run reads every incident again (an organisation has few), and the upsert
  keeps only what changed; the cursor is the offset while a run reads, so a killed run goes on where it was.
- Authentication: `DD-API-KEY` and `DD-APPLICATION-KEY` headers; base_url is your site's API host
  (https://api.datadoghq.com, https://api.datadoghq.eu, …): https://docs.datadoghq.com/api/latest/authentication/
- Rate limits: 429 with X-RateLimit-Reset: https://docs.datadoghq.com/api/latest/rate-limits/

The fields the preset reads: id, attributes.public_id, title, detected, created, customer_impact_start, resolved,
severity. What the API does not give: the service, which is a field each organisation defines (the preset
says so), as in its own export.
"""

from __future__ import annotations

from typing import Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, header


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    offset = int((cursor or {}).get("offset") or 0)
    while True:
        body = ctx.client.get("/api/v2/incidents", params={
            "page[size]": ctx.source.page_size, "page[offset]": offset}).body or {}
        incidents = [i for i in body.get("data") or [] if isinstance(i, dict)]
        following = int(((body.get("meta") or {}).get("pagination") or {}).get("next_offset") or 0)
        more = bool(incidents) and following > offset
        offset = following if more else 0
        yield Page(rows=incidents, cursor={"offset": offset}, fetched=len(incidents))
        if not more:
            return


CONNECTOR = Connector(tool="datadog", export_format="datadog", shape="json", key="id", pages=pages,
                      auth=header(DD_API_KEY="{api_key}", DD_APPLICATION_KEY="{app_key}"), json_key="data")
