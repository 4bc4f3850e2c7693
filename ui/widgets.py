"""Small pieces several pages draw the same way."""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

import pandas as pd
import streamlit as st

from sla_core.analysis import insights
from sla_core.analysis.coverage import Coverage, coverage, coverage_frame, missing
from sla_core.analysis.filters import Filters
from sla_core.csv_safe import frame_csv_bytes
from sla_core.periods import month_label
from sla_core.present import words
from sla_core.sources import DataSource
from ui.data_sources import shared, shared_value


def download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """A CSV download of a table; cells that would start a formula are escaped."""
    st.download_button(
        label, data=lambda: frame_csv_bytes(frame), file_name=name, mime="text/csv", key=key,
        on_click="ignore", icon=":material/download:",
    )


def table(frame: pd.DataFrame, key: str, *, percent: tuple[str, ...] = (), column_config: Optional[dict] = None,
          zone: Optional[str] = None, of: Optional[tuple[DataSource, tuple[Any, ...]]] = None, **kwargs: Any) -> Any:
    """A table in the words people use (sla_core.present.words): labelled columns, shares as percents, one
    decimal for other fractions, a dash in an empty cell. Returns st.dataframe's selection event.

    `of`: the data set and every argument the frame was computed from (what `shared` was given, and any choice
    the page made on the way), so its words are worked out once per data set for every session, as the frame
    was (a 2,000-row list of tickets takes 5 ms to word)."""
    to_words = lambda: words.for_people(frame, percent=percent, zone=zone)  # noqa: E731
    shown = to_words() if of is None else shared_value(f"table:{key}", of[0], (*of[1], percent, zone), to_words)
    config: dict[str, Any] = {}
    for core, column in zip(frame.columns, shown.columns):
        if not pd.api.types.is_numeric_dtype(shown[column]) or pd.api.types.is_bool_dtype(shown[column]):
            continue
        if words.is_share(core, percent):
            config[column] = st.column_config.NumberColumn(format="percent")
        elif pd.api.types.is_float_dtype(shown[column]):
            config[column] = st.column_config.NumberColumn(format="%.1f")
    config.update(column_config or {})
    kwargs.setdefault("hide_index", True)
    return st.dataframe(shown, key=key, column_config=config, **kwargs)


def pct(value: Optional[float]) -> str:
    """A share as people read it: 90.3 %, or a dash when there is none."""
    return "—" if value is None or pd.isna(value) else f"{float(value):.1%}"


STATUS_WORDS = {"present": "present", "partly": "partly present", "absent": "absent",
                "nothing to judge": "no tickets to judge"}


def session_coverage(source: DataSource, month: Optional[date]) -> list[Coverage]:
    """`coverage` once per data set and month for the whole server (ui.data_sources.shared): it reads every
    ticket (a second at 1M), so a filter change, a rerun or another session reuses it; an upload's stays with it."""
    return shared(coverage, source, month)


def session_summary(source: DataSource, filters: Filters) -> insights.Summary:
    """Beyond the timers' figures once per data set and filters (ui.data_sources.shared): at 1M tickets they take
    seconds, and selecting a row of any table reruns the page."""
    return shared(insights.summarize, source, filters)


def _coverage_shown(found: list[Coverage]) -> pd.DataFrame:
    frame = coverage_frame(found)
    frame["status"] = frame["status"].map(STATUS_WORDS)
    return frame.drop(columns=["to fill it"])


def coverage_panel(source: DataSource, month: Optional[date] = None, *, expanded: bool = False) -> None:
    """What this data can tell: per clock and figure, present / partly present / absent, and how to fill it."""
    found = session_coverage(source, month)
    absent = [c.figure for c in found if c.status == "absent"]
    partly = [c.figure for c in found if c.status == "partly"]
    if absent:
        title = f"What this data can tell: {len(absent)} figure{'s' if len(absent) != 1 else ''} it cannot back"
    else:
        title = "What this data can tell: every figure has its data" + (" (some partly)" if partly else "")
    with st.expander(title, icon=":material/fact_check:", expanded=expanded):
        scope = f"the tickets created in {month:%Y-%m}" if month else "all tickets"
        if absent:
            st.markdown("**Cannot tell:** " + ", ".join(absent) + ". Each row below says which column fills it.")
        st.caption(
            f"Over {scope}. A figure is present when at least 99 % of the tickets it is about hold what it "
            "needs, partly present with the share that do, absent when none do; an absent figure is left out, "
            "never guessed."
        )
        table(
            shared_value("coverage_shown", source, (month,), lambda: _coverage_shown(found)),
            f"coverage_{source.kind}", of=(source, (month,)), height="content",
            column_config={
                words.label("share"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                words.label("tickets"): st.column_config.NumberColumn("Tickets in scope", format="localized"),
            },
        )
        gaps = [c for c in found if c.status in ("absent", "partly")]
        if gaps:
            st.markdown("**To fill what is missing**")
            st.markdown("\n".join(
                f"- **{c.figure}** ({STATUS_WORDS[c.status]}{'' if c.share is None or c.status == 'absent' else f', {c.share:.0%}'}): "
                f"{c.fill}" for c in gaps))


def cannot_tell(found: list[Coverage], *figures: str) -> None:
    """Say, above an empty figure, which data it lacks and how to fill it, instead of an unexplained blank."""
    for figure in figures:
        gap = missing(found, figure)
        if gap is not None:
            st.info(f"**{gap.figure}: this data cannot tell.** None of the {gap.tickets:,} tickets it is about "
                    f"holds {gap.needs}. {gap.fill}", icon=":material/help:")


def empty_reason(found: list[Coverage], filters: Filters, what: str, *figures: str) -> str:
    """Why a figure's table has no rows: the input this data lacks (see `cannot_tell`), else the month and the
    filters that left nothing."""
    for figure in figures:
        gap = missing(found, figure)
        if gap is not None:
            return f"No {what}: this data holds no {gap.needs} (see above for how to add it)."
    month = month_label(filters.period) if filters.period else "all months"
    narrowed = [name for name, value in (("segment", filters.segment), ("discipline", filters.discipline),
                                          ("owner team", filters.owner_team), ("tier", filters.tier)) if value]
    scope = f" with the {', '.join(narrowed)} filter{'s' if len(narrowed) > 1 else ''} set" if narrowed else ""
    return f"No {what} in {month}{scope}."
