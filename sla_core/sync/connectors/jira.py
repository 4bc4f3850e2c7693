"""Jira Service Management: issues through the enhanced JQL search, loaded with the `jira` preset; status,
priority and team changes from the changelog as events.

Endpoints (developer.atlassian.com, Jira Cloud platform REST API v3):
- `GET /rest/api/3/search/jql?jql=…&fields=*all&expand=names,changelog&maxResults=N&nextPageToken=…`: pages
  while `isLast` is false, each naming the next with `nextPageToken` (no `startAt`, no `total`):
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
  (the old `/rest/api/3/search` is gone: https://developer.atlassian.com/changelog/#CHANGE-2046).
  The query is the source's `jql` AND `updated >= "<watermark>" ORDER BY updated ASC, key ASC`; the date is
  written in the API user's own zone, read from `GET /rest/api/3/myself` (`timeZone`), to the minute.
- `GET /rest/api/3/issue/{key}/changelog?startAt=…`: the rest of a history the search truncated
  (`expand=changelog` carries at most 100 histories):
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-changelog-get
- Authentication: email and API token as HTTP Basic:
  https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
- Rate limits: 429 with Retry-After: https://developer.atlassian.com/cloud/jira/platform/rate-limiting/

Each issue becomes a row of the "Export > CSV (all fields)" file, spelled as the preset reads it: Issue key,
Created, Resolved, Priority, Labels (repeated once per label), every custom field as `Custom field (<name>)`
(names from `expand=names`; an option's value, a user's or a team's name, an organization list repeated like
Labels), and the JSM satisfaction field as `Satisfaction rating`. The changelog's `status` items become status
events through the `jira_changelog` preset's activities (plus the source's `statuses:`), `priority` items
impact events through the load mapping's values, and changes of the field named `Team` owner_team events.

What the API does not give that the export has: nothing the preset reads. The export has no changelog, so a
synced issue has the status events (pauses) an exported one lacks: it equals an export imported with the same
history as an events file (tests/sync/test_jira.py). The SLA fields ("Time to first response") are instants
in the API and remaining times in the export; neither is read (the first response is the [CHART] field).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Iterator, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla_core.ingest.mapping import PRESET_DIR, load_mapping
from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant, iso

SEARCH = "/rest/api/3/search/jql"
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# An event log's activity kinds as the status they set (as the event-log loader reads them)
SATISFACTION = ("Satisfaction", "Satisfaction rating")  # JSM's request feedback field
KIND_STATUS = {"created": "new", "acknowledged": "open", "action_plan": "open", "reopened": "reopened"}


def _statuses(ctx: Context) -> dict[str, str]:
    """Status name (lower case) -> canonical status: the jira_changelog preset, then the source's own."""
    named = {**load_mapping(PRESET_DIR / "jira_changelog.yaml").activities, **getattr(ctx.source, "statuses", {})}
    return {name.strip().lower(): KIND_STATUS.get(kind, kind) for name, kind in named.items()}


def _render(value: Any, ctx: Context) -> Any:
    """A custom field's value as the export writes it; a list stays a list (a repeated column)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        items = [_render(v, ctx) for v in value]
        return [str(i) for i in items if i is not None and not isinstance(i, list)] or None
    if isinstance(value, dict):
        if "completedCycles" in value or "ongoingCycle" in value:
            return None  # an SLA: the export writes the time remaining, which nothing reads
        for key in ("value", "name", "title", "displayName", "rating"):
            if value.get(key) is not None:
                return str(value[key])
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _DATETIME.match(value):
        return ctx.stamps(value)
    return str(value)


def row(issue: dict[str, Any], names: dict[str, str], ctx: Context) -> dict[str, Any]:
    """One issue as a row of the all-fields export."""
    fields = issue.get("fields") or {}
    stamp = ctx.stamps
    out: dict[str, Any] = {
        "Summary": fields.get("summary"),  # in the export's order
        "Issue key": issue.get("key"),
        "Issue id": issue.get("id"),
        "Status": (fields.get("status") or {}).get("name"),
        "Priority": (fields.get("priority") or {}).get("name"),
        "Created": stamp(fields.get("created")),
        "Resolved": stamp(fields.get("resolutiondate")),
        "Labels": list(fields.get("labels") or []),
    }
    for field_id in sorted(k for k in fields if k.startswith("customfield_")):
        value = fields[field_id]
        name = names.get(field_id, field_id)
        if isinstance(value, dict) and ("completedCycles" in value or "ongoingCycle" in value):
            continue  # an SLA: the export writes the time remaining, which nothing reads
        if name in SATISFACTION or (isinstance(value, dict) and "rating" in value):
            out["Satisfaction rating"] = _render(value, ctx)  # JSM writes it without the wrapper
        else:  # every field, empty ones too, as the export's header has them all
            out[f"Custom field ({name})"] = _render(value, ctx)
    return out


def _histories(issue: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Every history of an issue: the search's, then the rest from the changelog endpoint."""
    log = issue.get("changelog") or {}
    histories = list(log.get("histories") or [])
    total = int(log.get("total") or len(histories))
    start = len(histories)
    while start < total:
        body = ctx.client.get(f"/rest/api/3/issue/{issue.get('key')}/changelog",
                              params={"startAt": start, "maxResults": 100}).body or {}
        values = body.get("values") or []
        known = {h.get("id") for h in histories}
        histories.extend(v for v in values if v.get("id") not in known)
        start += len(values)
        if body.get("isLast", True) or not values:
            break
    return histories


def events(issue: dict[str, Any], names: dict[str, str], ctx: Context, statuses: dict[str, str]) -> list[dict[str, str]]:
    """The issue's status, priority and team changes as plain events, oldest first."""
    impacts = {k.strip().lower(): v for k, v in ctx.mapping.values.get("impact", {}).items()}
    team_ids = {fid for fid, name in names.items() if name.strip().lower() == "team"}
    out: list[tuple[datetime, str, str]] = []
    for history in _histories(issue, ctx):
        at = instant(history.get("created"))
        for item in history.get("items") or []:
            new = item.get("toString")
            if at is None or not new:
                continue
            field = str(item.get("field") or "").lower()
            if field == "status" and new.strip().lower() in statuses:
                out.append((at, "status", statuses[new.strip().lower()]))
            elif field == "priority" and impacts.get(new.strip().lower()):
                out.append((at, "impact", str(impacts[new.strip().lower()])))
            elif item.get("fieldId") in team_ids or field == "team":
                out.append((at, "owner_team", new))
    out.sort(key=lambda e: e[0])
    return [{"ticket_id": str(issue.get("key")), "at": at.isoformat(), "field": f, "value": v} for at, f, v in out]


def _zone(ctx: Context) -> ZoneInfo:
    """The API user's zone: JQL reads a date literal in it."""
    body = ctx.client.get("/rest/api/3/myself").body or {}
    try:
        return ZoneInfo(str(body.get("timeZone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    """Pages of the issues updated since the watermark, resuming a query half read from its token."""
    state = dict(cursor or {})
    since = instant(state.get("since")) or ctx.first_start()
    zone = _zone(ctx)
    jql = (f'({getattr(ctx.source, "jql")}) AND updated >= "{since.astimezone(zone):%Y/%m/%d %H:%M}" '
           "ORDER BY updated ASC, key ASC")
    token, max_seen = state.get("token"), instant(state.get("max_seen")) or since
    statuses = _statuses(ctx)
    while True:
        params: dict[str, Any] = {"jql": jql, "fields": "*all", "expand": "names,changelog",
                                  "maxResults": ctx.source.page_size}
        if token:
            params["nextPageToken"] = token
        body = ctx.client.get(SEARCH, params=params).body or {}
        names = dict(body.get("names") or {})
        issues = body.get("issues") or []
        for issue in issues:
            updated = instant((issue.get("fields") or {}).get("updated"))
            if updated is not None and updated > max_seen:
                max_seen = updated
        token = body.get("nextPageToken")
        done = bool(body.get("isLast", not token)) or not token
        if done:  # the next run reads again from the newest update seen, less the overlap
            next_since = max(since, max_seen - timedelta(seconds=ctx.source.overlap))
            state = {"since": iso(next_since)}
        else:
            state = {"since": iso(since), "token": token, "max_seen": iso(max_seen)}
        rows = [row(issue, names, ctx) for issue in issues]
        page_events = [e for issue in issues for e in events(issue, names, ctx, statuses)]
        yield Page(rows=rows, cursor=state, fetched=len(issues), events=page_events)
        if done:
            return


CONNECTOR = Connector(tool="jira", export_format="jira", shape="csv", key="Issue key", pages=pages,
                      auth=basic("{email}", "{token}"))
