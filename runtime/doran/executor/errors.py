"""Exceptions of the executor.

DoranError (doran.errors)
 └── ExecutorError
      ├── IdempotencyHistoryLost  offsets say commands were consumed, the state says none were
      ├── ExecutorStateError      a stored record is unreadable, or a result has no begun command
      ├── CommittedOffsetsUnknownError  the broker cannot say whether the group committed offsets
      └── HistoryTooShort         (doran.executor.history) the history would forget what can come again
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = [
    "CommittedOffsetsUnknownError",
    "ExecutorError",
    "ExecutorStateError",
    "IdempotencyHistoryLost",
]


class ExecutorError(DoranError):
    """Root of the executor's errors."""


class IdempotencyHistoryLost(ExecutorError):
    """The executor's durable state is missing or empty although its consumer group has committed offsets."""


class ExecutorStateError(ExecutorError):
    """The executor state file holds something the executor did not write, or misses a record it needs."""


class CommittedOffsetsUnknownError(ExecutorError):
    """The broker could not be asked whether the executor's consumer group has committed offsets."""
