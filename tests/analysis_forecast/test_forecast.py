"""The forecast's steps, each on a case small enough to work out by hand: the survival of running clocks, the
arrivals of past weeks, the count's distribution and its interval, and the data too small to forecast."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import numpy as np
import pytest

from sla_core.analysis import forecast as fc
from sla_core.analysis.filters import Filters
from sla_core.clocks.codes import RESULT_COLUMNS
from tests.conftest import make_policy

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def clocks_table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]) -> None:
    """A results table (RESULT_COLUMNS) from a few clocks; unnamed columns are empty, the target one hour."""
    con.execute(f"""CREATE OR REPLACE TABLE {name} (ticket_id VARCHAR, metric VARCHAR, tier VARCHAR,
        initial_tier VARCHAR, segment VARCHAR, owner_team VARCHAR, discipline VARCHAR, route VARCHAR,
        created_at TIMESTAMPTZ, calendar VARCHAR, target_seconds BIGINT, elapsed_seconds DOUBLE,
        paused_seconds DOUBLE, due_at TIMESTAMPTZ, stopped_at TIMESTAMPTZ, state VARCHAR, time_left_seconds DOUBLE,
        untimed_reason VARCHAR)""")
    for i, row in enumerate(rows):
        full = {"ticket_id": f"{name}-{i}", "metric": "acknowledge", "tier": "high", "owner_team": "A",
                "created_at": NOW - 30 * 24 * HOUR, "target_seconds": 3600, "state": "met", **row}
        con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})",
                    [full.get(column) for column in RESULT_COLUMNS])


def stopped(u: float, **row: Any) -> dict[str, Any]:
    """A clock that stopped at u = elapsed / target (of one hour)."""
    return {"elapsed_seconds": u * 3600, "stopped_at": NOW - 24 * HOUR, "state": "breached" if u > 1 else "met",
            **row}


def running(u: float, **row: Any) -> dict[str, Any]:
    """A clock still running at u."""
    return {"elapsed_seconds": u * 3600, "stopped_at": None, "state": "running", **row}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def test_survival_of_a_running_clock_worked_by_hand(con: duckdb.DuckDBPyConnection,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fc, "MIN_AT_RISK", 3)
    # History of high / acknowledge (target 1 h), in u = elapsed / target:
    #   team A: stopped at 0.2, 0.4, 0.6, 0.9 and 1.5 (a breach); still running at 0.5 and 0.7 (censored);
    #   team B: stopped at 0.3 and 0.95;  an untimed clock and a clock of another tier count for nothing here.
    clocks_table(con, "history", [
        *(stopped(u) for u in (0.2, 0.4, 0.6, 0.9, 1.5)), running(0.5), running(0.7),
        stopped(0.3, owner_team="B"), stopped(0.95, owner_team="B"),
        {"state": "untimed", "target_seconds": None, "elapsed_seconds": 100.0},
    ])
    due = NOW + 2 * HOUR
    clocks_table(con, "live", [
        running(0.5, ticket_id="A-now", due_at=due),
        running(0.5, ticket_id="B-now", owner_team="B", due_at=due),
        running(0.5, ticket_id="late", due_at=NOW + 12 * HOUR),  # due after the shift's end: cannot breach in it
        {"ticket_id": "over", "state": "breached", "elapsed_seconds": 4000.0, "due_at": NOW - HOUR},  # already
        {"ticket_id": "waits", "state": "paused", "elapsed_seconds": 100.0},  # paused: no due time
    ])
    history = fc.learn(con, "history", NOW)
    chances = fc.running_chances(con, history, "live", NOW, NOW + 8 * HOUR, Filters()).set_index("ticket_id")
    assert sorted(chances.index) == ["A-now", "B-now"]
    # A-now, at u0 = 0.5, in team A's own group (4 of its clocks got past 0.5: 0.6, 0.7 censored, 0.9, 1.5):
    #   stops after 0.5 and by the target: 0.6 with 4 at risk (0.6, 0.7, 0.9, 1.5) -> 3/4 go on;
    #                                      0.9 with 2 at risk (0.9, 1.5; 0.7 left censored) -> 1/2 go on.
    #   P(not stopped by the target | running at 0.5) = 3/4 * 1/2 = 3/8.
    assert chances.loc["A-now", "level"] == 0
    assert chances.loc["A-now", "chance"] == pytest.approx(3 / 8)
    # B-now: only 1 of team B's clocks got past 0.5 (< 3), so it backs off to high / acknowledge, A and B together
    #   (5 past 0.5: 0.6, 0.7 censored, 0.9, 0.95, 1.5):
    #   0.6: 5 at risk -> 4/5;  0.9: 3 at risk (0.9, 0.95, 1.5) -> 2/3;  0.95: 2 at risk -> 1/2.
    #   4/5 * 2/3 * 1/2 = 4/15.
    assert chances.loc["B-now", "level"] == 1
    assert chances.loc["B-now", "chance"] == pytest.approx(4 / 15)
    # With the usual threshold (20), nothing here is big enough: both fall back to all clocks, the 9 timed ones
    #   (the untimed one is no clock to learn from), where the pooled steps are the same as B-now's.
    monkeypatch.setattr(fc, "MIN_AT_RISK", 20)
    pooled = fc.running_chances(con, history, "live", NOW, NOW + 8 * HOUR, Filters()).set_index("ticket_id")
    assert list(pooled["level"]) == [3, 3] and pooled["chance"].to_list() == pytest.approx([4 / 15, 4 / 15])


def test_arrivals_are_last_weeks_same_window(con: duckdb.DuckDBPyConnection) -> None:
    # The window is now (Thu 10:00) to 18:00. A week ago the same window held two clocks that breached in it
    #   and one met; two weeks ago one breach, and one whose due time fell after the window's end (it breached,
    #   but not by then); three weeks ago one clock created just before the window (not a new ticket of it).
    week = 7 * 24 * HOUR
    created = lambda weeks, hours: NOW - weeks * week + hours * HOUR  # noqa: E731
    breach = lambda weeks, hours, **row: {  # noqa: E731
        "created_at": created(weeks, hours), "due_at": created(weeks, hours + 1), "state": "breached",
        "stopped_at": created(weeks, hours + 3), "elapsed_seconds": 3 * 3600.0, **row}
    clocks_table(con, "history", [
        breach(1, 1), breach(1, 2, tier="low"), breach(1, 3),
        {"created_at": created(1, 4), "due_at": created(1, 5), "stopped_at": created(1, 4.5)},  # met
        breach(2, 5),
        breach(2, 7.5),  # due at 18:30, after the window's end
        breach(3, -0.5),
    ])
    expected = fc.arrival_breaches(con, "history", NOW, NOW + 8 * HOUR, 3, Filters())
    # high: 2 (a week ago) + 1 (two weeks ago) + 0 over 3 weeks = 1.0; low: 1 / 3
    assert expected == pytest.approx({"high": 1.0, "low": 1 / 3})
    assert fc.arrival_breaches(con, "history", NOW, NOW + 8 * HOUR, 3, Filters(tier="low")) == pytest.approx(
        {"low": 1 / 3})


def test_distribution_of_two_coins_and_its_interval() -> None:
    # Two clocks, each breaching with chance 1/2, no arrivals: P(0, 1, 2) = 1/4, 1/2, 1/4.
    pmf = fc.breach_distribution(np.array([0.5, 0.5]), 0.0)
    assert pmf[:3] == pytest.approx([0.25, 0.5, 0.25]) and pmf[3:].sum() == pytest.approx(0, abs=1e-12)
    # The interval grows from the most likely count (1, mass 1/2): both neighbours are as likely, the upper one
    #   is taken (1-2, mass 3/4), then 0-2 (mass 1). 3/4 is 0.05 short of 80 %, 1 is 0.2 over: 1-2 it is.
    assert fc.interval(pmf, 0.8) == pytest.approx((1, 2, 0.75))
    # One clock at 1/10: zero alone holds 0.9, the nearest to 80 % there is.
    assert fc.interval(fc.breach_distribution(np.array([0.1]), 0.0), 0.8) == pytest.approx((0, 0, 0.9))


def test_distribution_adds_a_poisson_for_new_tickets() -> None:
    # A clock sure to breach and new tickets breaching at rate 1/2: 1 + Poisson(1/2), P(1 + k) = e^-0.5 0.5^k / k!
    pmf = fc.breach_distribution(np.array([1.0]), 0.5)
    assert pmf[0] == pytest.approx(0, abs=1e-12)
    assert pmf[1:5] == pytest.approx([math.exp(-0.5) * 0.5 ** k / math.factorial(k) for k in range(4)])
    # Poisson(3) alone: 80 % interval from the mode (2 and 3 tie at 0.224; the upper one first: 3), then the
    #   likelier neighbour each step: 3, 2, 4, 1 (0.149 over 5's 0.101) -> 1-4 holds 0.1494+0.2240+0.2240+0.1680
    #   = 0.7655; 1-5 holds 0.8663: 0.0345 short of 0.8 against 0.0663 over, so 1-4.
    low, high, mass = fc.interval(fc.breach_distribution(np.array([]), 3.0), 0.8)
    assert (low, high) == (1, 4) and mass == pytest.approx(sum(math.exp(-3) * 3 ** k / math.factorial(k)
                                                                for k in range(1, 5)))


def test_many_clocks_add_up_to_their_mean() -> None:
    chances = np.linspace(0.01, 0.99, 3000)
    pmf = fc.breach_distribution(chances, 40.0)
    counts = np.arange(len(pmf))
    assert pmf.sum() == pytest.approx(1)
    assert (counts * pmf).sum() == pytest.approx(chances.sum() + 40.0)
    assert ((counts - (counts * pmf).sum()) ** 2 * pmf).sum() == pytest.approx((chances * (1 - chances)).sum() + 40)


def test_too_small_to_forecast_says_why(con: duckdb.DuckDBPyConnection) -> None:
    policy = make_policy()
    # A month of history, but only 10 stopped high clocks (and 60 stopped critical ones).
    clocks_table(con, "history", [*(stopped(0.5) for _ in range(10)), *(stopped(0.5, tier="critical") for _ in range(60))])
    clocks_table(con, "live", [running(0.5, ticket_id="now", due_at=NOW + HOUR)])
    history = fc.learn(con, "history", NOW)
    by_tier = {f.tier: f for f in fc.forecast(con, policy, history, "live", NOW, NOW + 8 * HOUR, Filters(),
                                               results="history")}
    assert list(by_tier) == ["critical", "high", "medium", "low"]  # the tiers the policy times
    assert by_tier["high"].expected is None and by_tier["high"].low is None
    assert by_tier["high"].too_small == "10 stopped clocks in history, fewer than 50"
    assert by_tier["medium"].too_small == "0 stopped clocks in history, fewer than 50"
    assert by_tier["critical"].too_small is None and by_tier["critical"].expected == 0.0
    # Ten days of history: nothing can be forecast, whatever the tier holds.
    clocks_table(con, "young", [stopped(0.5, tier="critical", created_at=NOW - 10 * 24 * HOUR) for _ in range(60)])
    young = fc.learn(con, "young", NOW)
    assert young.weeks(NOW) == 1 and young.too_small("critical", NOW) == "less than 2 weeks of history"
    # A store no longer filled (a real export ending years ago): its past weeks hold no ticket, so no 0 is shown.
    stale = fc.learn(con, "history", NOW)
    assert stale.too_small("critical", NOW) is None
    assert stale.too_small("critical", NOW + (8 * 7 - 30) * 24 * HOUR) is None  # eight weeks on: still filled
    later = NOW + (8 * 7 - 29) * 24 * HOUR
    assert stale.too_small("critical", later) == (
        f"the newest ticket was created on {stale.last:%d %b %Y}, more than 8 weeks ago: "
        "no recent weeks to learn new tickets from")


def test_a_shift_ends_after_now_and_within_a_week(con: duckdb.DuckDBPyConnection) -> None:
    clocks_table(con, "history", [stopped(0.5)])
    history = fc.learn(con, "history", NOW)
    for end in (NOW, NOW - HOUR, NOW + 8 * 24 * HOUR):
        with pytest.raises(ValueError, match="shift must end"):
            fc.forecast(con, make_policy(), history, "history", NOW, end, Filters(), results="history")
