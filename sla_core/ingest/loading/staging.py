"""The one staging builder every record kind goes through (tickets, events, event logs, signals, survey answers).

One `CREATE TABLE … AS` over the file's scan (loading/reading.py) stages every row: each canonical column `c`
goes text → mapped → typed → problem through column aliases of nested SELECTs that DuckDB runs as one pipeline,
and lands as `c__n` (the cell as the file gives it: text, or a typed Parquet value), `c` (typed) and `c__p` (why
the text was refused, NULL when fine); free text no check reads keeps its value alone. The file's other
columns ride along as they are. A mapping's durations and a kind's cross-column problems are further layers of
the same statement, and so is the row's verdict: one CASE over the kind's ordered checks (`verdict_sql`), the
first check a row fails naming its column, the value shown and the reason. The checks that need a join (the
duplicates of an id, the tickets an event names) slot in at their place in the order afterwards (`Verdict`).

Then three statements read the staged table, each once: the accepted rows, the rejects and the values left
empty. Timestamps are read by the layouts a pre-pass over the file's first rows showed (values.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import duckdb

from sla_core.ingest.loading.reading import SAMPLE_ROWS, Source, account_rows, reset_reads, row_sql, scan_error
from sla_core.ingest.loading.sql import (
    DURATION,
    DURATION_PROBLEM,
    PROBLEM,
    ROW,
    SECONDS,
    TEXT,
    TYPED,
    ParamSql,
)
from sla_core.ingest.loading.values import (
    LOWERED,
    OUT_OF_RANGE,
    Plan,
    TimestampParser,
    detect_slash_order,
    fix_sql,
    has_problem,
    mapped_value,
    sample_layouts,
    slash_order_of,
    text_cell,
    typed_cell,
)
from sla_core.ingest.mapping import DURATION_UNITS, Mapping
from sla_core.sqlutil import quote_ident

VERDICT = "__sla_verdict"  # the row's first failed check: {col, val, why}; NULL for a row accepted


def n(column: str) -> str:
    """The staged cell of `column` as the file gives it."""
    return quote_ident(column + TEXT)


def p(column: str) -> str:
    """Why the staged cell of `column` was refused."""
    return quote_ident(column + PROBLEM)


def said(text: str) -> str:
    """A text written in code (a reason, a column name) as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class StageColumn:
    """How one canonical column is staged. `text` reads it from the file's columns; `mapped` turns `c__n` into
    the text to type (the mapping's `values`, case); `typed` gives (value, problem) from that text, named
    `c__t`, and the value, named `c` (None: free text, the mapped text is the value and there is no `c__p`); a
    typed Parquet timestamp or whole number comes with `passthrough`, its value computed straight from `c__n`
    (and `typed` gives its problem)."""

    name: str
    text: ParamSql
    mapped: Optional[ParamSql] = None
    typed: Optional[tuple[ParamSql, ParamSql]] = None
    passthrough: Optional[ParamSql] = None
    lean: bool = False  # free text no check reads: only its value is kept (no c__n)


@dataclass
class Duration:
    """A timestamp filled from another plus a number (a mapping's `durations`): where the file leaves it empty."""

    target: str
    since: Optional[str]  # the timestamp counted from (staged, typed); None: the file does not have it
    text: ParamSql  # the duration's text
    unit: str
    target_in_file: bool  # the file has the target column too
    text_when_derived: bool  # the staged text of a derived target is the duration even without a problem


@dataclass
class Staged:
    """A staged file: the table, where its rows come from, and the canonical columns staged."""

    table: str
    source: Source
    columns: list[str]

    def rows(self, alias: str = "s") -> tuple[str, str]:
        """(SQL of a row's number in the file, the join it needs) for the staged table under `alias`."""
        return row_sql(self.source, alias)


def stage(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    table: str,
    columns: list[StageColumn],
    *,
    extras: dict[str, str] | None = None,
    durations: list[Duration] | None = None,
    late: list[list[ParamSql]] | None = None,
) -> Staged:
    """CREATE `table` in one statement over the file's scan, then account the file's rows (reading.py).

    `extras`: output name -> file column kept as text. `late`: layers
    of terms over the staged columns (a kind's cross-column problems as `* REPLACE`, then its verdict), each
    layer one more SELECT.
    """
    extras = extras or {}
    reset_reads(con, source)
    first = [ParamSql().add(ROW)] if source.positional else []
    for column in columns:
        first.append(ParamSql().join([column.text]).add(f" AS {n(column.name)}"))
    for duration in durations or []:
        first.append(ParamSql().join([duration.text]).add(f" AS {quote_ident(duration.target + DURATION)}"))
    for name, src in extras.items():
        first.append(ParamSql().add(f"CAST({quote_ident(src)} AS VARCHAR) AS {quote_ident(name)}"))
    typed = []
    for column in columns:
        name, t = quote_ident(column.name), quote_ident(column.name + TYPED)
        if column.passthrough is not None:  # typed already: its problem alone is read from the value
            typed.append(ParamSql().join([column.passthrough]).add(f" AS {name}"))
            if column.typed:
                typed.append(ParamSql().join([column.typed[1]]).add(f" AS {p(column.name)}"))
            continue
        typed.append(ParamSql().join([column.mapped or ParamSql().add(n(column.name))]).add(f" AS {t}"))
        if column.typed is None:  # free text: its value alone, nothing to refuse
            typed.append(ParamSql().add(f"{t} AS {name}"))
        else:
            value, problem = column.typed
            typed += [ParamSql().join([value]).add(f" AS {name}"), ParamSql().join([problem]).add(f" AS {p(column.name)}")]
    scratch = [quote_ident(c.name + TYPED) for c in columns if c.passthrough is None]
    scratch += [n(c.name) for c in columns if c.lean]
    query = (ParamSql().add("SELECT *, ").join(typed).add(" FROM (SELECT ").join(first).add(" FROM ")
             .join([source.scan]).add(")"))
    if scratch:
        query = ParamSql().add(f"SELECT * EXCLUDE ({', '.join(scratch)}) FROM (").join([query]).add(")")
    for duration in durations or []:
        query = _fill(query, duration)
    for layer in late or []:
        query = ParamSql().add("SELECT ").join(layer).add(" FROM (").join([query]).add(")")
    statement = ParamSql().add(f"CREATE OR REPLACE TEMP TABLE {table} AS ").join([query])
    try:
        con.execute(statement.sql, statement.params)
    except duckdb.Error as err:  # the file's scan failed part-way (every cell is read with try_ functions)
        raise scan_error(source, err) from None
    account_rows(con, source, table)
    return Staged(table, source, [c.name for c in columns])


def _fill(query: ParamSql, duration: Duration) -> ParamSql:
    """The layer that fills a target from `since` + the duration where it is empty; the duration's own problem
    (not a number, negative) is the target's where the target has none. A duration too long for any instant
    (past what a timestamp holds) is out of range."""
    target = duration.target
    dur, dp, secs = (quote_ident(target + suffix) for suffix in (DURATION, DURATION_PROBLEM, SECONDS))
    tgt, tp, tn = quote_ident(target), p(target), n(target)
    number = f"try_cast({dur} AS DOUBLE)"
    unit = repr(float(DURATION_UNITS[duration.unit]))  # a code constant: the mapping's unit is one of DURATION_UNITS
    if duration.since is None:
        instant, overflow = "CAST(NULL AS TIMESTAMPTZ)", ""
    else:
        since = quote_ident(duration.since)
        instant = f"try({since} + to_microseconds(try_cast(round({secs} * 1e6) AS BIGINT)))"
        empty = f" AND {tgt} IS NULL" if duration.target_in_file else ""
        overflow = f" WHEN {secs} >= 0 AND {since} IS NOT NULL{empty} AND {instant} IS NULL THEN '{OUT_OF_RANGE}'"
    inner = (ParamSql().add(f"SELECT *, {number} * {unit} AS {secs}, CASE WHEN {dur} IS NOT NULL AND {number} IS NULL "
                            f"THEN 'not a number' WHEN {number} < 0 THEN 'negative duration'{overflow} END AS {dp} "
                            "FROM (").join([query]).add(")"))
    filled = f"CASE WHEN {secs} >= 0 THEN {instant} END"
    if duration.target_in_file:
        outer = (f"SELECT * EXCLUDE ({dur}, {dp}, {secs}) REPLACE (coalesce({tgt}, {filled}) AS {tgt}, "
                 f"coalesce({tp}, {dp}) AS {tp}, "
                 f"CASE WHEN {tp} IS NULL AND {dp} IS NOT NULL THEN {dur} ELSE CAST({tn} AS VARCHAR) END AS {tn})")
    else:
        shown = dur if duration.text_when_derived else f"CASE WHEN {dp} IS NOT NULL THEN {dur} END"
        outer = f"SELECT * EXCLUDE ({dur}, {dp}, {secs}), {filled} AS {tgt}, {dp} AS {tp}, {shown} AS {tn}"
    return ParamSql().add(outer + " FROM (").join([inner]).add(")")


Check = tuple[str, str, str, str]  # column reported, SQL condition of a rejected row, SQL value shown, SQL reason


def verdict_sql(checks: list[Check]) -> str:
    """The CASE choosing a row's reject: the first failing check's column, value and reason; NULL when the row
    passes them all. Column names and reasons are code constants (said), values and conditions SQL."""
    if not checks:
        return "CAST(NULL AS STRUCT(col VARCHAR, val VARCHAR, why VARCHAR))"
    whens = " ".join(f"WHEN {cond} THEN {{'col': {said(col)}, 'val': CAST({val} AS VARCHAR), 'why': {why}}}"
                     for col, cond, val, why in checks)
    return f"CASE {whens} END"


@dataclass
class Verdict:
    """A kind's checks in the order they are tried; some of them (`joined`) read what only a join gives (the
    duplicates of an id, the tickets an event names). The others are judged while the file is staged (VERDICT);
    the joined ones slot in at their place in the order, where a join gives them."""

    checks: list[Check]
    joined: frozenset[int] = frozenset()

    def staged(self) -> ParamSql:
        """The select term judging a staged row by the checks that need no join."""
        kept = [c for i, c in enumerate(self.checks) if i not in self.joined]
        return ParamSql().add(f"{verdict_sql(kept)} AS {VERDICT}")

    def final(self, staged: str = f"s.{VERDICT}") -> Optional[str]:
        """SQL of the whole verdict over the joined relation, from the staged one; None when it is the staged one."""
        if not self.joined:
            return None
        first, last = min(self.joined), max(self.joined)
        joined = verdict_sql(self.checks[first:last + 1])
        if last == len(self.checks) - 1:  # the joined checks come last: they judge what the staged ones passed
            return f"coalesce({staged}, {joined})"
        before = " OR ".join(f"({cond})" for _, cond, _, _ in self.checks[:first])
        return (f"CASE WHEN {before} THEN {staged} ELSE coalesce({joined}, {staged}) END" if before
                else f"coalesce({joined}, {staged})")


def judged(staged: Staged, final: Optional[str] = None, joins: str = "") -> str:
    """FROM-clause relation: the staged rows (alias `s`) with their number (ROW) and, where `joins` add what
    some checks read, their `final` verdict (Verdict.final)."""
    row, row_join = staged.rows("s")
    number = "" if staged.source.positional else f", {row} AS {ROW}"
    rows = f"s.* REPLACE ({final} AS {VERDICT})" if final else "s.*"
    return f"(SELECT {rows}{number} FROM {staged.table} s{row_join}{joins})"


def write_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, relation: str, file: str, key: str,
                  into: str = "_rejects", create: bool = False) -> None:
    """The rejected rows and the malformed lines into `into` (row_number, column, value, reason, file,
    ticket_id); `create`: as a new table, ordered by row."""
    rows = (f"""SELECT {ROW} AS row_number, {VERDICT}.col AS "column", {VERDICT}.val AS value, {VERDICT}.why AS reason,
               ? AS file, CAST({key} AS VARCHAR) AS ticket_id
        FROM {relation} WHERE {VERDICT} IS NOT NULL
        UNION ALL SELECT row_number, NULL, value, reason, ?, NULL FROM {staged.source.bad}""")
    if create:
        con.execute(f"CREATE OR REPLACE TABLE {into} AS {rows} ORDER BY row_number", [file, file])
    else:
        con.execute(f"INSERT INTO {into} {rows}", [file, file])


def write_cleared(con: duckdb.DuckDBPyConnection, relation: str, kind: str, columns: list[str],
                  into: str = "_cleared") -> None:
    """Each accepted row's values left empty, with the problem and the fix, into `into` in one statement."""
    if not columns:
        return
    items = ParamSql().add("[")
    for i, column in enumerate(columns):
        items.add(", " if i else "").add(f"{{'col': {said(column)}, 'val': CAST({n(column)} AS VARCHAR), "
                                         f"'problem': {p(column)}, 'fix': ")
        items.join([fix_sql(kind, column, p(column))]).add("}")
    items.add("]")
    any_problem = " OR ".join(f"{p(c)} IS NOT NULL" for c in columns)
    statement = (ParamSql().add(f"INSERT INTO {into} SELECT {ROW}, c.col, c.val, c.problem, c.fix FROM "
                                f"(SELECT {ROW}, unnest(").join([items]).add(
        f") AS c FROM {relation} WHERE {VERDICT} IS NULL AND ({any_problem})) WHERE c.problem IS NOT NULL"))
    con.execute(statement.sql, statement.params)


# --- canonical columns read through a mapping --------------------------------------------------------------------

# Typed Parquet timestamps kept typed: DuckDB's type -> the instant (a naive one read in the zone).
TEMPORAL: dict[str, str] = {
    "TIMESTAMP WITH TIME ZONE": "{v}",
    "TIMESTAMP": "timezone(?, {v})",
    "DATE": "timezone(?, CAST({v} AS TIMESTAMP))",
}
# Typed Parquet whole numbers kept typed; other types (a DOUBLE, a DECIMAL) are read as their text.
INTEGRAL = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                      "UBIGINT", "UHUGEINT"})


def kept_typed(typ: str, raw_type: str, zone: str, cell: str) -> Optional[ParamSql]:
    """SQL of the value a typed Parquet cell (`cell`) gives a canonical column of type `typ` without going through
    its text; None: read it as text. A time far from the ones a clock can hold (a year 10000, one before Christ)
    is read as its text is, so it is refused in the same words."""
    if typ == "TIMESTAMPTZ" and raw_type in TEMPORAL:
        near = f"{cell} BETWEEN '1969-12-30' AND '2200-01-03'"
        text = TimestampParser(zone, []).expr(f"CAST({cell} AS VARCHAR)")
        return (ParamSql().add(f"CASE WHEN {near} THEN {TEMPORAL[raw_type].format(v=cell)} ELSE ",
                               *([zone] if "?" in TEMPORAL[raw_type] else [])).join([text]).add(" END"))
    if typ in ("BIGINT", "INTEGER") and raw_type in INTEGRAL:
        return ParamSql().add(f"try_cast({cell} AS {typ})")
    return None


def mapped_columns(
    kind: str, types: dict[str, str], plan: Plan, mapping: Mapping, source: Source, parser: TimestampParser,
    layouts: dict[str, list[tuple[str, str]]], lean: frozenset[str] = frozenset(),
) -> list[StageColumn]:
    """The staging of each canonical column the file has (plan.found), in plan order, for a record kind; the
    `lean` ones that stay free text keep their value alone."""
    out = []
    for column in [c for c in plan.found if c in types]:
        typ, found = types[column], plan.found[column]
        kept = kept_typed(typ, source.types.get(found[0].column, "VARCHAR"), parser.zone, n(column))
        if (kept is not None and len(found) == 1 and not found[0].when and not mapping.null_values
                and column not in mapping.values and column not in mapping.separators):
            out.append(StageColumn(column, ParamSql().add(quote_ident(found[0].column)),
                                   typed=typed_cell(kind, column, typ, n(column), quote_ident(column), parser),
                                   passthrough=kept))
            continue
        mapped = mapped_value(n(column), column, mapping)
        if kind != "tickets" and column in LOWERED:
            mapped = ParamSql().add("lower(").join([mapped]).add(")")
        typed = typed_cell(kind, column, typ, quote_ident(column + TYPED), quote_ident(column), parser,
                           layouts.get(column, ()))
        plain = not has_problem(kind, column, typ)
        out.append(StageColumn(column, text_cell(found, mapping, plan.repeats, mapping.separators.get(column)),
                               mapped, None if plain else typed, lean=plain and column in lean))
    return out


def stage_mapped(
    con: duckdb.DuckDBPyConnection, source: Source, table: str, plan: Plan, mapping: Mapping, kind: str,
    types: dict[str, str], zone: str, *, durations: list[Duration] | None = None,
    late: list[list[ParamSql]] | None = None, lean: frozenset[str] = frozenset(),
) -> Staged:
    """Stage a file read through a mapping: the timestamps' layouts sampled first (a pre-pass over the file's
    first rows), the day/month order checked over the whole file after, and staged again in the rare file
    whose first rows did not show the order its later ones have."""
    parser = TimestampParser(zone, mapping.formats)
    columns = mapped_columns(kind, types, plan, mapping, source, parser, {})
    stamps = [c.name for c in columns if types[c.name] == "TIMESTAMPTZ" and c.passthrough is None]
    layouts: dict[str, list[tuple[str, str]]] = {}
    if stamps and not mapping.formats:
        texts = sample_texts(con, source, [c for c in columns if c.name in stamps], plan)
        layouts = sample_layouts(con, texts)
        parser.slash_order = slash_order_of(con, [(0, v) for values in texts.values() for v in values])
    while True:
        columns = mapped_columns(kind, types, plan, mapping, source, parser, layouts, lean)
        staged = stage(con, source, table, columns, extras=plan.extras, durations=durations, late=late)
        if not stamps or mapping.formats:
            return staged
        order = whole_file_order(con, staged, stamps)
        if order == parser.slash_order:
            return staged
        parser.slash_order = order


def sample_texts(con: duckdb.DuckDBPyConnection, source: Source, columns: list[StageColumn],
                 plan: Optional[Plan] = None) -> dict[str, list[str]]:
    """The texts of `columns` on the file's first rows: only which layouts to try first depends on them."""
    if plan is not None and source.head is not None:  # a CSV's first rows, read when it was opened
        return {c.name: source.sample(plan.found[c.name][0].column) or [] for c in columns}
    inner = ParamSql().add("SELECT ").join([ParamSql().join([c.text]).add(f" AS {n(c.name)}") for c in columns])
    outer = ParamSql().add("SELECT ").join([ParamSql().join([c.mapped or ParamSql().add(n(c.name))]) for c in columns])
    query = outer.add(" FROM (").join([inner]).add(" FROM ").join([source.scan]).add(f" LIMIT {SAMPLE_ROWS})")
    try:
        rows = con.execute(query.sql, query.params).fetchall()
    except duckdb.Error:  # the staging says what is wrong with the file
        return {}
    return {c.name: [row[i] for row in rows if isinstance(row[i], str)] for i, c in enumerate(columns)}


def whole_file_order(con: duckdb.DuckDBPyConnection, staged: Staged, stamps: list[str]) -> Optional[str]:
    """Day-first or month-first over every timestamp text of the staged file (LoadError when they disagree or
    cannot tell); None without d/m/y dates."""
    any_slash = " OR ".join(f"contains({n(c)}, '/')" for c in stamps)
    if not con.execute(f"SELECT bool_or({any_slash}) FROM {staged.table}").fetchone()[0]:  # type: ignore[index]
        return None
    row, join = staged.rows("s")
    values = " UNION ALL ".join(f"SELECT {row} AS r, s.{n(c)} AS v FROM {staged.table} s{join}" for c in stamps)
    return detect_slash_order(con, values, staged.source.label)
