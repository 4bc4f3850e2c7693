"""What a user waits for: the whole `python -m sla_core evaluate` process against the whole-process floor.

Run from the repository root:

    python bench/whole_process.py                    # 1,000,000 tickets (and their events), Parquet in and out
    python bench/whole_process.py --tickets 100000   # a quick check
    python bench/whole_process.py --memory-limit 1GB # evaluate with --memory-limit (DuckDB spills past it)

The floor (issue 19): one fresh `python` process that imports duckdb, reads the same tickets Parquet, computes
three plain calendar-time clocks per ticket with fixed targets and writes them to Parquet. `evaluate` is timed
the same way, in its own process, on the same files, in the same run; each process's wall time and peak resident
memory come from /usr/bin/time. The phases `evaluate` prints (read, judged, written) say where its time goes.
`--help` is timed too (best of five).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data"
AS_OF = "2026-11-26T12:00:00+00:00"
TARGET_RATIO, TARGET_HELP_SECONDS = 5.0, 0.5
FLOOR_SCRIPT = """
import sys, duckdb
tickets, out, as_of = sys.argv[1:4]
con = duckdb.connect()
con.execute('''
    COPY (
        WITH m AS (SELECT unnest(['acknowledge', 'action_plan', 'resolution']) AS metric,
                          unnest([8 * 3600, 24 * 3600, 14 * 86400]) AS target_seconds)
        SELECT t.ticket_id, m.metric, m.target_seconds,
               epoch(coalesce(CASE m.metric WHEN 'acknowledge' THEN t.acknowledged_at
                                            WHEN 'action_plan' THEN t.action_plan_at ELSE t.resolved_at END,
                              ?::TIMESTAMPTZ)) - epoch(t.created_at) AS elapsed_seconds,
               elapsed_seconds > m.target_seconds AS breached
        FROM read_parquet(?) t CROSS JOIN m
    ) TO ? (FORMAT parquet)''', [as_of, tickets, out])
"""


def data_dir(n: int) -> Path:
    return DATA / f"whole_{n}"


def ensure_files(n: int, seed: int) -> dict[str, Any]:
    """tickets.parquet and events.parquet of the sample generator (made once, reused by later runs)."""
    folder = data_dir(n)
    if (folder / "tickets.parquet").is_file() and (folder / "events.parquet").is_file():
        return {"generated": False}
    from sla_core.sample import generate, write_files

    started = time.perf_counter()
    tickets, events = generate(n, seed=seed)
    write_files(tickets, events, folder, "parquet")
    return {"generated": True, "seconds": time.perf_counter() - started}


def timed(argv: list[str]) -> dict[str, Any]:
    """Run a process under /usr/bin/time: wall seconds, peak resident MiB, its stderr."""
    done = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", *argv], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}… failed:\n{done.stderr[-2000:]}")
    match = re.search(r"TIME ([\d.]+) (\d+)", done.stderr)
    assert match is not None, done.stderr
    return {"seconds": float(match.group(1)), "peak_mib": int(match.group(2)) / 1024, "stderr": done.stderr}


def phases(stderr: str) -> list[tuple[str, str, float]]:
    """The phase lines `evaluate` prints: (name, what, seconds)."""
    found = re.findall(r"^(read|judged|written): (.*) \(([\d.]+) s\)$", stderr, flags=re.MULTILINE)
    return [(name, what, float(seconds)) for name, what, seconds in found]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", dest="memory_limit", default=None)
    args = parser.parse_args(argv)
    made = ensure_files(args.tickets, args.seed)
    folder = data_dir(args.tickets)
    python = sys.executable

    floor = timed([python, "-c", FLOOR_SCRIPT, str(folder / "tickets.parquet"), str(folder / "floor.parquet"), AS_OF])
    command = [python, "-m", "sla_core", "evaluate", "--tickets", str(folder / "tickets.parquet"),
               "--events", str(folder / "events.parquet"), "--as-of", AS_OF, "--out", str(folder / "results.parquet")]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    whole = timed(command)
    helps = [timed([python, "-m", "sla_core", "--help"])["seconds"] for _ in range(5)]

    ratio = whole["seconds"] / floor["seconds"]
    print(f"## `evaluate` whole process vs the whole-process floor, {args.tickets:,} tickets\n")
    if made["generated"]:
        print(f"(files generated in {made['seconds']:.0f} s, not counted)\n")
    print("| process | seconds | peak memory | ratio | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| floor: `python` + duckdb, 3 plain clocks per ticket, Parquet → Parquet | {floor['seconds']:.1f} | "
          f"{floor['peak_mib']:,.0f} MiB | 1.0x | |")
    limit = f" `--memory-limit {args.memory_limit}`" if args.memory_limit else ""
    print(f"| `python -m sla_core evaluate`{limit}, Parquet → Parquet | {whole['seconds']:.1f} | "
          f"{whole['peak_mib']:,.0f} MiB | {ratio:.1f}x | ≤ {TARGET_RATIO:.0f}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'not met'} |")
    for name, what, seconds in phases(whole["stderr"]):
        print(f"| · {name} ({what}) | {seconds:.1f} | | | |")
    best = min(helps)
    print(f"| `python -m sla_core --help` (best of 5) | {best:.2f} | | | ≤ {TARGET_HELP_SECONDS} s: "
          f"{'met' if best <= TARGET_HELP_SECONDS else 'not met'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
