"""`python -m sla_core evaluate`: every SLA clock, one row per ticket and metric, into a CSV or Parquet file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sla_core.cli import common
from sla_core.sqlutil import fetch_one


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_input_arguments(parser)
    common.add_policy_argument(parser)
    common.add_as_of_argument(parser)
    common.add_memory_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="results file (.csv or .parquet)")


def run(args: argparse.Namespace) -> int:
    common.check_input(args, (".csv", ".parquet"), "a .csv or .parquet")
    from sla_core.clocks.engine import evaluate
    from sla_core.policy import load_policy
    from sla_core.present.results_file import write_results

    policy = load_policy(args.policy)
    as_of = common.parse_as_of(args.as_of, policy)
    con = common.connect(args)
    with common.phase("read") as done:
        # a store's kept results, when they fit, spare judging every settled ticket again
        kept_at = common.open_input(con, args, policy, judge_at=as_of)
        tickets, events = (fetch_one(con.execute(f"SELECT count(*) FROM {t}"))[0] for t in ("tickets", "events"))
        done["what"] = f"{tickets:,} tickets, {events:,} events"
    with common.phase("judged") as done:
        table = "sla_results" if kept_at else evaluate(con, policy, as_of)
        states = dict(con.execute(f"SELECT state, count(*) FROM {table} GROUP BY state").fetchall())
        done["what"] = ", ".join(f"{s} {n:,}" for s, n in sorted(states.items()))
    with common.phase("written") as done:
        rows = write_results(con, table, args.out, policy.timezone)
        done["what"] = f"{rows:,} rows to {args.out}, as of {as_of.isoformat()}"
    if kept_at:
        print(f"settled tickets read from the store's kept results (judged {kept_at.isoformat()}); "
              "tickets with a running clock judged now", file=sys.stderr)
    return 0
