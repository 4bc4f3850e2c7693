"""Load ticket exports into typed DuckDB tables, accounting for every row.

Files are read by DuckDB's own readers (read_csv with all_varchar, read_parquet),
never through pandas, so a large export stays out of Python memory. Every row
is validated in SQL over the whole table and lands either in the typed
`tickets` / `events` tables or in `rejects` with its row number, column, value
and reason: accepted + rejected = rows read, always.

Row numbers are the file's line numbers (the header is line 1; a quoted value
spanning lines moves the next row down, as an editor shows it); for Parquet
they are 1-based row positions.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Optional, Union

import duckdb
from pydantic import BaseModel, Field

from sla_core.mapping import (
    ACTIVITY_KINDS,
    DURATION_UNITS,
    TIMESTAMP_COLUMNS,
    Mapping,
    MappingError,
    preset,
)
from sla_core.policy import Policy
from sla_core.schema import (
    EVENT_COLUMNS,
    EVENT_FIELDS,
    OWNER_TEAMS,
    RUBRIC_INPUTS,
    SEVERITIES,
    SOURCES,
    STATUSES,
    TICKET_COLUMNS,
    TIERS,
)
from sla_core.sqlutil import placeholders, quote_ident

PathLike = Union[str, Path]
SOURCES_SUPPORTED: tuple[str, ...] = ("plain", "zendesk", "jira", "freshdesk", "servicenow", "eventlog")

ROW = "__sla_row"  # internal column names, chosen not to clash with a user's header
ORD = "__sla_ord"

ENUMS: dict[str, tuple[str, ...]] = {
    "impact": TIERS,
    "severity": SEVERITIES,
    "owner_team": OWNER_TEAMS,
    "source": SOURCES,
}
COUNTS = ("customers_affected", "reopen_count")
BOOLEANS = ("regulatory", "workaround")
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
# What each event-log activity kind sets the status to (DESIGN.md "events").
KIND_STATUS = {
    "created": "new",
    "acknowledged": "open",
    "action_plan": "open",
    "reopened": "open",
    "resolved": "resolved",
    "closed": "closed",
    **{s: s for s in STATUSES},
}
TERMINAL = ("resolved", "closed")

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
_MALFORMED_REASONS = {
    "TOO MANY COLUMNS": "malformed line: too many columns",
    "MISSING COLUMNS": "malformed line: missing columns",
    "INVALID ENCODING": "not UTF-8 text",
    "UNQUOTED VALUE": "malformed line: stray quote",
    "LINE SIZE OVER MAXIMUM": "malformed line: line too long",
}


class LoadError(ValueError):
    """A file that cannot be loaded at all; the message is one line naming the file and problem."""


class LoadReport(BaseModel):
    """Counts of one load. The ticket counts are per ticket (for an event log: per ticket id seen)."""

    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    events_rows_read: int = 0
    events_accepted: int = 0
    events_rejected: int = 0
    events_reasons: dict[str, int] = Field(default_factory=dict)
    format: str = "tickets"
    notes: list[str] = Field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line (the CLIs print it)."""
        out: list[str] = []
        if self.format == "events":
            out.append(
                f"event rows read {self.events_rows_read}, accepted {self.events_accepted}, "
                f"rejected {self.events_rejected}"
            )
            out += [f"  {n} x {r}" for r, n in sorted(self.events_reasons.items(), key=lambda kv: -kv[1])]
            out.append(f"tickets seen {self.rows_read}, accepted {self.accepted}, rejected {self.rejected}")
            out += [f"  {n} x {r}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])]
        else:
            out.append(f"rows read {self.rows_read}, accepted {self.accepted}, rejected {self.rejected}")
            out += [f"  {n} x {r}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])]
            if self.events_rows_read:
                out.append(
                    f"event rows read {self.events_rows_read}, accepted {self.events_accepted}, "
                    f"rejected {self.events_rejected}"
                )
                out += [f"  {n} x {r}" for r, n in sorted(self.events_reasons.items(), key=lambda kv: -kv[1])]
        out += [f"note: {n}" for n in self.notes]
        return out


@dataclass
class _Sql:
    """SQL text built in order with its `?` parameters."""

    text: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> "_Sql":
        self.text.append(sql)
        self.params.extend(params)
        return self

    def join(self, parts: list["_Sql"], sep: str = ", ") -> "_Sql":
        for i, part in enumerate(parts):
            if i:
                self.text.append(sep)
            self.text.extend(part.text)
            self.params.extend(part.params)
        return self

    @property
    def sql(self) -> str:
        return "".join(self.text)


# --------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    table: str
    columns: list[str]  # source columns, in file order
    parsed: int
    malformed: int
    delimiter: str = ","


def _read_raw(con: duckdb.DuckDBPyConnection, path: PathLike, table: str, label: str) -> _Raw:
    """Read a file into `table` (all VARCHAR plus ROW), and its malformed lines into `table`_bad."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise LoadError(f"{label} {name}: no such file")
    if path.stat().st_size == 0:
        raise LoadError(f"{label} {name}: the file is empty")
    con.execute(f"DROP TABLE IF EXISTS {table}_bad")
    con.execute(f"CREATE TEMP TABLE {table}_bad (row_number BIGINT, reason VARCHAR, value VARCHAR)")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(con, path, table, label)
    return _read_csv(con, path, table, label)


def _refuse_binary_header(cols: list[str], path: Path, label: str) -> None:
    """NUL bytes in column names mean UTF-16 text or a binary file: one clear line, not a traceback."""
    if not any("\x00" in c for c in cols):
        return
    with path.open("rb") as f:
        utf16 = f.read(2) in (b"\xff\xfe", b"\xfe\xff")
    hint = "the file is UTF-16: save it as UTF-8 CSV" if utf16 else "a binary file, not a CSV?"
    raise LoadError(f"{label} {path.name}: the header holds NUL bytes ({hint})")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> _Raw:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: not a readable Parquet file ({_first_line(err)})") from None
    cols = [row[0] for row in described if row[0] != "file_row_number"]
    _refuse_binary_header(cols, path, label)
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT file_row_number + 1 AS {ROW}, {casts} "
        "FROM read_parquet(?, file_row_number = true)",
        [str(path)],
    )
    parsed = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if parsed == 0:
        raise LoadError(f"{label} {path.name}: the file has columns but no rows")
    return _Raw(table, cols, parsed, 0)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> _Raw:
    rej, scan = f"{table}_rj", f"{table}_rs"
    con.execute(f"DROP TABLE IF EXISTS {rej}")
    con.execute(f"DROP TABLE IF EXISTS {scan}")
    con.execute(f"DROP TABLE IF EXISTS {table}_0")
    try:
        con.execute(
            f"CREATE TEMP TABLE {table}_0 AS SELECT * FROM read_csv(?, all_varchar = true, header = true, "
            f"store_rejects = true, rejects_table = '{rej}', rejects_scan = '{scan}')",
            [str(path)],
        )
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: cannot read as CSV ({_first_line(err)})") from None
    cols = [d[0] for d in con.execute(f"SELECT * FROM {table}_0 LIMIT 0").description]
    _refuse_binary_header(cols, path, label)
    parsed = con.execute(f"SELECT count(*) FROM {table}_0").fetchone()[0]
    scan_row = con.execute(f"SELECT delimiter, skip_rows FROM {scan} LIMIT 1").fetchone()
    delimiter, skip = (scan_row[0], int(scan_row[1] or 0)) if scan_row else (",", 0)
    # One malformed record may be reported once per problem: count lines, not errors.
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT line, arg_min(error_type::VARCHAR, column_idx), arg_min(csv_line, column_idx)
        FROM {rej} GROUP BY line"""
    )
    malformed = con.execute(f"SELECT count(*) FROM {table}_bad").fetchone()[0]
    if parsed == 0 and malformed == 0:
        if cols == ["column0"] and not path.read_bytes()[:4096].strip(b"\xef\xbb\xbf \r\n\t"):
            raise LoadError(f"{label} {path.name}: the file is empty")
        raise LoadError(f"{label} {path.name}: the file has a header but no data rows")
    if parsed == 0:
        top = con.execute(f"SELECT reason FROM {table}_bad GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        raise LoadError(
            f"{label} {path.name}: none of its {malformed} data lines could be read ({_malformed_reason(top)}); "
            f"is {delimiter!r} the right delimiter?"
        )
    _number_rows(con, table, cols, first_line=2 + skip)
    for error_type, reason in _MALFORMED_REASONS.items():
        con.execute(f"UPDATE {table}_bad SET reason = ? WHERE reason = ?", [reason, error_type])
    con.execute(
        f"UPDATE {table}_bad SET reason = 'malformed line: ' || lower(reason) WHERE reason NOT IN "
        f"({placeholders(len(_MALFORMED_REASONS))})",
        list(_MALFORMED_REASONS.values()),
    )
    con.execute(f"DROP TABLE IF EXISTS {rej}")
    con.execute(f"DROP TABLE IF EXISTS {scan}")
    return _Raw(table, cols, parsed, malformed, delimiter)


def _malformed_reason(error_type: str) -> str:
    return _MALFORMED_REASONS.get(error_type, f"malformed line: {error_type.lower()}")


def _number_rows(con: duckdb.DuckDBPyConnection, table: str, cols: list[str], first_line: int) -> None:
    """Give parsed and malformed records the file line they start on.

    DuckDB numbers malformed records by record (header = 1), and parsed records
    keep file order (rowid). A record spans 1 + (newlines inside its quoted
    values) lines, so both are turned into physical line numbers here. The
    malformed records before parsed record k are counted with an ASOF join
    (malformed record j precedes parsed k when d_j - (j - 1) <= k).
    """
    newlines = " + ".join(
        f"coalesce(length({quote_ident(c)}) - length(replace({quote_ident(c)}, chr(10), '')), 0)" for c in cols
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_bad_n AS
        SELECT row_number - 1 AS d, row_number() OVER (ORDER BY row_number) AS j, reason, value FROM {table}_bad"""
    )
    multiline = newlines and con.execute(
        "SELECT bool_or(" + " OR ".join(f"contains({quote_ident(c)}, chr(10))" for c in cols) + f") FROM {table}_0"
    ).fetchone()[0]
    if multiline:
        before = "coalesce(sum(span) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
    else:
        before = "k - 1"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_placed AS
        WITH spans AS (SELECT rowid + 1 AS k, rowid AS {ORD}, 1 + {newlines or '0'} AS span, * FROM {table}_0)
        SELECT *, {before} AS before FROM spans"""
    )
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"""CREATE TEMP TABLE {table} AS
        WITH steps AS (SELECT d - (j - 1) AS t, max(j) AS j FROM {table}_bad_n GROUP BY 1)
        SELECT {first_line} + p.before + coalesce(s.j, 0) AS {ROW}, p.* EXCLUDE ({ORD}, k, span, before)
        FROM {table}_placed p ASOF LEFT JOIN steps s ON p.k >= s.t
        ORDER BY p.k"""
    )
    con.execute(f"DELETE FROM {table}_bad")
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT {first_line} + coalesce(p.before + p.span, 0) + (b.j - 1), b.reason, b.value
        FROM {table}_bad_n b LEFT JOIN {table}_placed p ON p.k = b.d - b.j"""
    )
    for t in (f"{table}_0", f"{table}_bad_n", f"{table}_placed"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


# --------------------------------------------------------------------------- typing


@dataclass
class _Plan:
    """Which source column feeds each canonical column, and what stays an extra."""

    sources: dict[str, str]  # canonical -> source column present in the file
    extras: dict[str, str]  # output name -> source column
    missing_optional: list[str]
    durations: dict[str, str]  # canonical target -> source column of the duration


def _plan(raw: _Raw, mapping: Mapping, label: str, required: tuple[str, ...], keys: tuple[str, ...] = ()) -> _Plan:
    present = set(raw.columns)
    sources: dict[str, str] = {}
    missing_optional: list[str] = []
    for canonical in (*keys, *TICKET_COLUMNS):
        if canonical in sources:
            continue
        if canonical in mapping.columns:
            src = mapping.columns[canonical]
            if src in present:
                sources[canonical] = src
            elif canonical in required:
                raise LoadError(
                    f"{label}: required column {src!r} (for {canonical}) is not in the file; "
                    f"its header has {_header_preview(raw)}"
                )
            else:
                missing_optional.append(f"column {src!r} (for {canonical}) is not in the file")
        elif canonical in present:
            sources[canonical] = canonical
    for canonical in required:
        if canonical not in sources:
            raise LoadError(
                f"{label}: required column {canonical!r} is missing; its header has {_header_preview(raw)}"
                + (f" (read with delimiter {raw.delimiter!r})" if len(raw.columns) == 1 else "")
            )
    durations = {}
    for target, derived in mapping.durations.items():
        if derived.column in present:
            durations[target] = derived.column
        else:
            missing_optional.append(f"column {derived.column!r} (duration for {target}) is not in the file")
    used = set(sources.values()) | set(durations.values())
    extras: dict[str, str] = {}
    taken = set(TICKET_COLUMNS) | set(keys)
    for col in raw.columns:
        if col in used:
            continue
        out = col
        while out in taken or out.startswith("__sla"):
            out = f"raw_{out}"
        taken.add(out)
        extras[out] = col
    return _Plan(sources, extras, missing_optional, durations)


def _header_preview(raw: _Raw) -> str:
    cols = raw.columns
    shown = ", ".join(repr(c) for c in cols[:8])
    return f"{len(cols)} column{'s' if len(cols) != 1 else ''}: {shown}{', ...' if len(cols) > 8 else ''}"


def _text(col: str, mapping: Mapping) -> _Sql:
    """A source column as trimmed text, NULL when empty or one of the mapping's null markers."""
    base = f"NULLIF(trim(CAST({quote_ident(col)} AS VARCHAR)), '')"
    if not mapping.null_values:
        return _Sql().add(base)
    return _Sql().add(
        f"(CASE WHEN {base} IN ({placeholders(len(mapping.null_values))}) THEN NULL ELSE {base} END)",
        *mapping.null_values,
    )


def _valued(expr: str, canonical: str, mapping: Mapping) -> _Sql:
    """Translate through the mapping's `values` for this column; `*` maps any other non-empty value."""
    table = mapping.values.get(canonical, {})
    lowered = canonical in ENUMS or canonical in BOOLEANS
    default = f"lower({expr})" if lowered else expr
    if not table:
        return _Sql().add(default)
    out = _Sql().add(f"(CASE WHEN {expr} IS NULL THEN NULL")
    for key, value in table.items():
        if key == "*":
            continue
        out.add(" WHEN lower(" + expr + ") = ? THEN ?", key.strip().lower(), value)
    if "*" in table:
        out.add(" ELSE ? END)", table["*"])
    else:
        out.add(f" ELSE {default} END)")
    return out


@dataclass
class _TimestampParser:
    """Builds the SQL that turns text into TIMESTAMPTZ: naive text in the policy zone, offsets kept."""

    zone: str
    formats: list[str]
    slash_order: Optional[str] = None  # "day" | "month" when the file uses d/m/y or m/d/y dates

    def expr(self, t: str) -> _Sql:
        if self.formats:
            with_zone = [f for f in self.formats if "%z" in f or "%Z" in f]
            naive = [f for f in self.formats if f not in with_zone]
            parts = []
            if with_zone:
                parts.append(_Sql().add(f"try_strptime({t}, ?::VARCHAR[])", with_zone))
            if naive:
                parts.append(_Sql().add(f"timezone(?, try_strptime({t}, ?::VARCHAR[]))", self.zone, naive))
            return _Sql().add("coalesce(").join(parts).add(")")
        out = _Sql().add(
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


def _detect_slash_order(con: duckdb.DuckDBPyConnection, table: str, ts_cols: list[str], label: str) -> Optional[str]:
    """Day-first or month-first, decided over every timestamp value of the file; ambiguity is an error."""
    if not ts_cols:
        return None
    values = " UNION ALL ".join(f"SELECT {ROW} AS r, {quote_ident(c)} AS v FROM {table}" for c in ts_cols)
    row = con.execute(
        f"""WITH v AS ({values}), s AS (
            SELECT r, v, try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 1) AS INTEGER) AS a,
                   try_cast(regexp_extract(v, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', 2) AS INTEGER) AS b
            FROM v WHERE regexp_matches(v, '^\\s*\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}'))
        SELECT count(*), count(*) FILTER (a > 12), count(*) FILTER (b > 12),
               arg_min(v, r) FILTER (a > 12), min(r) FILTER (a > 12),
               arg_min(v, r) FILTER (b > 12), min(r) FILTER (b > 12), arg_min(v, r)
        FROM s"""
    ).fetchone()
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


def _typed(canonical: str, t: str, ts: _TimestampParser) -> tuple[_Sql, _Sql]:
    """(typed value, problem text or NULL) for one canonical column given its text expression."""
    typ = TICKET_COLUMNS[canonical]
    if typ == "TIMESTAMPTZ":
        # The problem reads the parsed value by its alias (DuckDB's lateral column alias): parsed once.
        problem = _Sql().add(f"CASE WHEN {t} IS NOT NULL AND {quote_ident(canonical)} IS NULL "
                             "THEN 'unparseable timestamp' END")
        return ts.expr(t), problem
    if canonical in ENUMS:
        allowed = ENUMS[canonical]
        value = _Sql().add(f"CASE WHEN {t} IN ({placeholders(len(allowed))}) THEN {t} END", *allowed)
        problem = _Sql().add(
            f"CASE WHEN {t} IS NOT NULL AND {t} NOT IN ({placeholders(len(allowed))}) THEN ? END",
            *allowed,
            f"unknown {canonical} value",
        )
        return value, problem
    if canonical in BOOLEANS:
        words = TRUE_WORDS + FALSE_WORDS
        value = _Sql().add(
            f"CASE WHEN {t} IN ({placeholders(len(TRUE_WORDS))}) THEN true "
            f"WHEN {t} IN ({placeholders(len(FALSE_WORDS))}) THEN false END",
            *TRUE_WORDS,
            *FALSE_WORDS,
        )
        problem = _Sql().add(
            f"CASE WHEN {t} IS NOT NULL AND {t} NOT IN ({placeholders(len(words))}) THEN 'not a boolean' END", *words
        )
        return value, problem
    if typ in ("BIGINT", "INTEGER"):
        value = _Sql().add(f"try_cast({t} AS {typ})")
        if canonical == "csat":
            rule = f"WHEN try_cast({t} AS {typ}) NOT BETWEEN 1 AND 5 THEN 'csat out of 1..5'"
        else:
            rule = f"WHEN try_cast({t} AS {typ}) < 0 THEN 'negative count'"
        problem = _Sql().add(
            f"CASE WHEN {t} IS NOT NULL AND try_cast({t} AS {typ}) IS NULL THEN 'not a whole number' {rule} END"
        )
        return value, problem
    return _Sql().add(t), _Sql().add("NULL")


# --------------------------------------------------------------------------- tickets (one row per ticket)


def _stage_typed(
    con: duckdb.DuckDBPyConnection,
    raw: _Raw,
    plan: _Plan,
    mapping: Mapping,
    policy: Policy,
    label: str,
    out: str,
    keys: tuple[str, ...] = (),
) -> list[str]:
    """Create `out`: ROW, typed canonical columns (plus __n source text and __p problems), and the extras."""
    norm = f"{out}_n"
    parts = [_Sql().add(ROW)]
    for canonical, src in plan.sources.items():
        parts.append(_Sql().join([_text(src, mapping)]).add(f" AS {quote_ident(canonical + '__n')}"))
    for target, src in plan.durations.items():
        parts.append(_Sql().join([_text(src, mapping)]).add(f" AS {quote_ident(target + '__dur')}"))
    for name, src in plan.extras.items():
        parts.append(_Sql().add(f"{quote_ident(src)} AS {quote_ident(name)}"))
    sel = _Sql().add(f"CREATE OR REPLACE TEMP TABLE {norm} AS SELECT ").join(parts).add(f" FROM {raw.table}")
    con.execute(sel.sql, sel.params)

    ts_cols = [c for c in plan.sources if c in TIMESTAMP_COLUMNS or c == "at"]
    order = None
    if not mapping.formats:
        order = _detect_slash_order(con, norm, [c + "__n" for c in ts_cols], label)
    parser = _TimestampParser(policy.timezone, mapping.formats, order)

    canon = [c for c in plan.sources if c in TICKET_COLUMNS]
    valued = [_Sql().add(ROW)]
    for c in canon:
        valued.append(_Sql().join([_valued(quote_ident(c + "__n"), c, mapping)]).add(f" AS {quote_ident(c + '__t')}"))
        valued.append(_Sql().add(quote_ident(c + "__n")))
    for k in keys:
        if k in plan.sources:
            valued.append(_Sql().add(f"{quote_ident(k + '__n')} AS {quote_ident(k + '__t')}"))
    for target in plan.durations:
        valued.append(_Sql().add(f"{quote_ident(target + '__dur')}"))
    for name in plan.extras:
        valued.append(_Sql().add(quote_ident(name)))
    inner = _Sql().add("SELECT ").join(valued).add(f" FROM {norm}")

    outer = [_Sql().add(ROW)]
    for c in canon:
        t = quote_ident(c + "__t")
        value, problem = _typed(c, t, parser)
        outer.append(_Sql().join([value]).add(f" AS {quote_ident(c)}"))
        outer.append(_Sql().join([problem]).add(f" AS {quote_ident(c + '__p')}"))
        outer.append(_Sql().add(quote_ident(c + "__n")))
    if "at" in keys and "at" in plan.sources:
        t = quote_ident("at__t")
        outer.append(_Sql().join([parser.expr(t)]).add(' AS "at"'))
        outer.append(_Sql().add(f"CASE WHEN {t} IS NOT NULL AND \"at\" IS NULL THEN 'unparseable timestamp' END "
                                '"at__p"'))
        outer.append(_Sql().add(t))
    for k in keys:
        if k != "at" and k in plan.sources:
            outer.append(_Sql().add(f"{quote_ident(k + '__t')} AS {quote_ident(k)}"))
    for target in plan.durations:
        d = quote_ident(target + "__dur")
        outer.append(_Sql().add(f"try_cast({d} AS DOUBLE) * ? AS {quote_ident(target + '__secs')}",
                                DURATION_UNITS[mapping.durations[target].unit]))
        outer.append(_Sql().add(
            f"CASE WHEN {d} IS NOT NULL AND try_cast({d} AS DOUBLE) IS NULL THEN 'not a number' "
            f"WHEN try_cast({d} AS DOUBLE) < 0 THEN 'negative duration' END AS {quote_ident(target + '__dp')}"
        ))
        outer.append(_Sql().add(d))
    for name in plan.extras:
        outer.append(_Sql().add(quote_ident(name)))
    sel = _Sql().add(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT ").join(outer).add(" FROM (").join([inner]).add(")")
    con.execute(sel.sql, sel.params)
    con.execute(f"DROP TABLE IF EXISTS {norm}")
    return canon


def _apply_durations(con: duckdb.DuckDBPyConnection, table: str, plan: _Plan, mapping: Mapping) -> None:
    """Fill a timestamp from `since` + duration where the file gives the duration instead of the time."""
    for target in plan.durations:
        since = mapping.durations[target].since
        if since not in plan.sources:
            continue
        secs = quote_ident(target + "__secs")
        tgt = quote_ident(target)
        if target not in plan.sources:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {tgt} TIMESTAMPTZ")
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(target + '__p')} VARCHAR")
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(target + '__n')} VARCHAR")
        con.execute(
            f"UPDATE {table} SET {tgt} = {quote_ident(since)} + to_microseconds(CAST(round({secs} * 1e6) AS BIGINT)) "
            f"WHERE {tgt} IS NULL AND {secs} IS NOT NULL AND {secs} >= 0"
        )
        con.execute(
            f"UPDATE {table} SET {quote_ident(target + '__p')} = {quote_ident(target + '__dp')}, "
            f"{quote_ident(target + '__n')} = {quote_ident(target + '__dur')} "
            f"WHERE {quote_ident(target + '__p')} IS NULL AND {quote_ident(target + '__dp')} IS NOT NULL"
        )


def _ticket_rules(cols: set[str]) -> list[tuple[str, str, str]]:
    """Cross-column rules: (column reported, SQL condition of a bad row, reason)."""
    rules = []
    stops = (("resolved_at", "resolved"), ("acknowledged_at", "acknowledged"), ("action_plan_at", "action plan"))
    for ts, what in stops:
        if ts in cols and "created_at" in cols:
            rules.append((ts, f"{quote_ident(ts)} < created_at", f"{what} before created"))
    has_impact = "impact IS NOT NULL" if "impact" in cols else "false"
    rubric = " OR ".join(f"{quote_ident(c)} IS NOT NULL" for c in RUBRIC_INPUTS if c in cols) or "false"
    rules.append(("impact", f"NOT ({has_impact} OR {rubric})", "no impact and no rubric inputs"))
    return rules


def _reject_expr(checks: list[tuple[str, str, str, str]]) -> tuple[str, str, str]:
    """CASE expressions (column, value, reason) picking the first failing check.

    Each check is (column name, SQL condition, SQL value expression, SQL reason expression).
    """
    col_case = " ".join(f"WHEN {cond} THEN '{col}'" for col, cond, _, _ in checks)
    val_case = " ".join(f"WHEN {cond} THEN CAST({val} AS VARCHAR)" for _, cond, val, _ in checks)
    why_case = " ".join(f"WHEN {cond} THEN {why}" for _, cond, _, why in checks)
    return f"CASE {col_case} END", f"CASE {val_case} END", f"CASE {why_case} END"


def _load_ticket_rows(
    con: duckdb.DuckDBPyConnection, raw: _Raw, mapping: Mapping, policy: Policy, label: str, notes: list[str]
) -> list[str]:
    """Typed `tickets` from a one-row-per-ticket file; rejects go to _rejects. Returns extra column names."""
    plan = _plan(raw, mapping, label, required=("ticket_id", "created_at"))
    notes.extend(f"{label}: {m}" for m in plan.missing_optional)
    typed = "_load_t_typed"
    canon = _stage_typed(con, raw, plan, mapping, policy, label, typed)
    _apply_durations(con, typed, plan, mapping)
    present = set(canon) | {t for t in plan.durations if mapping.durations[t].since in plan.sources}

    # Duplicates compare the whole source row: identical copies are harmless, conflicting ones undecidable.
    all_cols = list(raw.columns)
    row_struct = "struct_pack(" + ", ".join(f"c{i} := {quote_ident(c)}" for i, c in enumerate(all_cols)) + ")"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_t_dups AS
        WITH r AS (SELECT {ROW} AS r, NULLIF(trim(CAST({quote_ident(plan.sources['ticket_id'])} AS VARCHAR)), '') AS id,
                          {row_struct} AS s FROM {raw.table}),
        repeated AS (SELECT id FROM r WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1),
        g AS (SELECT id, count(DISTINCT s) AS variants FROM r SEMI JOIN repeated USING (id) GROUP BY id)
        SELECT r.r, g.variants, row_number() OVER (PARTITION BY r.id ORDER BY r.r) AS nth
        FROM r JOIN g USING (id)"""
    )

    checks: list[tuple[str, str, str, str]] = [
        ("ticket_id", "ticket_id IS NULL", "NULL", "'missing required value'"),
        ("ticket_id", "d.variants > 1", "ticket_id", "'duplicate ticket_id with conflicting values'"),
        ("ticket_id", "d.nth > 1", "ticket_id", "'duplicate row'"),
        ("created_at", "created_at__n IS NULL", "NULL", "'missing required value'"),
    ]
    for col in [c for c in TICKET_COLUMNS if c in present]:
        p = quote_ident(col + "__p")
        checks.append((col, f"{p} IS NOT NULL", quote_ident(col + "__n"), p))
    for col, cond, why in _ticket_rules(present):
        checks.append((col, cond, quote_ident(col + "__n") if col in present else "NULL", f"'{why}'"))
    col_case, val_case, why_case = _reject_expr(checks)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_t_checked AS
        SELECT t.*, {col_case} AS __col, {val_case} AS __val, {why_case} AS __why
        FROM {typed} t LEFT JOIN _load_t_dups d ON d.r = t.{ROW}"""
    )
    select_cols = [
        f"{quote_ident(c)}" if c in present else f"CAST(NULL AS {TICKET_COLUMNS[c]}) AS {quote_ident(c)}"
        for c in TICKET_COLUMNS
    ]
    extras = list(plan.extras)
    select_cols += [quote_ident(e) for e in extras]
    con.execute(
        f"CREATE OR REPLACE TABLE tickets AS SELECT {', '.join(select_cols)} FROM _load_t_checked "
        f"WHERE __why IS NULL ORDER BY {ROW}"
    )
    con.execute(
        f"""INSERT INTO _rejects SELECT {ROW}, __col, __val, __why, 'tickets', ticket_id
        FROM _load_t_checked WHERE __why IS NOT NULL"""
    )
    con.execute(f"INSERT INTO _rejects SELECT row_number, NULL, value, reason, 'tickets', NULL FROM {raw.table}_bad")
    for t in (typed, "_load_t_dups", "_load_t_checked"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return extras


# --------------------------------------------------------------------------- events (plain events file)


def _load_event_rows(con: duckdb.DuckDBPyConnection, raw: _Raw, policy: Policy, label: str) -> None:
    """Typed `events` from a plain events file (ticket_id, at, field, value)."""
    missing = [c for c in ("ticket_id", "at", "field", "value") if c not in raw.columns]
    if missing:
        raise LoadError(
            f"{label}: required column {missing[0]!r} is missing; its header has {_header_preview(raw)}"
        )
    order = _detect_slash_order(con, raw.table, ["at"], label)
    parser = _TimestampParser(policy.timezone, [], order)
    t = "NULLIF(trim(CAST(\"at\" AS VARCHAR)), '')"
    at_expr = parser.expr("at_t")
    fields = EVENT_FIELDS
    sel = _Sql().add(
        f"""CREATE OR REPLACE TEMP TABLE _load_e_typed AS
        SELECT {ROW}, ticket_id, at_t, field, value_t,
               CASE WHEN field = 'status' AND value_t = 'reopened' THEN 'open' ELSE value_t END AS value,
               """
    ).join([at_expr]).add(
        f""" AS at
        FROM (SELECT {ROW}, NULLIF(trim("ticket_id"), '') AS ticket_id, {t} AS at_t,
                     lower(NULLIF(trim("field"), '')) AS field,
                     CASE WHEN lower(trim("field")) IN ('status', 'impact', 'owner_team')
                          THEN lower(NULLIF(trim("value"), '')) ELSE NULLIF(trim("value"), '') END AS value_t
              FROM {raw.table})"""
    )
    con.execute(sel.sql, sel.params)
    status_in = placeholders(len(STATUSES))
    params = [*fields, *STATUSES, *TIERS, *OWNER_TEAMS]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_e_checked AS
        SELECT e.*, CASE
            WHEN ticket_id IS NULL THEN 'ticket_id'
            WHEN at_t IS NULL OR "at" IS NULL THEN 'at'
            WHEN field IS NULL OR field NOT IN ({placeholders(len(fields))}) THEN 'field'
            WHEN value IS NULL THEN 'value'
            WHEN field = 'status' AND value NOT IN ({status_in}) THEN 'value'
            WHEN field = 'impact' AND value NOT IN ({placeholders(len(TIERS))}) THEN 'value'
            WHEN field = 'owner_team' AND value NOT IN ({placeholders(len(OWNER_TEAMS))}) THEN 'value'
            WHEN k.known IS NULL THEN 'ticket_id'
          END AS __col
        FROM _load_e_typed e LEFT JOIN (SELECT DISTINCT ticket_id AS known FROM tickets) k ON k.known = e.ticket_id""",
        params,
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _load_e_checked2 AS
        SELECT *, CASE
            WHEN __col IS NULL THEN NULL
            WHEN __col = 'ticket_id' AND ticket_id IS NULL THEN 'missing required value'
            WHEN __col = 'at' AND at_t IS NULL THEN 'missing required value'
            WHEN __col = 'at' THEN 'unparseable timestamp'
            WHEN __col = 'field' AND field IS NULL THEN 'missing required value'
            WHEN __col = 'field' THEN 'unknown event field'
            WHEN __col = 'value' AND value IS NULL THEN 'missing required value'
            WHEN __col = 'value' THEN 'unknown ' || field || ' value'
            ELSE 'no accepted ticket with this id' END AS __why,
          CASE __col WHEN 'at' THEN at_t WHEN 'field' THEN field WHEN 'value' THEN value_t
                     ELSE ticket_id END AS __val
        FROM _load_e_checked"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE events AS
        SELECT ticket_id, "at", field, value, CAST({ROW} AS BIGINT) AS seq
        FROM _load_e_checked2 WHERE __why IS NULL ORDER BY ticket_id, "at", seq"""
    )
    con.execute(
        f"""INSERT INTO _rejects SELECT {ROW}, __col, __val, __why, 'events', ticket_id
        FROM _load_e_checked2 WHERE __why IS NOT NULL"""
    )
    con.execute(f"INSERT INTO _rejects SELECT row_number, NULL, value, reason, 'events', NULL FROM {raw.table}_bad")
    for tname in ("_load_e_typed", "_load_e_checked", "_load_e_checked2"):
        con.execute(f"DROP TABLE IF EXISTS {tname}")


# --------------------------------------------------------------------------- event logs (one row per activity)


def _load_event_log(
    con: duckdb.DuckDBPyConnection, raw: _Raw, mapping: Mapping, policy: Policy, label: str, notes: list[str]
) -> list[str]:
    """Derive `tickets` and `events` from an activity log, in SQL over the whole log."""
    plan = _plan(raw, mapping, label, required=("ticket_id", "at", "activity"), keys=("at", "activity", "order"))
    notes.extend(f"{label}: {m}" for m in plan.missing_optional)
    typed = "_load_l_typed"
    canon = _stage_typed(con, raw, plan, mapping, policy, label, typed, keys=("at", "activity", "order"))
    _apply_durations(con, typed, plan, mapping)
    present = [c for c in canon if c != "ticket_id"]

    # Activity kind, via the mapping's activities (case-insensitive); NULL = unmapped, kept as history.
    kind = _Sql().add("CASE")
    for key, value in mapping.activities.items():
        kind.add(" WHEN lower(activity) = ? THEN ?", key.strip().lower(), value)
    kind.add(" END")
    has_order = "order" in plan.sources
    ord_expr = 'try_cast("order" AS DOUBLE)' if has_order else "NULL::DOUBLE"
    row_checks: list[tuple[str, str, str, str]] = [
        ("ticket_id", "ticket_id IS NULL", "NULL", "'missing required value'"),
        ("at", "at__t IS NULL", "NULL", "'missing required value'"),
        ("at", "at__p IS NOT NULL", "at__t", "at__p"),
        ("activity", "activity IS NULL", "NULL", "'missing required value'"),
    ]
    if has_order:
        row_checks.append(("order", '"order" IS NOT NULL AND try_cast("order" AS DOUBLE) IS NULL', '"order"',
                           "'not a number'"))
    for col in [c for c in TICKET_COLUMNS if c in present or c in plan.durations]:
        p = quote_ident(col + "__p")
        row_checks.append((col, f"{p} IS NOT NULL", quote_ident(col + "__n"), p))
    col_case, val_case, why_case = _reject_expr(row_checks)
    sel = _Sql().add(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_rows AS
        SELECT t.*, {ord_expr} AS __ord, ("""
    ).join([kind]).add(
        f""") AS __kind, {col_case} AS __col, {val_case} AS __val, {why_case} AS __why FROM {typed} t"""
    )
    con.execute(sel.sql, sel.params)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_ok AS
        SELECT *, row_number() OVER (PARTITION BY ticket_id ORDER BY __ord NULLS LAST, "at", {ROW}) AS __pos,
               CASE __kind {' '.join(f"WHEN '{k}' THEN '{v}'" for k, v in KIND_STATUS.items())} END AS __status
        FROM _load_l_rows WHERE __why IS NULL"""
    )

    # Per ticket: derived times (DESIGN.md event-log rules) next to what the mapped columns say.
    last = lambda c: f"arg_max({quote_ident(c)}, __pos)"  # noqa: E731 - the last row's value
    last_nn = lambda c: f"arg_max({quote_ident(c)}, __pos) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"  # noqa: E731
    first_nn = lambda c: f"arg_min({quote_ident(c)}, __pos) FILTER (WHERE {quote_ident(c)} IS NOT NULL)"  # noqa: E731
    aggs = [
        f"min({ROW}) AS __first_row",
        'min("at") AS __first_at',
        """min("at") FILTER (WHERE __kind = 'created') AS __created""",
        """min("at") FILTER (WHERE __kind = 'acknowledged') AS __ack""",
        """min("at") FILTER (WHERE __kind = 'action_plan') AS __plan""",
        "arg_max(__status, __pos) FILTER (WHERE __status IS NOT NULL) AS __final_status",
        f"max(__pos) FILTER (WHERE __status IS NOT NULL AND __status NOT IN {TERMINAL}) AS __last_open_pos",
    ]
    for c in present:
        if c == "impact":
            aggs.append(f"{first_nn(c)} AS {quote_ident(c)}")
        elif c == "owner_team":
            aggs.append(f"{last_nn(c)} AS {quote_ident(c)}")
        else:
            aggs.append(f"{last(c)} AS {quote_ident(c)}")
        aggs.append(f"{last(c + '__n')} AS {quote_ident(c + '__n')}")
    for target in plan.durations:
        if target not in present:
            aggs.append(f"{last(target)} AS {quote_ident(target)}")
    for e in plan.extras:
        aggs.append(f"{last(e)} AS {quote_ident(e)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _load_l_agg AS SELECT ticket_id, {', '.join(aggs)} "
        "FROM _load_l_ok GROUP BY ticket_id"
    )
    # Transitions: the start of the final resolved/closed run, and reopens (terminal -> other status).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_flow AS
        WITH s AS (
            SELECT ticket_id, "at", __pos, __status,
                   lag(__status) OVER (PARTITION BY ticket_id ORDER BY __pos) AS prev
            FROM _load_l_ok WHERE __status IS NOT NULL)
        SELECT s.ticket_id,
               min(s."at") FILTER (WHERE s.__status IN {TERMINAL} AND s.__pos > coalesce(a.__last_open_pos, 0))
                   AS __resolved,
               count(*) FILTER (WHERE s.prev IN {TERMINAL} AND s.__status NOT IN {TERMINAL}) AS __reopens
        FROM s JOIN _load_l_agg a USING (ticket_id) GROUP BY s.ticket_id"""
    )

    def derived(col: str, fallback: str) -> str:
        if col in present or col in plan.durations:
            return f"coalesce(a.{quote_ident(col)}, {fallback})"
        return fallback

    resolved_derived = f"CASE WHEN a.__final_status IN {TERMINAL} THEN f.__resolved END"
    computed = {
        "created_at": derived("created_at", "coalesce(a.__created, a.__first_at)"),
        "acknowledged_at": derived("acknowledged_at", "a.__ack"),
        "action_plan_at": derived("action_plan_at", "a.__plan"),
        "resolved_at": derived("resolved_at", resolved_derived),
        "reopen_count": derived("reopen_count", "CAST(coalesce(f.__reopens, 0) AS INTEGER)"),
    }
    cols_sql = []
    for c, typ in TICKET_COLUMNS.items():
        if c == "ticket_id":
            cols_sql.append("a.ticket_id")
        elif c in computed:
            cols_sql.append(f"CAST({computed[c]} AS {typ}) AS {quote_ident(c)}")
        elif c in present:
            cols_sql.append(f"a.{quote_ident(c)}")
        else:
            cols_sql.append(f"CAST(NULL AS {typ}) AS {quote_ident(c)}")
    raw_text = [f"a.{quote_ident(c + '__n')}" for c in present]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_tickets AS
        SELECT {', '.join(cols_sql)}, a.__first_row{''.join(', ' + r for r in raw_text)}
               {''.join(', a.' + quote_ident(e) for e in plan.extras)}
        FROM _load_l_agg a LEFT JOIN _load_l_flow f USING (ticket_id)"""
    )
    # Ticket-level rules; a ticket whose every row was rejected is rejected too.
    t_checks = []
    for col, cond, why in _ticket_rules(set(TICKET_COLUMNS)):
        val = quote_ident(col + "__n") if col in present else (
            f"CAST({quote_ident(col)} AS VARCHAR)" if col in TICKET_COLUMNS else "NULL")
        t_checks.append((col, cond, val, f"'{why}'"))
    col_case, val_case, why_case = _reject_expr(t_checks)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_l_checked AS
        SELECT t.*, {col_case} AS __col, {val_case} AS __val, {why_case} AS __why FROM _load_l_tickets t"""
    )
    extras = list(plan.extras)
    out_cols = [quote_ident(c) for c in TICKET_COLUMNS] + [quote_ident(e) for e in extras]
    con.execute(
        f"CREATE OR REPLACE TABLE tickets AS SELECT {', '.join(out_cols)} FROM _load_l_checked "
        "WHERE __why IS NULL ORDER BY __first_row"
    )
    con.execute(
        """INSERT INTO _rejects SELECT __first_row, __col, __val, __why, 'tickets', ticket_id
        FROM _load_l_checked WHERE __why IS NOT NULL"""
    )
    con.execute(
        f"""INSERT INTO _rejects
        SELECT min({ROW}), 'ticket_id', ticket_id, 'no valid event rows', 'tickets', ticket_id
        FROM _load_l_rows WHERE ticket_id IS NOT NULL
        GROUP BY ticket_id HAVING count(*) FILTER (WHERE __why IS NULL) = 0"""
    )

    # Events: one status (or history) event per accepted row; impact / owner_team where they change.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _load_l_ev AS
        SELECT ticket_id, "at", CASE WHEN __status IS NULL THEN 'activity' ELSE 'status' END AS field,
               coalesce(__status, activity) AS value, __pos, 2 AS __k
        FROM _load_l_ok"""
    )
    for c, k in (("impact", 0), ("owner_team", 1)):
        if c not in present:
            continue
        q = quote_ident(c)
        with_first = "true" if c == "owner_team" else "false"
        con.execute(
            f"""INSERT INTO _load_l_ev
            WITH v AS (
                SELECT ticket_id, "at", __pos, {q} AS v,
                       lag({q}) OVER (PARTITION BY ticket_id ORDER BY __pos) AS prev
                FROM _load_l_ok WHERE {q} IS NOT NULL),
            ch AS (SELECT *, count(*) FILTER (WHERE prev IS NOT NULL AND prev <> v)
                                OVER (PARTITION BY ticket_id) AS changes FROM v)
            SELECT ticket_id, "at", '{c}', v, __pos, {k} FROM ch
            WHERE (prev IS NOT NULL AND prev <> v) OR ({with_first} AND prev IS NULL AND changes > 0)"""
        )
    con.execute(
        """CREATE OR REPLACE TABLE events AS
        SELECT e.ticket_id, e."at", e.field, e.value,
               row_number() OVER (ORDER BY e.ticket_id, e.__pos, e.__k) AS seq
        FROM _load_l_ev e SEMI JOIN tickets t ON t.ticket_id = e.ticket_id
        ORDER BY e.ticket_id, seq"""
    )
    con.execute(
        f"""INSERT INTO _rejects
        SELECT {ROW}, __col, __val, __why, 'events', ticket_id FROM _load_l_rows WHERE __why IS NOT NULL
        UNION ALL
        SELECT r.{ROW}, 'ticket_id', r.ticket_id, 'ticket rejected', 'events', r.ticket_id
        FROM _load_l_ok r ANTI JOIN tickets t ON t.ticket_id = r.ticket_id"""
    )
    con.execute(f"INSERT INTO _rejects SELECT row_number, NULL, value, reason, 'events', NULL FROM {raw.table}_bad")
    unmapped = con.execute(
        "SELECT count(*), count(DISTINCT activity) FROM _load_l_ok WHERE __kind IS NULL"
    ).fetchone()
    if unmapped[0]:
        notes.append(f"{label}: {unmapped[0]} rows with {unmapped[1]} unmapped activities kept as history")
    for tname in (typed, "_load_l_rows", "_load_l_ok", "_load_l_agg", "_load_l_flow", "_load_l_tickets",
                  "_load_l_checked", "_load_l_ev"):
        con.execute(f"DROP TABLE IF EXISTS {tname}")
    return extras


# --------------------------------------------------------------------------- entry points


def _peek_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        return [
            r[0]
            for r in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true, sample_size = 2048)",
                [str(path)],
            ).fetchall()
        ]
    except duckdb.Error:
        return []


def resolve_mapping(
    con: duckdb.DuckDBPyConnection, path: PathLike, source: str, mapping: Optional[Mapping]
) -> Optional[Mapping]:
    """The mapping a source implies: the given one, else the vendor preset (ServiceNow: list or audit log)."""
    if source not in SOURCES_SUPPORTED:
        raise LoadError(f"unknown source {source!r} (one of {', '.join(SOURCES_SUPPORTED)})")
    if mapping is not None:
        return mapping
    if source == "plain":
        return None
    if source == "eventlog":
        raise LoadError("--source eventlog needs a mapping file (--mapping) naming ticket_id, at and activity")
    try:
        if source == "servicenow":
            header = set(_peek_header(con, Path(path)))
            audit = {"incident_state", "sys_mod_count"} <= header
            return preset("servicenow_audit" if audit else "servicenow_incidents")
        return preset(source)
    except MappingError as err:
        raise LoadError(str(err)) from None


def load_files(
    con: duckdb.DuckDBPyConnection,
    tickets: PathLike,
    events: Optional[PathLike],
    policy: Policy,
    *,
    source: str = "plain",
    mapping: Optional[Mapping] = None,
) -> LoadReport:
    """Load a tickets file (or an event log) and an optional events file into `tickets`, `events`, `rejects`.

    Raises LoadError (one line) for a file that cannot be read at all; row-level
    problems become rejects. `tickets` has schema.TICKET_COLUMNS first, then the
    file's other columns as text.
    """
    mapping = resolve_mapping(con, tickets, source, mapping)
    fmt = mapping.format if mapping else "tickets"
    if fmt == "events" and events is not None:
        raise LoadError("an event log already holds the events: give no separate events file")
    notes: list[str] = []
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects (row_number BIGINT, \"column\" VARCHAR, value VARCHAR, "
        "reason VARCHAR, file VARCHAR, ticket_id VARCHAR)"
    )
    kind = "tickets" if fmt == "tickets" else "event log"
    label = f"{kind} {Path(tickets).name}"
    raw = _read_raw(con, tickets, "_load_raw_t", kind)
    if fmt == "events":
        _load_event_log(con, raw, mapping, policy, label, notes)  # type: ignore[arg-type]
    else:
        _load_ticket_rows(con, raw, mapping or Mapping(), policy, label, notes)
        if events is None:
            con.execute(f"CREATE OR REPLACE TABLE events ({_event_columns_ddl()})")
    ev_raw = None
    if events is not None:
        ev_raw = _read_raw(con, events, "_load_raw_e", "events")
        _load_event_rows(con, ev_raw, policy, f"events {Path(events).name}")
    con.execute("CREATE OR REPLACE TABLE rejects AS SELECT * FROM _rejects ORDER BY file DESC, row_number")
    report = _report(con, fmt, raw, ev_raw, notes)
    for t in ("_rejects", raw.table, f"{raw.table}_bad"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    if ev_raw is not None:
        con.execute(f"DROP TABLE IF EXISTS {ev_raw.table}")
        con.execute(f"DROP TABLE IF EXISTS {ev_raw.table}_bad")
    return report


def _event_columns_ddl() -> str:
    return ", ".join(f"{quote_ident(k)} {v}" for k, v in EVENT_COLUMNS.items())


def _reasons(con: duckdb.DuckDBPyConnection, file: str) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason, count(*) FROM rejects WHERE file = ? GROUP BY reason ORDER BY 2 DESC, 1", [file]
    ).fetchall()
    return {r: int(n) for r, n in rows}


def _report(
    con: duckdb.DuckDBPyConnection, fmt: str, raw: _Raw, ev_raw: Optional[_Raw], notes: list[str]
) -> LoadReport:
    accepted = con.execute("SELECT count(*) FROM tickets").fetchone()[0]
    t_reasons = _reasons(con, "tickets")
    e_reasons = _reasons(con, "events")
    rejected = sum(t_reasons.values())
    if fmt == "events":
        events_read = raw.parsed + raw.malformed
        events_rejected = sum(e_reasons.values())
        report = LoadReport(
            rows_read=accepted + rejected,
            accepted=accepted,
            rejected=rejected,
            reasons=t_reasons,
            events_rows_read=events_read,
            events_accepted=events_read - events_rejected,
            events_rejected=events_rejected,
            events_reasons=e_reasons,
            format="events",
            notes=notes,
        )
    else:
        report = LoadReport(
            rows_read=raw.parsed + raw.malformed,
            accepted=accepted,
            rejected=rejected,
            reasons=t_reasons,
            format="tickets",
            notes=notes,
        )
        if ev_raw is not None:
            ev_accepted = con.execute("SELECT count(*) FROM events").fetchone()[0]
            report.events_rows_read = ev_raw.parsed + ev_raw.malformed
            report.events_accepted = ev_accepted
            report.events_rejected = sum(e_reasons.values())
            report.events_reasons = e_reasons
    _check_accounting(report)
    return report


def _check_accounting(report: LoadReport) -> None:
    """accepted + rejected = rows read is the contract; a breach is a bug, never a silent drop."""
    if report.accepted + report.rejected != report.rows_read:
        raise AssertionError(f"ticket rows unaccounted: {report.rows_read} read, {report.accepted} + {report.rejected}")
    if report.events_accepted + report.events_rejected != report.events_rows_read:
        raise AssertionError(
            f"event rows unaccounted: {report.events_rows_read} read, "
            f"{report.events_accepted} + {report.events_rejected}"
        )


def load_upload(
    con: duckdb.DuckDBPyConnection,
    data: Union[bytes, BinaryIO],
    filename: str,
    policy: Policy,
    *,
    events: Optional[Union[bytes, BinaryIO]] = None,
    events_filename: str = "events.csv",
    source: str = "plain",
    mapping: Optional[Mapping] = None,
) -> LoadReport:
    """Load an uploaded file (bytes or a file object, e.g. Streamlit's UploadedFile) via a private temp file.

    The file name's suffix picks the reader (.csv, .csv.gz, .parquet).
    """
    with tempfile.TemporaryDirectory(prefix="sla_upload_") as tmp:
        path = Path(tmp) / _safe_name(filename, "tickets.csv")
        path.write_bytes(data if isinstance(data, bytes) else data.read())
        ev_path = None
        if events is not None:
            ev_path = Path(tmp) / ("events_" + _safe_name(events_filename, "events.csv"))
            ev_path.write_bytes(events if isinstance(events, bytes) else events.read())
        return load_files(con, path, ev_path, policy, source=source, mapping=mapping)


def _safe_name(name: str, default: str) -> str:
    base = Path(name or default).name
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base) or default


__all__ = [
    "ACTIVITY_KINDS",
    "LoadError",
    "LoadReport",
    "SOURCES_SUPPORTED",
    "load_files",
    "load_upload",
    "resolve_mapping",
]
