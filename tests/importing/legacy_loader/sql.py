"""SQL pieces every loading step shares: the internal row-number columns and an SQL builder
that keeps its `?` parameters beside the text (user values never enter the text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROW = "__sla_row"  # internal column names, chosen not to clash with a user's header
ORD = "__sla_ord"

# The staging columns a canonical column `c` goes through, each named c + suffix (read them in this order):
TEXT = "__n"  # c__n: the cell as text, trimmed, after the mapping's copies and values (NULL when empty)
TYPED = "__t"  # c__t: c__n typed (a timestamp, a number, a boolean), NULL where it does not read as one
PROBLEM = "__p"  # c__p: why c__n was refused (the reject or cleared-value reason), NULL when it is fine
DURATION = "__dur"  # target__dur: a preset's duration column (e.g. Freshdesk's minutes) as text, before typing
DURATION_PROBLEM = "__dp"  # target__dp: why that duration was refused
SECONDS = "__secs"  # target__secs: the duration in seconds, from which the target instant is computed


@dataclass
class ParamSql:
    """SQL text built in order with its `?` parameters."""

    text: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> "ParamSql":
        self.text.append(sql)
        self.params.extend(params)
        return self

    def join(self, parts: list["ParamSql"], sep: str = ", ") -> "ParamSql":
        for i, part in enumerate(parts):
            if i:
                self.text.append(sep)
            self.text.extend(part.text)
            self.params.extend(part.params)
        return self

    @property
    def sql(self) -> str:
        return "".join(self.text)
