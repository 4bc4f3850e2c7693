"""Review: the monthly SLA review - adherence, trends, distributions, and the tickets behind each number."""

from typing import Callable, Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import review
from sla_core.ingest.store import StoreError, store_imports, store_path
from sla_core.periods import month_label, shift_month
from sla_core.present.charts import distribution_edge, distribution_figure, team_figure, trend_figure
from ui.drill import tickets_behind_the_numbers
from ui.sidebar import require_data
from ui.state import ALL, StateKeys
from ui.widgets import coverage_panel, download, pct

source, filters = require_data("review")
con, outcomes = source.con, source.outcomes
month = month_label(filters.period)
previous = month_label(shift_month(filters.period, -1))
tz = source.policy.timezone


def points(now: Optional[float], before: Optional[float]) -> Optional[str]:
    return None if now is None or before is None else f"{(now - before) * 100:+.1f} pts vs {previous}"


PERCENT = st.column_config.NumberColumn(format="percent")

st.title("Monthly SLA review")
st.caption(
    f"{source.label} · {source.tickets:,} tickets · clocks judged at "
    f"{source.as_of.astimezone(source.policy.zone):%Y-%m-%d %H:%M} ({tz}) · months in {tz}"
)

head = review.headline(con, filters, outcomes=outcomes)
so_far = source.month_choice(filters.period).days_so_far
cols = st.columns(4)
if so_far is None:
    cols[0].metric(f"Adherence {month}", pct(head.month.adherence), points(head.month.adherence, head.previous.adherence))
    cols[2].metric(
        "Breached", f"{head.month.breached:,}", f"{head.month.breached - head.previous.breached:+,} vs {previous}",
        delta_color="inverse",
    )
else:  # a month in progress is not compared with a whole one
    progress = f"month in progress: {so_far} day{'s' if so_far != 1 else ''} so far"
    cols[0].metric(f"Adherence {month}", pct(head.month.adherence), progress, delta_color="off", delta_arrow="off")
    cols[2].metric("Breached", f"{head.month.breached:,}", progress, delta_color="off", delta_arrow="off")
cols[1].metric("Met", f"{head.month.met:,}")
cols[3].metric("Adherence, last 12 months", pct(head.last_12_months.adherence))

if head.month.decided == 0:
    st.info(
        f"**No SLA clocks were decided in {month}** for these filters: nothing was acknowledged, "
        "planned or resolved, and nothing breached. Pick another month or clear a filter in the sidebar.",
        icon=":material/event_busy:",
    )
    if head.last_12_months.decided == 0:
        st.stop()
coverage_panel(source, filters.period)


def drill_to(**values: str) -> None:
    """Point the 'tickets behind the numbers' selectors at a table row."""
    for key, value in values.items():
        st.session_state[key] = value


def on_row(frame: pd.DataFrame, table_key: str, to_keys: Callable[[pd.Series], dict]) -> Callable[[], None]:
    def pick() -> None:
        rows = st.session_state[table_key].selection.rows
        if rows:
            drill_to(**to_keys(frame.iloc[rows[0]]))

    return pick


st.subheader("Adherence per tier and metric")
table = review.adherence_table(con, filters, outcomes=outcomes)
shown = table[["tier", "metric", "met", "breached", "adherence", "prev_adherence", "adherence_12m"]].rename(
    columns={"adherence": f"adherence {month}", "prev_adherence": f"{previous}", "adherence_12m": "last 12 months"}
)
st.dataframe(
    shown, hide_index=True, key="adherence_table", on_select=on_row(
        table, "adherence_table", lambda r: {
            StateKeys.DRILL_TIER: r["tier"], StateKeys.DRILL_METRIC: r["metric"], StateKeys.DRILL_TEAM: ALL,
            StateKeys.DRILL_WINDOW: "month", StateKeys.DRILL_STATE: "breached",
        }),
    selection_mode="single-row",
    column_config={c: PERCENT for c in shown.columns[4:]},
)
st.caption("Select a row to list its tickets below.")
download(table, f"adherence_{month}.csv", "dl_adherence")

trend = review.adherence_trend(con, filters, outcomes=outcomes)
if not trend.empty:
    st.subheader("Trend, last 12 months")
    fig = trend_figure(trend)
    st.plotly_chart(fig, key="trend_chart")
    download(trend, "adherence_trend.csv", "dl_trend")

if head.month.decided == 0:
    st.stop()

dist_tier = review.distribution_tier(filters)
st.subheader(f"Response times, {dist_tier} tickets, {month}")
dist_cols = st.columns(2)
for col, metric in zip(dist_cols, ("acknowledge", "action_plan")):
    dist = review.elapsed_distribution(con, filters, metric, outcomes=outcomes)
    with col:
        if dist.empty:
            st.info(f"No {dist_tier} {metric.replace('_', ' ')} clocks decided in {month}.")
            continue
        edge = distribution_edge(dist)
        beyond = int((dist["elapsed_minutes"] > edge).sum())
        fig = distribution_figure(dist, edge, f"time to {metric.replace('_', ' ')} (minutes)")
        st.plotly_chart(fig, key=f"dist_{metric}")
        if beyond:
            st.caption(f"{beyond} clock{'s' if beyond != 1 else ''} beyond {edge:,.0f} min drawn at the right edge.")
        download(dist, f"{dist_tier}_{metric}_{month}.csv", f"dl_dist_{metric}")

st.subheader(f"Breaches by owner team, {month}")
teams = review.breaches_by_team(con, filters, outcomes=outcomes)
team_cols = st.columns([3, 2])
with team_cols[0]:
    st.dataframe(
        teams, hide_index=True, key="team_table", selection_mode="single-row",
        on_select=on_row(teams, "team_table", lambda r: {
            StateKeys.DRILL_TEAM: r["owner_team"], StateKeys.DRILL_METRIC: r["metric"], StateKeys.DRILL_TIER: ALL,
            StateKeys.DRILL_WINDOW: "month", StateKeys.DRILL_STATE: "breached",
        }),
        column_config={"adherence": PERCENT},
    )
    download(teams, f"breaches_by_team_{month}.csv", "dl_teams")
with team_cols[1]:
    fig = team_figure(teams)
    st.plotly_chart(fig, key="team_chart")

tickets_behind_the_numbers(source, filters, sorted(teams["owner_team"].unique()))

if source.kind == "store":
    with st.expander("Imports into this store", icon=":material/history:"):
        try:
            imports = pd.DataFrame(store_imports(store_path()))
        except StoreError as err:
            st.caption(f"The import history cannot be read: {err}")
        else:
            st.dataframe(imports, hide_index=True)
            download(imports, "store_imports.csv", "dl_imports")
