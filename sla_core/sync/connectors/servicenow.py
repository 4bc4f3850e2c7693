"""ServiceNow: incidents through the Table API, loaded with the `servicenow_incidents` preset; their history from
`sys_audit`: assignment-group changes as owner_team events (handoffs), state and hold-reason changes as status
events (pauses).

Endpoints (the Table API; ServiceNow's docs, also at github.com/ServiceNow/ServiceNowDocs):
- `GET /api/now/table/{table}?sysparm_query=sys_updated_on>=<since>^<query>^ORDERBYsys_updated_on^ORDERBYsys_id
  &sysparm_display_value=all&sysparm_exclude_reference_link=true&sysparm_fields=…&sysparm_limit=N
  &sysparm_offset=K&sysparm_no_count=true`: `{"result": [...]}`, each field as `{value, display_value}`:
  https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
  https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/api-reference/rest-apis/c_TableAPI.md
  ("The database value is in UTC format, while the display value is based on the user's time zone").
- `GET /api/now/table/sys_audit?sysparm_query=tablename=incident^fieldnameINassignment_group,state,incident_state,
  hold_reason^documentkeyIN…^ORDERBYsys_created_on^ORDERBYsys_id`: one row per insert or change of an audited
  field (`documentkey` the incident's sys_id, `fieldname`, `newvalue` the stored value: a group's sys_id, a
  choice's number; `sys_created_on` in UTC). One request series for the four fields, not one per field (the
  rows come in pages of `page_size`). `GET /api/now/table/sys_user_group?sysparm_query=sys_idIN…` for the
  groups' names:
  https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/platform-security/c_UnderstandingTheSysAuditTable.md
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

Status events. sys_audit keeps a choice's number, not its label, so the numbers become the base system's labels
(STATE_LABELS, HOLD_LABELS: the state model since Helsinki, "Life cycle of an Incident",
markdown/it-service-management/incident-management/c_IncidentManagementStateModel.md, and KB0564465 "Incident
Management State Model", https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB0564465; the
hold reasons' numbers as ServiceNow's Ansible collection sets them, github.com/ansible-collections/servicenow.itsm
plugins/module_utils/incident.py), and the labels a status through the one mapping of ServiceNow's state names,
servicenow_audit.yaml's `activities` (Awaiting Caller -> waiting_on_customer, Awaiting Vendor ->
waiting_on_third_party, Awaiting Problem and Awaiting Change -> open: they wait on our own problem and change
work; On Hold without a reason -> waiting_on_customer), read as the event-log loader reads them (KIND_STATUS).
- `state` is the task's field and `incident_state` the incident's own; business rules keep them equal, and an
  audited incident gets a row for each. Both are read and `state` wins where one update has both, so an
  instance whose rules moved only one still gives its changes.
- hold_reason is audited as its own row. The rows of one update carry its instant, so an incident's rows of one
  `sys_created_on` are read together and give one status: On Hold with the reason set beside it. The state and
  reason in force are carried forward (sys_audit has a row only for a field that changed): a reason changed
  while On Hold (Awaiting Caller -> Awaiting Change) is a status change too, and a return to On Hold with the
  reason unchanged keeps it. The reason counts only while On Hold (the state model's docs: a caller's update
  clears it and moves the incident to In Progress). Paired by instant because the sys_audit docs name no key
  of an update; two rows of one update a second apart would give a one-second status between them.
- An instance's own choices: the labels of state, incident_state and hold_reason are read once per run from
  `sys_choice` (`GET /api/now/table/sys_choice?sysparm_query=name=incident^elementINstate,incident_state,
  hold_reason^inactive=false^language=en`, the choice list's table:
  https://raw.githubusercontent.com/ServiceNow/ServiceNowDocs/australia/markdown/platform-administration/system-localization/r_ChoicesTable.md)
  and override the base system's, so an instance's own state ("10 Awaiting User Info") or the pre-Helsinki model
  (incident_state 3-5 Awaiting Problem / User Info / Evidence) is read by its label. A user who may not read
  sys_choice (403) or an instance without it (404) keeps the base labels.
- An update that touches neither field gives no status event; a state whose label is not in the preset's
  activities gives none (it is left out, as the event-log import leaves an unmapped activity out of the clocks).
- Every sys_audit row of the page's incidents is read, not only those since the cursor, so a ticket's history is
  whole in each load, as the upsert needs.

What the API does not give that the export has: nothing more. Neither has a first-response time (the preset
reads u_first_response where an instance adds it). The export has no history, so a synced incident has the
events an exported one lacks: it equals an export imported with the same history as an events file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sla_core.ingest.loading.event_log import KIND_STATUS
from sla_core.ingest.mapping import preset
from sla_core.sync.config import SourceFailed
from sla_core.sync.pages import Connector, Context, Cursor, Page, basic, instant

_DB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
ALWAYS = ("number", "short_description", "state")
# The base system's incident choices (module docstring): the number sys_audit keeps -> the label the list shows
STATE_LABELS = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
HOLD_LABELS = {"1": "Awaiting Caller", "3": "Awaiting Problem", "4": "Awaiting Vendor", "5": "Awaiting Change"}
ON_HOLD = "on hold"  # the state label whose hold reason says what it waits on
STATE_FIELDS = ("state", "incident_state")  # the first wins where one update audited both
AUDITED = ("assignment_group", *STATE_FIELDS, "hold_reason")


def _fields(ctx: Context) -> list[str]:
    """The fields to ask for: every spelling the mapping names that is a field name, and ALWAYS."""
    named = [name for canonical in ctx.mapping.columns for name in ctx.mapping.names(canonical)]
    named += [d.column for d in ctx.mapping.durations.values()]
    return list(dict.fromkeys([*ALWAYS, *(n for n in named if _FIELD.match(n))]))


def _parts(cell: Any) -> tuple[str | None, str | None]:
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


def _names(ctx: Context, ids: set[str], known: dict[str, str | None]) -> None:
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


def statuses() -> dict[str, str]:
    """ServiceNow's state and hold-reason labels (lower case) -> a status: servicenow_audit.yaml's activities, the
    one mapping of them, read as the event-log loader reads an activity kind."""
    out = {}
    for label, kind in preset("servicenow_audit").activities.items():
        status = KIND_STATUS.get(kind)
        if status:
            out[label.strip().lower()] = status
    return out


@dataclass
class Choices:
    """A state number and a hold-reason number -> their labels: the base system's, overridden by the instance's."""

    states: dict[str, str] = field(default_factory=lambda: dict(STATE_LABELS))
    reasons: dict[str, str] = field(default_factory=lambda: dict(HOLD_LABELS))

    def on_hold(self, state: str | None) -> bool:
        return self.states.get(state or "", "").strip().lower() == ON_HOLD


def choices(ctx: Context) -> Choices:
    """The instance's active English choices of the AUDITED choice fields (module docstring); `state` wins over
    `incident_state` where both list a number."""
    table = getattr(ctx.source, "table", "incident")
    found: list[dict[str, Any]] = []
    offset = 0
    try:
        while True:
            answer = ctx.client.get("/api/now/table/sys_choice", missing_ok=True, params={
                "sysparm_query": f"name={table}^elementIN{','.join(AUDITED[1:])}^inactive=false^language=en",
                "sysparm_fields": "element,value,label", "sysparm_limit": ctx.source.page_size,
                "sysparm_offset": offset, "sysparm_no_count": "true"})
            rows = ((answer.body if answer else None) or {}).get("result") or []
            found.extend(r for r in rows if isinstance(r, dict))
            offset += len(rows)
            if len(rows) < ctx.source.page_size:
                break
    except SourceFailed:  # sys_choice refused to this user: the base labels (the next request tells the rest)
        return Choices()
    out = Choices()
    for element in ("incident_state", "state", "hold_reason"):  # state last: it wins
        target = out.reasons if element == "hold_reason" else out.states
        target.update({str(r["value"]): str(r["label"]) for r in found
                       if r.get("element") == element and r.get("value") not in (None, "") and r.get("label")})
    return out


def _status(state: str | None, reason: str, named: dict[str, str], labels: Choices) -> str | None:
    """The status of a state number and hold-reason number: On Hold's reason where it names one, else the state."""
    if labels.on_hold(state) and labels.reasons.get(reason, "").lower() in named:
        return named[labels.reasons[reason].lower()]
    return named.get(labels.states.get(state or "", "").lower())


def _audit(records: list[dict[str, Any]], ctx: Context) -> list[dict[str, Any]]:
    """Every sys_audit row of these incidents for the AUDITED fields, in one request series."""
    keys = sorted(str(_parts(r.get("sys_id"))[0]) for r in records)
    table = getattr(ctx.source, "table", "incident")
    changes: list[dict[str, Any]] = []
    offset = 0
    while keys:
        body = ctx.client.get("/api/now/table/sys_audit", params={
            "sysparm_query": f"tablename={table}^fieldnameIN{','.join(AUDITED)}^documentkeyIN{','.join(keys)}"
                             "^ORDERBYsys_created_on^ORDERBYsys_id",
            "sysparm_fields": "documentkey,fieldname,newvalue,sys_created_on", "sysparm_limit": ctx.source.page_size,
            "sysparm_offset": offset, "sysparm_no_count": "true"}).body or {}
        found = body.get("result") or []
        changes.extend(found)
        offset += len(found)
        if len(found) < ctx.source.page_size:
            break
    return changes


def history(records: list[dict[str, Any]], ctx: Context, groups: dict[str, str | None],
            named: dict[str, str], labels: Choices) -> list[dict[str, str]]:
    """These incidents' handoffs (owner_team, the group's name) and status changes, oldest first per incident;
    the rows of one incident and instant read together (module docstring)."""
    number = {str(_parts(r.get("sys_id"))[0]): str(_parts(r.get("number"))[1]) for r in records}
    changes = _audit(records, ctx)
    _names(ctx, {str(c.get("newvalue") or "") for c in changes if c.get("fieldname") == "assignment_group"}, groups)
    updates: dict[tuple[str, datetime], dict[str, str]] = {}
    for change in changes:
        at, ticket = instant(change.get("sys_created_on")), number.get(str(change.get("documentkey")))
        if at is not None and ticket:
            updates.setdefault((ticket, at), {})[str(change.get("fieldname"))] = str(change.get("newvalue") or "")
    out = []
    held: dict[str, tuple[str | None, str]] = {}  # incident -> (state, hold reason) in force
    for (ticket, at), fields in sorted(updates.items()):
        team = groups.get(fields.get("assignment_group", ""))
        if team:
            out.append({"ticket_id": ticket, "at": at.isoformat(), "field": "owner_team", "value": team})
        state, reason = held.get(ticket, (None, ""))
        moved = next((fields[f] for f in STATE_FIELDS if fields.get(f)), None)
        state, reason = moved or state, fields.get("hold_reason", reason)
        held[ticket] = (state, reason)
        status = _status(state, reason, named, labels)
        if status and (moved or ("hold_reason" in fields and labels.on_hold(state))):
            out.append({"ticket_id": ticket, "at": at.isoformat(), "field": "status", "value": status})
    return out


def pages(ctx: Context, cursor: Cursor | None) -> Iterator[Page]:
    """Pages of incidents updated since the cursor, in update order; each with its incidents' whole history."""
    since = (cursor or {}).get("since") or ctx.first_start().strftime("%Y-%m-%d %H:%M:%S")
    skip = int((cursor or {}).get("skip") or 0)
    fields = _fields(ctx)
    table, query = getattr(ctx.source, "table", "incident"), getattr(ctx.source, "query", "")
    groups: dict[str, str | None] = {}
    named, labels = statuses(), None
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
        events: list[dict[str, str]] = []
        if records and getattr(ctx.source, "audit", True):
            labels = labels or choices(ctx)
            events = history(records, ctx, groups, named, labels)
        yield Page(rows=[row(r, fields, ctx) for r in records], cursor={"since": since, "skip": skip},
                   fetched=len(records), events=events)
        if done:
            return


CONNECTOR = Connector(tool="servicenow", export_format="servicenow", shape="csv", key="number", pages=pages,
                      auth=basic("{user}", "{password}"), preset="servicenow_incidents")
