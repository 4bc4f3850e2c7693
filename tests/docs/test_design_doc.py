"""The docs stand alone and docs/design.md stays in step with the code.

The product's design contract once lived only outside the repository; docs/design.md is the project's own
account of it. Nothing in the code or the docs may send a reader to a file the repository does not hold, and
the parts of design.md the code can answer for (commands, states, statuses, policy keys, the columns
`evaluate` promises, the rejects' columns) are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from sla_core.cli import COMMANDS
from sla_core.clocks.engine import RESULT_COLUMNS
from sla_core.columns import DEPLOY_COLUMNS, SIGNAL_COLUMNS, SURVEY_COLUMNS
from sla_core.policy import Policy
from sla_core.vocab import METRICS, STATES, STATUSES
from tests.conftest import ROOT

DOCS = ROOT / "docs"
DESIGN_DOC = DOCS / "design.md"
DATA_DOC = DOCS / "data.md"
CODE = ("sla_core", "ui", "pages", "app.py")  # the code a reader follows from a comment
OUTSIDE = "DESIGN.md"  # the contract's file outside the repository (case matters: docs/design.md is ours)
STATUS_WORDS = {"available", "coming"}


def _text_files(*names: str) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        files += [f for f in candidates if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]
    return files


def _citing(files: list[Path], needle: str) -> list[str]:
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if needle in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    return found


def test_no_code_cites_the_contract_outside_the_repository() -> None:
    """`grep -rn "DESIGN.md" sla_core ui pages app.py` finds nothing: comments point at docs/ instead."""
    found = _citing(_text_files(*CODE), OUTSIDE)
    assert not found, (f"{len(found)} lines cite {OUTSIDE}, which a clone does not hold; point them at "
                       "docs/design.md (or docs/data.md, docs/policy.md):\n" + "\n".join(found))


def test_no_doc_cites_the_contract_outside_the_repository() -> None:
    found = _citing(_text_files("docs"), OUTSIDE) + _citing(_text_files("docs"), "../shared")
    assert not found, "docs/ must stand alone:\n" + "\n".join(found)


def _section(text: str, heading: str) -> str:
    """The text under `heading` (a whole heading line, `## Command line`) up to the next heading of its level or
    above."""
    level = len(heading.split(" ", 1)[0])
    start = text.index("\n" + heading + "\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"^#{{1,{level}}} ", text[start:], flags=re.MULTILINE)]
    return text[start:start + ends[0]] if ends else text[start:]


def _status_table(section: str) -> dict[str, str]:
    """First cell (one name in backticks) -> second cell, for a `| name | available/coming | what |` table."""
    rows = re.findall(r"^\| `([a-z_]+)` \| ([a-z]+) \|", section, flags=re.MULTILINE)
    assert rows, "no `| name | available/coming | ... |` table found"
    unknown = {name: status for name, status in rows if status not in STATUS_WORDS}
    assert not unknown, f"docs/design.md: say available or coming, not {unknown}"
    return dict(rows)


DESIGN = DESIGN_DOC.read_text(encoding="utf-8")


def test_the_design_lists_every_command_and_says_which_exist() -> None:
    table = _status_table(_section(DESIGN, "## Command line"))
    available = {name for name, status in table.items() if status == "available"}
    coming = {name for name, status in table.items() if status == "coming"}
    assert available == set(COMMANDS), (
        f"docs/design.md's command table is out of step with sla_core/cli COMMANDS: mark "
        f"{sorted(set(COMMANDS) - available)} available, and {sorted(available - set(COMMANDS))} coming")
    assert not coming & set(COMMANDS)
    for name in table:  # each command, built or coming, says how it is called
        assert f"python -m sla_core {name}" in DESIGN, f"docs/design.md shows no `python -m sla_core {name}` usage"


def test_the_design_lists_every_top_level_policy_key_and_says_which_exist() -> None:
    table = _status_table(_section(DESIGN, "## The policy"))
    keys = set(Policy.model_fields) - {"base_dir"}  # base_dir: where the file was read from, not a key of it
    available = {name for name, status in table.items() if status == "available"}
    coming = {name for name, status in table.items() if status == "coming"}
    assert available == keys, (f"docs/design.md's policy keys are out of step with the policy model: add "
                               f"{sorted(keys - available)}, drop or mark coming {sorted(available - keys)}")
    assert not coming & keys, f"now accepted by the policy: mark {sorted(coming & keys)} available"


def test_the_design_names_every_state_status_and_metric() -> None:
    semantics = _section(DESIGN, "## SLA semantics")
    for word in (*STATES, *METRICS):
        assert f"`{word}`" in semantics, f"docs/design.md's SLA semantics do not name `{word}`"
    states = re.findall(r"^- `([a-z_]+)`: ", semantics, flags=re.MULTILINE)
    assert sorted(states) == sorted(STATES), f"docs/design.md lists the states {states}; the engine's: {STATES}"
    events = _section(DESIGN, "### Events: one row per change (optional)")
    for status in STATUSES:
        assert f"`{status}`" in events, f"docs/design.md's events do not name the status `{status}`"


def test_the_columns_evaluate_promises_are_written() -> None:
    evaluate = _section(DESIGN, "### evaluate")
    promised = re.search(r"at least `([^`]+)`", evaluate.replace("\n", " "))
    assert promised, "docs/design.md's evaluate says no `at least ...` columns"
    columns = [c.strip() for c in promised.group(1).split(",")]
    assert set(columns) <= set(RESULT_COLUMNS), sorted(set(columns) - set(RESULT_COLUMNS))


def test_the_design_names_every_signal_survey_and_deploy_column() -> None:
    for heading, columns in (
        ("### Signals: one row per alert or incident of a monitoring or incident tool (optional)", SIGNAL_COLUMNS),
        ("### Survey answers (optional)", SURVEY_COLUMNS),
        ("### Deploys: one row per deploy (optional)", DEPLOY_COLUMNS),
    ):
        section = _section(DESIGN, heading)
        named = {part.strip() for code in re.findall(r"`([^`]+)`", section) for part in code.split(",")}
        missing = [c for c in columns if c not in named]
        assert not missing, f"docs/design.md, {heading}: {missing} not named"


def _data_table(section: str) -> list[str]:
    text = _section(DATA_DOC.read_text(encoding="utf-8"), section)
    return re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE)


def test_the_signal_survey_and_deploy_tables_of_the_data_doc_are_the_columns() -> None:
    heading = "## Signals (optional; one row per alert or incident of a monitoring or incident tool)"
    assert _data_table(heading) == list(SIGNAL_COLUMNS)
    assert _data_table("## Survey answers (optional; one row per answer)") == list(SURVEY_COLUMNS)
    assert _data_table("## Deploys (optional; one row per deploy)") == list(DEPLOY_COLUMNS)


def test_the_rejects_table_of_the_data_doc_is_what_the_loader_writes(tmp_path: Path) -> None:
    from sla_core.ingest.loading import load_files
    from sla_core.policy import load_policy

    policy = load_policy(ROOT / "sample_data" / "policy.yaml")
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("ticket_id,created_at,impact\nT1,2026-01-05 10:00,high\n,2026-01-05 10:00,high\n")
    signals = tmp_path / "signals.csv"
    signals.write_text("signal_id,source,detected_at\nS1,pagerduty,2026-01-05 10:00\nS2,pagerduty,soon\n")
    surveys = tmp_path / "surveys.csv"
    surveys.write_text("account,at,kind,score\nA,2026-01-05 10:00,nps,9\nB,2026-01-05 10:00,csat,7\n")
    deploys = tmp_path / "deploys.csv"
    deploys.write_text("deploy_id,service,deployed_at,tool\nD1,api,2026-01-05 10:00,github\nD2,,2026-01-05 10:00,x\n")
    documented = _data_table("## Rejects (`import --rejects`, the Upload page's download)")
    files = set()
    for path in (tickets, signals, surveys, deploys):
        con = duckdb.connect()
        load_files(con, path, None, policy)
        cur = con.execute("SELECT * FROM rejects")
        assert [d[0] for d in cur.description] == documented, path.name
        files |= {row[documented.index("file")] for row in cur.fetchall()}
    assert files == {"tickets", "signals", "surveys", "deploys"}


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub writes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_docs_resolves() -> None:
    broken = []
    for doc in sorted(DOCS.glob("*.md")):
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)", doc.read_text(encoding="utf-8")):
            linked = (doc.parent / target) if target else doc
            if not linked.is_file():
                broken.append(f"{doc.name}: {target} does not exist")
            elif anchor:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), flags=re.MULTILINE)
                if anchor not in {_slug(h) for h in headings}:
                    broken.append(f"{doc.name}: {target}#{anchor} names no heading")
    assert not broken, "\n".join(broken)
