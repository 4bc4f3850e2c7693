"""The speed ratios of issue 27, measured in one run, and the CI's guard against a gross regression.

Run from the repository root:

    python bench/ratios.py                            # 1,000,000 tickets: the table `make bench` prints
    python bench/ratios.py --tickets 200000 --check   # CI: fail when a ratio is over twice its recorded baseline

Each line is a whole process against its floor, both in fresh processes on the same files in the same run, so
the machine's speed (which drifts by ±20 % here) cancels out:
- `evaluate`: `python -m sla_core evaluate` Parquet → Parquet against one `python` that imports duckdb and writes
  three plain calendar-time clocks per ticket (bench/whole_process.py's floor);
- `import`: `python -m sla_core import` of the tickets and events CSVs into a new store against one `python`
  in which DuckDB reads both CSVs into a database file.

Ratios, not seconds: `--check` reads the baseline from bench/RESULTS.md, the line
`ratio-baseline <tickets>: evaluate=<x> import=<y>`, and fails (exit 1) only when a ratio is more than
twice it: noise never fails CI, a slide such as 11.8x -> 15.3x... -> 30x does.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.whole_process import AS_OF, FLOOR_SCRIPT, timed  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
GROSS = 2.0  # a ratio over this many times its baseline is a regression, not noise
CSV_FLOOR = """
import sys, duckdb
tickets, events, store = sys.argv[1:4]
con = duckdb.connect(store)
con.execute("CREATE TABLE tickets AS SELECT * FROM read_csv(?)", [tickets])
con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?)", [events])
"""


def files(n: int, seed: int) -> Path:
    """tickets and events of the sample generator, as Parquet and as CSV (made once, reused by later runs)."""
    folder = DATA / f"ratios_{n}"
    if not (folder / "tickets.csv").is_file():
        from sla_core.sample import generate, write_files

        started = time.perf_counter()
        tickets, events = generate(n, seed=seed)
        for fmt in ("parquet", "csv"):
            write_files(tickets, events, folder, fmt)
        print(f"(files for {n:,} tickets generated in {time.perf_counter() - started:.0f} s, not counted)\n")
    return folder


def measure(n: int, seed: int) -> dict[str, dict[str, Any]]:
    folder, python = files(n, seed), sys.executable
    for stale in ("store.duckdb", "store.duckdb.wal", "floor.duckdb", "floor.duckdb.wal"):
        (folder / stale).unlink(missing_ok=True)
    found = {
        "evaluate floor": timed([python, "-c", FLOOR_SCRIPT, str(folder / "tickets.parquet"),
                                 str(folder / "floor.parquet"), AS_OF]),
        "evaluate": timed([python, "-m", "sla_core", "evaluate", "--tickets", str(folder / "tickets.parquet"),
                           "--events", str(folder / "events.parquet"), "--as-of", AS_OF,
                           "--out", str(folder / "results.parquet")]),
        "import floor": timed([python, "-c", CSV_FLOOR, str(folder / "tickets.csv"), str(folder / "events.csv"),
                               str(folder / "floor.duckdb")]),
        "import": timed([python, "-m", "sla_core", "import", str(folder / "tickets.csv"), "--events",
                         str(folder / "events.csv"), "--db", str(folder / "store.duckdb")]),
    }
    for stale in ("store.duckdb", "store.duckdb.wal", "store.duckdb.lock", "floor.duckdb"):
        (folder / stale).unlink(missing_ok=True)
    return found


def baseline(n: int) -> Optional[dict[str, float]]:
    """The recorded ratios for this size: `ratio-baseline 200000: evaluate=6.1 import=3.4` in RESULTS.md."""
    match = re.search(rf"^ratio-baseline {n}: (.*)$", RESULTS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    if match is None:
        return None
    return {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", match.group(1))}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when a ratio is over {GROSS:g}x its baseline in bench/RESULTS.md")
    parser.add_argument("--clean", action="store_true", help="remove the generated files afterwards")
    args = parser.parse_args(argv)
    found = measure(args.tickets, args.seed)
    ratios = {work: found[work]["seconds"] / found[f"{work} floor"]["seconds"] for work in ("evaluate", "import")}
    recorded = baseline(args.tickets) or {}
    print(f"## Speed ratios, {args.tickets:,} tickets (one run)\n")
    print("| work | seconds | peak memory | floor seconds | ratio | baseline | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    failed = []
    for work, ratio in ratios.items():
        run, floor = found[work], found[f"{work} floor"]
        base = recorded.get(work)
        gross = base is not None and ratio > GROSS * base
        failed += [work] if gross else []
        verdict = "no baseline" if base is None else ("GROSS REGRESSION" if gross else "ok")
        print(f"| `{work}` | {run['seconds']:.1f} | {run['peak_mib']:,.0f} MiB | {floor['seconds']:.1f} "
              f"| {ratio:.1f}x | {f'{base:.1f}x' if base else '—'} | {verdict} |")
    print(f"\nratio-measured {args.tickets}: " + " ".join(f"{w}={r:.1f}" for w, r in ratios.items()))
    if args.clean:
        shutil.rmtree(DATA / f"ratios_{args.tickets}", ignore_errors=True)
    if args.check and not recorded:
        print(f"no `ratio-baseline {args.tickets}:` line in {RESULTS.relative_to(ROOT)}", file=sys.stderr)
        return 1
    if args.check and failed:
        print(f"gross regression: {', '.join(failed)} over {GROSS:g}x the recorded ratio", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
