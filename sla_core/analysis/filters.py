"""The dashboard's shared filters: one validated model, spelled the same in the URL.

A filtered view is shared as a link, so the URL is user input: it is parsed
here, and a value that does not parse is dropped with a message rather than
reaching a query.
"""

from __future__ import annotations

from datetime import date
from typing import Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.periods import month_label, parse_month
from sla_core.vocab import Tier

# URL parameter -> model field.
QUERY_KEYS: dict[str, str] = {
    "period": "period", "segment": "segment", "team": "owner_team", "discipline": "discipline", "tier": "tier",
}


class Filters(BaseModel):
    """Period (a month, in the policy's timezone), segment, owner team, discipline and tier; None = all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: Optional[date] = None
    segment: Optional[str] = Field(default=None, min_length=1, max_length=64)
    owner_team: Optional[str] = Field(default=None, min_length=1, max_length=128)
    discipline: Optional[str] = Field(default=None, min_length=1, max_length=64)
    tier: Optional[Tier] = None

    @field_validator("period", mode="before")
    @classmethod
    def _month(cls, value: object) -> Optional[date]:
        return None if value in (None, "") else parse_month(value)

    def to_query(self) -> dict[str, str]:
        """URL parameters for the filters that are set."""
        out: dict[str, str] = {}
        for key, field in QUERY_KEYS.items():
            value = getattr(self, field)
            if value is not None:
                out[key] = month_label(value) if field == "period" else str(value)
        return out

    @classmethod
    def from_query(cls, params: Mapping[str, object]) -> tuple["Filters", list[str]]:
        """Filters from URL parameters, and one message per parameter that was dropped."""
        values: dict[str, object] = {}
        problems: list[str] = []
        for key, field in QUERY_KEYS.items():
            raw = params.get(key)
            if isinstance(raw, list):
                raw = raw[-1] if raw else None
            if raw in (None, ""):
                continue
            try:
                cls.model_validate({field: raw})
            except ValidationError as err:
                reason = err.errors()[0]["msg"].removeprefix("Value error, ")
                problems.append(f"URL parameter {key}={raw!r} ignored: {reason}")
                continue
            values[field] = raw
        return cls.model_validate(values), problems
