"""Uploads are size-limited and type-checked: by extension before reading, by content while reading.

The size limit is Streamlit's `server.maxUploadSize` from .streamlit/config.toml
(the server answers 413 above it); the browser test in
test_concurrent_sessions.py checks the running uploader announces it and
refuses a file of another type with a message.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pytest

from ui.state import StateKeys

from .conftest import ROOT, app_nodes, fresh_session

DOCUMENTED_LIMIT_MB = 200  # pages/upload.py and the README promise exports of up to 200 MB
VALID = b"ticket_id,created_at,impact\nG-1,2026-11-02 10:00,high\n"


def test_the_upload_size_limit_is_set_and_streamlit_reads_it():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    limit = config["server"]["maxUploadSize"]
    assert isinstance(limit, int) and 1 <= limit <= DOCUMENTED_LIMIT_MB
    # The value Streamlit itself ends up with when started from the project folder.
    shown = subprocess.run(
        [sys.executable, "-c", "from streamlit import config; config.get_config_options(force_reparse=True); "
                               "print(config.get_option('server.maxUploadSize'))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()[-1]
    assert int(shown) == limit


def _uploader_calls() -> list[tuple[str, ast.Call]]:
    return app_nodes(lambda node: isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "file_uploader")


def test_every_uploader_names_the_file_types_it_takes():
    calls = _uploader_calls()
    assert calls, "no st.file_uploader found in the app"
    for where, call in calls:
        types = next((k.value for k in call.keywords if k.arg == "type"), None)
        assert types is not None, f"{where}: st.file_uploader without type="
        listed = ast.literal_eval(types)
        assert listed and all(t.lstrip(".") in ("csv", "parquet", "yaml", "yml") for t in listed), f"{where}: {listed}"


def test_a_file_of_another_type_is_refused_before_it_is_read():
    at = fresh_session()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("report.pdf", b"%PDF-1.7\n" + VALID, "application/pdf"))
    at.run()
    refusals = [e.value for e in at.exception]
    assert any("Invalid file extension" in r and ".pdf" in r for r in refusals), refusals
    assert StateKeys.UPLOAD not in at.session_state
    assert not [b for b in at.button if "Load" in b.label]


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("tickets.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "tickets.csv could not be loaded"),
        ("tickets.csv", bytes(range(256)) * 12, "binary file renamed .csv"),
        ("tickets.parquet", VALID, "not a readable Parquet file"),
        ("tickets.csv", b"", "empty"),
    ],
    ids=["png-named-csv", "binary-named-csv", "csv-named-parquet", "empty"],
)
def test_content_that_is_not_what_its_name_says_gets_one_clear_message(name, content, says):
    at = fresh_session()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value((name, content, "text/csv")).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and says in errors[0] and "\n" not in errors[0], errors
    # in the words of the person holding the file: no server path, temporary name or database error class
    assert "/" not in errors[0].replace(" or ", "") and "sla_board_upload" not in errors[0], errors
    assert not any(f"{kind} Error" in errors[0] for kind in ("Input", "Invalid Input", "Conversion", "IO")), errors
    assert StateKeys.UPLOAD not in at.session_state
    assert at.sidebar.radio(key=StateKeys.SOURCE).options == ["Persistent store", "Bundled sample (demo)"]
