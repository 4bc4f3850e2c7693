"""docs/architecture.md's "Where each rule lives" table stays true: every place it names exists, and every
function or class it names is defined there.

A place cell names paths in backticks: a file (`sla_core/now.py`), a folder (`sla_core/simulate/`) or a glob
(`sla_core/ingest/presets/*.yaml`). A name may follow its path, as `sla_core/analysis/review.py`
`adherence_table` or `sla_core/analysis/review.py::adherence_table`; `Class.method` names a method. A name in a
folder or a glob is defined by any Python file in it. A failure names the table's row.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"
SECTION = "## Where each rule lives"
NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def _cells(line: str) -> list[str]:
    """A table row's cells; a `|` inside backticks stays in its cell."""
    cells, cell, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += char
    return [*cells, cell.strip()]


def table_rows(text: str) -> list[tuple[str, str]]:
    """(rule, place) for each row of the section's table, header and rule line left out."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) < 2 or set(cells[0]) <= set("-: ") or cells[0].lower() == "rule":
            continue
        rows.append((cells[0], cells[-1]))
    return rows


def _is_path(code: str) -> bool:
    return "/" in code or "*" in code or bool(re.search(r"\.(py|ya?ml|md|toml|csv|json)$", code))


def places(cell: str) -> list[tuple[str, list[str]]]:
    """(path, names defined there) for each path of a place cell, in order; a name before any path is kept
    under the path '' so that the check reports it."""
    found: list[tuple[str, list[str]]] = []
    for code in re.findall(r"`([^`]+)`", cell):
        code = code.strip()
        if "::" in code:
            path, name = code.split("::", 1)
            found.append((path, [name]))
        elif _is_path(code):
            found.append((code, []))
        elif NAME.match(code):
            if not found:
                found.append(("", []))
            found[-1][1].append(code)
    return found


def _files(path: str) -> list[Path]:
    """The files a path names: itself, the files under a folder, or a glob's matches."""
    if any(c in path for c in "*?["):
        matched = sorted(ROOT.glob(path))
        return [f for m in matched for f in ([m] if m.is_file() else sorted(m.rglob("*")))]
    target = ROOT / path
    if target.is_dir():
        return sorted(f for f in target.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    return [target] if target.is_file() else []


def _bound(node: ast.stmt) -> list[str]:
    """The names a statement binds: a function's or class's name, or the plain names it assigns."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _defines(source: str, name: str) -> bool:
    """The module defines `name` at its top level (a function, class or assigned name); `A.b`: class A has b."""
    body = ast.parse(source).body
    for part in name.split("."):
        found = next((node for node in reversed(body) if part in _bound(node)), None)
        if found is None:
            return False
        body = found.body if isinstance(found, ast.ClassDef) else []
    return True


def problems(text: str) -> list[str]:
    """What in the table is not true of the tree, one line per problem, each naming its row."""
    rows = table_rows(text)
    if not rows:
        return [f"docs/architecture.md has no rows under {SECTION!r}"]
    found = []
    for rule, cell in rows:
        named = places(cell)
        if not named:
            found.append(f"row {rule!r}: names no path in backticks ({cell!r})")
        for path, names in named:
            if not path:
                found.append(f"row {rule!r}: names {names} before any path")
                continue
            files = _files(path)
            if not files:
                found.append(f"row {rule!r}: `{path}` does not exist")
                continue
            python = [f for f in files if f.suffix == ".py"]
            for name in names:
                if not python:
                    found.append(f"row {rule!r}: `{path}` holds no Python file to define `{name}`")
                elif not any(_defines(f.read_text(encoding="utf-8"), name) for f in python):
                    found.append(f"row {rule!r}: `{path}` does not define `{name}`")
    return found


def test_every_place_the_table_names_exists_and_defines_what_it_names() -> None:
    found = problems(ARCHITECTURE_DOC.read_text(encoding="utf-8"))
    assert not found, "docs/architecture.md, " + SECTION.lstrip("# ") + ":\n" + "\n".join(found)


# The check itself, on made-up tables: it must catch what today's table (paths only) cannot show it catching.
MADE_UP = f"""{SECTION}

| rule | place |
| --- | --- |
| now | `sla_core/now.py` `now` |
| now, other form | `sla_core/now.py::now` |
| a method | `sla_core/policy/model.py` `Policy.targets_for` |
| a constant | `sla_core/vocab.py` `TIERS`, `sla_core/columns.py` `TICKET_COLUMNS` |
| in a package | `sla_core/clocks/` `evaluate` |
| presets | `sla_core/ingest/presets/*.yaml` |
| a moved file | `sla_core/no_such_module.py` |
| a lost function | `sla_core/now.py` `no_such_function` |
| a lost method | `sla_core/policy/model.py::Policy.no_such_method` |
| a name alone | `now` |
| no path | the engine |

## Conventions
"""


def test_the_check_names_each_row_that_is_wrong_and_only_those() -> None:
    assert problems(MADE_UP) == [
        "row 'a moved file': `sla_core/no_such_module.py` does not exist",
        "row 'a lost function': `sla_core/now.py` does not define `no_such_function`",
        "row 'a lost method': `sla_core/policy/model.py` does not define `Policy.no_such_method`",
        "row 'a name alone': names ['now'] before any path",
        "row 'no path': names no path in backticks ('the engine')",
    ]


def test_the_check_reads_a_place_cell() -> None:
    assert places("`sla_core/analysis/review.py` `adherence_table`, `sla_core/policy/playbooks.py`") == [
        ("sla_core/analysis/review.py", ["adherence_table"]),
        ("sla_core/policy/playbooks.py", []),
    ]
    assert places("`sla_core/analysis/review.py::adherence_table` (docs/data.md)") == [
        ("sla_core/analysis/review.py", ["adherence_table"]),
    ]
