"""The review's numbers on hand-built tickets whose outcomes are known by construction."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from sla_core import periods
from sla_core.analysis import review
from sla_core.analysis.filters import Filters
from sla_core.clocks.engine import evaluate
from sla_core.csv_safe import frame_csv_bytes
from sla_core.policy import Policy
from sla_core.sources import DataSource, outcomes
from tests.conftest import at, load_tables, make_policy

POLICY = make_policy()
AS_OF = at("2026-11-26 12:00")


def ticket(tid: str, created: str, impact: str, ack: str | None, **extra: object) -> dict:
    return {"ticket_id": tid, "created_at": at(created), "impact": impact,
            "acknowledged_at": at(ack) if ack else None, **extra}


def source_over(con: duckdb.DuckDBPyConnection, policy: Policy = POLICY) -> DataSource:
    """The judged tables of `con` as the figures read them (a data source, without the loader around it)."""
    return DataSource(kind="upload", label="hand-built", version="test", con=con, policy=policy, as_of=AS_OF,
                      tickets=0)


@pytest.fixture(scope="module")
def source() -> DataSource:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    load_tables(con, [
        # critical acknowledge target 30m, 24x7: met / breached by minutes
        ticket("OCT-MET", "2026-10-05 10:00", "critical", "2026-10-05 10:10", segment="enterprise", owner_team="engineering"),
        ticket("OCT-LATE", "2026-10-06 10:00", "critical", "2026-10-06 11:00", segment="self_serve", owner_team="support"),
        ticket("NOV-MET", "2026-11-02 10:00", "critical", "2026-11-02 10:05", segment="enterprise", owner_team="engineering"),
        ticket("NOV-MET2", "2026-11-03 10:00", "critical", "2026-11-03 10:20", segment="self_serve", owner_team="support"),
        ticket("NOV-LATE", "2026-11-04 10:00", "critical", "2026-11-04 12:00", segment="enterprise", owner_team="support"),
        # still unacknowledged and past due: breached at its due time (Nov 25, 10:30)
        ticket("NOV-OPEN", "2026-11-25 10:00", "critical", None, segment="enterprise", owner_team="product"),
        # acknowledged 1 Oct 00:10 London time = 30 Sep 23:10 UTC: months are the policy's, so October
        ticket("EDGE", "2026-10-01 00:00", "critical", "2026-10-01 00:10", segment="self_serve", owner_team="support"),
    ], [])
    evaluate(con, POLICY, AS_OF)
    outcomes.prepare_outcomes(con, POLICY.timezone)
    return source_over(con)


def ack_counts(source: DataSource, filters: Filters) -> tuple[int, int]:
    table = review.adherence_table(source, filters)
    row = table[(table.tier == "critical") & (table.metric == "acknowledge")].iloc[0]
    return int(row.met), int(row.breached)


def test_month_counts_follow_stop_or_breach_time(source: DataSource) -> None:
    assert ack_counts(source, Filters(period="2026-11")) == (2, 2)  # NOV-MET, NOV-MET2 / NOV-LATE, NOV-OPEN
    assert ack_counts(source, Filters(period="2026-10")) == (2, 1)  # OCT-MET, EDGE / OCT-LATE


def test_headline_adherence_and_previous_month(source: DataSource) -> None:
    nov = Filters(period="2026-11", tier="critical")
    head = review.headline(source, nov)
    acks = review.adherence_table(source, nov)
    assert head.month.met == int(acks.met.sum()) and head.month.breached == int(acks.breached.sum())
    assert head.month.adherence == pytest.approx(head.month.met / head.month.decided)
    assert head.previous == review.counts(source, Filters(period="2026-10", tier="critical"))
    assert head.last_12_months.decided == head.month.decided + head.previous.decided


def test_filters_narrow_the_numbers(source: DataSource) -> None:
    assert ack_counts(source, Filters(period="2026-11", segment="enterprise")) == (1, 2)
    assert ack_counts(source, Filters(period="2026-11", owner_team="support")) == (1, 1)
    empty = review.headline(source, Filters(period="2026-11", segment="nobody"))
    assert empty.month.decided == 0 and empty.month.adherence is None


def test_tickets_behind_a_number_are_exactly_its_clocks(source: DataSource) -> None:
    nov = Filters(period="2026-11")
    behind = review.tickets_behind(source, nov, tier="critical", metric="acknowledge")
    assert sorted(behind.ticket_id) == ["NOV-LATE", "NOV-OPEN"]
    assert review.count_behind(source, nov, tier="critical", metric="acknowledge") == 2
    met = review.tickets_behind(source, nov, state="met", metric="acknowledge")
    assert sorted(met.ticket_id) == ["NOV-MET", "NOV-MET2"]
    by_team = review.breaches_by_team(source, nov)
    support_ack = by_team[(by_team.owner_team == "support") & (by_team.metric == "acknowledge")].iloc[0]
    listed = review.tickets_behind(source, nov, owner_team="support", metric="acknowledge")
    assert int(support_ack.breached) == len(listed) == 1


def test_trend_and_distribution(source: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "MIN_TREND_CLOCKS", 3)  # this hand-built month holds 3 and 4 clocks
    trend = review.adherence_trend(source, Filters(period="2026-11", tier="critical"))
    ack = trend[trend.metric == "acknowledge"].set_index("month")
    assert ack.loc[pd.Timestamp(2026, 10, 1), "adherence"] == pytest.approx(2 / 3)
    assert ack.loc[pd.Timestamp(2026, 11, 1), "adherence"] == pytest.approx(2 / 4)
    dist = review.elapsed_distribution(source, Filters(period="2026-10"), "acknowledge")
    assert sorted(dist.elapsed_minutes.round(6)) == [10.0, 10.0, 60.0]
    assert set(dist.target_minutes) == {30.0}


def test_the_trend_has_every_month_and_no_point_from_too_few_clocks(source: DataSource) -> None:
    """Twelve months, each present: the ten without clocks are gaps (no adherence, not too few), and October (3
    clocks) and November (4) hold too few to mean anything (under 10): no 67 % or 50 % point, said as such."""
    trend = review.adherence_trend(source, Filters(period="2026-11", tier="critical"))
    ack = trend[trend.metric == "acknowledge"].set_index("month")
    assert list(ack.index) == list(pd.date_range("2025-12-01", "2026-11-01", freq="MS"))
    assert ack.adherence.isna().all()
    assert list(ack.index[ack.too_few]) == [pd.Timestamp(2026, 10, 1), pd.Timestamp(2026, 11, 1)]
    assert (ack.loc[pd.Timestamp(2026, 10, 1), ["met", "breached"]] == [2, 1]).all()
    assert (ack.loc[~ack.too_few, ["met", "breached"]] == 0).all().all()


def test_the_month_list_holds_the_months_with_clocks(source: DataSource) -> None:
    # October: 3 acknowledgements and 3 action plans (none posted: breached 2 h after creation); November: 4 + 4
    clocks = outcomes.month_clocks(source.con)
    assert clocks == {date(2026, 10, 1): 6, date(2026, 11, 1): 8}
    choices = periods.month_choices(clocks, AS_OF, POLICY.timezone)
    assert [(c.month, c.clocks, c.days_so_far) for c in choices] == [(date(2026, 11, 1), 8, 26),
                                                                     (date(2026, 10, 1), 6, None)]
    assert [c.label for c in choices] == ["2026-11 · 26 days so far · 8 clocks", "2026-10 · 6 clocks"]
    # a year on: the months that hold data, no empty month between them nor the empty month in progress
    later = periods.month_choices(clocks, at("2027-12-03 09:00"), POLICY.timezone)
    assert [c.label for c in later] == ["2026-11 · 8 clocks", "2026-10 · 6 clocks"]


def test_csv_download_escapes_formulas() -> None:
    import pandas as pd

    text = frame_csv_bytes(pd.DataFrame({"ticket_id": ["=HYPERLINK(1)", "@x", "ok"]})).decode()
    assert text.splitlines() == ["ticket_id", "'=HYPERLINK(1)", "'@x", "ok"]


def test_route_load_counts_tickets_per_month_and_route() -> None:
    from datetime import date

    import duckdb

    from sla_core.analysis.filters import Filters
    from sla_core.analysis.review import route_load

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("""CREATE TABLE sla_results AS SELECT * FROM (VALUES
        ('A', 'acknowledge', 'critical', 'enterprise', 'sre', 'engineering', 'engineering_on_call', TIMESTAMPTZ '2026-10-31 23:30:00+00'),
        ('A', 'action_plan', 'critical', 'enterprise', 'sre', 'engineering', 'engineering_on_call', TIMESTAMPTZ '2026-10-31 23:30:00+00'),
        ('B', 'acknowledge', 'low', 'self_serve', 'support', 'support', 'support', TIMESTAMPTZ '2026-11-02 10:00:00+00'),
        ('C', 'acknowledge', 'low', 'self_serve', 'support', 'support', NULL, TIMESTAMPTZ '2026-11-03 10:00:00+00')
    ) t(ticket_id, metric, tier, segment, owner_team, discipline, route, created_at)""")
    # A is created 23:30 UTC on 31 Oct: already 1 Nov in Europe/Berlin. Each ticket counts once, not per clock.
    load = route_load(source_over(con, make_policy(timezone="Europe/Berlin")), Filters(period=date(2026, 11, 1)))
    assert list(load.columns) == ["month", "engineering_on_call", "no route", "support"]
    assert load.to_dict("records") == [{"month": date(2026, 11, 1), "engineering_on_call": 1, "no route": 1, "support": 1}]
    assert route_load(source_over(con, make_policy(timezone="UTC")), Filters(period=date(2026, 11, 1), tier="low")
                      ).to_dict("records") == [
        {"month": date(2026, 11, 1), "no route": 1, "support": 1}]
