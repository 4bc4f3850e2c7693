"""New visitors against one server: time to the Review's headline per session, the server's CPU and memory.

    python bench/load.py                       # 1 session (repeated) and 20 at once, floor and SLA Board
    python bench/load.py --sessions 1,8,20 --repeat 5
    python bench/load.py --store bench/data/review_1000000.duckdb   # the Review on a store instead of the sample
    python bench/load.py --profile 20 --py-spy /tmp/pyspy/bin/py-spy  # where a new session's server CPU goes

Starts two `streamlit run` servers the way the browser tests do (tests/browser/app_server.py): SLA Board
(`app.py`, the bundled sample unless --store) and the floor, `bench/floor_app.py`, a page holding one
`st.metric("Clocks met", 608)`: what Streamlit itself costs a new session on this machine. Each session is
a websocket to `/_stcore/stream` speaking Streamlit's own protobuf messages, as the browser does: one
BackMsg `rerun_script` (the link's query string, the page, the browser's context), then ForwardMsgs until
`script_finished`. No browser runs, so the client's CPU stays out of the server's numbers (the client is
this process: a few milliseconds of protobuf parsing per session).

Per batch (N sessions opened at once): the time from opening the websocket to the delta carrying the
"Clocks met" metric (the headline) and to `script_finished` (page done), per session; the server process's
CPU seconds (utime + stime from /proc/PID/stat) over the batch, divided by N (pooled over the batches:
/proc counts in 10 ms ticks); its RSS (/proc/PID/status,
sampled every 20 ms; VmHWM is the process's peak since start). Each server gets one session first after
its start (a visitor warming it: the sample judged, the caches filled), reported apart; the batches after
it are new visitors on a warm server. Floor and SLA Board alternate batch by batch, so both see the same
machine. `--profile N` instead samples the SLA Board server with py-spy (not a dependency: `pip install
--target DIR py-spy`) over N new sessions, one after another on a warm server, and prints the functions
that hold the most samples, inclusive of what they call.

Targets (issue 27, item 5): a new session's server CPU <= 1.5x the floor's and its headline <= 2x the
floor's time; 20 at once: the median time to the headline <= 2x the floor page's under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect  # Streamlit's own server dependency (uvicorn's websockets)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sla_core.now import now as clock_now  # noqa: E402 - the time, read as the project reads it
from tests.browser.app_server import streamlit_server  # noqa: E402
HEADLINE = "Clocks met"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    pid: int
    url: str
    query: str = ""  # the link's query string (without "?")


@contextmanager
def serve(name: str, script: str, log: Path, env: dict[str, str], query: str = "") -> Iterator[Server]:
    """`streamlit run script` on a free port, as the browser tests start the app, until the block ends."""
    with streamlit_server(script, log, start_timeout=90, env={**os.environ, **env}) as (url, proc):
        yield Server(name, proc.pid, url, query)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of proc(5), counted after the name


def load_average() -> list[str]:
    """The 1, 5 and 15 minute load averages (/proc/loadavg): how busy the shared machine was."""
    return Path("/proc/loadavg").read_text().split()[:3]


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS since the start) of the process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


@dataclass
class Session:
    headline: Optional[float] = None  # seconds from opening the websocket to the "Clocks met" delta
    done: Optional[float] = None  # ... to script_finished
    received: int = 0  # bytes of ForwardMsgs
    messages: int = 0
    error: str = ""


def _rerun(query: str) -> bytes:
    """The BackMsg a browser sends first: run the script for this link (the default page), no widget state."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_script_hash = ""
    state.page_name = ""
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "Europe/London", 0, "en-GB"
    info.url = "http://127.0.0.1/" + (f"?{query}" if query else "")
    info.is_embedded, info.color_scheme = False, "light"
    return msg.SerializeToString()


def _has_headline(msg: ForwardMsg) -> bool:
    return (msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element"
            and msg.delta.new_element.WhichOneof("type") == "metric"
            and msg.delta.new_element.metric.label == HEADLINE)


async def one_session(server: Server, timeout: float) -> Session:
    """Open a session as a browser does and read it until the script has finished."""
    found = Session()
    started = time.perf_counter()
    ws_url = server.url.replace("http", "ws", 1) + "/_stcore/stream"
    try:
        async with connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                           origin=server.url) as ws:  # type: ignore[arg-type]
            await ws.send(_rerun(server.query))
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(1.0, timeout - (time.perf_counter() - started)))
                found.received += len(raw)
                found.messages += 1
                msg = ForwardMsg()
                msg.ParseFromString(raw)  # type: ignore[arg-type]
                if found.headline is None and _has_headline(msg):
                    found.headline = time.perf_counter() - started
                if (msg.WhichOneof("type") == "script_finished"
                        and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN):
                    found.done = time.perf_counter() - started
                    break
    except Exception as err:  # noqa: BLE001 - a benchmark reports a failed session and goes on
        found.error = f"{type(err).__name__}: {err}"
    return found


@dataclass
class Batch:
    server: str
    sessions: list[Session]
    cpu: float  # server CPU seconds over the batch
    peak_rss: int  # KiB, sampled during the batch
    hwm: int  # KiB, VmHWM after the batch
    wall: float

    def times(self, what: str) -> list[float]:
        return [getattr(s, what) for s in self.sessions if getattr(s, what) is not None]


def run_batch(server: Server, n: int, timeout: float) -> Batch:
    """N sessions opened at once; the server's CPU and RSS over them."""
    peak = [memory_kib(server.pid)["VmRSS"]]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], memory_kib(server.pid)["VmRSS"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def all_at_once() -> list[Session]:
        return list(await asyncio.gather(*(one_session(server, timeout) for _ in range(n))))

    cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
    sessions = asyncio.run(all_at_once())
    time.sleep(0.3)  # the server closes the sessions: part of what a visit costs
    cpu, wall = cpu_seconds(server.pid) - cpu_before, time.perf_counter() - started
    stop.set()
    sampler.join()
    for s in sessions:
        if s.error or s.headline is None:
            print(f"  {server.name}: a session failed: {s.error or 'no headline metric'}", file=sys.stderr)
    return Batch(server.name, sessions, cpu, peak[0], memory_kib(server.pid)["VmHWM"], wall)


def profile(board: Server, n: int, spy: str, timeout: float, shown: int = 60) -> None:
    """py-spy over N new sessions on the warm server: the functions holding the most of the server's samples
    (inclusive: a function and what it calls), and the lines that spend them (self)."""
    out = Path(tempfile.mkdtemp(prefix="sla_board_spy_")) / "samples.txt"
    recorder = subprocess.Popen([spy, "record", "-p", str(board.pid), "-o", str(out), "-f", "raw", "-r", "250",
                                 "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # py-spy attaches
    cpu = cpu_seconds(board.pid)
    for _ in range(n):
        run_batch(board, 1, timeout)
    cpu = cpu_seconds(board.pid) - cpu
    recorder.send_signal(signal.SIGINT)
    recorder.wait(timeout=60)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        own[stack.split(";")[-1]] += int(count)
    print(f"{n} new sessions, {cpu / n:.3f} s server CPU each; {total} samples at 250 Hz\n\ninclusive:")
    for frame, count in inclusive.most_common(shown):
        print(f"{100 * count / total:5.1f} %  {frame}")
    print("\nself:")
    for frame, count in own.most_common(shown // 3):
        print(f"{100 * count / total:5.1f} %  {frame}")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def row(label: str, n: int, batches: list[Batch]) -> tuple[str, dict[str, float]]:
    heads = [t for b in batches for t in b.times("headline")]
    dones = [t for b in batches for t in b.times("done")]
    cpu = sum(b.cpu for b in batches) / (n * len(batches))  # /proc counts in 10 ms ticks: pooled, not a median
    kib = [s.received / 1024 for b in batches for s in b.sessions]
    failed = sum(1 for b in batches for s in b.sessions if s.headline is None)
    figures = {"median": _median(heads), "max": max(heads, default=float("nan")), "cpu": cpu}
    text = (f"| {label} | {n} | {len(batches)} | {figures['median']:.2f} | {figures['max']:.2f} | {_median(dones):.2f} "
            f"| {cpu:.3f} | {min(b.cpu / n for b in batches):.3f}–{max(b.cpu / n for b in batches):.3f} "
            f"| {max(b.peak_rss for b in batches) / 1024:.0f} | {_median(kib):.0f} | {failed} |")
    return text, figures


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,20", help="batch sizes, comma-separated (default 1,20)")
    parser.add_argument("--repeat", type=int, default=5, help="batches of each size per server (default 5)")
    parser.add_argument("--store", type=Path, help="a store for SLA Board to open on (default: the sample)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a session may take")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N new sessions with py-spy instead")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable (for --profile)")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sessions.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="sla_board_load_"))
    store = args.store.resolve() if args.store else folder / "none.duckdb"  # no store: the sample
    env = {"SLA_BOARD_DB": str(store)}
    if args.profile:
        with serve("SLA Board", "app.py", folder / "app.log", env) as board:
            run_batch(board, 1, args.timeout)  # the visitor who warms the server
            profile(board, args.profile, args.py_spy, args.timeout)
        return 0
    data = f"the store {store.name}" if args.store else "the sample"
    print(f"{clock_now():%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
          f"{' '.join(load_average())}; SLA Board on {data}")
    results: dict[tuple[str, int], list[Batch]] = {}
    with serve("floor", "bench/floor_app.py", folder / "floor.log", env) as floor, \
            serve("SLA Board", "app.py", folder / "app.log", env) as board:
        first = {}
        for server in (floor, board):
            first[server.name] = run_batch(server, 1, args.timeout)  # the visitor who warms the server
        for _ in range(args.repeat):
            for n in sizes:
                for server in (floor, board):
                    results.setdefault((server.name, n), []).append(run_batch(server, n, args.timeout))
        hwm = {server.name: memory_kib(server.pid)["VmHWM"] for server in (floor, board)}
    print(f"load average after: {' '.join(load_average())}\n")

    print("| page | sessions at once | batches | headline median (s) | headline max (s) | page done median (s) "
          "| server CPU per session (s) | range over batches | peak RSS in batch (MiB) | KiB per session | failed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, batch in first.items():
        print(row(f"{name}, first visitor after the start", 1, [batch])[0])
    figures: dict[tuple[str, int], dict[str, float]] = {}
    for n in sizes:
        for name in ("floor", "SLA Board"):
            text, figures[(name, n)] = row(name, n, results[(name, n)])
            print(text)
    print(f"\npeak RSS since start (VmHWM): floor {hwm['floor'] / 1024:.0f} MiB, "
          f"SLA Board {hwm['SLA Board'] / 1024:.0f} MiB\n")
    print("| target | SLA Board | floor | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    checks = []
    if 1 in sizes:
        checks += [("new session's server CPU ≤ 1.5× the floor's (s)", "cpu", 1, 1.5),
                   ("new session's headline ≤ 2× the floor's (s)", "median", 1, 2.0)]
    for n in sizes:
        if n > 1:
            checks.append((f"{n} at once: median headline ≤ 2× the floor's (s)", "median", n, 2.0))
    for label, key, n, bound in checks:
        app, base = figures[("SLA Board", n)][key], figures[("floor", n)][key]
        ratio = app / base if base else float("inf")
        print(f"| {label} | {app:.3f} | {base:.3f} | {ratio:.2f}× | {'yes' if ratio <= bound else 'no'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
