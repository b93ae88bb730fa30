"""Per-stage counters that reconcile: consumed = produced + declined + dead-lettered + skipped duplicates."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["StageCounters", "read_counters"]


class StageCounters:
    """Thread-safe counters of one stage process, flushed to `<stats_dir>/<stage>.json` every flush_every_s.

    A daemon thread flushes whenever anything changed, so a reader sees the final figures of a burst
    even when no further message arrives; call `flush()` once more at exit.
    """

    def __init__(self, stage: str, stats_dir: Path, *, flush_every_s: float = 0.5) -> None:
        self.stage = stage
        self._path = stats_dir / f"{stage}.json"
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._declined: Counter[str] = Counter()
        self._dead: Counter[str] = Counter()
        self._flush_every_s = flush_every_s
        # A plain flag, not an Event: set on every message, and Event.set costs a lock round trip.
        self._dirty = False
        stats_dir.mkdir(parents=True, exist_ok=True)
        self.flush()
        threading.Thread(target=self._flush_while_alive, name=f"{stage}-counters", daemon=True).start()

    def _flush_while_alive(self) -> None:
        while True:
            time.sleep(self._flush_every_s)
            if self._dirty:
                self.flush()

    def consumed(self, n: int = 1) -> None:
        with self._lock:
            self._counts["consumed"] += n
        self._dirty = True

    def produced(self, n: int = 1) -> None:
        with self._lock:
            self._counts["produced"] += n
        self._dirty = True

    def skipped(self, n: int = 1) -> None:
        with self._lock:
            self._counts["skipped_duplicates"] += n
        self._dirty = True

    def declined(self, reason: str) -> None:
        with self._lock:
            self._declined[reason] += 1
        self._dirty = True

    def dead_lettered(self, reason: str) -> None:
        with self._lock:
            self._dead[reason] += 1
        self._dirty = True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "stage": self.stage,
                "consumed": self._counts["consumed"],
                "produced": self._counts["produced"],
                "skipped_duplicates": self._counts["skipped_duplicates"],
                "declined": dict(sorted(self._declined.items())),
                "dead_lettered": dict(sorted(self._dead.items())),
            }

    def flush(self) -> None:
        """Write the snapshot atomically, so a reader never sees half a file."""
        with self._write_lock:
            self._dirty = False
            temp = self._path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(json.dumps(self.snapshot(), indent=2) + "\n")
            os.replace(temp, self._path)


def read_counters(stats_dir: Path, stage: str) -> dict[str, Any] | None:
    """The last counters a stage flushed, or None if it never did."""
    try:
        data: dict[str, Any] = json.loads((stats_dir / f"{stage}.json").read_text())
    except FileNotFoundError:
        return None
    return data
