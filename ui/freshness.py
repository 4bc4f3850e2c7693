"""The sidebar's word on how fresh the store is: "Synced 4 min ago from Zendesk, PagerDuty", and a warning for
a configured source without a good run in three times its schedule (sla_core/sync/state.py decides both).

Called once per run by the sidebar when the data is the team's store: `freshness_line(store_path())`. It reads
`sync_state` (cached for 30 s and per version of the store file) and the sync configuration (SLA_BOARD_SYNC,
else sync.yaml here, when there is one) for the schedules of sources that never ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import streamlit as st

from sla_core.errors import UserError
from sla_core.now import now
from sla_core.sources import file_version
from sla_core.sync.config import config_path, load_config
from sla_core.sync.state import Freshness, freshness, freshness_words


@st.cache_data(ttl=30, show_spinner=False)
def _sources(store: str, version: str, config: str, config_version: str) -> tuple[list[Freshness], Optional[str]]:
    """The sources' freshness, and the configuration's problem when it cannot be read."""
    problem, settings = None, None
    if config and Path(config).is_file():
        try:
            settings = load_config(config)
        except UserError as err:
            problem = str(err)
    try:
        return freshness(Path(store), settings), problem
    except UserError:  # a store busy past the wait, or not one: the data source picker says so already
        return [], problem


def freshness_line(store_path: Path) -> None:
    """Draw the freshness line (and its warnings) in the sidebar; nothing when nothing was ever synced."""
    config = config_path()
    store = Path(store_path)
    sources, problem = _sources(str(store), file_version(store, Path(f"{store}.wal")),
                                str(config) if config.is_file() else "", file_version(config))
    line, warnings = freshness_words(sources, now())
    if line:
        st.sidebar.caption(line)
    for warning in warnings:
        st.sidebar.warning(warning, icon=":material/sync_problem:")
    if problem:
        st.sidebar.warning(f"Sync: {problem}", icon=":material/sync_problem:")


__all__ = ["freshness_line"]
