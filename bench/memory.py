"""Memory readings the benchmarks share: Linux /proc, so a phase's own peak can be told apart."""

from __future__ import annotations

import ctypes
import gc
import os
import resource
from pathlib import Path
from typing import Optional


def gib(n: Optional[float]) -> str:
    return "n/a" if n is None else f"{n / 1024**3:.2f} GiB"


def current_rss() -> int:
    """Resident bytes now (0 where /proc is missing)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def process_peak() -> int:
    """Peak resident bytes of the whole process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_phase_peak() -> bool:
    """Restart the kernel's resident high-water mark so a phase's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def phase_peak() -> Optional[int]:
    """Resident high-water mark since the last reset (VmHWM), or None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def release_freed_heap() -> None:
    """Hand freed buffers back to the OS: glibc and Arrow keep them otherwise, and they would
    count against the next phase's peak although nothing uses them."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
