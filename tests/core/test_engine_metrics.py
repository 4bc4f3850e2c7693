"""evaluate(metrics=...) computes some clocks only, each exactly as a full evaluation does."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest

from sla_core.clocks.calendars import epoch_us
from sla_core.clocks.engine import evaluate
from sla_core.clocks.prepare import data_span
from sla_core.ingest.loading import load_files
from sla_core.policy import load_policy
from tests.conftest import ROOT, SAMPLE_POLICY

AS_OF = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    policy = load_policy(SAMPLE_POLICY)
    load_files(con, str(ROOT / "sample_data" / "tickets.csv"), str(ROOT / "sample_data" / "events.csv"), policy)
    evaluate(con, policy, AS_OF, out="whole")
    return con


@pytest.mark.parametrize("metrics", [["acknowledge"], ["resolution"], ["action_plan", "resolution"]])
def test_some_metrics_are_the_same_rows_as_in_a_full_evaluation(sample, metrics: list[str]) -> None:
    # resolution is the paused metric of the sample policy, acknowledge is never paused
    evaluate(sample, load_policy(SAMPLE_POLICY), AS_OF, out="part", metrics=metrics)
    part = sample.execute("SELECT * FROM part ORDER BY ticket_id, metric").fetchall()
    whole = sample.execute("SELECT * FROM whole WHERE list_contains(?, metric) ORDER BY ticket_id, metric",
                           [metrics]).fetchall()
    assert len(part) == len(whole) == 3000 * len(metrics)
    assert part == whole


def test_unknown_metric_is_refused(sample) -> None:
    with pytest.raises(ValueError, match="metrics must be some of"):
        evaluate(sample, load_policy(SAMPLE_POLICY), AS_OF, out="part", metrics=["respond"])


def test_data_span_covers_every_instant_a_clock_can_touch() -> None:
    # The calendar table must run from the first instant (here an event two days before any ticket, on
    # 2026-03-02, taken back to the 1st of its month after a 2-day margin: 2026-02-01) to the last (here an
    # acknowledgement on 2026-05-20, the latest of all timestamp columns, NULLs skipped; +2 days: 05-22).
    con = duckdb.connect()
    con.execute("CREATE TABLE t (created_at TIMESTAMPTZ, acknowledged_at TIMESTAMPTZ, action_plan_at TIMESTAMPTZ, "
                "resolved_at TIMESTAMPTZ)")
    con.execute("INSERT INTO t VALUES ('2026-03-04 10:00+00', NULL, NULL, '2026-04-01 09:00+00'), "
                "('2026-03-10 08:00+00', '2026-05-20 23:30+00', NULL, NULL)")
    con.execute("CREATE TABLE e (\"at\" TIMESTAMPTZ)")
    con.execute("INSERT INTO e VALUES ('2026-03-02 12:00+00'), ('2026-04-02 12:00+00')")
    as_of = epoch_us(datetime(2026, 4, 15, tzinfo=timezone.utc))
    assert data_span(con, "t", "e", as_of) == (date(2026, 2, 1), date(2026, 5, 22))
    # as_of outside the data widens the span; no events at all is fine
    con.execute("DELETE FROM e")
    late = epoch_us(datetime(2026, 7, 1, 6, tzinfo=timezone.utc))
    assert data_span(con, "t", "e", late) == (date(2026, 3, 1), date(2026, 7, 3))
