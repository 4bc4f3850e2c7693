"""The frame every page shares: the data source picker and the filters, kept in the URL.

app.py draws it before running the chosen page; a page run on its own
(`streamlit run pages/review.py`, a page test) draws it itself through
`page_context`. A filtered view is a link: the URL is read once per session
and rewritten whenever a filter changes.
"""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path
from typing import Callable, Optional

import streamlit as st

from sla_core.analysis.filters import QUERY_KEYS, Filters
from sla_core.ingest.store import store_path
from sla_core.periods import month_label
from sla_core.present.words import NO_DISCIPLINES
from sla_core.sources import DataSource
from sla_core.vocab import TIERS, UNASSIGNED
from ui.access import account_box, current_actor
from ui.data_sources import clear_notices, demo_banner, notice, safe_policy, source_picker
from ui.freshness import freshness_line
from ui.registry import BY_NAME, PageSpec
from ui.state import ALL, StateKeys, init_state

APP_PY = Path(__file__).resolve().parents[1] / "app.py"


def _url_filters() -> Filters:
    """The filters of the link this session was opened with (once), then the session's own."""
    if not st.session_state.get(StateKeys.URL_READ):
        filters, problems = Filters.from_query(st.query_params.to_dict())
        st.session_state[StateKeys.FILTERS] = filters
        st.session_state[StateKeys.URL_PROBLEMS] = problems
        st.session_state[StateKeys.URL_READ] = True
    return st.session_state[StateKeys.FILTERS]


_FILTER_FIELD = {
    StateKeys.PERIOD: "period", StateKeys.SEGMENT: "segment", StateKeys.TEAM: "owner_team",
    StateKeys.DISCIPLINE: "discipline", StateKeys.TIER: "tier",
}


def _remember_filter(key: str) -> None:
    """on_change: copy a filter widget's new value into the canonical Filters."""
    value = st.session_state[key]
    filters: Filters = st.session_state[StateKeys.FILTERS]
    st.session_state[StateKeys.FILTERS] = filters.model_copy(update={_FILTER_FIELD[key]: None if value == ALL else value})
    clear_notices()


def _select(
    label: str, options: list, key: str, current: object, fmt: Callable[[object], str], disabled: bool = False
) -> object:
    """A sidebar selectbox mirroring one canonical filter: seeded from it every run, copied back on change.

    The canonical copy outlives the widget (a page without filters, a widget
    redrawn elsewhere), so the sidebar never forgets a choice.
    """
    st.session_state[key] = current
    return st.sidebar.selectbox(
        label, options, key=key, format_func=fmt, disabled=disabled, on_change=_remember_filter, args=(key,),
        help="The breach queue is always now." if disabled else None,
    )


def _on_this_data(source: DataSource, wanted: Filters) -> Filters:
    """The wanted filters (the link's, or those of the data shown before) that this data has. One it lacks is
    never changed silently: it is dropped with a notice naming it and what is shown instead."""
    update: dict[str, object] = {}
    if wanted.period is not None and wanted.period not in source.periods:
        notice(f"Month {month_label(wanted.period)} has no SLA clocks in {source.label}: showing "
               f"{source.month_choice(source.default_period).label} instead.")
        update["period"] = None
    for field, values, what in (("segment", source.segments, "segment"), ("owner_team", source.owner_teams, "team"),
                                ("discipline", source.disciplines, "discipline")):
        value = getattr(wanted, field)
        if value is not None and value not in values:
            notice(f"No ticket in {source.label} has {what} \"{value}\": showing all {what}s instead.")
            update[field] = None
    return wanted.model_copy(update=update) if update else wanted


def _discipline_filter(source: DataSource, wanted: Filters) -> object:
    """The discipline filter, offered only where it divides the data; where the policy maps no team to a
    discipline, the sidebar says so instead of offering "unassigned" alone."""
    if len(source.disciplines) > 1:
        return _select("Discipline", [ALL, *source.disciplines], StateKeys.DISCIPLINE, wanted.discipline or ALL,
                       lambda v: "All disciplines" if v == ALL else str(v))
    if list(source.disciplines) == [UNASSIGNED]:
        st.sidebar.caption(NO_DISCIPLINES)
    return wanted.discipline or ALL


def sidebar_filters(source: DataSource, *, with_period: bool = True) -> Filters:
    """Period, segment, owner team and tier in the sidebar, mirrored into the URL.

    A page that is always "now" (the breach queue) shows the month greyed out, keeping its value.
    """
    wanted = _on_this_data(source, _url_filters())
    for problem in st.session_state.get(StateKeys.URL_PROBLEMS, []):
        st.sidebar.warning(problem)
    all_label = lambda what: (lambda v: f"All {what}" if v == ALL else str(v))  # noqa: E731
    st.sidebar.subheader("Filters")
    period = _select(
        "Month", list(source.periods), StateKeys.PERIOD, wanted.period or source.default_period,
        lambda d: source.month_choice(d).label,  # type: ignore[arg-type]
        disabled=not with_period,
    )
    segment = _select(
        "Segment", [ALL, *source.segments],
        StateKeys.SEGMENT, wanted.segment or ALL, all_label("segments"),
    )
    discipline = _discipline_filter(source, wanted)
    team = _select(
        "Owner team", [ALL, *source.owner_teams],
        StateKeys.TEAM, wanted.owner_team or ALL, all_label("teams"),
    )
    tier = _select("Tier", [ALL, *TIERS], StateKeys.TIER, wanted.tier or ALL, all_label("tiers"))
    chosen = Filters(
        period=period if isinstance(period, date) else None,
        segment=None if segment == ALL else segment,
        owner_team=None if team == ALL else team,
        discipline=None if discipline == ALL else discipline,
        tier=None if tier == ALL else tier,
    )
    st.session_state[StateKeys.FILTERS] = chosen
    st.session_state[StateKeys.URL_PROBLEMS] = []
    wanted_query = chosen.to_query()
    for key in QUERY_KEYS:  # only the filters' own parameters: a page's (drill-down, candidate) stay
        if key in wanted_query and st.query_params.get(key) != wanted_query[key]:
            st.query_params[key] = wanted_query[key]
        elif key not in wanted_query and key in st.query_params:
            del st.query_params[key]
    return chosen


def draw_frame(spec: PageSpec) -> None:
    """The sidebar every page shares (data source, filters, who is signed in) and what the page will read."""
    st.sidebar.markdown("### SLA Board")
    policy = safe_policy()
    if policy is None:
        st.stop()
    source = source_picker(policy)  # type: ignore[arg-type]
    if source is not None and source.kind == "store":
        freshness_line(store_path())  # "Synced 4 min ago from Zendesk, PagerDuty"
    sample = source is not None and source.kind == "sample"
    st.set_page_config(page_title=f"{spec.title}{' (sample)' if sample else ''} · SLA Board")
    if sample:
        demo_banner(source)  # type: ignore[arg-type]
    if source is not None and spec.filters != "none":
        filters = sidebar_filters(source, with_period=spec.filters == "all")
    else:
        if source is not None and spec.note:
            st.sidebar.caption(spec.note)
        filters = st.session_state[StateKeys.FILTERS]
    st.session_state[StateKeys.ACTIVE_SOURCE] = source
    st.session_state[StateKeys.ACTIVE_FILTERS] = filters
    st.session_state[StateKeys.FRAME_DRAWN] = True
    for text in st.session_state.get(StateKeys.NOTICES, []):
        st.info(text, icon=":material/link:")
    account_box(current_actor())


def _run_through_app_py() -> None:
    """Leave Streamlit's legacy multipage mode, in which a file of `pages/` runs without app.py.

    Streamlit 1.67 starts a server in that mode whenever a `pages/` folder sits next to the entry script (the
    layout docs/design.md names), and leaves it only once a run has called st.navigation; AppTest enters it on
    every run. So the first visitor of a deep link (a shared `/breach_queue?tier=critical` right after a
    restart) would get the page alone: the legacy page list, no sign-in, no data source picker. The mode is
    one class flag: clear it, run app.py (whose st.navigation runs this page again, properly framed) and end
    this bare run.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP_PY), run_name="__main__")
        st.stop()


def page_context(name: str) -> tuple[Optional[DataSource], Filters]:
    """The source and filters the sidebar chose for this run of page `name` (drawn here when the page runs
    without app.py).

    A page run without app.py runs through it (see _run_through_app_py); run on its own (`streamlit run
    pages/review.py`) it draws the sidebar itself. Either way it checks who may see it: app.py's navigation
    is not the only door to a page.
    """
    init_state()
    if not st.session_state.get(StateKeys.FRAME_DRAWN):
        _run_through_app_py()
    spec = BY_NAME[name]
    if not current_actor().can(spec.role):
        st.error(f"The {spec.title} page is for the {spec.role} role: ask the board's admin.", icon=":material/block:")
        st.stop()
    if not st.session_state.pop(StateKeys.FRAME_DRAWN, False):
        draw_frame(spec)
        st.session_state.pop(StateKeys.FRAME_DRAWN, None)
    return st.session_state[StateKeys.ACTIVE_SOURCE], st.session_state[StateKeys.ACTIVE_FILTERS]


def require_data(name: str) -> tuple[DataSource, Filters]:
    """page_context for a page that needs data: without any, it says so and stops."""
    source, filters = page_context(name)
    if source is None:
        st.info("No data to show: pick the bundled sample in the sidebar, or upload an export.")
        st.page_link(BY_NAME["upload"].path, label="Upload an export", icon=":material/upload:")
        st.stop()
    return source, filters  # type: ignore[return-value]
