"""How long does a simulator slider move take on a quarter of a million tickets?

The claim under test (issue 5): a slider move re-scores and re-evaluates a
quarter of 1,000,000 tickets in under 1 s. A "move" is what the page does:
`simulate(replay, candidate)` plus the frames it draws (transition matrix,
adherence, on-call load, the first changed tickets).

Run from the repository root:

    python -m bench.simulator                      # 1,000,000 tickets, last full quarter (~250k)
    python -m bench.simulator --tickets 200000 --profile-engine

It prints a markdown table per candidate; with --profile-engine it also times
each SQL statement inside one full `engine.evaluate` of the period (where the
time goes when every ticket must be re-evaluated). Exit status 0 whatever the
numbers: they depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional

if __package__ in (None, ""):  # `python bench/simulator.py` as well as `python -m bench.simulator`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb

from sla_core import simulate as sim
from sla_core.cli.common import parse_as_of
from sla_core.clocks.engine import evaluate
from sla_core.now import now as clock_now
from sla_core.policy import Policy, load_policy
from sla_core.sample import DEFAULT_END, write_into

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POLICY = ROOT / "sample_data" / "policy.yaml"
TARGET_SECONDS = 1.0


def candidates(policy: Policy) -> list[tuple[str, Policy, bool]]:
    """(label, candidate, only_affected): the moves a product lead makes, then the worst case."""
    return [
        ("identical to current", policy, True),
        ("weight: severity 0.35 -> 0.45", sim.with_weights(policy, severity=0.45), True),
        ("scale: segment self_serve 0.3 -> 0.5", sim.with_scale(policy, "segment", "self_serve", 0.5), True),
        ("threshold: high 0.50 -> 0.55", sim.with_thresholds(policy, high=0.55), True),
        ("target: critical acknowledge 30m -> 15m", sim.with_target(policy, "critical", "acknowledge", "15m"), True),
        ("target: high acknowledge 2h -> 1h", sim.with_target(policy, "high", "acknowledge", "1h"), True),
        ("target: medium acknowledge 8h -> 4h", sim.with_target(policy, "medium", "acknowledge", "4h"), True),
        ("thresholds: all above 1 (every scored ticket to low)",
         sim.with_thresholds(policy, critical=1.3, high=1.2, medium=1.1), True),
        ("worst case: every period ticket re-evaluated", sim.with_weights(policy, severity=0.45), False),
    ]


def move(replay: sim.Replay, candidate: Policy, only_affected: bool) -> tuple[float, sim.Simulation, float, float]:
    """One slider move as the page makes it; returns (wall seconds, simulation, frames seconds, CPU seconds).

    CPU seconds (all threads of this process) barely depend on what else the machine runs; on an
    otherwise idle machine the wall time lies between CPU / threads and CPU.
    """
    cpu = time.process_time()
    started = time.perf_counter()
    result = sim.simulate(replay, candidate, only_affected=only_affected)
    frames_started = time.perf_counter()
    result.transition_matrix()
    result.adherence()
    result.on_call_load(capacity=100)
    result.changed_tickets(limit=200)
    done = time.perf_counter()
    return done - started, result, done - frames_started, time.process_time() - cpu


class TimedConnection:
    """Delegates to a DuckDB connection, timing every execute by the first words of its SQL."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.timings: list[tuple[str, float]] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        label = " ".join(sql.split())[:90]
        self.timings.append((label, time.perf_counter() - started))
        return result

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return getattr(self._con, name)


def profile_engine(replay: sim.Replay, policy: Policy, as_of: datetime) -> None:
    timed = TimedConnection(replay.con.cursor())
    started = time.perf_counter()
    evaluate(timed, policy, as_of, tickets=replay.period_tickets, events=replay.period_events, out="_bench_profile")
    total = time.perf_counter() - started
    print(f"\n## engine.evaluate over the period's {replay.ticket_count:,} tickets, statement by statement ({total:.2f} s)\n")
    print("| seconds | share | statement (first words) |")
    print("| ---: | ---: | --- |")
    for label, seconds in sorted(timed.timings, key=lambda x: -x[1])[:12]:
        print(f"| {seconds:.3f} | {seconds / total:.0%} | `{label}` |")
    replay.con.execute("DROP TABLE IF EXISTS _bench_profile")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--as-of", default=DEFAULT_END, help=f"evaluation instant (default: the data horizon {DEFAULT_END})")
    parser.add_argument("--repeat", type=int, default=3, help="moves timed per candidate; the best counts (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's choice)")
    parser.add_argument("--profile-engine", action="store_true", help="also time each statement of one full evaluation")
    args = parser.parse_args(argv)

    policy = load_policy(args.policy)
    as_of = parse_as_of(args.as_of, policy)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    started = time.perf_counter()
    n_tickets, n_events = write_into(con, args.tickets, args.seed)
    gen_seconds = time.perf_counter() - started
    baseline = sim.prepare_baseline(con, policy, as_of)
    period = sim.default_quarter(con, policy, as_of)
    replay = sim.prepare_replay(baseline, period)

    print(f"# Simulator benchmark ({clock_now().astimezone():%Y-%m-%d %H:%M %Z})\n")
    print(
        f"{n_tickets:,} tickets, {n_events:,} events (generated in {gen_seconds:.1f} s), seed {args.seed}, as of "
        f"{as_of.isoformat()}; DuckDB {duckdb.__version__} with {threads} threads, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the start.\n"
    )
    print(f"- baseline (current side, every ticket, once per data version): {baseline.seconds:.2f} s")
    print(
        f"- replay of {period.label()} (once per period): {replay.ticket_count:,} tickets, "
        f"{replay.profile_count:,} rubric profiles, {replay.seconds:.2f} s\n"
    )
    print("| candidate | re-evaluated tickets | changed tickets | score | select | evaluate | diff | frames "
          "| move total (best) | CPU s of that move | runs | < 1 s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for label, candidate, only_affected in candidates(policy):
        runs = [move(replay, candidate, only_affected) for _ in range(max(1, args.repeat))]
        total, result, frames, cpu = min(runs, key=lambda r: r[0])
        t = result.timings
        print(
            f"| {label} | {result.affected:,} | {result.changed_count():,} | {t.score:.3f} | {t.select:.3f} "
            f"| {t.judge:.3f} | {t.compare:.3f} | {frames:.3f} | **{total:.3f}** | {cpu:.2f} "
            f"| {', '.join(f'{r[0]:.2f}' for r in runs)} | {'yes' if total < TARGET_SECONDS else 'NO'} |"
        )
        for run in runs:
            run[1].close()
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")
    if args.profile_engine:
        profile_engine(replay, policy, as_of)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
