"""Incidents from tickets and monitoring signals, time to detect, and the NPS / CSAT cohorts, worked by hand.

November 2026 (London on GMT, so local = UTC); as_of 1 Dec 00:00.

  Incident 4711 (critical): tickets P1 (critical, enterprise, acme, created 2 Nov 10:00, resolved 14:00)
    and P2 (high, self_serve, globex, created 10:20, resolved 15:00) quote incident_ref 4711; PagerDuty
    signal PD1 (incident 4711) fired 09:50; Datadog signal DD9 (incident 4711) fired 09:55 and knows the
    impact began 09:30. Monitoring 09:50 <= the first ticket 10:00: monitoring first; detected 09:50,
    started 09:30: 20 minutes; resolved 15:00 (its last ticket).
  Incident SE7 (high): ticket Q1 (self_serve, started 10 Nov 11:00, created 12:00) is named by Sentry's
    SE7 (ticket_id Q1), which fired only at 12:30: customer first, 60 minutes.
  Incident OG1: an Opsgenie alert on 20 Nov 03:00 no ticket links to, no start, no severity: monitoring
    first, untimed.
  R1 (medium, no reference, no start, no source) is no incident; OLD (an October alert) is another month.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from sla_core.analysis import incidents
from sla_core.analysis.filters import Filters
from sla_core.columns import SIGNAL_COLUMNS
from sla_core.policy import load_policy
from sla_core.sources import DataSource, sample_source
from sla_core.vocab import DEFAULT_POLICY
from tests.insights.conftest import build_source, utc

NOV = Filters(period="2026-11")

TICKETS: list[dict[str, Any]] = [
    dict(ticket_id="P1", impact="critical", segment="enterprise", source="customer", account="acme",
         incident_ref="4711", created_at=utc("2026-11-02 10:00"), acknowledged_at=utc("2026-11-02 10:05"),
         resolved_at=utc("2026-11-02 14:00")),
    dict(ticket_id="P2", impact="high", segment="self_serve", source="customer", account="globex",
         incident_ref="4711", created_at=utc("2026-11-02 10:20"), resolved_at=utc("2026-11-02 15:00")),
    dict(ticket_id="Q1", impact="high", segment="self_serve", source="customer", account="initech",
         started_at=utc("2026-11-10 11:00"), created_at=utc("2026-11-10 12:00")),
    dict(ticket_id="R1", impact="medium", segment="enterprise", account="acme", created_at=utc("2026-11-12 09:00")),
]
SIGNALS: list[dict[str, Any]] = [
    dict(signal_id="PD1", source="pagerduty", detected_at=utc("2026-11-02 09:50"), incident_ref="4711",
         service="checkout", title="checkout 5xx", severity="high", resolved_at=utc("2026-11-02 15:00")),
    dict(signal_id="DD9", source="datadog", detected_at=utc("2026-11-02 09:55"), started_at=utc("2026-11-02 09:30"),
         incident_ref="4711", service="checkout"),
    dict(signal_id="SE7", source="sentry", detected_at=utc("2026-11-10 12:30"), ticket_id="Q1", service="sync"),
    dict(signal_id="OG1", source="opsgenie", detected_at=utc("2026-11-20 03:00")),
    dict(signal_id="OLD", source="opsgenie", detected_at=utc("2026-10-20 03:00")),
]


def answers() -> list[tuple[str, datetime, str, int]]:
    """Survey answers around incident 4711 (started 2 Nov 09:30, resolved 15:00; accounts acme, globex)."""
    before, after = utc("2026-10-20 12:00"), utc("2026-11-10 12:00")
    rows = []
    for n, (account, score) in enumerate([("acme", 10), ("acme", 9), ("acme", 8), ("globex", 9), ("globex", 10)]):
        rows.append((account, before + timedelta(hours=n), "nps", score))  # 4 promoters, 1 passive: NPS 80
    for n, (account, score) in enumerate([("acme", 3), ("acme", 5), ("globex", 6), ("globex", 9), ("acme", 2)]):
        rows.append((account, after + timedelta(hours=n), "nps", score))  # 1 promoter, 4 detractors: NPS -60
    for n, score in enumerate([10, 10, 7, 7, 0]):
        rows.append(("initech", before + timedelta(hours=n), "nps", score))  # 2 promoters, 1 detractor: 20
    for n in range(5):
        rows.append(("initech", after + timedelta(hours=n), "nps", 9))  # all promoters: 100
    for n, score in enumerate([5, 5, 4, 4, 5]):
        rows.append(("acme", before + timedelta(days=1, hours=n), "csat", score))  # mean 4.6
    for n, score in enumerate([2, 2, 3, 3, 2]):
        rows.append(("globex", after + timedelta(days=1, hours=n), "csat", score))  # mean 2.4
    rows.append(("acme", utc("2026-09-01 12:00"), "nps", 0))  # outside both windows
    return rows


@pytest.fixture(scope="module")
def source(make_source: Callable[..., DataSource]) -> DataSource:
    src = make_source(TICKETS, [], as_of=datetime(2026, 12, 1, tzinfo=timezone.utc))
    cols = list(SIGNAL_COLUMNS)
    for row in SIGNALS:
        src.con.execute(f"INSERT INTO signals VALUES ({', '.join('?' for _ in cols)})", [row.get(c) for c in cols])
    src.con.executemany("INSERT INTO surveys VALUES (?, ?, ?, ?)", answers())
    return src


@pytest.fixture(scope="module")
def make_source() -> Callable[..., DataSource]:
    return build_source


def by(frame, key: str) -> dict:
    return {r[key]: r for r in frame.to_dict("records")}


def test_tickets_and_signals_group_into_incidents_with_how_each_was_first_seen(source: DataSource) -> None:
    found = by(incidents.detect_incidents(source, NOV), "incident")
    assert set(found) == {"4711", "SE7", "OG1"}
    big = found["4711"]
    assert (big["tickets"], big["signals"], big["tier"], big["first_seen"]) == (2, 2, "critical", "monitoring")
    assert big["detect_minutes"] == pytest.approx(20)
    assert big["ticket_ids"] == "P1, P2" and big["tools"] == "datadog, pagerduty" and big["title"] == "checkout 5xx"
    late = found["SE7"]
    assert (late["first_seen"], late["tickets"], late["signals"]) == ("customer", 1, 1)
    assert late["detect_minutes"] == pytest.approx(60)
    alone = found["OG1"]
    assert (alone["first_seen"], alone["tickets"]) == ("monitoring", 0) and pd_isna(alone["detect_minutes"])


def test_time_to_detect_splits_monitoring_first_from_customer_first(source: DataSource) -> None:
    got = by(incidents.time_to_detect(source, NOV), "first_seen")
    assert (got["monitoring"]["incidents"], got["monitoring"]["timed"]) == (2, 1)
    assert got["monitoring"]["median_minutes"] == pytest.approx(20)
    assert (got["customer"]["incidents"], got["customer"]["median_minutes"]) == (1, pytest.approx(60))
    assert incidents.monitoring_share(incidents.time_to_detect(source, NOV)) == pytest.approx(2 / 3)


def test_filters_keep_incidents_with_a_ticket_that_passes(source: DataSource) -> None:
    enterprise = incidents.detect_incidents(source, NOV.model_copy(update={"segment": "enterprise"}))
    assert list(enterprise["incident"]) == ["4711"]  # P1 is enterprise; a signal alone has no segment
    critical = incidents.detect_incidents(source, NOV.model_copy(update={"tier": "critical"}))
    assert list(critical["incident"]) == ["4711"]
    october = incidents.detect_incidents(source, Filters(period="2026-10"))
    assert list(october["incident"]) == ["OLD"]


def test_nps_and_csat_of_the_impacted_accounts_before_and_after_next_to_the_others(source: DataSource) -> None:
    got = by(incidents.satisfaction_cohorts(source, NOV), "group")
    hit, others = got["impacted accounts"], got["unaffected accounts"]
    assert (hit["nps_before"], hit["nps_after"], hit["nps_change"]) == (pytest.approx(80), pytest.approx(-60),
                                                                        pytest.approx(-140))
    assert (hit["csat_before"], hit["csat_after"]) == (pytest.approx(4.6), pytest.approx(2.4))
    assert (hit["nps_answers_before"], hit["nps_answers_after"]) == (5, 5)
    assert (others["nps_before"], others["nps_after"]) == (pytest.approx(20), pytest.approx(100))
    assert pd_isna(others["csat_before"])  # no CSAT answers from other accounts: too few to say
    per_incident = by(incidents.incident_cohorts(source, NOV), "incident")
    assert set(per_incident) == {"4711"} and per_incident["4711"]["accounts"] == 2
    assert per_incident["4711"]["nps_after"] == pytest.approx(-60)
    assert per_incident["4711"]["unaffected_nps_after"] == pytest.approx(100)


def test_too_few_answers_leave_the_score_empty(source: DataSource, make_source: Callable[..., DataSource]) -> None:
    src = make_source(TICKETS, [], as_of=datetime(2026, 12, 1, tzinfo=timezone.utc))
    src.con.executemany("INSERT INTO surveys VALUES (?, ?, ?, ?)", answers()[:4])
    got = by(incidents.satisfaction_cohorts(src, NOV), "group")
    assert got["impacted accounts"]["nps_answers_before"] == 4 and pd_isna(got["impacted accounts"]["nps_before"])


def test_on_the_sample_monitoring_detects_sooner_than_customers() -> None:
    sample = sample_source(load_policy(DEFAULT_POLICY), datetime(2026, 11, 26, 15, tzinfo=timezone.utc))
    got = by(incidents.time_to_detect(sample, Filters()), "first_seen")
    assert got["monitoring"]["incidents"] > 0 and got["customer"]["incidents"] > 0
    assert got["monitoring"]["median_minutes"] < got["customer"]["median_minutes"]
    cohorts = by(incidents.satisfaction_cohorts(sample, Filters()), "group")
    assert cohorts["impacted accounts"]["nps_change"] < cohorts["unaffected accounts"]["nps_change"]


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_beyond_the_timers_shows_the_incidents_and_their_cohorts(source: DataSource, tmp_path) -> None:  # noqa: ANN001
    from tests.insights.test_pages import page, table_with

    at = page("insights.py", source, NOV, records=tmp_path / "records.duckdb")
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Incidents monitoring saw first"] == "67%"
    detect = table_with(at, "First seen by", "Median (min)")
    assert list(detect["First seen by"]) == ["monitoring", "customer"]
    cohorts = table_with(at, "Group", "NPS before", "NPS after")
    assert list(cohorts["NPS after"]) == ["-60.0", "100.0"] or list(cohorts["NPS after"]) == [-60.0, 100.0]
