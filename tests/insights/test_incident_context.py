"""An incident's context (the deploys to its services and their other signals before it began) and the share of
incidents a deploy preceded per month, worked by hand.

November 2026 (London on GMT, so local = UTC); as_of 1 Dec 00:00; the policy's context_window is 4h.

  Incident 4711 (critical): ticket P1 (enterprise, created 2 Nov 10:00) quotes incident_ref 4711; PagerDuty's
    PD1 (incident 4711, service `checkout`) fired 09:50 and knows the problem began 09:30; Datadog's DD1 (incident
    4711, service `payments`) fired 09:25. Services {checkout, payments}; began 09:30 (the earliest start known);
    window [05:30, 09:30], both ends in.
      deploys  G1 checkout 09:30   in: at the very start (lead 0)
               G2 "Checkout " 08:00 in: the same service, case and spaces aside (lead 1 h 30)
               A1 payments 07:00   in: its other service, another tool (lead 2 h 30)
               G3 checkout 05:30   in: exactly 4 h before (lead 4 h)
               G4 checkout 05:29   out: 4 h 01 before
               G5 checkout 09:31   out: after it began
               G6 search 08:00     out: not its service
      signals  W1 checkout 08:30   in (lead 1 h)
               W2 search 08:30     out: not its service
               W3 payments 05:00   out: 4 h 30 before
               DD1 payments 09:25  out: the incident's own signal, not its context
    -> 4 deploys (latest G1 09:30), 1 signal.
  Incident SE7 (high): ticket Q1 (self_serve, started 10 Nov 11:00, created 12:00) is named by Sentry's SE7
    (service `sync`), which fired 12:30. Began 11:00; window [07:00, 11:00].
      deploys  S1 sync 06:59 out (too early), S2 sync 11:05 out (after)      -> 0 deploys
      signals  W4 sync 10:00 in (lead 1 h)                                     -> 1 signal
  Incident "ticket R1" (critical, self_serve, customer, created 20 Nov 10:00, no reference, no start): an
    incident by itself; no signal, so no service: the deploy G7 of checkout at 09:00 cannot be matched to it.
  October: OG1 (Opsgenie, service `checkout`, fired 20 Oct 03:00, no ticket, no severity): an incident monitoring
    alone saw; deploy O1 checkout 20 Oct 01:00 is 2 h before it.
  W1-W4 are low-severity warnings no ticket links to: each is an incident of tier low, which the detection
  figures leave out (they count critical and high, and incidents of no tier), so they are context only.

Per month of detection: October 1 incident, 1 naming a service, 1 preceded: 100 %. November 3 incidents (4711,
SE7, ticket R1), 2 naming a service, 1 preceded (4711): 50 %.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sla_core.analysis import context
from sla_core.analysis.coverage import coverage
from sla_core.analysis.filters import Filters
from sla_core.columns import DEPLOY_COLUMNS, SIGNAL_COLUMNS
from sla_core.sources import DataSource
from tests.conftest import make_policy
from tests.insights.conftest import build_source, utc

NOV = Filters(period="2026-11")
AS_OF = datetime(2026, 12, 1, tzinfo=timezone.utc)

TICKETS: list[dict[str, Any]] = [
    dict(ticket_id="P1", impact="critical", segment="enterprise", source="customer", incident_ref="4711",
         created_at=utc("2026-11-02 10:00"), acknowledged_at=utc("2026-11-02 10:05"),
         resolved_at=utc("2026-11-02 14:00")),
    dict(ticket_id="Q1", impact="high", segment="self_serve", source="customer", started_at=utc("2026-11-10 11:00"),
         created_at=utc("2026-11-10 12:00")),
    dict(ticket_id="R1", impact="critical", segment="self_serve", source="customer",
         created_at=utc("2026-11-20 10:00")),
]
SIGNALS: list[dict[str, Any]] = [
    dict(signal_id="PD1", source="pagerduty", detected_at=utc("2026-11-02 09:50"), started_at=utc("2026-11-02 09:30"),
         incident_ref="4711", service="checkout", severity="high"),
    dict(signal_id="DD1", source="datadog", detected_at=utc("2026-11-02 09:25"), incident_ref="4711",
         service="payments"),
    dict(signal_id="SE7", source="sentry", detected_at=utc("2026-11-10 12:30"), ticket_id="Q1", service="sync"),
    dict(signal_id="OG1", source="opsgenie", detected_at=utc("2026-10-20 03:00"), service="checkout"),
    *[dict(signal_id=sid, source="datadog", detected_at=utc(at), service=service, title=f"{service}: errors",
           severity="low")
      for sid, service, at in (("W1", "checkout", "2026-11-02 08:30"), ("W2", "search", "2026-11-02 08:30"),
                               ("W3", "payments", "2026-11-02 05:00"), ("W4", "sync", "2026-11-10 10:00"))],
]
DEPLOYS: list[tuple[str, str, str, str, str]] = [  # deploy_id, service, deployed_at, version, tool
    ("G1", "checkout", "2026-11-02 09:30", "4.2.0", "github"), ("G2", "Checkout ", "2026-11-02 08:00", "4.1.9", "github"),
    ("A1", "payments", "2026-11-02 07:00", "7.0.1", "argocd"), ("G3", "checkout", "2026-11-02 05:30", "4.1.8", "github"),
    ("G4", "checkout", "2026-11-02 05:29", "4.1.7", "github"), ("G5", "checkout", "2026-11-02 09:31", "4.2.1", "github"),
    ("G6", "search", "2026-11-02 08:00", "2.0.0", "github"), ("S1", "sync", "2026-11-10 06:59", "1.0.0", "argocd"),
    ("S2", "sync", "2026-11-10 11:05", "1.0.1", "argocd"), ("G7", "checkout", "2026-11-20 09:00", "4.3.0", "github"),
    ("O1", "checkout", "2026-10-20 01:00", "4.0.0", "github"),
]


def with_context(src: DataSource) -> DataSource:
    cols = list(SIGNAL_COLUMNS)
    for row in SIGNALS:
        src.con.execute(f"INSERT INTO signals VALUES ({', '.join('?' for _ in cols)})", [row.get(c) for c in cols])
    src.con.executemany(f"INSERT INTO deploys ({', '.join(DEPLOY_COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                        [(d, service, utc(at), version, tool) for d, service, at, version, tool in DEPLOYS])
    return src


@pytest.fixture(scope="module")
def source() -> DataSource:
    return with_context(build_source(TICKETS, [], make_policy(context_window="4h"), as_of=AS_OF))


def test_each_incident_counts_the_deploys_and_signals_of_its_services_in_its_window(source: DataSource) -> None:
    got = context.incidents_in_context(source, NOV)
    # the latest to begin first: R1 (20 Nov), SE7 (10 Nov), 4711 (2 Nov)
    assert list(got["incident"]) == ["ticket R1", "SE7", "4711"]
    rows = got.set_index("incident")
    assert rows.loc["4711", ["deploys_before", "signals_before"]].tolist() == [4, 1]
    assert rows.loc["4711", "last_deploy"] == pd.Timestamp("2026-11-02 09:30")
    assert rows.loc["4711", "began"] == pd.Timestamp("2026-11-02 09:30")  # PD1's start, not a detection
    assert rows.loc["SE7", ["deploys_before", "signals_before"]].tolist() == [0, 1]
    assert rows.loc["SE7", "began"] == pd.Timestamp("2026-11-10 11:00")  # Q1's start
    assert rows.loc["ticket R1", ["deploys_before", "signals_before"]].tolist() == [0, 0]
    assert rows.loc["ticket R1", "began"] == pd.Timestamp("2026-11-20 10:00")  # no start: its detection
    assert pd.isna(rows.loc["ticket R1", "services"])


def test_the_context_lists_what_came_before_latest_first_with_how_long_before(source: DataSource) -> None:
    found = context.incident_context(source, NOV, "4711")
    assert found is not None
    assert (found.began, found.window_seconds, found.services) == (
        datetime(2026, 11, 2, 9, 30), 4 * 3600, ("checkout", "payments"))
    assert list(found.deploys["deploy_id"]) == ["G1", "G2", "A1", "G3"]
    assert list(found.deploys["lead_minutes"]) == [0, 90, 150, 240]
    assert list(found.deploys["tool"]) == ["github", "github", "argocd", "github"]
    assert list(found.signals["signal_id"]) == ["W1"] and list(found.signals["lead_minutes"]) == [60]
    quiet = context.incident_context(source, NOV, "SE7")
    assert quiet is not None and quiet.deploys.empty and list(quiet.signals["signal_id"]) == ["W4"]
    alone = context.incident_context(source, NOV, "ticket R1")
    assert alone is not None and alone.services == () and alone.deploys.empty and alone.signals.empty
    # an incident the filters do not keep has no context to show: OG1 is October's, 4711 is no self_serve one
    assert context.incident_context(source, NOV, "OG1") is None
    assert context.incident_context(source, NOV.model_copy(update={"segment": "self_serve"}), "4711") is None


def test_the_share_preceded_by_a_deploy_per_month(source: DataSource) -> None:
    got = context.deploy_share(source, NOV)
    assert got.to_dict("records") == [
        {"month": "2026-10", "incidents": 1, "naming_service": 1, "after_deploy": 1, "share_after_deploy": 1.0},
        {"month": "2026-11", "incidents": 3, "naming_service": 2, "after_deploy": 1, "share_after_deploy": 0.5},
    ]
    # the filters narrow it as they narrow the detection table: enterprise keeps 4711 alone (OG1 has no ticket)
    enterprise = context.deploy_share(source, NOV.model_copy(update={"segment": "enterprise"}))
    assert enterprise[["month", "incidents", "after_deploy"]].values.tolist() == [["2026-11", 1, 1]]


def test_a_shorter_window_keeps_fewer_deploys() -> None:
    # 1 h back from 09:30: G1 (09:30) only; W1 (08:30) is exactly 1 h before: in
    src = with_context(build_source(TICKETS, [], make_policy(context_window="1h"), as_of=AS_OF))
    found = context.incident_context(src, NOV, "4711")
    assert found is not None
    assert list(found.deploys["deploy_id"]) == ["G1"] and list(found.signals["signal_id"]) == ["W1"]


def test_the_data_says_when_it_cannot_tell() -> None:
    src = with_context(build_source(TICKETS, [], make_policy(context_window="4h"), as_of=AS_OF))
    need = {c.figure: c for c in coverage(src)}["Deploys before incidents"]
    # P1 (via 4711) and Q1 (named by SE7) have a signal naming a service; R1 has none: 2 of the 3 incident tickets
    assert (need.status, need.tickets, need.holding) == ("partly", 3, 2)
    src.con.execute("DELETE FROM deploys")
    assert {c.figure: c for c in coverage(src)}["Deploys before incidents"].status == "absent"


def test_beyond_the_timers_lets_a_person_pick_an_incident_and_see_its_context(source: DataSource, tmp_path: Path) -> None:
    from tests.insights.test_pages import page, table_with

    at = page("insights.py", source, NOV, records=tmp_path / "records.duckdb")
    assert not at.exception, [e.value for e in at.exception]
    shares = table_with(at, "Month", "Preceded by a deploy", "Share preceded by a deploy")
    assert list(shares["Month"]) == ["2026-10", "2026-11"]
    picker = at.selectbox(key="insights_context_incident")
    assert picker.value == "4711"  # the latest incident a deploy preceded
    assert "4 deploys, 1 signal before" in picker.format_func("4711")
    deploys = table_with(at, "Deploy", "Before it began")
    assert list(deploys["Deploy"]) == ["G1", "G2", "A1", "G3"]
    assert list(deploys["Before it began"]) == ["0 m", "1 h 30 m", "2 h 30 m", "4 h"]
    assert list(table_with(at, "Signal", "Severity")["Signal"]) == ["W1"]
    at = picker.set_value("ticket R1").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("name no service" in info.value for info in at.info)
