"""Beyond the timers: why tickets are slow (owners, handoffs, reopens, detection, deploys, CSAT), the retrospective."""

from functools import partial
from typing import Callable, Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import incidents, insights
from sla_core.periods import month_label
from sla_core.present import report
from sla_core.present.charts import insight_charts
from ui.data_sources import settle_process, shared_figure
from ui.drill import metric_table, pick
from ui.incident_context import incident_context_panel
from ui.retrospective import quarterly_retrospective
from ui.sidebar import require_data
from ui.widgets import cannot_tell, empty_reason, session_coverage, session_summary

source, filters = require_data("insights")
month = month_label(filters.period) if filters.period else "all months"
store = source.records

st.title("Beyond the timers")
st.caption(
    f"{source.label} · {month} · wall-clock hours unless a column names an SLA clock · "
    "select a row to list the tickets behind it"
)
if filters.period is not None:
    st.download_button(
        "Download monthly report", key="insights_dl_report", icon=":material/description:",
        file_name=report.report_filename(filters), mime="text/html", on_click="ignore",
        data=lambda: report.report_bytes(source, filters, feedback_db=store if store.is_file() else None),
        help="One HTML file with every chart (works offline), the numbers, breached tickets and open action items.",
    )

summary = session_summary(source, filters)
found = session_coverage(source, filters.period)
charts = shared_figure("insights", source, (filters,), lambda: {chart.key: chart for chart in insight_charts(summary)})


def chart(key: str) -> None:
    if key in charts:
        st.plotly_chart(charts[key].figure, key=f"insights_chart_{key}")


why_empty = partial(empty_reason, found, filters)  # why a table has no rows: the input missing, else the filters


def drill_table(frame: pd.DataFrame, key: str, behind: Callable[[Optional[pd.Series]], pd.DataFrame],
                empty: str, percent: tuple[str, ...] = ()) -> None:
    metric_table(frame, key, behind, month, empty, percent=percent, of=(source, (filters,)))


tabs = st.tabs(["Owners and handoffs", "Reopens", "Detection and NPS", "CSAT after incidents", "Handoff quality",
                "Quarterly retrospective"])

with tabs[0]:
    cannot_tell(found, "Who owned the fix (team)", "Handoffs and time with each owner")
    st.subheader("Time to definitive resolution by owner team")
    chart("resolution_by_team")
    drill_table(summary.resolution, "insights_resolution",
                lambda row: insights.resolution_tickets(source, filters, pick(row, "owner_team")),
                why_empty("ticket resolved", "Who owned the fix (team)"))
    st.subheader("Time spent with each owner")
    st.caption(f"Tickets start with {insights.FIRST_OWNER} until their first handoff; "
               "tickets without handoff events stay with their owner team.")
    chart("owner_time")
    drill_table(summary.owners, "insights_owner_time",
                lambda row: insights.owner_time_tickets(source, filters, pick(row, "owner")),
                why_empty("ticket resolved", "Handoffs and time with each owner"))
    st.subheader("Wait after a handoff")
    st.caption("From the handoff to the new owner's first action: the next status event, the next handoff "
               "or an action plan, whichever comes first.")
    chart("handoff_waits")
    drill_table(summary.waits, "insights_handoffs",
                lambda row: insights.handoff_tickets(source, filters, pick(row, "to_owner")),
                why_empty("handoff", "Handoffs and time with each owner"))

with tabs[1]:
    cannot_tell(found, "Reopen rate")
    st.subheader("Reopen rate per tier and owner team")
    chart("reopen_trend")
    drill_table(summary.reopens, "insights_reopens",
                lambda row: insights.reopen_tickets(source, filters, pick(row, "tier"), pick(row, "owner_team")),
                why_empty("ticket resolved", "Reopen rate"))

with tabs[2]:
    cannot_tell(found, "Time to detect")
    st.caption("An incident is the tickets and monitoring signals of one problem (linked by `incident_ref`); "
               "time to detect runs from when it started to when monitoring or a customer first saw it.")
    share = incidents.monitoring_share(summary.detect)
    st.metric("Incidents monitoring saw first", "—" if share is None else f"{share:.0%}",
              help="Of the incidents detected in the month: those whose first alert came no later than the "
                   "first customer ticket.")
    chart("time_to_detect")
    drill_table(summary.detect, "insights_detect",
                lambda row: incidents.detect_incidents(source, filters, pick(row, "first_seen")),
                why_empty("incident", "Time to detect"))
    incident_context_panel(source, filters, found, month)
    st.subheader("NPS and CSAT of the accounts hit by critical incidents")
    cannot_tell(found, "NPS and CSAT of incident cohorts")
    st.caption(f"Survey answers of the accounts of each critical incident's tickets, in the "
               f"{incidents.COHORT_WINDOW_DAYS} days before it started and after it was resolved, next to every "
               f"other account answering in the same windows. A score from fewer than {incidents.MIN_ANSWERS} "
               "answers is left empty.")
    chart("satisfaction_cohorts")
    drill_table(summary.satisfaction, "insights_satisfaction",
                lambda row: incidents.incident_cohorts(source, filters),
                why_empty("critical incident with survey answers", "NPS and CSAT of incident cohorts"))

with tabs[3]:
    cannot_tell(found, "CSAT after incidents (ratings)", "CSAT after incidents (customers hit)")
    st.caption(f"{insights.cohort_rule(source)}. Impacted = customers of a critical or high incident created in "
               f"{month}.")
    chart("csat_after_incidents")
    drill_table(summary.csat, "insights_csat",
                lambda row: insights.csat_tickets(source, filters, pick(row, "group")),
                why_empty("rated ticket", "CSAT after incidents (ratings)"))
    st.subheader(f"Impacted customers, {insights.CSAT_WINDOW_DAYS} days before vs after their first incident")
    drill_table(summary.cohort, "insights_cohort",
                lambda row: insights.csat_cohort_tickets(source, filters, pick(row, "side")),
                why_empty("impacted customer with ratings on both sides", "CSAT after incidents (ratings)",
                          "CSAT after incidents (customers hit)"))

with tabs[4]:
    cannot_tell(found, "Handoffs and time with each owner", "Triage fields")
    st.caption("A handoff to engineering is complete when the ticket holds every triage field "
               "(`triage_required`) and carries every tag (`tags_required`) the policy asks of its tier.")
    overall = summary.quality[summary.quality["tier"] == "all"]
    if not overall.empty:
        cols = st.columns(3)
        cols[0].metric("Complete engineering handoffs", f"{overall['share_complete'].iloc[0]:.0%}")
        for col, name, label in ((cols[1], "plan_ratio", "Time to action plan, complete ÷ incomplete"),
                                 (cols[2], "wait_ratio", "Handoff wait, complete ÷ incomplete")):
            value = overall[name].iloc[0]
            col.metric(label, "—" if pd.isna(value) else f"{value:.2f}×",
                       help=f"The framework claims a complete template cuts handoff time to about "
                            f"{insights.CLAIMED_RATIO:.2f}×.")
    chart("handoff_quality")
    drill_table(summary.quality, "insights_quality",
                lambda row: insights.handoff_quality_tickets(
                    source, filters, None if pick(row, "tier") == "all" else pick(row, "tier")),
                why_empty("handoff to engineering", "Handoffs and time with each owner", "Triage fields"))

with tabs[5]:
    quarterly_retrospective(source, filters)

settle_process()  # once an hour: what lives as long as the server is left out of the collections after each run
