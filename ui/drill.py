"""Tickets behind the numbers: the Review's drill-down, and the metric tables of Beyond the timers.

A table row's selection points these selectors at that row (review.py's `on_row`); the list is exactly what
sla_core.analysis.review.tickets_behind returns, so a number and its tickets cannot disagree.
"""

from __future__ import annotations

from typing import Callable, Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import review
from sla_core.analysis.datasource import DataSource
from sla_core.analysis.filters import Filters
from sla_core.csv_safe import frame_csv_bytes
from sla_core.periods import month_label, shift_month
from sla_core.vocab import METRICS, TIERS
from ui.state import ALL, StateKeys
from ui.widgets import download

SHOWN = 2000


def tickets_behind_the_numbers(source: DataSource, filters: Filters, team_values: list[str]) -> None:
    """The drill-down selectors and the clocks they pick, with a download of all of them."""
    con, outcomes, tz = source.con, source.outcomes, source.policy.timezone
    month = month_label(filters.period)  # type: ignore[arg-type]
    previous = month_label(shift_month(filters.period, -1))  # type: ignore[arg-type]
    st.subheader("Tickets behind the numbers")
    windows = {"month": f"{month}", "previous": f"{previous}", "12m": "last 12 months"}
    states = {"breached": "breached", "met": "met", "all": "met and breached"}
    sel = st.columns(5)
    for key, options in ((StateKeys.DRILL_TIER, [ALL, *TIERS]), (StateKeys.DRILL_METRIC, [ALL, *METRICS]),
                         (StateKeys.DRILL_TEAM, [ALL, *team_values])):
        if st.session_state.get(key, ALL) not in options:
            st.session_state[key] = ALL
    window = sel[0].selectbox("Period", list(windows), format_func=windows.__getitem__, key=StateKeys.DRILL_WINDOW)
    state = sel[1].selectbox("Outcome", list(states), format_func=states.__getitem__, key=StateKeys.DRILL_STATE)
    tier = sel[2].selectbox("Tier", [ALL, *TIERS], key=StateKeys.DRILL_TIER, format_func=lambda v: "all" if v == ALL else v)
    metric = sel[3].selectbox("Metric", [ALL, *METRICS], key=StateKeys.DRILL_METRIC,
                              format_func=lambda v: "all" if v == ALL else v)
    team = sel[4].selectbox("Owner team", [ALL, *team_values], key=StateKeys.DRILL_TEAM,
                            format_func=lambda v: "all" if v == ALL else v)
    drill = {
        "window": window, "state": state, "tier": None if tier == ALL else tier,
        "metric": None if metric == ALL else metric, "owner_team": None if team == ALL else team,
    }
    total = review.count_behind(con, filters, outcomes=outcomes, **drill)
    behind = review.tickets_behind(con, filters, tz, outcomes=outcomes, limit=SHOWN, **drill)
    st.markdown(f"**{total:,}** clocks" + (f" (the latest {SHOWN:,} shown; the download has all)" if total > SHOWN else ""))
    # A clock breached while still running has no stop yet: say so instead of a grey "None".
    shown_behind = behind.assign(stopped=behind["stopped"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("still open"))
    st.dataframe(shown_behind, hide_index=True, key="behind_table")
    st.download_button(
        "Download CSV", key="dl_behind", file_name=f"tickets_{state}_{window}_{month}.csv", mime="text/csv",
        on_click="ignore", icon=":material/download:",
        data=lambda: frame_csv_bytes(review.tickets_behind(con, filters, tz, outcomes=outcomes, **drill)),
    )


HOURS = st.column_config.NumberColumn(format="%.1f")


def formats(frame: pd.DataFrame) -> dict:
    """One decimal for durations and means; the rest as they come."""
    return {c: HOURS for c in frame.columns if c.endswith(("_hours", "_minutes", "_mean", "change"))}


def pick(row: Optional[pd.Series], column: str) -> Optional[str]:
    return None if row is None else row[column]


def metric_table(
    frame: pd.DataFrame, key: str, behind: Callable[[Optional[pd.Series]], pd.DataFrame], month: str,
    config: Optional[dict] = None,
) -> None:
    """The metric's table; a selected row (handed to `behind`) narrows the tickets listed under it."""
    if frame.empty:
        st.info(f"No data for {month} with these filters.")
        return
    event = st.dataframe(frame, hide_index=True, key=key, on_select="rerun", selection_mode="single-row",
                         column_config=formats(frame) | (config or {}))
    rows = event.selection.rows if event else []
    if not rows and not st.toggle("List every ticket behind this table", key=f"{key}_all"):
        return
    tickets = behind(frame.iloc[rows[0]] if rows else None)
    st.markdown(f"**{len(tickets):,}** behind {'the selected row' if rows else 'this table'}")
    st.dataframe(tickets, hide_index=True, key=f"{key}_behind", height=min(36 * (len(tickets) + 1) + 3, 320),
                 column_config=formats(tickets))
    download(tickets, f"{key}_{month}.csv", f"{key}_dl")
