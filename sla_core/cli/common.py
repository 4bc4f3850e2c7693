"""What the subcommands share: the input arguments, reading the input, "now", and the usage error.

Imports stay inside the functions that need them, so `python -m sla_core
--help` loads no engine, loader or DuckDB.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from sla_core.errors import UserError
from sla_core.now import now
from sla_core.sqlutil import MEMORY_ENV
from sla_core.vocab import DEFAULT_POLICY

if TYPE_CHECKING:
    import duckdb

    from sla_core.policy import Policy


class UsageError(UserError, ValueError):
    """A bad argument value, reported as one line."""


_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def add_memory_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory-limit", dest="memory_limit", default=None,
        help=f"most memory DuckDB may hold, such as 2GB or 512MiB; past it, work spills to a temp folder "
             f"instead of growing (default: ${MEMORY_ENV}, else the smaller of 4 GiB and half the RAM)")


def memory_limit(args: argparse.Namespace) -> Optional[str]:
    """--memory-limit, else SLA_BOARD_MEMORY_LIMIT, checked: a number and a unit."""
    given = getattr(args, "memory_limit", None)
    limit, where = (given, "--memory-limit") if given else (os.environ.get(MEMORY_ENV), MEMORY_ENV)
    if not limit:
        return None
    if not _SIZE.match(limit.strip()):
        raise UsageError(f"{where} {limit!r}: give a size such as 2GB, 1.5GiB or 512MB")
    return limit.strip()


def connect(args: argparse.Namespace) -> "duckdb.DuckDBPyConnection":
    """An in-memory DuckDB for one command, held to the memory limit (spilling to a temp folder past it)."""
    from sla_core.sqlutil import connect as connect_limited

    return connect_limited(memory_limit(args))


@contextmanager
def phase(name: str) -> Iterator[dict[str, str]]:
    """Print one line per phase on stderr when it ends: its name, what it did (the caller fills `done["what"]`)
    and how long it took, so a long command is never silent."""
    done: dict[str, str] = {}
    start = time.perf_counter()
    yield done
    what = f": {done['what']}" if done.get("what") else ""
    print(f"{name}{what} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)


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
