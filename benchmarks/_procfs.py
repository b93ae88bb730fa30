"""What a process has used so far, read from Linux /proc: CPU seconds and peak resident memory."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "own_peak_rss_mib", "peak_rss_mib"]


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a live process has used so far; NaN when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int | str | None) -> float:
    """Peak resident set size (VmHWM) of a live process so far, MiB; NaN when unknown.

    Read before the process is stopped: once it has exited, /proc no longer has it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # the kernel reports kB
    return float("nan")


def own_peak_rss_mib() -> float:
    """Peak resident set size of this process since it was exec'd, MiB.

    Not getrusage's ru_maxrss: Linux carries the forking parent's high-water mark over into the
    child, so a child of the bench would report the bench's own peak. VmHWM is reset at exec."""
    return peak_rss_mib("self")
