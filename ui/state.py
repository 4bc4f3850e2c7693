"""Every st.session_state key the app uses, and the defaults a fresh session needs.

Named constants in one place (the alphapeptstats way): a page never spells a
key as a bare string, so a renamed key breaks loudly.
"""

from __future__ import annotations

import streamlit as st

from sla_core.analysis.filters import Filters
from sla_core.sources import store_configured

ALL = "__all__"  # the "all" choice of a filter or drill-down selectbox


class StateKeys:
    """Every st.session_state key the app uses, in one place."""

    SOURCE = "source"  # sidebar radio: sample | store | upload
    CHOSEN_SOURCE = "chosen_source"  # the radio's value, kept while the radio is not drawn
    SOURCE_LINK_READ = "source_link_read"  # the link's data source was read once for this session
    NOTICES = "link_notices"  # what a link or a change of data asked for that this data does not have
    PENDING_SOURCE = "pending_source"  # set by a page, applied before the radio is drawn
    UPLOAD = "upload_source"  # this session's DataSource from an upload (never cached)
    FILTERS = "filters"  # the canonical Filters; widgets below mirror it
    URL_READ = "url_read"  # the URL's filters were read once for this session
    URL_PROBLEMS = "url_problems"
    ACTIVE_SOURCE = "active_source"  # what the current run's page reads
    ACTIVE_FILTERS = "active_filters"
    ACTOR = "actor"  # who uses this session (ui.access), set before any page draws
    FRAME_DRAWN = "frame_drawn"  # app.py drew the sidebar in this run (a page run alone draws its own)
    PERIOD = "filter_period"
    SEGMENT = "filter_segment"
    TEAM = "filter_team"
    DISCIPLINE = "filter_discipline"
    TIER = "filter_tier"
    DRILL_WINDOW = "drill_window"
    DRILL_STATE = "drill_state"
    DRILL_TIER = "drill_tier"
    DRILL_METRIC = "drill_metric"
    DRILL_TEAM = "drill_team"
    UPLOAD_PRESET = "upload_preset"
    UPLOAD_TICKETS = "upload_tickets_file"
    UPLOAD_EVENTS = "upload_events_file"
    UPLOAD_MAPPING = "upload_mapping_file"
    UPLOAD_FOLDER = "upload_folder"  # this session's private temp folder for the upload's bytes
    UPLOAD_ERROR = "upload_error"
    SIM_PERIOD = "sim_period"
    SIM_CAPACITY = "sim_capacity"
    SIM_INPUT = "sim_in:"  # + the input's name (sla_core.simulate.inputs), e.g. sim_in:weight.severity
    SIM_URL_READ = "sim_url_read"  # the link's candidate was read into the inputs once for this session
    SIM_CELL = "sim_cell"  # AUTO_CELL or "current|candidate"
    SIM_SCENARIO_NAME = "sim_scenario_name"
    SIM_SCENARIOS = "sim_scenarios"  # name -> {"yaml": str, "summary": dict}
    SIM_SCENARIO_PICK = "sim_scenario_pick"
    SIM_RESULT = "sim_result"  # (fingerprint of source, period and candidate, Simulation) of this session
    SIM_PRIVATE = "sim_private"  # an upload's baseline / replays (never in the shared cache)
    SIM_SEEN_SOURCE = "sim_seen_source"  # the data set the period was chosen for
def init_state() -> None:
    """Fill the defaults a fresh session needs: a team's store when there is one, else the bundled sample."""
    st.session_state.setdefault(StateKeys.CHOSEN_SOURCE, "store" if store_configured() else "sample")
    st.session_state.setdefault(StateKeys.FILTERS, Filters())
