"""The store file: where it is, and who may write it now.

Several writers, one file. DuckDB lets one process at a time hold a file
open for writing (and none may read it meanwhile), and `import`, `sync` and
`notify` from cron meet the app's saves on one store. So every writer here
takes an exclusive lock on `STORE.lock` beside the file for its write (waited
for in turn, `writer_lock`), and every open of the file, reading or writing,
waits while another process holds it (`retrying`). Both waits are bounded by
`SLA_BOARD_LOCK_WAIT` seconds (default 120); past the bound the message says
who holds it and for how long it was waited for. Nothing is written while
waiting, so a wait that gives up loses nothing: the command can run again.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar, Union

try:  # POSIX; elsewhere the store's own lock (and the wait on it) is all there is
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

import duckdb

from sla_core.errors import UserError
from sla_core.vocab import DEFAULT_STORE

PathLike = Union[str, Path]


class StoreError(UserError, RuntimeError):
    """The store file cannot be used (missing, locked by another process, corrupt); one line."""


def store_path(db: Optional[PathLike] = None) -> Path:
    """The store file: the given path, else env SLA_BOARD_DB, else sla_board.duckdb here."""
    if db:
        return Path(db)
    return Path(os.environ.get("SLA_BOARD_DB") or DEFAULT_STORE)


LOCK_WAIT_ENV = "SLA_BOARD_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 120.0  # seconds: longer than an import of a large export takes to write and judge
T = TypeVar("T")


def lock_wait() -> float:
    """How long a writer waits for another (SLA_BOARD_LOCK_WAIT seconds, default 120)."""
    text = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_LOCK_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise StoreError(f"{LOCK_WAIT_ENV}={text!r}: give the seconds to wait for another writer (e.g. 120)")
    return seconds


def _is_locked(err: BaseException) -> bool:
    """DuckDB's refusal because another process holds the file."""
    return isinstance(err, duckdb.IOException) and "lock" in str(err).lower()


def retrying(path: Path, attempt: Callable[[], T]) -> T:
    """`attempt()` (an open or attach of the store), again while another process holds the file, for up to
    lock_wait() seconds; then the StoreError says how long it waited."""
    bound, delay = lock_wait(), 0.02
    deadline = time.monotonic() + bound
    while True:
        try:
            return attempt()
        except duckdb.Error as err:
            if not _is_locked(err) or time.monotonic() >= deadline:
                raise store_error(path, err, waited=bound if _is_locked(err) else None) from None
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.5)


_HELD = threading.local()  # lock files this thread holds, with how deeply: a writer may call another writer


@contextmanager
def writer_lock(path: PathLike) -> Iterator[None]:
    """Hold the store's writer lock (`STORE.lock`, an exclusive flock) for one write, waiting in turn for the
    writer that holds it, for up to lock_wait() seconds. Re-entrant within a thread. Other processes and other
    threads of the app wait; a process killed while holding it lets go with its death (the kernel drops it)."""
    target = Path(f"{store_path(path)}.lock")
    held: dict[str, int] = _HELD.__dict__.setdefault("depth", {})
    key = str(target.resolve())
    if held.get(key) or fcntl is None:
        held[key] = held.get(key, 0) + 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    bound = lock_wait()
    deadline, delay = time.monotonic() + bound, 0.01
    try:
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StoreError(f"store {store_path(path)}: cannot open its lock file {target} ({err.strerror})") from None
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"store {store_path(path)} is busy: another writer (an import, sync, notify or the app) held "
                        f"it for the {bound:.0f} s waited ({LOCK_WAIT_ENV}); nothing was written, run again later"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def store_error(path: Path, err: BaseException, *, waited: Optional[float] = None) -> StoreError:
    text = " ".join(str(err).split())
    low = text.lower()
    if "lock" in low:
        after = f" after waiting {waited:.0f} s ({LOCK_WAIT_ENV})" if waited is not None else ""
        return StoreError(f"store {path} is in use by another process{after}; wait for it to finish ({text[:160]})")
    if "not a valid duckdb database" in low or "corrupt" in low or "database file" in low or "magic" in low:
        return StoreError(f"store {path} is not a readable DuckDB database (corrupt or another kind of file)")
    return StoreError(f"store {path}: {text[:200]}")
