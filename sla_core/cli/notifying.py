"""`python -m sla_core notify --db STORE [--policy P] [--dry-run]`: message the policy's `notify` targets about
clocks that turned at_risk or breached since the last run, and each `digest: weekly` target once a week about the
post-incident reviews and action items due (sla_core/notify/). Meant for cron, every minute."""

from __future__ import annotations

import argparse
from pathlib import Path

from sla_core.cli import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="store file (default: $SLA_BOARD_DB or sla_board.duckdb)")
    common.add_policy_argument(parser)
    parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                        help="print what would be queued and sent (a digest in full); send and write nothing")


def run(args: argparse.Namespace) -> int:
    from sla_core.ingest.store import store_path
    from sla_core.notify import notify
    from sla_core.notify.http import http_post
    from sla_core.policy import load_policy

    policy = load_policy(args.policy)
    if not policy.notify:
        raise common.UsageError(f"{args.policy}: the policy names no `notify` targets")
    path = store_path(args.db)
    if not path.is_file():
        raise common.UsageError(f"--db {path}: no such store (run `python -m sla_core import` first)")
    report = notify(path, policy, common.now(), dry_run=args.dry_run, send=http_post)
    for line in report.lines(args.dry_run):
        print(line)
    return 1 if report.failed else 0
