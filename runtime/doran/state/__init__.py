"""Partitioned durable state: a working store per input partition, recovered from a Kafka changelog.

- `PartitionStore.open(path, tables)`  sqlite tables (sqlitedict, JSON) of one input partition, with
  the changelog offset each has applied and the recent rows in memory
- `Change`, `Row`  one row written or deleted
- `changelog_topic(group)`, `ensure_changelog(...)`, `changelog_record(...)`  the changelog topic,
  co-partitioned with the input, and the record a change becomes (produced in the stage's transaction)
- `restore_partition(store, ...)`  replay a changelog partition into its store, read_committed
- `history_horizon(days, topics)`  how long a stage's history must be kept
- errors (`doran.state.errors`): a store that cannot be read (StoreUnreadable, StoreCorrupt) is
  rebuilt from the changelog; one whose volume fails (StoreFailed: StoreFull, StoreReadOnly,
  StoreWriteFailed) stops the stage
No consumer group and no transaction here: the stages (`doran.stages`) own those.
"""

from doran.state.changelog import (
    INPUT_OFFSET_HEADER,
    ChangelogRecord,
    changelog_record,
    changelog_topic,
    decode_change,
    ensure_changelog,
    input_offset,
    progress_record,
)
from doran.state.errors import (
    ChangelogMismatch,
    RestoreIncomplete,
    StateError,
    StoreCorrupt,
    StoreFailed,
    StoreFull,
    StoreReadOnly,
    StoreUnreadable,
    StoreWriteFailed,
)
from doran.state.history import HistoryTooShort, history_horizon
from doran.state.partition_store import CLOCK_SKEW, Change, PartitionStore, Row
from doran.state.restore import RestoreReport, StoreAhead, restore_partition
from doran.state.store_failure import store_failure

__all__ = [
    "CLOCK_SKEW",
    "INPUT_OFFSET_HEADER",
    "Change",
    "ChangelogMismatch",
    "ChangelogRecord",
    "HistoryTooShort",
    "PartitionStore",
    "RestoreIncomplete",
    "RestoreReport",
    "Row",
    "StateError",
    "StoreAhead",
    "StoreCorrupt",
    "StoreFailed",
    "StoreFull",
    "StoreReadOnly",
    "StoreUnreadable",
    "StoreWriteFailed",
    "changelog_record",
    "changelog_topic",
    "decode_change",
    "ensure_changelog",
    "history_horizon",
    "input_offset",
    "progress_record",
    "restore_partition",
    "store_failure",
]
