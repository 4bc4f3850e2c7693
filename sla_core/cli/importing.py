"""`python -m sla_core import FILE --source ...`: load an export into the persistent store.

Prints rows read, accepted, rejected (per reason), new and updated tickets;
exits non-zero with a one-line reason when the file, mapping, policy or store
cannot be used. The lead's `sla_core/cli.py` plugs `add_arguments` / `run` in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.analysis.datasource import policy_path
from sla_core.ingest.loading import SOURCES_SUPPORTED, LoadError
from sla_core.ingest.mapping import MappingError
from sla_core.ingest.store import StoreError, import_file
from sla_core.policy import PolicyError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the export: .csv, .csv.gz or .parquet")
    parser.add_argument("--source", choices=SOURCES_SUPPORTED, default="plain", help="export format (default plain)")
    parser.add_argument("--mapping", type=Path, help="mapping YAML (required for --source eventlog)")
    parser.add_argument("--db", type=Path, help="store file (default: $SLA_BOARD_DB or sla_board.duckdb)")
    parser.add_argument("--rejects", type=Path, help="write the rejected rows to this CSV")
    parser.add_argument("--events", type=Path, help="a plain events file to load with a plain tickets file")
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy YAML: its timezone reads naive timestamps, and the store is judged by it "
                             "(default: $SLA_BOARD_POLICY, the dashboard's, else the bundled one)")


def run(args: argparse.Namespace) -> int:
    if args.source == "eventlog" and args.mapping is None:
        print("error: --source eventlog needs --mapping (a mapping file naming ticket_id, at and activity)",
              file=sys.stderr)
        return 2
    try:
        report = import_file(
            args.file, args.source, mapping_path=args.mapping, db=args.db, rejects_path=args.rejects,
            # by default the dashboard's policy, so the results the import keeps are the ones it uses
            policy=args.policy or policy_path(), events=getattr(args, "events", None),
        )
    except (LoadError, MappingError, PolicyError, StoreError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0
