"""Breach queue: the live view during a shift - what is breached or about to be, what to do, and how many
breaches to expect by the shift's end."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from sla_core.analysis import queue
from sla_core.now import now as clock_now
from sla_core.policy import playbooks
from sla_core.present import words
from ui import forecast_panel
from ui.sidebar import require_data
from ui.queue_detail import FIRST, show_detail
from ui.widgets import download, table

REFRESH = timedelta(seconds=60)

source, filters = require_data("breach_queue")
policy = source.policy

st.title("Breach queue")
zone = policy.timezone  # one zone on every page: the policy's (docs/design.md)
st.caption(
    f"{source.label} · running clocks that are breached, at risk or paused, in the order to act: at risk on "
    "critical and high tickets (still savable), then their breaches, then the other tiers, then paused; "
    "least time left first. "
    f"Refreshes every {int(REFRESH.total_seconds())} s with “now” as the time; the month filter does not apply. "
    f"Time left counts the metric's open hours; times are in {zone}."
)


def queue_table(frame: pd.DataFrame) -> None:
    """The queued clocks, what to do first; the selected row's detail below."""
    shown = frame.assign(time_left=words.time_left(frame["time_left_seconds"], frame["state"]),
                         playbook=frame["playbook"].fillna("no playbook rule"), responders=words.responders(frame))
    picked = table(shown[FIRST], "queue_table", height=min(35 * (len(frame) + 1) + 3, 640),
                   on_select="rerun", selection_mode="single-row", column_config={
                       words.label("ticket_id"): st.column_config.TextColumn(width="small"),
                       words.label("playbook"): st.column_config.TextColumn("First step (playbook)", width="large"),
                   })
    rows = picked.selection.rows if picked else []
    if rows:
        with st.container(border=True):
            show_detail(shown.iloc[rows[0]], zone)
    else:
        st.caption("Select a row for its due time, owner, route, channel, responders and missing triage.")


def playbook_texts(frame: pd.DataFrame) -> None:
    """The playbooks the queued clocks match, each with how many clocks it applies to."""
    st.subheader("Playbooks")
    books = playbooks.playbooks(policy)
    used = frame["playbook_ids"].explode().dropna().astype(int).value_counts().sort_index()
    if used.empty:
        st.caption("No queued clock matches a playbook rule of the policy.")
    for index, n in used.items():
        book = books[index]
        with st.expander(f"{book.title} — {n} clock{'s' if n != 1 else ''}", icon=":material/menu_book:"):
            if book.missing:
                st.warning(f"The policy names `{book.file}`, but there is no readable file at `{book.path}`.")
            else:
                st.markdown(book.text)


@st.fragment(run_every=REFRESH)
def live_queue() -> None:
    now = clock_now()
    with queue.live_results(source.con, policy, now, results=source.results) as live:
        frame = queue.breach_queue(source.con, policy, live, filters, zone, as_of=now)
        counts = frame["state"].value_counts()
        cols = st.columns(5)
        cols[0].metric("Breached", int(counts.get("breached", 0)))
        cols[1].metric("At risk", int(counts.get("at_risk", 0)))
        cols[2].metric("Paused", int(counts.get("paused", 0)))
        missed = queue.responders_missed(frame)
        cols[3].metric("Responders missed", words.MISSING if missed is None else missed,
                       help="Tickets whose route names responders and a join window (`routes` in the policy) and "
                            "no handoff to one of those teams came within it. Without any handoffs in the data, "
                            "the queue cannot tell who joined and shows a dash.")
        cols[4].metric("As of", now.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S"),
                       help="The instant the queue was judged at.")
        cols[4].caption(f"{now.astimezone(ZoneInfo(zone)):%a %d %b %Y} · {zone}")
        if frame.empty:
            st.success("Nothing is breached, at risk or paused for these filters.", icon=":material/check_circle:")
        else:
            queue_table(frame)
            download(frame.drop(columns="playbook_ids"), f"breach_queue_{now:%Y%m%dT%H%M}.csv", "dl_queue")
        st.subheader("Breaches forecast for the shift")
        end = forecast_panel.shift_end(source, now)
        forecast_panel.show(source, filters, live, now, end)
    if not frame.empty:
        playbook_texts(frame)


live_queue()
