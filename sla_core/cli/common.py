"""What the subcommands share: the input arguments, reading the input, "now", and the usage error.

Imports stay inside the functions that need them, so `python -m sla_core
--help` loads no engine, loader or DuckDB.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sla_core.clock import now
from sla_core.errors import UserError
from sla_core.vocab import DEFAULT_POLICY

if TYPE_CHECKING:
    import duckdb

    from sla_core.policy import Policy


class UsageError(UserError, ValueError):
    """A bad argument value, reported as one line."""


def parse_as_of(text: Optional[str], policy: "Policy") -> datetime:
    """ISO 8601 instant; a naive one is read in the policy timezone; none means now (clock.now)."""
    if text is None:
        return now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r}: not an ISO 8601 date or time (e.g. 2026-11-26T17:00:00+00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=policy.zone)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """--tickets/--events or --db: the input of evaluate, simulate and report."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", type=Path, help="tickets file (.csv or .parquet)")
    source.add_argument("--db", type=Path, help="persistent store (DuckDB file) written by `import`")
    parser.add_argument("--events", type=Path, help="events file (.csv or .parquet), with --tickets")


def add_policy_argument(parser: argparse.ArgumentParser, help_text: str = "policy YAML (default: the bundled one)",
                        required: bool = False) -> None:
    parser.add_argument("--policy", type=Path, required=required, default=None if required else DEFAULT_POLICY,
                        help=help_text)


def add_as_of_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", dest="as_of", help="judge the clocks at this instant (ISO 8601; default: now, "
                        "or SLA_BOARD_NOW when set)")


def check_input(args: argparse.Namespace, suffixes: tuple[str, ...], kind: str) -> None:
    """--events only with --tickets, and an --out file name ending in one of `suffixes` (`kind` says which)."""
    if args.events and not args.tickets:
        raise UsageError("--events goes with --tickets")
    if args.out.suffix.lower() not in suffixes:
        raise UsageError(f"--out {args.out}: use {kind} file name")


def open_input(
    con: "duckdb.DuckDBPyConnection", args: argparse.Namespace, policy: "Policy", *,
    judge_at: Optional[datetime] = None,
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
