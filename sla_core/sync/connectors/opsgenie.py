"""Opsgenie: alerts as signals, loaded with the `opsgenie` preset (which reads the API's answer as it is).

Endpoints (Opsgenie Alert API v2, docs.opsgenie.com):
- `GET /v2/alerts?query=createdAt>=<ms> AND createdAt<=<ms>&sort=createdAt&order=asc&limit=N&offset=K`:
  `{"data": [...], "paging": {"next": …}}`, pages while `paging.next` is given:
  https://docs.opsgenie.com/docs/alert-api#list-alerts and https://docs.opsgenie.com/docs/pagination;
  `createdAt` in a query is epoch milliseconds: https://docs.opsgenie.com/v1.0/docs/alerts-search-query-help
- `GET /v2/alerts/{id}?identifierType=id`: one alert, to learn that a stored open one was closed:
  https://docs.opsgenie.com/docs/alert-api#get-alert
- Authentication: `Authorization: GenieKey <key>`; EU accounts use https://api.eu.opsgenie.com as base_url.
- Rate limits: 429 (X-RateLimit-State: THROTTLED): https://docs.opsgenie.com/docs/api-rate-limiting

The fields the preset reads: id, tinyId, alias, message, integration.name, entity, createdAt, priority and
report.closeTime (opsgenie/opsgenie-python-sdk opsgenie-oas.json, BaseAlert). Reading as PagerDuty's
(windows.py): creation-time windows (both ends included: an alert on an edge comes twice and is stored once),
then the alerts the store holds open. An alert deleted while a window is read moves the later ones back a place,
so one of them may be read only by a later window's run: offset paging cannot tell. What the API does not give: when
the problem began. Opsgenie ends on 5 April 2027 (its REST API works until then).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Optional

from sla_core.sync.connectors.windows import windowed
from sla_core.sync.pages import Connector, Context, Cursor, Page, header

WINDOW = 30 * 86400.0


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    scope = getattr(ctx.source, "query", "")

    def listing(since: datetime, until: datetime, offset: int) -> tuple[list[dict[str, Any]], bool]:
        query = f"createdAt>={int(since.timestamp() * 1000)} AND createdAt<={int(until.timestamp() * 1000)}"
        body = ctx.client.get("/v2/alerts", params={
            "query": f"{query} AND ({scope})" if scope else query, "sort": "createdAt", "order": "asc",
            "limit": ctx.source.page_size, "offset": offset}).body or {}
        return list(body.get("data") or []), bool((body.get("paging") or {}).get("next"))

    def one(ident: str) -> Optional[dict[str, Any]]:
        found = ctx.client.get(f"/v2/alerts/{ident}", params={"identifierType": "id"}, missing_ok=True)
        alert = (found.body or {}).get("data") if found else None
        return alert if isinstance(alert, dict) else None

    return windowed(ctx, cursor, float(getattr(ctx.source, "window", WINDOW)), listing, one)


CONNECTOR = Connector(tool="opsgenie", export_format="opsgenie", shape="json", key="id", pages=pages,
                      auth=header(Authorization="GenieKey {api_key}"), json_key="data")
