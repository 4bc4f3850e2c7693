"""How long does importing an export into the store take? 1M tickets (+ events) from CSV and from Parquet.

Run from the repository root:

    python bench/importing.py                    # 1,000,000 tickets
    python bench/importing.py --tickets 100000   # a quick check

Writes the sample generator's tickets and events once as CSV (ISO timestamps
with offsets, as an export would have them) and as Parquet under
bench/data/import_<n>/, then imports each format with
sla_core.ingest.store.import_file into a FRESH store file, each in its own
subprocess so the peak resident memory (ru_maxrss) is that import's alone.
Prints rows read / accepted / rejected, seconds (and the import's phases: loaded,
stored, judged), rows per second, peak memory and the store's size on disk.

The floor is measured in the same run, also in a fresh subprocess: DuckDB
reading both files of the format into a fresh database file (`CREATE TABLE AS
SELECT * FROM read_csv(...)`, types detected; read_parquet for Parquet). Each
import's ratio to its floor is printed beside it (issue 27's target for CSV:
at most 3x).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.memory import gib  # noqa: E402
from sla_core.now import now as clock_now  # noqa: E402

DATA = ROOT / "bench" / "data"
FORMATS = ("csv", "parquet")


def export_dir(n: int) -> Path:
    return DATA / f"import_{n}"


def write_exports(n: int, seed: int) -> dict[str, Any]:
    """tickets/events as CSV and Parquet (generated once; files are reused by later runs)."""
    from sla_core.sample import generate, write_files

    folder = export_dir(n)
    started = time.perf_counter()
    tickets, events = generate(n, seed=seed)
    for fmt in FORMATS:
        write_files(tickets, events, folder / fmt, fmt)
    return {"tickets": tickets.num_rows, "events": events.num_rows, "seconds": time.perf_counter() - started}


def floor_once(n: int, fmt: str) -> dict[str, Any]:
    """The floor: DuckDB reading both files into a fresh database file; runs in its own process."""
    folder = export_dir(n) / fmt
    store = DATA / f"floor_{n}_{fmt}.duckdb"
    store.unlink(missing_ok=True)
    Path(f"{store}.wal").unlink(missing_ok=True)
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    started, cpu_started = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(store))
    for name in ("tickets", "events"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}(?)", [str(folder / f"{name}.{fmt}")])
    con.close()
    result = {"format": f"floor {fmt}", "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started,
              "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    store.unlink(missing_ok=True)
    return result


def import_once(n: int, fmt: str) -> dict[str, Any]:
    """One import into a fresh store file; runs in its own process."""
    from sla_core.ingest.store import import_file

    folder = export_dir(n) / fmt
    store = DATA / f"import_{n}_{fmt}.duckdb"
    store.unlink(missing_ok=True)
    Path(f"{store}.wal").unlink(missing_ok=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    phases: dict[str, float] = {}

    def progress(line: str) -> None:  # "loaded: ...", "stored: ...", "judged: ...": seconds since the start
        phases[line.split(":", 1)[0]] = time.perf_counter() - started

    report = import_file(folder / f"tickets.{fmt}", "plain", db=store, events=folder / f"events.{fmt}",
                         progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    con = duckdb.connect(str(store), read_only=True)
    stored = con.execute("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM events)").fetchone()
    con.close()
    load = report.load
    result = {
        "format": fmt, "seconds": seconds, "cpu": cpu, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rows_read": load.rows_read, "accepted": load.accepted, "rejected": load.rejected, "reasons": load.reasons,
        "events_read": load.events_rows_read, "events_accepted": load.events_accepted,
        "events_rejected": load.events_rejected, "new": report.new, "stored_tickets": stored[0],
        "stored_events": stored[1], "input_bytes": sum(p.stat().st_size for p in folder.iterdir()),
        "store_bytes": store.stat().st_size, "phases": phases,
    }
    store.unlink(missing_ok=True)
    return result


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/importing.py", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--rebuild", action="store_true", help="rewrite the export files even if present")
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--floor", choices=FORMATS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(import_once(args.tickets, args.child)))
        return 0
    if args.floor:
        print(json.dumps(floor_once(args.tickets, args.floor)))
        return 0

    print(f"# Store import ({clock_now().astimezone():%Y-%m-%d %H:%M %Z})\n")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}.\n")
    folder = export_dir(args.tickets)
    if args.rebuild or not all((folder / f / f"events.{f}").exists() for f in FORMATS):
        made = write_exports(args.tickets, args.seed)
        print(f"wrote {made['tickets']:,} tickets and {made['events']:,} events as CSV and Parquet to {folder} "
              f"in {made['seconds']:.1f} s\n")
    rows, floors = [], {}
    for fmt in args.formats:
        for flag in ("--floor", "--child"):
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--tickets", str(args.tickets),
                                   flag, fmt], capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                raise SystemExit(f"{flag[2:]} of {fmt} failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if flag == "--floor":
                floors[fmt] = result
            else:
                rows.append(result)

    print("| format | input size | ticket rows read / accepted / rejected | event rows read / accepted / rejected "
          "| seconds (loaded / stored / judged) | CPU s | tickets/s | peak RSS | store size | floor s | ratio |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        floor = floors[r["format"]]
        phases = " / ".join(f"{r['phases'][k]:.1f}" for k in ("loaded", "stored", "judged") if k in r["phases"])
        print(f"| {r['format']} | {r['input_bytes'] / 1e6:,.0f} MB | {r['rows_read']:,} / {r['accepted']:,} / {r['rejected']:,} "
              f"| {r['events_read']:,} / {r['events_accepted']:,} / {r['events_rejected']:,} | {r['seconds']:.1f} "
              f"({phases}) | {r['cpu']:.1f} | {r['rows_read'] / r['seconds']:,.0f} | {gib(r['peak'])} "
              f"| {r['store_bytes'] / 1e6:,.0f} MB | {floor['seconds']:.1f} | {r['seconds'] / floor['seconds']:.1f}x |")
        assert r["stored_tickets"] == r["accepted"] and r["stored_events"] == r["events_accepted"], r
    for r in rows:
        if r["reasons"]:
            print(f"\n{r['format']} rejects: " + ", ".join(f"{k} {v:,}" for k, v in r["reasons"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
