"""Roles refuse writes in the core, every write leaves an audit row, and the app is safe by default."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from sla_core import feedback
from sla_core.access import AccessError, AccessFile, Actor, exposed, load_access, local_actor
from sla_core.feedback import ActionItem, IncidentReview, SeverityValidation
from sla_core.ingest.store import audit_trail
from sla_core.simulate import scenarios as kept
from tests.conftest import ROOT

VIEWER = Actor("val@example.com", "viewer")
EDITOR = Actor("eddie@example.com", "editor")
ACCESS = """
allowed_domains: [example.com]
allowed_emails: [auditor@partner.io]
roles:
  - {match: "ada@example.com", role: admin}
  - {match: "*.lead@example.com", role: editor}
  - {match: "eddie@example.com", role: editor}
default_role: viewer
"""
AUTH = {"redirect_uri": "http://127.0.0.1:{port}/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "sla-board", "client_secret": "s", "server_metadata_url": "http://127.0.0.1:1/.well-known/x"}


def test_the_access_file_gives_roles_and_keeps_strangers_out(tmp_path: Path) -> None:
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS)
    access = load_access(path)
    assert access.role_of("Ada@Example.com") == "admin"
    assert access.role_of("sam.lead@example.com") == "editor"
    assert access.role_of("someone@example.com") == "viewer"  # the domain is allowed, no rule: default
    assert access.role_of("auditor@partner.io") == "viewer"  # listed address from another domain
    assert access.role_of("mallory@evil.test") is None
    assert access.role_of(None) is None and access.role_of("no-at-sign") is None
    assert AccessFile().role_of("anyone@anywhere.org") == "viewer"  # no file: view only
    path.write_text("roles: [{match: x, role: owner}]")
    with pytest.raises(AccessError, match=r"roles.0.role: Input should be 'viewer', 'editor' or 'admin'"):
        load_access(path)


def test_only_loopback_is_private() -> None:
    assert not exposed("127.0.0.1") and not exposed("::1") and not exposed("localhost")
    assert exposed(None) and exposed("") and exposed("0.0.0.0") and exposed("::") and exposed("10.0.0.5")


def test_make_run_serves_on_loopback_only() -> None:
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["address"] == "127.0.0.1"
    assert "streamlit run app.py" in (ROOT / "Makefile").read_text()  # make run uses that config file


def write_everything(path: Path, actor: Actor) -> None:
    feedback.save_review(IncidentReview(ticket_id="T-1", summary="Late failover", reviewed_at=date(2026, 11, 5)),
                         path, actor=actor)
    feedback.save_action_items("T-1", [ActionItem(ticket_id="T-1", description="Alert on lag", owner="eng",
                                                  deadline=date(2026, 12, 20))], path, actor=actor)
    feedback.save_validation(SeverityValidation(ticket_id="T-1", assessed_impact="high", validated_impact="critical",
                                                validated_at="2026-12-01T10:00:00Z"), path, actor=actor)
    kept.save_scenario(kept.scenario("heavy", "w.severity=0.6", "timezone: UTC", {}), path, actor=actor)


def test_a_viewer_is_refused_by_the_core_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "records.duckdb"
    for write in (
        lambda: feedback.save_review(IncidentReview(ticket_id="T-1", summary="x", reviewed_at=date(2026, 11, 5)),
                                     path, actor=VIEWER),
        lambda: feedback.save_action_items("T-1", [], path, actor=VIEWER),
        lambda: feedback.save_validation(SeverityValidation(ticket_id="T-1", assessed_impact="high",
                                                            validated_impact="low", validated_at="2026-12-01T10:00Z"),
                                         path, actor=VIEWER),
        lambda: feedback.delete_review("T-1", path, actor=VIEWER),
        lambda: kept.save_scenario(kept.scenario("s", "", "timezone: UTC", {}), path, actor=VIEWER),
    ):
        with pytest.raises(AccessError, match="val@example.com is a viewer: .* needs the editor role"):
            write()
    assert not path.exists()


def test_every_kind_of_write_leaves_an_audit_row(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "sla_core", "import", str(ROOT / "sample_data" / "tickets.csv"), "--source", "plain",
         "--db", str(store)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    write_everything(store, EDITOR)
    trail = audit_trail(store)
    assert list(trail.action)[::-1] == ["import", "incident review", "action items", "severity validation",
                                        "scenario"]
    assert trail.who.iloc[-1] == local_actor().who and trail.role.iloc[-1] == "admin"  # the CLI: the OS user
    assert set(trail.who.iloc[:-1]) == {"eddie@example.com"} and set(trail.role.iloc[:-1]) == {"editor"}
    assert "review of T-1 saved" in set(trail.what)
    with pytest.raises(AccessError):  # an editor may not import
        from sla_core.ingest.store import import_file

        import_file(ROOT / "sample_data" / "tickets.csv", db=store, actor=EDITOR)
    assert len(audit_trail(store)) == 5


def signed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: dict) -> AppTest:
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS)
    monkeypatch.setenv("SLA_BOARD_ACCESS", str(access))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = user
    return at


def test_nothing_is_shown_before_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in(tmp_path, monkeypatch, {"is_logged_in": False}).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and not at.sidebar.radio


def test_an_address_not_allowed_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in(tmp_path, monkeypatch, {"is_logged_in": True, "email": "mallory@evil.test"}).run()
    assert "mallory@evil.test is not allowed" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_a_viewer_has_no_save_buttons_and_no_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in(tmp_path, monkeypatch, {"is_logged_in": True, "email": "val@example.com"}).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric  # the Review, for a viewer
    assert any("val@example.com" in c.value and "viewer" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/feedback.py").run()
    assert not at.exception, [e.value for e in at.exception]
    keys = {b.key for b in at.button} | {b.key for b in at.get("form_submit_button")}
    assert not {"feedback_save_review", "feedback_save_items", "feedback_save_validation"} & keys
    assert "read-only" in at.info[0].value
    at.switch_page("pages/simulator.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "sim_save" not in {b.key for b in at.button}
    with pytest.raises(Exception):  # the Upload page is not among a viewer's pages
        at.switch_page("pages/upload.py").run()


def test_a_page_run_on_its_own_checks_the_role_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py's navigation is not the only door to a page (`streamlit run pages/upload.py`, Streamlit's legacy
    pages/ mode): the page refuses a role below its own."""
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS)
    monkeypatch.setenv("SLA_BOARD_ACCESS", str(access))
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "val@example.com"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.file_uploader and "Upload an export" not in [t.value for t in at.title]
    assert "for the admin role" in at.error[0].value


def test_an_editor_sees_the_save_buttons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in(tmp_path, monkeypatch, {"is_logged_in": True, "email": "eddie@example.com"}).run()
    at.switch_page("pages/feedback.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "feedback_save_review" in {b.key for b in at.get("form_submit_button")}


def test_a_server_open_to_the_network_without_sign_in_says_so() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not any("Anyone who can reach this server" in w.value for w in at.warning)
    before = st_config.get_option("server.address")  # .streamlit/config.toml's loopback
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at.run()
        assert any("Anyone who can reach this server" in w.value for w in at.warning)
    finally:
        st_config.set_option("server.address", before)  # the other tests of this process run on loopback


SECRETS_PROBE = """
import sys
from streamlit import config
from ui.access import SecretsUnreadable, sign_in_configured
config.set_option("secrets.files", [sys.argv[1]])
try:
    print("configured" if sign_in_configured() else "off")
except SecretsUnreadable:
    print("unreadable")
"""


@pytest.mark.parametrize("content, expected", [
    ('[auth]\ncookie_secret = "unclosed\n', "unreadable"),  # a typo: fail closed, never "everyone is admin"
    ('[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n', "configured"),
    (None, "off"),  # no secrets file at all: the local app, no sign-in
])
def test_a_secrets_file_that_does_not_parse_keeps_the_app_closed(tmp_path: Path, content, expected) -> None:
    secrets = tmp_path / "secrets.toml"
    if content is not None:
        secrets.write_text(content)
    done = subprocess.run([sys.executable, "-c", SECRETS_PROBE, str(secrets)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == expected, done.stderr
