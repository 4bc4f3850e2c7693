"""The current side of a simulation: every ticket judged as the Review judges it, and a period's slice of it.

- `Baseline` (once per data version and current policy): every ticket
  evaluated under the current policy.
- `Replay` (once per period): the period's tickets (numbered: the integer
  key the codes use), events and current results, the distinct rubric input
  combinations ("profiles") in it, scored under the current rubric, and its
  prepared clocks (`engine.PreparedClocks`: stops, tier events and clipped
  pauses), so that each candidate judges only what it changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional

import duckdb

from sla_core.clocks.engine import INPUT_COLUMNS, PreparedClocks, code_sql, evaluate, prepared_tables, text_sql
from sla_core.clocks.rubric import score_tickets
from sla_core.periods import quarter_end, quarter_start
from sla_core.policy import Policy
from sla_core.policy.teams import on_call_tiers
from sla_core.simulate.tables import OwnedTables
from sla_core.sqlutil import fetch_one
from sla_core.vocab import METRICS, STATES, TIERS

UNTIERED = "untiered"
# Tier codes of the coded results (index in TIERS) and the code of "no tier" in the frames.
UNTIERED_I = len(TIERS)
TICKET_KEY = "tix"  # the replay's integer ticket key, what coded results are keyed by


def tier_text(code: str) -> str:
    """SQL: a tier code's text, `untiered` for the code of no tier."""
    return text_sql(code, TIERS, f"'{UNTIERED}'")


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Tickets created in [start, end): local dates in the policy timezone; None = unbounded."""

    start: Optional[date] = None
    end: Optional[date] = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"period: 'to' ({self.end}) must be after 'from' ({self.start})")

    def label(self) -> str:
        if self.start is None and self.end is None:
            return "all tickets"
        last = self.end - timedelta(days=1) if self.end else None
        return f"{self.start or '…'} to {last or '…'}"


def default_quarter(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, tickets: str = "tickets"
) -> Period:
    """The quarter a replay opens on: the latest full calendar quarter (policy timezone; ended by the last ticket
    created by `as_of`) that holds at least half as many tickets as the busiest full quarter, so a store whose
    tickets mostly came in one spring does not open on a thin tail of its last months.

    When no quarter ended inside the data (less than a quarter of history), all of it.
    """
    rows = con.cursor().execute(
        f"""SELECT CAST(date_trunc('quarter', day) AS DATE) AS quarter, count(*) AS n, max(max(day)) OVER () AS last
            FROM (SELECT CAST(timezone($z, created_at) AS DATE) AS day FROM {tickets} WHERE created_at <= $as_of)
            GROUP BY ALL ORDER BY quarter""",
        {"z": policy.timezone, "as_of": as_of},
    ).fetchall()
    if not rows:
        return Period()
    end = quarter_start(rows[0][2] + timedelta(days=1))
    full = [(quarter, n) for quarter, n, _ in rows if quarter_end(quarter) <= end]
    if not full:
        return Period()
    busiest = max(n for _, n in full)
    start = max(quarter for quarter, n in full if 2 * n >= busiest)
    return Period(start, quarter_end(start))


def _period_where(period: Period, alias: str = "t") -> tuple[str, dict[str, Any]]:
    """SQL filter on local creation dates, with named parameters (the zone is bound as $zone)."""
    parts, params = ["TRUE"], {}
    if period.start:
        parts.append(f"CAST(timezone($zone, {alias}.created_at) AS DATE) >= $p_start")
        params["p_start"] = period.start
    if period.end:
        parts.append(f"CAST(timezone($zone, {alias}.created_at) AS DATE) < $p_end")
        params["p_end"] = period.end
    return " AND ".join(parts), params


# ---------------------------------------------------------------- the current side


class Baseline(OwnedTables):
    """Every ticket evaluated under the current policy, as the Review judges it: computed once, read by every replay."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        policy: Policy,
        as_of: datetime,
        *,
        tickets: str = "tickets",
        events: str = "events",
    ) -> None:
        super().__init__(con, "base")
        self.policy, self.as_of, self.ticket_table, self.event_table = policy, as_of, tickets, events
        started = time.perf_counter()
        self.results = evaluate(con.cursor(), policy, as_of, tickets=tickets, events=events, out=self.name("results"))
        self.default_period = default_quarter(con, policy, as_of, tickets)
        self.seconds = time.perf_counter() - started


def prepare_baseline(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, *, tickets: str = "tickets", events: str = "events"
) -> Baseline:
    """The current side over all tickets (the expensive evaluation; reuse it across periods and candidates)."""
    return Baseline(con, policy, as_of, tickets=tickets, events=events)


_PROFILE_COLUMNS = ("customers_affected", "segment", "severity", "regulatory", "workaround")


class Replay(OwnedTables):
    """A period of the baseline: its tickets, events, current results and rubric profiles."""

    def __init__(self, baseline: Baseline, period: Period) -> None:
        super().__init__(baseline.con, "replay")
        self.baseline, self.period = baseline, period
        self.policy = baseline.policy
        started = time.perf_counter()
        cur = self.con.cursor()
        where, params = _period_where(period)
        if params:
            params["zone"] = self.policy.timezone
        self.period_tickets, self.period_events, self.current_results = self.name("tickets"), self.name("events"), self.name("current")
        self.profiled_tickets, self.profiles, self.profile_scores = self.name("profiled"), self.name("profiles"), self.name("profile_scores")
        columns = ", ".join(f"t.{c}" for c in INPUT_COLUMNS)  # what the engine and the frames read
        cur.execute(
            f"CREATE TABLE {self.period_tickets} AS SELECT row_number() OVER () AS {TICKET_KEY}, {columns} "
            f"FROM {baseline.ticket_table} t "
            f"SEMI JOIN (SELECT ticket_id FROM {baseline.results} WHERE metric = 'acknowledge') r USING (ticket_id) "
            f"WHERE {where}",
            params,
        )
        cur.execute(f"CREATE TABLE {self.period_events} AS SELECT e.* FROM {baseline.event_table} e SEMI JOIN {self.period_tickets} USING (ticket_id)")
        cur.execute(
            f"CREATE TABLE {self.current_results} AS SELECT r.* FROM {baseline.results} r SEMI JOIN {self.period_tickets} USING (ticket_id)"
        )
        # Profiles: one row per distinct rubric input combination; scoring them scores every ticket.
        inputs = ", ".join(f"t.{c}" for c in _PROFILE_COLUMNS)
        has_inputs = " OR ".join(f"t.{c} IS NOT NULL" for c in _PROFILE_COLUMNS if c != "segment")
        cur.execute(
            f"""
            CREATE TABLE {self.profiled_tickets} AS
            WITH marked AS (
                SELECT t.ticket_id, t.{TICKET_KEY}, t.created_at, t.segment, t.impact, {inputs},
                       CASE WHEN {has_inputs} THEN dense_rank() OVER (ORDER BY {inputs}) END AS profile_id
                FROM {self.period_tickets} t
            )
            SELECT m.*, r.initial_tier AS tier_cur,
                   CAST(date_trunc('week', timezone($zone, m.created_at)) AS DATE) AS week,
                   m.ticket_id IN (SELECT ticket_id FROM {self.period_events} WHERE field = 'impact') AS has_impact_events
            FROM marked m JOIN {self.current_results} r ON r.ticket_id = m.ticket_id AND r.metric = 'acknowledge'
            """,
            {"zone": self.policy.timezone},
        )
        cur.execute(
            f"CREATE TABLE {self.profiles} AS SELECT DISTINCT profile_id, {', '.join(_PROFILE_COLUMNS)} "
            f"FROM {self.profiled_tickets} WHERE profile_id IS NOT NULL"
        )
        score_profiles(cur, self.policy, self.profiles, self.profile_scores)
        # The current side as codes keyed by ticket and metric: what every candidate's codes are compared with.
        self.current_codes = self.name("cur_codes")
        cur.execute(
            f"""
            CREATE TABLE {self.current_codes} AS
            SELECT k.{TICKET_KEY} AS ticket_key, {code_sql("r.metric", METRICS)} AS metric_i,
                   {code_sql("r.tier", TIERS)} AS tier_i, {code_sql("r.initial_tier", TIERS)} AS initial_tier_i,
                   {code_sql("r.state", STATES)} AS state_i
            FROM {self.current_results} r JOIN {self.period_tickets} k USING (ticket_id)
            """
        )
        # What no candidate with the same pauses changes: the period's stops, pauses and tier events.
        clock_prefix = self.name("clk")
        for table in prepared_tables(clock_prefix):
            self.name(table.removeprefix(f"{self.prefix}_"))  # owned: dropped with the replay
        self.clocks = PreparedClocks(cur, self.policy, baseline.as_of, tickets=self.period_tickets, events=self.period_events,
                                     coded_by=TICKET_KEY, prefix=clock_prefix)
        # Current-side counts the frames start from, so a candidate only adds its re-evaluated tickets.
        self.current_counts, self.weekly_tiers = self.name("current_counts"), self.name("weekly_tiers")
        cur.execute(
            f"CREATE TABLE {self.current_counts} AS SELECT tier, metric, count(*) FILTER (WHERE state = 'met') AS met, "
            f"count(*) FILTER (WHERE state = 'breached') AS breached FROM {self.current_results} GROUP BY ALL"
        )
        cur.execute(
            f"CREATE TABLE {self.weekly_tiers} AS SELECT week, coalesce(tier_cur, '{UNTIERED}') AS tier, count(*) AS n "
            f"FROM {self.profiled_tickets} GROUP BY ALL"
        )
        self.ticket_count = int(fetch_one(cur.execute(f"SELECT count(*) FROM {self.profiled_tickets}"))[0])
        present = fetch_one(cur.execute(
            f"SELECT {', '.join(f'count({c})' for c in _PROFILE_COLUMNS)} FROM {self.profiled_tickets}"))
        # How many of the period's tickets carry each rubric input: a factor none carries cannot move a tier.
        self.factor_counts: dict[str, int] = {c: int(n) for c, n in zip(_PROFILE_COLUMNS, present)}
        self.profile_count = int(fetch_one(cur.execute(f"SELECT count(*) FROM {self.profiles}"))[0])
        self.seconds = time.perf_counter() - started


def busiest_on_call_week(replay: Replay) -> int:
    """On-call tickets (policy.teams.on_call_tiers) in the period's busiest ISO week under the current policy
    (0 without any)."""
    row = fetch_one(replay.con.cursor().execute(
        f"SELECT max(n) FROM (SELECT week, sum(n) AS n FROM {replay.weekly_tiers} WHERE list_contains(?, tier) GROUP BY week)",
        [list(on_call_tiers(replay.policy))],
    ))
    return int(row[0] or 0)


def prepare_replay(baseline: Baseline, period: Optional[Period] = None) -> Replay:
    """The period's slice of the baseline, ready for any number of candidates."""
    return Replay(baseline, period or Period())


def score_profiles(cur: duckdb.DuckDBPyConnection, policy: Policy, profiles: str, out: str) -> None:
    """rubric.score_tickets over the profiles (profile_id as the ticket id), kept as a table of ours."""
    scratch = f"{out}_scratch"
    score_tickets(cur, policy.rubric, tickets=f"(SELECT profile_id AS ticket_id, * FROM {profiles})", out=scratch)
    cur.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT ticket_id AS profile_id, * EXCLUDE (ticket_id) FROM {scratch}")
    cur.execute(f"DROP TABLE IF EXISTS {scratch}")

