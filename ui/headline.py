"""The Review's headline: the month's adherence, its clocks met and breached, the tiers at their goal and the
last 12 months, each compared with the month before unless the month is still in progress."""

from __future__ import annotations

from typing import Optional

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sla_core.analysis import review
from sla_core.analysis.filters import Filters
from sla_core.periods import month_label, shift_month
from sla_core.sources import DataSource
from ui.widgets import pct

CLOCKS = ("Counts are SLA clocks, not tickets: a ticket has up to three (acknowledge, action plan, resolution), "
          "each met or breached on its own, and counts in the month its clock was met or breached.")


def headline_metrics(source: DataSource, filters: Filters) -> review.Headline:
    """Draw the five headline numbers and return them: what the page shows next depends on what was decided.

    A month in progress is not compared with a whole one: its delta says how many days it has had so far.
    """
    month, previous = month_label(filters.period), month_label(shift_month(filters.period, -1))  # type: ignore[arg-type]
    head = review.headline(source, filters)
    so_far = source.month_choice(filters.period).days_so_far  # type: ignore[arg-type]
    checks = review.goal_checks(source, filters)
    cols = st.columns(5)
    if so_far is None:
        cols[0].metric(f"Adherence {month}", pct(head.month.adherence),
                       _points(head.month.adherence, head.previous.adherence, previous), help=CLOCKS)
        cols[2].metric(
            "Clocks breached", f"{head.month.breached:,}",
            f"{head.month.breached - head.previous.breached:+,} vs {previous}", delta_color="inverse", help=CLOCKS,
        )
    else:
        progress = f"month in progress: {so_far} day{'s' if so_far != 1 else ''} so far"
        cols[0].metric(f"Adherence {month}", pct(head.month.adherence), progress, delta_color="off",
                       delta_arrow="off", help=CLOCKS)
        cols[2].metric("Clocks breached", f"{head.month.breached:,}", progress, delta_color="off", delta_arrow="off",
                       help=CLOCKS)
    cols[1].metric("Clocks met", f"{head.month.met:,}", help=CLOCKS)
    _goals_metric(cols[3], source, checks)
    cols[4].metric("Adherence, last 12 months", pct(head.last_12_months.adherence))
    return head


def _points(now: Optional[float], before: Optional[float], previous: str) -> Optional[str]:
    """The change in adherence, in percentage points, or nothing when either month decided no clock."""
    return None if now is None or before is None else f"{(now - before) * 100:+.1f} pts vs {previous}"


def _goals_metric(col: DeltaGenerator, source: DataSource, checks: list[review.GoalCheck]) -> None:
    """How many tiers reached the policy's goal this month, naming the ones below it."""
    if checks:
        short = [c for c in checks if not c.reached]
        col.metric(
            "Tiers at their goal", f"{len(checks) - len(short)} of {len(checks)}",
            "below: " + ", ".join(f"{c.tier} {pct(c.adherence)} < {c.goal:.0%}" for c in short) if short
            else "every tier at its goal", delta_color="off" if short else "normal", delta_arrow="off",
            help="The policy's `goals`: the share of a tier's clocks (all metrics) it aims to meet each month.",
        )
    else:
        col.metric("Tiers at their goal", "—", "the policy names no goals" if not source.policy.goals else
                   "no clock met or breached", delta_color="off", delta_arrow="off")
