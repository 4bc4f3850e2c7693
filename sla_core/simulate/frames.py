"""The small frames a simulation's page and command line show: transitions, adherence, load, the moves and why.

Each reads the simulation's coded tables (both sides' codes per re-judged
clock) and the replay's current-side counts, so a frame costs a few joins over
the tickets that moved, not a pass over the period. Text is made only for the
rows a frame shows or a file holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import duckdb
import pandas as pd

from sla_core.clocks.engine import code_sql, result_select, text_sql
from sla_core.policy.teams import on_call_tiers
from sla_core.simulate.replay import TICKET_KEY, UNTIERED, tier_text
from sla_core.sqlutil import fetch_one
from sla_core.vocab import FACTORS, METRICS, STATES, TIERS

if TYPE_CHECKING:
    from sla_core.policy import Policy
    from sla_core.simulate.replay import Replay

# The factor names as a SQL list literal (code constants, not user text): why_i indexes it.
FACTOR_LIST_SQL = "[" + ", ".join(f"'{f}'" for f in FACTORS) + "]"


def _duration_sql(expr: str) -> str:
    """SQL twin of policy.format_duration for reasons: 7200 -> '2h', NULL -> 'untimed'."""
    return (
        f"CASE WHEN {expr} IS NULL THEN 'untimed' "
        + " ".join(f"WHEN {expr} % {s} = 0 THEN ({expr} // {s})::VARCHAR || '{u}'"
                   for u, s in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)))
        + f" ELSE {expr}::VARCHAR || 's' END"
    )


class SimulationFrames:
    """The frames of a Simulation (its tables are named by the simulation's constructor)."""

    con: duckdb.DuckDBPyConnection
    replay: "Replay"
    candidate: "Policy"
    profile_scores: str
    rejudged_clocks: str
    rejudged_tickets: str
    candidate_codes: str

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
                FROM {self.rejudged_clocks} d JOIN {self.replay.profiled_tickets} k ON k.{TICKET_KEY} = d.ticket_key
            ) WHERE {where}
        """

    def _detailed(self, rows_sql: str) -> tuple[str, dict[str, object]]:
        """SQL and parameters: diff rows with both sides' calendar, target, elapsed, due and stop, and the
        ticket's inputs (the candidate's decoded from its codes, by the engine's own decoding)."""
        cols = ("calendar", "target_seconds", "elapsed_seconds", "due_at", "stopped_at")
        both = ", ".join(f"{p}.{c} AS {c}_{side}" for side, p in (("current", "a"), ("candidate", "b")) for c in cols)
        decoded, params = result_select("c", self.candidate)
        return f"""
            SELECT d.* EXCLUDE (ticket_key, metric_i), k.segment, k.impact, k.severity, {both}
            FROM ({rows_sql}) d
            JOIN (SELECT ticket_key, metric_i, {", ".join(cols)} FROM (
                      SELECT c.ticket_key, c.metric_i, {decoded}
                      FROM (SELECT *, NULL::VARCHAR AS ticket_id, NULL::VARCHAR AS segment,
                                   NULL::VARCHAR AS owner_team, NULL::BIGINT AS created_us
                            FROM {self.candidate_codes}) c)) b USING (ticket_key, metric_i)
            JOIN {self.replay.current_results} a USING (ticket_id, metric)
            JOIN {self.replay.profiled_tickets} k USING (ticket_id)
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
            LEFT JOIN {self.replay.profile_scores} pa ON pa.profile_id = d.profile_id
            LEFT JOIN {self.profile_scores} pb ON pb.profile_id = d.profile_id
        """

    def _explained(self, where: str = "TRUE") -> tuple[str, dict[str, object]]:
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
            f"ELSE {tier_text('c.tier_cand_i')} END AS tier_candidate "
            f"FROM {self.replay.profiled_tickets} k LEFT JOIN {self.rejudged_tickets} c ON c.ticket_key = k.{TICKET_KEY}"
        )

    def transition_counts(self) -> pd.DataFrame:
        """Long form: tier_current, tier_candidate, tickets (the current diagonal moved by the re-judged tickets)."""
        return self._df(
            f"""
            WITH moved AS (  -- counted as codes, named after
                SELECT tier_cur_i, tier_cand_i, count(*) AS n FROM {self.rejudged_tickets} GROUP BY ALL
            )
            SELECT tier_current, tier_candidate, sum(n)::BIGINT AS tickets FROM (
                SELECT tier AS tier_current, tier AS tier_candidate, n FROM {self.replay.weekly_tiers}
                UNION ALL SELECT {tier_text('tier_cur_i')}, {tier_text('tier_cur_i')}, -n FROM moved
                UNION ALL SELECT {tier_text('tier_cur_i')}, {tier_text('tier_cand_i')}, n FROM moved
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
            JOIN {self.replay.profiled_tickets} k USING (ticket_id)
            LEFT JOIN {self.replay.profile_scores} pa ON pa.profile_id = k.profile_id
            LEFT JOIN {self.profile_scores} pb ON pb.profile_id = k.profile_id
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
                    SELECT tier_cur_i AS tier_i, metric_i, state_cur_i AS state_i, -1 AS w FROM {self.rejudged_clocks}
                    WHERE state_cur_i IN ({met}, {breached})
                    UNION ALL
                    SELECT tier_cand_i, metric_i, state_cand_i, 1 FROM {self.rejudged_clocks}
                    WHERE state_cand_i IN ({met}, {breached})
                ) GROUP BY ALL
            ), rows AS (
                SELECT tier, metric, 'met' AS state, met AS cur_w, met AS cand_w FROM {r.current_counts}
                UNION ALL
                SELECT tier, metric, 'breached', breached, breached FROM {r.current_counts}
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
        """On-call tickets (policy.teams.on_call_tiers of the current policy) created per ISO week, current vs
        candidate, flagged against `capacity`."""
        tiers = on_call_tiers(self.replay.policy)
        on_call = [TIERS.index(t) for t in tiers]
        frame = self._df(
            f"""
            SELECT week, strftime(week, '%G-W%V') AS iso_week, sum(cur)::BIGINT AS current,
                   sum(cand)::BIGINT AS candidate
            FROM (
                SELECT week, n * list_contains($tiers, tier)::INT AS cur, n * list_contains($tiers, tier)::INT AS cand
                FROM {self.replay.weekly_tiers}
                UNION ALL
                SELECT week, 0, sum(list_contains($codes, tier_cand_i)::INT - list_contains($codes, tier_cur_i)::INT)
                FROM {self.rejudged_tickets} GROUP BY week
            ) GROUP BY week ORDER BY week
            """,
            {"tiers": list(tiers), "codes": on_call},
        )
        frame["capacity"] = capacity
        frame["over_current"] = (frame["current"] > capacity) if capacity is not None else False
        frame["over_candidate"] = (frame["candidate"] > capacity) if capacity is not None else False
        return frame

    def changed_tickets(self, limit: Optional[int] = None) -> pd.DataFrame:
        """Tickets whose tier or any metric's state differs (newest first), with the reason and the factor
        that moved most; only the tickets returned are explained."""
        picked = f"SELECT ticket_id FROM {self.rejudged_tickets} WHERE changed ORDER BY created_at DESC, ticket_id"
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
        return int(fetch_one(self.con.cursor().execute(
            f"SELECT count(*) FROM {self.rejudged_tickets} WHERE changed"))[0])

    def diff_sql(self) -> tuple[str, dict[str, object]]:
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
            FROM {r.current_results} a
            JOIN {r.profiled_tickets} k USING (ticket_id)
            ANTI JOIN {self.rejudged_clocks} d ON d.ticket_key = k.{TICKET_KEY} AND d.metric_i = {code_sql("a.metric", METRICS)}
            LEFT JOIN {r.profile_scores} pa ON pa.profile_id = k.profile_id
            LEFT JOIN {self.profile_scores} pb ON pb.profile_id = k.profile_id
        """, params


def scenario_summary(matrix: pd.DataFrame, adherence: pd.DataFrame, load: pd.DataFrame) -> dict[str, Any]:
    """One comparable row per scenario: tickets moved, tickets per candidate tier, the adherence change over
    every clock and per metric (points) and weeks over capacity."""
    row: dict[str, Any] = {
        "change tier": int(matrix.to_numpy().sum() - matrix.to_numpy().trace()),
        **{f"to {t}": int(matrix[t].sum()) for t in matrix.columns},
        "weeks over capacity": int(load["over_candidate"].sum()),
    }
    for metric in (None, *METRICS):  # None: every clock together, the headline's effect
        part = adherence if metric is None else adherence[adherence["metric"] == metric]
        rates = []
        for side in ("current", "candidate"):
            met, breached = int(part[f"met_{side}"].sum()), int(part[f"breached_{side}"].sum())
            rates.append(met / (met + breached) if met + breached else None)
        row["adherence change (pts)" if metric is None else f"{metric} adherence change (pts)"] = (
            None if None in rates else round((rates[1] - rates[0]) * 100, 2)  # type: ignore[operator]
        )
    return row
