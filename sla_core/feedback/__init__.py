"""The feedback loops' records: what people type in (models.py, checked field by field) and the audited writes
and reads of the store tables that keep it (records.py). The figures read from them are
sla_core.analysis.feedback_loops'."""

from sla_core.feedback.models import (
    ActionItem,
    FeedbackError,
    IncidentReview,
    SeverityValidation,
    action_items_from_rows,
    validated,
)
from sla_core.feedback.records import (
    FEEDBACK_DDL,
    action_items,
    delete_review,
    feedback_store,
    open_items_due,
    overdue_action_items,
    reviewed_ids,
    reviewed_in,
    reviews,
    save_action_items,
    save_review,
    save_validation,
    validations,
)

__all__ = [
    "FEEDBACK_DDL",
    "ActionItem",
    "FeedbackError",
    "IncidentReview",
    "SeverityValidation",
    "action_items",
    "action_items_from_rows",
    "delete_review",
    "feedback_store",
    "open_items_due",
    "overdue_action_items",
    "reviewed_ids",
    "reviewed_in",
    "reviews",
    "save_action_items",
    "save_review",
    "save_validation",
    "validated",
    "validations",
]
