"""A candidate policy replayed over a period: which tickets can differ, judged again in codes, compared.

The current side is what the Review shows (docs/design.md "simulate"): every
ticket keeps the tier it was judged at (its assigned impact, else the current
rubric's tier). A ticket moves only where the candidate's rubric tiers it
differently from the current rubric, and then takes the candidate's tier; so
a candidate equal to the current policy changes nothing, and the current
side's adherence is the Review's for the same tickets. Where the current
rubric and the assigned impact disagree is the rubric agreement view
(agreement.py), not a move.

Why this shape: a slider move must re-judge a quarter of a million tickets in
well under a second, and the engine is the expensive part. A simulation
scores the replay's profiles - a few thousand rows, not every ticket - then
re-judges over the prepared clocks, in codes, only the tickets whose result
can differ: those whose rubric tier moved, those in a (segment, tier) whose
targets changed, those with impact events when any target changed, and all
of them when a clock setting (calendars, pauses, timezone, ...) changed (with
clocks prepared afresh when pauses or reopens changed). Every other ticket's
candidate result is its current one, by construction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import duckdb

from sla_core.clocks.engine import PreparedClocks, prepared_tables
from sla_core.csv_safe import write_csv_safe
from sla_core.policy import Policy
from sla_core.simulate.candidate import changed_targets, clock_settings_changed, target_metrics, target_pairs
from sla_core.simulate.frames import SimulationFrames
from sla_core.simulate.replay import TICKET_KEY, UNTIERED_I, Replay, score_profiles
from sla_core.simulate.tables import OwnedTables
from sla_core.sqlutil import fetch_one
from sla_core.vocab import METRICS


@dataclass
class Timings:
    """Seconds per step of one candidate's replay."""

    score: float = 0.0
    select: float = 0.0
    judge: float = 0.0
    compare: float = 0.0

    @property
    def total(self) -> float:
        return self.score + self.select + self.judge + self.compare


class Simulation(SimulationFrames, OwnedTables):
    """A candidate replayed over a Replay, in four steps; the frames (frames.py) read the tables they leave.

    The candidate's clocks and the comparison are codes (engine.CODED_COLUMNS)
    keyed by the replay's integer ticket key: a move joins and counts integers.
    """

    def __init__(self, replay: Replay, candidate: Policy, *, only_affected: bool = True) -> None:
        super().__init__(replay.con, "cand")
        self.replay, self.candidate, self.current = replay, candidate, replay.policy
        self.timings = Timings()
        self.same_rubric = candidate.rubric == self.current.rubric
        self.everything = not only_affected or clock_settings_changed(self.current, candidate)
        self.changed_targets = changed_targets(self.current, candidate)
        cur = self.con.cursor()
        for step, timing in ((self._score, "score"), (self._select_affected, "select"), (self._judge, "judge"),
                             (self._compare, "compare")):
            started = time.perf_counter()
            step(cur)
            setattr(self.timings, timing, time.perf_counter() - started)

    def _score(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The candidate rubric's score and tier per profile (the replay's scores when the rubric is the same)."""
        if self.same_rubric:
            self.profile_scores = self.replay.profile_scores
            return
        self.profile_scores = self.name("profile_scores")
        score_profiles(cur, self.candidate, self.replay.profiles, self.profile_scores)

    def _select_affected(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The tickets whose result can differ: rubric tier moved, targets of their segment and tier changed
        (or any target, for a ticket whose tier changes during its life), or every one for a clock setting."""
        replay, pairs = self.replay, target_pairs(self.changed_targets)
        self.affected_tickets = self.name("affected")
        reasons = ["moved.profile_id IS NOT NULL"]  # only the predicates this candidate needs: each is a pass
        if pairs:
            reasons += ["k.has_impact_events",
                        "list_contains($pairs, CASE WHEN list_contains($segments, k.segment) THEN k.segment ELSE '' END "
                        "|| '|' || k.tier_cur)"]
        segments = sorted(set(self.current.segments) | set(self.candidate.segments))
        cur.execute(
            f"""
            CREATE TABLE {self.affected_tickets} AS
            SELECT k.{TICKET_KEY} AS ticket_key FROM {replay.profiled_tickets} k
            LEFT JOIN (
                SELECT a.profile_id FROM {replay.profile_scores} a JOIN {self.profile_scores} b USING (profile_id)
                WHERE a.rubric_tier IS DISTINCT FROM b.rubric_tier
            ) moved USING (profile_id)
            WHERE {"TRUE" if self.everything else " OR ".join(reasons)}
            """,
            {"pairs": pairs, "segments": segments} if pairs and not self.everything else {},
        )
        self.affected = int(fetch_one(cur.execute(f"SELECT count(*) FROM {self.affected_tickets}"))[0])

    def _candidate_tiers(self) -> str:
        """SQL: (ticket_key, tier) under the candidate - the tier the ticket was judged at, unless the candidate's
        rubric tiers it differently from the current one (docs/design.md), read from the scored profiles."""
        replay = self.replay
        return (
            f"SELECT k.{TICKET_KEY} AS ticket_key, "
            f"CASE WHEN cand.rubric_tier IS DISTINCT FROM cur.rubric_tier THEN cand.rubric_tier "
            f"ELSE coalesce(k.impact, cur.rubric_tier) END AS tier "
            f"FROM {replay.profiled_tickets} k LEFT JOIN {replay.profile_scores} cur USING (profile_id) "
            f"LEFT JOIN {self.profile_scores} cand USING (profile_id)"
        )

    def _judge(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The affected tickets' clocks under the candidate, as codes.

        With the tiers unchanged (same rubric, same clock settings), only the metrics whose targets moved can
        differ: the others are neither computed nor compared.
        """
        replay = self.replay
        self.candidate_codes = self.name("candidate")
        same_tiers = self.same_rubric and not self.everything
        self.metrics = target_metrics(self.changed_targets) if same_tiers else list(METRICS)
        if not (self.affected and self.metrics):
            cur.execute(  # nothing to judge: an empty table of the engine's coded columns
                f"CREATE TABLE {self.candidate_codes} AS SELECT ticket_key, metric_i, tier_i, initial_tier_i, "
                f"NULL::INT AS cal_i, NULL::BIGINT AS target_us, NULL::BIGINT AS elapsed_us, "
                f"NULL::BIGINT AS paused_us, NULL::BIGINT AS due_us, NULL::BIGINT AS stop_us, state_i, "
                f"NULL::BOOLEAN AS unmeasured "
                f"FROM {replay.current_codes} LIMIT 0"
            )
            return
        clocks = replay.clocks
        if not clocks.fits(self.candidate):  # pauses or reopens work differently: the candidate's own stops
            clocks = PreparedClocks(cur, self.candidate, replay.baseline.as_of, tickets=replay.period_tickets,
                                    events=replay.period_events, coded_by=TICKET_KEY, prefix=self.name("clk"))
            for table in prepared_tables(clocks.prefix):
                self.name(table.removeprefix(f"{self.prefix}_"))  # owned: dropped with the simulation
        clocks.judge(cur, self.candidate, self.candidate_codes, metrics=self.metrics,
                     tiers=None if self.same_rubric else self._candidate_tiers(),
                     only=None if self.everything else self.affected_tickets)

    def _compare(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Both sides' codes per re-judged ticket and metric (the rest did not change), and per ticket."""
        replay = self.replay
        self.rejudged_clocks, self.rejudged_tickets = self.name("rejudged"), self.name("rejudged_tickets")
        cur.execute(
            f"""
            CREATE TABLE {self.rejudged_clocks} AS
            SELECT b.ticket_key, b.metric_i,
                   a.tier_i AS tier_cur_i, b.tier_i AS tier_cand_i,
                   a.initial_tier_i AS initial_tier_cur_i, b.initial_tier_i AS initial_tier_cand_i,
                   a.state_i AS state_cur_i, b.state_i AS state_cand_i,
                   a.tier_i IS DISTINCT FROM b.tier_i OR a.state_i IS DISTINCT FROM b.state_i
                       OR a.initial_tier_i IS DISTINCT FROM b.initial_tier_i AS changed
            FROM {self.candidate_codes} b JOIN {replay.current_codes} a USING (ticket_key, metric_i)
            """
        )
        # One row per re-judged ticket: its week and its tier at creation on both sides.
        cur.execute(
            f"""
            CREATE TABLE {self.rejudged_tickets} AS
            SELECT d.*, k.ticket_id, k.week, k.created_at
            FROM (SELECT ticket_key, bool_or(changed) AS changed,
                         coalesce(any_value(initial_tier_cur_i), {UNTIERED_I}) AS tier_cur_i,
                         coalesce(any_value(initial_tier_cand_i), {UNTIERED_I}) AS tier_cand_i
                  FROM {self.rejudged_clocks} GROUP BY ticket_key) d
            JOIN {replay.profiled_tickets} k ON k.{TICKET_KEY} = d.ticket_key
            """
        )


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
            return int(fetch_one(cur.execute(f"COPY (SELECT * FROM {view} ORDER BY ticket_id, metric) TO ? (FORMAT parquet)",
                                   [str(path)]))[0])
        if path.suffix.lower() == ".csv":
            return write_csv_safe(cur, view, path, zone=sim.current.timezone, order_by=("ticket_id", "metric"))
        raise ValueError(f"{path}: use a .csv or .parquet file name")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {view}")
