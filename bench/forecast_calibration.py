"""The breaches forecast's calibration, measured by backtest (docs/forecast.md has the numbers it printed).

    python bench/forecast_calibration.py                       # the bundled sample at --as-of
    python bench/forecast_calibration.py --db STORE --policy P --as-of ISO [--until ISO]

Forecasts made at past instants (clocks judged then, history before then) against what then happened, at the
policy's horizon and interval. Prints the coverage of the intervals where the forecast was uncertain, the sure
windows and how many of them missed, the mean absolute error per tier and window, per tier and overall, and the
seconds it took. `--as-of` is the instant the data is judged at (a store's data ends there); `--until` the last
instant what happened is known to (default: the data's last stop or creation).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sla_core.analysis.forecast_backtest import BACKTEST_DAYS, BACKTEST_INSTANTS, backtest, calibration  # noqa: E402
from sla_core.policy import load_policy  # noqa: E402
from sla_core.sources import sample_source, store_source  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a store (default: the bundled sample)")
    parser.add_argument("--policy", type=Path, default=ROOT / "sample_data" / "policy.yaml")
    parser.add_argument("--as-of", default="2026-12-03T10:36:00+00:00", help="judge the data at (ISO 8601)")
    parser.add_argument("--until", help="what happened is known to (ISO 8601; default: the data's end)")
    parser.add_argument("--instants", type=int, default=BACKTEST_INSTANTS)
    parser.add_argument("--days", type=int, default=BACKTEST_DAYS)
    parser.add_argument("--rows", type=Path, help="write every forecast and what happened to this CSV")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    as_of = datetime.fromisoformat(args.as_of)
    source = store_source(policy, args.db, as_of) if args.db else sample_source(policy, as_of)
    started = time.perf_counter()
    summary, rows = backtest(source.con, policy, results=source.results, count=args.instants, days=args.days,
                             until=datetime.fromisoformat(args.until) if args.until else None)
    seconds = time.perf_counter() - started
    if args.rows:
        rows.to_csv(args.rows, index=False)
    print(f"{source.label}: {source.tickets:,} tickets judged at {as_of.isoformat()}; "
          f"horizon {policy.forecast.horizon / 3600:g} h, interval {policy.forecast.interval:.0%}; {seconds:.1f} s")
    if summary.reason:
        print(f"no calibration: {summary.reason}")
        return
    print(f"instants {summary.instants} from {summary.first:%Y-%m-%d %H:%M} to {summary.last:%Y-%m-%d %H:%M} UTC")
    print(f"{'tier':<9} {'forecasts':>9} {'uncertain':>9} {'coverage':>8} {'claimed':>7} {'sure':>5} "
          f"{'sure missed':>11} {'MAE':>6} {'mean':>6}")
    for tier in [*rows["tier"].drop_duplicates(), None]:
        part = calibration(policy, rows if tier is None else rows[rows["tier"] == tier], summary.instants)
        coverage = "-" if part.coverage is None else f"{part.coverage:.0%}"
        claimed = "-" if part.mean_mass is None else f"{part.mean_mass:.0%}"
        print(f"{tier or 'all':<9} {part.forecasts:>9} {part.uncertain:>9} {coverage:>8} {claimed:>7} "
              f"{part.sure:>5} {part.sure_missed:>11} {part.mae:>6.2f} {part.mean_actual:>6.2f}")


if __name__ == "__main__":
    main()
