"""Mapping files: which source columns feed which canonical columns (docs/data.md, "Mapping files").

A mapping lets any CSV be imported without code. The vendor presets in
`sla_core/presets/*.yaml` are mapping files too, so a team can copy one and
edit it (for instance to name which of their groups are engineering).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sla_core.columns import DEPLOY_COLUMNS, SIGNAL_COLUMNS, SURVEY_COLUMNS, TICKET_COLUMNS
from sla_core.errors import UserError
from sla_core.policy import describe_validation_error
from sla_core.vocab import STATUSES

PRESET_DIR = Path(__file__).with_name("presets")

# What an activity of an event log may mean.
ACTIVITY_KINDS: tuple[str, ...] = ("created", "acknowledged", "action_plan", "resolved", "closed", "reopened")
# Columns only an event log has: the ticket, when, what happened, and an optional tie-breaking order.
EVENT_LOG_COLUMNS: tuple[str, ...] = ("at", "activity", "order")
TIMESTAMP_COLUMNS: tuple[str, ...] = tuple(c for c, t in TICKET_COLUMNS.items() if t == "TIMESTAMPTZ")
DURATION_UNITS: dict[str, float] = {"milliseconds": 0.001, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# format -> the canonical columns a mapping of that format may name (an event log adds EVENT_LOG_COLUMNS).
FORMAT_COLUMNS: dict[str, dict[str, str]] = {
    "tickets": TICKET_COLUMNS, "events": TICKET_COLUMNS, "signals": SIGNAL_COLUMNS, "surveys": SURVEY_COLUMNS,
    "deploys": DEPLOY_COLUMNS,
}


def timestamp_columns(fmt: str) -> tuple[str, ...]:
    """The timestamp columns of a format (what `durations` may fill and count from)."""
    return tuple(c for c, t in FORMAT_COLUMNS[fmt].items() if t == "TIMESTAMPTZ")


class MappingError(UserError, ValueError):
    """A mapping file that cannot be used; the message names the key."""


class DerivedTimestamp(BaseModel):
    """A timestamp given as a duration after another one (Zendesk: 'First reply time in minutes')."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    since: str
    column: str
    unit: Literal["milliseconds", "seconds", "minutes", "hours", "days"] = "minutes"


class Spelling(BaseModel):
    """A spelling that holds only on the rows where other columns hold given values (ignoring case): PagerDuty's
    `last_status_change_at` is the resolution only where `status` is `resolved`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    when: dict[str, str] = Field(min_length=1)

    @field_validator("when", mode="before")
    @classmethod
    def _values_as_text(cls, data: object) -> object:
        """YAML reads `{count: 1}` with a number; the export's cells are text."""
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else data


class Mapping(BaseModel):
    """A mapping file. Canonical columns not named in `columns` are read from a same-named column if present."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["tickets", "events", "signals", "surveys", "deploys"] = "tickets"
    # canonical column -> the export's column (matched ignoring case and a trailing "(Zone)" or "[type]"), or a
    # list of its spellings (a tool whose CSV and API name a field differently; a JSON export's nested field is
    # its path, `service.summary`): each row takes the first of them that is not empty there; a spelling may hold
    # only where another column holds a value (Spelling). A column the export repeats (Jira's Labels, Labels,
    # ...) is read as one list.
    columns: dict[str, Union[str, Spelling, list[Union[str, Spelling]]]] = Field(default_factory=dict)
    timestamp_format: Optional[Union[str, list[str]]] = None
    # canonical column -> source value -> canonical value; a value mapped to null is left empty
    values: dict[str, dict[str, Optional[str]]] = Field(default_factory=dict)
    # canonical column -> the separator of the export's list (Zendesk's tags are separated by spaces)
    separators: dict[str, str] = Field(default_factory=dict)
    activities: dict[str, str] = Field(default_factory=dict)
    null_values: list[str] = Field(default_factory=list)
    durations: dict[str, DerivedTimestamp] = Field(default_factory=dict)

    @field_validator("values", "activities", mode="before")
    @classmethod
    def _keys_as_text(cls, data: object) -> object:
        """YAML reads `1: critical` with an integer key; source values are text."""
        if isinstance(data, dict):
            return {
                str(k): ({str(kk): (None if vv is None else str(vv)) for kk, vv in v.items()}
                         if isinstance(v, dict) else v)
                for k, v in data.items()
            }
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Mapping":
        canonical = FORMAT_COLUMNS[self.format]
        allowed = set(canonical) | (set(EVENT_LOG_COLUMNS) if self.format == "events" else set())
        unknown = sorted(set(self.columns) - allowed)
        if unknown:
            raise ValueError(
                f"columns: {', '.join(unknown)} not a canonical column of format {self.format} "
                f"(one of {', '.join(sorted(allowed))})"
                + (" (event-log keys at/activity/order need format: events)" if self.format == "tickets" else "")
            )
        empty = [k for k, v in self.columns.items() if not v]
        if empty:
            raise ValueError(f"columns.{empty[0]}: name the export's column (or a list of spellings)")
        if self.format == "events":
            missing = [c for c in ("ticket_id", "at", "activity") if c not in self.columns]
            if missing:
                raise ValueError(f"columns: an event log must name {', '.join(missing)}")
            bad = {k: v for k, v in self.activities.items() if v not in ACTIVITY_KINDS + STATUSES}
            if bad:
                first = next(iter(bad))
                raise ValueError(
                    f"activities.{first}: {bad[first]!r} is not one of {', '.join(ACTIVITY_KINDS + STATUSES)}"
                )
        elif self.activities:
            raise ValueError("activities: only an event log (format: events) has activities")
        unknown_values = sorted(set(self.values) - set(canonical))
        if unknown_values:
            raise ValueError(f"values: {', '.join(unknown_values)} not a canonical column of format {self.format}")
        stamps = timestamp_columns(self.format)
        for target, derived in self.durations.items():
            if target not in stamps or derived.since not in stamps:
                raise ValueError(f"durations.{target}: both the target and `since` must be timestamp columns "
                                 f"({', '.join(stamps)})")
        return self

    def spellings(self, canonical: str) -> list[Union[str, Spelling]]:
        """The export's spellings of a canonical column, in the order each row tries them (none: not mapped)."""
        given = self.columns.get(canonical)
        if given is None:
            return []
        return list(given) if isinstance(given, list) else [given]

    def names(self, canonical: str) -> list[str]:
        """The export's plain column names for a canonical column (its spellings without a condition)."""
        return [s for s in self.spellings(canonical) if isinstance(s, str)]

    @property
    def formats(self) -> list[str]:
        if self.timestamp_format is None:
            return []
        return [self.timestamp_format] if isinstance(self.timestamp_format, str) else list(self.timestamp_format)


def mapping_from_dict(data: object, where: str = "mapping") -> Mapping:
    if not isinstance(data, dict):
        raise MappingError(f"{where}: the file must be a YAML mapping (format, columns, values, ...)")
    try:
        return Mapping.model_validate(data)
    except ValidationError as err:
        raise MappingError(f"{where}: {describe_validation_error(err)}") from None


def load_mapping(path: Union[str, Path]) -> Mapping:
    """Read and validate a mapping file; errors name the file and key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise MappingError(f"mapping {path}: cannot read ({err})") from None
    except yaml.YAMLError as err:
        raise MappingError(f"mapping {path}: not valid YAML ({str(err).splitlines()[0]})") from None
    return mapping_from_dict(data, where=f"mapping {path.name}")


def preset(name: str) -> Mapping:
    """A vendor preset by file stem (zendesk, jira, freshdesk, servicenow_incidents, servicenow_audit)."""
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PRESET_DIR.glob("*.yaml")))
        raise MappingError(f"no preset named {name!r} (known: {known})")
    return load_mapping(path)


def mapping_yaml(mapping: Mapping, *, made_by: str = "") -> str:
    """The mapping as a YAML file `load_mapping` reads back to the same mapping (what the Upload page offers)."""
    data = mapping.model_dump(exclude_defaults=True, mode="json")
    data["format"] = mapping.format  # always written: a reader should not have to know the default
    ordered = {key: data[key] for key in ("format", *Mapping.model_fields) if key in data}
    head = "".join(f"# {line}\n" for line in made_by.splitlines() if line.strip())
    return head + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
