"""Playbooks and user text reach the page as text, never as raw HTML.

Two layers: no app file may switch raw HTML on (`unsafe_allow_html=True`,
`st.html`, `components.html`), and with a hostile playbook, a hostile file
name, hostile ticket ids/segments and a hostile shared link, every element the
pages send is still flagged "no HTML" while the hostile text arrives intact
(shown as text, not silently dropped). The browser side (nothing executes in
Chromium) is in test_concurrent_sessions.py.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from ui.state import StateKeys

from .conftest import APP_FILES, ROOT, app, upload

SCRIPT = "<script>window.__sla_xss = 'script'</script>"
IMG = "<img src=x onerror=\"window.__sla_xss = 'img'\">"
HOSTILE_PLAYBOOK = f"# On call\n\n{SCRIPT}\n\n{IMG}\n\n<iframe src=\"https://example.com\"></iframe>\n\n1. Page the on-call engineer.\n"
HOSTILE_NAME = "<img src=x onerror=alert(1)>.csv"
HOSTILE_TICKETS = (  # never acknowledged (an empty acknowledged_at column: the clock is measured, and breached)
    "ticket_id,created_at,impact,segment,owner_team,acknowledged_at\n"
    f"\"{IMG.replace(chr(34), chr(34) * 2)}\",2026-11-01 10:00,critical,<b>enterprise</b>,engineering,\n"
    f"{SCRIPT},2026-11-01 11:00,critical,enterprise,engineering,\n"
).encode()


def _attribute_true(call: ast.Call, name: str) -> bool:
    return any(k.arg == name and not (isinstance(k.value, ast.Constant) and k.value.value is False) for k in call.keywords)


def test_no_app_file_switches_raw_html_on():
    found = []
    for path in APP_FILES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if _attribute_true(node, "unsafe_allow_html") or name in ("html", "iframe") or (
                isinstance(node.func, ast.Attribute) and getattr(node.func.value, "attr", "") == "components"
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:80]}")
    assert not found, found


def _elements(node) -> Iterator:  # noqa: ANN001 - AppTest's tree nodes
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _elements(child)
    else:
        yield node


def html_flags_and_text(at: AppTest) -> tuple[list[str], str]:
    """(elements that allow HTML, all text the page sent) over the whole element tree, sidebar included."""
    allowing, texts = [], []
    for element in _elements(at._tree):
        proto = getattr(element, "proto", None)
        if proto is None:
            continue
        if "allow_html" in proto.DESCRIPTOR.fields_by_name and proto.allow_html:
            allowing.append(f"{element.type}: {str(getattr(element, 'value', ''))[:60]}")
        for field in ("body", "label", "value"):
            if field in proto.DESCRIPTOR.fields_by_name and isinstance(getattr(proto, field), str):
                texts.append(getattr(proto, field))
    return allowing, "\n".join(texts)


@pytest.fixture
def hostile_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default policy with its critical playbook replaced by hostile markdown."""
    folder = tmp_path / "policy"
    shutil.copytree(ROOT / "sample_data" / "playbooks", folder / "playbooks")
    shutil.copy(ROOT / "sample_data" / "policy.yaml", folder / "policy.yaml")
    (folder / "playbooks" / "engineering_on_call.md").write_text(HOSTILE_PLAYBOOK)
    monkeypatch.setenv("SLA_BOARD_POLICY", str(folder / "policy.yaml"))
    return folder / "policy.yaml"


def test_hostile_playbook_file_name_and_ticket_text_are_sent_as_text(hostile_policy: Path):
    at = upload(app().run(), HOSTILE_NAME, HOSTILE_TICKETS)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[StateKeys.UPLOAD].report.accepted == 2
    seen = []
    for page in ("pages/upload.py", "pages/review.py", "pages/breach_queue.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        allowing, text = html_flags_and_text(at)
        assert not allowing, f"{page} lets HTML through: {allowing}"
        seen.append(text)
    queue_text = seen[-1]
    # The two breached critical tickets follow the critical playbook: its hostile lines arrive verbatim, as text.
    assert SCRIPT in queue_text and IMG in queue_text, queue_text[:500]
    assert any("<img src=x onerror=alert(1)>" in text for text in seen)  # the file name in captions/titles
    queue_frame = at.dataframe[0].value
    assert set(queue_frame.Ticket) == {IMG, SCRIPT}  # ids are cells of a table, unchanged


def test_a_hostile_shared_link_is_shown_as_text():
    at = app()
    at.query_params.update({"tier": IMG, "team": SCRIPT})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.sidebar.warning]
    assert any("tier=" in w and "<img src=x onerror=" in w for w in warnings), warnings  # quoted back as text
    allowing, _ = html_flags_and_text(at)
    assert not allowing, allowing
