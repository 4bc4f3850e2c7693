"""Months and quarters of the review, in the policy's timezone: one module for every page, the report and the CLI.

Why here: "which month does a review review" decides what a support manager
reads first, and it must be the same answer on every page. A month is named
by its first day (`date(2026, 11, 1)`); a month still in progress at "now"
is partial and says so rather than being compared as if it were whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


def parse_month(value: object) -> date:
    """`2026-11` (or a date) -> the first day of that month."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"bad month {value!r}: use YYYY-MM, e.g. 2026-11")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def shift_month(month: date, months: int) -> date:
    """The first day of the month `months` away (negative = earlier)."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(instant: datetime, timezone: str) -> date:
    """The month (its first day) an instant falls in, on the wall clock of `timezone`."""
    return instant.astimezone(ZoneInfo(timezone)).date().replace(day=1)


def days_so_far(month: date, as_of: datetime, timezone: str) -> Optional[int]:
    """For the month in progress at `as_of`: which day of it is today (1 on its first day); else None."""
    today = as_of.astimezone(ZoneInfo(timezone)).date()
    return today.day if today.replace(day=1) == month else None


@dataclass(frozen=True)
class DataSpan:
    """The instants a data set knows of: its first ticket, and the last thing that happened in it (never after
    "now"). A month the span covers only in part is partial and is not compared as if it were whole."""

    first: datetime
    last: datetime


@dataclass(frozen=True)
class MonthChoice:
    """A month the review can show, with how many clocks were decided in it and how much of it the data covers."""

    month: date
    clocks: int
    days_so_far: Optional[int] = None  # the month in progress at "now": which day of it is today
    starts: Optional[date] = None  # the data starts within the month, on this day
    ends: Optional[date] = None  # the data ends within the month, on this day (before its last day)

    @property
    def partial(self) -> bool:
        """The data covers only part of the month: in progress, or the data starts or ends within it."""
        return self.days_so_far is not None or self.starts is not None or self.ends is not None

    @property
    def coverage(self) -> str:
        """What part of the month the data covers, in words ('' for a whole month)."""
        if self.days_so_far is not None:
            return f"{self.days_so_far} day{'s' if self.days_so_far != 1 else ''} so far"
        if self.starts and self.ends:
            return f"data {self.starts:%-d}–{self.ends:%-d %b}"
        if self.starts:
            return f"data starts {self.starts:%-d %b}"
        return f"data ends {self.ends:%-d %b}" if self.ends else ""

    @property
    def label(self) -> str:
        """`2026-11 · 612 clocks`, `2026-12 · 3 days so far · 40 clocks`, `2017-02 · data ends 17 Feb · 9 clocks`."""
        parts = [month_label(self.month), self.coverage, f"{self.clocks:,} clock{'s' if self.clocks != 1 else ''}"]
        return " · ".join(p for p in parts if p)


def month_choices(
    clocks_per_month: dict[date, int], as_of: datetime, timezone: str, span: Optional[DataSpan] = None
) -> list[MonthChoice]:
    """Months that hold decided clocks, newest first, each saying how much of it the data covers.

    Months without clocks are left out (a store of last year's tickets should not open a list on a year of
    empty months, nor on the month in progress); only when no month has any is the month in progress offered.
    """
    zone = ZoneInfo(timezone)
    current = month_of(as_of, timezone)
    months = {m: n for m, n in clocks_per_month.items() if m <= current and n > 0} or {current: 0}
    first = span.first.astimezone(zone).date() if span else None
    last = min(span.last, as_of).astimezone(zone).date() if span else None
    choices = []
    for month in sorted(months, reverse=True):
        last_day = shift_month(month, 1) - timedelta(days=1)
        so_far = days_so_far(month, as_of, timezone)
        starts = first if first is not None and month < first <= last_day else None
        ends = last if so_far is None and last is not None and month <= last < last_day else None
        choices.append(MonthChoice(month, months[month], so_far, starts, ends))
    return choices


def default_month(choices: Sequence[MonthChoice], as_of: datetime, timezone: str) -> date:
    """The month a monthly review opens on: the newest month the data covers whole and that has decided clocks;
    else the newest month that has; the month in progress when none has."""
    whole = [c.month for c in choices if c.clocks and not c.partial]
    decided = [c.month for c in choices if c.clocks]
    return max(whole or decided or [month_of(as_of, timezone)])


def quarter_start(day: date) -> date:
    """First day of the calendar quarter holding `day`."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def previous_quarter(start: date) -> date:
    return shift_month(quarter_start(start), -3)


def last_quarter(as_of: datetime, timezone: str) -> date:
    """First day of the last full calendar quarter before `as_of` (in `timezone`)."""
    return previous_quarter(month_of(as_of, timezone))


def quarter_label(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def quarter_end(start: date) -> date:
    """The first day after the quarter starting at `start`."""
    return shift_month(start, 3)
