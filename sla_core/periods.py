"""Months and quarters of the review, in the policy's timezone: one module for every page, the report and the CLI.

Why here: "which month does a review review" decides what a support manager
reads first, and it must be the same answer on every page. A month is named
by its first day (`date(2026, 11, 1)`); a month still in progress at "now"
is partial and says so rather than being compared as if it were whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
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


def default_month(months: Sequence[date], as_of: datetime, timezone: str) -> date:
    """The month a monthly review opens on: the last complete month when it has decided clocks,
    else the latest month that has; the month in progress when none has."""
    current = month_of(as_of, timezone)
    complete = shift_month(current, -1)
    if complete in months:
        return complete
    return max(months) if months else current


@dataclass(frozen=True)
class MonthChoice:
    """A month the review can show, with how many clocks were decided in it."""

    month: date
    clocks: int
    days_so_far: Optional[int] = None  # set for the month in progress

    @property
    def label(self) -> str:
        """`2026-11 · 612 clocks`, `2026-12 · 3 days so far · 40 clocks`."""
        parts = [month_label(self.month)]
        if self.days_so_far is not None:
            parts.append(f"{self.days_so_far} day{'s' if self.days_so_far != 1 else ''} so far")
        parts.append(f"{self.clocks:,} clock{'s' if self.clocks != 1 else ''}")
        return " · ".join(parts)


def month_choices(clocks_per_month: dict[date, int], as_of: datetime, timezone: str) -> list[MonthChoice]:
    """Months that hold decided clocks, and the month in progress, newest first.

    Months without data are left out: a store of last year's tickets should not
    open a list on a hundred empty months.
    """
    current = month_of(as_of, timezone)
    months = {m: n for m, n in clocks_per_month.items() if m <= current}
    months.setdefault(current, 0)
    return [
        MonthChoice(m, months[m], days_so_far(m, as_of, timezone)) for m in sorted(months, reverse=True)
    ]


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
