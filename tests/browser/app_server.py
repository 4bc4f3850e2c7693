"""Start `streamlit run app.py` on a free local port and stop it again.

Shared by the browser tests (tests/browser/harness.py) and the browser
benchmark (bench/review_browser.py), so both drive the app exactly the same
way. No pytest here: the benchmark runs outside the test session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class AppDidNotStart(RuntimeError):
    """The server exited or never answered its health check; the message carries its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str, log: Path, *, start_timeout: float, env: dict[str, str]) -> Iterator[
        tuple[str, "subprocess.Popen[bytes]"]]:
    """`streamlit run script` on a free port (headless, no file watcher) with `env` as its environment: its base
    URL and its process while the block runs (the load bench reads the process's CPU)."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AppDidNotStart(f"{script} did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def streamlit_app(
    store: Path, log: Path, *, start_timeout: float, env: Optional[dict[str, str]] = None
) -> Iterator[str]:
    """The app's base URL while the block runs, with SLA_BOARD_DB pointing at `store` (and `env` added)."""
    with streamlit_server("app.py", log, start_timeout=start_timeout,
                          env={**os.environ, "SLA_BOARD_DB": str(store), **(env or {})}) as (url, _):
        yield url
