"""Tickets behind the numbers: the Review's drill-down, and the metric tables of Beyond the timers.

A table row's selection points these selectors at that row (review.py's `on_row`); the list is exactly what
sla_core.analysis.review.tickets_behind returns, so a number and its tickets cannot disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import review
from sla_core.analysis.filters import Filters
from sla_core.csv_safe import frame_csv_bytes
from sla_core.periods import month_label
from sla_core.present import words
from sla_core.sources import DataSource
from sla_core.vocab import METRICS, TIERS
from ui.data_sources import shared, shared_value
from ui.state import ALL, StateKeys
from ui.widgets import download, table

SHOWN = 2000
WINDOWS = {"month": "selected month", "previous": "month before", "12m": "last 12 months"}
OUTCOMES = {"breached": "breached", "met": "met", "all": "met and breached"}
OUTCOME_VERBS = {"breached": "breached", "met": "met", "all": "met or breached"}
# What the list shows, narrow enough for its column: the filters (segment, discipline) are in the sidebar.
BEHIND_COLUMNS = ["ticket_id", "tier", "metric", "state", "owner_team", "created", "due", "stopped",
                  "target_minutes", "elapsed_minutes", "overdue_minutes"]
NARROW = {words.label(c): st.column_config.Column(width="small")
          for c in ("tier", "state", "target_minutes", "elapsed_minutes", "overdue_minutes")}


def window_months(period: date, window: review.Window) -> str:
    """The months a drill-down period covers, in words: "2026-11", "2025-12 to 2026-11"."""
    first, last = review.window_bounds(period, window)
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"


def tickets_behind_the_numbers(source: DataSource, filters: Filters, team_values: list[str]) -> None:
    """The drill-down selectors and the clocks they pick, with a download of all of them.

    The selectors are bound to the URL (Streamlit's `bind="query-params"`), so a shared link keeps them.
    """
    tz = source.policy.timezone
    period: date = filters.period  # type: ignore[assignment]
    st.subheader("Tickets behind the numbers", anchor="tickets-behind")
    sel = st.columns(5)
    for key, options in ((StateKeys.DRILL_TIER, [ALL, *TIERS]), (StateKeys.DRILL_METRIC, [ALL, *METRICS]),
                         (StateKeys.DRILL_TEAM, [ALL, *team_values])):
        if st.session_state.get(key, ALL) not in options:
            st.session_state[key] = ALL
    every = lambda v: "all" if v == ALL else words.value(v)  # noqa: E731
    window = sel[0].selectbox("Period", list(WINDOWS), format_func=WINDOWS.__getitem__, key=StateKeys.DRILL_WINDOW,
                              bind="query-params")
    state = sel[1].selectbox("Outcome", list(OUTCOMES), format_func=OUTCOMES.__getitem__,
                             key=StateKeys.DRILL_STATE, bind="query-params")
    tier = sel[2].selectbox("Tier", [ALL, *TIERS], key=StateKeys.DRILL_TIER, format_func=every, bind="query-params")
    metric = sel[3].selectbox("Clock", [ALL, *METRICS], key=StateKeys.DRILL_METRIC, format_func=every,
                              bind="query-params")
    team = sel[4].selectbox("Owner team", [ALL, *team_values], key=StateKeys.DRILL_TEAM, format_func=every,
                            bind="query-params")
    drill = {
        "window": window, "state": state, "tier": None if tier == ALL else tier,
        "metric": None if metric == ALL else metric, "owner_team": None if team == ALL else team,
    }
    total = shared(review.count_behind, source, filters, **drill)
    behind = shared(review.tickets_behind, source, filters, limit=SHOWN, **drill)
    st.markdown(
        f"**{total:,}** clock{'s' if total != 1 else ''} {OUTCOME_VERBS[state]} in "
        f"{window_months(period, window)}" + (f" (the latest {SHOWN:,} shown; the download has all)"
                                              if total > SHOWN else "")
        + f" · times in {tz}"
    )
    # One outcome picked: its state is in the line above, and the column's room goes to the times.
    columns = [c for c in BEHIND_COLUMNS if c != "state" or state == "all"]
    # A clock breached while still running has no stop yet: say so.
    listed = shared_value("behind_listed", source, (filters, drill), lambda: behind[columns].assign(
        stopped=behind["stopped"].dt.strftime("%Y-%m-%d %H:%M").fillna("still open")))
    table(listed, "behind_table", column_config=NARROW, of=(source, (filters, drill)))
    st.download_button(
        "Download CSV", key="dl_behind", file_name=f"tickets_{state}_{window}_{month_label(period)}.csv",
        mime="text/csv", on_click="ignore", icon=":material/download:",
        data=lambda: frame_csv_bytes(review.tickets_behind(source, filters, **drill)),
    )


def pick(row: Optional[pd.Series], column: str) -> Optional[str]:
    return None if row is None else row[column]


def metric_table(
    frame: pd.DataFrame, key: str, behind: Callable[[Optional[pd.Series]], pd.DataFrame], month: str, empty: str,
    *, percent: tuple[str, ...] = (), of: Optional[tuple[DataSource, tuple[Any, ...]]] = None,
) -> None:
    """The metric's table; a selected row (handed to `behind`) narrows the tickets listed right under it.
    `empty` says why there is nothing to show (which input is missing), in place of the table. `of`: what the
    frame was computed from (widgets.table), so its words are worked out once for every session."""
    if frame.empty:
        st.info(empty, icon=":material/info:")
        return
    event = table(frame, key, percent=percent, of=of, on_select="rerun", selection_mode="single-row")
    rows = event.selection.rows if event else []
    if not rows and not st.toggle("List every ticket behind this table", key=f"{key}_all"):
        return
    tickets = behind(frame.iloc[rows[0]] if rows else None)
    st.markdown(f"**{len(tickets):,}** behind {'the selected row' if rows else 'this table'}")
    table(tickets, f"{key}_behind", height=min(36 * (len(tickets) + 1) + 3, 320))
    download(tickets, f"{key}_{month}.csv", f"{key}_dl")
