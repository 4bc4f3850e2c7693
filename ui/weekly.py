"""Incident feedback's "This week" view: the post-mortem cadence of sla_core.analysis.weekly, drawn at the top of
the page. The incidents resolved this week (or last week, as the weekly digest lists them) that need a review
and when each is due; the reviews overdue; the action items due this week or overdue, by owner.

It reads the whole data set, as notify's digest does: the sidebar's month and filters apply to the page below it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import streamlit as st

from sla_core.analysis import weekly
from sla_core.ingest.store import StoreError
from sla_core.present import words
from sla_core.sources import DataSource
from ui.widgets import table

LAST_WEEK = "last week"
RESOLVED = ["ticket_id", "tier", "segment", "owner_team", "resolved", "due", "time_left", "reviewed"]
OVERDUE = ["ticket_id", "tier", "segment", "owner_team", "resolved", "due", "time_left"]
ITEMS = ["item", "ticket_id", "description", "deadline", "overdue"]
WIDE = {words.label("time_left"): st.column_config.TextColumn(width="medium")}  # "17 d 17 h overdue" whole


def _with_time_left(frame: pd.DataFrame) -> pd.DataFrame:
    """The time until a review is due as a shift lead says it ("12 h left", "2 d 3 h overdue"); a dash once
    the review is written."""
    seconds = frame["time_left_seconds"]
    left = words.time_left(seconds, pd.Series("running", index=frame.index))
    return frame.assign(time_left=np.where(seconds.isna(), words.MISSING, left))


def _md(text: str) -> str:
    """An owner's name as literal Markdown text (a name is typed by people: no link, emphasis or directive)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~:$])", r"\\\1", text)


def _rows(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def this_week(source: DataSource) -> None:
    """Draw the view in a container of its own (`weekly_view`); a records file that cannot be read says so and
    leaves the rest of the page to draw."""
    with st.container(key="weekly_view"):
        _draw(source)


def _draw(source: DataSource) -> None:
    week = weekly.current_week(source)
    post_mortem = source.policy.post_mortem
    tiers = " or ".join(post_mortem.tiers)
    due_within = words.duration(pd.Series([post_mortem.due_within])).iloc[0]
    st.subheader(f"This week: {week.words()}")
    st.caption(f"A {tiers} incident needs a post-incident review within {due_within} of its resolution (the "
               f"policy's `post_mortem`). Weeks run Monday to Sunday in {source.policy.timezone}. This view covers "
               "every segment and team; the sidebar's month and filters apply below it. The weekly digest "
               "(`notify`) sends the same lists with the week's first run, naming last week's resolved incidents.")
    pick = st.radio("Incidents resolved", ["this week", LAST_WEEK], horizontal=True, key="weekly_resolved_in",
                    format_func=lambda choice: f"{choice} ({(week.previous() if choice == LAST_WEEK else week).label})")
    when = week.previous() if pick == LAST_WEEK else week
    try:
        listed = weekly.weekly(source, resolved_in=when)
    except StoreError as err:
        st.error(f"The reviews and action items cannot be read right now: {err}")
        return
    resolved, overdue, items = listed.resolved, listed.overdue, listed.items
    cols = st.columns(3)
    cols[0].metric(f"Reviewed, resolved {pick}", f"{int(resolved['reviewed'].sum())} of {len(resolved)}",
                   help=f"{tiers.capitalize()} incidents resolved in {when.words()} and how many have a review.")
    chase_for = words.duration(pd.Series([post_mortem.chase_for])).iloc[0]
    cols[1].metric("Reviews overdue", len(overdue), help=f"Resolved incidents whose review is past due, not written, "
                                                         f"and due within the last {chase_for}.")
    cols[2].metric(f"Action items due by Sun {week.sunday.day} {week.sunday:%b}", len(items),
                   help=f"Open action items due this week or overdue; {int(items['overdue'].sum())} overdue.")

    st.markdown(f"#### Resolved {pick}: reviews due")
    if resolved.empty:
        st.info(f"No {tiers} incident was resolved in {when.words()}.")
    else:
        table(_with_time_left(resolved)[RESOLVED], "weekly_resolved", column_config=WIDE)
    st.markdown("#### Reviews overdue")
    if overdue.empty:
        st.success("No review is overdue." if not listed.older_overdue else
                   f"No review due in the last {chase_for} is overdue.", icon=":material/check_circle:")
    else:
        table(_with_time_left(overdue)[OVERDUE], "weekly_overdue", column_config=WIDE)
    if listed.older_overdue:
        st.caption(f"{_rows(listed.older_overdue, 'more incident', 'more incidents')} past due longer than "
                   f"{chase_for} without a review: not chased each week (history from before the team reviewed "
                   "here); the quarterly retrospective covers them. The policy's `post_mortem.chase_for` sets how "
                   "long.")
    st.markdown(f"#### Action items due by Sun {week.sunday.day} {week.sunday:%b} or overdue, by owner")
    if items.empty:
        st.success("No open action item is due this week or overdue.", icon=":material/check_circle:")
    for number, (owner, mine) in enumerate(items.groupby("owner", sort=True)):
        late = int(mine["overdue"].sum())
        st.markdown(f"**{_md(str(owner))}** · {_rows(len(mine), 'item', 'items')}{f', {late} overdue' if late else ''}")
        table(mine[ITEMS], f"weekly_items_{number}")
