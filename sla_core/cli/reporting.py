"""`python -m sla_core report --month YYYY-MM …`: the monthly review as one self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.cli import common
from sla_core.periods import parse_month


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_input_arguments(parser)
    parser.add_argument("--month", help="the month to review, YYYY-MM (in the policy timezone; default: the last "
                        "complete month with decided clocks, as the dashboard opens on)")
    common.add_policy_argument(parser)
    common.add_as_of_argument(parser)
    common.add_memory_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    parser.add_argument(
        "--feedback-db", dest="feedback_db", type=Path,
        help="store holding post-incident reviews and action items (default: the --db store, if given)",
    )


def run(args: argparse.Namespace) -> int:

    from sla_core.analysis.filters import Filters
    from sla_core.policy import load_policy
    from sla_core.present.report import write_report
    from sla_core.sources import evaluated

    common.check_input(args, (".html", ".htm"), "an .html")
    try:
        month = None if args.month is None else parse_month(args.month)
    except ValueError as err:
        raise common.UsageError(f"--month: {err}") from None
    feedback_db = args.feedback_db or args.db
    if args.feedback_db is not None and not args.feedback_db.is_file():
        raise common.UsageError(f"--feedback-db {args.feedback_db}: no such store file")
    policy = load_policy(args.policy)
    as_of = common.parse_as_of(args.as_of, policy)
    con = common.connect(args)
    common.open_input(con, args, policy)
    label = f"Store {args.db}" if args.db else f"File {args.tickets.name}"
    src = evaluated(con, policy, as_of, kind="store" if args.db else "upload", label=label, version="cli",
                    writes_to=args.db)
    month = month or src.default_period
    path = write_report(src, Filters(period=month), args.out, feedback_db=feedback_db)
    size = path.stat().st_size
    print(f"wrote the {month:%Y-%m} report to {path} ({size / 1e6:.1f} MB, as of {as_of.isoformat()})",
          file=sys.stderr)
    return 0
