"""One WHERE clause builder for the shared filters: every analysis module filters the same way, by name.

Why: the sidebar's filters (segment, owner team, tier) reach the review, the
queue, the insights, the feedback loops and the report; written once here, a
new filter is one line in FILTER_COLUMNS instead of an edit per module.
Values travel as named parameters (`$f_segment`), never in the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from sla_core.analysis.filters import Filters

# Filters field -> the column it filters, as the results and outcomes tables name it.
FILTER_COLUMNS: dict[str, str] = {
    "segment": "segment", "owner_team": "owner_team", "discipline": "discipline", "tier": "tier",
}


@dataclass
class Where:
    """A conjunction of conditions and the named parameters they use."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> "Where":
        """Another condition, with the parameters it names."""
        self.clauses.append(clause)
        self.params.update(params)
        return self

    def bind(self, **params: Any) -> "Where":
        """Parameters the rest of the query names (the clause itself does not need them)."""
        self.params.update(params)
        return self

    def equal(self, column: str, value: Optional[Any], name: str) -> "Where":
        """`column = $name`, or nothing when `value` is None (no filter)."""
        return self if value is None else self.add(f"{column} = ${name}", **{name: value})

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"


def filtered(
    filters: Filters, *, columns: Optional[dict[str, str]] = None, skip: tuple[str, ...] = ()
) -> Where:
    """The shared filters but the month, as conditions on `columns` (FILTER_COLUMNS, or the caller's own
    spelling of some of them, e.g. {"tier": "r.tier"}); `skip` leaves some filters out."""
    where = Where()
    for name, column in FILTER_COLUMNS.items():
        if name not in skip:
            where.equal((columns or {}).get(name, column), getattr(filters, name), f"f_{name}")
    return where
