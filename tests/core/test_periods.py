"""The month a review opens on and the months it lists, in the policy's timezone, worked out by hand."""

from __future__ import annotations

from datetime import date

from sla_core import periods
from tests.conftest import at

TZ = "Europe/London"
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def test_the_last_complete_month_when_it_has_decided_clocks() -> None:
    # 3 Dec: November is the last complete month and holds clocks
    assert periods.default_month([OCT, NOV, DEC], at("2026-12-03 10:00"), TZ) == NOV
    # the first half hour of December in London (00:30 GMT) already makes November complete
    assert periods.default_month([OCT, NOV, DEC], at("2026-12-01 00:30"), TZ) == NOV
    # 26 Nov: November is in progress, October is the last complete one
    assert periods.default_month([OCT, NOV], at("2026-11-26 12:00"), TZ) == OCT


def test_else_the_latest_month_that_has_decided_clocks() -> None:
    # a year on, nothing was decided last month: the latest month with data
    assert periods.default_month([OCT, NOV], at("2027-12-03 09:00"), TZ) == NOV
    # only the month in progress holds clocks
    assert periods.default_month([DEC], at("2026-12-03 10:00"), TZ) == DEC
    # no clocks at all: the month in progress
    assert periods.default_month([], at("2026-12-03 10:00"), TZ) == DEC


def test_months_are_the_policy_timezones() -> None:
    # 30 Jun 23:30 UTC is 1 Jul 00:30 in London (BST): July, day 1 so far
    instant = at("2026-07-01 00:30")
    assert periods.month_of(instant, TZ) == date(2026, 7, 1)
    assert periods.month_of(instant, "UTC") == date(2026, 6, 1)
    assert periods.days_so_far(date(2026, 7, 1), instant, TZ) == 1
    assert periods.days_so_far(date(2026, 6, 1), instant, TZ) is None
    assert periods.MonthChoice(date(2026, 7, 1), 1, 1).label == "2026-07 · 1 day so far · 1 clock"


def test_quarters() -> None:
    assert periods.quarter_start(date(2026, 11, 26)) == OCT
    assert periods.previous_quarter(OCT) == date(2026, 7, 1)
    assert periods.previous_quarter(date(2026, 2, 10)) == date(2025, 10, 1)
    # 1 Oct 00:30 in London is still 30 Sep in UTC: the last full quarter is Q3 in London, Q2 in UTC
    assert periods.last_quarter(at("2026-10-01 00:30"), TZ) == date(2026, 7, 1)
    assert periods.last_quarter(at("2026-10-01 00:30"), "UTC") == date(2026, 4, 1)
    assert periods.quarter_label(date(2026, 7, 1)) == "2026-Q3"
    assert periods.quarter_end(OCT) == date(2027, 1, 1)
