"""The timestamp pre-pass is only a shortcut: a cell matching a layout its column's sample showed is read with
one GLOB and one cast, any other cell with the full test of its shape, and both give the same instant."""

from __future__ import annotations

import duckdb
import hypothesis.strategies as st
from hypothesis import given, settings

from sla_core.ingest.loading.values import TimestampParser, glob_layout, sample_layouts

# Texts made of what timestamps are made of, and real ones; digits other than ASCII must not pass for digits.
ts_chars = st.sampled_from(list("0123456789-/:T +Z.UTCAMPx") + ["\n", "\u00a0", "٣", "*", "[", "?"])
stamp_like = st.text(ts_chars, max_size=28) | st.sampled_from([
    "2026-11-02T10:00:00+01:00", "2026-11-02 10:00", "2026-11-02 10:00:00 UTC", "2026-11-02T10:00:00Z",
    "02/11/2026 10:00", "11/02/2026 1:30 PM", "2026-11-02", "2026-1-2 3:04", "2026-11-02T10:00:00.5+0530",
    "31/02/2026 10:00", "2026-02-30 10:00", "+026-11-02T10:00:00+01:00", "2026-11-02 10:00 -05", "0001-01-01",
])


@settings(max_examples=300, deadline=None)
@given(sample=st.lists(stamp_like, max_size=30), cells=st.lists(stamp_like, min_size=1, max_size=40),
       order=st.sampled_from([None, "day", "month"]))
def test_a_cell_reads_the_same_through_a_layout_or_the_full_test(sample, cells, order):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    layouts = sample_layouts(con, {"c": sample})["c"]
    parser = TimestampParser("Europe/London", [], order)
    fast, full = parser.expr("v", layouts), parser.expr("v")
    rows = con.execute(f"SELECT v, {fast.sql}, {full.sql} FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                       [*fast.params, *full.params, cells]).fetchall()
    assert [(v, a) for v, a, _ in rows] == [(v, b) for v, _, b in rows]


def test_a_layout_is_digits_and_the_characters_around_them():
    assert glob_layout("2026-11-02T10:00:00+01:00") == "[0-9]" * 4 + "-[0-9][0-9]-[0-9][0-9]T" + (
        "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+[0-9][0-9]:[0-9][0-9]")
    assert glob_layout("٣/02") == "٣/[0-9][0-9]"  # an Arabic-Indic digit is no ASCII digit: kept as it is
    assert glob_layout("10:00*") is None  # a GLOB character: no layout, the full test reads such cells
