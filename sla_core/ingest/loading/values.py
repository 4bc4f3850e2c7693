"""Typing text cells, the same way for every record kind: which file columns feed each canonical column (a list of
spellings is tried per row), the mapping's null markers and `values`, vocabularies, booleans, whole numbers and
timestamps (ISO with an offset, naive in the policy's zone, day- or month-first decided over the whole file).

What a bad value costs is decided elsewhere (the record kinds' checks); here each cell gets a typed value and,
when the text does not read as one, a problem: the words the load report and the `cleared` table use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from sla_core.ingest.loading.report import LoadError
from sla_core.ingest.loading.sql import ParamSql
from sla_core.ingest.mapping import Mapping, Spelling
from sla_core.sqlutil import fetch_one, placeholders, quote_ident
from sla_core.vocab import FIRST_SEEN_BY, SEVERITIES, TIERS

# The words a column is held to, per record kind: a value outside them is left empty and counted.
VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "tickets": {"impact": TIERS, "severity": SEVERITIES, "source": FIRST_SEEN_BY},
    "signals": {"severity": TIERS},
}
ENUMS = VOCABULARIES["tickets"]  # the ticket columns whose words are read without case
# Signal and survey columns read without case: a tool's name, a tier word, a survey kind.
LOWERED: frozenset[str] = frozenset({"source", "severity", "kind"})
# The ticket columns whose bad value makes a row impossible to judge: the row is rejected. A bad value anywhere
# else is left empty (free text is kept as it is), and the load report counts it with the fix (docs/data.md).
JUDGED: frozenset[str] = frozenset({"ticket_id", "created_at", "acknowledged_at", "action_plan_at", "resolved_at"})
BOOLEANS = ("regulatory", "workaround")
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
UNPARSEABLE = "unparseable timestamp"
NOT_WHOLE = "not a whole number"

# The instants a clock can hold: the engine counts microseconds and calendar days from 1970.
OUT_OF_RANGE = "timestamp before 1970 or after 2199"

ANY = "*"
_TIME_FIX = "use an ISO 8601 time, or set `timestamp_format` in a mapping"
# How to fix a value left empty: by (record kind, column, problem), "*" standing for any column or problem.
FIXES: dict[tuple[str, str, str], str] = {
    **{("tickets", c, ANY): f"map it with `values: {{{c}: {{\"your value\": {allowed[0]}}}}}`"
       for c, allowed in ENUMS.items()},
    ("tickets", "regulatory", ANY): "use true/false (or map it with `values:`)",
    ("tickets", "workaround", ANY): "use true/false (or map it with `values:`)",
    ("tickets", "customers_affected", ANY): "use a whole number of customers",
    ("tickets", "reopen_count", ANY): "use a whole number",
    ("tickets", "csat", ANY): "use a score from 1 to 5 (or map it with `values: {csat: ...}`)",
    ("tickets", "detected_at", ANY): _TIME_FIX,
    ("tickets", "started_at", ANY): _TIME_FIX,
    ("tickets", ANY, ANY): "check the column's values",
    ("signals", ANY, UNPARSEABLE): _TIME_FIX,
    ("signals", ANY, OUT_OF_RANGE): "check the time",
    ("signals", ANY, "resolved before detected"): "check the export's resolution time",
    ("signals", ANY, "started after detected"): "check the export's start time",
    ("signals", ANY, "not a number"): "give the duration as a number (`durations` in the mapping names its unit)",
    ("signals", ANY, "negative duration"): "give the duration as a number of at least 0",
    ("signals", ANY, "unknown severity value"):
        'map it with `values: {severity: {"your value": high}}` (critical, high, medium, low)',
    ("signals", ANY, ANY): "check the values",
}


def fix_sql(kind: str, column: str, problem: str) -> ParamSql:
    """SQL: how to fix the value of `column` left empty for the problem held in the SQL expression `problem`."""
    fixes = {p: f for (k, c, p), f in FIXES.items() if k == kind and c in (column, ANY)}
    if ANY in {p for (k, c, p) in FIXES if k == kind and c == column}:  # the column's own fix, whatever the problem
        return ParamSql().add("?", FIXES[(kind, column, ANY)])
    by_problem = {found: fix for found, fix in fixes.items() if found != ANY}
    if not by_problem:
        return ParamSql().add("?", fixes[ANY])
    out = ParamSql().add(f"CASE {problem}")
    for found, fix in by_problem.items():
        out.add(" WHEN ? THEN ?", found, fix)
    return out.add(" ELSE ? END", fixes[ANY])


def out_of_range_sql(column: str) -> str:
    """SQL: the (quoted) TIMESTAMPTZ column lies outside the instants SLA Board can judge."""
    return (f"({column} < TIMESTAMPTZ '1970-01-01 00:00:00+00' "
            f"OR {column} >= TIMESTAMPTZ '2200-01-01 00:00:00+00')")


@dataclass(frozen=True)
class Found:
    """One spelling of a canonical column that the file has: its column, and the (column, value) pairs that must
    hold on a row for it to count there (a Spelling's `when`)."""

    column: str
    when: tuple[tuple[str, str], ...] = ()


@dataclass
class Plan:
    """Which file columns feed each canonical column, and what stays an extra."""

    sources: dict[str, str]  # canonical -> the first spelling the file has (its duplicates' id, its extras)
    extras: dict[str, str]  # output name -> source column
    missing_optional: list[str]
    durations: dict[str, str]  # canonical target -> source column of the duration
    repeats: dict[str, list[str]] = field(default_factory=dict)  # source column -> its repeated copies
    zone: Optional[str] = None  # the timezone the export's headers name, for its naive timestamps
    found: dict[str, list[Found]] = field(default_factory=dict)  # canonical -> every spelling the file has


_TYPE_SUFFIX = re.compile(r"\s*\[[^\[\]]*\]\s*$")  # Zendesk's custom fields: "Severity [list]"


def header_key(name: str) -> str:
    """A header as a mapping names it: without case, surrounding space, a trailing "[type]" (Zendesk) or a
    trailing "(Zone)" naming a time zone (Intercom); "Custom field (Team)" keeps its parenthesis."""
    name = _TYPE_SUFFIX.sub("", name)
    if _header_zone(name) is not None:
        name = name[: name.rindex("(")]
    return name.strip().lower()


def _header_zone(name: str) -> Optional[str]:
    """The IANA zone a header names in a trailing "(...)" (Intercom: "Conversation started at (Europe/Berlin)")."""
    match = re.search(r"\(([^()]+)\)\s*$", name)
    if not match:
        return None
    try:
        ZoneInfo(match.group(1).strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return match.group(1).strip()


def _find(columns: list[str], wanted: str) -> Optional[str]:
    """The file's column a mapping names: its exact name, else the first whose header_key matches."""
    if wanted in columns:
        return wanted
    return next((c for c in columns if header_key(c) == header_key(wanted)), None)


def _repeats(columns: list[str], first: str) -> list[str]:
    """`Labels`, `Labels_1`, `Labels_2`: the copies DuckDB's reader names after a header the file repeats."""
    found, n = [first], 1
    while f"{first}_{n}" in columns:
        found.append(f"{first}_{n}")
        n += 1
    return found


def _found(columns: list[str], spelling: Union[str, Spelling]) -> Optional[Found]:
    """The spelling as the file has it, or None when its column (or a column its condition reads) is not there."""
    if isinstance(spelling, str):
        column = _find(columns, spelling)
        return Found(column) if column is not None else None
    column = _find(columns, spelling.column)
    when = [(_find(columns, key), value) for key, value in spelling.when.items()]
    if column is None or any(key is None for key, _ in when):
        return None
    return Found(column, tuple((key, value) for key, value in when if key is not None))


def plan_columns(
    columns: list[str], mapping: Mapping, label: str, required: tuple[str, ...], keys: tuple[str, ...] = (),
    canonical_columns: Iterable[str] = (), delimiter: str = ",",
) -> Plan:
    present = set(columns)
    canonical_columns = tuple(canonical_columns)
    sources: dict[str, str] = {}
    found: dict[str, list[Found]] = {}
    repeats: dict[str, list[str]] = {}
    zones: set[str] = set()
    missing_optional: list[str] = []
    for canonical in (*keys, *canonical_columns):
        if canonical in sources or canonical == "unmeasured":  # the loader fills it; a file column of that name is kept
            continue
        spellings = mapping.spellings(canonical)
        if spellings:
            there = [f for s in spellings if (f := _found(columns, s)) is not None]
            names = [s if isinstance(s, str) else s.column for s in spellings]
            if there:
                sources[canonical] = there[0].column
                found[canonical] = there
                for one in there:
                    if len(copies := _repeats(columns, one.column)) > 1:
                        repeats[one.column] = copies
                    if (zone := _header_zone(one.column)) is not None:
                        zones.add(zone)
            elif canonical in required:
                raise LoadError(
                    f"{label}: required column {' or '.join(repr(n) for n in names)} (for {canonical}) is not in "
                    f"the file; its header has {header_preview(columns)}"
                )
            else:
                missing_optional.append(repr(names[0]))
        elif canonical in present:
            sources[canonical] = canonical
            found[canonical] = [Found(canonical)]
    for canonical in required:
        if canonical not in sources:
            raise LoadError(
                f"{label}: required column {canonical!r} is missing; its header has {header_preview(columns)}"
                + (f" (read with delimiter {delimiter!r})" if len(columns) == 1 else "")
            )
    durations = {}
    for target, derived in mapping.durations.items():
        if (column := _find(columns, derived.column)) is not None:
            durations[target] = column
        else:
            missing_optional.append(repr(derived.column))
    if missing_optional:  # one line in the tool's own column names, not one per column the export does not have
        count = len(missing_optional)
        missing_optional = [f"{count} optional column{'s' if count > 1 else ''} of this export format "
                            f"{'are' if count > 1 else 'is'} not in the file, so {'their' if count > 1 else 'its'} "
                            "values are left empty: " + ", ".join(missing_optional)]
    if len(zones) > 1:
        raise LoadError(f"{label}: its headers name several time zones ({', '.join(sorted(zones))})")
    # A later spelling is read where the first is empty, and kept as it is too (an extra), as before it was read.
    used = set(sources.values()) | set(durations.values()) | {c for s in sources.values() for c in repeats.get(s, [])}
    extras: dict[str, str] = {}
    taken = {c.lower() for c in (*canonical_columns, *keys)}  # DuckDB's column names ignore case
    for col in columns:
        if col in used:
            continue
        out = col
        while out.lower() in taken or out.startswith("__sla"):
            out = f"raw_{out}"
        taken.add(out.lower())
        extras[out] = col
    return Plan(sources, extras, missing_optional, durations, repeats, next(iter(zones), None), found)


def header_preview(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:8])
    return f"{len(columns)} column{'s' if len(columns) != 1 else ''}: {shown}{', ...' if len(columns) > 8 else ''}"


def raw_text(column: str) -> str:
    """SQL: a file column as text (a Parquet column keeps its type until here)."""
    return f"CAST({quote_ident(column)} AS VARCHAR)"


def _cell(column: str, mapping: Mapping, copies: Optional[list[str]], separator: Optional[str]) -> ParamSql:
    """One column as trimmed text, NULL when empty or one of the mapping's null markers; a repeated column's
    copies joined into one comma list, and a list's own separator turned into commas."""
    if copies:
        parts = ", ".join(f"NULLIF(trim({raw_text(c)}), '')" for c in copies)
        base = f"NULLIF(concat_ws(',', {parts}), '')"
    else:
        base = f"NULLIF(trim({raw_text(column)}), '')"
    base_params: list[object] = []
    if separator is not None:
        base = f"NULLIF(array_to_string(list_filter(string_split({base}, ?), lambda x: trim(x) <> ''), ','), '')"
        base_params = [separator]
    if not mapping.null_values:
        return ParamSql().add(base, *base_params)
    return ParamSql().add(
        f"(CASE WHEN {base} IN ({placeholders(len(mapping.null_values))}) THEN NULL ELSE {base} END)",
        *base_params, *mapping.null_values, *base_params,
    )


def text_cell(spellings: list[Found], mapping: Mapping, repeats: dict[str, list[str]],
              separator: Optional[str] = None) -> ParamSql:
    """A canonical column's text on each row: the first of its spellings that is not empty there (a conditional
    one counts only where its condition holds), NULL when none is."""
    cells = []
    for one in spellings:
        cell = _cell(one.column, mapping, repeats.get(one.column), separator)
        if one.when:
            holds = " AND ".join(f"lower(trim({raw_text(c)})) = ?" for c, _ in one.when)
            cell = ParamSql().add(f"(CASE WHEN {holds} THEN ", *[v.strip().lower() for _, v in one.when]).join(
                [cell]).add(" END)")
        cells.append(cell)
    if len(cells) == 1:
        return cells[0]
    return ParamSql().add("coalesce(").join(cells).add(")")


def mapped_value(expr: str, canonical: str, mapping: Mapping) -> ParamSql:
    """Translate through the mapping's `values` for this column; `*` maps any other non-empty value."""
    table = mapping.values.get(canonical, {})
    lowered = canonical in ENUMS or canonical in BOOLEANS
    default = f"lower({expr})" if lowered else expr
    if not table:
        return ParamSql().add(default)
    out = ParamSql().add(f"(CASE WHEN {expr} IS NULL THEN NULL")
    for key, value in table.items():
        if key == "*":
            continue
        if value is None:  # mapped to nothing: left empty
            out.add(" WHEN lower(" + expr + ") = ? THEN NULL", key.strip().lower())
        else:
            out.add(" WHEN lower(" + expr + ") = ? THEN ?", key.strip().lower(), value)
    if "*" in table:
        out.add(" ELSE ? END)", table["*"])
    else:
        out.add(f" ELSE {default} END)")
    return out


# --- timestamps ------------------------------------------------------------------------------------------------

_ISO_OFFSET_FORMATS = [
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
]
_SLASH_FORMATS = [
    "{a}/{b}/%Y %H:%M:%S",
    "{a}/{b}/%Y %H:%M",
    "{a}/{b}/%Y %I:%M %p",
    "{a}/{b}/%Y %I:%M:%S %p",
    "{a}/{b}/%Y",
]
# How a text is read when the mapping gives no format, decided by its shape (each one regular expression):
_ISO_DATE = "^\\d{4}-\\d{1,2}-\\d{1,2}"  # an ISO date first: an offset at the end reads as one, else the zone's
_TIME_AFTER = "\\d[T ]\\d"
_OFFSET_END = "(Z|UTC|[+-]\\d{2}(:?\\d{2})?)$"
_SLASH_DATE = "^\\d{1,2}/\\d{1,2}/\\d{4}"  # day/month/year or month/day/year, as the whole file shows
SHAPES = ("offset", "naive", "slash", "none")
LAYOUTS_PER_COLUMN = 3  # the most frequent layouts a column's sample shows, each tried with one GLOB per cell
_GLOB_SPECIAL = set("*?[]\\")


def shape_sql(t: str) -> str:
    """SQL: the shape of the text `t` (one of SHAPES), as the full parse reads it."""
    return (f"CASE WHEN regexp_matches({t}, '{_ISO_DATE}') THEN "
            f"CASE WHEN regexp_matches({t}, '{_TIME_AFTER}') AND regexp_matches({t}, '{_OFFSET_END}') "
            f"THEN 'offset' ELSE 'naive' END "
            f"WHEN regexp_matches({t}, '{_SLASH_DATE}') THEN 'slash' ELSE 'none' END")


def glob_layout(text: str) -> Optional[str]:
    """The GLOB pattern of a text's layout: each ASCII digit a [0-9], every other character itself; None when the
    text holds a character GLOB would read as a pattern. Every text matching one layout has the same shape: the
    shape's expressions test only digits (\\d is ASCII in DuckDB's regular expressions) and fixed characters."""
    if any(ch in _GLOB_SPECIAL for ch in text):
        return None
    return "".join("[0-9]" if "0" <= ch <= "9" else ch for ch in text)


@dataclass
class TimestampParser:
    """Builds the SQL that turns text into TIMESTAMPTZ: naive text in the zone, offsets kept.

    Without a mapping's formats each text is read by its shape (SHAPES): an ISO date with an offset through a
    TIMESTAMPTZ cast, an ISO date without one through a TIMESTAMP cast in the zone, d/m/y or m/d/y as the file's
    order says. The shape is decided once per layout a column's sample showed (a pre-pass): a cell matching a
    known layout gets one GLOB and one cast, any other cell the full test of its shape.
    """

    zone: str
    formats: list[str]
    slash_order: Optional[str] = None  # "day" | "month" when the file uses d/m/y or m/d/y dates

    def _read(self, shape: str, t: str) -> ParamSql:
        if shape == "offset":
            return ParamSql().add(f"coalesce(try_cast({t} AS TIMESTAMPTZ), try_strptime({t}, ?::VARCHAR[]))",
                                  _ISO_OFFSET_FORMATS)
        if shape == "naive":
            return ParamSql().add(f"timezone(?, try_cast({t} AS TIMESTAMP))", self.zone)
        if shape == "slash" and self.slash_order:
            a, b = ("%d", "%m") if self.slash_order == "day" else ("%m", "%d")
            return ParamSql().add(f"timezone(?, try_strptime({t}, ?::VARCHAR[]))", self.zone,
                                  [f.format(a=a, b=b) for f in _SLASH_FORMATS])
        return ParamSql().add("CAST(NULL AS TIMESTAMPTZ)")

    def expr(self, t: str, layouts: Iterable[tuple[str, str]] = ()) -> ParamSql:
        """SQL reading the text `t`; `layouts` are (GLOB pattern, shape) pairs a sample of the column showed."""
        if self.formats:
            with_zone = [f for f in self.formats if "%z" in f or "%Z" in f]
            naive = [f for f in self.formats if f not in with_zone]
            parts = []
            if with_zone:
                parts.append(ParamSql().add(f"try_strptime({t}, ?::VARCHAR[])", with_zone))
            if naive:
                parts.append(ParamSql().add(f"timezone(?, try_strptime({t}, ?::VARCHAR[]))", self.zone, naive))
            return ParamSql().add("coalesce(").join(parts).add(")")
        full = ParamSql().add(f"(CASE WHEN regexp_matches({t}, '{_ISO_DATE}') THEN "
                              f"CASE WHEN regexp_matches({t}, '{_TIME_AFTER}') AND "
                              f"regexp_matches({t}, '{_OFFSET_END}') THEN ").join([self._read("offset", t)]).add(
            " ELSE ").join([self._read("naive", t)]).add(" END")
        if self.slash_order:
            full.add(f" WHEN regexp_matches({t}, '{_SLASH_DATE}') THEN ").join([self._read("slash", t)])
        full.add(" ELSE NULL END)")
        layouts = list(layouts)
        if not layouts:
            return full
        out = ParamSql().add("(CASE")
        for pattern, shape in layouts:
            out.add(f" WHEN {t} GLOB ? THEN ", pattern).join([self._read(shape, t)])
        return out.add(" ELSE ").join([full]).add(" END)")


def sample_layouts(con: duckdb.DuckDBPyConnection, values: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """Per column, the most frequent layouts of its sampled texts and the shape each has (SHAPES)."""
    counts: dict[str, dict[str, tuple[int, str]]] = {}
    for column, texts in values.items():
        seen: dict[str, tuple[int, str]] = {}
        for text in texts:
            if (layout := glob_layout(text)) is not None:
                n, example = seen.get(layout, (0, text))
                seen[layout] = (n + 1, example)
        counts[column] = dict(sorted(seen.items(), key=lambda kv: -kv[1][0])[:LAYOUTS_PER_COLUMN])
    examples = sorted({example for seen in counts.values() for _, example in seen.values()})
    shapes: dict[str, str] = {}
    if examples:
        shapes = dict(con.execute(f"SELECT v, {shape_sql('v')} FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                                  [examples]).fetchall())
    return {column: [(layout, shapes[example]) for layout, (_, example) in seen.items()]
            for column, seen in counts.items()}


def slash_order_of(con: duckdb.DuckDBPyConnection, values: list[tuple[int, str]]) -> Optional[str]:
    """The day/month order sampled values show unambiguously, else None (the whole file decides after)."""
    try:
        return _slash_order(con, "SELECT unnest(?::BIGINT[]) AS r, unnest(?::VARCHAR[]) AS v",
                            [[r for r, _ in values], [v for _, v in values]], "")
    except LoadError:
        return None


def detect_slash_order(con: duckdb.DuckDBPyConnection, values_sql: str, label: str,
                       params: Optional[list[object]] = None) -> Optional[str]:
    """Day-first or month-first, decided over every timestamp text of the file (`values_sql` gives r, v: the row
    and the text); ambiguity is an error."""
    return _slash_order(con, values_sql, params or [], label)


def _slash_order(con: duckdb.DuckDBPyConnection, values_sql: str, params: list[object], label: str) -> Optional[str]:
    row = fetch_one(con.execute(
        f"""WITH v AS ({values_sql}), s AS (
            SELECT r, v, try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 1) AS INTEGER) AS a,
                   try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 2) AS INTEGER) AS b
            FROM v WHERE contains(v, '/') AND regexp_matches(v, '^\\s*\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}'))
        SELECT count(*), count(*) FILTER (a > 12), count(*) FILTER (b > 12),
               arg_min(v, r) FILTER (a > 12), min(r) FILTER (a > 12),
               arg_min(v, r) FILTER (b > 12), min(r) FILTER (b > 12), arg_min(v, r)
        FROM s""", params))
    total, day_first, month_first, day_ex, day_row, month_ex, month_row, any_ex = row
    if not total:
        return None
    if day_first and month_first:
        raise LoadError(
            f"{label}: dates mix day-first (row {day_row}: {day_ex!r}) and month-first "
            f"(row {month_row}: {month_ex!r}); set timestamp_format in a mapping file"
        )
    if day_first:
        return "day"
    if month_first:
        return "month"
    raise LoadError(
        f"{label}: dates like {any_ex!r} could be day-first or month-first; set timestamp_format "
        "(e.g. '%d/%m/%Y %H:%M' or '%m/%d/%Y %H:%M') in a mapping file"
    )


# --- typed values ----------------------------------------------------------------------------------------------

def whole_number(t: str, typ: str) -> str:
    """SQL: the text `t` as a whole number of type `typ`, NULL unless it is one: digits with an optional sign
    (a cast would round 4.5 to 5 and read 1e2 as 100). The one rule for every whole-number column; one to
    three digits (a score, most counts) are told by a GLOB before the regular expression."""
    short = " OR ".join(f"{t} GLOB '{'[0-9]' * k}'" for k in (1, 2, 3))
    return (f"CASE WHEN {short} THEN try_cast({t} AS {typ}) "
            f"WHEN regexp_full_match(trim({t}), '[+-]?[0-9]+') THEN try_cast(trim({t}) AS {typ}) END")


def _words(words: Iterable[str]) -> str:
    """Code constants (a vocabulary) as SQL string literals."""
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


def has_problem(kind: str, column: str, typ: str) -> bool:
    """Whether a canonical column's text can be refused (typed, or held to a vocabulary); free text cannot."""
    return typ != "VARCHAR" or column in VOCABULARIES.get(kind, {})


def typed_cell(kind: str, canonical: str, typ: str, t: str, value: str, ts: TimestampParser,
               layouts: Iterable[tuple[str, str]] = ()) -> tuple[ParamSql, ParamSql]:
    """(typed value, problem text or NULL) of a canonical column of a record kind, from its text `t`; the problem
    reads the value by its name `value` (an alias of the same SELECT, computed once)."""
    if typ == "TIMESTAMPTZ":
        problem = ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN '{UNPARSEABLE}'")
        if kind != "tickets":  # a ticket's time outside the range rejects its row (tickets.py)
            problem.add(f" WHEN {out_of_range_sql(value)} THEN '{OUT_OF_RANGE}'")
        return ts.expr(t, layouts), problem.add(" END")
    words = VOCABULARIES.get(kind, {}).get(canonical)
    if words:  # the words are code constants, written in the SQL: a literal IN list is a filter, not a join
        return (ParamSql().add(f"CASE WHEN {t} IN ({_words(words)}) THEN {t} END"),
                ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN ? END",
                               f"unknown {canonical} value"))
    if kind == "tickets" and canonical in BOOLEANS:
        return (ParamSql().add(f"CASE WHEN {t} IN ({_words(TRUE_WORDS)}) THEN true "
                               f"WHEN {t} IN ({_words(FALSE_WORDS)}) THEN false END"),
                ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN 'not a boolean' END"))
    if typ in ("BIGINT", "INTEGER"):
        problem = ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN '{NOT_WHOLE}'")
        if kind == "tickets":
            problem.add(f" WHEN {value} NOT BETWEEN 1 AND 5 THEN 'csat out of 1..5'" if canonical == "csat"
                        else f" WHEN {value} < 0 THEN 'negative count'")
        return ParamSql().add(whole_number(t, typ)), problem.add(" END")
    return ParamSql().add(t), ParamSql().add("CAST(NULL AS VARCHAR)")
