"""Business-hours calendars as day tables, so every clock question is an equi-join.

Every clock question reduces to F(t), a calendar's open microseconds before
instant t, and to its inverse. Both are answered by joining on a bucket
number instead of a range (an equi-join is an order of magnitude faster in
DuckDB than an ASOF join on millions of rows):

- `{name}_day`: one row per calendar per UTC day with the open time before
  that day (`cum_day`) and the day's openings clipped to it (`s1, e1, ...`).
  F(t) = cum_day + sum(clamp(t - s_k, 0, e_k - s_k)) for t's UTC day.
- `{name}_inv`: one row per calendar, per hour of open time (the bucket of
  `x // BUCKET_US`) and per day whose open time overlaps that hour, so the
  instant at which F reaches x is found by joining on x's bucket and keeping
  the day with cum_day < x <= cum_day + open_day: the earliest such instant,
  so a target reached at 18:00 closing is due at 18:00.

Openings are local wall-clock times converted to UTC day by day, so a
09:00-18:00 day is nine real hours on a DST day too. `24x7` has no rows:
for it F(t) = t.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

import duckdb
import pandas as pd

from sla_core.policy import BUILTIN_24X7, Calendar, Policy
from sla_core.sqlutil import load_frame

US = 1_000_000
DAY_US = 86_400 * US
BUCKET_US = 3_600 * US
_MAX_HORIZON_DAYS = 366 * 30
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def closed_dates(cal: Calendar, first: date, last: date) -> set[date]:
    """Explicit holidays plus the country's (or subdivision's, `GB-ENG`) public holidays in the years covered."""
    closed = set(cal.holidays)
    country, subdiv = cal.holiday_country_subdiv
    if country:
        import holidays

        years = range(first.year, last.year + 1)
        closed |= set(holidays.country_holidays(country, subdiv=subdiv, years=years).keys())
    return closed


def epoch_us(moment: datetime) -> int:
    """Exact epoch microseconds of an aware datetime."""
    delta = moment.astimezone(timezone.utc) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def utc_date(us: int) -> date:
    return (_EPOCH + timedelta(microseconds=us)).date()


def _local_to_utc_us(day: date, seconds_after_midnight: int, policy: Policy) -> int:
    """A local wall-clock time as a UTC instant (an end of 24:00 is the next local midnight)."""
    extra_days, seconds = divmod(seconds_after_midnight, 86_400)
    local_day = day + timedelta(days=extra_days)
    hour, rest = divmod(seconds, 3600)
    wall = datetime(local_day.year, local_day.month, local_day.day, hour, rest // 60, tzinfo=policy.zone)
    return epoch_us(wall)


def open_intervals(cal: Calendar, policy: Policy, first: date, last: date) -> Iterator[tuple[int, int]]:
    """(start_us, end_us) of every opening on local dates `first`..`last`, in order."""
    closed = closed_dates(cal, first, last)
    day = first
    while day <= last:
        if day not in closed:
            for span in cal.intervals(day.weekday()):
                start = _local_to_utc_us(day, span.start_seconds, policy)
                end = _local_to_utc_us(day, span.end_seconds, policy)
                if end > start:
                    yield start, end
        day += timedelta(days=1)


def _horizon_end(cal: Calendar, policy: Policy, last: date, needed_us: int) -> date:
    """A local date by which `needed_us` of open time has passed after `last`."""
    total, day, step = 0, last, 28
    while total < needed_us:
        if (day - last).days > _MAX_HORIZON_DAYS:
            raise ValueError("a calendar has too few open hours to reach its longest target within 30 years")
        nxt = day + timedelta(days=step)
        total += sum(end - start for start, end in open_intervals(cal, policy, day + timedelta(days=1), nxt))
        day = nxt
    return day


def calendar_names(policy: Policy) -> list[str]:
    """Calendar codes used in SQL: the index in this list (24x7 is 0)."""
    return [BUILTIN_24X7, *policy.calendars]


class CalendarTables:
    """Names of the built tables and the SQL that reads them (calendars by code, see calendar_names)."""

    def __init__(self, prefix: str, slots: int) -> None:
        self.day = f"{prefix}_day"
        self.inv = f"{prefix}_inv"
        self.slots = slots

    def join_day(self, alias: str, cal: str, t: str) -> str:
        """LEFT JOIN clause bringing t's UTC day row of calendar code `cal` in as `alias`."""
        return f"LEFT JOIN {self.day} {alias} ON {alias}.cal = {cal} AND {alias}.day = {t} // {DAY_US}"

    def f(self, alias: str, cal: str, t: str) -> str:
        """F(cal, t) given the row joined by `join_day`."""
        parts = [f"coalesce(greatest(0, least({t}, {alias}.e{k}) - {alias}.s{k}), 0)" for k in range(1, self.slots + 1)]
        return f"CASE WHEN {cal} = 0 THEN {t} ELSE {alias}.cum_day + {' + '.join(parts)} END"

    def join_inv(self, alias: str, cal: str, x: str) -> str:
        """LEFT JOIN clause bringing in the day in which F(cal, .) reaches x."""
        return (
            f"LEFT JOIN {self.inv} {alias} ON {alias}.cal = {cal} AND {alias}.bucket = {x} // {BUCKET_US}"
            f" AND {x} > {alias}.cum_day AND {x} <= {alias}.cum_day + {alias}.open_day"
        )

    def f_inverse(self, alias: str, cal: str, x: str) -> str:
        """The earliest instant at which F(cal, .) reaches x, given `join_inv`."""
        r = f"({x} - {alias}.cum_day)"
        cases = " ".join(
            f"WHEN {r} <= {alias}.c{k} + ({alias}.e{k} - {alias}.s{k}) THEN {alias}.s{k} + ({r} - {alias}.c{k})"
            for k in range(1, self.slots + 1)
        )
        return f"CASE WHEN {cal} = 0 THEN {x} ELSE CASE {cases} END END"


_FRAMES_CACHE: "OrderedDict[tuple, tuple[int, pd.DataFrame, pd.DataFrame]]" = OrderedDict()
_FRAMES_LOCK = threading.Lock()
_FRAMES_KEPT = 16


def _calendar_frames(policy: Policy, first: date, last: date, longest_target_us: int) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """(slots, day rows, inverse rows) of every policy calendar, remembered per calendars and span:
    building them is a Python walk over every day (holidays included), and the simulator and the
    live queue evaluate again and again over the same days. The frames are shared between
    sessions: callers only read them."""
    key = (policy.timezone, tuple((n, c.model_dump_json()) for n, c in policy.calendars.items()),
           first, last, longest_target_us)
    with _FRAMES_LOCK:
        if key in _FRAMES_CACHE:
            _FRAMES_CACHE.move_to_end(key)
            return _FRAMES_CACHE[key]
    frames = _build_calendar_frames(policy, first, last, longest_target_us)
    with _FRAMES_LOCK:
        _FRAMES_CACHE[key] = frames
        while len(_FRAMES_CACHE) > _FRAMES_KEPT:
            _FRAMES_CACHE.popitem(last=False)
    return frames


def _build_calendar_frames(policy: Policy, first: date, last: date, longest_target_us: int) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    day_rows: list[tuple] = []
    slots = 1
    spans_by_cal: dict[str, dict[int, list[tuple[int, int]]]] = {}
    end_day_by_cal: dict[str, int] = {}
    for name, cal in policy.calendars.items():
        end_local = _horizon_end(cal, policy, last, longest_target_us + DAY_US)
        by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for start, end in open_intervals(cal, policy, first - timedelta(days=1), end_local + timedelta(days=1)):
            while start < end:  # split at UTC midnight
                day = start // DAY_US
                cut = min(end, (day + 1) * DAY_US)
                by_day[day].append((start, cut))
                start = cut
        spans_by_cal[name] = by_day
        end_day_by_cal[name] = (epoch_us(datetime.combine(end_local, datetime.min.time(), timezone.utc)) // DAY_US) + 2
        slots = max([slots, *(len(v) for v in by_day.values())])

    first_day = epoch_us(datetime.combine(first, datetime.min.time(), timezone.utc)) // DAY_US
    inv_rows: list[tuple] = []
    for name, by_day in spans_by_cal.items():
        cum = 0
        for day in range(first_day, end_day_by_cal[name] + 1):
            spans = sorted(s for s in by_day.get(day, []) if s[1] > first_day * DAY_US)
            open_day = sum(e - s for s, e in spans)
            flat: list[int | None] = []
            within = 0
            for k in range(slots):
                if k < len(spans):
                    s, e = spans[k]
                    flat += [s, e, within]
                    within += e - s
                else:
                    flat += [None, None, None]
            row = (calendar_names(policy).index(name), day, cum, open_day, *flat)
            day_rows.append(row)
            if open_day:
                for bucket in range(cum // BUCKET_US, (cum + open_day) // BUCKET_US + 1):
                    inv_rows.append((bucket, *row))
            cum += open_day

    slot_cols = [f"{c}{k}" for k in range(1, slots + 1) for c in ("s", "e", "c")]
    day_cols = ["cal", "day", "cum_day", "open_day", *slot_cols]
    day_frame = pd.DataFrame(day_rows, columns=day_cols).astype("Int64")
    inv_frame = pd.DataFrame(inv_rows, columns=["bucket", *day_cols]).astype("Int64")
    return slots, day_frame, inv_frame


def build_calendar_tables(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    first: date,
    last: date,
    longest_target_us: int,
    prefix: str,
) -> CalendarTables:
    """Build the day and inverse tables of every policy calendar for UTC days `first`..`last`.

    The tables run far enough past `last` for the longest target to be
    reached from `last`, so every due time lands inside them.
    """
    slots, day_frame, inv_frame = _calendar_frames(policy, first, last, longest_target_us)
    tables = CalendarTables(prefix, slots)
    ddl = ", ".join(f"{c} BIGINT" for c in day_frame.columns)
    load_frame(con, tables.day, day_frame, ddl)
    load_frame(con, tables.inv, inv_frame, "bucket BIGINT, " + ddl)
    return tables
