"""Playbooks: which runbooks apply to a clock, and what they say first.

Why here: the queue, the notifications and the report all show "what to do
now", and must agree on it. The policy's rules (docs/design.md `playbooks`) are
matched in SQL over the whole queue; every rule that matches applies. A file
that is missing is reported where playbooks are shown and stops nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sla_core.columns import tags_sql
from sla_core.policy import PlaybookRule, Policy

_HEADING = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$")
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*+])\s+(.+)$")
_BOLD_START = re.compile(r"^\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Playbook:
    """One runbook file as people read it: its title, its first step and its text (None when unreadable)."""

    file: str
    path: Path
    title: str
    first_step: Optional[str]
    text: Optional[str]

    @property
    def missing(self) -> bool:
        return self.text is None

    @property
    def summary(self) -> str:
        """`Security incident: Restrict the ticket` - the title and the first thing to do."""
        if self.missing:
            return f"{self.title} (file {self.file} not found)"
        return f"{self.title}: {self.first_step}" if self.first_step else self.title


def _plain(markdown: str) -> str:
    return re.sub(r"[*_`]", "", markdown).strip()


def read_playbook(policy: Policy, rule: PlaybookRule) -> Playbook:
    path = policy.playbook_path(rule)
    fallback = Path(rule.file).stem.replace("_", " ").replace("-", " ").capitalize()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Playbook(rule.file, path, fallback, None, None)
    lines = text.splitlines()
    title = next((_plain(m.group(1)) for m in map(_HEADING.match, lines) if m), fallback)
    step = next((m.group(1) for m in map(_STEP.match, lines) if m), None)
    if step:
        bold = _BOLD_START.match(step)  # a step led by its own bold headline: that is what to do
        step = _plain(bold.group(1)) if bold else re.split(r"(?<=[.:;])\s", _plain(step), maxsplit=1)[0]
        step = step.rstrip(".:;")
    return Playbook(rule.file, path, title, step, text)


def playbooks(policy: Policy) -> list[Playbook]:
    """The policy's playbook files, each once, in the order the rules first name them."""
    files = list(dict.fromkeys(rule.file for rule in policy.playbooks))
    first = {rule.file: rule for rule in reversed(policy.playbooks)}
    return [read_playbook(policy, first[f]) for f in files]


def missing_playbooks(policy: Policy) -> list[Playbook]:
    return [book for book in playbooks(policy) if book.missing]


def match_sql(policy: Policy, clock: str = "r", ticket: str = "t") -> tuple[str, dict[str, object]]:
    """SQL: the indexes (into `playbooks(policy)`) of the playbooks whose rules match a clock row `clock`
    (tier, segment, state) of ticket row `ticket` (severity, regulatory, tags), as a sorted list; and its
    named parameters. Every condition a rule gives must hold; a list holds when any of its values does."""
    files = list(dict.fromkeys(rule.file for rule in policy.playbooks))
    cases: list[str] = []
    params: dict[str, object] = {}
    for rule in policy.playbooks:
        when, conditions = rule.when, []

        def param(value: object) -> str:
            name = f"pb_{len(params)}"
            params[name] = value
            return f"${name}"

        for column, values in ((f"{clock}.tier", when.tier), (f"{clock}.segment", when.segment),
                               (f"{ticket}.severity", when.severity), (f"{clock}.state", when.state)):
            if values is not None:
                conditions.append(f"list_contains({param(list(values))}::VARCHAR[], {column})")
        if when.regulatory is not None:
            conditions.append(f"coalesce({ticket}.regulatory, FALSE) = {param(when.regulatory)}")
        if when.tags is not None:
            # compared as required tags are (columns.tags_sql): trimmed, without case
            conditions.append(f"list_has_any({tags_sql(f'{ticket}.tags')}, "
                              f"{param([t.strip().lower() for t in when.tags])}::VARCHAR[])")
        cases.append(f"CASE WHEN {' AND '.join(conditions) or 'TRUE'} THEN {files.index(rule.file)} END")
    if not cases:
        return "CAST([] AS INTEGER[])", {}
    return f"list_sort(list_distinct(list_filter([{', '.join(cases)}], lambda x: x IS NOT NULL)))", params
