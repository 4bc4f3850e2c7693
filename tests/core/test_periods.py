"""The month a review opens on and the months it lists, in the policy's timezone, worked out by hand."""

from __future__ import annotations

from datetime import date

from sla_core import periods
from tests.conftest import at

TZ = "Europe/London"
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def choices(clocks: dict[date, int], now: str, span: tuple[str, str] | None = None) -> list[periods.MonthChoice]:
    whole = periods.DataSpan(at(span[0]), at(span[1])) if span else None
    return periods.month_choices(clocks, at(now), TZ, whole)


def test_the_last_complete_month_when_it_has_decided_clocks() -> None:
    # 3 Dec: November is the last complete month and holds clocks
    assert periods.default_month(choices({OCT: 5, NOV: 5, DEC: 5}, "2026-12-03 10:00"), at("2026-12-03 10:00"), TZ) == NOV
    # the first half hour of December in London (00:30 GMT) already makes November complete
    assert periods.default_month(choices({OCT: 5, NOV: 5, DEC: 5}, "2026-12-01 00:30"), at("2026-12-01 00:30"), TZ) == NOV
    # 26 Nov: November is in progress, October is the last complete one
    assert periods.default_month(choices({OCT: 5, NOV: 5}, "2026-11-26 12:00"), at("2026-11-26 12:00"), TZ) == OCT


def test_the_last_month_the_data_covers_whole_not_the_calendars() -> None:
    # a store whose data ends on 17 Feb 2017, opened in Dec 2026: February is partial, January is the review
    jan, feb = date(2017, 1, 1), date(2017, 2, 1)
    found = choices({jan: 156, feb: 159}, "2026-12-03 10:00", ("2016-02-29 01:16", "2017-02-17 00:47"))
    assert [c.label for c in found] == ["2017-02 · data ends 17 Feb · 159 clocks", "2017-01 · 156 clocks"]
    assert periods.default_month(found, at("2026-12-03 10:00"), TZ) == jan
    # data that ends on a month's last day covers it whole
    assert not choices({jan: 3}, "2026-12-03 10:00", ("2017-01-01 00:00", "2017-01-31 09:00"))[0].partial
    # and the first month, where the data starts after its first day, is partial too
    first = choices({date(2016, 2, 1): 146}, "2026-12-03 10:00", ("2016-02-29 01:16", "2017-02-17 00:47"))[0]
    assert first.label == "2016-02 · data starts 29 Feb · 146 clocks" and first.partial
    # data that starts and ends within one month says both, short enough for the sidebar
    both = choices({date(2026, 7, 1): 9}, "2026-12-03 10:00", ("2026-07-06 09:20", "2026-07-08 12:00"))[0]
    assert both.label == "2026-07 · data 6–8 Jul · 9 clocks"


def test_months_without_clocks_are_not_offered() -> None:
    # a year on, nothing was decided last month nor this month: the latest months with data, and no empty month
    later = choices({OCT: 6, NOV: 8, date(2026, 9, 1): 0}, "2027-12-03 09:00")
    assert [c.month for c in later] == [NOV, OCT]
    assert periods.default_month(later, at("2027-12-03 09:00"), TZ) == NOV
    # only the month in progress holds clocks: it is offered, partial, and opened on
    only_now = choices({DEC: 4}, "2026-12-03 10:00")
    assert [c.label for c in only_now] == ["2026-12 · 3 days so far · 4 clocks"]
    assert periods.default_month(only_now, at("2026-12-03 10:00"), TZ) == DEC
    # no clocks at all: the month in progress, with none
    assert [c.label for c in choices({}, "2026-12-03 10:00")] == ["2026-12 · 3 days so far · 0 clocks"]
    assert periods.default_month(choices({}, "2026-12-03 10:00"), at("2026-12-03 10:00"), TZ) == DEC


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
