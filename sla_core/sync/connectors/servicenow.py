"""ServiceNow: incidents through the Table API, loaded with the `servicenow_incidents` preset; assignment-group
changes from `sys_audit` as owner_team events (handoffs).

Endpoints (the Table API; ServiceNow's docs, also at github.com/ServiceNow/ServiceNowDocs):
- `GET /api/now/table/{table}?sysparm_query=sys_updated_on>=<since>^<query>^ORDERBYsys_updated_on^ORDERBYsys_id
  &sysparm_display_value=all&sysparm_exclude_reference_link=true&sysparm_fields=…&sysparm_limit=N
  &sysparm_offset=K&sysparm_no_count=true`: `{"result": [...]}`, each field as `{value, display_value}`:
  https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
  https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/api-reference/rest-apis/c_TableAPI.md
  ("The database value is in UTC format, while the display value is based on the user's time zone").
- `GET /api/now/table/sys_audit?sysparm_query=tablename=incident^fieldname=assignment_group^documentkeyIN…`:
  one row per change of an audited field (`documentkey` the incident's sys_id, `newvalue` the group's sys_id,
  `sys_created_on` in UTC), and `GET /api/now/table/sys_user_group?sysparm_query=sys_idIN…` for the names:
  https://www.servicenow.com/docs/r/washingtondc/platform-security/c_UnderstandingTheSysAuditTable.html
- Authentication: HTTP Basic (an integration user); rate limits per instance, 429 with Retry-After:
  https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md

Paging: keyset on (sys_updated_on, sys_id), not a deep offset, so an incident updated while the run reads moves
to the end and is read again instead of pushing an unread one back a page. The cursor is the last update time
read and how many incidents of that same second were read (`skip`). Write the source's date literal in the
integration user's zone: set that user to GMT, as the stored values are UTC.

Each incident becomes a row of the list export spelled as the preset reads it (field names as headers; choice
and reference fields as their display values, "1 - Critical", the group's name; dates in the policy's zone,
as an export shows them in the user's). Only the fields the load's mapping names are asked for, plus number,
short_description and state (sys_updated_on and sys_id for the cursor, not written).

What the API does not give that the export has: nothing more. Neither has a first-response time (the preset
reads u_first_response where an instance adds it); state changes are in sys_audit but not read yet.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant

_DB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
ALWAYS = ("number", "short_description", "state")


def _fields(ctx: Context) -> list[str]:
    """The fields to ask for: every spelling the mapping names that is a field name, and ALWAYS."""
    named = [name for canonical in ctx.mapping.columns for name in ctx.mapping.names(canonical)]
    named += [d.column for d in ctx.mapping.durations.values()]
    return list(dict.fromkeys([*ALWAYS, *(n for n in named if _FIELD.match(n))]))


def _parts(cell: Any) -> tuple[Optional[str], Optional[str]]:
    """(value, display value) of one field of a display_value=all answer."""
    if isinstance(cell, dict):
        return cell.get("value"), cell.get("display_value")
    return cell, cell


def row(record: dict[str, Any], fields: list[str], ctx: Context) -> dict[str, Any]:
    """One incident as a row of the list export: dates (stored in UTC) in the preset's form, the rest shown."""
    out: dict[str, Any] = {}
    for name in fields:
        if name not in record:
            continue
        value, shown = _parts(record[name])
        if isinstance(value, str) and _DB_TIME.match(value):
            out[name] = ctx.stamps(value)
        else:
            out[name] = shown if shown not in ("", None) else None
    return out


def _names(ctx: Context, ids: set[str], known: dict[str, Optional[str]]) -> None:
    missing = sorted(i for i in ids if i and i not in known)
    for start in range(0, len(missing), 100):
        chunk = missing[start:start + 100]
        body = ctx.client.get("/api/now/table/sys_user_group", params={
            "sysparm_query": f"sys_idIN{','.join(chunk)}", "sysparm_fields": "sys_id,name",
            "sysparm_limit": len(chunk)}).body or {}
        for group in body.get("result") or []:
            known[str(group.get("sys_id"))] = group.get("name")
        for ident in chunk:
            known.setdefault(ident, None)


def handoffs(records: list[dict[str, Any]], ctx: Context, groups: dict[str, Optional[str]]) -> list[dict[str, str]]:
    """Every assignment-group change of these incidents, as owner_team events with the group's name."""
    number = {str(_parts(r.get("sys_id"))[0]): str(_parts(r.get("number"))[1]) for r in records}
    table = getattr(ctx.source, "table", "incident")
    changes: list[dict[str, Any]] = []
    offset = 0
    while number:
        body = ctx.client.get("/api/now/table/sys_audit", params={
            "sysparm_query": f"tablename={table}^fieldname=assignment_group^documentkeyIN{','.join(sorted(number))}"
                             "^ORDERBYsys_created_on",
            "sysparm_fields": "documentkey,newvalue,sys_created_on", "sysparm_limit": ctx.source.page_size,
            "sysparm_offset": offset, "sysparm_no_count": "true"}).body or {}
        found = body.get("result") or []
        changes.extend(found)
        offset += len(found)
        if len(found) < ctx.source.page_size:
            break
    _names(ctx, {str(c.get("newvalue") or "") for c in changes}, groups)
    out = []
    for change in changes:
        at, team = instant(change.get("sys_created_on")), groups.get(str(change.get("newvalue") or ""))
        ticket = number.get(str(change.get("documentkey")))
        if at is not None and team and ticket:
            out.append({"ticket_id": ticket, "at": at.isoformat(), "field": "owner_team", "value": team})
    return out


def pages(ctx: Context, cursor: Optional[Cursor]) -> Iterator[Page]:
    """Pages of incidents updated since the cursor, in update order; each with its incidents' handoffs."""
    since = (cursor or {}).get("since") or ctx.first_start().strftime("%Y-%m-%d %H:%M:%S")
    skip = int((cursor or {}).get("skip") or 0)
    fields = _fields(ctx)
    table, query = getattr(ctx.source, "table", "incident"), getattr(ctx.source, "query", "")
    groups: dict[str, Optional[str]] = {}
    while True:
        body = ctx.client.get(f"/api/now/table/{table}", params={
            "sysparm_query": f"sys_updated_on>={since}{'^' + query if query else ''}"
                             "^ORDERBYsys_updated_on^ORDERBYsys_id",
            "sysparm_display_value": "all", "sysparm_exclude_reference_link": "true",
            "sysparm_fields": ",".join([*fields, "sys_updated_on", "sys_id"]), "sysparm_limit": ctx.source.page_size,
            "sysparm_offset": skip, "sysparm_no_count": "true"}).body or {}
        records = body.get("result") or []
        done = len(records) < ctx.source.page_size
        if records:
            last = str(_parts(records[-1].get("sys_updated_on"))[0])
            same = sum(1 for r in records if _parts(r.get("sys_updated_on"))[0] == last)
            since, skip = last, (skip + len(records) if last == since else same)
        events = handoffs(records, ctx, groups) if records and getattr(ctx.source, "audit", True) else []
        yield Page(rows=[row(r, fields, ctx) for r in records], cursor={"since": since, "skip": skip},
                   fetched=len(records), events=events)
        if done:
            return


CONNECTOR = Connector(tool="servicenow", export_format="servicenow", shape="csv", key="number", pages=pages,
                      auth=basic("{user}", "{password}"), preset="servicenow_incidents")
