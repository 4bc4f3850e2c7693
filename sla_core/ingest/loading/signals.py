"""Signals (alerts and incidents of a monitoring or incident tool), survey answers and deploys into their typed
tables: staged like every file, every row accepted or rejected with its row, column and reason.

All three sit beside the tickets: signals time detection (docs/data.md, Signals), survey answers measure what an
incident did to the accounts it hit (Survey answers), deploys are what changed before an incident began
(Deploys). A bad optional value (a start time that does not parse, a resolution before the alert) is left empty
and counted with the fix, as for tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import duckdb

from sla_core.columns import (
    DEPLOY_COLUMNS,
    REQUIRED_DEPLOY_COLUMNS,
    REQUIRED_SIGNAL_COLUMNS,
    REQUIRED_SURVEY_COLUMNS,
    SIGNAL_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_SCALES,
    table_ddl,
)
from sla_core.ingest.loading.reading import Source, read_counts
from sla_core.ingest.loading.report import LoadError, LoadReport, check_accounting
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
from sla_core.ingest.loading.values import NOT_WHOLE, Found, Plan, plan_columns, text_cell
from sla_core.ingest.mapping import Mapping
from sla_core.policy import Policy
from sla_core.sqlutil import fetch_one, quote_ident


@dataclass(frozen=True)
class RecordKind:
    """A kind of record beside the tickets: its table's columns, the ones a row needs, what makes two rows the same
    record (the loader's duplicates and the store's upsert), what the reports call its rows, the column a
    rejected row is named by, and the column naming the tool that made the record (None: no tool), which the
    import may fill instead of the file (a signals preset, `import --tool` for deploys)."""

    columns: dict[str, str]
    required: tuple[str, ...]
    identity: tuple[str, ...]
    noun: str
    named_by: str
    tool: Optional[str] = None


SPECS: dict[str, RecordKind] = {
    "signals": RecordKind(SIGNAL_COLUMNS, REQUIRED_SIGNAL_COLUMNS, ("source", "signal_id"), "signals", "signal_id",
                          tool="source"),
    "surveys": RecordKind(SURVEY_COLUMNS, REQUIRED_SURVEY_COLUMNS, ("account", "at", "kind"), "survey answers",
                          "account"),
    "deploys": RecordKind(DEPLOY_COLUMNS, REQUIRED_DEPLOY_COLUMNS, ("tool", "deploy_id"), "deploys", "deploy_id",
                          tool="tool"),
}
# A record whose tool the file does not name: the tool it was imported with, else this.
UNNAMED_TOOL = "other"
# Why a file without its tool column cannot be read, and how to name the tool instead.
_NO_TOOL = {
    "signals": "required column 'source' (the tool: pagerduty, datadog, …) is missing; map it, or import with "
               "--source pagerduty|opsgenie|sentry|datadog",
    "deploys": "required column 'tool' (what deployed: github, argocd, …) is missing; map it, or import with "
               "--tool NAME",
}


def _plan(con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping, tool: Optional[str]) -> Plan:
    """The file's plan; a file that cannot be planned is read first, so that its own problems are told first."""
    kind = mapping.format
    spec = SPECS[kind]

    def plan() -> Plan:
        planned = plan_columns(source.columns, mapping, source.label, spec.required, (), spec.columns,
                               source.delimiter)
        if spec.tool and not tool and spec.tool not in planned.sources:
            raise LoadError(f"{source.label}: {_NO_TOOL[kind]}")
        return planned

    try:
        return plan()
    except LoadError:
        read_counts(con, source)
        return plan()


def load_signal_file(
    con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping, policy: Policy, *, tool: Optional[str]
) -> LoadReport:
    """Typed `signals`, `surveys` or `deploys` (mapping.format) from the file; rejects into `rejects`, values left
    empty into `cleared`. `tool` names the tool of every signal (`source`) or deploy (`tool`): the file's own
    column is then not read."""
    kind = mapping.format
    columns = SPECS[kind].columns
    plan = _plan(con, source, mapping, tool)
    notes = [f"{source.label}: {m}" for m in plan.missing_optional]
    durations = [Duration(target, mapping.durations[target].since if mapping.durations[target].since in plan.found
                          else None, text_cell([Found(column)], mapping, {}), mapping.durations[target].unit,
                          target in plan.found, text_when_derived=True)
                 for target, column in plan.durations.items()]
    present = set(plan.found) | set(plan.durations)
    verdict, cleared = (_signal_checks(present, tool) if kind == "signals" else
                        _deploy_checks(tool) if kind == "deploys" else _survey_checks())
    late = [[ParamSql().add("*" + _contradictions(present))]] if kind == "signals" else []
    table = f"{source.table}_staged"
    staged = stage_mapped(con, source, table, plan, mapping, kind, dict(columns), plan.zone or policy.timezone,
                          durations=durations, late=[*late, [ParamSql().add("*"), verdict.staged()]])
    try:
        dup_join = _duplicates(con, staged, _identity(kind, plan.found, tool))
        relation = judged(staged, verdict.final() if dup_join else None, dup_join)
        con.execute(table_ddl(kind, columns, replace=True))
        select, params = _output(kind, columns, plan, cleared, tool)
        con.execute(f"INSERT INTO {kind} SELECT {', '.join(select)} FROM {relation} WHERE {VERDICT} IS NULL "
                    f"ORDER BY {ROW}", params)
        write_rejects(con, staged, relation, kind, SPECS[kind].named_by, into="rejects", create=True)
        con.execute('CREATE OR REPLACE TABLE cleared (row_number BIGINT, "column" VARCHAR, value VARCHAR, '
                    "problem VARCHAR, fix VARCHAR)")
        write_cleared(con, relation, kind, [c for c in cleared if c in present], into="cleared")
        return _report(con, kind, source, notes)
    finally:
        for t in (table, f"{table}_dups"):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _output(kind: str, columns: dict[str, str], plan: Plan, cleared: list[str],
            tool: Optional[str]) -> tuple[list[str], list[object]]:
    """The SELECT terms of the kind's table, and their parameters."""
    select = []
    for column, typ in columns.items():
        if column == SPECS[kind].tool:
            # a preset's (or the import's) tool names every row; a file's own `source` (Opsgenie: the sending
            # system) does not
            select.append(f"coalesce({column}, ?) AS {column}" if column in plan.found and not tool
                          else f"CAST(? AS VARCHAR) AS {column}")
        elif column not in plan.found and column not in plan.durations:
            select.append(f"CAST(NULL AS {typ}) AS {quote_ident(column)}")
        elif column in cleared:
            select.append(f"CASE WHEN {p(column)} IS NULL THEN {quote_ident(column)} END AS {quote_ident(column)}")
        else:
            select.append(quote_ident(column))
    return select, [tool or UNNAMED_TOOL] if SPECS[kind].tool else []


def _identity(kind: str, present: Iterable[str], tool: Optional[str]) -> str:
    """SQL: what makes two rows of the file the same record (SPECS); a preset's rows all come from its one tool,
    whatever the export's own `source` field says."""
    named = SPECS[kind].tool
    same = [c for c in SPECS[kind].identity if c != named or (named in present and not tool)]
    return ", ".join(quote_ident(c) for c in same)


def _duplicates(con: duckdb.DuckDBPyConnection, staged: Staged, identity: str) -> str:
    """`{table}_dups`: the repeats of a record among the rows that pass every other check, so a good copy after a
    bad one is kept; returns the join adding their place to the staged rows ('' when none repeats)."""
    key = ROW if staged.source.positional else "rowid"
    table = f"{staged.table}_dups"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT r, nth FROM (
            SELECT {key} AS r, row_number() OVER (PARTITION BY {identity} ORDER BY {key}) AS nth
            FROM {staged.table} WHERE {VERDICT} IS NULL)
        WHERE nth > 1"""
    )
    if not fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]:
        return ""
    return f" LEFT JOIN {table} __d ON __d.r = s.{key}"


def _contradictions(present: set[str]) -> str:
    """A start after the alert, or a resolution before it, cannot both be right: the optional one is left
    empty and counted (the alert's time is what the row is for). SQL: the `REPLACE` of their problems."""
    replaced = [f"coalesce({p(column)}, CASE WHEN {quote_ident(column)} {op} detected_at THEN {said(problem)} END) "
                f"AS {p(column)}"
                for column, op, problem in (("started_at", ">", "started after detected"),
                                            ("resolved_at", "<", "resolved before detected")) if column in present]
    return f" REPLACE ({', '.join(replaced)})" if replaced else ""


def _signal_checks(present: set[str], tool: Optional[str]) -> tuple[Verdict, list[str]]:
    """Rejects (no id, no tool, no parseable alert time, a repeated id) and the optional values left empty."""
    checks: list[Check] = [
        ("signal_id", "signal_id IS NULL", "NULL", said("missing required value")),
        ("detected_at", f"{n('detected_at')} IS NULL", "NULL", said("missing required value")),
        ("detected_at", f"{p('detected_at')} IS NOT NULL", n("detected_at"), p("detected_at")),
    ]
    if not tool:  # a preset names the tool for every row
        checks.append(("source", "source IS NULL", "NULL", said("missing required value")))
    cleared: list[str] = [c for c in ("started_at", "resolved_at", "severity") if c in present]
    checks.append(("signal_id", "__d.nth > 1", "signal_id", said("duplicate signal_id (its first good row is kept)")))
    return Verdict(checks, frozenset({len(checks) - 1})), cleared


def _deploy_checks(tool: Optional[str]) -> tuple[Verdict, list[str]]:
    """Rejects: no id, no service (a deploy no incident can be matched to), no parseable time, no tool (unless the
    import names it), a repeated id of one tool. `version` is free text: nothing to leave empty."""
    checks: list[Check] = [
        ("deploy_id", "deploy_id IS NULL", "NULL", said("missing required value")),
        ("service", "service IS NULL", "NULL", said("missing required value")),
        ("deployed_at", f"{n('deployed_at')} IS NULL", "NULL", said("missing required value")),
        ("deployed_at", f"{p('deployed_at')} IS NOT NULL", n("deployed_at"), p("deployed_at")),
    ]
    if not tool:
        checks.append(("tool", "tool IS NULL", "NULL", said("missing required value")))
    checks.append(("deploy_id", "__d.nth > 1", "deploy_id", said("duplicate deploy_id (its first good row is kept)")))
    return Verdict(checks, frozenset({len(checks) - 1})), []


def _survey_checks() -> tuple[Verdict, list[str]]:
    """Every column of an answer is needed: a missing or bad one rejects the row."""
    kinds = tuple(SURVEY_SCALES)
    scale = " ".join(f"WHEN kind = '{k}' THEN score NOT BETWEEN {lo} AND {hi}" for k, (lo, hi) in SURVEY_SCALES.items())
    checks: list[Check] = [
        ("account", "account IS NULL", "NULL", said("missing required value")),
        ("at", f"{n('at')} IS NULL", "NULL", said("missing required value")),
        ("at", f"{p('at')} IS NOT NULL", n("at"), p("at")),
        ("kind", "kind IS NULL", "NULL", said("missing required value")),
        ("kind", f"kind NOT IN ({', '.join(said(k) for k in kinds)})", n("kind"),
         said(f"unknown kind (use {' or '.join(kinds)})")),
        ("score", f"{n('score')} IS NULL", "NULL", said("missing required value")),
        ("score", f"{p('score')} IS NOT NULL", n("score"), said(NOT_WHOLE)),
        ("score", f"CASE {scale} END", n("score"), said("score out of range (csat 1..5, nps 0..10)")),
    ]
    checks.append(("account", "__d.nth > 1", "account", said("duplicate answer (same account, time and kind)")))
    return Verdict(checks, frozenset({len(checks) - 1})), []


def _report(con: duckdb.DuckDBPyConnection, kind: str, source: Source, notes: list[str]) -> LoadReport:
    accepted = fetch_one(con.execute(f"SELECT count(*) FROM {kind}"))[0]
    reasons = {r: int(n) for r, n in con.execute(
        "SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()}
    report = LoadReport(rows_read=source.parsed + source.malformed, accepted=accepted,
                        rejected=sum(reasons.values()), reasons=reasons, format=kind, notes=notes)
    for column, problem, fix, rows, example in con.execute(
        'SELECT "column", problem, fix, count(*), arg_min(value, row_number) FROM cleared GROUP BY ALL ORDER BY 4 DESC'
    ).fetchall():
        report.cleared[f"{column}: {problem} (e.g. {example!r}), left empty; {fix}"] = int(rows)
    check_accounting(report)
    return report


def empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    """`signals`, `surveys` and `deploys` present (empty when the data has none), so every query can read them."""
    for kind, spec in SPECS.items():
        con.execute(table_ddl(kind, spec.columns, if_not_exists=True))


__all__ = ["SPECS", "RecordKind", "empty_tables", "load_signal_file"]
