"""SQL pieces every loading step shares: the internal row-number columns and an SQL builder
that keeps its `?` parameters beside the text (user values never enter the text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROW = "__sla_row"  # internal column names, chosen not to clash with a user's header
ORD = "__sla_ord"


@dataclass
class Sql:
    """SQL text built in order with its `?` parameters."""

    text: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> "Sql":
        self.text.append(sql)
        self.params.extend(params)
        return self

    def join(self, parts: list["Sql"], sep: str = ", ") -> "Sql":
        for i, part in enumerate(parts):
            if i:
                self.text.append(sep)
            self.text.extend(part.text)
            self.params.extend(part.params)
        return self

    @property
    def sql(self) -> str:
        return "".join(self.text)
