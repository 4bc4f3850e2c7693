"""A tickets file (one row per ticket) into the typed `tickets` table: typed in SQL over the
whole table, every row accepted or rejected with its row, column and reason."""

from __future__ import annotations

import duckdb

from sla_core.columns import STOP_COLUMN, TICKET_COLUMNS
from tests.importing.legacy_loader.reading import Raw
from tests.importing.legacy_loader.sql import ROW, ParamSql
from tests.importing.legacy_loader.values import (
    FIXES,
    JUDGED,
    OUT_OF_RANGE,
    Plan,
    TimestampParser,
    detect_slash_order,
    mapped_value,
    out_of_range_sql,
    plan_columns,
    spelled_cell,
    text_cell,
    typed_cell,
)
from sla_core.ingest.mapping import DURATION_UNITS, TIMESTAMP_COLUMNS, Mapping
from sla_core.policy import Policy
from sla_core.sqlutil import quote_ident
from sla_core.vocab import METRICS, RUBRIC_INPUTS


def stage_typed(
    con: duckdb.DuckDBPyConnection,
    raw: Raw,
    plan: Plan,
    mapping: Mapping,
    policy: Policy,
    label: str,
    out: str,
    keys: tuple[str, ...] = (),
) -> list[str]:
    """Create `out`: ROW, typed canonical columns (plus __n source text and __p problems), and the extras."""
    norm = f"{out}_n"
    parts = [ParamSql().add(ROW)]
    for canonical, src in plan.sources.items():
        cell = spelled_cell(plan.spelled[canonical], mapping, mapping.separators.get(canonical))  # FIX (b), (c)
        parts.append(ParamSql().join([cell]).add(f" AS {quote_ident(canonical + '__n')}"))
    for target, src in plan.durations.items():
        parts.append(ParamSql().join([text_cell(src, mapping)]).add(f" AS {quote_ident(target + '__dur')}"))
    for name, src in plan.extras.items():
        parts.append(ParamSql().add(f"{quote_ident(src)} AS {quote_ident(name)}"))
    sel = ParamSql().add(f"CREATE OR REPLACE TEMP TABLE {norm} AS SELECT ").join(parts).add(f" FROM {raw.table}")
    con.execute(sel.sql, sel.params)

    ts_cols = [c for c in plan.sources if c in TIMESTAMP_COLUMNS or c == "at"]
    order = None
    if not mapping.formats:
        order = detect_slash_order(con, norm, [c + "__n" for c in ts_cols], label)
    parser = TimestampParser(plan.zone or policy.timezone, mapping.formats, order)

    canon = [c for c in plan.sources if c in TICKET_COLUMNS]
    valued = [ParamSql().add(ROW)]
    for c in canon:
        valued.append(ParamSql().join([mapped_value(quote_ident(c + "__n"), c, mapping)]).add(f" AS {quote_ident(c + '__t')}"))
        valued.append(ParamSql().add(quote_ident(c + "__n")))
    for k in keys:
        if k in plan.sources:
            valued.append(ParamSql().add(f"{quote_ident(k + '__n')} AS {quote_ident(k + '__t')}"))
    for target in plan.durations:
        valued.append(ParamSql().add(f"{quote_ident(target + '__dur')}"))
    for name in plan.extras:
        valued.append(ParamSql().add(quote_ident(name)))
    inner = ParamSql().add("SELECT ").join(valued).add(f" FROM {norm}")

    outer = [ParamSql().add(ROW)]
    for c in canon:
        t = quote_ident(c + "__t")
        value, problem = typed_cell(c, t, parser)
        outer.append(ParamSql().join([value]).add(f" AS {quote_ident(c)}"))
        outer.append(ParamSql().join([problem]).add(f" AS {quote_ident(c + '__p')}"))
        outer.append(ParamSql().add(quote_ident(c + "__n")))
    if "at" in keys and "at" in plan.sources:
        t = quote_ident("at__t")
        outer.append(ParamSql().join([parser.expr(t)]).add(' AS "at"'))
        outer.append(ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND \"at\" IS NULL THEN 'unparseable timestamp' END "
                                '"at__p"'))
        outer.append(ParamSql().add(t))
    for k in keys:
        if k != "at" and k in plan.sources:
            outer.append(ParamSql().add(f"{quote_ident(k + '__t')} AS {quote_ident(k)}"))
    for target in plan.durations:
        d = quote_ident(target + "__dur")
        outer.append(ParamSql().add(f"try_cast({d} AS DOUBLE) * ? AS {quote_ident(target + '__secs')}",
                                DURATION_UNITS[mapping.durations[target].unit]))
        outer.append(ParamSql().add(
            f"CASE WHEN {d} IS NOT NULL AND try_cast({d} AS DOUBLE) IS NULL THEN 'not a number' "
            f"WHEN try_cast({d} AS DOUBLE) < 0 THEN 'negative duration' END AS {quote_ident(target + '__dp')}"
        ))
        outer.append(ParamSql().add(d))
    for name in plan.extras:
        outer.append(ParamSql().add(quote_ident(name)))
    sel = ParamSql().add(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT ").join(outer).add(" FROM (").join([inner]).add(")")
    con.execute(sel.sql, sel.params)
    con.execute(f"DROP TABLE IF EXISTS {norm}")
    return canon


def apply_durations(con: duckdb.DuckDBPyConnection, table: str, plan: Plan, mapping: Mapping) -> None:
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


def rubric_inputs_sql(cols: set[str]) -> str:
    """SQL: the row has a rubric input, among the columns the file has."""
    return "(" + (" OR ".join(f"{quote_ident(c)} IS NOT NULL" for c in RUBRIC_INPUTS if c in cols) or "false") + ")"


def unmeasured_literal(present: set[str]) -> str:
    """SQL literal of the metrics a file cannot time: their stop column is not in it (code constants only)."""
    missing = [m for m in METRICS if STOP_COLUMN[m] not in present]
    return f"'{','.join(missing)}'" if missing else "NULL"


def ticket_column(column: str, present: set[str], cleared: list[str], unmeasured: str) -> str:
    """The SELECT term of one canonical column of `tickets`: its typed value; empty where the value was bad
    (a column of `cleared`); NULL when the file lacks it; `unmeasured` from the file's columns."""
    name = quote_ident(column)
    if column == "unmeasured":
        return f"CAST({unmeasured} AS VARCHAR) AS {name}"
    if column not in present:
        return f"CAST(NULL AS {TICKET_COLUMNS[column]}) AS {name}"
    if column in cleared:
        return f"CASE WHEN {quote_ident(column + '__p')} IS NULL THEN {name} END AS {name}"
    return name


def record_cleared(con: duckdb.DuckDBPyConnection, checked: str, cleared: list[str]) -> None:
    """Into `_cleared`: each accepted row's value that was left empty, with the problem and the fix."""
    for column in cleared:
        p, n = quote_ident(column + "__p"), quote_ident(column + "__n")
        con.execute(
            f"INSERT INTO _cleared SELECT {ROW}, ?, {n}, {p}, ? FROM {checked} WHERE __why IS NULL AND {p} IS NOT NULL",
            [column, FIXES.get(column, "check the column's values")],
        )


def ticket_rules(cols: set[str]) -> list[tuple[str, str, str]]:
    """Cross-column rules: (column reported, SQL condition of a bad row, reason)."""
    rules = [(ts, out_of_range_sql(quote_ident(ts)), OUT_OF_RANGE)
             for ts, typ in TICKET_COLUMNS.items() if typ == "TIMESTAMPTZ" and ts in cols]
    stops = (("resolved_at", "resolved"), ("acknowledged_at", "acknowledged"), ("action_plan_at", "action plan"))
    for ts, what in stops:
        if ts in cols and "created_at" in cols:
            rules.append((ts, f"{quote_ident(ts)} < created_at", f"{what} before created"))
    has_impact = "impact IS NOT NULL" if "impact" in cols else "false"
    rules.append(("impact", f"NOT ({has_impact} OR {rubric_inputs_sql(cols)})", "no impact and no rubric inputs"))
    return rules


def reject_expr(checks: list[tuple[str, str, str, str]]) -> tuple[str, str, str]:
    """CASE expressions (column, value, reason) picking the first failing check.

    Each check is (column name, SQL condition, SQL value expression, SQL reason expression).
    """
    col_case = " ".join(f"WHEN {cond} THEN '{col}'" for col, cond, _, _ in checks)
    val_case = " ".join(f"WHEN {cond} THEN CAST({val} AS VARCHAR)" for _, cond, val, _ in checks)
    why_case = " ".join(f"WHEN {cond} THEN {why}" for _, cond, _, why in checks)
    return f"CASE {col_case} END", f"CASE {val_case} END", f"CASE {why_case} END"


def load_ticket_rows(
    con: duckdb.DuckDBPyConnection, raw: Raw, mapping: Mapping, policy: Policy, label: str, notes: list[str]
) -> list[str]:
    """Typed `tickets` from a one-row-per-ticket file; rejects go to _rejects. Returns extra column names."""
    plan = plan_columns(raw, mapping, label, required=("ticket_id", "created_at"))
    notes.extend(f"{label}: {m}" for m in plan.missing_optional)
    if plan.zone:
        notes.append(f"{label}: times without an offset read in {plan.zone}, the time zone its headers name")
    typed = "_load_t_typed"
    canon = stage_typed(con, raw, plan, mapping, policy, label, typed)
    apply_durations(con, typed, plan, mapping)
    present = set(canon) | {t for t in plan.durations if mapping.durations[t].since in plan.sources}

    # Duplicates compare the whole source row: identical copies are harmless, conflicting ones undecidable.
    all_cols = list(raw.columns)
    # FIX (b), issue 27: the id two rows are compared by is the first of its spellings not empty on the row, as
    # read (a null marker is empty: such a row has no id and is rejected first)
    same = spelled_cell(plan.spelled["ticket_id"], mapping, mapping.separators.get("ticket_id"))
    row_struct = "struct_pack(" + ", ".join(f"c{i} := {quote_ident(c)}" for i, c in enumerate(all_cols)) + ")"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_t_dups AS
        WITH r AS (SELECT {ROW} AS r, {same.sql} AS id,
                          {row_struct} AS s FROM {raw.table}),
        repeated AS (SELECT id FROM r WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1),
        g AS (SELECT id, count(DISTINCT s) AS variants FROM r SEMI JOIN repeated USING (id) GROUP BY id)
        SELECT r.r, g.variants, row_number() OVER (PARTITION BY r.id ORDER BY r.r) AS nth
        FROM r JOIN g USING (id)""",
        same.params,
    )

    checks: list[tuple[str, str, str, str]] = [
        ("ticket_id", "ticket_id IS NULL", "NULL", "'missing required value'"),
        ("ticket_id", "d.variants > 1", "ticket_id", "'duplicate ticket_id with conflicting values'"),
        ("ticket_id", "d.nth > 1", "ticket_id", "'duplicate row'"),
        ("created_at", "created_at__n IS NULL", "NULL", "'missing required value'"),
    ]
    judged = [c for c in TICKET_COLUMNS if c in present and c in JUDGED]
    cleared = [c for c in TICKET_COLUMNS if c in present and c not in JUDGED]
    for col in judged:
        p = quote_ident(col + "__p")
        checks.append((col, f"{p} IS NOT NULL", quote_ident(col + "__n"), p))
    if "impact" in present:  # an unknown impact is left empty, which leaves the rubric to tier the ticket
        checks.append(("impact", f"impact IS NULL AND impact__n IS NOT NULL AND NOT {rubric_inputs_sql(present)}",
                       "impact__n", "'unknown impact value'"))
    for col, cond, why in ticket_rules(present):
        checks.append((col, cond, quote_ident(col + "__n") if col in present else "NULL", f"'{why}'"))
    col_case, val_case, why_case = reject_expr(checks)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _load_t_checked AS
        SELECT t.*, {col_case} AS __col, {val_case} AS __val, {why_case} AS __why
        FROM {typed} t LEFT JOIN _load_t_dups d ON d.r = t.{ROW}"""
    )
    select_cols = [
        ticket_column(c, present, cleared, unmeasured_literal(present)) for c in TICKET_COLUMNS
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
    record_cleared(con, "_load_t_checked", cleared)
    for t in (typed, "_load_t_dups", "_load_t_checked"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return extras
