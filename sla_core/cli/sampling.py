"""`python -m sla_core sample --out DIR [--tickets N] [--seed S] …`: write a synthetic ticket set (the committed
sample_data/ is `--tickets 3000 --seed 7 --out sample_data`) with its signals, survey answers and deploys."""

from __future__ import annotations

import argparse

from sla_core.cli import common
from sla_core.sample.draws import DEFAULT_END, DEFAULT_START, DEFAULT_TIMEZONE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tickets", type=int, default=3000, help="number of tickets (default 3000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--start", default=DEFAULT_START, help=f"first creation instant (default {DEFAULT_START})")
    parser.add_argument("--end", default=DEFAULT_END,
                        help=f"data horizon: nothing at or after it (default {DEFAULT_END})")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE,
                        help=f"local zone of the team (default {DEFAULT_TIMEZONE})")


def run(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from sla_core.sample import generate, write_files, write_signal_files
    from sla_core.sample.draws import moment

    try:
        tickets, events = generate(args.tickets, args.seed, args.start, args.end, args.timezone)
        horizon = datetime.fromtimestamp(moment(args.end, ZoneInfo(args.timezone)), timezone.utc)
    except (ValueError, KeyError) as err:
        raise common.UsageError(f"sample: {err}") from err
    paths = write_files(tickets, events, args.out, args.format, args.timezone)
    print(f"wrote {tickets.num_rows} tickets to {paths[0]} and {events.num_rows} events to {paths[1]}")
    extra = write_signal_files(tickets, events, args.out, args.format, args.timezone, as_of=horizon, seed=args.seed)
    print(f"wrote signals to {extra[0]}, survey answers to {extra[1]} and deploys to {extra[2]}")
    return 0
