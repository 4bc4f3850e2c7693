"""Incident feedback: post-incident reviews with action items, and severity validation.

Saved where the data source keeps its records: the store for the store, a scratch file for the sample or an
upload (never the user's store).
"""

from typing import Optional

import streamlit as st

from sla_core.analysis import feedback
from sla_core.analysis.feedback import FeedbackError, IncidentReview, SeverityValidation
from sla_core.clock import now as clock_now
from sla_core.ingest.store import StoreError
from sla_core.periods import month_label
from sla_core.vocab import TIERS
from ui.sidebar import require_data
from ui.widgets import table

source, filters = require_data("feedback")
store = source.records
FLASH = "feedback_flash"  # what the last save did, shown after the rerun that redraws the counts
month = month_label(filters.period) if filters.period else "all months"
today = source.as_of.astimezone(source.policy.zone).date()

st.title("Incident feedback")
st.caption(f"{source.label} · {month} · reviews, action items and validations are {source.writes_where}")
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")


def saved(action, done: str, editor: Optional[str] = None) -> None:
    """Run a save, then redraw the page (counts and ticks included) saying `done`; or show why it was refused.
    `editor`: a data editor whose edits are now saved, so they are not applied a second time."""
    try:
        action()
    except (FeedbackError, StoreError) as err:
        st.error(str(err), icon=":material/error:")
        return
    st.session_state[FLASH] = done
    if editor is not None:
        del st.session_state[editor]
    st.rerun()


try:
    reviewed = feedback.reviewed_ids(store)
    overdue = feedback.overdue_action_items(store, today=today)
except StoreError as err:
    st.error(f"The store cannot be used: {err}")
    st.stop()

incidents = feedback.critical_incidents(source, filters, reviewed)
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
    with st.form(key="feedback_review_form"):
        summary = st.text_area("Summary: what happened, why, what changes",
                               value=current["summary"].iloc[0] if not current.empty else "",
                               key=f"feedback_summary_{ticket}")
        reviewed_on = st.date_input(
            "Reviewed on", value=current["reviewed_at"].iloc[0].date() if not current.empty else today,
            key=f"feedback_reviewed_on_{ticket}")
        reviewer = st.text_input("Reviewer", value=(current["reviewer"].iloc[0] or "") if not current.empty else "",
                                 key=f"feedback_reviewer_{ticket}")
        if st.form_submit_button("Save review", key="feedback_save_review", icon=":material/save:"):
            saved(lambda: feedback.save_review(feedback.validated(
                IncidentReview, {"ticket_id": ticket, "summary": summary, "reviewed_at": reviewed_on,
                                 "reviewer": reviewer}, f"review of {ticket}"), store), f"Review of {ticket} saved.")

    if ticket in reviewed:
        st.markdown(f"**Action items of {ticket}**: add, edit or delete rows, then save.")
        items = feedback.action_items(store, ticket_id=ticket, today=today)
        edited = st.data_editor(
            items[["id", "description", "owner", "deadline", "done"]], key=f"feedback_items_{ticket}",
            num_rows="dynamic", hide_index=True, disabled=["id"],
            column_config={
                "id": st.column_config.NumberColumn("id"),
                "description": st.column_config.TextColumn("description", required=True),
                "owner": st.column_config.TextColumn("owner", required=True),
                "deadline": st.column_config.DateColumn("deadline", required=True),
                "done": st.column_config.CheckboxColumn("done", default=False),
            },
        )
        if st.button("Save action items", key="feedback_save_items", icon=":material/save:"):
            rows = edited.to_dict("records")
            saved(lambda: feedback.save_action_items(ticket, feedback.action_items_from_rows(ticket, rows), store),
                  f"{len(rows)} action item{'s' if len(rows) != 1 else ''} of {ticket} saved.",
                  editor=f"feedback_items_{ticket}")
    else:
        st.caption("Save the review first; its action items come next.")

st.subheader("Overdue action items")
if overdue.empty:
    st.success("No open action item is past its deadline.", icon=":material/check_circle:")
else:
    table(overdue, "feedback_overdue")

st.subheader("Severity validation")
st.caption("After a customer follow-up, record the impact it really had next to the one assessed when the "
           "ticket came in.")
ticket_id = st.text_input("Ticket id", key="feedback_validate_ticket").strip()
if ticket_id:
    assessed = feedback.assessed_impact(source, ticket_id)
    if assessed is None:
        st.error(f"ticket_id {ticket_id!r}: not in {source.label}.")
    else:
        with st.form(key="feedback_validation_form"):
            st.markdown(f"Assessed impact: **{assessed}**")
            validated = st.selectbox("Validated impact", list(TIERS), index=list(TIERS).index(assessed),
                                     key=f"feedback_validated_{ticket_id}")
            note = st.text_input("Note (the follow-up, who confirmed)", key=f"feedback_note_{ticket_id}")
            if st.form_submit_button("Save validation", key="feedback_save_validation", icon=":material/save:"):
                saved(lambda: feedback.save_validation(feedback.validated(
                    SeverityValidation, {"ticket_id": ticket_id, "assessed_impact": assessed,
                                         "validated_impact": validated, "validated_at": clock_now(),
                                         "note": note}, f"validation of {ticket_id}"), store),
                      f"Validation of {ticket_id} saved.")

checked = feedback.validations(store)
if checked.empty:
    st.info("No severity validated yet.")
else:
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Assessed (rows) vs validated (columns)**")
        table(feedback.confusion_matrix(checked), "feedback_matrix", hide_index=False)
        share = float(checked["misclassified"].mean())
        st.metric("Misclassified", f"{share:.0%}", help=f"of {len(checked)} validated tickets")
    with right:
        st.markdown("**Misclassified tickets**")
        table(feedback.misclassified(checked), "feedback_misclassified")
