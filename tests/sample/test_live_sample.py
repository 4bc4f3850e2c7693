"""The bundled sample is live on any day: a full last month, a year of trend and a queue in every state."""

from __future__ import annotations

from datetime import datetime

import pyarrow.compute as pc
import pytest

from sla_core.analysis import review
from sla_core.now import now
from sla_core.periods import month_of, shift_month
from sla_core.policy import load_policy
from sla_core.sample import live_sample
from sla_core.sources import outcomes, sample_source
from tests.conftest import SAMPLE_POLICY

POLICY = load_policy(SAMPLE_POLICY)
NOWS = {
    "the tests' now": None,  # SLA_BOARD_NOW: CI runs these again under other values
    "first hour of a month (London)": "2027-02-01T00:30:00+00:00",
    "DST starts in London": "2027-03-28T01:30:00+01:00",
    "DST ends in London": "2026-10-25T09:00:00+00:00",
    "leap day": "2028-02-29T17:45:00+00:00",
    "a Sunday night": "2027-06-13T23:50:00+01:00",
}


@pytest.fixture(scope="module", params=list(NOWS), ids=list(NOWS))
def judged(request: pytest.FixtureRequest):  # noqa: ANN201
    text = NOWS[request.param]
    at = datetime.fromisoformat(text) if text else now()
    source = sample_source(POLICY, at)
    yield at, source
    source.con.close()


def test_the_last_full_month_has_hundreds_of_clocks_met_and_breached(judged) -> None:  # noqa: ANN001
    at, source = judged
    last = shift_month(month_of(at, POLICY.timezone), -1)
    assert source.default_period == last
    counts = review.counts(source, review.Filters(period=last))
    assert counts.decided >= 300 and counts.met > 0 and counts.breached > 0


def test_a_year_of_trend_before_it(judged) -> None:  # noqa: ANN001
    at, source = judged
    current = month_of(at, POLICY.timezone)
    year = [shift_month(current, -i) for i in range(1, 13)]
    clocks = outcomes.month_clocks(source.con)
    assert all(clocks.get(month, 0) >= 300 for month in year), {m: clocks.get(m) for m in year}


def test_the_queue_holds_clocks_in_every_running_state(judged) -> None:  # noqa: ANN001
    at, source = judged
    running = dict(source.con.execute(
        "SELECT state, count(*) FROM sla_results WHERE stopped_at IS NULL GROUP BY state").fetchall())
    assert {"running", "at_risk", "paused", "breached"} <= set(running), running
    # the sample ends at now: its last ticket came in within the last day
    latest = source.con.execute("SELECT max(created_at) FROM tickets").fetchone()[0]
    assert latest <= at and (at - latest).total_seconds() < 86400


def test_same_seed_and_date_same_tickets_later_in_the_day_they_moved_on() -> None:
    morning, evening = datetime.fromisoformat("2027-05-04T08:00:00+01:00"), datetime.fromisoformat(
        "2027-05-04T19:00:00+01:00")
    (tickets_a, events_a), (tickets_b, _) = live_sample(morning), live_sample(morning)
    assert tickets_a.equals(tickets_b)
    (later, later_events) = live_sample(evening)
    n = tickets_a.num_rows
    assert later.num_rows > n  # more came in during the day ...
    # ... and the morning's tickets are the same tickets, some of them further along
    assert later.slice(0, n).column("ticket_id").equals(tickets_a.column("ticket_id"))
    assert later.slice(0, n).column("created_at").equals(tickets_a.column("created_at"))
    acknowledged = lambda t: pc.sum(pc.is_valid(t.column("acknowledged_at"))).as_py()  # noqa: E731
    assert acknowledged(later.slice(0, n)) > acknowledged(tickets_a)
    assert later_events.num_rows > events_a.num_rows
    # another day draws another sample
    other, _ = live_sample(datetime.fromisoformat("2027-05-05T08:00:00+01:00"))
    assert not other.slice(0, 100).column("created_at").equals(tickets_a.slice(0, 100).column("created_at"))
