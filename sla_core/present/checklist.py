"""The triage checklist: what a handoff must carry per tier (`triage_required`, `tags_required`), as a Markdown
checklist and as the ticket fields each tool creates through its API.

Why here: the breach queue flags what a ticket lacks; this puts the same list in front of the agent who fills
the ticket. Each tool gets the fields in the body its create endpoint documents, one request per field, so a
team creates them with a short loop over `requests` (docs/agreement.md):

- Zendesk, Create Ticket Field, `POST /api/v2/ticket_fields` with `{"ticket_field": {...}}`:
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/#create-ticket-field
  (the JSON format: https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/#json-format).
  A triage field is a `textarea`; a required tag is a `checkbox` whose `tag` ("For checkbox fields only, a tag
  added to tickets when the checkbox field is selected") is the tag itself, so ticking it tags the ticket.
- Jira (Service Management), Create custom field, `POST /rest/api/3/field` with `{name, description, type,
  searcherKey}`: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-post
  A triage field is a `textarea` (searcher `textsearcher`); the required tags are the options of one
  `multicheckboxes` field "SLA tags" (searcher `multiselectsearcher`), added to its context with Create custom
  field options, `POST /rest/api/3/field/{fieldId}/context/{contextId}/option` with `{"options": [{"value"}]}`:
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-options/#api-rest-api-3-field-fieldid-context-contextid-option-post
  (the context id: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-contexts/#api-rest-api-3-field-fieldid-context-get).
  Jira Service Management has no endpoint that adds a field to a request type (its request type fields are
  read with `GET /rest/servicedeskapi/servicedesk/{id}/requesttype/{id}/field`:
  https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request-type/): the created fields are
  added to the request form in the project's settings.
- Freshdesk, Create a ticket field, `POST /api/v2/admin/ticket_fields` with `{label, label_for_customers, type,
  ...}`: https://developer.freshdesk.com/api/#create_ticket_field
  A triage field is a `custom_paragraph`; a required tag a `custom_checkbox` (Freshdesk has no field that sets a
  tag: an automation rule "checkbox is checked -> add tag" does).

A field's title is the column as the import presets read it ("Repro steps" for `repro_steps`), so an export
of the tool brings the filled field back into SLA Board. None is marked required: the tools require a field on
every ticket, while the policy requires it per tier (the queue checks that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from sla_core.policy import Policy
from sla_core.present.document import Checklist, Code, Document, Line, Para, Section, line, markdown
from sla_core.vocab import TIERS, Tier

Kind = Literal["field", "tag"]

ZENDESK_DOCS = "https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/#create-ticket-field"
JIRA_DOCS = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-post"
JIRA_OPTIONS_DOCS = ("https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-options/"
                     "#api-rest-api-3-field-fieldid-context-contextid-option-post")
JIRA_CONTEXT_DOCS = ("https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-contexts/"
                     "#api-rest-api-3-field-fieldid-context-get")
FRESHDESK_DOCS = "https://developer.freshdesk.com/api/#create_ticket_field"

# The keys each body may hold: what the vendor documents for creating a field (a test checks every output).
ZENDESK_KEYS = frozenset({"type", "title", "description", "agent_description", "active", "required", "tag",
                          "visible_in_portal", "editable_in_portal", "required_in_portal", "title_in_portal"})
ZENDESK_TYPES = frozenset({"text", "textarea", "checkbox", "date", "integer", "decimal", "regexp",
                           "partialcreditcard", "multiselect", "tagger", "lookup"})
JIRA_KEYS = frozenset({"name", "description", "type", "searcherKey"})
JIRA_TYPE = "com.atlassian.jira.plugin.system.customfieldtypes:"
FRESHDESK_KEYS = frozenset({"label", "label_for_customers", "type", "customers_can_edit", "displayed_to_customers",
                            "position", "required_for_closure", "required_for_agents", "required_for_customers",
                            "choices", "dependent_fields", "section_mappings"})
FRESHDESK_TYPES = frozenset({"custom_text", "custom_paragraph", "custom_checkbox", "custom_number", "custom_date",
                             "custom_decimal", "nested_field", "custom_dropdown"})
JIRA_TAGS_FIELD = "SLA tags"


@dataclass(frozen=True)
class Requirement:
    """One field or tag the policy requires, and the tiers that require it (most urgent first)."""

    kind: Kind
    name: str  # the ticket column, or the tag, as the policy spells it
    tiers: tuple[Tier, ...]

    @property
    def title(self) -> str:
        return field_title(self.name) if self.kind == "field" else f"Tag {self.name}"

    @property
    def why(self) -> str:
        key = "triage_required" if self.kind == "field" else "tags_required"
        return f"Required on {', '.join(self.tiers)} tickets by the SLA policy ({key}: {self.name})."

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "tiers": list(self.tiers)}


def field_title(column: str) -> str:
    """A ticket column as a field's title, the way the import presets read it: `repro_steps` -> "Repro steps"."""
    words = " ".join(column.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def by_tier(policy: Policy) -> dict[Tier, tuple[list[str], list[str]]]:
    """Per tier, most urgent first, the fields and the tags it requires (each once, in the policy's order)."""
    out: dict[Tier, tuple[list[str], list[str]]] = {}
    for tier in TIERS:
        fields = list(dict.fromkeys(f.strip() for f in policy.triage_required.get(tier, [])))
        tags = list(dict.fromkeys(t.strip() for t in policy.tags_required.get(tier, [])))
        if fields or tags:
            out[tier] = (fields, tags)
    return out


def requirements(policy: Policy) -> list[Requirement]:
    """Every field, then every tag, the policy requires, each once with the tiers requiring it."""
    tiers = by_tier(policy)
    found: list[Requirement] = []
    for kind, index in (("field", 0), ("tag", 1)):
        names = list(dict.fromkeys(name for lists in tiers.values() for name in lists[index]))
        found += [Requirement(kind, name, tuple(t for t, lists in tiers.items() if name in lists[index]))  # type: ignore[arg-type]
                  for name in names]
    return found


# --- the checklist, as blocks (the agreement's triage section) and as Markdown --------------------------------

def item(kind: Kind, name: str) -> Line:
    if kind == "field":
        return line(field_title(name), " (", Code(name), ")")
    return line("tag ", Code(name))


def checklist_blocks(policy: Policy) -> list[Checklist | Para]:
    """One checklist per tier that requires something, then which tiers require nothing."""
    tiers = by_tier(policy)
    blocks: list[Checklist | Para] = [
        Checklist(tier.capitalize(), tuple([item("field", f) for f in fields] + [item("tag", t) for t in tags]))
        for tier, (fields, tags) in tiers.items()
    ]
    free = [t.capitalize() for t in TIERS if t not in tiers]
    if free:
        blocks.append(Para(line(", ".join(free), ": nothing required before a handoff.")))
    return blocks


def checklist_document(policy: Policy, source: str = "") -> Document:
    where = f" of {source}" if source else ""
    return Document(
        "Triage checklist",
        line("What a ticket carries before it is handed over, per tier: the policy's ", Code("triage_required"),
             " and ", Code("tags_required"), where, "."),
        (Section("Per tier", tuple(checklist_blocks(policy))),),
    )


def checklist_markdown(policy: Policy, source: str = "") -> str:
    return markdown(checklist_document(policy, source))


# --- ticket fields for each tool's API ---------------------------------------------------------------------------

def _request(method: str, path: str, body: dict[str, Any], covers: list[Requirement], **extra: str) -> dict[str, Any]:
    return {"method": method, "path": path, **extra, "requirements": [r.as_dict() for r in covers], "body": body}


def zendesk_fields(policy: Policy) -> dict[str, Any]:
    requests = []
    for req in requirements(policy):
        if req.kind == "field":
            field = {"type": "textarea", "title": req.title, "agent_description": req.why, "active": True,
                     "required": False}
        else:
            field = {"type": "checkbox", "title": req.title, "tag": req.name,
                     "agent_description": f"{req.why} Ticking it adds the tag.", "active": True, "required": False}
        requests.append(_request("POST", "/api/v2/ticket_fields", {"ticket_field": field}, [req]))
    return _form("zendesk", "Zendesk Ticket Fields API: Create Ticket Field", ZENDESK_DOCS, requests)


def jira_fields(policy: Policy) -> dict[str, Any]:
    wanted = requirements(policy)
    requests = [
        _request("POST", "/rest/api/3/field", {
            "name": req.title, "description": req.why, "type": JIRA_TYPE + "textarea",
            "searcherKey": JIRA_TYPE + "textsearcher"}, [req])
        for req in wanted if req.kind == "field"
    ]
    tags = [req for req in wanted if req.kind == "tag"]
    if tags:
        why = "; ".join(f"{req.name} on {', '.join(req.tiers)}" for req in tags)
        requests.append(_request("POST", "/rest/api/3/field", {
            "name": JIRA_TAGS_FIELD, "description": f"Tags the SLA policy requires (tags_required): {why}.",
            "type": JIRA_TYPE + "multicheckboxes", "searcherKey": JIRA_TYPE + "multiselectsearcher"}, tags))
        requests.append(_request(
            "POST", "/rest/api/3/field/{fieldId}/context/{contextId}/option",
            {"options": [{"value": req.name} for req in tags]}, tags,
            after=(f"{{fieldId}} is the id the '{JIRA_TAGS_FIELD}' request returned, {{contextId}} the id of its "
                   f"default context (GET /rest/api/3/field/{{fieldId}}/context: {JIRA_CONTEXT_DOCS})"),
            documentation=JIRA_OPTIONS_DOCS))
    return _form("jira", "Jira Cloud platform REST API v3: Create custom field", JIRA_DOCS, requests)


def freshdesk_fields(policy: Policy) -> dict[str, Any]:
    requests = []
    for req in requirements(policy):
        kind = "custom_paragraph" if req.kind == "field" else "custom_checkbox"
        field = {"label": req.title, "label_for_customers": req.title, "type": kind, "customers_can_edit": False,
                 "displayed_to_customers": False, "required_for_closure": False, "required_for_agents": False,
                 "required_for_customers": False}
        requests.append(_request("POST", "/api/v2/admin/ticket_fields", field, [req]))
    return _form("freshdesk", "Freshdesk API v2: Create a ticket field", FRESHDESK_DOCS, requests)


def _form(tool: str, api: str, docs: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"tool": tool, "api": api, "documentation": docs, "requests": requests}


# tool -> the function writing its ticket fields (what `template --fields TOOL` offers).
FORMS: dict[str, Callable[[Policy], dict[str, Any]]] = {
    "zendesk": zendesk_fields, "jira": jira_fields, "freshdesk": freshdesk_fields,
}


__all__ = [
    "FORMS", "Requirement", "by_tier", "checklist_blocks", "checklist_document", "checklist_markdown",
    "field_title", "freshdesk_fields", "jira_fields", "requirements", "zendesk_fields",
]
