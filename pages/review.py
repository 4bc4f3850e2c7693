"""Review: the monthly SLA review - adherence, trends, distributions, and the tickets behind each number."""

import pandas as pd
import streamlit as st

from sla_core.analysis import review
from sla_core.ingest.store import StoreError, store_imports, store_path
from sla_core.periods import month_label, shift_month
from sla_core.present.charts import distribution_edge, distribution_figure, team_figure, trend_figure
from sla_core.present.words import NO_DISCIPLINES
from sla_core.sources import policy_path
from sla_core.vocab import UNASSIGNED
from ui.agreement import agreement_downloads
from ui.data_sources import settle_process, shared, shared_figure, shared_value
from ui.drill import BEHIND_COLUMNS, metric_table, pick, tickets_behind_the_numbers
from ui.headline import CLOCKS, headline_metrics, trend_note
from ui.sidebar import require_data
from ui.state import ALL, StateKeys
from ui.widgets import coverage_panel, download, table


def distribution_chart(dist: pd.DataFrame, metric: str) -> tuple[float, int, object]:
    """Where the chart's axis ends, how many clocks lie beyond it, and the chart."""
    edge = distribution_edge(dist)
    return edge, int((dist["elapsed_minutes"] > edge).sum()), distribution_figure(
        dist, edge, f"time to {metric.replace('_', ' ')} (minutes)")


def store_import_history(source: object) -> pd.DataFrame:
    """The store's imports: read once per store version (an import changes it), not on every run."""
    return pd.DataFrame(store_imports(store_path()))


source, filters = require_data("review")
month = month_label(filters.period)
previous = month_label(shift_month(filters.period, -1))
tz = source.policy.timezone

st.title("Monthly SLA review")
st.caption(
    f"{source.label} · {source.tickets:,} tickets · as of "
    f"{source.as_of.astimezone(source.policy.zone):%Y-%m-%d %H:%M} ({tz}) · months in {tz}"
)

head = headline_metrics(source, filters)

if head.month.decided == 0:
    st.info(
        f"**No SLA clock was met or breached in {month}** for these filters: nothing was acknowledged, "
        "planned or resolved, and nothing breached. Pick another month or clear a filter in the sidebar.",
        icon=":material/event_busy:",
    )
    if head.last_12_months.decided == 0:
        st.stop()
coverage_panel(source, filters.period)


def drill_to_row() -> None:
    """Point the 'tickets behind the numbers' selectors at the selected row: its breached clocks this month."""
    rows = st.session_state["adherence_table"].selection.rows
    if rows:
        row = adherence.iloc[rows[0]]
        st.session_state.update({StateKeys.DRILL_TIER: row["tier"], StateKeys.DRILL_METRIC: row["metric"],
                                 StateKeys.DRILL_TEAM: ALL, StateKeys.DRILL_WINDOW: "month",
                                 StateKeys.DRILL_STATE: "breached"})


st.subheader("Adherence per tier and clock")
adherence = shared(review.adherence_table, source, filters)
shown = shared_value("adherence_shown", source, (filters,), lambda: adherence[[
    "tier", "metric", "met", "breached", "adherence", "goal", "prev_adherence", "adherence_12m"]].rename(
    columns={"adherence": f"Adherence {month}", "prev_adherence": previous, "adherence_12m": "Last 12 months"}))
table(
    shown, "adherence_table", percent=(f"Adherence {month}", previous, "Last 12 months"), of=(source, (filters,)),
    on_select=drill_to_row, selection_mode="single-row",
)
st.caption("Select a row: its breached clocks are listed right below. " + CLOCKS)
download(adherence, f"adherence_{month}.csv", "dl_adherence")
tickets_behind_the_numbers(source, filters, list(source.owner_teams))
trend = shared(review.adherence_trend, source, filters)
if not trend.empty:
    st.subheader("Trend, last 12 months")
    if source.policy.goals:
        st.caption("Dotted lines: each tier's goal.")
    fig = shared_figure("trend", source, (filters,), lambda: trend_figure(trend, source.policy.goals))
    st.plotly_chart(fig, key="trend_chart")
    st.caption(shared_value("trend_note", source, (filters,), lambda: trend_note(trend)))
    download(trend, "adherence_trend.csv", "dl_trend")

if head.month.decided == 0:
    st.stop()

dist_tier = review.distribution_tier(filters)
st.subheader(f"Response times, {dist_tier} tickets, {month}")
dist_cols = st.columns(2)
for col, metric in zip(dist_cols, ("acknowledge", "action_plan")):
    dist = shared(review.elapsed_distribution, source, filters, metric)
    with col:
        if dist.empty:
            st.info(f"No {dist_tier} {metric.replace('_', ' ')} clocks decided in {month}.")
            continue
        edge, beyond, fig = shared_figure("distribution", source, (filters, metric),
                                          lambda: distribution_chart(dist, metric))
        st.plotly_chart(fig, key=f"dist_{metric}")
        if beyond:
            st.caption(f"{beyond} clock{'s' if beyond != 1 else ''} beyond {edge:,.0f} min drawn at the right edge.")
        download(dist, f"{dist_tier}_{metric}_{month}.csv", f"dl_dist_{metric}")

st.subheader(f"Breaches by owner team, {month}")
teams = shared(review.breaches_by_team, source, filters)
if list(source.disciplines) == [UNASSIGNED]:  # a column of "unassigned" would read as "nobody owns it"
    teams = teams.drop(columns="discipline")
    st.caption(NO_DISCIPLINES)
team_cols = st.columns([3, 2])
with team_cols[0]:
    metric_table(
        teams, "team_table", lambda row: review.tickets_behind(
            source, filters, owner_team=pick(row, "owner_team"), metric=pick(row, "metric"),
        )[BEHIND_COLUMNS], month, f"No clock breached in {month} for these filters.", of=(source, (filters,)),
    )
with team_cols[1]:
    if not teams.empty:
        st.plotly_chart(shared_figure("teams", source, (filters, list(teams.columns)), lambda: team_figure(teams)),
                        key="team_chart")

with st.expander("Load per route: tickets created per month", icon=":material/call_split:"):
    st.caption("Each tier's route from the policy's `routes` (who the tier sends work to); the months up to "
               f"{month}, newest first.")
    load = shared(review.route_load, source, filters)
    if len(load.columns) > 1:
        shown = load.assign(month=load["month"].map(month_label))
        table(shown.rename(columns={c: c.replace("_", " ") for c in shown.columns if c != "month"}),
              "route_load_table", of=(source, (filters,)))
    else:
        st.caption("No ticket created in these months for these filters, or the policy names no routes.")

if source.kind == "store":
    with st.expander("Imports into this store", icon=":material/history:"):
        try:
            imports = shared(store_import_history, source)
        except StoreError as err:
            st.caption(f"The import history cannot be read: {err}")
        else:
            table(imports, "store_imports_table", of=(source, ()))
            download(imports, "store_imports.csv", "dl_imports")

with st.expander("The SLA agreement this review holds the team to", icon=":material/handshake:"):
    agreement_downloads(source.policy, policy_path().name)

settle_process()  # once an hour: what lives as long as the server is left out of the collections after each run
