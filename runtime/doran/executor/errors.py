"""Exceptions of the executor.

DoranError (doran.errors)
 └── ExecutorError
      ├── IdempotencyHistoryLost  the group committed offsets on a partition whose changelog was never written
      ├── ExecutorStateError      the state holds a record the executor did not write
      └── HistoryTooShort         (doran.executor.history) the history would forget what can come again
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["ExecutorError", "ExecutorStateError", "IdempotencyHistoryLost"]


class ExecutorError(DoranError):
    """Root of the executor's errors."""


class IdempotencyHistoryLost(ExecutorError):
    """The consumer group has committed offsets on a partition whose changelog holds nothing."""


class ExecutorStateError(ExecutorError):
    """The executor's state holds something the executor did not write."""
