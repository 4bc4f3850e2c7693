"""`python -m sla_core evaluate | import | simulate | report`: the stable command line of DESIGN.md.

Every failure a user can cause (bad file, bad policy, bad date) ends in one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional, Sequence

import duckdb

from sla_core.clock import NowError, now
from sla_core.clocks.engine import evaluate
from sla_core.policy import Policy, PolicyError, load_policy
from sla_core.vocab import DEFAULT_POLICY

# Subcommands whose module provides add_arguments(parser) and run(args) -> int.
PLUGGED_COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("sla_core.cli.importing", "load an export into the persistent store"),
    "simulate": ("sla_core.cli.simulating", "replay history under a candidate policy"),
    "report": ("sla_core.cli.reporting", "write the monthly review as one HTML file"),
}


class UsageError(ValueError):
    """A bad argument value, reported as one line."""


def parse_as_of(text: Optional[str], policy: Policy) -> datetime:
    """ISO 8601 instant; a naive one is read in the policy timezone; none means now (clock.now)."""
    if text is None:
        return now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r}: not an ISO 8601 date or time (e.g. 2026-11-26T17:00:00+00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=policy.zone)


def open_input(
    con: duckdb.DuckDBPyConnection, args: argparse.Namespace, policy: Policy, *, judge_at: Optional[datetime] = None
) -> Optional[datetime]:
    """Fill `tickets` and `events` in `con` from files (reporting rejects) or from a store.

    With `judge_at` (the instant the caller judges at) and a store, also fills `sla_results` from the store's
    kept results when they fit, and returns the instant they were judged at (see kept.py).
    """
    if args.db:
        from sla_core.ingest.store import attach_store

        return attach_store(con, args.db, kept_for=None if judge_at is None else (policy, judge_at))
    from sla_core.ingest.loading import load_files

    report = load_files(con, args.tickets, args.events, policy)
    for line in report.lines():
        print(line, file=sys.stderr)
    return None


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """--tickets/--events or --db, and --policy: shared by evaluate and simulate."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", type=Path, help="tickets file (.csv or .parquet)")
    source.add_argument("--db", type=Path, help="persistent store (DuckDB file) written by `import`")
    parser.add_argument("--events", type=Path, help="events file (.csv or .parquet), with --tickets")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate every SLA clock and write one row per ticket and metric")
    add_input_arguments(p)
    p.add_argument("--policy", type=Path, default=DEFAULT_POLICY, help="policy YAML (default: the bundled one)")
    p.add_argument("--as-of", dest="as_of", help="evaluate at this instant (ISO 8601; default: now)")
    p.add_argument("--out", type=Path, required=True, help="results file (.csv or .parquet)")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from sla_core.present.results_file import write_results

    if args.events and not args.tickets:
        raise UsageError("--events goes with --tickets")
    if args.out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out {args.out}: use a .csv or .parquet file name")
    policy = load_policy(args.policy)
    as_of = parse_as_of(args.as_of, policy)
    con = duckdb.connect()
    # a store's kept results, when they fit, spare judging every settled ticket again
    kept_at = open_input(con, args, policy, judge_at=as_of)
    table = "sla_results" if kept_at else evaluate(con, policy, as_of)
    rows = write_results(con, table, args.out, policy.timezone)
    states = dict(con.execute(f"SELECT state, count(*) FROM {table} GROUP BY state").fetchall())
    summary = ", ".join(f"{s} {n}" for s, n in sorted(states.items()))
    print(f"wrote {rows} rows to {args.out} (as of {as_of.isoformat()}): {summary}", file=sys.stderr)
    if kept_at:
        print(f"settled tickets read from the store's kept results (judged {kept_at.isoformat()}); "
              "tickets with a running clock judged now", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sla_core", description="SLA Board command line")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_evaluate(sub)
    for name, (module_name, help_text) in PLUGGED_COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue
        p = sub.add_parser(name, help=help_text)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [PolicyError, UsageError, NowError, duckdb.IOException, OSError]
    for module_name, names in (("sla_core.ingest.loading", ("LoadError",)), ("sla_core.ingest.store", ("StoreError",))):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        errors += [getattr(module, n) for n in names if hasattr(module, n)]
    return tuple(errors)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except _known_errors() as err:
        message = " ".join(str(err).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
