"""The generated tickets keep the data contract of DESIGN.md, row by row, and tell a year's stories."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sla_core.clocks.rubric import score_tickets
from sla_core.columns import EVENT_COLUMNS, TICKET_COLUMNS
from sla_core.policy import load_policy
from sla_core.sample import DEFAULT_END, DEFAULT_TIMEZONE, generate, write_into
from sla_core.vocab import DISCIPLINES, EVENT_FIELDS, FIRST_SEEN_BY, SEVERITIES, STATUSES, TIERS
from tests.conftest import SAMPLE_POLICY

N = 4000
HORIZON = datetime.fromisoformat(DEFAULT_END).replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = ?", [DEFAULT_TIMEZONE])
    assert write_into(con, N, seed=11)[0] == N
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    return con.execute(sql, params or []).fetchone()[0]


def violations(con: duckdb.DuckDBPyConnection, rules: dict[str, str], params: list[Any] | None = None) -> dict[str, int]:
    """Rule name -> number of tickets breaking it (each rule is a WHERE clause naming the bad rows)."""
    found = {
        name: one(con, f"SELECT count(*) FROM tickets WHERE {where}", params if "?" in where else None)
        for name, where in rules.items()
    }
    return {name: count for name, count in found.items() if count}


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    first, again, other = generate(300, seed=5), generate(300, seed=5), generate(300, seed=6)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert not first[0].equals(other[0])


def test_tables_have_the_canonical_columns(con: duckdb.DuckDBPyConnection) -> None:
    tickets, events = generate(50)
    assert tickets.column_names == list(TICKET_COLUMNS)
    assert events.column_names == ["ticket_id", "at", "field", "value"]
    assert [r[0] for r in con.execute("DESCRIBE events").fetchall()] == list(EVENT_COLUMNS)
    assert one(con, "SELECT count(*) FROM tickets") == one(con, "SELECT count(DISTINCT ticket_id) FROM tickets") == N


def test_every_value_is_allowed(con: duckdb.DuckDBPyConnection) -> None:
    one_of = "IN (SELECT unnest(?::VARCHAR[]))"
    listed = {
        "impact unknown": (f"impact IS NOT NULL AND impact NOT {one_of}", TIERS),
        "severity unknown": (f"severity IS NOT NULL AND severity NOT {one_of}", SEVERITIES),
        "owner_team unknown": (f"owner_team NOT {one_of}", DISCIPLINES),
        "source unknown": (f"source NOT {one_of}", FIRST_SEEN_BY),
    }
    for name, (where, allowed) in listed.items():
        assert violations(con, {name: where}, [list(allowed)]) == {}
    rules = {
        "created_at missing": "created_at IS NULL",
        "segment unknown": "segment NOT IN ('enterprise', 'self_serve', 'mid_market')",
        "customers_affected negative": "customers_affected < 0",
        "reopen_count negative": "reopen_count IS NULL OR reopen_count < 0",
        "csat out of 1..5": "csat NOT BETWEEN 1 AND 5",
        "csat while unresolved": "csat IS NOT NULL AND resolved_at IS NULL",
        "impact tag disagrees": "impact IS NOT NULL AND NOT starts_with(tags, 'impact:' || impact)",
        "empty impact not tagged": "impact IS NULL AND NOT starts_with(tags, 'needs-triage')",
    }
    assert violations(con, rules) == {}
    bad_events = one(
        con,
        """SELECT count(*) FROM events WHERE field NOT IN (SELECT unnest(?::VARCHAR[]))
           OR (field = 'status' AND value NOT IN (SELECT unnest(?::VARCHAR[])))
           OR (field = 'impact' AND value NOT IN (SELECT unnest(?::VARCHAR[])))
           OR (field = 'owner_team' AND value NOT IN (SELECT unnest(?::VARCHAR[])))""",
        [list(EVENT_FIELDS), list(STATUSES), list(TIERS), list(DISCIPLINES)],
    )
    assert bad_events == 0


def test_timestamps_are_ordered_and_before_the_horizon(con: duckdb.DuckDBPyConnection) -> None:
    rules = {
        "acknowledged before created": "acknowledged_at < created_at",
        "action plan before created": "action_plan_at < created_at",
        "action plan before acknowledged": "action_plan_at < acknowledged_at",
        "resolved before created": "resolved_at < created_at",
        "resolved before acknowledged": "resolved_at < acknowledged_at OR (resolved_at IS NOT NULL AND acknowledged_at IS NULL)",
        "detected after created": "detected_at > created_at",
        "started after detected": "started_at > detected_at",
        "only one of started/detected": "(started_at IS NULL) <> (detected_at IS NULL)",
        "at or after the horizon": "greatest(created_at, acknowledged_at, action_plan_at, resolved_at) >= ?",
        "created before the start": "created_at < TIMESTAMPTZ '2025-12-01 00:00:00+00'",
    }
    assert violations(con, rules, [HORIZON]) == {}
    early = one(con, 'SELECT count(*) FROM events e JOIN tickets t USING (ticket_id) WHERE e."at" < t.created_at')
    late = one(con, 'SELECT count(*) FROM events WHERE "at" >= ?', [HORIZON])
    orphans = one(con, "SELECT count(*) FROM events WHERE ticket_id NOT IN (SELECT ticket_id FROM tickets)")
    assert (early, late, orphans) == (0, 0, 0)


def test_events_are_in_row_order_with_seq(con: duckdb.DuckDBPyConnection) -> None:
    out_of_order = one(
        con,
        """SELECT count(*) FROM (
             SELECT ticket_id, "at", seq, lag(ticket_id) OVER w AS prev_id, lag("at") OVER w AS prev_at,
                    lag(seq) OVER w AS prev_seq
             FROM events WINDOW w AS (ORDER BY seq))
           WHERE seq <> prev_seq + 1 OR ticket_id < prev_id OR (ticket_id = prev_id AND "at" < prev_at)""",
    )
    assert out_of_order == 0
    assert one(con, "SELECT min(seq) FROM events") == 1


STATUS_HISTORY = """
    WITH s AS (
        SELECT ticket_id, "at", value, lag(value) OVER (PARTITION BY ticket_id ORDER BY seq) AS prev
        FROM events WHERE field = 'status'
    )
"""


def test_reopen_count_matches_resolved_to_open_transitions(con: duckdb.DuckDBPyConnection) -> None:
    mismatches = one(
        con,
        STATUS_HISTORY
        + """, reopens AS (
            SELECT ticket_id, count(*) FILTER (WHERE prev IN ('resolved', 'closed') AND value NOT IN ('resolved', 'closed')) AS n
            FROM s GROUP BY ticket_id)
        SELECT count(*) FROM tickets t LEFT JOIN reopens r USING (ticket_id) WHERE t.reopen_count <> coalesce(r.n, 0)""",
    )
    assert mismatches == 0
    assert one(con, "SELECT count(*) FROM tickets WHERE reopen_count >= 2") > 0


def test_resolved_at_is_the_final_resolution_and_ack_the_first_open(con: duckdb.DuckDBPyConnection) -> None:
    mismatches = one(
        con,
        STATUS_HISTORY
        + """, last AS (
            SELECT ticket_id, arg_max(value, "at") AS status,
                   max("at") FILTER (WHERE value = 'resolved') AS last_resolved,
                   min("at") FILTER (WHERE value = 'open') AS first_open
            FROM s GROUP BY ticket_id)
        SELECT count(*) FROM tickets t JOIN last l USING (ticket_id)
        WHERE (l.status IN ('resolved', 'closed') AND t.resolved_at IS DISTINCT FROM l.last_resolved)
           OR (l.status NOT IN ('resolved', 'closed') AND t.resolved_at IS NOT NULL)
           OR t.acknowledged_at IS DISTINCT FROM l.first_open""",
    )
    assert mismatches == 0


def test_empty_impact_tickets_carry_every_rubric_input(con: duckdb.DuckDBPyConnection) -> None:
    empty = one(con, "SELECT count(*) FROM tickets WHERE impact IS NULL")
    assert 0.07 * N < empty < 0.13 * N
    incomplete = one(
        con,
        """SELECT count(*) FROM tickets WHERE impact IS NULL AND
           (customers_affected IS NULL OR severity IS NULL OR regulatory IS NULL OR workaround IS NULL)""",
    )
    assert incomplete == 0


def test_rubric_mostly_agrees_with_impact_but_not_always(con: duckdb.DuckDBPyConnection) -> None:
    scores = score_tickets(con, load_policy(SAMPLE_POLICY).rubric, out="sample_rubric_scores")
    untiered, agreement = con.execute(
        f"""SELECT count(*) FILTER (WHERE t.impact IS NULL AND r.rubric_tier IS NULL),
                   avg((t.impact = r.rubric_tier)::INT) FILTER (WHERE t.impact IS NOT NULL)
            FROM tickets t JOIN {scores} r USING (ticket_id)"""
    ).fetchone()
    assert untiered == 0
    assert 0.5 < agreement < 0.9  # a calibration signal, not noise


def test_tier_segment_and_arrival_mix(con: duckdb.DuckDBPyConnection) -> None:
    assigned = dict(
        con.execute(
            "SELECT impact, count(*) / sum(count(*)) OVER () FROM tickets WHERE impact IS NOT NULL GROUP BY impact"
        ).fetchall()
    )
    for tier, expected in zip(TIERS, (0.05, 0.20, 0.45, 0.30)):
        assert abs(assigned[tier] - expected) < 0.035, (tier, assigned[tier])
    segments = dict(con.execute("SELECT segment, count(*) / ? FROM tickets GROUP BY segment", [float(N)]).fetchall())
    assert segments["mid_market"] < segments["enterprise"] < segments["self_serve"]
    weekday, weekend, working = con.execute(
        """SELECT count(*) FILTER (WHERE isodow(created_at) <= 5) / 5.0,
                  count(*) FILTER (WHERE isodow(created_at) > 5) / 2.0,
                  avg((isodow(created_at) <= 5 AND hour(created_at) BETWEEN 9 AND 17)::INT)
           FROM tickets"""
    ).fetchone()
    assert weekday > 3 * weekend  # per day
    assert working > 0.6


def test_monitoring_detects_faster_than_customers(con: duckdb.DuckDBPyConnection) -> None:
    medians = dict(
        con.execute(
            """SELECT source, median(epoch(detected_at) - epoch(started_at)) FROM tickets
               WHERE started_at IS NOT NULL GROUP BY source"""
        ).fetchall()
    )
    assert medians["monitoring"] * 5 < medians["customer"]


def test_stories_of_a_year_are_all_present(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute(
            STATUS_HISTORY
            + """, ev AS (SELECT e.*, t.impact FROM events e JOIN tickets t USING (ticket_id))
            SELECT 'tier up', count(*) FROM ev WHERE field = 'impact'
                AND list_position(?::VARCHAR[], value) < list_position(?::VARCHAR[], impact)
            UNION ALL SELECT 'tier down', count(*) FROM ev WHERE field = 'impact'
                AND list_position(?::VARCHAR[], value) > list_position(?::VARCHAR[], impact)
            UNION ALL SELECT 'to engineering', count(*) FROM events WHERE field = 'owner_team' AND value = 'engineering'
            UNION ALL SELECT 'to product', count(*) FROM events WHERE field = 'owner_team' AND value = 'product'
            UNION ALL SELECT 'waits on customer', count(*) FROM events WHERE value = 'waiting_on_customer'
            UNION ALL SELECT 'waits on third party', count(*) FROM events WHERE value = 'waiting_on_third_party'
            UNION ALL SELECT 'closed', count(*) FROM events WHERE value = 'closed'
            UNION ALL SELECT 'open at the horizon', count(*) FROM tickets WHERE resolved_at IS NULL
            UNION ALL SELECT 'unacknowledged at the horizon', count(*) FROM tickets WHERE acknowledged_at IS NULL
            UNION ALL SELECT 'paused at the horizon', count(*) FROM (
                SELECT ticket_id, arg_max(value, seq) AS status FROM events WHERE field = 'status' GROUP BY ticket_id)
                WHERE status LIKE 'waiting%'""",
            [list(TIERS)] * 4,
        ).fetchall()
    )
    assert all(count > 0 for count in counts.values()), counts
    assert counts["open at the horizon"] < 0.1 * N  # a live queue, not an abandoned one


def test_engineering_handoffs_arrive_better_triaged(con: duckdb.DuckDBPyConnection) -> None:
    complete = dict(
        con.execute(
            """SELECT owner_team = 'engineering',
                      avg((repro_steps IS NOT NULL AND environment IS NOT NULL AND logs IS NOT NULL)::INT)
               FROM tickets GROUP BY ALL"""
        ).fetchall()
    )
    assert complete[True] > 2 * complete[False] > 0


def test_satisfaction_is_lower_after_critical_incidents(con: duckdb.DuckDBPyConnection) -> None:
    csat = dict(con.execute("SELECT impact, avg(csat) FROM tickets WHERE impact IS NOT NULL GROUP BY impact").fetchall())
    assert csat["critical"] < csat["low"]
    answered = one(con, "SELECT avg((csat IS NOT NULL)::INT) FROM tickets WHERE resolved_at IS NOT NULL")
    assert 0.6 < answered < 0.95


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(0)
    with pytest.raises(ValueError, match="must be after start"):
        generate(10, start="2026-02-01", end="2026-01-01")
