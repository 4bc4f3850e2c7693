"""How fresh the store is, from sync_state: "Synced 4 min ago from Zendesk, PagerDuty", and a warning for a
source without a good run in three times its schedule (or never run). The core words, then the sidebar's draw
(ui/freshness.py) in an app run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sla_core.sync.config import load_config
from sla_core.sync.state import freshness, freshness_words
from tests.sync.helpers import run, source, write_config
from tests.sync.server import Server
from tests.sync.vendors import world

SYNCED_AT = datetime(2026, 12, 3, 10, 36, tzinfo=timezone.utc)  # the tests' now


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, Path]:
    """A store synced from Zendesk and PagerDuty at the tests' now; `jira` configured but refused (401)."""
    vendors = {t: world(t) for t in ("zendesk", "pagerduty", "jira")}
    vendors["jira"].expected_auth = {"Authorization": "Basic nobody"}
    servers = {t: Server(v) for t, v in vendors.items()}
    try:
        config = write_config(tmp_path, {
            "helpdesk": source("zendesk", servers["zendesk"].url, schedule="5m"),
            "oncall": source("pagerduty", servers["pagerduty"].url, schedule="2m", **vendors["pagerduty"].scope()),
            "servicedesk": source("jira", servers["jira"].url, schedule="10m", jql="project = SUP"),
        })
        run(tmp_path / "store.duckdb", config)
    finally:
        for server in servers.values():
            server.close()
    return tmp_path / "store.duckdb", config


def test_the_words(synced: tuple[Path, Path]) -> None:
    store, config = synced
    sources = freshness(store, load_config(config))
    assert [(s.source, s.last_ok_at) for s in sources] == [
        ("helpdesk", SYNCED_AT), ("oncall", SYNCED_AT), ("servicedesk", None)]
    # 4 minutes later: both good; Jira never had a good run, and says why
    line, warnings = freshness_words(sources, SYNCED_AT + timedelta(minutes=4))
    assert line == "Synced 4 min ago from Zendesk, PagerDuty"
    assert warnings == ["Jira (servicedesk): never synced, expected every 10 min; last error: servicedesk: the "
                        "server refused the credentials (HTTP 401 on GET /rest/api/3/myself); check JIRA_EMAIL, "
                        "JIRA_TOKEN"]
    # 7 minutes later: PagerDuty's schedule is 2 min, so 6 min without a good run is too long; Zendesk's 5 is not
    line, warnings = freshness_words(sources, SYNCED_AT + timedelta(minutes=7))
    assert line == "Synced 7 min ago from Zendesk, PagerDuty"
    assert warnings[0] == "PagerDuty (oncall): last synced 7 min ago, expected every 2 min"
    assert warnings[1].startswith("Jira (servicedesk): never synced")
    # a store no sync ever wrote, without a configuration: nothing to say
    assert freshness_words(freshness(store.with_name("none.duckdb")), SYNCED_AT) == (None, [])


def test_the_sidebar_draws_them(synced: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    store, config = synced
    monkeypatch.setenv("SLA_BOARD_SYNC", str(config))
    monkeypatch.setenv("SLA_BOARD_NOW", (SYNCED_AT + timedelta(minutes=4)).isoformat())
    at = AppTest.from_string(
        "from pathlib import Path\nfrom ui.freshness import freshness_line\n"
        f"freshness_line(Path({str(store)!r}))\n", default_timeout=60).run()
    assert not at.exception
    assert [c.value for c in at.sidebar.caption] == ["Synced 4 min ago from Zendesk, PagerDuty"]
    assert [w.value.split(";")[0] for w in at.sidebar.warning] == ["Jira (servicedesk): never synced, expected every 10 min"]
