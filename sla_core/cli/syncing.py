"""`python -m sla_core sync --db STORE [--config sync.yaml] [--only NAME …] [--dry-run]`: pull what changed in each
configured tool into the store (sla_core/sync/). Meant for cron, every few minutes.

Prints one line per source (records fetched, accepted and rejected, new / updated / unchanged, the new cursor,
or why it failed) and exits 1 when a source failed; a bad sync.yaml, policy or store is one line and exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sla_core.cli import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="store file (default: $SLA_BOARD_DB or sla_board.duckdb)")
    parser.add_argument("--config", type=Path, default=None,
                        help="the sources (default: $SLA_BOARD_SYNC, else sync.yaml here)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only these sources")
    parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                        help="fetch and report what would be stored; write nothing")
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy YAML: its timezone reads naive times, and the store is judged by it "
                             "(default: $SLA_BOARD_POLICY, the dashboard's, else the bundled one)")


def run(args: argparse.Namespace) -> int:
    from sla_core.policy import load_policy
    from sla_core.sources import policy_path
    from sla_core.sync.config import load_config
    from sla_core.sync.run import sync

    config = load_config(args.config)
    policy = load_policy(args.policy or policy_path())
    report = sync(args.db, config, policy, only=args.only, dry_run=args.dry_run)
    for line in report.lines():
        print(line, flush=True)
    return 1 if report.failed else 0
