"""Beyond the timers: the systemic metrics of the monthly review, each with its drill-down.

The SLA clocks say whether a promise was kept; these say why tickets are slow: who held them and how long a
handed-off ticket waited (owners), how often fixes did not stick (reopens), what incidents did to
satisfaction (csat), whether a complete triage handoff pays off (triage), and what targets the last quarter
would have met (retrospective). How incidents were first seen, and the NPS / CSAT cohorts of survey
answers, are incidents.py's.

Every metric is one parameterized DuckDB query over the source's `tickets`, `events` and engine results,
starting from the same tickets (tickets.py). A private `_*_rows` builder gives one row per ticket (or
handoff) with the columns the metric groups by; the headline aggregates it and the drill-down filters it
(`query.rows_behind`), so a number and the tickets behind it cannot disagree. Each module says what its
metric means where the data leaves room.

All times are wall-clock, real seconds, unless a column says it is an SLA clock's elapsed time. A ticket's
tier is the tier in force on its resolution clock (the engine's result row; so a re-tiered ticket counts at
its latest tier).
"""

from sla_core.analysis.insights.csat import (
    CSAT_WINDOW_DAYS,
    cohort_rule,
    csat_after_incidents,
    csat_before_after,
    csat_cohort_tickets,
    csat_tickets,
)
from sla_core.analysis.insights.owners import (
    FIRST_OWNER,
    handoff_tickets,
    handoff_waits,
    owner_time,
    owner_time_tickets,
    resolution_by_team,
    resolution_tickets,
)
from sla_core.analysis.insights.reopens import reopen_rate, reopen_tickets, reopen_trend
from sla_core.analysis.insights.retrospective import capacity, retrospective
from sla_core.analysis.insights.summary import Summary, summarize
from sla_core.analysis.insights.triage import CLAIMED_RATIO, handoff_quality, handoff_quality_tickets

__all__ = [
    "CLAIMED_RATIO",
    "CSAT_WINDOW_DAYS",
    "FIRST_OWNER",
    "Summary",
    "capacity",
    "cohort_rule",
    "csat_after_incidents",
    "csat_before_after",
    "csat_cohort_tickets",
    "csat_tickets",
    "handoff_quality",
    "handoff_quality_tickets",
    "handoff_tickets",
    "handoff_waits",
    "owner_time",
    "owner_time_tickets",
    "reopen_rate",
    "reopen_tickets",
    "reopen_trend",
    "resolution_by_team",
    "resolution_tickets",
    "retrospective",
    "summarize",
]
