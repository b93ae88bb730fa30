"""What the executor keeps on disk per command: its working stores (SQLite, WAL mode, one per partition)
over the commands they hold, read once the executor has stopped and closed them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from doran.executor import TABLE
from doran.state import PartitionStore

__all__ = ["StateSize", "state_size"]

# The database and its write-ahead log: what a commit has made durable. The -shm file is only the
# WAL's index in shared memory, rebuilt from the WAL, so it is left out.
_DURABLE_SUFFIXES = ("", "-wal")


@dataclass(frozen=True, slots=True)
class StateSize:
    """Bytes of the executor's working stores (+ their WALs) and the commands recorded in them."""

    bytes: int
    commands: int

    @property
    def bytes_per_command(self) -> float:
        return self.bytes / self.commands if self.commands else math.nan


def state_size(state_dir: Path) -> StateSize | None:
    """The state in `state_dir`, or None when there is none. Sized before the stores are opened to
    count their commands (opening one writes to its WAL)."""
    paths = sorted(state_dir.glob("partition-*.sqlite"))
    if not paths:
        return None
    size = sum(
        p.stat().st_size
        for path in paths
        for p in (Path(f"{path}{s}") for s in _DURABLE_SUFFIXES)
        if p.exists()
    )
    commands = 0
    for path in paths:
        with PartitionStore.open(path, (TABLE,)) as store:
            commands += sum(1 for _ in store.rows(TABLE))
    return StateSize(size, commands)
