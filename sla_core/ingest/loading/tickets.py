"""A tickets file (one row per ticket) into the typed `tickets` table: staged in one statement, then the accepted
rows, the rejects and the values left empty, every row accepted or rejected with its row, column and reason."""

from __future__ import annotations

import duckdb

from sla_core.columns import STOP_COLUMN, TICKET_COLUMNS
from sla_core.ingest.loading.reading import Source, read_counts, rescan
from sla_core.ingest.loading.report import LoadError
from sla_core.ingest.loading.sql import ROW, ParamSql
from sla_core.ingest.loading.staging import (
    VERDICT,
    Check,
    Duration,
    Staged,
    Verdict,
    judged,
    n,
    p,
    said,
    stage_mapped,
    write_cleared,
    write_rejects,
)
from sla_core.ingest.loading.values import (
    JUDGED,
    OUT_OF_RANGE,
    Found,
    Plan,
    has_problem,
    out_of_range_sql,
    plan_columns,
    raw_text,
    text_cell,
)
from sla_core.ingest.mapping import Mapping
from sla_core.policy import Policy
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import METRICS, RUBRIC_INPUTS


# Free text no check reads: staged as its value alone (its problem is never set).
LEAN = frozenset(c for c in TICKET_COLUMNS if c != "ticket_id")


def planned(con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping, required: tuple[str, ...],
            keys: tuple[str, ...] = ()) -> Plan:
    """The plan of a tickets file or event log; a file that cannot be planned is read first, so that a file
    without readable rows says so before it says which column it lacks."""
    try:
        return plan_columns(source.columns, mapping, source.label, required, keys, TICKET_COLUMNS, source.delimiter)
    except LoadError:
        read_counts(con, source)
        return plan_columns(source.columns, mapping, source.label, required, keys, TICKET_COLUMNS, source.delimiter)


def durations_of(plan: Plan, mapping: Mapping) -> list[Duration]:
    """The mapping's durations a ticket file can fill: those whose `since` the file has."""
    return [Duration(target, mapping.durations[target].since, text_cell([Found(column)], mapping, {}),
                     mapping.durations[target].unit, target in plan.found, text_when_derived=False)
            for target, column in plan.durations.items() if mapping.durations[target].since in plan.found]


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
        return f"CASE WHEN {p(column)} IS NULL THEN {name} END AS {name}"
    return name


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


def impact_unknown(present: set[str]) -> list[Check]:
    """An unknown impact is left empty, which leaves the rubric to tier the ticket; with no rubric input either,
    the row is rejected for the impact it had."""
    if "impact" not in present:
        return []
    return [("impact", f"impact IS NULL AND {n('impact')} IS NOT NULL AND NOT {rubric_inputs_sql(present)}",
             n("impact"), said("unknown impact value"))]


def ticket_checks(present: set[str]) -> Verdict:
    """Why a row of a tickets file is rejected, in the order the checks are tried; the duplicates' read their
    window (`_duplicates`, joined as __d)."""
    checks: list[Check] = [
        ("ticket_id", "ticket_id IS NULL", "NULL", said("missing required value")),
        ("ticket_id", "__d.variants > 1", "ticket_id", said("duplicate ticket_id with conflicting values")),
        ("ticket_id", "__d.nth > 1", "ticket_id", said("duplicate row")),
        ("created_at", f"{n('created_at')} IS NULL", "NULL", said("missing required value")),
    ]
    checks += [(c, f"{p(c)} IS NOT NULL", n(c), p(c)) for c, typ in TICKET_COLUMNS.items()
               if c in present and c in JUDGED and has_problem("tickets", c, typ)]
    checks += impact_unknown(present)
    checks += [(col, cond, n(col) if col in present else "NULL", said(why)) for col, cond, why in ticket_rules(present)]
    return Verdict(checks, frozenset({1, 2}))


def _duplicates(con: duckdb.DuckDBPyConnection, staged: Staged) -> str:
    """`{table}_dups`: the rows whose id (its text as read) repeats, with how many different rows share it and
    their place among them in file order (a window over the ids that repeat); returns the join adding them to
    the staged rows ('' when no id repeats). Copies of an id are the same row or conflict as the file gives
    them: only then is the file read again, to hash each of those rows whole."""
    key = ROW if staged.source.positional else "rowid"
    same = n("ticket_id")
    table = f"{staged.table}_dups"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH repeated AS (SELECT {same} AS id FROM {staged.table} WHERE {same} IS NOT NULL GROUP BY 1
                          HAVING count(*) > 1)
        SELECT {key} AS r, {same} AS id FROM {staged.table} SEMI JOIN repeated ON repeated.id = {same}"""
    )
    if not fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]:
        return ""
    source = staged.source
    row = ROW if source.positional else "rowid"
    whole = "hash(" + ", ".join(raw_text(c) for c in source.columns) + ")"
    hashes = ParamSql().add(f"CREATE OR REPLACE TEMP TABLE {table}_rows AS SELECT {f'{ROW}, ' if source.positional else ''}"
                            f"{whole} AS h FROM ").join([rescan(con, source)])
    con.execute(hashes.sql, hashes.params)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT d.r, count(DISTINCT w.h) OVER (PARTITION BY d.id) AS variants,
               row_number() OVER (PARTITION BY d.id ORDER BY d.r) AS nth
        FROM {table} d JOIN {table}_rows w ON w.{row} = d.r"""
    )
    con.execute(f"DROP TABLE IF EXISTS {table}_rows")
    return f" LEFT JOIN {table} __d ON __d.r = s.{key}"


def load_ticket_rows(
    con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping, policy: Policy, notes: list[str]
) -> list[str]:
    """Typed `tickets` from a one-row-per-ticket file; rejects go to _rejects. Returns extra column names."""
    label = source.label
    plan = planned(con, source, mapping, ("ticket_id", "created_at"))
    notes.extend(f"{label}: {m}" for m in plan.missing_optional)
    if plan.zone:
        notes.append(f"{label}: times without an offset read in {plan.zone}, the time zone its headers name")
    durations = durations_of(plan, mapping)
    table = f"{source.table}_staged"
    present = set(plan.found) | {d.target for d in durations}
    verdict = ticket_checks(present)
    staged = stage_mapped(con, source, table, plan, mapping, "tickets", dict(TICKET_COLUMNS),
                          plan.zone or policy.timezone, durations=durations,
                          late=[[ParamSql().add("*"), verdict.staged()]], lean=LEAN)
    try:
        dup_join = _duplicates(con, staged)
        relation = judged(staged, verdict.final() if dup_join else None, dup_join)
        cleared = [c for c, typ in TICKET_COLUMNS.items()
                   if c in present and c not in JUDGED and has_problem("tickets", c, typ)]
        columns = [ticket_column(c, present, cleared, unmeasured_literal(present)) for c in TICKET_COLUMNS]
        columns += [quote_ident(e) for e in plan.extras]
        in_order = f" ORDER BY {ROW}" if dup_join or staged.source.placed else ""  # else the scan keeps file order
        con.execute(f"CREATE OR REPLACE TABLE tickets AS SELECT {', '.join(columns)} FROM {relation} "
                    f"WHERE {VERDICT} IS NULL{in_order}")
        write_rejects(con, staged, relation, "tickets", "ticket_id")
        write_cleared(con, relation, "tickets", cleared)
    finally:
        for t in (table, f"{table}_dups"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return list(plan.extras)
