"""notify's weekly digest against a local HTTP server: one message per channel and ISO week, exactly once.

The sample policy's timezone is Europe/London (GMT in December, so local = UTC); reviews of critical incidents are
due 5 days after the resolution. The first runs are on Wed 9 Dec 2026 10:00, in week 2026-W50 (Mon 7 – Sun 13
Dec); its digest names last week's (2026-W49, Mon 30 Nov – Sun 6 Dec) resolved incidents.

  D1 critical, resolved Tue 1 Dec 12:00 (W49), review due Sun 6 Dec 12:00: no review, overdue.
  D2 critical, resolved Fri 4 Dec 18:00 (W49), review due Wed 9 Dec 18:00: no review yet, not overdue at 10:00.
  D3 critical, resolved Sat 5 Dec 10:00 (W49): reviewed.
  D4 critical, resolved Mon 7 Dec 10:00 (W50): not last week's; next week's digest names it.
  D5 high, resolved Thu 3 Dec: high needs no review under this policy.
  D6 critical, resolved Mon 23 Nov 10:00 (W48), review due Sat 28 Nov: no review, overdue.
  R1 critical, created 09:00 on the 9th, a plan at 09:40, never acknowledged: a breached acknowledge clock (the
     clock target hears of it, the digest channel does not).

D3's action items: No. 1 "Add replica lag alert" (dba, Fri 4 Dec: overdue), No. 2 "Write <!channel> runbook &
share" (support, Fri 11 Dec: due this week; its markup must reach Slack escaped), No. 3 "Later" (dba, Sun 20 Dec:
not due this week).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.feedback import ActionItem, IncidentReview
from sla_core.ingest.store import audit_trail, import_file
from sla_core.notify import notify
from sla_core.notify.http import http_post
from sla_core.now import now
from sla_core.policy import load_policy
from tests.conftest import ROOT, SAMPLE_POLICY

TICKETS = """ticket_id,created_at,impact,segment,owner_team,acknowledged_at,action_plan_at,resolved_at
D1,2026-12-01T09:00:00Z,critical,enterprise,engineering,2026-12-01T09:10:00Z,2026-12-01T10:00:00Z,2026-12-01T12:00:00Z
D2,2026-12-04T09:00:00Z,critical,self_serve,engineering,2026-12-04T09:10:00Z,2026-12-04T10:00:00Z,2026-12-04T18:00:00Z
D3,2026-12-05T08:00:00Z,critical,enterprise,support,2026-12-05T08:10:00Z,2026-12-05T09:00:00Z,2026-12-05T10:00:00Z
D4,2026-12-07T08:00:00Z,critical,enterprise,engineering,2026-12-07T08:10:00Z,2026-12-07T09:00:00Z,2026-12-07T10:00:00Z
D5,2026-12-03T08:00:00Z,high,enterprise,engineering,2026-12-03T09:00:00Z,2026-12-03T10:00:00Z,2026-12-03T12:00:00Z
D6,2026-11-23T08:00:00Z,critical,enterprise,engineering,2026-11-23T08:10:00Z,2026-11-23T09:00:00Z,2026-11-23T10:00:00Z
R1,2026-12-09T09:00:00Z,critical,enterprise,engineering,,2026-12-09T09:40:00Z,
"""


class Channels(BaseHTTPRequestHandler):
    """Two Slack webhooks: /clocks for the clock target, /reviews for the weekly digest."""

    received: list[tuple[str, dict]] = []
    status = {"/clocks": 200, "/reviews": 200}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        code = self.status[self.path]
        if code == 200:
            type(self).received.append((self.path, body))
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"channel_is_archived")

    def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
        pass


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Channels]]:
    monkeypatch.setenv("SLA_BOARD_NOW", "2026-12-09T10:00:00+00:00")
    Channels.received, Channels.status = [], {"/clocks": 200, "/reviews": 200}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Channels)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{base}/clocks")
    monkeypatch.setenv("SLACK_REVIEWS_WEBHOOK_URL", f"{base}/reviews")
    yield Channels
    server.shutdown()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    data = yaml.safe_load(SAMPLE_POLICY.read_text())
    data["notify"] = [
        {"to": "slack", "url_env": "SLACK_WEBHOOK_URL", "states": ["breached"], "tiers": ["critical"]},
        {"to": "slack", "url_env": "SLACK_REVIEWS_WEBHOOK_URL", "digest": "weekly"},
        {"to": "slack", "url_env": "SLACK_REVIEWS_WEBHOOK_URL", "digest": "weekly"},  # the same channel twice
    ]
    data["post_mortem"] = {"tiers": ["critical"], "due_within": "5d"}
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(data))
    (tmp_path / "playbooks").symlink_to(SAMPLE_POLICY.parent / "playbooks")
    store = tmp_path / "store.duckdb"
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(TICKETS)
    import_file(tickets, db=store, policy=policy)
    feedback.save_review(IncidentReview(ticket_id="D3", summary="Failover was slow", reviewed_at=date(2026, 12, 7)),
                         store, actor=local_actor())
    feedback.save_action_items("D3", [
        ActionItem(ticket_id="D3", description="Add replica lag alert", owner="dba", deadline=date(2026, 12, 4)),
        ActionItem(ticket_id="D3", description="Write <!channel> runbook & share", owner="support",
                   deadline=date(2026, 12, 11)),
        ActionItem(ticket_id="D3", description="Later", owner="dba", deadline=date(2026, 12, 20)),
    ], store, actor=local_actor())
    return store, policy


def digests(channels: type[Channels]) -> list[str]:
    return [body["text"] for path, body in channels.received if path == "/reviews"]


W50 = """*Post-incident digest, week 2026-W50, Mon 7 Dec – Sun 13 Dec (Europe/London)*
*Resolved in 2026-W49, Mon 30 Nov – Sun 6 Dec and needing a review* (due 5 d after the resolution): 3
• D1 (critical · enterprise · engineering): resolved Tue 1 Dec 12:00, review due Sun 6 Dec 12:00: overdue, no review
• D2 (critical · self_serve · engineering): resolved Fri 4 Dec 18:00, review due Wed 9 Dec 18:00: no review yet
• D3 (critical · enterprise · support): resolved Sat 5 Dec 10:00, review due Thu 10 Dec 10:00: reviewed
*Reviews overdue*: 2
• D6 (critical · enterprise · engineering): resolved Mon 23 Nov 10:00, review due Sat 28 Nov 10:00
• D1 (critical · enterprise · engineering): resolved Tue 1 Dec 12:00, review due Sun 6 Dec 12:00
*Action items due by Sun 13 Dec or overdue, by owner*: 2
*dba* (1, 1 overdue)
• No. 1 Add replica lag alert (D3): due Fri 4 Dec, overdue
*support* (1)
• No. 2 Write &lt;!channel&gt; runbook &amp; share (D3): due Fri 11 Dec"""


def test_one_digest_a_week_per_channel_retried_until_sent_then_the_next_week(channels, setup, monkeypatch) -> None:
    store, policy_path = setup
    policy = load_policy(policy_path)
    channels.status["/reviews"] = 500  # the reviews channel refuses the first run's digest
    first = notify(store, policy, now(), send=http_post)
    assert sorted((q["action"], q["ticket_id"]) for q in first.queued) == [("digest", "2026-W50"), ("message", "R1")]
    assert first.delivered == 1 and first.failed == [
        "slack:SLACK_REVIEWS_WEBHOOK_URL:weekly digest 2026-W50: HTTP 500: channel_is_archived"]
    assert [path for path, _ in channels.received] == ["/clocks"]  # the clock message, never the digest channel

    channels.status["/reviews"] = 200  # back: the next run sends the waiting digest, queues nothing new
    second = notify(store, policy, now(), send=http_post)
    assert (len(second.queued), second.delivered, second.failed, second.pending) == (0, 1, [], 0)
    assert digests(channels) == [W50]  # once, though two targets name the channel

    monkeypatch.setenv("SLA_BOARD_NOW", "2026-12-13T23:59:00+00:00")  # the week's last minute: nothing again
    third = notify(store, load_policy(policy_path), now(), send=http_post)
    assert (third.queued, third.delivered) == ([], 0) and len(digests(channels)) == 1

    # The next week (2026-W51, Mon 14 Dec 00:01): D1 has been reviewed meanwhile, D2's review fell due on the 9th,
    # and D4 (resolved Mon 7 Dec) is last week's.
    feedback.save_review(IncidentReview(ticket_id="D1", summary="late", reviewed_at=date(2026, 12, 10)), store,
                         actor=local_actor())
    monkeypatch.setenv("SLA_BOARD_NOW", "2026-12-14T00:01:00+00:00")
    fourth = notify(store, load_policy(policy_path), now(), send=http_post)
    assert [(q["action"], q["ticket_id"]) for q in fourth.queued] == [("digest", "2026-W51")]
    assert fourth.delivered == 1
    text = digests(channels)[-1]
    assert text.startswith("*Post-incident digest, week 2026-W51, Mon 14 Dec – Sun 20 Dec (Europe/London)*")
    assert ("*Resolved in 2026-W50, Mon 7 Dec – Sun 13 Dec and needing a review* (due 5 d after the resolution): 1\n"
            "• D4 (critical · enterprise · engineering): resolved Mon 7 Dec 10:00, review due Sat 12 Dec 10:00: "
            "overdue, no review") in text
    assert "*Reviews overdue*: 3\n• D6 " in text and "\n• D2 " in text and "\n• D4 " in text and "• D1" not in text
    # No. 2 (11 Dec) is overdue now, No. 3 (20 Dec) falls due this week: dba's two, support's one.
    assert "*dba* (2, 1 overdue)\n• No. 1 Add replica lag alert (D3): due Fri 4 Dec, overdue\n" in text
    assert "• No. 3 Later (D3): due Sun 20 Dec" in text
    assert notify(store, load_policy(policy_path), now(), send=http_post).queued == []
    assert len(digests(channels)) == 2
    delivered = audit_trail(store)
    assert (delivered.action == "notify delivery").sum() == 3  # R1's breach and two digests


def test_a_dry_run_prints_the_digest_and_sends_nothing(channels, setup) -> None:
    store, policy_path = setup
    command = [sys.executable, "-m", "sla_core", "notify", "--db", str(store), "--policy", str(policy_path)]
    dry = subprocess.run([*command, "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would queue 2 new messages; 0 waiting from earlier runs")
    assert ("  slack:SLACK_REVIEWS_WEBHOOK_URL:weekly digest 2026-W50: weekly digest 2026-W50: 3 resolved last "
            "week, 2 reviews overdue, 2 action items\n") in dry.stdout
    assert "\n".join(f"    {line}" for line in W50.splitlines()) in dry.stdout
    assert channels.received == [] and "127.0.0.1" not in dry.stdout + dry.stderr
    sent = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert sent.stdout.startswith("queued 2, delivered 2, failed 0") and digests(channels) == [W50]
