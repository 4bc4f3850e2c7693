"""Incident feedback's editing controls: the review form, the action items editor, the validation form.

Drawn only for editors and admins (a viewer's page has none); the core refuses a viewer's write anyway
(sla_core.access). Each save redraws the page, counts included, and says what it did.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable, Optional

import pandas as pd
import streamlit as st

from sla_core import feedback
from sla_core.access import AccessError, Actor
from sla_core.feedback import FeedbackError, IncidentReview, SeverityValidation
from sla_core.ingest.store import StoreError
from sla_core.now import now as clock_now
from sla_core.vocab import TIERS

FLASH = "feedback_flash"  # what the last save did, shown after the rerun that redraws the counts


def flash() -> None:
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")


def saved(action: Callable[[], None], done: str, editor: Optional[str] = None) -> None:
    """Run a save, then redraw the page saying `done`; or show why it was refused. `editor`: a data editor whose
    edits are now saved, so they are not applied a second time."""
    try:
        action()
    except (FeedbackError, StoreError, AccessError) as err:
        st.error(str(err), icon=":material/error:")
        return
    st.session_state[FLASH] = done
    if editor is not None:
        del st.session_state[editor]
    st.rerun()


def review_form(ticket: str, current: pd.DataFrame, store: Path, today: date, actor: Actor) -> None:
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
                                 "reviewer": reviewer}, f"review of {ticket}"), store, actor=actor),
                  f"Review of {ticket} saved.")


def items_editor(ticket: str, items: pd.DataFrame, store: Path, actor: Actor) -> None:
    st.markdown(f"**Action items of {ticket}**: add, edit or delete rows, then save.")
    edited = st.data_editor(
        items[["id", "description", "owner", "deadline", "done"]], key=f"feedback_items_{ticket}",
        num_rows="dynamic", hide_index=True, disabled=["id"],
        column_config={
            "id": st.column_config.NumberColumn("No."),
            "description": st.column_config.TextColumn("Action item", required=True),
            "owner": st.column_config.TextColumn("Owner", required=True),
            "deadline": st.column_config.DateColumn("Deadline", required=True),
            "done": st.column_config.CheckboxColumn("Done", default=False),
        },
    )
    if st.button("Save action items", key="feedback_save_items", icon=":material/save:"):
        rows = edited.to_dict("records")
        saved(lambda: feedback.save_action_items(ticket, feedback.action_items_from_rows(ticket, rows), store,
                                                 actor=actor),
              f"{len(rows)} action item{'s' if len(rows) != 1 else ''} of {ticket} saved.",
              editor=f"feedback_items_{ticket}")


def validation_form(ticket_id: str, assessed: str, store: Path, actor: Actor) -> None:
    with st.form(key="feedback_validation_form"):
        st.markdown(f"Assessed impact: **{assessed}**")
        validated = st.selectbox("Validated impact", list(TIERS), index=list(TIERS).index(assessed),
                                 key=f"feedback_validated_{ticket_id}")
        note = st.text_input("Note (the follow-up, who confirmed)", key=f"feedback_note_{ticket_id}")
        if st.form_submit_button("Save validation", key="feedback_save_validation", icon=":material/save:"):
            saved(lambda: feedback.save_validation(feedback.validated(
                SeverityValidation, {"ticket_id": ticket_id, "assessed_impact": assessed,
                                     "validated_impact": validated, "validated_at": clock_now(),
                                     "note": note}, f"validation of {ticket_id}"), store, actor=actor),
                  f"Validation of {ticket_id} saved.")
