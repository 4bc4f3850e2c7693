"""Signals (alerts and incidents of a monitoring or incident tool) and survey answers into their typed
tables: typed in SQL over the whole file, every row accepted or rejected with its row, column and reason.

Both sit beside the tickets: signals time detection (DESIGN.md, Signals), survey answers measure what an
incident did to the accounts it hit (Survey answers). A bad optional value (a start time that does not
parse, a resolution before the alert) is left empty and counted with the fix, as for tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import duckdb

from sla_core.columns import (
    REQUIRED_SIGNAL_COLUMNS,
    REQUIRED_SURVEY_COLUMNS,
    SIGNAL_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_SCALES,
    table_ddl,
)
from tests.importing.legacy_loader.reading import Raw
from tests.importing.legacy_loader.report import LoadError, LoadReport, check_accounting
from tests.importing.legacy_loader.sql import ROW, ParamSql
from tests.importing.legacy_loader.values import (
    OUT_OF_RANGE,
    TimestampParser,
    detect_slash_order,
    mapped_value,
    out_of_range_sql,
    plan_columns,
    spelled_cell,
    text_cell,
)
from sla_core.ingest.mapping import DURATION_UNITS, Mapping
from sla_core.policy import Policy
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import TIERS


@dataclass(frozen=True)
class RecordKind:
    """A kind of record beside the tickets: its table's columns, the ones a row needs, what makes two rows the same
    record (the loader's duplicates and the store's upsert), and what the reports call its rows."""

    columns: dict[str, str]
    required: tuple[str, ...]
    identity: tuple[str, ...]
    noun: str


SPECS: dict[str, RecordKind] = {
    "signals": RecordKind(SIGNAL_COLUMNS, REQUIRED_SIGNAL_COLUMNS, ("source", "signal_id"), "signals"),
    "surveys": RecordKind(SURVEY_COLUMNS, REQUIRED_SURVEY_COLUMNS, ("account", "at", "kind"), "survey answers"),
}
# Lower-cased on reading: a tool name, a tier word, a survey kind.
LOWERED: frozenset[str] = frozenset({"source", "severity", "kind"})
# problem -> how to fix it, for the values left empty.
FIXES: dict[str, str] = {
    "unparseable timestamp": "use an ISO 8601 time, or set `timestamp_format` in a mapping",
    OUT_OF_RANGE: "check the time",
    "resolved before detected": "check the export's resolution time",
    "started after detected": "check the export's start time",
    "not a number": "give the duration as a number (`durations` in the mapping names its unit)",
    "negative duration": "give the duration as a number of at least 0",
    "unknown severity value": 'map it with `values: {severity: {"your value": high}}` (critical, high, medium, low)',
}
# Columns held to a vocabulary: a value outside it is left empty and counted.
VOCABULARIES: dict[str, tuple[str, ...]] = {"severity": TIERS}
# A signal whose tool the file does not name: the --source it was imported with, else this.
UNNAMED_TOOL = "other"


def load_signal_file(
    con: duckdb.DuckDBPyConnection, raw: Raw, mapping: Mapping, policy: Policy, label: str, *, tool: Optional[str]
) -> LoadReport:
    """Typed `signals` or `surveys` (mapping.format) from `raw`; rejects into `rejects`, values left empty
    into `cleared`. `tool` fills `source` where a signals file has no such column."""
    kind = mapping.format
    columns, required = SPECS[kind].columns, SPECS[kind].required
    plan = plan_columns(raw, mapping, label, required=required, canonical_columns=columns)
    if kind == "signals" and not tool and "source" not in plan.sources:
        raise LoadError(f"{label}: required column 'source' (the tool: pagerduty, datadog, …) is missing; map it, "
                        "or import with --source pagerduty|opsgenie|sentry|datadog")
    notes = [f"{label}: {m}" for m in plan.missing_optional]
    _stage(con, raw, plan.sources, plan.spelled, plan.durations, mapping, policy, plan.zone, label, columns)
    present = set(plan.sources) | set(plan.durations)
    if kind == "signals":
        _contradictions(con, present)
    checks, duplicate, cleared = (_signal_checks(present, tool) if kind == "signals" else _survey_checks(present))
    col_case = " ".join(f"WHEN {cond} THEN ?" for _, cond, _, _ in checks)
    val_case = " ".join(f"WHEN {cond} THEN CAST({val} AS VARCHAR)" for _, cond, val, _ in checks)
    why_case = " ".join(f"WHEN {cond} THEN {why}" for _, cond, _, why in checks)
    key = "signal_id" if kind == "signals" else "account"
    # A repeated record is rejected only among the rows that pass every other check, so a good copy after a bad
    # one is kept.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _side_checked AS
        WITH b AS (
            SELECT *, CASE {col_case} END AS __col0, CASE {val_case} END AS __val0, CASE {why_case} END AS __why0
            FROM _side_typed
        ), n AS (
            SELECT *, CASE WHEN __why0 IS NULL THEN row_number() OVER (
                PARTITION BY {_identity(kind, plan.sources.keys(), tool)}, __why0 IS NULL ORDER BY {ROW}) END AS __nth
            FROM b
        )
        SELECT *, CASE WHEN __nth > 1 THEN ? ELSE __col0 END AS __col,
               CASE WHEN __nth > 1 THEN CAST({duplicate[0]} AS VARCHAR) ELSE __val0 END AS __val,
               CASE WHEN __nth > 1 THEN ? ELSE __why0 END AS __why
        FROM n""",
        [c for c, _, _, _ in checks] + [duplicate[0], duplicate[1]],
    )
    con.execute(table_ddl(kind, columns, replace=True))
    select = []
    for column, typ in columns.items():
        if column == "source" and kind == "signals":
            # a preset's tool names the source; a file's own `source` (Opsgenie: the sending system) does not
            select.append(f"coalesce({quote_ident(column)}, ?) AS source" if column in plan.sources and not tool
                          else "CAST(? AS VARCHAR) AS source")
        elif column not in plan.sources and column not in plan.durations:
            select.append(f"CAST(NULL AS {typ}) AS {quote_ident(column)}")
        elif column in cleared:
            select.append(f"CASE WHEN {quote_ident(column + '__p')} IS NULL THEN {quote_ident(column)} END "
                          f"AS {quote_ident(column)}")
        else:
            select.append(quote_ident(column))
    params = [tool or UNNAMED_TOOL] if kind == "signals" else []
    con.execute(f"INSERT INTO {kind} SELECT {', '.join(select)} FROM _side_checked WHERE __why IS NULL ORDER BY {ROW}",
                params)
    con.execute(
        f"""CREATE OR REPLACE TABLE rejects AS
        SELECT {ROW} AS row_number, __col AS "column", __val AS value, __why AS reason, ? AS file,
               CAST({quote_ident(key)} AS VARCHAR) AS ticket_id
        FROM _side_checked WHERE __why IS NOT NULL
        UNION ALL SELECT row_number, NULL, value, reason, ?, NULL FROM {raw.table}_bad
        ORDER BY row_number""",
        [kind, kind],
    )
    con.execute('CREATE OR REPLACE TABLE cleared (row_number BIGINT, "column" VARCHAR, value VARCHAR, '
                'problem VARCHAR, fix VARCHAR)')
    fixes = " ".join("WHEN ? THEN ?" for _ in FIXES)
    for column in cleared:
        if column in present:
            p, n = quote_ident(column + "__p"), quote_ident(column + "__n")
            con.execute(f"INSERT INTO cleared SELECT {ROW}, ?, {n}, {p}, CASE {p} {fixes} ELSE 'check the values' END "
                        f"FROM _side_checked WHERE __why IS NULL AND {p} IS NOT NULL",
                        [column, *[x for pair in FIXES.items() for x in pair]])
    report = _report(con, kind, raw, notes)
    for t in ("_side_typed", "_side_checked", "_side_norm"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return report


def _identity(kind: str, present: Iterable[str], tool: Optional[str]) -> str:
    """SQL: what makes two rows of the file the same record (SPECS); a preset's rows all come from its one tool,
    whatever the export's own `source` field says."""
    same = [c for c in SPECS[kind].identity if c != "source" or ("source" in present and not tool)]
    return ", ".join(quote_ident(c) for c in same)


def _contradictions(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """A start after the alert, or a resolution before it, cannot both be right: the optional one is left
    empty and counted (the alert's time is what the row is for)."""
    for column, op, problem in (("started_at", ">", "started after detected"),
                                ("resolved_at", "<", "resolved before detected")):
        if column in present:
            p = quote_ident(column + "__p")
            con.execute(f"UPDATE _side_typed SET {p} = ? WHERE {p} IS NULL AND {quote_ident(column)} {op} detected_at",
                        [problem])


def _stage(
    con: duckdb.DuckDBPyConnection, raw: Raw, sources: dict[str, str], spelled: dict[str, list],
    durations: dict[str, str], mapping: Mapping, policy: Policy, zone: Optional[str], label: str,
    columns: dict[str, str],
) -> None:
    """`_side_typed`: ROW, per column its text (`__n`), typed value and problem (`__p`)."""
    parts = [ParamSql().add(ROW)]
    for canonical, src in sources.items():
        cell = spelled_cell(spelled[canonical], mapping, mapping.separators.get(canonical))  # FIX (b), (c)
        parts.append(ParamSql().join([cell]).add(f" AS {quote_ident(canonical + '__n')}"))
    for target, src in durations.items():
        parts.append(ParamSql().join([text_cell(src, mapping)]).add(f" AS {quote_ident(target + '__dur')}"))
    sel = ParamSql().add("CREATE OR REPLACE TEMP TABLE _side_norm AS SELECT ").join(parts).add(f" FROM {raw.table}")
    con.execute(sel.sql, sel.params)

    stamps = [c for c in sources if columns[c] == "TIMESTAMPTZ"]
    order = detect_slash_order(con, "_side_norm", [c + "__n" for c in stamps], label) if not mapping.formats else None
    parser = TimestampParser(zone or policy.timezone, mapping.formats, order)
    inner = [ParamSql().add(ROW)]
    for c in sources:
        text = mapped_value(quote_ident(c + "__n"), c, mapping)
        inner.append(ParamSql().add("lower(" if c in LOWERED else "(").join([text]).add(f") AS {quote_ident(c + '__t')}"))
        inner.append(ParamSql().add(quote_ident(c + "__n")))
    for target in durations:
        inner.append(ParamSql().add(quote_ident(target + "__dur")))
    outer = [ParamSql().add(ROW)]
    for c in sources:
        t = quote_ident(c + "__t")
        if columns[c] == "TIMESTAMPTZ":
            outer.append(ParamSql().join([parser.expr(t)]).add(f" AS {quote_ident(c)}"))
            outer.append(ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {quote_ident(c)} IS NULL "
                                   f"THEN 'unparseable timestamp' WHEN {out_of_range_sql(quote_ident(c))} "
                                   f"THEN '{OUT_OF_RANGE}' END AS {quote_ident(c + '__p')}"))
        elif columns[c] == "INTEGER":  # digits only: a cast would round 6.5 to 7 (a detractor into a passive)
            whole = f"regexp_full_match(trim({t}), '[+-]?[0-9]+')"
            outer.append(ParamSql().add(f"CASE WHEN {whole} THEN try_cast(trim({t}) AS INTEGER) END AS {quote_ident(c)}"))
            outer.append(ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND NOT coalesce({whole} AND "
                                   f"try_cast(trim({t}) AS INTEGER) IS NOT NULL, false) THEN 'not a whole number' END "
                                   f"AS {quote_ident(c + '__p')}"))
        elif c in VOCABULARIES:
            words = VOCABULARIES[c]
            outer.append(ParamSql().add(f"CASE WHEN {t} IN ({', '.join('?' for _ in words)}) THEN {t} END "
                                   f"AS {quote_ident(c)}", *words))
            outer.append(ParamSql().add(f"CASE WHEN {t} IS NOT NULL AND {t} NOT IN ({', '.join('?' for _ in words)}) "
                                   f"THEN 'unknown {c} value' END AS {quote_ident(c + '__p')}", *words))
        else:
            outer.append(ParamSql().add(f"{t} AS {quote_ident(c)}"))
            outer.append(ParamSql().add(f"CAST(NULL AS VARCHAR) AS {quote_ident(c + '__p')}"))
        outer.append(ParamSql().add(quote_ident(c + "__n")))
    for target in durations:
        d = quote_ident(target + "__dur")
        since = mapping.durations[target].since
        secs = f"try_cast({d} AS DOUBLE) * ?"
        value = (f"{quote_ident(since)} + to_microseconds(CAST(round({secs} * 1e6) AS BIGINT))"
                 if since in sources else "NULL")
        outer.append(ParamSql().add(f"CASE WHEN {secs} >= 0 THEN {value} END AS {quote_ident(target)}",
                               *([DURATION_UNITS[mapping.durations[target].unit]] * (2 if since in sources else 1))))
        outer.append(ParamSql().add(f"CASE WHEN {d} IS NOT NULL AND try_cast({d} AS DOUBLE) IS NULL THEN 'not a number' "
                               f"WHEN try_cast({d} AS DOUBLE) < 0 THEN 'negative duration' END "
                               f"AS {quote_ident(target + '__p')}"))
        outer.append(ParamSql().add(f"{d} AS {quote_ident(target + '__n')}"))
    sel = (ParamSql().add("CREATE OR REPLACE TEMP TABLE _side_typed AS SELECT ").join(outer).add(" FROM (SELECT ")
           .join(inner).add(" FROM _side_norm)"))
    con.execute(sel.sql, sel.params)


Check = tuple[str, str, str, str]  # column, SQL condition of a rejected row, SQL value shown, SQL reason


def _said(reason: str) -> str:
    """A reason written in code, as an SQL string literal."""
    return "'" + reason.replace("'", "''") + "'"


Duplicate = tuple[str, str]  # SQL value shown, reason


def _signal_checks(present: set[str], tool: Optional[str]) -> tuple[list[Check], Duplicate, list[str]]:
    """Rejects (no id, no tool, no parseable alert time, a repeated id) and the optional values left empty."""
    checks: list[Check] = [
        ("signal_id", "signal_id IS NULL", "NULL", _said("missing required value")),
        ("detected_at", "detected_at__n IS NULL", "NULL", _said("missing required value")),
        ("detected_at", "detected_at__p IS NOT NULL", "detected_at__n", "detected_at__p"),
    ]
    if not tool:  # a preset names the tool for every row
        checks.append(("source", "source IS NULL", "NULL", _said("missing required value")))
    cleared: list[str] = [c for c in ("started_at", "resolved_at", "severity") if c in present]
    return checks, ("signal_id", "duplicate signal_id (its first good row is kept)"), cleared


def _survey_checks(present: set[str]) -> tuple[list[Check], Duplicate, list[str]]:
    """Every column of an answer is needed: a missing or bad one rejects the row."""
    kinds = tuple(SURVEY_SCALES)
    scale = " ".join(f"WHEN kind = '{k}' THEN score NOT BETWEEN {lo} AND {hi}" for k, (lo, hi) in SURVEY_SCALES.items())
    checks: list[Check] = [
        ("account", "account IS NULL", "NULL", _said("missing required value")),
        ("at", "at__n IS NULL", "NULL", _said("missing required value")),
        ("at", "at__p IS NOT NULL", "at__n", "at__p"),
        ("kind", "kind IS NULL", "NULL", _said("missing required value")),
        ("kind", f"kind NOT IN ({', '.join(_said(k) for k in kinds)})", "kind__n",
         _said(f"unknown kind (use {' or '.join(kinds)})")),
        ("score", "score__n IS NULL", "NULL", _said("missing required value")),
        ("score", "score__p IS NOT NULL", "score__n", _said("not a whole number")),
        ("score", f"CASE {scale} END", "score__n", _said("score out of range (csat 1..5, nps 0..10)")),
    ]
    return checks, ("account", "duplicate answer (same account, time and kind)"), []


def _report(con: duckdb.DuckDBPyConnection, kind: str, raw: Raw, notes: list[str]) -> LoadReport:
    accepted = fetch_one(con.execute(f"SELECT count(*) FROM {kind}"))[0]
    reasons = {r: int(n) for r, n in con.execute(
        "SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()}
    report = LoadReport(rows_read=raw.parsed + raw.malformed, accepted=accepted, rejected=sum(reasons.values()),
                        reasons=reasons, format=kind, notes=notes)
    for column, problem, fix, rows, example in con.execute(
        'SELECT "column", problem, fix, count(*), arg_min(value, row_number) FROM cleared GROUP BY ALL ORDER BY 4 DESC'
    ).fetchall():
        report.cleared[f"{column}: {problem} (e.g. {example!r}), left empty; {fix}"] = int(rows)
    check_accounting(report)
    return report


def empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    """`signals` and `surveys` present (empty when the data has none), so every query can read them."""
    for kind, spec in SPECS.items():
        con.execute(table_ddl(kind, spec.columns, if_not_exists=True))


__all__ = ["SPECS", "RecordKind", "empty_tables", "load_signal_file"]
