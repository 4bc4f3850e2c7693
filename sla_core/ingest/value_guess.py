"""Guessing what an export's own values mean: `P1`, `Urgent` or `1 - Critical` is the critical tier.

The Upload page maps values as well as columns: it lists the distinct values
of a mapped column and pre-fills each with a guess the user can correct, so
a file whose tool spells priorities its own way loads without writing YAML.
Guesses are by the value's words only; a value no rule recognises is left
for the user (an impact nobody maps leaves the row to the rubric, or rejects
it when it has no rubric inputs either).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence, Union

import duckdb

from sla_core.sqlutil import quote_ident
from sla_core.vocab import FIRST_SEEN_BY, SEVERITIES, TIERS

# The columns whose values the Upload page maps; enums map to the canonical words, free text to any name.
ENUM_VALUES: dict[str, tuple[str, ...]] = {"impact": TIERS, "severity": SEVERITIES, "source": FIRST_SEEN_BY}
FREE_TEXT = ("segment", "owner_team")
MAPPABLE: tuple[str, ...] = ("impact", "severity", "source", "segment", "owner_team")
MOST_VALUES = 300  # a column with more distinct values shows its most frequent; the rest keep their text

_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    # first match wins, so "highest" is critical before "high" is high
    "impact": (
        ("critical", r"critical|crit\b|urgent|blocker|highest|emergency|\bsev(?:erity)?\s*[-_ ]?[01]\b|^p\s*[-_ ]?[01]$"),
        ("high", r"\bhigh|major|important|\bsev(?:erity)?\s*[-_ ]?2\b|^p\s*[-_ ]?2$"),
        ("medium", r"medium|\bmed\b|moderate|normal|standard|\bsev(?:erity)?\s*[-_ ]?3\b|^p\s*[-_ ]?3$"),
        ("low", r"\blow|minor|trivial|planning|\bsev(?:erity)?\s*[-_ ]?[45]\b|^p\s*[-_ ]?[45]$"),
    ),
    "severity": (
        ("data_loss", r"data[\s_-]*loss|corrupt"),
        ("security", r"secur|vulnerab|breach"),
        ("outage", r"outage|\bdown\b|unavailable"),
        ("blocked", r"block"),
        ("partial", r"partial|degrad|slow"),
        ("cosmetic", r"cosmetic|typo|visual|\bui\b"),
        ("question", r"question|how[\s-]*to|inquiry|enquiry"),
    ),
    "source": (
        ("monitoring", r"monitor|alert|\bevent|pagerduty|opsgenie|datadog|sentry|nagios|synthetic|automat"),
        ("customer", r"e-?mail|mail|web|portal|form|phone|call|chat|messenger|widget|social|twitter|walk|self|"
                     r"agent|customer|conversation|sms|whatsapp"),
    ),
}


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def guess_value(column: str, value: str, segments: Sequence[str] = ()) -> Optional[str]:
    """The canonical value `value` most likely means, or None when no rule recognises it.

    Segments match the policy's segment names (`Self-serve` -> `self_serve`);
    other free text (teams) keeps its own name.
    """
    text = value.strip()
    if column in ENUM_VALUES:
        if _snake(text) in ENUM_VALUES[column]:
            return _snake(text)
        for canonical, pattern in _RULES[column]:
            if re.search(pattern, text, re.IGNORECASE):
                return canonical
        return None
    if column == "segment":
        known = {_snake(s): s for s in segments}
        return known.get(_snake(text), text)
    return text


def distinct_values(path: Union[str, Path], column: str, limit: int = MOST_VALUES) -> list[tuple[str, int]]:
    """The column's distinct non-empty values and their row counts, most frequent first (at most `limit`)."""
    reader = "read_parquet(?)" if str(path).lower().endswith(".parquet") else "read_csv(?, all_varchar = true)"
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""SELECT v, count(*) AS n FROM (
                    SELECT trim(CAST({quote_ident(column)} AS VARCHAR)) AS v FROM {reader}
                ) WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY n DESC, v LIMIT ?""",
            [str(path), int(limit)],
        ).fetchall()
    finally:
        con.close()
    return [(str(v), int(n)) for v, n in rows]


def value_map(column: str, chosen: dict[str, Optional[str]]) -> dict[str, Optional[str]]:
    """The `values:` entries a mapping needs: every enum value (its decision written down), and for free text
    only the names that change (a team keeps its name by default). None = leave the cell empty."""
    if column in ENUM_VALUES:
        return dict(chosen)
    return {raw: (new.strip() if new and new.strip() else None) for raw, new in chosen.items()
            if new is None or new.strip() != raw.strip()}
