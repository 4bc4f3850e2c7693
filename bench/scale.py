"""How does the SLA engine's cost grow with tickets? 100k, 1M and 10M tickets with events, each in a fresh process.

The claim under test (issue 7): 10M tickets evaluated in under 30 s with peak
memory under 4 GB on a 2-core machine, cost growing linearly with tickets.

Run from the repository root:

    python bench/scale.py                              # 100k, 1M, 10M
    python bench/scale.py --sizes 100000 --sizes 300000   # a quick check

For each size, one subprocess builds bench/data/scale_<n>.duckdb on disk
(chunks of sla_core.sample.generate, each chunk's ticket ids renamed in SQL so
they stay unique; kept for later runs unless --rebuild), then a second, fresh
subprocess opens that file with DuckDB's memory_limit and a temp_directory
under bench/data/ (so it can spill instead of growing) and times
sla_core.clocks.engine.evaluate over it. The evaluating process's own peak resident
memory is the kernel's high-water mark (VmHWM), so each size's peak is its
own. The results table is written into the file, not kept in RAM.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/scale.py` as well as `python -m bench.scale`
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.engine import same_shape_floor_pass  # noqa: E402
from bench.memory import gib, phase_peak, reset_phase_peak  # noqa: E402
from sla_core.now import now as clock_now  # noqa: E402

DATA = ROOT / "bench" / "data"
DEFAULT_POLICY = ROOT / "sample_data" / "policy.yaml"
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
CHUNK = 1_000_000  # tickets generated (and held in Arrow) at a time
TARGET_SECONDS, TARGET_PEAK_BYTES, TARGET_SIZE = 30.0, 4 * 1024**3, 10_000_000
LINEAR_SLOPE = 1.15  # log-log slope of time against tickets; 1.0 is exactly linear


def db_path(n: int) -> Path:
    return DATA / f"scale_{n}.duckdb"


# --------------------------------------------------------------------------- child: build


def build(n: int, path: Path, seed: int, chunk: int) -> dict[str, Any]:
    """Generate n tickets chunk by chunk straight into a DuckDB file; ids stay unique across chunks."""
    import pyarrow as pa

    from sla_core.columns import events_ddl, tickets_ddl
    from sla_core.sample import generate

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(tmp))
    spill = DATA / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute("SET memory_limit = '3GB'")
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute(tickets_ddl())
    con.execute(events_ddl())
    made, events, k = 0, 0, 0
    while made < n:
        size = min(chunk, n - made)
        tickets_t, events_t = generate(size, seed=seed + k)
        events_t = events_t.append_column("seq", pa.array(range(events + 1, events + events_t.num_rows + 1), pa.int64()))
        con.register("_chunk_tickets", tickets_t)
        con.register("_chunk_events", events_t)
        # generate() numbers every chunk T-000001...: prefix the chunk so ids stay unique.
        prefix = f"K{k:03d}-"
        con.execute("INSERT INTO tickets SELECT * REPLACE (? || ticket_id AS ticket_id) FROM _chunk_tickets", [prefix])
        con.execute("INSERT INTO events SELECT * REPLACE (? || ticket_id AS ticket_id) FROM _chunk_events", [prefix])
        con.unregister("_chunk_tickets")
        con.unregister("_chunk_events")
        made += size
        events += events_t.num_rows
        k += 1
        del tickets_t, events_t
    distinct = con.execute("SELECT count(DISTINCT ticket_id) FROM tickets").fetchone()[0]
    if distinct != n:
        raise SystemExit(f"built {distinct:,} distinct ticket ids for {n:,} tickets")
    con.execute("CHECKPOINT")
    con.close()
    tmp.replace(path)
    return {"tickets": n, "events": events, "build_seconds": time.perf_counter() - started,
            "build_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "chunks": k}


# --------------------------------------------------------------------------- child: evaluate


def evaluate_file(path: Path, policy_path: Path, as_of: datetime, memory_limit: str, threads: Optional[int],
                  repeat: int) -> dict[str, Any]:
    """Time engine.evaluate over the file's tables; peak memory is this fresh process's own high-water mark."""
    from sla_core.clocks.engine import evaluate
    from sla_core.policy import load_policy

    policy = load_policy(policy_path)
    spill = DATA / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute("SET threads = ?", [threads])
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')"
    ).fetchall())
    tickets, events = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("tickets", "events"))
    can_reset = reset_phase_peak()
    rss_before = phase_peak()
    runs, cpu = [], []
    peak = None
    for run in range(max(1, repeat)):
        started, cpu_started = time.perf_counter(), time.process_time()
        out = evaluate(con, policy, as_of)
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if run == 0:
            peak = phase_peak() if can_reset else None
    rows = con.execute(f"SELECT count(*) FROM {out}").fetchone()[0]
    states = dict(con.execute(f"SELECT state, count(*) FROM {out} GROUP BY state").fetchall())
    spilled = sum(f.stat().st_size for f in spill.glob("**/*") if f.is_file())
    con.execute(f"DROP TABLE {out}")  # keep the file at its input size for the next run
    # What writing the result alone costs here: the same columns by plain arithmetic, written into the file too.
    output_floor = min(same_shape_floor_pass(con, as_of) for _ in range(max(1, repeat)))
    con.execute("DROP TABLE floor_results")
    con.close()
    return {
        "tickets": tickets, "events": events, "result_rows": rows, "states": states,
        "seconds": min(runs), "runs": runs, "cpu": cpu, "output_floor": output_floor,
        "peak": peak, "rss_at_start": rss_before, "process_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": settings.get("threads"), "memory_limit": settings.get("memory_limit"), "spill_left": spilled,
    }


# --------------------------------------------------------------------------- parent


def child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run this script in a fresh interpreter and read the JSON line it prints last."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def slope(a: tuple[int, float], b: tuple[int, float]) -> float:
    """Log-log slope between two (tickets, seconds) points: 1.0 = linear, 2.0 = quadratic."""
    return math.log(b[1] / a[1]) / math.log(b[0] / a[0])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/scale.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, action="append", help="ticket counts (repeatable; default 100k, 1M, 10M)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=CHUNK, help=f"tickets generated at a time (default {CHUNK:,})")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit for the evaluation (default 3GB)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's choice)")
    parser.add_argument("--repeat", type=int, default=1, help="evaluations per size; the best time counts")
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--as-of", default="2026-11-26T12:00", help="evaluation instant (default: the data horizon)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data files even if present")
    parser.add_argument("--clean", action="store_true", help="delete each data file after its size is measured")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per child process")
    parser.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-evaluate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_build:
        print(json.dumps(build(args.child_build, db_path(args.child_build), args.seed, args.chunk)))
        return 0
    if args.child_evaluate:
        from sla_core.cli.common import parse_as_of
        from sla_core.policy import load_policy

        as_of = parse_as_of(args.as_of, load_policy(args.policy))
        result = evaluate_file(db_path(args.child_evaluate), Path(args.policy), as_of, args.memory_limit,
                               args.threads, args.repeat)
        print(json.dumps(result, default=str))
        return 0

    sizes = sorted(set(args.sizes or DEFAULT_SIZES))
    print(f"# SLA engine at scale ({clock_now().astimezone():%Y-%m-%d %H:%M %Z})\n")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}; memory_limit {args.memory_limit}, spill to {DATA / 'spill'}; "
          f"policy {args.policy}; as of {args.as_of}.\n")
    rows: list[dict[str, Any]] = []
    for n in sizes:
        built: dict[str, Any] = {}
        if args.rebuild or not db_path(n).exists():
            built = child(["--child-build", str(n), "--seed", str(args.seed), "--chunk", str(args.chunk)], args.timeout)
            print(f"built {db_path(n).name}: {built['tickets']:,} tickets, {built['events']:,} events in "
                  f"{built['build_seconds']:.1f} s ({built['chunks']} chunks, builder peak {gib(built['build_peak'])})",
                  flush=True)
        shutil.rmtree(DATA / "spill", ignore_errors=True)
        extra = ["--memory-limit", args.memory_limit, "--repeat", str(args.repeat), "--policy", args.policy,
                 "--as-of", args.as_of] + (["--threads", str(args.threads)] if args.threads else [])
        measured = child(["--child-evaluate", str(n), *extra], args.timeout)
        measured["file_bytes"] = db_path(n).stat().st_size
        rows.append(measured)
        print(f"evaluated {n:,}: {measured['seconds']:.2f} s, peak {gib(measured['peak'])}", flush=True)
        if args.clean:
            db_path(n).unlink(missing_ok=True)
    shutil.rmtree(DATA / "spill", ignore_errors=True)

    print("\n| tickets | events | result rows | evaluate s (best) | CPU s | tickets/s | us/ticket | peak RSS (eval process) "
          "| slope vs previous size | output floor s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    previous = None
    for r in rows:
        point = (r["tickets"], r["seconds"])
        s = f"{slope(previous, point):.2f}" if previous else ""
        print(f"| {r['tickets']:,} | {r['events']:,} ({r['events'] / r['tickets']:.1f}/ticket) | {r['result_rows']:,} "
              f"| {r['seconds']:.2f} | {r['cpu'][0]:.1f} | {r['tickets'] / r['seconds']:,.0f} "
              f"| {1e6 * r['seconds'] / r['tickets']:.2f} | {gib(r['peak'])} | {s} | {r['output_floor']:.2f} |")
        previous = point
    print(f"\nthreads {rows[0]['threads']}, memory_limit {rows[0]['memory_limit']}; states at the largest size: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(rows[-1]["states"].items())) + ".")
    print("Output floor: the same result columns computed by plain calendar-time arithmetic (bench.engine's "
          "same-shape floor, no SLA rule) and written into the same file; what is left of evaluate's time is the "
          "SLA work (statuses, calendars, tier changes).")

    print("\n| target | measured | verdict |")
    print("| --- | --- | --- |")
    big = next((r for r in rows if r["tickets"] >= TARGET_SIZE), None)
    if big:
        print(f"| {TARGET_SIZE:,} tickets evaluated in < {TARGET_SECONDS:.0f} s | {big['seconds']:.2f} s "
              f"| {'PASS' if big['seconds'] < TARGET_SECONDS else 'FAIL'} |")
        print(f"| (not a target) writing the result alone at {TARGET_SIZE:,} | {big['output_floor']:.2f} s, leaving "
              f"{TARGET_SECONDS - big['output_floor']:.1f} s of the {TARGET_SECONDS:.0f} s for the SLA work "
              f"(evaluate spends {big['seconds'] - big['output_floor']:.1f} s on it) | |")
        print(f"| peak memory < {gib(TARGET_PEAK_BYTES)} at {TARGET_SIZE:,} | {gib(big['peak'])} "
              f"| {'PASS' if big['peak'] is not None and big['peak'] < TARGET_PEAK_BYTES else 'FAIL'} |")
    else:
        print(f"| {TARGET_SIZE:,} tickets in < {TARGET_SECONDS:.0f} s and < {gib(TARGET_PEAK_BYTES)} | not run "
              f"(largest size {rows[-1]['tickets']:,}) | n/a |")
    if len(rows) >= 2:
        worst = max(slope((a["tickets"], a["seconds"]), (b["tickets"], b["seconds"])) for a, b in zip(rows, rows[1:]))
        print(f"| cost grows linearly (log-log slope <= {LINEAR_SLOPE}) | worst slope {worst:.2f} "
              f"| {'PASS' if worst <= LINEAR_SLOPE else 'FAIL'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
