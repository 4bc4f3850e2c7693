"""The Review's headline: the month's adherence, its clocks met and breached, the tiers at their goal and the
last 12 months, each compared with the month before unless either month is one the data covers in part."""

from __future__ import annotations

from typing import Literal, Optional

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sla_core.analysis import review
from sla_core.analysis.filters import Filters
from sla_core.periods import month_label, shift_month
from sla_core.sources import DataSource
from ui.data_sources import shared
from ui.widgets import pct

CLOCKS = ("Counts are SLA clocks, not tickets: a ticket has up to three (acknowledge, action plan, resolution), "
          "each met or breached on its own, and counts in the month its clock was met or breached.")


def headline_metrics(source: DataSource, filters: Filters) -> review.Headline:
    """Draw the five headline numbers and return them: what the page shows next depends on what was decided.

    A month the data covers only in part (in progress, or where the data starts or ends) is not compared with a
    whole one, nor a whole month with a partial one before it: the delta says which month is partial instead.
    """
    period = filters.period
    month, previous = month_label(period), month_label(shift_month(period, -1))  # type: ignore[arg-type]
    head = shared(review.headline, source, filters)
    this, before = source.month_choice(period), source.month_choice(shift_month(period, -1))  # type: ignore[arg-type]
    checks = shared(review.goal_checks, source, filters)
    cols = st.columns(5)
    if this.partial or before.partial:
        partial = "partial month, not compared" if this.partial else f"{previous} partial, not compared"
        why = (f"{month} is partial ({this.coverage})" if this.partial else f"{previous} is partial "
               f"({before.coverage})") + ": a month the data covers in part is not set against a whole one. "
        cols[0].metric(f"Adherence {month}", pct(head.month.adherence), partial, delta_color="off",
                       delta_arrow="off", help=why + CLOCKS)
        cols[2].metric("Clocks breached", f"{head.month.breached:,}", partial, delta_color="off", delta_arrow="off",
                       help=why + CLOCKS)
    else:
        _compared(cols[0], f"Adherence {month}", pct(head.month.adherence),
                  _points(head.month.adherence, head.previous.adherence), " pts", previous, "normal")
        _compared(cols[2], "Clocks breached", f"{head.month.breached:,}",
                  head.month.breached - head.previous.breached, "", previous, "inverse")
    cols[1].metric("Clocks met", f"{head.month.met:,}", help=CLOCKS)
    _goals_metric(cols[3], source, checks)
    cols[4].metric("Adherence, last 12 months", pct(head.last_12_months.adherence))
    return head


def _compared(col: DeltaGenerator, label: str, value: str, change: Optional[float], unit: str, previous: str,
              color: Literal["normal", "inverse"]) -> None:
    """A number with its change since the month before; no change reads "no change", with no arrow or colour
    (a "+0" with a red up arrow says something happened)."""
    if change is None:
        col.metric(label, value, help=CLOCKS)
    elif round(change, 1) == 0:
        col.metric(label, value, f"no change vs {previous}", delta_color="off", delta_arrow="off", help=CLOCKS)
    else:
        shown = f"{change:+.1f}" if unit else f"{int(change):+,}"
        col.metric(label, value, f"{shown}{unit} vs {previous}", delta_color=color, help=CLOCKS)


def _points(now: Optional[float], before: Optional[float]) -> Optional[float]:
    """The change in adherence, in percentage points, or nothing when either month decided no clock."""
    return None if now is None or before is None else (now - before) * 100


def _goals_metric(col: DeltaGenerator, source: DataSource, checks: list[review.GoalCheck]) -> None:
    """How many tiers reached the policy's goal this month; the ones below it named under the number (a long list
    in the delta chip is cut off)."""
    if checks:
        short = [c for c in checks if not c.reached]
        col.metric(
            "Tiers at their goal", f"{len(checks) - len(short)} of {len(checks)}",
            f"{len(short)} below" if short else "every tier at its goal", delta_color="off" if short else "normal",
            delta_arrow="off",
            help="The policy's `goals`: the share of a tier's clocks (all metrics) it aims to meet each month.",
        )
        if short:
            col.caption("Below: " + ", ".join(f"{c.tier} {pct(c.adherence)} (goal {c.goal:.0%})" for c in short))
    else:
        col.metric("Tiers at their goal", "—", "the policy names no goals" if not source.policy.goals else
                   "no clock met or breached", delta_color="off", delta_arrow="off")


def trend_note(trend: pd.DataFrame, shown: int = 6) -> str:
    """What the trend leaves out, in words: months without clocks (gaps) and months with too few to mean
    anything (review.MIN_TREND_CLOCKS), naming the first few."""
    few = trend[trend["too_few"]]
    note = "A month without clocks is a gap in its line, never joined across."
    if few.empty:
        return note
    named = ", ".join(f"{r.month:%Y-%m} {r.tier} {str(r.metric).replace('_', ' ')} ({r.met + r.breached})"
                      for r in few.head(shown).itertuples())
    more = f" and {len(few) - shown} more" if len(few) > shown else ""
    return (f"{note} No point where fewer than {review.MIN_TREND_CLOCKS} clocks of a tier were decided in a month "
            f"(too few to mean anything): {named}{more}.")
