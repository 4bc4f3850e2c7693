"""The review month of a decided clock: its local calendar month, found by a join on UTC days.

Checked against DuckDB's own timezone conversion (the one every other month
and local time in the app uses), for zones with DST, zones with half-hour
offsets or DST steps, zones far from UTC, zones whose rules differ between
Python's tz database and DuckDB's, a month that began twice, and instants on
the very edges of months.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_core.clocks.engine import RESULT_COLUMNS
from sla_core.sources.outcomes import prepare_outcomes

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Kiritimati",
         "Pacific/Pago_Pago", "America/Santiago", "America/Vancouver", "America/St_Johns", "Africa/Casablanca", "UTC"]


def months_by_join_and_by_duckdb(zone: str, instants: list[datetime]) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(f"NULL AS {c}" for c in RESULT_COLUMNS if c not in ("state", "stopped_at", "ticket_id"))
        con.execute("CREATE TABLE stopped (s TIMESTAMPTZ)")
        con.executemany("INSERT INTO stopped VALUES (?)", [[i] for i in instants])
        con.execute(
            f"""CREATE TABLE sla_results AS
            SELECT 'T' || row_number() OVER () AS ticket_id, 'met' AS state, s AS stopped_at, {columns} FROM stopped"""
        )
        prepare_outcomes(con, zone)
        return con.execute(
            """SELECT stopped_at, month, CAST(date_trunc('month', timezone(?, stopped_at)) AS DATE)
               FROM review_outcomes ORDER BY stopped_at""",
            [zone],
        ).fetchall()
    finally:
        con.close()


def month_starts(zone: str, years: range) -> list[datetime]:
    starts = []
    for year in years:
        for month in range(1, 13):
            start = datetime(year, month, 1, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
            starts += [start - timedelta(microseconds=1), start, start + timedelta(microseconds=1)]
    return starts


def test_instants_on_the_edges_of_every_month_get_their_local_month():
    for zone in ZONES:
        rows = months_by_join_and_by_duckdb(zone, month_starts(zone, range(2024, 2027)))
        assert len(rows) == 3 * 36
        assert [r[1] for r in rows] == [r[2] for r in rows], zone
        # the microsecond before a month starts still belongs to the month before
        assert rows[0][1] == rows[0][2] != rows[1][1]


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    instants=st.lists(
        st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(timezone.utc)),
        min_size=1, max_size=30,
    ),
)
def test_any_instant_gets_the_month_duckdb_gives_it(zone, instants):
    rows = months_by_join_and_by_duckdb(zone, instants)
    assert len(rows) == len(instants)
    assert [r[1] for r in rows] == [r[2] for r in rows]


def test_instants_where_the_tz_databases_or_the_clocks_disagree_get_duckdbs_month():
    cases = {
        # British Columbia's rules differ between tz database releases from late 2026
        "America/Vancouver": [datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc), datetime(2026, 11, 1, 7, 30, tzinfo=timezone.utc)],
        # DST ended at 00:01 on 1 November 2009: the clocks went back into October for an hour
        "America/St_Johns": [datetime(2009, 11, 1, 2, 31, tzinfo=timezone.utc), datetime(2009, 11, 1, 3, 0, tzinfo=timezone.utc),
                             datetime(2009, 11, 1, 3, 31, tzinfo=timezone.utc)],
        # before 1970: a day number below zero
        "Europe/London": [datetime(1969, 12, 31, 23, 0, tzinfo=timezone.utc), datetime(1969, 11, 30, 23, 59, tzinfo=timezone.utc)],
    }
    for zone, instants in cases.items():
        rows = months_by_join_and_by_duckdb(zone, instants)
        assert len(rows) == len(instants), zone
        assert [r[1] for r in rows] == [r[2] for r in rows], zone
