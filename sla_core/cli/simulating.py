"""`python -m sla_core simulate`: replay history under a candidate policy (docs/design.md "Command line").

Writes one row per ticket and metric with both sides (`tier_current`,
`tier_candidate`, `state_current`, `state_candidate`, ...), and prints the
tier transition matrix and adherence per tier and metric under both.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sla_core.cli import common

if TYPE_CHECKING:
    from sla_core.simulate import Period


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_input_arguments(parser)
    common.add_policy_argument(parser, "the current policy YAML", required=True)
    parser.add_argument("--candidate", type=Path, required=True, help="the candidate policy YAML")
    parser.add_argument("--from", dest="date_from", help="replay tickets created on or after this date (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", help="... and before this date (YYYY-MM-DD, exclusive)")
    common.add_as_of_argument(parser)
    common.add_memory_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="diff file (.csv or .parquet)")


def _date(text: Optional[str], flag: str) -> Optional[date]:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise common.UsageError(f"{flag} {text!r}: not a date (use YYYY-MM-DD, e.g. 2026-07-01)") from None


def _period(args: argparse.Namespace) -> "Period":
    from sla_core.simulate import Period

    try:
        return Period(_date(args.date_from, "--from"), _date(args.date_to, "--to"))
    except ValueError as err:
        if isinstance(err, common.UsageError):
            raise
        raise common.UsageError(f"--from/--to: {err}") from None


def _pct(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]  # None and pandas' NA raise
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(number) else f"{number:.1%}"


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from sla_core.policy import load_policy
    from sla_core.simulate import prepare_baseline, prepare_replay, simulate, targets_warnings, write_diff

    common.check_input(args, (".csv", ".parquet"), "a .csv or .parquet")
    period = _period(args)
    current = load_policy(args.policy)
    candidate = load_policy(args.candidate)
    as_of = common.parse_as_of(args.as_of, current)
    con = common.connect(args)
    con.execute("SET TimeZone = 'UTC'")
    common.open_input(con, args, current)

    replay = prepare_replay(prepare_baseline(con, current, as_of), period)
    result = simulate(replay, candidate)
    rows = write_diff(result, args.out)

    for warning in targets_warnings(candidate):
        print(f"warning: candidate targets: {warning}", file=sys.stderr)
    print(f"Replayed {replay.ticket_count:,} tickets created {period.label()} (as of {as_of.isoformat()}); "
          f"{result.changed_count():,} change tier or state.\n")
    print("Tier transition matrix (rows: current tier, columns: candidate tier)")
    print(result.transition_matrix().to_string())
    print("\nAdherence per tier and metric (met / (met + breached))")
    adherence = result.adherence()
    table = pd.DataFrame({
        "tier": adherence["tier"],
        "metric": adherence["metric"],
        "current": [f"{_pct(a)} ({m}/{m + b})" for a, m, b in
                    zip(adherence["adherence_current"], adherence["met_current"], adherence["breached_current"])],
        "candidate": [f"{_pct(a)} ({m}/{m + b})" for a, m, b in
                      zip(adherence["adherence_candidate"], adherence["met_candidate"], adherence["breached_candidate"])],
        "change": ["-" if pd.isna(d) else f"{d:+.1f} pts" for d in adherence["delta_points"]],
    })
    print(table.to_string(index=False))
    print(f"\nwrote {rows} rows to {args.out}", file=sys.stderr)
    return 0
