"""What a person types into the feedback loops, checked before it is saved: a post-incident review, its
action items, a severity validation. Every record goes through a pydantic model whose error names the field,
so a bad cell is refused with a message instead of reaching the store.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Optional, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.errors import UserError
from sla_core.vocab import Tier


class FeedbackError(UserError, ValueError):
    """A record that cannot be saved; the message names the record and the field."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _aware(value: Any) -> Any:
    """A date means its midnight (UTC); a naive time is read as UTC."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    return value


class IncidentReview(_Record):
    """The post-incident review of one critical incident."""

    ticket_id: str = Field(min_length=1, max_length=128)
    summary: str = Field(min_length=1, max_length=10_000)
    reviewed_at: datetime
    reviewer: Optional[str] = Field(default=None, max_length=128)

    _when = field_validator("reviewed_at", mode="before")(classmethod(lambda cls, v: _aware(v)))


class ActionItem(_Record):
    """One follow-up of a review: who does what by when, and whether it is done."""

    id: Optional[int] = Field(default=None, ge=1)
    ticket_id: str = Field(min_length=1, max_length=128)
    description: str = Field(min_length=1, max_length=2_000)
    owner: str = Field(min_length=1, max_length=128)
    deadline: date
    done: bool = False

    @field_validator("deadline", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        if isinstance(value, (pd.Timestamp, datetime)):
            return value.date()
        return value

    @field_validator("done", mode="before")
    @classmethod
    def _unticked(cls, value: Any) -> Any:
        """A new editor row's unticked box arrives as None."""
        return False if value is None or (isinstance(value, float) and pd.isna(value)) else value

    @field_validator("id", mode="before")
    @classmethod
    def _blank_id(cls, value: Any) -> Any:
        """A row the data editor just added has no id yet (None / NaN)."""
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


class SeverityValidation(_Record):
    """A customer follow-up's validated impact next to the one assessed when the ticket came in."""

    ticket_id: str = Field(min_length=1, max_length=128)
    assessed_impact: Tier
    validated_impact: Tier
    validated_at: datetime
    note: Optional[str] = Field(default=None, max_length=2_000)

    _when = field_validator("validated_at", mode="before")(classmethod(lambda cls, v: _aware(v)))


OPTIONAL_TEXT = ("reviewer", "note")


def _problem(err: ValidationError, what: str) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "record"
    got = first.get("input")
    shown = "" if isinstance(got, dict) else f" (got {repr(got)[:60]})"
    return f"{what}, {field}: {first['msg'].removeprefix('Value error, ')}{shown}"


def _cleaned(key: str, value: Any) -> Any:
    """An editor's empty cell (NaN), or a blank optional text, means no value."""
    if isinstance(value, float) and pd.isna(value):
        return None
    if key in OPTIONAL_TEXT and isinstance(value, str) and not value.strip():
        return None
    return value


def validated(model: type[BaseModel], data: dict[str, Any], what: str) -> Any:
    """`model(**data)`, or a FeedbackError naming `what` (e.g. 'action item row 3') and the field."""
    try:
        return model.model_validate({key: _cleaned(key, value) for key, value in data.items()})
    except ValidationError as err:
        raise FeedbackError(_problem(err, what)) from None


def action_items_from_rows(ticket_id: str, rows: Sequence[dict[str, Any]]) -> list[ActionItem]:
    """The data editor's rows as action items of one review; the first bad row raises, naming row and field."""
    items = []
    for number, row in enumerate(rows, start=1):
        items.append(validated(ActionItem, {**row, "ticket_id": ticket_id}, f"action item row {number}"))
    return items


