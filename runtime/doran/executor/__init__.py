"""doran's executor core: sends each trade command at most once, ends it with exactly one result, and
settles each signed quote once (filled or expired).

- `ExecutorStore.open(state_dir)`  durable JSON records per command and per signed quote
- `run_batch(commands, store, venue, now=..., statuses=..., grace=...)`  begin (commit) -> send ->
  settle/expire -> commit; publish what it returns only after it returns
- `Venue`, `Ticket`, `Prepared`, `VenueOutcome`  the venue boundary (adapters live in `doran.venues`)
- `check_startup(store, committed_offsets_exist, allow_missing_state)`  fail closed on lost history;
  `committed_offsets_exist(bootstrap, group_id)` asks the broker for the second argument
- `rebuild_state(state_dir, broker, prefix)`  a lost history rebuilt from the published results
- `history_horizon(days)`, `ExecutorStore.forget`  the history kept as long as a command can come again
No Quix Streams here: the executor stage wires these.
"""

from doran.executor.batch import BatchOutcome, run_batch
from doran.executor.errors import (
    CommittedOffsetsUnknownError,
    ExecutorError,
    ExecutorStateError,
    IdempotencyHistoryLost,
)
from doran.executor.execute import ExecutionOutcome, OutcomeKind, pending_quote, trade_result_event
from doran.executor.history import REDELIVERING_TOPICS, HistoryTooShort, history_horizon
from doran.executor.offsets import committed_offsets, committed_offsets_exist, executor_group
from doran.executor.rebuild import RebuiltHistory, rebuild_history
from doran.executor.rebuild_state import RebuildRefused, RebuildReport, rebuild_state
from doran.executor.records import CommandRecord, CommandState, QuoteRecord, QuoteState
from doran.executor.settle import SettlementKind, StatusOutcome, expire_due, settle
from doran.executor.startup import ALLOW_MISSING_STATE_ENV, StartupVerdict, check_startup
from doran.executor.store import STATE_FILE_NAME, ExecutorStore
from doran.executor.venue import AWAITS_SETTLEMENT, Prepared, Ticket, Venue, VenueOutcome

__all__ = [
    "ALLOW_MISSING_STATE_ENV",
    "AWAITS_SETTLEMENT",
    "REDELIVERING_TOPICS",
    "STATE_FILE_NAME",
    "BatchOutcome",
    "CommandRecord",
    "CommandState",
    "CommittedOffsetsUnknownError",
    "ExecutionOutcome",
    "ExecutorError",
    "ExecutorStateError",
    "ExecutorStore",
    "HistoryTooShort",
    "IdempotencyHistoryLost",
    "OutcomeKind",
    "Prepared",
    "QuoteRecord",
    "QuoteState",
    "RebuildRefused",
    "RebuildReport",
    "RebuiltHistory",
    "SettlementKind",
    "StartupVerdict",
    "StatusOutcome",
    "Ticket",
    "Venue",
    "VenueOutcome",
    "check_startup",
    "committed_offsets",
    "committed_offsets_exist",
    "executor_group",
    "expire_due",
    "history_horizon",
    "pending_quote",
    "rebuild_history",
    "rebuild_state",
    "run_batch",
    "settle",
    "trade_result_event",
]
