"""`python -m sla_core notify` against a real local HTTP server that records what it receives.

Now is the tests' 2026-12-03 10:36 UTC. C-RISK (critical, created 10:10, not acknowledged) has run 26 of its
30 minutes: at risk (past 75 %). C-LATE (critical, created 09:00) ran 96 minutes: breached. H-OK (high, created
10:30 on the business calendar, Thursday) has 6 of 120 minutes: running, not queued. L-LATE is low: no target
hears of low tickets. Slack hears at_risk and breached of critical and high; PagerDuty only breached critical.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from sla_core.ingest.store import audit_trail, import_file
from sla_core.notify import notify
from sla_core.notify.http import http_post
from sla_core.now import now
from sla_core.policy import load_policy
from tests.conftest import ROOT, SAMPLE_POLICY

ROUTING_KEY = "R" * 32
TICKETS = """ticket_id,created_at,impact,segment,owner_team,acknowledged_at
C-RISK,2026-12-03T10:10:00Z,critical,self_serve,support,
C-LATE,2026-12-03T09:00:00Z,critical,enterprise,engineering,{late_ack}
H-OK,2026-12-03T10:30:00Z,high,self_serve,support,
L-LATE,2026-11-20T09:00:00Z,low,self_serve,support,
"""


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    status = {"/slack": 200, "/pagerduty": 202}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        code = self.status[self.path]
        if 200 <= code < 300:
            type(self).received.append((self.path, body))
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b'{"status":"success"}' if code == 202 else b"rollup_error")

    def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
        pass


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Recorder]]:
    monkeypatch.setenv("SLA_BOARD_NOW", "2026-12-03T10:36:00+00:00")  # the times above are worked out for it
    Recorder.received, Recorder.status = [], {"/slack": 200, "/pagerduty": 202}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{base}/slack")
    monkeypatch.setenv("PAGERDUTY_URL", f"{base}/pagerduty")
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    yield Recorder
    server.shutdown()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    data = yaml.safe_load(SAMPLE_POLICY.read_text())
    data["notify"] = [
        {"to": "slack", "url_env": "SLACK_WEBHOOK_URL", "states": ["at_risk", "breached"], "tiers": ["critical", "high"]},
        {"to": "pagerduty", "routing_key_env": "PAGERDUTY_ROUTING_KEY", "url_env": "PAGERDUTY_URL",
         "states": ["breached"], "tiers": ["critical"]},
    ]
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(data))
    (tmp_path / "playbooks").symlink_to(SAMPLE_POLICY.parent / "playbooks")
    store = tmp_path / "store.duckdb"
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS.format(late_ack=""))
    import_file(tickets, db=store, policy=policy)
    return store, policy


def sent(recorder: type[Recorder], path: str) -> list[dict]:
    return [body for p, body in recorder.received if p == path]


def test_each_turn_is_sent_once_failures_are_retried_and_a_stopped_clock_resolves(endpoints, setup, tmp_path) -> None:
    store, policy_path = setup
    policy = load_policy(policy_path)
    endpoints.status["/slack"] = 500  # Slack is down for the first run
    first = notify(store, policy, now(), send=http_post)
    assert len(first.queued) == 3 and first.delivered == 1 and len(first.failed) == 2
    assert all("HTTP 500: rollup_error" in line for line in first.failed)
    [trigger] = sent(endpoints, "/pagerduty")
    assert trigger["routing_key"] == ROUTING_KEY and trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "sla-board:C-LATE:acknowledge"
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"] == "sla-board"
    assert trigger["payload"]["summary"].startswith("SLA breached: C-LATE acknowledge (critical, enterprise, engineering)")

    endpoints.status["/slack"] = 200  # back up: the two waiting messages go out, nothing new is queued
    second = notify(store, policy, now(), send=http_post)
    assert (len(second.queued), second.delivered, second.failed, second.pending) == (0, 2, [], 0)
    texts = sorted(body["text"] for body in sent(endpoints, "/slack"))
    assert texts[0].startswith("SLA at risk: C-RISK acknowledge (critical, self_serve, support), due 2026-12-03 10:40")
    assert texts[1].startswith("SLA breached: C-LATE acknowledge")
    assert len(sent(endpoints, "/pagerduty")) == 1  # not sent twice

    third = notify(store, policy, now(), send=http_post)
    assert (len(third.queued), third.delivered) == (0, 0) and len(endpoints.received) == 3

    # C-LATE is acknowledged at last: its clock stopped, so its PagerDuty alert resolves (once).
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS.format(late_ack="2026-12-03T10:30:00Z"))
    import_file(tickets, db=store, policy=policy_path)
    fourth = notify(store, policy, now(), send=http_post)
    assert [q["action"] for q in fourth.queued] == ["resolve"] and fourth.delivered == 1
    resolve = sent(endpoints, "/pagerduty")[-1]
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "sla-board:C-LATE:acknowledge"}
    assert notify(store, policy, now(), send=http_post).delivered == 0
    deliveries = audit_trail(store)
    assert (deliveries.action == "notify delivery").sum() == 4


def test_the_command_line_sends_and_a_dry_run_sends_nothing(endpoints, setup) -> None:
    store, policy_path = setup
    command = [sys.executable, "-m", "sla_core", "notify", "--db", str(store), "--policy", str(policy_path)]
    dry = subprocess.run([*command, "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would queue 3 new messages; 0 waiting from earlier runs")
    assert "slack:SLACK_WEBHOOK_URL message C-RISK acknowledge at_risk: SLA at risk" in dry.stdout
    assert endpoints.received == []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("queued 3, delivered 3, failed 0")
    assert len(endpoints.received) == 3
    for secret in (ROUTING_KEY, "127.0.0.1"):  # neither the key nor the endpoints are ever printed
        assert secret not in done.stdout + done.stderr + dry.stdout + dry.stderr
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.stdout.startswith("queued 0, delivered 0, failed 0") and len(endpoints.received) == 3


def test_a_missing_secret_keeps_the_message_for_later(endpoints, setup, monkeypatch: pytest.MonkeyPatch) -> None:
    store, policy_path = setup
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY")
    report = notify(store, load_policy(policy_path), now(), send=http_post)
    assert report.failed == ["pagerduty:PAGERDUTY_ROUTING_KEY trigger C-LATE acknowledge breached: "
                             "environment variable PAGERDUTY_ROUTING_KEY is not set"]
    assert report.pending == 1 and len(sent(endpoints, "/slack")) == 2


def test_a_resolve_never_overtakes_its_failed_trigger(endpoints, setup, tmp_path) -> None:
    store, policy_path = setup
    policy = load_policy(policy_path)
    endpoints.status["/pagerduty"] = 429  # PagerDuty throttles: the trigger of C-LATE waits
    assert len(notify(store, policy, now(), send=http_post).failed) == 1
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS.format(late_ack="2026-12-03T10:30:00Z"))  # C-LATE stops meanwhile
    import_file(tickets, db=store, policy=policy_path)
    endpoints.status["/pagerduty"] = 202
    second = notify(store, policy, now(), send=http_post)
    assert [q["action"] for q in second.queued] == ["resolve"]
    actions = [body["event_action"] for body in sent(endpoints, "/pagerduty")]
    assert actions == ["trigger", "resolve"]  # in that order, so the incident it opened is closed


def test_two_targets_on_one_webhook_send_one_message_and_a_bad_url_stays_secret(
    endpoints, setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, policy_path = setup
    data = yaml.safe_load(policy_path.read_text())
    data["notify"].append({"to": "slack", "url_env": "SLACK_WEBHOOK_URL", "states": ["breached"], "tiers": ["critical"]})
    policy_path.write_text(yaml.safe_dump(data))
    policy = load_policy(policy_path)
    first = notify(store, policy, now(), send=http_post)
    assert len(sent(endpoints, "/slack")) == 2 and first.failed == []  # C-LATE's breach once, not twice
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "hooks.example.invalid/services/T0/B0/SECRET-TOKEN")  # no scheme
    monkeypatch.setenv("SLA_BOARD_NOW", "2026-12-03T10:45:00+00:00")  # C-RISK has breached by now
    later = notify(store, policy, now(), send=http_post)
    assert len(later.failed) == 1 and "SECRET" not in " ".join(later.lines(False))
    assert later.failed[0].endswith("ValueError (the endpoint could not be reached)")
