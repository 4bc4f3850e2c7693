"""Typing text cells: which file column feeds each canonical column, vocabularies, numbers,
booleans and timestamps (ISO with offsets, naive in the policy zone, day/month order detected)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from sla_core.columns import TICKET_COLUMNS
from tests.importing.legacy_loader.reading import Raw
from tests.importing.legacy_loader.report import LoadError
from tests.importing.legacy_loader.sql import ROW, ParamSql
from sla_core.ingest.mapping import Mapping
from sla_core.sqlutil import fetch_one, placeholders, quote_ident
from sla_core.vocab import FIRST_SEEN_BY, SEVERITIES, TIERS

ENUMS: dict[str, tuple[str, ...]] = {
    "impact": TIERS,
    "severity": SEVERITIES,
    "source": FIRST_SEEN_BY,
}
# The columns whose bad value makes a row impossible to judge: the row is rejected. A bad value anywhere else is
# left empty (free text is kept as it is), and the load report counts it with the fix (DESIGN.md).
JUDGED: frozenset[str] = frozenset({"ticket_id", "created_at", "acknowledged_at", "action_plan_at", "resolved_at"})
# How to fix a value left empty, per column.
FIXES: dict[str, str] = {
    **{c: f"map it with `values: {{{c}: {{\"your value\": {allowed[0]}}}}}`" for c, allowed in ENUMS.items()},
    "regulatory": "use true/false (or map it with `values:`)",
    "workaround": "use true/false (or map it with `values:`)",
    "customers_affected": "use a whole number of customers",
    "reopen_count": "use a whole number",
    "csat": "use a score from 1 to 5 (or map it with `values: {csat: ...}`)",
    "detected_at": "use an ISO 8601 time, or set `timestamp_format` in a mapping",
    "started_at": "use an ISO 8601 time, or set `timestamp_format` in a mapping",
}
BOOLEANS = ("regulatory", "workaround")
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

# The instants a clock can hold: the engine counts microseconds and calendar days from 1970.
OUT_OF_RANGE = "timestamp before 1970 or after 2199"


def out_of_range_sql(column: str) -> str:
    """SQL: the (quoted) TIMESTAMPTZ column lies outside the instants SLA Board can judge."""
    return (f"({column} < TIMESTAMPTZ '1970-01-01 00:00:00+00' "
            f"OR {column} >= TIMESTAMPTZ '2200-01-01 00:00:00+00')")


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


@dataclass
class Plan:
    """Which source column feeds each canonical column, and what stays an extra."""

    sources: dict[str, str]  # canonical -> source column present in the file
    extras: dict[str, str]  # output name -> source column
    missing_optional: list[str]
    durations: dict[str, str]  # canonical target -> source column of the duration
    repeats: dict[str, list[str]] = field(default_factory=dict)  # canonical -> the source's repeated columns
    zone: Optional[str] = None  # the timezone the export's headers name, for its naive timestamps
    # FIX (b) and (c), issue 27: canonical -> every spelling the file has: (column, its copies, its condition)
    spelled: dict[str, list[tuple[str, Optional[list[str]], tuple[tuple[str, str], ...]]]] = field(default_factory=dict)


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


def plan_columns(
    raw: Raw, mapping: Mapping, label: str, required: tuple[str, ...], keys: tuple[str, ...] = (),
    canonical_columns: Iterable[str] = TICKET_COLUMNS,
) -> Plan:
    present = set(raw.columns)
    canonical_columns = tuple(canonical_columns)
    sources: dict[str, str] = {}
    repeats: dict[str, list[str]] = {}
    spelled: dict = {}
    zones: set[str] = set()
    missing_optional: list[str] = []
    for canonical in (*keys, *canonical_columns):
        if canonical in sources or canonical == "unmeasured":  # the loader fills it; a file column of that name is kept
            continue
        # FIX (b) and (c), issue 27: every spelling the file has is read, per row (the first non-empty one), and
        # a conditional spelling holds where its condition does; the first the file has stays the source.
        spellings = mapping.spellings(canonical)
        names = [s if isinstance(s, str) else s.column for s in spellings]
        there = []
        for spelling in spellings:
            name = spelling if isinstance(spelling, str) else spelling.column
            found = _find(raw.columns, name)
            when = () if isinstance(spelling, str) else tuple((_find(raw.columns, k), v) for k, v in spelling.when.items())
            if found is not None and all(k is not None for k, _ in when):
                copies = _repeats(raw.columns, found)
                there.append((found, copies if len(copies) > 1 else None, when))
        if spellings:
            src = there[0][0] if there else None
            if src is not None:
                sources[canonical] = src
                spelled[canonical] = there
                if len(copies := _repeats(raw.columns, src)) > 1:
                    repeats[canonical] = copies
                for found, _, _ in there:
                    if (zone := _header_zone(found)) is not None:
                        zones.add(zone)
            elif canonical in required:
                raise LoadError(
                    f"{label}: required column {' or '.join(repr(n) for n in names)} (for {canonical}) is not in "
                    f"the file; its header has {header_preview(raw)}"
                )
            else:
                missing_optional.append(f"{' or '.join(repr(n) for n in names)} (for {canonical})")
        elif canonical in present:
            sources[canonical] = canonical
            spelled[canonical] = [(canonical, None, ())]
    for canonical in required:
        if canonical not in sources:
            raise LoadError(
                f"{label}: required column {canonical!r} is missing; its header has {header_preview(raw)}"
                + (f" (read with delimiter {raw.delimiter!r})" if len(raw.columns) == 1 else "")
            )
    durations = {}
    for target, derived in mapping.durations.items():
        if (column := _find(raw.columns, derived.column)) is not None:
            durations[target] = column
        else:
            missing_optional.append(f"{derived.column!r} (a duration for {target})")
    if missing_optional:  # one line, not one per column the export does not have
        missing_optional = ["columns the mapping names are not in the file: " + ", ".join(missing_optional)]
    if len(zones) > 1:
        raise LoadError(f"{label}: its headers name several time zones ({', '.join(sorted(zones))})")
    used = set(sources.values()) | set(durations.values()) | {c for copies in repeats.values() for c in copies}
    extras: dict[str, str] = {}
    taken = {c.lower() for c in (*canonical_columns, *keys)}  # DuckDB's column names ignore case
    for col in raw.columns:
        if col in used:
            continue
        out = col
        while out.lower() in taken or out.startswith("__sla"):
            out = f"raw_{out}"
        taken.add(out.lower())
        extras[out] = col
    return Plan(sources, extras, missing_optional, durations, repeats, next(iter(zones), None), spelled)


def header_preview(raw: Raw) -> str:
    cols = raw.columns
    shown = ", ".join(repr(c) for c in cols[:8])
    return f"{len(cols)} column{'s' if len(cols) != 1 else ''}: {shown}{', ...' if len(cols) > 8 else ''}"


def text_cell(col: str, mapping: Mapping, copies: Optional[list[str]] = None, separator: Optional[str] = None) -> ParamSql:
    """A source column as trimmed text, NULL when empty or one of the mapping's null markers; a repeated
    column's copies joined into one comma list, and a list's own separator turned into commas."""
    if copies:
        parts = ", ".join(f"NULLIF(trim(CAST({quote_ident(c)} AS VARCHAR)), '')" for c in copies)
        base = f"NULLIF(concat_ws(',', {parts}), '')"
    else:
        base = f"NULLIF(trim(CAST({quote_ident(col)} AS VARCHAR)), '')"
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


def spelled_cell(spelled: list, mapping: Mapping, separator: Optional[str] = None) -> ParamSql:
    """FIX (b) and (c), issue 27: a canonical column's text per row: the first of the file's spellings that is not
    empty on the row; a conditional spelling only where its condition holds (ignoring case)."""
    cells = []
    for column, copies, when in spelled:
        cell = text_cell(column, mapping, copies, separator)
        if when:
            holds = " AND ".join(f"lower(trim(CAST({quote_ident(c)} AS VARCHAR))) = ?" for c, _ in when)
            cell = ParamSql().add(f"(CASE WHEN {holds} THEN ", *[v.strip().lower() for _, v in when]).join(
                [cell]).add(" END)")
        cells.append(cell)
    return cells[0] if len(cells) == 1 else ParamSql().add("coalesce(").join(cells).add(")")


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


@dataclass
class TimestampParser:
    """Builds the SQL that turns text into TIMESTAMPTZ: naive text in the policy zone, offsets kept."""

    zone: str
    formats: list[str]
    slash_order: Optional[str] = None  # "day" | "month" when the file uses d/m/y or m/d/y dates

    def expr(self, t: str) -> ParamSql:
        if self.formats:
            with_zone = [f for f in self.formats if "%z" in f or "%Z" in f]
            naive = [f for f in self.formats if f not in with_zone]
            parts = []
            if with_zone:
                parts.append(ParamSql().add(f"try_strptime({t}, ?::VARCHAR[])", with_zone))
            if naive:
                parts.append(ParamSql().add(f"timezone(?, try_strptime({t}, ?::VARCHAR[]))", self.zone, naive))
            return ParamSql().add("coalesce(").join(parts).add(")")
        out = ParamSql().add(
            f"(CASE WHEN regexp_matches({t}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN "
            f"CASE WHEN regexp_matches({t}, '\\d[T ]\\d') "
            f"AND regexp_matches({t}, '(Z|UTC|[+-]\\d{{2}}(:?\\d{{2}})?)$') "
            f"THEN coalesce(try_cast({t} AS TIMESTAMPTZ), try_strptime({t}, ?::VARCHAR[])) "
            f"ELSE timezone(?, try_cast({t} AS TIMESTAMP)) END",
            _ISO_OFFSET_FORMATS,
            self.zone,
        )
        if self.slash_order:
            a, b = ("%d", "%m") if self.slash_order == "day" else ("%m", "%d")
            slash = [f.format(a=a, b=b) for f in _SLASH_FORMATS]
            out.add(
                f" WHEN regexp_matches({t}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
                f"THEN timezone(?, try_strptime({t}, ?::VARCHAR[]))",
                self.zone,
                slash,
            )
        return out.add(" ELSE NULL END)")


def detect_slash_order(con: duckdb.DuckDBPyConnection, table: str, ts_cols: list[str], label: str) -> Optional[str]:
    """Day-first or month-first, decided over every timestamp value of the file; ambiguity is an error."""
    if not ts_cols:
        return None
    values = " UNION ALL ".join(f"SELECT {ROW} AS r, {quote_ident(c)} AS v FROM {table}" for c in ts_cols)
    row = fetch_one(con.execute(
        f"""WITH v AS ({values}), s AS (
            SELECT r, v, try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 1) AS INTEGER) AS a,
                   try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 2) AS INTEGER) AS b
            FROM v WHERE regexp_matches(v, '^\\s*\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}'))
        SELECT count(*), count(*) FILTER (a > 12), count(*) FILTER (b > 12),
               arg_min(v, r) FILTER (a > 12), min(r) FILTER (a > 12),
               arg_min(v, r) FILTER (b > 12), min(r) FILTER (b > 12), arg_min(v, r)
        FROM s"""
    ))
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


def typed_cell(canonical: str, t: str, ts: TimestampParser) -> tuple[ParamSql, ParamSql]:
    """(typed value, problem text or NULL) for one canonical column given its text expression."""
    typ = TICKET_COLUMNS[canonical]
    if typ == "TIMESTAMPTZ":
        # The problem reads the parsed value by its alias (DuckDB's lateral column alias): parsed once.
        problem = ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {quote_ident(canonical)} IS NULL "
                             "THEN 'unparseable timestamp' END")
        return ts.expr(t), problem
    if canonical in ENUMS:
        allowed = ENUMS[canonical]
        value = ParamSql().add(f"CASE WHEN {t} IN ({placeholders(len(allowed))}) THEN {t} END", *allowed)
        problem = ParamSql().add(
            f"CASE WHEN {t} IS NOT NULL AND {t} NOT IN ({placeholders(len(allowed))}) THEN ? END",
            *allowed,
            f"unknown {canonical} value",
        )
        return value, problem
    if canonical in BOOLEANS:
        words = TRUE_WORDS + FALSE_WORDS
        value = ParamSql().add(
            f"CASE WHEN {t} IN ({placeholders(len(TRUE_WORDS))}) THEN true "
            f"WHEN {t} IN ({placeholders(len(FALSE_WORDS))}) THEN false END",
            *TRUE_WORDS,
            *FALSE_WORDS,
        )
        problem = ParamSql().add(
            f"CASE WHEN {t} IS NOT NULL AND {t} NOT IN ({placeholders(len(words))}) THEN 'not a boolean' END", *words
        )
        return value, problem
    if typ in ("BIGINT", "INTEGER"):
        # FIX (a), issue 27: whole numbers are checked one way, as survey scores are (digits with a sign): a
        # ticket's CSAT 4.5 is "not a whole number", left empty and counted, no longer rounded to 5.
        whole = f"(CASE WHEN regexp_full_match(trim({t}), '[+-]?[0-9]+') THEN try_cast(trim({t}) AS {typ}) END)"
        value = ParamSql().add(whole)
        if canonical == "csat":
            rule = f"WHEN {whole} NOT BETWEEN 1 AND 5 THEN 'csat out of 1..5'"
        else:
            rule = f"WHEN {whole} < 0 THEN 'negative count'"
        problem = ParamSql().add(
            f"CASE WHEN {t} IS NOT NULL AND {whole} IS NULL THEN 'not a whole number' {rule} END"
        )
        return value, problem
    return ParamSql().add(t), ParamSql().add("NULL")
