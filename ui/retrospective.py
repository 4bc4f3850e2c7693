"""The quarterly retrospective as Beyond the timers draws it: pick one of the last four quarters, see the
targets its stopped clocks would have met next to the current ones, and the load they were met under."""

from __future__ import annotations

import streamlit as st

from sla_core import periods
from sla_core.analysis import insights
from sla_core.analysis.filters import Filters
from sla_core.sources import DataSource
from ui.widgets import download, table


def quarterly_retrospective(source: DataSource, filters: Filters) -> None:
    """The quarter picker (the last full quarter first), the retrospective table and the capacity used."""
    latest = periods.last_quarter(source.as_of, source.policy.timezone)
    quarters = [periods.shift_month(latest, -3 * i) for i in range(4)]
    quarter = st.selectbox("Quarter", quarters, format_func=periods.quarter_label, key="insights_quarter")
    st.caption("Per tier and metric: the target the quarter's stopped clocks would have met 90 % / 95 % of the "
               "time (in the metric's calendar hours), next to the current target.")
    retro = insights.retrospective(source, filters, quarter)
    if retro.empty:
        st.info(f"No clock stopped in {periods.quarter_label(quarter)}.")
    else:
        table(retro, "insights_retro")
        download(retro, f"retrospective_{periods.quarter_label(quarter)}.csv", "insights_retro_dl")
    st.subheader("Capacity used")
    table(insights.capacity(source, filters, quarter), "insights_capacity")
