"""`python -m sla_core template --policy P --out sla.md|sla.html`: the policy as the SLA agreement a team signs;
with `--checklist`, the triage checklist alone (Markdown); with `--fields zendesk|jira|freshdesk`, the triage
checklist as the tool's ticket fields, one create request per field (JSON). docs/agreement.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.cli import common

FIELD_TOOLS = ("zendesk", "jira", "freshdesk")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_policy_argument(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--checklist", action="store_true",
                      help="write the triage checklist alone (triage_required and tags_required), as Markdown")
    what.add_argument("--fields", choices=FIELD_TOOLS,
                      help="write the triage checklist as the tool's ticket fields: the create requests its API "
                           "documents, as JSON")
    parser.add_argument("--out", type=Path, required=True,
                        help="the file to write: .md or .html for the agreement, .md for --checklist, .json for "
                             "--fields")


def _suffixes(args: argparse.Namespace) -> tuple[str, ...]:
    if args.fields:
        return (".json",)
    return (".md",) if args.checklist else (".md", ".html", ".htm")


def run(args: argparse.Namespace) -> int:
    import json

    from sla_core.policy import load_policy
    from sla_core.present.agreement import agreement_html, agreement_markdown
    from sla_core.present.checklist import FORMS, checklist_markdown

    allowed = _suffixes(args)
    if args.out.suffix.lower() not in allowed:
        raise common.UsageError(f"--out {args.out}: name a {' or '.join(allowed)} file")
    policy = load_policy(args.policy)
    source = Path(args.policy).name
    if args.fields:
        text = json.dumps(FORMS[args.fields](policy), indent=2, ensure_ascii=False) + "\n"
        what = f"the {args.fields} ticket fields"
    elif args.checklist:
        text, what = checklist_markdown(policy, source), "the triage checklist"
    elif args.out.suffix.lower() == ".md":
        text, what = agreement_markdown(policy, source), "the agreement"
    else:
        text, what = agreement_html(policy, source), "the agreement"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {what} of {args.policy} to {args.out}", file=sys.stderr)
    return 0
