"""Breach queue: the live view during a shift - what is breached or about to be, and what to do."""

from datetime import timedelta
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st

from sla_core.analysis import queue
from sla_core.now import now as clock_now
from sla_core.policy import playbooks
from sla_core.present import words
from ui.sidebar import require_data
from ui.state import StateKeys
from ui.widgets import download, table

REFRESH = timedelta(seconds=60)

source, filters = require_data("breach_queue")
policy = source.policy

st.title("Breach queue")
zones = sorted(available_timezones())
if StateKeys.VIEWER_TZ not in st.session_state:
    browser_zone = st.context.timezone
    st.session_state[StateKeys.VIEWER_TZ] = browser_zone if browser_zone in zones else policy.timezone
top = st.columns([3, 2])
top[0].caption(
    f"{source.label} · running clocks that are breached, at risk or paused, in the order to act: at risk on "
    "critical and high tickets (still savable), then their breaches, then the other tiers, then paused; "
    "least time left first. "
    f"Refreshes every {int(REFRESH.total_seconds())} s with “now” as the time; the month filter does not apply. "
    "Time left counts the metric's open hours."
)
viewer_tz = top[1].selectbox(
    "Show due times in", zones, key=StateKeys.VIEWER_TZ,
    help=f"Defaults to your browser's timezone (else the policy's, {policy.timezone}).",
)

# What to act on first, then who must be on it (route, channel, responders), then how (playbook, missing fields).
SHOWN = ["ticket_id", "state", "time_left", "due", "tier", "metric", "route", "channel", "responders", "playbook",
         "missing_triage", "missing_tags", "owner_team", "segment"]


@st.fragment(run_every=REFRESH)
def live_queue() -> None:
    now = clock_now()
    with queue.live_results(source.con, policy, now, results=source.results) as live:
        frame = queue.breach_queue(source.con, policy, live, filters, viewer_tz, as_of=now)
    counts = frame["state"].value_counts()
    cols = st.columns(5)
    cols[0].metric("Breached", int(counts.get("breached", 0)))
    cols[1].metric("At risk", int(counts.get("at_risk", 0)))
    cols[2].metric("Paused", int(counts.get("paused", 0)))
    missed = queue.responders_missed(frame)
    cols[3].metric("Responders missed", words.MISSING if missed is None else missed,
                   help="Tickets whose route names responders and a join window (`routes` in the policy) and no "
                        "handoff to one of those teams came within it. Without any handoffs in the data, the queue "
                        "cannot tell who joined and shows a dash.")
    cols[4].metric("As of", now.astimezone(ZoneInfo(viewer_tz)).strftime("%H:%M:%S"))
    if frame.empty:
        st.success("Nothing is breached, at risk or paused for these filters.", icon=":material/check_circle:")
        return
    shown = frame.assign(time_left=words.time_left(frame["time_left_seconds"], frame["state"]),
                         missing_triage=frame["missing_triage"].fillna("none"),
                         missing_tags=frame["missing_tags"].fillna("none"),
                         playbook=frame["playbook"].fillna("no playbook rule"),
                         responders=words.responders(frame))
    # A paused clock has no due time until it runs again: say so instead of a blank.
    shown["due"] = frame["due"].dt.strftime("%Y-%m-%d %H:%M").fillna("when it runs again")
    table(shown[SHOWN], "queue_table", height=min(35 * (len(frame) + 1) + 3, 640), column_config={
        words.label("due"): st.column_config.TextColumn(f"Due ({viewer_tz})"),
        words.label("playbook"): st.column_config.TextColumn(width="medium"),
        words.label("responders"): st.column_config.TextColumn(width="medium"),
        words.label("channel"): st.column_config.TextColumn(width="medium"),
    })
    download(frame.drop(columns="playbook_ids"), f"breach_queue_{now:%Y%m%dT%H%M}.csv", "dl_queue")

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


live_queue()
