"""Helpers for the robustness tests: the app in-process (AppTest), an upload, a page's headline numbers."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Callable

from streamlit.testing.v1 import AppTest

from tests.browser.harness import run_in_chromium  # noqa: F401 - shared with these tests
from ui.state import StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 90  # the machine is shared: an evaluation of the sample can take a while
APP_FILES = [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "pages").rglob("*.py")), ROOT / "sla_core" / "present" / "charts.py"]


def app_nodes(wanted: Callable[[ast.AST], bool]) -> list[tuple[str, Any]]:
    """("file:line", node) for every node of the app's source files that `wanted` picks: what a source check
    (no cache reads session state, every uploader names its types) walks."""
    return [(f"{path.name}:{getattr(node, 'lineno', 0)}", node)
            for path in APP_FILES for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
            if wanted(node)]


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def fresh_session() -> AppTest:
    """A new session that has run the entry script once (Review on the bundled sample), without errors."""
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    """Load `content` as this session's tickets export on the Upload page."""
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value((name, content, "text/csv")).run()
    at.button[0].click().run()
    return at
