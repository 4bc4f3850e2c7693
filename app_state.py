"""The app's shared state: session-state keys, the cached data sources, the sidebar.

Pages read `page_context()` and draw; what is cached where is decided here:
the sample and the store are cached for every session per data version and
policy (st.cache_resource), an upload lives only in its session's state.
"""

from __future__ import annotations

import runpy
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Literal, Optional

import pandas as pd
import streamlit as st

from sla_core import review
from sla_core.clock import now
from sla_core.datasource import (
    DataSource,
    file_version,
    policy_fingerprint,
    policy_path,
    sample_source,
    store_problem,
    store_path,
    store_source,
)
from sla_core.filters import Filters
from sla_core.policy import Policy, PolicyError, load_policy
from sla_core.schema import TIERS

SOURCE_LABELS = {"sample": "Bundled sample", "store": "Persistent store", "upload": "This session's upload"}
ALL = "__all__"
APP_PY = Path(__file__).resolve().parent / "app.py"
PageKind = Literal["review", "queue", "upload", "simulator", "other"]


class StateKeys:
    """Every st.session_state key the app uses, in one place."""

    SOURCE = "source"  # sidebar radio: sample | store | upload
    CHOSEN_SOURCE = "chosen_source"  # the radio's value, kept while the radio is not drawn
    PENDING_SOURCE = "pending_source"  # set by a page, applied before the radio is drawn
    UPLOAD = "upload_source"  # this session's DataSource from an upload (never cached)
    FILTERS = "filters"  # the canonical Filters; widgets below mirror it
    URL_READ = "url_read"  # the URL's filters were read once for this session
    URL_PROBLEMS = "url_problems"
    SEEN_SOURCE = "seen_source"  # (kind, version) of the source the filters were last drawn for
    ACTIVE_SOURCE = "active_source"  # what the current run's page reads
    ACTIVE_FILTERS = "active_filters"
    FRAME_DRAWN = "frame_drawn"  # app.py drew the sidebar in this run
    PERIOD = "filter_period"
    SEGMENT = "filter_segment"
    TEAM = "filter_team"
    TIER = "filter_tier"
    VIEWER_TZ = "viewer_timezone"
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


def init_state() -> None:
    """Fill the defaults a fresh session needs."""
    st.session_state.setdefault(StateKeys.CHOSEN_SOURCE, "sample")
    st.session_state.setdefault(StateKeys.FILTERS, Filters())


@st.cache_resource(show_spinner=False)
def _policy(path: str, version: str) -> Policy:
    return load_policy(path)


def current_policy() -> Policy:
    """The dashboard's policy, re-read when its file changes (one cached copy per file version)."""
    path = policy_path()
    return _policy(str(path), file_version(path, *sorted(path.parent.glob("playbooks/*.md"))))


# Cached for every session: keyed by the data version and the policy, never by anything a user uploaded.
@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Evaluating the sample's SLA clocks…")
def _sample(hour: str, policy_key: str, _policy: Policy, _as_of: datetime) -> DataSource:
    return sample_source(_policy, _as_of)


@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Evaluating the store's SLA clocks…")
def _store(path: str, version: str, policy_key: str, _policy: Policy) -> DataSource:
    return store_source(_policy, Path(path))


def sample_data_source(policy: Policy) -> DataSource:
    """The live sample, shared by every session: as it stood when first asked for in this hour."""
    as_of = now()
    hour = as_of.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return _sample(hour.isoformat(), policy_fingerprint(policy), policy, as_of)


def store_data_source(policy: Policy) -> Optional[DataSource]:
    """The store's evaluated data, or None after saying in the sidebar why there is none."""
    path = store_path()
    problem = store_problem(path)
    if problem is not None:
        st.sidebar.warning(problem + " Pick another data source meanwhile.")
        return None
    return _store(str(path.resolve()), file_version(path, Path(f"{path}.wal")), policy_fingerprint(policy), policy)


def source_picker(policy: Policy) -> Optional[DataSource]:
    """The sidebar's data source radio; returns the chosen source, or None when it has no data."""
    pending = st.session_state.pop(StateKeys.PENDING_SOURCE, None)
    if pending is not None:
        st.session_state[StateKeys.CHOSEN_SOURCE] = pending
    options = ["sample", "store"] + (["upload"] if StateKeys.UPLOAD in st.session_state else [])
    chosen = st.session_state.get(StateKeys.CHOSEN_SOURCE, "sample")
    st.session_state[StateKeys.SOURCE] = chosen if chosen in options else "sample"
    kind = st.sidebar.radio(
        "Data source", options, format_func=SOURCE_LABELS.__getitem__, key=StateKeys.SOURCE,
        on_change=lambda: st.session_state.update({StateKeys.CHOSEN_SOURCE: st.session_state[StateKeys.SOURCE]}),
        help="The bundled sample, the persistent store (python -m sla_core import …) or a file uploaded "
        "in this browser session (only you see it).",
    )
    st.session_state[StateKeys.CHOSEN_SOURCE] = kind
    if kind == "upload":
        return st.session_state[StateKeys.UPLOAD]
    if kind == "store":
        return store_data_source(policy)
    return sample_data_source(policy)


def _url_filters() -> Filters:
    """The filters of the link this session was opened with (once), then the session's own."""
    if not st.session_state.get(StateKeys.URL_READ):
        filters, problems = Filters.from_query(st.query_params.to_dict())
        st.session_state[StateKeys.FILTERS] = filters
        st.session_state[StateKeys.URL_PROBLEMS] = problems
        st.session_state[StateKeys.URL_READ] = True
    return st.session_state[StateKeys.FILTERS]


_FILTER_FIELD = {
    StateKeys.PERIOD: "period", StateKeys.SEGMENT: "segment", StateKeys.TEAM: "owner_team", StateKeys.TIER: "tier",
}


def _remember_filter(key: str) -> None:
    """on_change: copy a filter widget's new value into the canonical Filters."""
    value = st.session_state[key]
    filters: Filters = st.session_state[StateKeys.FILTERS]
    st.session_state[StateKeys.FILTERS] = filters.model_copy(update={_FILTER_FIELD[key]: None if value == ALL else value})


def _select(
    label: str, options: list, key: str, current: object, fmt: Callable[[object], str], disabled: bool = False
) -> object:
    """A sidebar selectbox mirroring one canonical filter: seeded from it every run, copied back on change.

    The canonical copy outlives the widget (a page without filters, a widget
    redrawn elsewhere), so the sidebar never forgets a choice.
    """
    if current not in options:
        options = options + [current]
    st.session_state[key] = current
    return st.sidebar.selectbox(
        label, options, key=key, format_func=fmt, disabled=disabled, on_change=_remember_filter, args=(key,),
        help="The breach queue is always now." if disabled else None,
    )


def sidebar_filters(source: DataSource, *, with_period: bool = True) -> Filters:
    """Period, segment, owner team and tier in the sidebar, mirrored into the URL.

    A page that is always "now" (the breach queue) shows the month greyed out, keeping its value.
    """
    wanted = _url_filters()
    seen = (source.kind, source.version)
    if st.session_state.get(StateKeys.SEEN_SOURCE, seen) != seen:
        # Another data set: its months differ, so start at its latest month.
        wanted = wanted.model_copy(update={"period": None})
    st.session_state[StateKeys.SEEN_SOURCE] = seen
    for problem in st.session_state.get(StateKeys.URL_PROBLEMS, []):
        st.sidebar.warning(problem)
    periods, default_period = list(source.periods), source.default_period
    all_label = lambda what: (lambda v: f"All {what}" if v == ALL else str(v))  # noqa: E731
    st.sidebar.subheader("Filters")
    period = _select(
        "Month", periods, StateKeys.PERIOD, wanted.period or default_period,
        lambda d: source.month_choice(d).label,  # type: ignore[arg-type]
        disabled=not with_period,
    )
    segment = _select(
        "Segment", [ALL, *source.segments],
        StateKeys.SEGMENT, wanted.segment or ALL, all_label("segments"),
    )
    team = _select(
        "Owner team", [ALL, *source.owner_teams],
        StateKeys.TEAM, wanted.owner_team or ALL, all_label("teams"),
    )
    tier = _select("Tier", [ALL, *TIERS], StateKeys.TIER, wanted.tier or ALL, all_label("tiers"))
    chosen = Filters(
        period=period if isinstance(period, date) else None,
        segment=None if segment == ALL else segment,
        owner_team=None if team == ALL else team,
        tier=None if tier == ALL else tier,
    )
    st.session_state[StateKeys.FILTERS] = chosen
    st.session_state[StateKeys.URL_PROBLEMS] = []
    if st.query_params.to_dict() != chosen.to_query():
        st.query_params.from_dict(chosen.to_query())
    return chosen


def draw_frame(page: PageKind) -> None:
    """The sidebar every page shares (data source, filters) and what the page will read.

    app.py draws it before running the page; see page_context for a page
    run without app.py.
    """
    st.sidebar.markdown("### SLA Board")
    policy = safe_policy()
    if policy is None:
        st.stop()
    source = source_picker(policy)  # type: ignore[arg-type]
    if source is not None and page not in ("upload", "simulator"):
        filters = sidebar_filters(source, with_period=page != "queue")
    else:
        if source is not None and page == "simulator":
            # The simulator replays a period of its own over every ticket: shared filters would mislead.
            st.sidebar.caption("The review filters do not apply here: the simulator picks its own period.")
        filters = st.session_state[StateKeys.FILTERS]
    st.session_state[StateKeys.ACTIVE_SOURCE] = source
    st.session_state[StateKeys.ACTIVE_FILTERS] = filters
    st.session_state[StateKeys.FRAME_DRAWN] = True


def _run_through_app_py() -> None:
    """Leave Streamlit's legacy multipage mode, in which a pages/ file runs without app.py.

    Streamlit 1.67 starts a server in that mode whenever a `pages/` folder sits
    next to the entry script, and leaves it only once a run has called
    st.navigation. So the first visitor of a deep link (a shared
    `/breach_queue?tier=critical` right after a restart) would get the page
    alone: the legacy page list, no data source picker, the narrow layout.
    The mode is one class flag: clear it, run app.py (whose st.navigation
    runs this page again, properly framed) and end this bare run.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP_PY), run_name="__main__")
        st.stop()


def page_context(page: PageKind) -> tuple[Optional[DataSource], Filters]:
    """The source and filters the sidebar chose for this run.

    A page run without app.py runs through it (see _run_through_app_py);
    run on its own (`streamlit run pages/review.py`), it draws the sidebar itself.
    """
    init_state()
    if not st.session_state.pop(StateKeys.FRAME_DRAWN, False):
        _run_through_app_py()
        draw_frame(page)
        st.session_state.pop(StateKeys.FRAME_DRAWN, None)
    return st.session_state[StateKeys.ACTIVE_SOURCE], st.session_state[StateKeys.ACTIVE_FILTERS]


def require_data(page: PageKind) -> tuple[DataSource, Filters]:
    """page_context for a page that needs data: without any, it says so and stops."""
    source, filters = page_context(page)
    if source is None:
        st.info("No data to show: pick the bundled sample in the sidebar, or upload an export.")
        st.page_link("pages/upload.py", label="Upload an export", icon=":material/upload:")
        st.stop()
    return source, filters  # type: ignore[return-value]


def download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """A CSV download of a table; cells that would start a formula are escaped."""
    st.download_button(
        label, data=lambda: review.csv_bytes(frame), file_name=name, mime="text/csv", key=key,
        on_click="ignore", icon=":material/download:",
    )


def safe_policy() -> Optional[Policy]:
    """The policy, or None after showing why it cannot be used."""
    try:
        return current_policy()
    except PolicyError as err:
        st.error(f"The policy file cannot be used: {err}")
        return None
