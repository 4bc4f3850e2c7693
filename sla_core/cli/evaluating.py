"""`python -m sla_core evaluate`: every SLA clock, one row per ticket and metric, into a CSV or Parquet file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.cli import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_input_arguments(parser)
    common.add_policy_argument(parser)
    common.add_as_of_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="results file (.csv or .parquet)")


def run(args: argparse.Namespace) -> int:
    import duckdb

    from sla_core.clocks.engine import evaluate
    from sla_core.policy import load_policy
    from sla_core.present.results_file import write_results

    common.check_input(args, (".csv", ".parquet"), "a .csv or .parquet")
    policy = load_policy(args.policy)
    as_of = common.parse_as_of(args.as_of, policy)
    con = duckdb.connect()
    # a store's kept results, when they fit, spare judging every settled ticket again
    kept_at = common.open_input(con, args, policy, judge_at=as_of)
    table = "sla_results" if kept_at else evaluate(con, policy, as_of)
    rows = write_results(con, table, args.out, policy.timezone)
    states = dict(con.execute(f"SELECT state, count(*) FROM {table} GROUP BY state").fetchall())
    summary = ", ".join(f"{s} {n}" for s, n in sorted(states.items()))
    print(f"wrote {rows} rows to {args.out} (as of {as_of.isoformat()}): {summary}", file=sys.stderr)
    if kept_at:
        print(f"settled tickets read from the store's kept results (judged {kept_at.isoformat()}); "
              "tickets with a running clock judged now", file=sys.stderr)
    return 0
