"""doran's executor core: runs each trade command at most once and ends it with exactly one result.

- `ExecutorStore.open(state_dir)`  durable JSON records per command_id (processing | done)
- `run_batch(commands, store, adapter, now=...)`  begin (commit) -> execute -> complete (commit);
  publish the returned results only after it returns
- `execute_command(...)`  the per-command duplicate / recovered / new decision, no writes
- `check_startup(store, committed_offsets_exist, allow_missing_state)`  fail closed on lost history;
  `committed_offsets_exist(bootstrap, group_id)` asks the broker for the second argument
- `VenueAdapter`, `SimulatedAdapter`  the venue boundary and its deterministic stand-in
No Quix Streams here: the executor app wires these.
"""

from doran.executor.adapter import SimulatedAdapter, VenueAdapter, VenueFill, read_execution_log
from doran.executor.batch import count_outcomes, run_batch
from doran.executor.errors import (
    CommittedOffsetsUnknownError,
    ExecutorError,
    ExecutorStateError,
    IdempotencyHistoryLost,
    VenueLookupError,
    VenueUnreachableError,
)
from doran.executor.execute import ExecutionOutcome, OutcomeKind, execute_command, trade_result_event
from doran.executor.offsets import committed_offsets_exist
from doran.executor.startup import ALLOW_MISSING_STATE_ENV, StartupVerdict, check_startup
from doran.executor.store import STATE_FILE_NAME, CommandRecord, CommandState, ExecutorStore, StoreView

__all__ = [
    "ALLOW_MISSING_STATE_ENV",
    "STATE_FILE_NAME",
    "CommandRecord",
    "CommandState",
    "CommittedOffsetsUnknownError",
    "ExecutionOutcome",
    "ExecutorError",
    "ExecutorStateError",
    "ExecutorStore",
    "IdempotencyHistoryLost",
    "OutcomeKind",
    "SimulatedAdapter",
    "StartupVerdict",
    "StoreView",
    "VenueAdapter",
    "VenueFill",
    "VenueLookupError",
    "VenueUnreachableError",
    "check_startup",
    "committed_offsets_exist",
    "count_outcomes",
    "execute_command",
    "read_execution_log",
    "run_batch",
    "trade_result_event",
]
