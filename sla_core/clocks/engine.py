"""The SLA clocks: every ticket x metric evaluated in DuckDB SQL at one `as_of`.

The semantics are docs/design.md's "SLA semantics"; this module is their only
implementation. All instants are handled as epoch microseconds (BIGINT) so
that comparisons are exact; F(cal, t) is a calendar's open microseconds
before t (see calendars.py).

Steps, each a whole-table statement:
1. tickets -> base tier (assigned impact or rubric) and the instant each
   metric's clock stops (unknown stops and stops after `as_of` = running);
2. ticket x metric -> tier in force (impact events, `on_tier_change`),
   segment-merged target and calendar, F at the clock's start and end;
3. status events -> pause intervals per metric (plus resolved/closed spans
   for the resolution clock under `on_reopen: resume`), clipped to the clock;
4. elapsed = F(end) - F(created) - paused open time;
5. due_at from the gaps between pauses: the gap in which unpaused open time
   reaches the target, inverted through the calendar; a clock paused now
   that has not reached its target has no due_at;
6. state: met / breached / paused / at_risk / running / untimed.

Steps 1, 2 and 3's clipped pauses depend on no target or calendar, and on
tiers only through step 1's base tier (prepare.py); the rest does
(judge.py). `evaluate` runs both; the simulator keeps the first per replay
(`PreparedClocks`) and judges each candidate with the second, given the
candidate's base tiers, in codes (`coded_by`), decoded only where shown
(codes.py's `result_select`, the one place codes become text). The pause
rule of steps 3 and 5 lives in pauses.py, nowhere else.

Speed comes from writing few wide tables: a ticket's key is its scratch
table rowid (no window to number it); the ticket x metric rows of step 2
are never stored but computed where they are read (in step 3 for the
tickets that kept a pause after clipping, for all in the result), because
writing 3M wide rows costs more than computing them; text codes are decoded
by CASE at the end.
"""


from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional, Sequence

import duckdb

from sla_core.clocks.calendars import epoch_us
from sla_core.clocks.codes import CODED_COLUMNS, RESULT_COLUMNS, code_sql, result_select, text_sql
from sla_core.clocks.judge import judge
from sla_core.clocks.pauses import pause_statuses
from sla_core.clocks.prepare import PREPARED_PARTS, prepare, prepared_tables
from sla_core.policy import Policy
from sla_core.sqlutil import dropped_after
from sla_core.vocab import FACTORS, METRICS

# The ticket columns `evaluate` reads: a caller copying tickets for it need copy no others.
INPUT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((
    "ticket_id", "created_at", "impact", "segment", "owner_team",
    "acknowledged_at", "action_plan_at", "resolved_at", "unmeasured", *FACTORS,
)))

# The event columns it reads.
EVENT_INPUT_COLUMNS: tuple[str, ...] = ("ticket_id", "at", "field", "value", "seq")


def _metric_codes(metrics: Sequence[str]) -> list[int]:
    unknown = set(metrics) - set(METRICS)
    if unknown or not metrics:
        raise ValueError(f"metrics must be some of {', '.join(METRICS)}; got {sorted(metrics)}")
    return sorted(METRICS.index(m) for m in set(metrics))


def evaluate(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    as_of: datetime,
    *,
    tickets: str = "tickets",
    events: str = "events",
    out: str = "sla_results",
    metrics: Sequence[str] = METRICS,
    coded_by: Optional[str] = None,
) -> str:
    """Evaluate every clock of every ticket created by `as_of`; (re)creates table `out`.

    A ticket's tier is its assigned impact, else the rubric's (docs/design.md).
    Events after `as_of` and stops after it are not known yet: those clocks
    are still running.
    `metrics` limits the clocks computed (the simulator re-judges only the
    metrics whose targets a candidate changed); a clock does not depend on
    another metric's. `coded_by` names a unique integer column of `tickets`:
    then `out` holds CODED_COLUMNS keyed by it instead of RESULT_COLUMNS.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a timezone")
    metric_codes = _metric_codes(metrics)
    as_of_us = epoch_us(as_of)
    prep = f"_{out}"  # prefix of this evaluation's scratch tables
    with dropped_after(con, prep, PREPARED_PARTS):
        span = prepare(con, prep, policy, as_of_us, tickets, events, metric_codes, coded_by)
        return judge(con, prep, prep, policy, as_of_us, span, out, metric_codes, coded_by)


class PreparedClocks:
    """The part of an evaluation that no tier, target or calendar changes, kept to judge again and again.

    The simulator judges the same tickets under many candidate policies: the
    status window, the clipped pauses and the tickets' stops are computed once
    here; each `judge` adds the candidate's tiers, targets and calendars.
    Tickets carry the integer key `coded_by`; results are CODED_COLUMNS.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        policy: Policy,
        as_of: datetime,
        *,
        tickets: str,
        events: str,
        coded_by: str,
        prefix: str,
    ) -> None:
        if as_of.tzinfo is None:
            raise ValueError("as_of must carry a timezone")
        self.policy, self.prefix, self.coded_by = policy, prefix, coded_by
        self.as_of_us = epoch_us(as_of)
        self.span = prepare(con, prefix, policy, self.as_of_us, tickets, events, [0, 1, 2], coded_by,
                             kind="TABLE")  # read by the cursors that judge

    def fits(self, policy: Policy) -> bool:
        """Whether `policy` runs its clocks as the prepared one does (same pauses, same reopen rule)."""
        return (policy.on_reopen == self.policy.on_reopen
                and pause_statuses(policy).equals(pause_statuses(self.policy)))

    def judge(
        self,
        con: duckdb.DuckDBPyConnection,
        policy: Policy,
        out: str,
        *,
        metrics: Sequence[str] = METRICS,
        tiers: Optional[str] = None,
        only: Optional[str] = None,
    ) -> str:
        """(Re)create `out` with the prepared tickets' clocks under `policy` (CODED_COLUMNS), on `con`
        (a cursor of the preparing connection: one per thread).

        `tiers`: SQL of a (ticket_key, tier) relation giving every ticket's base tier (NULL = none);
        `only`: a table of ticket_key limiting the tickets judged.
        """
        if not self.fits(policy):
            raise ValueError("the policy pauses or reopens clocks differently from the prepared one: evaluate it")
        scratch = f"{self.prefix}_j{uuid.uuid4().hex[:8]}"  # sessions may judge at once over one connection
        return judge(con, self.prefix, scratch, policy, self.as_of_us, self.span, out, _metric_codes(metrics),
                      self.coded_by, tiers=tiers, only=only,
                      resegment=list(policy.segments) != list(self.policy.segments))


__all__ = [
    "CODED_COLUMNS",
    "EVENT_INPUT_COLUMNS",
    "INPUT_COLUMNS",
    "PREPARED_PARTS",
    "RESULT_COLUMNS",
    "PreparedClocks",
    "code_sql",
    "evaluate",
    "prepared_tables",
    "result_select",
    "text_sql",
]
