"""`python -m sla_core import FILE --source ...`: load an export into the persistent store.

Prints rows read, accepted, rejected (per reason), new and updated tickets;
a file, mapping, policy or store that cannot be used ends in one line and
exit code 2 (cli/__init__.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.cli import common
from sla_core.vocab import EXPORT_FORMATS, SIGNAL_TOOLS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the export: .csv, .csv.gz or .parquet")
    parser.add_argument("--source", choices=EXPORT_FORMATS + SIGNAL_TOOLS, default="plain",
                        help="export format (default plain); pagerduty, opsgenie, sentry and datadog read signals "
                             "(alerts, incidents); a plain file of signals, survey answers or deploys is known by "
                             "its header")
    parser.add_argument("--mapping", type=Path, help="mapping YAML (required for --source eventlog)")
    parser.add_argument("--tool", help="the tool that made a deploys file (github, argocd, …): names every "
                                       "deploy's `tool`, for a file without that column")
    parser.add_argument("--db", type=Path, help="store file (default: $SLA_BOARD_DB or sla_board.duckdb)")
    parser.add_argument("--rejects", type=Path, help="write the rejected rows to this CSV")
    parser.add_argument("--events", type=Path, help="a plain events file to load with a plain tickets file")
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy YAML: its timezone reads naive timestamps, and the store is judged by it "
                             "(default: $SLA_BOARD_POLICY, the dashboard's, else the bundled one)")
    common.add_memory_argument(parser)


def run(args: argparse.Namespace) -> int:
    from sla_core.ingest.store import import_file
    from sla_core.sources import policy_path

    if args.source == "eventlog" and args.mapping is None:
        raise common.UsageError("--source eventlog needs --mapping (a mapping file naming ticket_id, at and activity)")
    report = import_file(
        args.file, args.source, mapping_path=args.mapping, db=args.db, rejects_path=args.rejects,
        # by default the dashboard's policy, so the results the import keeps are the ones it uses
        policy=args.policy or policy_path(), events=args.events, memory_limit=common.memory_limit(args),
        progress=lambda line: print(line, file=sys.stderr, flush=True), tool=args.tool,
    )
    for line in report.lines():
        print(line)
    return 0
