"""The rubric what-if simulator: the same tickets judged under the current and a candidate policy.

The current side is what the Review shows (DESIGN.md "simulate"): every
ticket keeps the tier it was judged at (its assigned impact, else the current
rubric's tier). A ticket moves only where the candidate's rubric tiers it
differently from the current rubric, and then takes the candidate's tier; so
a candidate equal to the current policy changes nothing, and the current
side's adherence is the Review's for the same tickets. Where the current
rubric and the assigned impact disagree is the rubric agreement view
(`calibration`), not a move.

Why three layers: a slider move must re-judge a quarter of a million tickets
in well under a second, and the engine is the expensive part.
- `Baseline` (once per data version and current policy): every ticket
  evaluated and scored under the current policy.
- `Replay` (once per period): the period's tickets (numbered: the integer
  key the codes use), events and current results, the distinct rubric input
  combinations ("profiles") in it, and its prepared clocks
  (`engine.PreparedClocks`: stops, tier events and clipped pauses).
- `simulate` (once per candidate): scores the profiles - a few thousand rows,
  not every ticket - then re-judges over the prepared clocks, in codes, only
  the tickets whose result can differ: those whose rubric tier moved, those
  in a (segment, tier) whose targets changed, those with impact events when
  any target changed, and all of them when a clock setting (calendars,
  pauses, timezone, ...) changed (a fresh evaluation when pauses or reopens
  changed). Every other ticket's candidate result is its current one, by
  construction. Text is made only for the rows a frame shows or a file holds.

Everything is SQL over whole tables; the small frames the page draws are the
only pandas. Every table this module creates carries a unique prefix, so
several sessions can simulate over one shared connection, and is dropped
when its Python object is collected.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional, Union

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.calendars import calendar_names
from sla_core.csv_safe import write_csv_safe
from sla_core.engine import (
    INPUT_COLUMNS,
    PreparedClocks,
    code_sql,
    evaluate,
    prepared_tables,
    result_select,
    text_sql,
)
from sla_core.policy import (
    Policy,
    PolicyError,
    describe_validation_error,
    format_duration,
    parse_duration,
    policy_from_dict,
    policy_to_dict,
)
from sla_core.periods import previous_quarter, quarter_start
from sla_core.rubric import FACTORS, score_tickets
from sla_core.schema import METRICS, STATES, TIERS

_counter = itertools.count()
_lock = threading.Lock()
# Policy keys that change how every clock runs, whatever the tier.
CLOCK_KEYS: tuple[str, ...] = ("timezone", "at_risk_ratio", "calendars", "pauses", "on_tier_change", "on_reopen")
UNTIERED = "untiered"
# The factor names as a SQL list literal (code constants, not user text): why_i indexes it.
FACTOR_LIST_SQL = "[" + ", ".join(f"'{f}'" for f in FACTORS) + "]"
ON_CALL_TIERS: tuple[str, ...] = ("critical", "high")
# Tier codes of the coded results (index in TIERS) and the code of "no tier" in the frames.
UNTIERED_I = len(TIERS)
TICKET_KEY = "tix"  # the replay's integer ticket key, what coded results are keyed by


def _tier_text(code: str) -> str:
    """SQL: a tier code's text, `untiered` for the code of no tier."""
    return text_sql(code, TIERS, f"'{UNTIERED}'")


def _prefix(kind: str) -> str:
    with _lock:
        n = next(_counter)
    return f"_sim_{kind}_{uuid.uuid4().hex[:8]}_{n}"


def _drop(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    try:
        cur = con.cursor()
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
    except duckdb.Error:
        pass  # the connection is already closed: its tables went with it


class _Tables:
    """Owner of a set of prefixed tables, dropped when the owner is collected or closed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: str) -> None:
        self.con = con
        self.prefix = _prefix(kind)
        self._names: list[str] = []
        self._finalizer = weakref.finalize(self, _drop, con, self._names)

    def name(self, part: str) -> str:
        table = f"{self.prefix}_{part}"
        if table not in self._names:
            self._names.append(table)
        return table

    def close(self) -> None:
        self._finalizer()


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


def last_full_quarter(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, tickets: str = "tickets"
) -> Period:
    """The latest calendar quarter (policy timezone) that ended by the last ticket created by `as_of`.

    When no quarter ended inside the data (less than a quarter of history), all of it.
    """
    first, last = con.cursor().execute(
        f"SELECT CAST(min(timezone($z, created_at)) AS DATE), CAST(max(timezone($z, created_at)) AS DATE) "
        f"FROM {tickets} WHERE created_at <= $as_of",
        {"z": policy.timezone, "as_of": as_of},
    ).fetchone()
    if first is None:
        return Period()
    end = quarter_start(last + timedelta(days=1))
    if end <= first:
        return Period()
    return Period(previous_quarter(end), end)


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


class Baseline(_Tables):
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
        self.policy, self.as_of, self.tickets, self.events = policy, as_of, tickets, events
        started = time.perf_counter()
        self.results = evaluate(con.cursor(), policy, as_of, tickets=tickets, events=events, out=self.name("results"))
        self.default_period = last_full_quarter(con, policy, as_of, tickets)
        self.seconds = time.perf_counter() - started


def prepare_baseline(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, *, tickets: str = "tickets", events: str = "events"
) -> Baseline:
    """The current side over all tickets (the expensive evaluation; reuse it across periods and candidates)."""
    return Baseline(con, policy, as_of, tickets=tickets, events=events)


_PROFILE_COLUMNS = ("customers_affected", "segment", "severity", "regulatory", "workaround")


class Replay(_Tables):
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
        self.t, self.e, self.cur_results = self.name("t"), self.name("e"), self.name("cur")
        self.tk, self.prof, self.prof_cur = self.name("tk"), self.name("prof"), self.name("prof_cur")
        columns = ", ".join(f"t.{c}" for c in INPUT_COLUMNS)  # what the engine and the frames read
        cur.execute(
            f"CREATE TABLE {self.t} AS SELECT row_number() OVER () AS {TICKET_KEY}, {columns} "
            f"FROM {baseline.tickets} t "
            f"SEMI JOIN (SELECT ticket_id FROM {baseline.results} WHERE metric = 'acknowledge') r USING (ticket_id) "
            f"WHERE {where}",
            params,
        )
        cur.execute(f"CREATE TABLE {self.e} AS SELECT e.* FROM {baseline.events} e SEMI JOIN {self.t} USING (ticket_id)")
        cur.execute(
            f"CREATE TABLE {self.cur_results} AS SELECT r.* FROM {baseline.results} r SEMI JOIN {self.t} USING (ticket_id)"
        )
        # Profiles: one row per distinct rubric input combination; scoring them scores every ticket.
        inputs = ", ".join(f"t.{c}" for c in _PROFILE_COLUMNS)
        has_inputs = " OR ".join(f"t.{c} IS NOT NULL" for c in _PROFILE_COLUMNS if c != "segment")
        cur.execute(
            f"""
            CREATE TABLE {self.tk} AS
            WITH marked AS (
                SELECT t.ticket_id, t.{TICKET_KEY}, t.created_at, t.segment, t.impact, {inputs},
                       CASE WHEN {has_inputs} THEN dense_rank() OVER (ORDER BY {inputs}) END AS profile_id
                FROM {self.t} t
            )
            SELECT m.*, r.initial_tier AS tier_cur,
                   CAST(date_trunc('week', timezone($zone, m.created_at)) AS DATE) AS week,
                   m.ticket_id IN (SELECT ticket_id FROM {self.e} WHERE field = 'impact') AS has_impact_events
            FROM marked m JOIN {self.cur_results} r ON r.ticket_id = m.ticket_id AND r.metric = 'acknowledge'
            """,
            {"zone": self.policy.timezone},
        )
        cur.execute(
            f"CREATE TABLE {self.prof} AS SELECT DISTINCT profile_id, {', '.join(_PROFILE_COLUMNS)} "
            f"FROM {self.tk} WHERE profile_id IS NOT NULL"
        )
        _score_profiles(cur, self.policy, self.prof, self.prof_cur)
        # The current side as codes keyed by ticket and metric: what every candidate's codes are compared with.
        self.cur_codes = self.name("cur_codes")
        cur.execute(
            f"""
            CREATE TABLE {self.cur_codes} AS
            SELECT k.{TICKET_KEY} AS ticket_key, {code_sql("r.metric", METRICS)} AS metric_i,
                   {code_sql("r.tier", TIERS)} AS tier_i, {code_sql("r.initial_tier", TIERS)} AS initial_tier_i,
                   {code_sql("r.state", STATES)} AS state_i
            FROM {self.cur_results} r JOIN {self.t} k USING (ticket_id)
            """
        )
        # What no candidate with the same pauses changes: the period's stops, pauses and tier events.
        clock_prefix = self.name("clk")
        for table in prepared_tables(clock_prefix):
            self.name(table.removeprefix(f"{self.prefix}_"))  # owned: dropped with the replay
        self.clocks = PreparedClocks(cur, self.policy, baseline.as_of, tickets=self.t, events=self.e,
                                     coded_by=TICKET_KEY, prefix=clock_prefix)
        # Current-side counts the frames start from, so a candidate only adds its re-evaluated tickets.
        self.adh, self.wk = self.name("adh"), self.name("wk")
        cur.execute(
            f"CREATE TABLE {self.adh} AS SELECT tier, metric, count(*) FILTER (WHERE state = 'met') AS met, "
            f"count(*) FILTER (WHERE state = 'breached') AS breached FROM {self.cur_results} GROUP BY ALL"
        )
        cur.execute(
            f"CREATE TABLE {self.wk} AS SELECT week, coalesce(tier_cur, '{UNTIERED}') AS tier, count(*) AS n "
            f"FROM {self.tk} GROUP BY ALL"
        )
        self.tickets = int(cur.execute(f"SELECT count(*) FROM {self.tk}").fetchone()[0])
        self.profiles = int(cur.execute(f"SELECT count(*) FROM {self.prof}").fetchone()[0])
        self.seconds = time.perf_counter() - started


def busiest_on_call_week(replay: Replay) -> int:
    """Critical + high tickets in the period's busiest ISO week under the current policy (0 without any)."""
    row = replay.con.cursor().execute(
        f"SELECT max(n) FROM (SELECT week, sum(n) AS n FROM {replay.wk} WHERE list_contains(?, tier) GROUP BY week)",
        [list(ON_CALL_TIERS)],
    ).fetchone()
    return int(row[0] or 0)


def prepare_replay(baseline: Baseline, period: Optional[Period] = None) -> Replay:
    """The period's slice of the baseline, ready for any number of candidates."""
    return Replay(baseline, period or Period())


def _score_profiles(cur: duckdb.DuckDBPyConnection, policy: Policy, profiles: str, out: str) -> None:
    """rubric.score_tickets over the profiles (profile_id as the ticket id), kept as a table of ours."""
    scratch = f"{out}_scratch"
    score_tickets(cur, policy.rubric, tickets=f"(SELECT profile_id AS ticket_id, * FROM {profiles})", out=scratch)
    cur.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT ticket_id AS profile_id, * EXCLUDE (ticket_id) FROM {scratch}")
    cur.execute(f"DROP TABLE IF EXISTS {scratch}")


# ---------------------------------------------------------------- what a candidate can change


def changed_targets(current: Policy, candidate: Policy) -> set[tuple[str, str, str]]:
    """(segment, tier, metric) whose calendar or target differs; segment '' = no override."""
    segments = [None, *sorted(set(current.segments) | set(candidate.segments))]
    return {
        (segment or "", tier, metric)
        for segment in segments
        for tier in TIERS
        for metric in METRICS
        if current.targets_for(tier, segment).target(metric) != candidate.targets_for(tier, segment).target(metric)
    }


def target_pairs(changed: set[tuple[str, str, str]]) -> list[str]:
    """`segment|tier` pairs of `changed_targets` (the tickets whose targets may move)."""
    return sorted({f"{segment}|{tier}" for segment, tier, _ in changed})


def target_metrics(changed: set[tuple[str, str, str]]) -> list[str]:
    """Metrics of `changed_targets`, in METRICS order (the clocks that may move when tiers do not)."""
    moved = {metric for _, _, metric in changed}
    return [metric for metric in METRICS if metric in moved]


def clock_settings_changed(current: Policy, candidate: Policy) -> bool:
    """Whether anything besides the rubric and the targets differs in how clocks run."""
    a, b = policy_to_dict(current), policy_to_dict(candidate)
    return any(a.get(k) != b.get(k) for k in CLOCK_KEYS)


# ---------------------------------------------------------------- one candidate


@dataclass
class Timings:
    score: float = 0.0
    select: float = 0.0
    evaluate: float = 0.0
    diff: float = 0.0

    @property
    def total(self) -> float:
        return self.score + self.select + self.evaluate + self.diff


def _duration_sql(expr: str) -> str:
    """SQL twin of policy.format_duration for reasons: 7200 -> '2h', NULL -> 'untimed'."""
    return (
        f"CASE WHEN {expr} IS NULL THEN 'untimed' "
        + " ".join(f"WHEN {expr} % {s} = 0 THEN ({expr} // {s})::VARCHAR || '{u}'"
                   for u, s in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)))
        + f" ELSE {expr}::VARCHAR || 's' END"
    )


class Simulation(_Tables):
    """A candidate replayed over a Replay; the frames below read its tables.

    The candidate's clocks and the comparison are codes (engine.CODED_COLUMNS)
    keyed by the replay's integer ticket key: a move joins and counts integers;
    text is made only for the rows a frame shows or a file holds.
    """

    def __init__(self, replay: Replay, candidate: Policy, *, only_affected: bool = True) -> None:
        super().__init__(replay.con, "cand")
        self.replay, self.candidate = replay, candidate
        self.current = replay.policy
        self.timings = Timings()
        cur = self.con.cursor()
        r = replay

        started = time.perf_counter()
        same_rubric = candidate.rubric == self.current.rubric
        if same_rubric:
            self.prof = r.prof_cur  # same rubric, same scores: nothing to re-score
        else:
            self.prof = self.name("prof")
            _score_profiles(cur, candidate, r.prof, self.prof)
        self.timings.score = time.perf_counter() - started

        started = time.perf_counter()
        changed = changed_targets(self.current, candidate)
        pairs = target_pairs(changed)
        prepared = r.clocks.fits(candidate)
        everything = not only_affected or clock_settings_changed(self.current, candidate)
        segments = sorted(set(self.current.segments) | set(candidate.segments))
        self.aff = self.name("aff")
        # Only the predicates this candidate needs: each is a pass over the period's tickets.
        reasons = ["moved.profile_id IS NOT NULL"]
        if pairs:
            reasons += ["k.has_impact_events",
                        "list_contains($pairs, CASE WHEN list_contains($segments, k.segment) THEN k.segment ELSE '' END "
                        "|| '|' || k.tier_cur)"]
        cur.execute(
            f"""
            CREATE TABLE {self.aff} AS
            SELECT k.{TICKET_KEY} AS ticket_key FROM {r.tk} k
            LEFT JOIN (
                SELECT a.profile_id FROM {r.prof_cur} a JOIN {self.prof} b USING (profile_id)
                WHERE a.rubric_tier IS DISTINCT FROM b.rubric_tier
            ) moved USING (profile_id)
            WHERE {"TRUE" if everything else " OR ".join(reasons)}
            """,
            {"pairs": pairs, "segments": segments} if pairs and not everything else {},
        )
        self.affected = int(cur.execute(f"SELECT count(*) FROM {self.aff}").fetchone()[0])
        self.timings.select = time.perf_counter() - started

        started = time.perf_counter()
        self.cand_results = self.name("cand")
        # With the tiers unchanged (same rubric, same clock settings, only the affected tickets asked
        # for), only the metrics whose targets moved can differ: the others are neither computed nor
        # compared (the diff holds only rows that were re-judged; everything else reads the current side).
        same_tiers = same_rubric and not everything
        self.metrics = target_metrics(changed) if same_tiers else list(METRICS)
        if not (self.affected and self.metrics):
            cur.execute(  # nothing to judge: an empty table of the engine's coded columns
                f"CREATE TABLE {self.cand_results} AS SELECT ticket_key, metric_i, tier_i, initial_tier_i, "
                f"NULL::INT AS cal_i, NULL::BIGINT AS target_us, NULL::BIGINT AS elapsed_us, "
                f"NULL::BIGINT AS paused_us, NULL::BIGINT AS due_us, NULL::BIGINT AS stop_us, state_i "
                f"FROM {r.cur_codes} LIMIT 0"
            )
        else:
            # A ticket keeps the tier it was judged at unless the candidate's rubric tiers it differently from
            # the current one; read from the scored profiles instead of scoring every ticket.
            tiers = None if same_rubric else (
                f"SELECT k.{TICKET_KEY} AS ticket_key, "
                f"CASE WHEN cand.rubric_tier IS DISTINCT FROM cur.rubric_tier THEN cand.rubric_tier "
                f"ELSE coalesce(k.impact, cur.rubric_tier) END AS tier "
                f"FROM {r.tk} k LEFT JOIN {r.prof_cur} cur USING (profile_id) "
                f"LEFT JOIN {self.prof} cand USING (profile_id)"
            )
            clocks = r.clocks
            if not prepared:  # pauses or reopens work differently: the candidate's own stops and pauses
                clocks = PreparedClocks(cur, candidate, r.baseline.as_of, tickets=r.t, events=r.e,
                                        coded_by=TICKET_KEY, prefix=self.name("clk"))
                for table in prepared_tables(clocks.prefix):
                    self.name(table.removeprefix(f"{self.prefix}_"))  # owned: dropped with the simulation
            clocks.judge(cur, candidate, self.cand_results, metrics=self.metrics, tiers=tiers,
                         only=None if everything else self.aff)
        self.timings.evaluate = time.perf_counter() - started

        started = time.perf_counter()
        self.diff = self.name("diff")
        self.tk = self.name("tk")
        self._build_diff(cur)
        self.timings.diff = time.perf_counter() - started

    def _build_diff(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Both sides' codes per re-judged ticket and metric (the rest did not change), and per ticket."""
        r = self.replay
        cur.execute(
            f"""
            CREATE TABLE {self.diff} AS
            SELECT b.ticket_key, b.metric_i,
                   a.tier_i AS tier_cur_i, b.tier_i AS tier_cand_i,
                   a.initial_tier_i AS initial_tier_cur_i, b.initial_tier_i AS initial_tier_cand_i,
                   a.state_i AS state_cur_i, b.state_i AS state_cand_i,
                   a.tier_i IS DISTINCT FROM b.tier_i OR a.state_i IS DISTINCT FROM b.state_i
                       OR a.initial_tier_i IS DISTINCT FROM b.initial_tier_i AS changed
            FROM {self.cand_results} b JOIN {r.cur_codes} a USING (ticket_key, metric_i)
            """
        )
        # One row per re-judged ticket: its week and its tier at creation on both sides.
        cur.execute(
            f"""
            CREATE TABLE {self.tk} AS
            SELECT d.*, k.ticket_id, k.week, k.created_at
            FROM (SELECT ticket_key, bool_or(changed) AS changed,
                         coalesce(any_value(initial_tier_cur_i), {UNTIERED_I}) AS tier_cur_i,
                         coalesce(any_value(initial_tier_cand_i), {UNTIERED_I}) AS tier_cand_i
                  FROM {self.diff} GROUP BY ticket_key) d
            JOIN {r.tk} k ON k.{TICKET_KEY} = d.ticket_key
            """
        )

    def _diff_rows(self, where: str = "TRUE") -> str:
        """SQL: the diff's rows matching `where` as text, with the ticket's key columns."""
        return f"""
            SELECT * FROM (
                SELECT d.ticket_key, d.metric_i, k.ticket_id, {text_sql("d.metric_i", METRICS)} AS metric,
                       k.created_at, k.week, k.profile_id,
                       {text_sql("d.tier_cur_i", TIERS)} AS tier_current,
                       {text_sql("d.tier_cand_i", TIERS)} AS tier_candidate,
                       {text_sql("d.initial_tier_cur_i", TIERS)} AS initial_tier_current,
                       {text_sql("d.initial_tier_cand_i", TIERS)} AS initial_tier_candidate,
                       {text_sql("d.state_cur_i", STATES)} AS state_current,
                       {text_sql("d.state_cand_i", STATES)} AS state_candidate,
                       d.changed
                FROM {self.diff} d JOIN {self.replay.tk} k ON k.{TICKET_KEY} = d.ticket_key
            ) WHERE {where}
        """

    def _detailed(self, rows_sql: str) -> tuple[str, dict[str, str]]:
        """SQL and parameters: diff rows with both sides' calendar, target, elapsed, due and stop, and the
        ticket's inputs (the candidate's decoded from its codes, by the engine's own decoding)."""
        cols = ("calendar", "target_seconds", "elapsed_seconds", "due_at", "stopped_at")
        both = ", ".join(f"{p}.{c} AS {c}_{side}" for side, p in (("current", "a"), ("candidate", "b")) for c in cols)
        decoded, params = result_select("c", calendar_names(self.candidate))
        return f"""
            SELECT d.* EXCLUDE (ticket_key, metric_i), k.segment, k.impact, k.severity, {both}
            FROM ({rows_sql}) d
            JOIN (SELECT ticket_key, metric_i, {", ".join(cols)} FROM (
                      SELECT c.ticket_key, c.metric_i, {decoded}
                      FROM (SELECT *, NULL::VARCHAR AS ticket_id, NULL::VARCHAR AS segment,
                                   NULL::VARCHAR AS owner_team, NULL::BIGINT AS created_us
                            FROM {self.cand_results}) c)) b USING (ticket_key, metric_i)
            JOIN {self.replay.cur_results} a USING (ticket_id, metric)
            JOIN {self.replay.tk} k USING (ticket_id)
        """, params

    def _scored(self, rows_sql: str) -> str:
        """SQL: rows with a profile_id, plus both sides' rubric score, hard rule and contributions."""
        contribs = ", ".join(f"round({p}.contrib_{f}, 9) + 0.0 AS contrib_{f}_{side}"
                             for side, p in (("current", "pa"), ("candidate", "pb")) for f in FACTORS)
        return f"""
            SELECT d.* EXCLUDE (profile_id),
                   pa.rubric_score AS score_current, pb.rubric_score AS score_candidate,
                   coalesce(pa.hard_rule, FALSE) AS hard_rule_current,
                   coalesce(pb.hard_rule, FALSE) AS hard_rule_candidate,
                   {contribs}
            FROM ({rows_sql}) d
            LEFT JOIN {self.replay.prof_cur} pa ON pa.profile_id = d.profile_id
            LEFT JOIN {self.prof} pb ON pb.profile_id = d.profile_id
        """

    def _explained(self, where: str = "TRUE") -> tuple[str, dict[str, str]]:
        """SQL and parameters: diff rows matching `where` with why_factor, why_delta and a one-line reason."""
        moves = "[" + ", ".join(f"contrib_{f}_candidate - contrib_{f}_current" for f in FACTORS) + "]"
        sizes = "[" + ", ".join(f"abs(coalesce(contrib_{f}_candidate - contrib_{f}_current, 0))" for f in FACTORS) + "]"
        detailed, params = self._detailed(self._diff_rows(where))
        return f"""
            SELECT * EXCLUDE (moves, why_i, severity, week),
                   CASE WHEN why_i > 0 THEN {FACTOR_LIST_SQL}[why_i] END AS why_factor,
                   CASE WHEN why_i > 0 THEN moves[why_i] END AS why_delta,
                   CASE
                     WHEN NOT changed THEN NULL
                     WHEN tier_current IS DISTINCT FROM tier_candidate
                          OR initial_tier_current IS DISTINCT FROM initial_tier_candidate THEN
                       CASE WHEN hard_rule_candidate AND NOT hard_rule_current
                              THEN 'hard rule: severity ' || severity || ' is always critical'
                            WHEN hard_rule_current AND NOT hard_rule_candidate
                              THEN 'hard rule for severity ' || severity || ' dropped'
                            WHEN score_current IS NULL THEN 'tier in force changed'
                            WHEN why_i > 0 AND abs(score_candidate - score_current) > 1e-9
                              THEN printf('score %.2f → %.2f, mostly %s (%+.2f)', score_current, score_candidate,
                                          {FACTOR_LIST_SQL}[why_i], moves[why_i])
                            ELSE printf('score %.2f unchanged, thresholds moved', score_current) END
                     WHEN target_seconds_current IS DISTINCT FROM target_seconds_candidate
                       THEN printf('%s target for %s %s → %s', metric, tier_candidate,
                                   {_duration_sql("target_seconds_current")}, {_duration_sql("target_seconds_candidate")})
                     WHEN calendar_current IS DISTINCT FROM calendar_candidate
                       THEN printf('%s calendar %s → %s', metric, calendar_current, calendar_candidate)
                     ELSE 'clock settings changed'
                   END AS reason
            FROM (
                SELECT * EXCLUDE (sizes),
                       CASE WHEN list_max(sizes) > 1e-9 THEN list_position(sizes, list_max(sizes)) ELSE 0 END AS why_i
                FROM (SELECT *, {moves} AS moves, {sizes} AS sizes
                      FROM ({self._scored(detailed)}))
            )
        """, params

    # -- the small frames

    def _df(self, sql: str, params: Optional[Union[list, dict]] = None) -> pd.DataFrame:
        return self.con.cursor().execute(sql, params or []).df()

    def _ticket_tiers(self) -> str:
        """SQL: every period ticket with its tier at creation on both sides."""
        return (
            f"SELECT k.ticket_id, k.created_at, k.week, k.segment, k.impact, "
            f"coalesce(k.tier_cur, '{UNTIERED}') AS tier_current, "
            f"CASE WHEN c.ticket_key IS NULL THEN coalesce(k.tier_cur, '{UNTIERED}') "
            f"ELSE {_tier_text('c.tier_cand_i')} END AS tier_candidate "
            f"FROM {self.replay.tk} k LEFT JOIN {self.tk} c ON c.ticket_key = k.{TICKET_KEY}"
        )

    def transition_counts(self) -> pd.DataFrame:
        """Long form: tier_current, tier_candidate, tickets (the current diagonal moved by the re-judged tickets)."""
        return self._df(
            f"""
            WITH moved AS (  -- counted as codes, named after
                SELECT tier_cur_i, tier_cand_i, count(*) AS n FROM {self.tk} GROUP BY ALL
            )
            SELECT tier_current, tier_candidate, sum(n)::BIGINT AS tickets FROM (
                SELECT tier AS tier_current, tier AS tier_candidate, n FROM {self.replay.wk}
                UNION ALL SELECT {_tier_text('tier_cur_i')}, {_tier_text('tier_cur_i')}, -n FROM moved
                UNION ALL SELECT {_tier_text('tier_cur_i')}, {_tier_text('tier_cand_i')}, n FROM moved
            ) GROUP BY ALL HAVING sum(n) <> 0 ORDER BY ALL
            """
        )

    def transition_matrix(self) -> pd.DataFrame:
        """Tickets per current tier (rows) and candidate tier (columns); every tier present."""
        long = self.transition_counts()
        tiers = [*TIERS, *sorted((set(long["tier_current"]) | set(long["tier_candidate"])) - set(TIERS))]
        matrix = long.pivot_table(index="tier_current", columns="tier_candidate", values="tickets",
                                  aggfunc="sum", fill_value=0)
        matrix = matrix.reindex(index=tiers, columns=tiers, fill_value=0).astype("int64")
        matrix.index.name, matrix.columns.name = "current tier", "candidate tier"
        return matrix

    def cell_tickets(self, tier_current: str, tier_candidate: str, limit: int = 500) -> pd.DataFrame:
        """The tickets behind one cell of the transition matrix (newest first, at most `limit`)."""
        return self._df(
            f"""
            SELECT t.ticket_id, t.created_at, t.segment, t.impact, t.tier_current, t.tier_candidate,
                   pa.rubric_score AS score_current, pb.rubric_score AS score_candidate
            FROM ({self._ticket_tiers()}) t
            JOIN {self.replay.tk} k USING (ticket_id)
            LEFT JOIN {self.replay.prof_cur} pa ON pa.profile_id = k.profile_id
            LEFT JOIN {self.prof} pb ON pb.profile_id = k.profile_id
            WHERE t.tier_current = ? AND t.tier_candidate = ?
            ORDER BY t.created_at DESC, t.ticket_id LIMIT ?
            """,
            [tier_current, tier_candidate, int(limit)],
        )

    def adherence(self) -> pd.DataFrame:
        """Per tier and metric: met, breached and adherence under both policies, and the change (points).

        Each side counts a clock under the tier it has on that side; adherence = met / (met + breached)
        over the period's tickets' decided clocks (NULL without any).
        """
        r = self.replay
        met, breached = STATES.index("met"), STATES.index("breached")
        frame = self._df(
            f"""
            WITH moved AS (  -- the re-judged clocks, counted as codes: current rows out, candidate rows in
                SELECT tier_i, metric_i, state_i, sum(w) AS w FROM (
                    SELECT tier_cur_i AS tier_i, metric_i, state_cur_i AS state_i, -1 AS w FROM {self.diff}
                    WHERE state_cur_i IN ({met}, {breached})
                    UNION ALL
                    SELECT tier_cand_i, metric_i, state_cand_i, 1 FROM {self.diff}
                    WHERE state_cand_i IN ({met}, {breached})
                ) GROUP BY ALL
            ), rows AS (
                SELECT tier, metric, 'met' AS state, met AS cur_w, met AS cand_w FROM {r.adh}
                UNION ALL
                SELECT tier, metric, 'breached', breached, breached FROM {r.adh}
                UNION ALL
                SELECT {text_sql("tier_i", TIERS)}, {text_sql("metric_i", METRICS)}, {text_sql("state_i", STATES)},
                       0, w FROM moved
            ), grid AS (
                SELECT tier, metric FROM unnest($tiers::VARCHAR[]) AS a(tier), unnest($metrics::VARCHAR[]) AS b(metric)
            ), counted AS (
                SELECT tier, metric,
                       sum(cur_w) FILTER (WHERE state = 'met') AS met_current,
                       sum(cur_w) FILTER (WHERE state = 'breached') AS breached_current,
                       sum(cand_w) FILTER (WHERE state = 'met') AS met_candidate,
                       sum(cand_w) FILTER (WHERE state = 'breached') AS breached_candidate
                FROM rows GROUP BY ALL
            )
            SELECT g.tier, g.metric,
                   coalesce(met_current, 0)::BIGINT AS met_current,
                   coalesce(breached_current, 0)::BIGINT AS breached_current,
                   coalesce(met_candidate, 0)::BIGINT AS met_candidate,
                   coalesce(breached_candidate, 0)::BIGINT AS breached_candidate
            FROM grid g LEFT JOIN counted c USING (tier, metric)
            """,
            {"tiers": list(TIERS), "metrics": list(METRICS)},
        )
        for side in ("current", "candidate"):
            decided = frame[f"met_{side}"] + frame[f"breached_{side}"]
            frame[f"adherence_{side}"] = (frame[f"met_{side}"] / decided.where(decided > 0)).astype("Float64")
        frame["delta_points"] = ((frame["adherence_candidate"] - frame["adherence_current"]) * 100).round(6)
        order = {t: i for i, t in enumerate(TIERS)} | {m: i for i, m in enumerate(METRICS)}
        frame = frame.sort_values(["tier", "metric"], key=lambda s: s.map(order)).reset_index(drop=True)
        return frame[["tier", "metric", "met_current", "breached_current", "adherence_current",
                      "met_candidate", "breached_candidate", "adherence_candidate", "delta_points"]]

    def on_call_load(self, capacity: Optional[int] = None) -> pd.DataFrame:
        """Critical + high tickets created per ISO week, current vs candidate, flagged against `capacity`."""
        on_call = [TIERS.index(t) for t in ON_CALL_TIERS]
        frame = self._df(
            f"""
            SELECT week, strftime(week, '%G-W%V') AS iso_week, sum(cur)::BIGINT AS current,
                   sum(cand)::BIGINT AS candidate
            FROM (
                SELECT week, n * list_contains($tiers, tier)::INT AS cur, n * list_contains($tiers, tier)::INT AS cand
                FROM {self.replay.wk}
                UNION ALL
                SELECT week, 0, sum(list_contains($codes, tier_cand_i)::INT - list_contains($codes, tier_cur_i)::INT)
                FROM {self.tk} GROUP BY week
            ) GROUP BY week ORDER BY week
            """,
            {"tiers": list(ON_CALL_TIERS), "codes": on_call},
        )
        frame["capacity"] = capacity
        frame["over_current"] = (frame["current"] > capacity) if capacity is not None else False
        frame["over_candidate"] = (frame["candidate"] > capacity) if capacity is not None else False
        return frame

    def changed_tickets(self, limit: Optional[int] = None) -> pd.DataFrame:
        """Tickets whose tier or any metric's state differs (newest first), with the reason and the factor
        that moved most; only the tickets returned are explained."""
        picked = f"SELECT ticket_id FROM {self.tk} WHERE changed ORDER BY created_at DESC, ticket_id"
        if limit is not None:
            picked += f" LIMIT {int(limit)}"
        explained, params = self._explained(f"changed AND ticket_id IN ({picked})")
        return self._df(
            f"""
            SELECT ticket_id, any_value(created_at) AS created_at, any_value(segment) AS segment,
                   any_value(impact) AS impact,
                   any_value(initial_tier_current) AS tier_current, any_value(initial_tier_candidate) AS tier_candidate,
                   string_agg(CASE WHEN state_current IS DISTINCT FROM state_candidate
                                   THEN metric || ': ' || state_current || ' → ' || state_candidate END, '; '
                              ORDER BY metric) AS state_changes,
                   any_value(score_current) AS score_current, any_value(score_candidate) AS score_candidate,
                   any_value(why_factor) AS why_factor, any_value(why_delta) AS why_delta,
                   string_agg(DISTINCT reason, '; ' ORDER BY reason) AS reason
            FROM ({explained})
            GROUP BY ticket_id ORDER BY created_at DESC, ticket_id
            """,
            params,
        )

    def changed_count(self) -> int:
        return int(self.con.cursor().execute(
            f"SELECT count(*) FROM {self.tk} WHERE changed").fetchone()[0])

    def diff_sql(self) -> tuple[str, dict[str, str]]:
        """SQL and parameters for the full per ticket and metric comparison of the period (unchanged rows
        from the current side)."""
        r = self.replay
        both = ", ".join(f"{c}_current, {c}_candidate" for c in
                         ("tier", "state", "target_seconds", "elapsed_seconds", "due_at", "stopped_at", "calendar"))
        same = ", ".join(f"a.{c} AS {c}_current, a.{c} AS {c}_candidate" for c in
                         ("tier", "state", "target_seconds", "elapsed_seconds", "due_at", "stopped_at", "calendar"))
        scores = ("score_current, score_candidate, hard_rule_current, hard_rule_candidate, "
                  + ", ".join(f"contrib_{f}_current, contrib_{f}_candidate" for f in FACTORS))
        same_scores = ("pa.rubric_score AS score_current, pb.rubric_score AS score_candidate, "
                       "coalesce(pa.hard_rule, FALSE) AS hard_rule_current, coalesce(pb.hard_rule, FALSE) AS hard_rule_candidate, "
                       + ", ".join(f"round(pa.contrib_{f}, 9) + 0.0 AS contrib_{f}_current, "
                                   f"round(pb.contrib_{f}, 9) + 0.0 AS contrib_{f}_candidate"
                                   for f in FACTORS))
        explained, params = self._explained()
        return f"""
            SELECT ticket_id, metric, created_at, segment, impact, {both}, {scores},
                   changed, why_factor, why_delta, reason
            FROM ({explained})
            UNION ALL
            SELECT a.ticket_id, a.metric, k.created_at, k.segment, k.impact, {same}, {same_scores},
                   FALSE, NULL, NULL, NULL
            FROM {r.cur_results} a
            JOIN {r.tk} k USING (ticket_id)
            ANTI JOIN {self.diff} d ON d.ticket_key = k.{TICKET_KEY} AND d.metric_i = {code_sql("a.metric", METRICS)}
            LEFT JOIN {r.prof_cur} pa ON pa.profile_id = k.profile_id
            LEFT JOIN {self.prof} pb ON pb.profile_id = k.profile_id
        """, params


def simulate(replay: Replay, candidate: Policy, *, only_affected: bool = True) -> Simulation:
    """Replay a candidate policy; `only_affected=False` re-evaluates every period ticket (for checks)."""
    return Simulation(replay, candidate, only_affected=only_affected)


def write_diff(sim: Simulation, path: Union[str, Path]) -> int:
    """The per ticket and metric comparison as CSV (ISO timestamps, formula-safe text) or Parquet."""
    path = Path(path)
    cur = sim.con.cursor()
    view = sim.name("out")
    sql, params = sim.diff_sql()
    cur.execute(f"CREATE OR REPLACE TABLE {view} AS {sql}", params)
    try:
        if path.suffix.lower() == ".parquet":
            return int(cur.execute(f"COPY (SELECT * FROM {view} ORDER BY ticket_id, metric) TO ? (FORMAT parquet)",
                                   [str(path)]).fetchone()[0])
        if path.suffix.lower() == ".csv":
            return write_csv_safe(cur, view, path, zone=sim.current.timezone, order_by=("ticket_id", "metric"))
        raise ValueError(f"{path}: use a .csv or .parquet file name")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {view}")


# ---------------------------------------------------------------- calibration (current rubric vs assigned impact)


@dataclass(frozen=True)
class Calibration:
    matrix: pd.DataFrame  # assigned impact (rows) x current rubric tier (columns), ticket counts
    disagreements: pd.DataFrame  # the tickets off the diagonal, with score and contributions
    compared: int  # tickets with both an impact and rubric inputs
    agreeing: int

    @property
    def agreement(self) -> Optional[float]:
        return self.agreeing / self.compared if self.compared else None


def calibration(replay: Replay, limit: int = 1000) -> Calibration:
    """How the current rubric agrees with the impacts people assigned, over the replay's tickets.

    It depends on the replay only, so it is computed once per replay and limit.
    """
    known: dict[int, Calibration] = replay.__dict__.setdefault("_calibrations", {})
    if limit not in known:
        known[limit] = _calibration(replay, limit)
    return known[limit]


def _agreement_rows(replay: Replay) -> str:
    """SQL: the replay's tickets with both an assigned impact and rubric inputs, with the current rubric's verdict."""
    return (
        "SELECT k.ticket_id, k.created_at, k.segment, k.impact, p.rubric_tier, p.rubric_score, p.hard_rule, "
        + ", ".join(f"p.contrib_{f}" for f in FACTORS)
        + f" FROM {replay.tk} k JOIN {replay.prof_cur} p USING (profile_id) WHERE k.impact IS NOT NULL"
    )


def agreement_tickets(replay: Replay, impact: str, rubric_tier: str, limit: int = 500) -> pd.DataFrame:
    """The tickets behind one cell of the rubric agreement matrix (assigned impact x current rubric tier)."""
    return replay.con.cursor().execute(
        f"SELECT * FROM ({_agreement_rows(replay)}) WHERE impact = ? AND rubric_tier = ? "
        "ORDER BY created_at DESC, ticket_id LIMIT ?",
        [impact, rubric_tier, int(limit)],
    ).df()


def _calibration(replay: Replay, limit: int) -> Calibration:
    cur = replay.con.cursor()
    base = _agreement_rows(replay)
    long = cur.execute(f"SELECT impact, rubric_tier, count(*) AS tickets FROM ({base}) GROUP BY ALL").df()
    matrix = long.pivot_table(index="impact", columns="rubric_tier", values="tickets", aggfunc="sum", fill_value=0)
    matrix = matrix.reindex(index=list(TIERS), columns=list(TIERS), fill_value=0).astype("int64")
    matrix.index.name, matrix.columns.name = "assigned impact", "current rubric tier"
    off = cur.execute(
        f"SELECT * FROM ({base}) WHERE impact <> rubric_tier ORDER BY created_at DESC, ticket_id LIMIT ?", [int(limit)]
    ).df()
    compared = int(long["tickets"].sum()) if not long.empty else 0
    agreeing = int(sum(matrix.loc[t, t] for t in TIERS))
    return Calibration(matrix=matrix, disagreements=off, compared=compared, agreeing=agreeing)


# ---------------------------------------------------------------- targets sanity


def targets_warnings(policy: Policy) -> list[str]:
    """A less strict tier with a shorter target than a stricter tier, per metric (and segment override).

    Untimed metrics are not compared (untimed is the most lenient); a
    comparison across calendars says so, since business and 24x7 hours differ.
    """
    warnings: list[str] = []
    for segment in [None, *policy.segments]:
        where = f" for segment {segment}" if segment else ""
        for metric in METRICS:
            timed = [(tier, *policy.targets_for(tier, segment).target(metric)) for tier in TIERS]
            for i, (strict, cal_s, target_s) in enumerate(timed):
                for lenient, cal_l, target_l in timed[i + 1:]:
                    if target_s is None or target_l is None or target_l >= target_s:
                        continue
                    note = "" if cal_s == cal_l else f" ({cal_l} vs {cal_s} calendar)"
                    warnings.append(
                        f"{metric}{where}: {lenient} target {format_duration(target_l)} is shorter than "
                        f"{strict}'s {format_duration(target_s)}{note}; a less urgent tier would be answered sooner"
                    )
    return warnings


# ---------------------------------------------------------------- building candidates


class TargetChange(BaseModel):
    """One tier x metric target; `target` None = untimed; `segment` None = the tier's own target."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tier: str
    metric: str
    target: Optional[str]
    segment: Optional[str] = None

    @field_validator("target", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Optional[str]:
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return format_duration(int(value))
        parse_duration(value)
        return str(value).strip()


class CandidateChanges(BaseModel):
    """What a user changed, in the policy file's terms; validated again as a whole Policy when applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: dict[str, float] = Field(default_factory=dict)
    scales: dict[str, dict[str, float]] = Field(default_factory=dict)  # factor -> scale key as text -> score
    thresholds: dict[str, float] = Field(default_factory=dict)
    targets: list[TargetChange] = Field(default_factory=list)


def _scale_key(factor: str, key: str, existing: dict[Any, float]) -> Any:
    """The scale key as the policy spells it (1000, true, enterprise) for the text a widget carries."""
    for known in existing:
        if str(known).lower() == str(key).lower():
            return known
    if factor == "customers_affected":
        try:
            return int(key)
        except ValueError:
            raise PolicyError(f"policy: rubric.scales.customers_affected.{key}: keys are counts (integers >= 0)") from None
    if factor in ("regulatory", "workaround"):
        if str(key).lower() in ("true", "false"):
            return str(key).lower() == "true"
    return key


def apply_changes(policy: Policy, changes: Union[CandidateChanges, dict[str, Any]]) -> Policy:
    """A new validated Policy: `policy` with the changes; a change that makes it invalid raises PolicyError."""
    if not isinstance(changes, CandidateChanges):
        try:
            changes = CandidateChanges.model_validate(changes)
        except ValidationError as err:
            raise PolicyError(f"candidate: {describe_validation_error(err)}") from None
    data = policy_to_dict(policy)
    if changes.weights or changes.scales or changes.thresholds:
        if "rubric" not in data:
            raise PolicyError("policy: rubric: the current policy has no rubric to change")
        rubric = data["rubric"]
        rubric["weights"].update(changes.weights)
        for factor, scale in changes.scales.items():
            existing = rubric["scales"].setdefault(factor, {})
            for key, score in scale.items():
                existing[_scale_key(factor, key, existing)] = score
        rubric["thresholds"].update(changes.thresholds)
    for change in changes.targets:
        if change.segment:
            spot = data["segments"].setdefault(change.segment, {}).setdefault(change.tier, {})
        else:
            if change.tier not in data["tiers"]:
                raise PolicyError(f"policy: tiers.{change.tier}: unknown tier (one of {', '.join(TIERS)})")
            spot = data["tiers"][change.tier]
        if change.metric not in METRICS:
            raise PolicyError(f"policy: {change.tier}.{change.metric}: unknown metric (one of {', '.join(METRICS)})")
        old = spot.get(change.metric)
        if isinstance(old, dict) and change.target is not None:
            spot[change.metric] = {**old, "target": change.target}  # keep the metric's own calendar
        else:
            spot[change.metric] = change.target
    return policy_from_dict(data, base_dir=policy.base_dir)


def with_weights(policy: Policy, **weights: float) -> Policy:
    return apply_changes(policy, CandidateChanges(weights=weights))


def with_thresholds(policy: Policy, **thresholds: float) -> Policy:
    return apply_changes(policy, CandidateChanges(thresholds=thresholds))


def with_scale(policy: Policy, factor: str, key: Any, score: float) -> Policy:
    return apply_changes(policy, CandidateChanges(scales={factor: {str(key): score}}))


def with_target(policy: Policy, tier: str, metric: str, target: Optional[str], segment: Optional[str] = None) -> Policy:
    return apply_changes(policy, CandidateChanges(targets=[TargetChange(tier=tier, metric=metric, target=target,
                                                                        segment=segment)]))


def policy_diff(current: Union[Policy, str], candidate: Union[Policy, str], *, current_name: str = "current.yaml",
                candidate_name: str = "candidate.yaml") -> str:
    """Unified diff of two policies' YAML files (a Policy or its YAML text; '' when equal)."""
    import difflib

    texts = [p.to_yaml() if isinstance(p, Policy) else p for p in (current, candidate)]
    return "".join(difflib.unified_diff(
        texts[0].splitlines(keepends=True), texts[1].splitlines(keepends=True),
        fromfile=current_name, tofile=candidate_name,
    ))


def scenario_summary(matrix: pd.DataFrame, adherence: pd.DataFrame, load: pd.DataFrame) -> dict[str, Any]:
    """One comparable row per scenario: tickets moved, tickets per candidate tier, overall adherence change
    per metric (points) and weeks over capacity."""
    row: dict[str, Any] = {
        "change tier": int(matrix.to_numpy().sum() - matrix.to_numpy().trace()),
        **{f"to {t}": int(matrix[t].sum()) for t in matrix.columns},
        "weeks over capacity": int(load["over_candidate"].sum()),
    }
    for metric in METRICS:
        part = adherence[adherence["metric"] == metric]
        rates = []
        for side in ("current", "candidate"):
            met, breached = int(part[f"met_{side}"].sum()), int(part[f"breached_{side}"].sum())
            rates.append(met / (met + breached) if met + breached else None)
        row[f"{metric} adherence change (pts)"] = (
            None if None in rates else round((rates[1] - rates[0]) * 100, 2)  # type: ignore[operator]
        )
    return row


__all__ = [
    "Baseline",
    "Calibration",
    "CandidateChanges",
    "Period",
    "Replay",
    "Simulation",
    "TargetChange",
    "agreement_tickets",
    "apply_changes",
    "busiest_on_call_week",
    "calibration",
    "changed_targets",
    "clock_settings_changed",
    "last_full_quarter",
    "policy_diff",
    "scenario_summary",
    "prepare_baseline",
    "prepare_replay",
    "simulate",
    "targets_warnings",
    "with_scale",
    "with_target",
    "with_thresholds",
    "with_weights",
    "write_diff",
]
