"""Beyond the timers' incident context: the share of incidents a deploy preceded, per month, and for an incident a
person picks, the deploys to its services and those services' signals in the policy's `context_window` before it
began (sla_core.analysis.context, whose docstring says what counts).

The picker lists the incidents the detection table counts (the month and the filters of the sidebar), the latest
to begin first, and opens on the latest one a deploy preceded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import context
from sla_core.analysis.coverage import Coverage
from sla_core.analysis.filters import Filters
from sla_core.present import words
from sla_core.sources import DataSource
from ui.data_sources import shared
from ui.widgets import cannot_tell, table

PICKED = "insights_context_incident"  # the picker's session key
FIGURE = "Deploys before incidents"  # its row in sla_core.analysis.coverage
SHARE = {words.label("share_after_deploy"): st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                             max_value=1)}


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


def _option(row: pd.Series) -> str:
    """An incident in the picker: its name, tier, when it began, its services and what its window holds."""
    began = "—" if pd.isna(row["began"]) else f"{row['began']:%Y-%m-%d %H:%M}"
    services = row["services"] if isinstance(row["services"], str) else "no service named"
    return (f"{row['incident']} · {row['tier'] or 'no tier'} · began {began} · {services} · "
            f"{_plural(int(row['deploys_before']), 'deploy')}, {_plural(int(row['signals_before']), 'signal')} before")


def incident_context_panel(source: DataSource, filters: Filters, found: list[Coverage], month: str) -> None:
    """The monthly share and the picked incident's context, under the detection table, in a container of its own
    (`insights_context`)."""
    with st.container(key="insights_context"):
        _panel(source, filters, found, month)


def _panel(source: DataSource, filters: Filters, found: list[Coverage], month: str) -> None:
    window = words.duration(pd.Series([source.policy.context_window])).iloc[0]
    st.subheader("Incidents preceded by a deploy, per month")
    cannot_tell(found, FIGURE)
    st.caption(f"An incident's context is the deploys to its services (those its signals name) and their other "
               f"signals in the {window} before it began (the policy's `context_window`): its earliest known start, "
               "else its detection. The share is of the incidents naming a service. Preceded is not caused: a "
               "routine deploy can fall in the window by chance.")
    shares = shared(context.deploy_share, source, filters)
    if not shares.empty:
        table(shares, "insights_deploy_share", of=(source, (filters,)), column_config=SHARE, height="content")
    st.subheader("Deploys and signals before an incident")
    listed = shared(context.incidents_in_context, source, filters)
    if listed.empty:
        st.info(f"No incident in {month} to show the context of.", icon=":material/info:")
        return
    labels = {row["incident"]: _option(row) for _, row in listed.iterrows()}
    if st.session_state.get(PICKED) not in labels:  # another month or filter: the last pick is not listed
        st.session_state.pop(PICKED, None)
    first = next((i for i, count in enumerate(listed["deploys_before"]) if count > 0), 0)
    picked = st.selectbox("Incident", list(labels), format_func=labels.__getitem__, key=PICKED, index=first,
                          help="The incidents of the detection table, the latest to begin first.")
    _draw(shared(context.incident_context, source, filters, picked), window, source.policy.timezone)


def _draw(found: Optional[context.IncidentContext], window: str, zone: str) -> None:
    """One incident's window: when it began, then its deploys and its services' other signals, latest first."""
    if found is None:
        return
    began = found.began
    cols = st.columns(3)
    cols[0].metric("Began", f"{began:%Y-%m-%d %H:%M}",
                   help=f"Its earliest known start, else its detection ({zone}). The window runs from "
                        f"{began - timedelta(seconds=found.window_seconds):%Y-%m-%d %H:%M} to then.")
    cols[1].metric(f"Deploys in the {window} before", len(found.deploys))
    cols[2].metric(f"Other signals in the {window} before", len(found.signals))
    if not found.services:
        st.info("Its signals name no service, so no deploy or signal can be matched to it.", icon=":material/info:")
        return
    if found.deploys.empty:
        st.caption(f"No deploy of its services in the {window} before it began.")
    else:
        st.caption("Deploys to its services, the latest first")
        table(found.deploys, "insights_context_deploys", height="content")
    if found.signals.empty:
        st.caption(f"No other signal of its services in the {window} before it began.")
    else:
        st.caption("Other signals of its services, the latest first: the error trend before it began")
        table(found.signals, "insights_context_signals", height="content")
