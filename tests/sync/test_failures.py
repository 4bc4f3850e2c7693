"""When a source cannot go on: refused credentials, a server that keeps failing, a rate limit past the bound, a
missing variable. Each stops that source alone, with what it committed kept and one line naming the source
(and the variable, never its value); the others go on and the command exits 1. A bad sync.yaml is one line
naming the key; --dry-run writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sla_core.sync.config import SyncConfigError, load_config
from tests.conftest import ROOT
from tests.sync.helpers import SECRETS, audit, run, source, tickets, whole_store_text, write_config
from tests.sync.server import Server
from tests.sync.vendors import world


@pytest.fixture
def two_tools():
    zendesk, pagerduty = world("zendesk"), world("pagerduty")
    servers = Server(zendesk), Server(pagerduty)
    yield (zendesk, servers[0]), (pagerduty, servers[1])
    for server in servers:
        server.close()


def test_refused_credentials_stop_that_source_alone(two_tools, tmp_path: Path) -> None:
    (_, zd_server), (pd, pd_server) = two_tools
    config = write_config(tmp_path, {"helpdesk": source("zendesk", zd_server.url),
                                     "oncall": source("pagerduty", pd_server.url, **pd.scope())})
    store = tmp_path / "store.duckdb"
    env = {**os.environ, **SECRETS, "ZD_TOKEN": "a-revoked-token-value", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "sla_core", "sync", "--db", str(store), "--config", str(config)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    helpdesk, oncall = done.stdout.splitlines()[:2]
    assert helpdesk.startswith("helpdesk (zendesk): FAILED: helpdesk: the server refused the credentials (HTTP 401")
    assert "check ZD_EMAIL, ZD_TOKEN" in helpdesk
    assert oncall.startswith("oncall (pagerduty): fetched 8, accepted 8, rejected 0; 7 new")
    for text in (done.stdout, done.stderr, whole_store_text(store)):
        assert "a-revoked-token-value" not in text and not [s for s in SECRETS.values() if s in text]
    con = duckdb.connect(str(store), read_only=True)
    try:
        state = dict(con.execute("SELECT source, last_ok_at IS NULL AND last_error LIKE '%HTTP 401%' "
                                 "FROM sync_state").fetchall())
    finally:
        con.close()
    assert state == {"helpdesk": True, "oncall": False}
    assert ("sync", f"sync {helpdesk}") in audit(store)


def test_a_server_that_keeps_failing_stops_the_source_and_keeps_its_pages(tmp_path: Path) -> None:
    vendor = world("zendesk")
    for attempt in range(4):  # page 2 fails every time: the first try and the 3 retries
        vendor.fail(vendor.listing, 503, after=1 + attempt)
    server = Server(vendor)
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        store = tmp_path / "store.duckdb"
        report, waits = run(store, config)
        failed = report.sources[0]
        assert failed.error == ("helpdesk: GET /api/v2/incremental/tickets/cursor.json: server error HTTP 503, "
                                "after 4 attempts")
        assert waits == [0.01, 0.02, 0.04]
        assert (failed.new, len(tickets(store)["tickets"])) == (2, 2)  # page 1 kept
        report, _ = run(store, config)  # the next run goes on from page 2
    finally:
        server.close()
    assert not report.sources[0].error and report.sources[0].new == 5
    assert len(tickets(store)["tickets"]) == 7


def test_a_retry_after_longer_than_the_bound_stops_the_source(tmp_path: Path) -> None:
    vendor = world("zendesk")
    vendor.fail(vendor.listing, 429, {"Retry-After": "600"})
    server = Server(vendor)
    try:
        report, waits = run(tmp_path / "store.duckdb",
                            write_config(tmp_path, {"helpdesk": source("zendesk", server.url)}))
    finally:
        server.close()
    assert report.sources[0].error == ("helpdesk: GET /api/v2/incremental/tickets/cursor.json: rate limited; the "
                                       "server asks to wait 600 s, longer than retry_after_max (5 s)")
    assert waits == []


def test_a_missing_variable_is_named(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"helpdesk": source("zendesk", "http://127.0.0.1:9")})
    env = {k: v for k, v in SECRETS.items() if k != "ZD_TOKEN"}
    report, _ = run(tmp_path / "store.duckdb", config, env=env)
    assert report.sources[0].error == "helpdesk: the environment variable ZD_TOKEN (token) is not set"


@pytest.mark.parametrize(("change", "message"), [
    ({"sources": {"a": {"tool": "zendesk", "base_url": "https://x.zendesk.com", "brand": "main",
                        "credentials": {"email": "E", "token": "T"}}}},
     "sources.a.brand: Input should be a valid integer, unable to parse string as an integer"),
    ({"sources": {"a": {"tool": "zendsk", "base_url": "https://x"}}},
     "sources.a.tool: one of zendesk, jira, servicenow, pagerduty, freshdesk, intercom, opsgenie, sentry, datadog"),
    ({"sources": {"a": {"tool": "jira", "base_url": "https://x", "credentials": {"email": "E", "token": "T"}}}},
     "sources.a.jql: required key is missing"),
    ({"sources": {"a": {"tool": "pagerduty", "base_url": "https://x", "credentials": {"token": "u+Zq8s9/secret=="}}}},
     "sources.a.credentials: token: name the environment variable that holds it (such as ZENDESK_API_TOKEN), "
     "never the secret itself"),
    ({"sources": {"a": {"tool": "pagerduty", "base_url": "https://x", "credentials": {"token": "T"}}},
      "retry_after_max": "soon"},
     "retry_after_max: 'soon' is not a duration such as 30s, 5m or 2h"),
    ({"sources": {"a": {"tool": "datadog", "base_url": "https://x", "credentials": {"api_key": "K"}}}},
     "sources.a: credentials: datadog needs api_key, app_key (each an environment variable name); app_key missing"),
    ({"sources": {"a": {"tool": "sentry", "base_url": "https://x", "organization": "o",
                        "credentials": {"token": "T"}, "colour": "red"}}},
     "sources.a.colour: unknown key"),
])
def test_a_bad_file_is_one_line_naming_the_key(change: dict, message: str, tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "sync.yaml"
    path.write_text(yaml.safe_dump(change), encoding="utf-8")
    with pytest.raises(SyncConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {message}"
    assert "u+Zq8s9" not in str(caught.value)


def test_the_command_says_a_bad_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "sync.yaml").write_text("sources: {a: {tool: jira}}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sla_core", "sync", "--db", str(tmp_path / "s.duckdb")],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: sync.yaml: sources.a.base_url: required key is missing"]
    assert not (tmp_path / "s.duckdb").exists()


def test_a_dry_run_fetches_and_writes_nothing(tmp_path: Path) -> None:
    vendor = world("zendesk")
    server = Server(vendor)
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        report, _ = run(tmp_path / "store.duckdb", config, dry_run=True)
        with pytest.raises(SyncConfigError, match="--only nobody: no such source"):
            run(tmp_path / "store.duckdb", config, only=["nobody"])
    finally:
        server.close()
    assert (report.sources[0].fetched, report.sources[0].accepted) == (7, 7)
    assert report.sources[0].cursor and report.lines()[-1] == "dry run: nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sync.yaml"]  # no store, no lock file
