"""`python -m sla_core template`: the agreement says what the policy says, the same in Markdown and HTML, and
never lets the policy's text become markup."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from sla_core.policy import Policy, policy_from_dict, policy_to_dict
from sla_core.present.agreement import agreement_html, agreement_markdown, tier_examples, when_words
from tests.agreement.conftest import Run
from tests.conftest import SAMPLE_POLICY, make_policy


def _md_plain(text: str) -> str:
    """The Markdown's text as a reader sees it: no escapes, code fences, bold or the notes' emphasis."""
    text = re.sub(r"(?m)^_(.*)_$", r"\1", text)
    return re.sub(r"\\(.)", r"\1", text).replace("`", "").replace("**", "")


def _html_plain(text: str) -> str:
    """The page's text as a reader sees it (the body, without tags); inline markup does not split words."""
    body = text.split("<body>", 1)[1]
    body = re.sub(r"</?(code|b)>", "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# What the bundled policy's agreement must say, section by section (each phrase in both renderings).
SAYS = [
    # tiers: the rubric in words, the hard rule, examples, goals
    "severity 35%", "critical from 0.75", "Severity data loss or security is always critical",
    "any data loss or security", "outage · 1,000+ customers · enterprise", "95%", "85%",
    # targets with their calendars
    "30 m, around the clock (24x7)", "2 h, business calendar", "14 d, around the clock (24x7)", "not timed",
    "Segment enterprise: medium acknowledge 4 h, business calendar",
    "Mon–Fri 09:00-18:00 (Europe/London); closed on 2026-12-24 and the public holidays of GB-ENG",
    "at risk at 75% of its target", "pauses while the ticket is waiting on customer or waiting on third party",
    # routes, channels and who joins
    "engineering_on_call", "#inc-critical", "engineering, within 15 m of creation", "#support-escalations",
    "engineering, within 2 h of creation", "product_backlog",
    # triage per tier
    "Repro steps (repro_steps)", "Impacted customers (impacted_customers)", "tag impact:critical",
    "tag requires-engineering", "Medium, Low: nothing required",
    # playbooks: title, when and first step
    "Engineering on-call escalation (critical) (when tier critical); first step: Page the engineering on-call",
    "Security incident (when severity security or regulatory); first step: Restrict the ticket",
    "Enterprise SLA breach override (when segment enterprise and breached or at risk)",
    # the cadence
    "Weekly: a post-incident review of every resolved critical incident, due 5 d after its resolution",
    "Monthly: the SLA review", "Quarterly: a retrospective", "Alerts: none configured",
    # who signs
    "Engineering", "Product", "Support",
]


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_the_bundled_policy_as_the_agreement(cli: Run, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"sla{suffix}"
    code, _, err = cli("template", "--policy", SAMPLE_POLICY, "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    plain = _md_plain(text) if suffix == ".md" else _html_plain(text)
    missing = [phrase for phrase in SAYS if phrase not in plain]
    assert missing == []


def test_markdown_and_html_say_the_same(sample_policy: Policy) -> None:
    md = _md_plain(agreement_markdown(sample_policy, "policy.yaml"))
    page = _html_plain(agreement_html(sample_policy, "policy.yaml"))
    md_words = re.findall(r"[\w:#@.'-]+", re.sub(r"^\s*[-|#]+\s*|\[ \]|\|", " ", md, flags=re.M))
    page_words = re.findall(r"[\w:#@.'-]+", page.replace("☐", " "))
    assert [w for w in md_words if w != "---"] == page_words


def test_the_examples_are_what_the_rubric_scores(sample_policy: Policy) -> None:
    examples = tier_examples(sample_policy)
    # outage 0.35 x 0.9 + 1,000 customers 0.30 x 1.0 + enterprise 0.15 x 1.0 = 0.765 >= 0.75: critical
    assert examples["critical"][0] == "outage · 1,000+ customers · enterprise"
    # self-serve instead: 0.315 + 0.30 + 0.15 x 0.3 = 0.66, in [0.50, 0.75): high
    assert examples["high"][0] == "outage · 1,000+ customers · self serve"
    # 10 customers, self-serve: 0.315 + 0.30 x 0.4 + 0.045 = 0.48, in [0.25, 0.50): medium
    assert examples["medium"][0] == "outage · 10+ customers · self serve"
    # partial, 1 customer, self-serve: 0.35 x 0.4 + 0.30 x 0.1 + 0.045 = 0.215 < 0.25: low
    assert examples["low"][0] == "partial · 1+ customers · self serve"
    # data loss and security are always critical: named apart, never an example
    assert not any("data loss" in e or "security" in e for tier in examples.values() for e in tier)


def test_a_policy_without_a_rubric_says_tiers_are_set_at_triage() -> None:
    text = agreement_markdown(make_policy())
    assert "set at triage (its impact); the policy has no rubric" in text
    assert "Alerts**: none configured" in text and "The policy names no playbook" in text
    assert "requires no triage field or tag" in text


def test_a_missing_playbook_is_said(tmp_path: Path) -> None:
    policy = make_policy(playbooks=[{"file": "playbooks/nowhere.md", "when": {"tier": ["high"], "tags": ["vip"]}}])
    page = _html_plain(agreement_html(policy))
    assert "Nowhere (when tier high and tagged vip): file playbooks/nowhere.md not found." in page


def test_the_alerts_say_who_hears_what() -> None:
    policy = make_policy(notify=[
        {"to": "slack", "url_env": "SLACK_WEBHOOK_URL", "states": ["at_risk", "breached"], "tiers": ["critical", "high"]},
        {"to": "pagerduty", "routing_key_env": "PD_KEY", "states": ["breached"], "tiers": ["critical"]},
        {"to": "slack", "url_env": "SLACK_REVIEWS", "digest": "weekly"},
    ], post_mortem={"tiers": ["critical", "high"], "due_within": "3d"})
    text = _md_plain(agreement_markdown(policy))
    assert ("Alerts: Slack when a critical or high clock turns at risk or breached; PagerDuty when a critical clock "
            "turns breached; Slack, a weekly digest of the reviews and action items due.") in text
    assert "every resolved critical or high incident, due 3 d after its resolution" in text
    assert "SLACK_WEBHOOK_URL" not in text  # where secrets live is plumbing, not part of the agreement


HOSTILE = '<script>alert(1)</script><a href="https://evil.example">x</a>'


def test_no_html_from_the_policys_text(tmp_path: Path) -> None:
    data = policy_to_dict(make_policy())
    data["routes"] = {"critical": {"route": "on<b>call</b>", "channel": HOSTILE, "join_within": "15m",
                                   "responders": ["<i>eng</i>", "`tick` | pipe"]}}
    data["tags_required"] = {"critical": [HOSTILE]}
    data["triage_required"] = {"high": ["<img src=x onerror=alert(1)>"]}
    data["disciplines"] = [{"discipline": "<u>ops</u>", "teams": ["*"]}]
    data["playbooks"] = [{"file": "<script>x</script>.md"}]
    policy = policy_from_dict(data, base_dir=tmp_path)
    page = agreement_html(policy, source="<b>policy</b>.yaml")
    assert not re.search(r"<(script|a |img|i>|u>|b>p)", page), "markup from the policy reached the page"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    md = agreement_markdown(policy, source="<b>policy</b>.yaml")
    outside_code = re.sub(r"(`+).*?\1", "", md)  # code spans show their text as typed: nothing in them is read
    assert not re.search(r"(?<!\\)<[a-z/]", outside_code), "raw HTML from the policy in the Markdown"
    (route_row,) = [r for r in md.splitlines() if "on<b>call" in r]
    assert len(re.findall(r"(?<!\\)\|", route_row)) == 5  # 4 cells: a pipe in the policy never splits one


def test_template_refuses_a_file_it_cannot_write(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("template", "--policy", SAMPLE_POLICY, "--out", tmp_path / "sla.pdf")
    assert code == 2 and len(err.strip().splitlines()) == 1 and ".md or .html" in err
    code, _, err = cli("template", "--policy", SAMPLE_POLICY, "--fields", "jira", "--out", tmp_path / "f.md")
    assert code == 2 and ".json" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    code, _, err = cli("template", "--policy", bad, "--out", tmp_path / "sla.md")
    assert code == 2 and err.startswith("error: policy:") and not (tmp_path / "sla.md").exists()


def test_when_words() -> None:
    from sla_core.policy import PlaybookRule

    rule = PlaybookRule.model_validate({"file": "x.md", "when": {"segment": ["enterprise"], "regulatory": False,
                                                                   "state": ["at_risk"]}})
    assert when_words(rule) == "segment enterprise and not regulatory and at risk"
    assert when_words(PlaybookRule(file="y.md")) == "always"
