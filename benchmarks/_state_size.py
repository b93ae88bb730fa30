"""What the executor keeps on disk per command: its state file (SQLite, WAL mode) over the commands it
holds, read once the executor has stopped and closed the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from doran.executor import STATE_FILE_NAME, ExecutorStore

__all__ = ["StateSize", "state_size"]

# The database and its write-ahead log: what a commit has made durable. The -shm file is only the
# WAL's index in shared memory, rebuilt from the WAL, so it is left out.
_DURABLE_SUFFIXES = ("", "-wal")


@dataclass(frozen=True, slots=True)
class StateSize:
    """Bytes of the executor's state file (+ its WAL) and the commands recorded in it."""

    bytes: int
    commands: int

    @property
    def bytes_per_command(self) -> float:
        return self.bytes / self.commands if self.commands else math.nan


def state_size(state_dir: Path) -> StateSize | None:
    """The state in `state_dir`, or None when there is none. Sized before the store is opened to count
    its commands (opening it writes to the WAL)."""
    path = state_dir / STATE_FILE_NAME
    if not path.exists():
        return None
    size = sum(p.stat().st_size for p in (Path(f"{path}{s}") for s in _DURABLE_SUFFIXES) if p.exists())
    store = ExecutorStore.open(state_dir)
    try:
        return StateSize(size, len(store))
    finally:
        store.close()
