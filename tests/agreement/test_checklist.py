"""The triage checklist against the policy it comes from: the Markdown checklist and each tool's ticket fields
hold every field and tag the policy requires, per tier, and nothing else, in the body the tool documents.

The documented shapes, written here from the vendors' pages (not from the module under test):
- Zendesk, Create Ticket Field: `POST /api/v2/ticket_fields`, body `{"ticket_field": {...}}`; `type` and `title`
  mandatory; a checkbox's `tag` is added to the ticket when it is ticked.
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/#create-ticket-field
- Jira Cloud, Create custom field: `POST /rest/api/3/field`, body `{name, description?, type, searcherKey?}`;
  Create custom field options: `POST /rest/api/3/field/{fieldId}/context/{contextId}/option`, body
  `{"options": [{"value": ...}]}`.
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-post
- Freshdesk, Create a ticket field: `POST /api/v2/admin/ticket_fields`, body `{label, label_for_customers, type,
  ...}`. https://developer.freshdesk.com/api/#create_ticket_field
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sla_core.policy import Policy
from sla_core.present.checklist import checklist_markdown, field_title
from tests.agreement.conftest import Run
from tests.conftest import SAMPLE_POLICY, make_policy

ZENDESK_FIELD = {"type", "title", "description", "agent_description", "active", "required", "tag",
                 "visible_in_portal", "editable_in_portal", "required_in_portal", "title_in_portal"}
JIRA_FIELD = {"name", "description", "type", "searcherKey"}
JIRA = "com.atlassian.jira.plugin.system.customfieldtypes:"
JIRA_SEARCHER = {JIRA + "textarea": JIRA + "textsearcher", JIRA + "multicheckboxes": JIRA + "multiselectsearcher"}
FRESHDESK_FIELD = {"label", "label_for_customers", "type", "customers_can_edit", "displayed_to_customers",
                   "position", "required_for_closure", "required_for_agents", "required_for_customers"}

# critical and high share repro_steps (one field for both), medium asks a column of the team's own, low a tag.
POLICY = make_policy(
    triage_required={"critical": ["repro_steps", "logs"], "high": ["repro_steps"], "medium": ["expected_vs_actual"]},
    tags_required={"critical": ["impact:critical", "requires-engineering"], "low": ["needs-docs"]},
)
FIELDS = {"repro_steps", "logs", "expected_vs_actual"}
TAGS = {"impact:critical", "requires-engineering", "needs-docs"}


def _fields(cli: Run, tmp_path: Path, tool: str, policy_file: Path) -> dict[str, Any]:
    out = tmp_path / f"{tool}.json"
    code, _, err = cli("template", "--policy", policy_file, "--fields", tool, "--out", out)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))  # valid JSON, or this fails


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.to_yaml(), encoding="utf-8")
    return path


def test_zendesk_ticket_fields(cli: Run, tmp_path: Path, policy_file: Path) -> None:
    form = _fields(cli, tmp_path, "zendesk", policy_file)
    assert form["documentation"].startswith("https://developer.zendesk.com/")
    bodies = []
    for request in form["requests"]:
        assert (request["method"], request["path"]) == ("POST", "/api/v2/ticket_fields")
        assert list(request["body"]) == ["ticket_field"]
        field = request["body"]["ticket_field"]
        assert set(field) <= ZENDESK_FIELD and field["title"] and field["type"] in ("textarea", "checkbox")
        bodies.append(field)
    texts = [f for f in bodies if f["type"] == "textarea"]
    boxes = [f for f in bodies if f["type"] == "checkbox"]
    assert sorted(f["title"] for f in texts) == sorted(field_title(c) for c in FIELDS)
    assert sorted(f["tag"] for f in boxes) == sorted(TAGS)  # ticking the box adds the tag itself
    assert len(bodies) == len(FIELDS) + len(TAGS)  # one field per requirement, shared by the tiers asking it
    repro = next(f for f in texts if f["title"] == "Repro steps")
    assert "critical, high" in repro["agent_description"] and not repro["required"]


def test_jira_custom_fields(cli: Run, tmp_path: Path, policy_file: Path) -> None:
    form = _fields(cli, tmp_path, "jira", policy_file)
    creates = [r for r in form["requests"] if r["path"] == "/rest/api/3/field"]
    options = [r for r in form["requests"] if r["path"] != "/rest/api/3/field"]
    for request in creates:
        body = request["body"]
        assert request["method"] == "POST" and set(body) <= JIRA_FIELD and {"name", "type"} <= set(body)
        assert JIRA_SEARCHER[body["type"]] == body["searcherKey"]
    texts = [r["body"]["name"] for r in creates if r["body"]["type"].endswith(":textarea")]
    assert sorted(texts) == sorted(field_title(c) for c in FIELDS)
    (tags_field,) = [r["body"] for r in creates if r["body"]["type"].endswith(":multicheckboxes")]
    (option,) = options
    assert option["path"] == "/rest/api/3/field/{fieldId}/context/{contextId}/option" and option["method"] == "POST"
    assert list(option["body"]) == ["options"] and all(set(o) == {"value"} for o in option["body"]["options"])
    assert sorted(o["value"] for o in option["body"]["options"]) == sorted(TAGS)
    assert tags_field["name"] in option["after"]
    assert len(creates) == len(FIELDS) + 1


def test_freshdesk_ticket_fields(cli: Run, tmp_path: Path, policy_file: Path) -> None:
    form = _fields(cli, tmp_path, "freshdesk", policy_file)
    bodies = []
    for request in form["requests"]:
        assert (request["method"], request["path"]) == ("POST", "/api/v2/admin/ticket_fields")
        body = request["body"]
        assert set(body) <= FRESHDESK_FIELD and {"label", "label_for_customers", "type"} <= set(body)
        bodies.append(body)
    labels = {t: sorted(b["label"] for b in bodies if b["type"] == t) for t in ("custom_paragraph", "custom_checkbox")}
    assert labels == {"custom_paragraph": sorted(field_title(c) for c in FIELDS),
                      "custom_checkbox": sorted(f"Tag {t}" for t in TAGS)}
    assert len(bodies) == len(FIELDS) + len(TAGS)


@pytest.mark.parametrize("tool", ["zendesk", "jira", "freshdesk"])
def test_each_request_says_which_requirement_it_meets(cli: Run, tmp_path: Path, policy_file: Path,
                                                      tool: str) -> None:
    """Read back per tier, the requests' requirements are the policy's, exactly."""
    met: dict[str, set[str]] = {}
    for request in _fields(cli, tmp_path, tool, policy_file)["requests"]:
        for req in request["requirements"]:
            for tier in req["tiers"]:
                met.setdefault(tier, set()).add(f"{req['kind']}:{req['name']}")
    wanted = {tier: {f"field:{f}" for f in POLICY.triage_required.get(tier, [])}  # type: ignore[call-overload]
              | {f"tag:{t}" for t in POLICY.tags_required.get(tier, [])}  # type: ignore[call-overload]
              for tier in ("critical", "high", "medium", "low")}
    assert met == wanted


def _markdown_checklist(text: str) -> dict[str, set[str]]:
    """`**Tier**` then `- [ ] ...` lines -> tier -> the names in code spans."""
    found: dict[str, set[str]] = {}
    tier = ""
    for text_line in text.splitlines():
        heading = re.fullmatch(r"\*\*(\w+)\*\*", text_line)
        if heading:
            tier = heading.group(1).lower()
        elif text_line.startswith("- [ ] "):
            found.setdefault(tier, set()).add(re.findall(r"`([^`]+)`", text_line)[-1])
    return found


def test_the_markdown_checklist_is_the_policy_per_tier(cli: Run, tmp_path: Path, policy_file: Path) -> None:
    out = tmp_path / "checklist.md"
    code, _, err = cli("template", "--policy", policy_file, "--checklist", "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert _markdown_checklist(text) == {
        "critical": {"repro_steps", "logs", "impact:critical", "requires-engineering"},
        "high": {"repro_steps"}, "medium": {"expected_vs_actual"}, "low": {"needs-docs"}}
    assert text == checklist_markdown(POLICY, "policy.yaml")


def test_a_policy_requiring_nothing_gets_an_empty_form(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text(make_policy().to_yaml(), encoding="utf-8")
    for tool in ("zendesk", "jira", "freshdesk"):
        assert _fields(cli, tmp_path, tool, path)["requests"] == []
    assert "Critical, High, Medium, Low: nothing required" in checklist_markdown(make_policy())


def test_the_bundled_policy_checklist(sample_policy: Policy) -> None:
    assert _markdown_checklist(checklist_markdown(sample_policy)) == {
        "critical": {"repro_steps", "environment", "logs", "impacted_customers", "impact:critical",
                     "requires-engineering"},
        "high": {"repro_steps", "environment", "logs"},
    }
    assert SAMPLE_POLICY.is_file()
