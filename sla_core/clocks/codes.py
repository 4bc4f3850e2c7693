"""Codes: the engine's integers for tiers, metrics, states and calendars, and the one place they become text.

Why codes: through the three-rows-per-ticket stages, joins that carry
integers instead of strings are several times cheaper, and the simulator
compares many evaluations of the same tickets by codes alone. A code is the
index of the word in vocab.py's tuple (or in calendars.calendar_names), so
the order of those tuples is part of this contract.
"""

from __future__ import annotations

from typing import Sequence

from sla_core.clocks.calendars import calendar_names
from sla_core.columns import STOP_COLUMN
from sla_core.policy import Policy
from sla_core.policy.teams import discipline_sql, route_sql
from sla_core.vocab import METRICS, STATES, TIERS

RESULT_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "metric",
    "tier",
    "initial_tier",
    "segment",
    "owner_team",
    "discipline",
    "route",
    "created_at",
    "calendar",
    "target_seconds",
    "elapsed_seconds",
    "paused_seconds",
    "due_at",
    "stopped_at",
    "state",
    "time_left_seconds",
    "untimed_reason",
)

# What `evaluate(..., coded_by=...)` writes instead: the same clocks as codes and epoch microseconds,
# keyed by the caller's integer ticket key. A caller comparing many evaluations of the same tickets
# (the simulator) joins and counts these several times faster than text, and decodes only the rows
# it shows, with `result_select`.
CODED_COLUMNS: tuple[str, ...] = (
    "ticket_key",
    "metric_i",  # index in METRICS
    "tier_i",  # index in TIERS (tier in force)
    "initial_tier_i",
    "cal_i",  # index in calendars.calendar_names(policy)
    "target_us",
    "elapsed_us",
    "paused_us",
    "due_us",
    "stop_us",
    "state_i",  # index in STATES
    "unmeasured",  # the ticket's export cannot time this metric (so it is untimed)
)


def _decode(code: str, name: str, n: int) -> str:
    """A code back to its text as a CASE over parameters `$name_0..`: several times cheaper
    on 3M rows than indexing a list parameter, which copies every string."""
    whens = " ".join(f"WHEN {i} THEN ${name}_{i}" for i in range(n))
    return f"CASE {code} {whens} END"


def _decode_params(name: str, values: Sequence[str]) -> dict[str, str]:
    return {f"{name}_{i}": value for i, value in enumerate(values)}


def code_sql(expr: str, values: Sequence[str]) -> str:
    """SQL: the code (index in `values`, code constants such as TIERS) of the text `expr`; NULL when absent."""
    return f"(list_position([{', '.join(repr(v) for v in values)}], {expr}) - 1)"


def text_sql(code: str, values: Sequence[str], missing: str = "NULL") -> str:
    """SQL: the text of code `code` in `values` (code constants), the SQL `missing` for any other code."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE {code} {whens} ELSE {missing} END)"


def segment_code_sql(segment: str) -> str:
    """SQL: a ticket's segment code under the `$segments` parameter (0 = no override of its own)."""
    return f"coalesce(list_position($segments::VARCHAR[], {segment}), 0)"


def result_select(j: str, policy: Policy) -> tuple[str, dict[str, object]]:
    """SELECT list of RESULT_COLUMNS from the coded clock row `j` (CODED_COLUMNS plus ticket_id, segment,
    owner_team and created_us), and its parameters: the one place codes become the result's text."""
    calendars = calendar_names(policy)
    tier = _decode(f"{j}.tier_i", "tier", len(TIERS))
    discipline, discipline_params = discipline_sql(policy, f"{j}.owner_team")
    route, route_params = route_sql(policy, tier)
    stop_column = _decode(f"{j}.metric_i", "stop", len(METRICS))
    sql = f"""
        {j}.ticket_id,
        {_decode(f"{j}.metric_i", "metric", len(METRICS))} AS metric,
        {tier} AS tier,
        {_decode(f"{j}.initial_tier_i", "tier", len(TIERS))} AS initial_tier,
        {j}.segment, {j}.owner_team,
        {discipline} AS discipline,
        {route} AS route,
        make_timestamptz({j}.created_us) AS created_at,
        {_decode(f"{j}.cal_i", "calendar", len(calendars))} AS calendar,
        {j}.target_us // 1000000 AS target_seconds,
        {j}.elapsed_us / 1e6 AS elapsed_seconds,
        {j}.paused_us / 1e6 AS paused_seconds,
        make_timestamptz({j}.due_us) AS due_at,
        make_timestamptz({j}.stop_us) AS stopped_at,
        {_decode(f"{j}.state_i", "state", len(STATES))} AS state,
        CASE WHEN {j}.stop_us IS NULL AND {j}.target_us IS NOT NULL
             THEN ({j}.target_us - {j}.elapsed_us) / 1e6 END AS time_left_seconds,
        CASE WHEN {j}.target_us IS NOT NULL THEN NULL
             WHEN {j}.unmeasured THEN 'not measured: the data has no ' || {stop_column}
             ELSE 'no target: the policy does not time it' END AS untimed_reason
    """
    params: dict[str, object] = {
        **_decode_params("metric", METRICS),
        **_decode_params("tier", TIERS),
        **_decode_params("calendar", calendars),
        **_decode_params("state", STATES),
        **_decode_params("stop", [STOP_COLUMN[m] for m in METRICS]),
        **discipline_params,
        **route_params,
    }
    return sql, params
