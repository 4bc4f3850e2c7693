"""Incident feedback: this week's post-mortems (ui/weekly.py), post-incident reviews with action items, severity
validation, and the audit trail.

Saved where the data source keeps its records: the store for the store, a scratch file for the sample or an
upload (never the user's store). Editors and admins edit; a viewer reads (ui/feedback_forms.py).
"""

import streamlit as st

from sla_core import feedback
from sla_core.analysis import feedback_loops
from sla_core.ingest.store import StoreError, audit_trail
from sla_core.periods import month_label
from ui.access import current_actor
from ui.feedback_forms import flash, items_editor, review_form, validation_form
from ui.sidebar import require_data
from ui.weekly import this_week
from ui.widgets import table

ITEM_NUMBER = {"id": "item"}  # an action item's number (`id` labels an import elsewhere)

source, filters = require_data("feedback")
actor = current_actor()
editing = actor.can("editor")
store = source.records
month = month_label(filters.period) if filters.period else "all months"
today = source.as_of.astimezone(source.policy.zone).date()

st.title("Incident feedback")
st.caption(f"{source.label} · {month} · reviews, action items and validations are {source.writes_where}")
if not editing:
    st.info(f"You are signed in as a {actor.role}: reviews, action items and validations are read-only here.",
            icon=":material/visibility:")
flash()
this_week(source)
st.divider()

try:
    reviewed = feedback.reviewed_ids(store)
    overdue = feedback.overdue_action_items(store, today=today)
except StoreError as err:
    st.error(f"The store cannot be used: {err}")
    st.stop()

incidents = feedback_loops.critical_incidents(source, filters, reviewed)
cols = st.columns(3)
cols[0].metric(f"Critical incidents, {month}", len(incidents))
cols[1].metric("Without a review", int((~incidents["reviewed"]).sum()) if not incidents.empty else 0)
cols[2].metric(f"Overdue action items on {today}", len(overdue))

st.subheader("Post-incident reviews")
if incidents.empty:
    st.info(f"No critical incident in {month} for these filters.")
else:
    table(incidents, "feedback_incidents")
    ticket = st.selectbox("Incident to review", list(incidents["ticket_id"]), key="feedback_ticket",
                          help="Unreviewed incidents are listed first.")
    existing = feedback.reviews(store)
    current = existing[existing["ticket_id"] == ticket]
    if editing:
        review_form(ticket, current, store, today, actor)
    elif not current.empty:
        st.markdown(f"**Review of {ticket}**, {current['reviewed_at'].iloc[0]:%Y-%m-%d}")
        st.text(f"{current['summary'].iloc[0]}\n(reviewer: {current['reviewer'].iloc[0] or 'not named'})")
    else:
        st.caption(f"{ticket} has no review yet.")

    if ticket in reviewed:
        items = feedback.action_items(store, ticket_id=ticket, today=today)
        if editing:
            items_editor(ticket, items, store, actor)
        else:
            table(items[["id", "description", "owner", "deadline", "done"]].rename(columns=ITEM_NUMBER),
                  "feedback_items_read")
    elif editing:
        st.caption("Save the review first; its action items come next.")

st.subheader("Overdue action items")
if overdue.empty:
    st.success("No open action item is past its deadline.", icon=":material/check_circle:")
else:
    table(overdue.rename(columns=ITEM_NUMBER), "feedback_overdue")

st.subheader("Severity validation")
st.caption("After a customer follow-up, record the impact it really had next to the one assessed when the "
           "ticket came in.")
ticket_id = st.text_input("Ticket id", key="feedback_validate_ticket").strip() if editing else ""
if ticket_id:
    assessed = feedback_loops.assessed_impact(source, ticket_id)
    if assessed is None:
        st.error(f"ticket_id {ticket_id!r}: not in {source.label}.")
    else:
        validation_form(ticket_id, assessed, store, actor)

checked = feedback.validations(store)
if checked.empty:
    st.info("No severity validated yet.")
else:
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Assessed (rows) vs validated (columns)**")
        table(feedback_loops.confusion_matrix(checked), "feedback_matrix", hide_index=False)
        share = float(checked["misclassified"].mean())
        st.metric("Misclassified", f"{share:.0%}", help=f"of {len(checked)} validated tickets")
    with right:
        st.markdown("**Misclassified tickets**")
        table(feedback_loops.misclassified(checked), "feedback_misclassified")

with st.expander("Audit trail: every write, who and when", icon=":material/history:"):
    st.caption("Each save on this page, each import and each saved scenario adds a row; nothing here can be edited.")
    try:
        trail = audit_trail(store)
    except StoreError as err:
        st.caption(f"The audit trail cannot be read right now: {err}")
        st.stop()
    if trail.empty:
        st.caption("Nothing written yet.")
    else:
        table(trail, "feedback_audit", zone=source.policy.timezone)
