"""One checksum of the engine's whole output at a million tickets: a refactor must leave it unchanged.

    python -m bench.checksum                  # 1,000,000 generated tickets (seed 7), the bundled policy

Prints the row count and a SHA-256 over every result row in (ticket_id, metric) order, judged at the
generator's data horizon. Compare the line before and after a change that should not move a result.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # `python bench/checksum.py` as well as `python -m bench.checksum`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb

from sla_core.clocks.engine import evaluate
from sla_core.policy import load_policy
from sla_core.sample import DEFAULT_END, DEFAULT_TIMEZONE, write_into

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    write_into(con, args.tickets, seed=7)
    as_of = datetime.fromisoformat(DEFAULT_END).replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    started = time.perf_counter()
    out = evaluate(con, load_policy(ROOT / "sample_data" / "policy.yaml"), as_of)
    seconds = time.perf_counter() - started
    digest = hashlib.sha256()
    rows = 0
    cur = con.execute(f"SELECT * FROM {out} ORDER BY ticket_id, metric")
    while batch := cur.fetchmany(100_000):
        rows += len(batch)
        digest.update(repr(batch).encode())
    print(f"{args.tickets:,} tickets: {rows:,} result rows, sha256 {digest.hexdigest()} (evaluate {seconds:.2f} s)")


if __name__ == "__main__":
    main()
