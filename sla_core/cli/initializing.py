"""`python -m sla_core init [--tool zendesk|jira|freshdesk|servicenow|intercom] [--dir DIR]`: a team's first files.

It writes a starter `policy.yaml` (the bundled policy's tiers, targets, routes and handoff fields, each key with
a comment saying what it does), the playbooks it names, and with `--tool` the tool's mapping (its import preset
with the custom fields a team adds: severity, customers affected, the triage fields, ...) and a `sync.yaml`
skeleton that reads the tool through that mapping. It never overwrites: when any file it would write exists,
it writes nothing and says which (exit 2). docs/agreement.md.

The starters live in `starters/` beside this module: the policy and one sync.yaml per tool, as a team reads
them. The mapping is made from the tool's preset when init runs, so it follows the preset as it changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional

import yaml

from sla_core.cli import common

TOOLS: tuple[str, ...] = ("zendesk", "jira", "freshdesk", "servicenow", "intercom")
STARTERS = Path(__file__).with_name("starters")
PRESET_OF = {"servicenow": "servicenow_incidents"}  # tool -> its ticket preset's file stem (default: the tool)

# The ticket columns a team usually keeps in custom fields, and what each holds (the mapping's comments).
CUSTOM_FIELDS: dict[str, str] = {
    "severity": "drop-down: data loss, security, outage, blocked, partial, cosmetic, question (values.severity)",
    "customers_affected": "number: how many customers are hit",
    "regulatory": "checkbox: regulatory or security implications",
    "workaround": "checkbox: a workaround exists",
    "segment": "drop-down: enterprise, self serve (values.segment)",
    "action_plan_at": "date and time: an action plan or ETA was posted",
    "repro_steps": "multi-line text: triage field",
    "environment": "multi-line text: triage field",
    "logs": "multi-line text: triage field",
    "impacted_customers": "multi-line text: triage field",
}
# Drop-down option names -> the canonical value (a value already canonical is read as it is, without case).
CUSTOM_VALUES: dict[str, dict[str, str]] = {
    "severity": {"Data loss": "data_loss", "Security": "security", "Outage": "outage", "Blocked": "blocked",
                 "Partial": "partial", "Cosmetic": "cosmetic", "Question": "question"},
    "segment": {"Enterprise": "enterprise", "Self serve": "self_serve", "Self-serve": "self_serve"},
}
MAPPING_KEYS = ("format", "columns", "timestamp_format", "null_values", "separators", "values", "durations")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tool", choices=TOOLS,
                        help="also write this tool's mapping (TOOL_mapping.yaml) and a sync.yaml skeleton")
    parser.add_argument("--dir", type=Path, default=Path("."), help="the folder to write in (default: here)")


def custom_spelling(tool: str, column: str) -> str:
    """How the tool's export names a custom field for `column`: Jira wraps it, ServiceNow prefixes u_."""
    from sla_core.present.checklist import field_title

    if tool == "jira":
        return f"Custom field ({field_title(column)})"
    if tool == "servicenow":
        return f"u_{column}"
    return field_title(column)


def _flow(value: Any) -> str:
    """One YAML value on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _mapping_data(tool: str) -> tuple[list[str], dict[str, Any]]:
    """The preset's leading comment lines, and its data with the custom fields and their values added."""
    from sla_core.ingest.mapping import PRESET_DIR

    text = (PRESET_DIR / f"{PRESET_OF.get(tool, tool)}.yaml").read_text(encoding="utf-8")
    comments = []
    for source_line in text.splitlines():
        if not source_line.startswith("#"):
            break
        comments.append(source_line)
    data = yaml.safe_load(text)
    data["columns"] = {**data.get("columns", {}), **{c: custom_spelling(tool, c) for c in CUSTOM_FIELDS}}
    values = dict(data.get("values", {}))
    for column, words in CUSTOM_VALUES.items():
        values[column] = {**words, **values.get(column, {})}
    data["values"] = values
    return comments, data


def starter_mapping(tool: str) -> str:
    """The tool's mapping file: its import preset, whole (a mapping replaces the preset), with the custom fields
    a team adds named as the tool spells them, each with a comment, and the drop-downs' values."""
    from sla_core.ingest.mapping import mapping_from_dict

    comments, data = _mapping_data(tool)
    preset = PRESET_OF.get(tool, tool)
    out = [f"# Your {tool} mapping for SLA Board, written by `python -m sla_core init --tool {tool}`.",
           f"# It is the built-in `{preset}` preset (below, with its sources) plus the custom fields a team adds,",
           "# marked `your field`: rename each to your field's title as the export shows it, delete the ones you",
           "# do not have, and translate your drop-down options under `values`. A mapping replaces the preset",
           "# whole, so keep the other lines. Use it with",
           f"#   python -m sla_core import export.csv --source {tool} --mapping {tool}_mapping.yaml",
           "# and sync.yaml's `mapping:`. Every key: docs/data.md, Mapping files.", "#", *comments]
    for key in MAPPING_KEYS:
        if key not in data:
            continue
        if key in ("columns", "values"):
            out.append(f"{key}:")
            for name, value in data[key].items():
                entry = f"  {name}: {_flow(value)}"
                note = CUSTOM_FIELDS.get(name) if key == "columns" else None
                out.append(f"{entry:<48} # your field: {note}" if note else entry)
        else:
            out.append(f"{key}: {_flow(data[key])}")
    text = "\n".join(out) + "\n"
    if yaml.safe_load(text) != data:  # the one-line emitter must say exactly what was meant
        raise AssertionError(f"the {tool} starter mapping does not read back as written")
    mapping_from_dict(data, where=f"{tool} starter mapping")
    return text


def starter_files(tool: Optional[str]) -> dict[str, str]:
    """Relative path -> text of every file init writes."""
    from sla_core.policy import policy_from_dict
    from sla_core.vocab import SAMPLE_DIR

    policy_text = (STARTERS / "policy.yaml").read_text(encoding="utf-8")
    policy = policy_from_dict(yaml.safe_load(policy_text))
    files = {"policy.yaml": policy_text}
    for rule in policy.playbooks:  # the starter names the bundled playbooks, in a playbooks/ folder beside it
        files.setdefault(rule.file, (SAMPLE_DIR / rule.file).read_text(encoding="utf-8"))
    if tool:
        files[f"{tool}_mapping.yaml"] = starter_mapping(tool)
        files["sync.yaml"] = (STARTERS / "sync" / f"{tool}.yaml").read_text(encoding="utf-8")
    return files


def run(args: argparse.Namespace) -> int:
    files = starter_files(args.tool)
    folder: Path = args.dir
    there = [str(folder / name) for name in files if (folder / name).exists()]
    if there:
        raise common.UsageError(f"{', '.join(there)} already exist{'s' if len(there) == 1 else ''}: init never "
                                "overwrites a file, and wrote nothing (move it away, or use --dir)")
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": a file that appeared meanwhile is not replaced
            handle.write(text)
    print(f"wrote {', '.join(files)} in {folder}", file=sys.stderr)
    steps = [f"read and edit {folder / 'policy.yaml'}: every key says what it does",
             f"print the agreement to sign: python -m sla_core template --policy {folder / 'policy.yaml'} "
             "--out sla.html"]
    if args.tool:
        steps.append(f"rename the custom fields in {folder / f'{args.tool}_mapping.yaml'} to yours; put your "
                     f"address in {folder / 'sync.yaml'}, and your credentials in the variables it names")
        steps.append(f"create the triage fields in {args.tool}: python -m sla_core template --policy "
                     f"{folder / 'policy.yaml'} --fields {args.tool} --out fields.json (docs/agreement.md)"
                     if args.tool in ("zendesk", "jira", "freshdesk") else
                     "the triage checklist: python -m sla_core template --checklist --out checklist.md")
    else:
        steps.append("add --tool zendesk|jira|freshdesk|servicenow|intercom (in a new --dir) for a mapping and "
                     "a sync.yaml")
    print("next:\n" + "\n".join(f"  {n}. {step}" for n, step in enumerate(steps, 1)), file=sys.stderr)
    return 0
