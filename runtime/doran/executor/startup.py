"""Fail-closed start of the executor: refuse to run when its idempotency history has vanished."""

from __future__ import annotations

from enum import StrEnum

from doran.contracts import CMD_EXECUTE_TRADE
from doran.executor.errors import IdempotencyHistoryLost
from doran.executor.store import ExecutorStore

__all__ = ["ALLOW_MISSING_STATE_ENV", "StartupVerdict", "check_startup"]

ALLOW_MISSING_STATE_ENV = "DORAN_EXECUTOR_ALLOW_MISSING_STATE"


class StartupVerdict(StrEnum):
    """Why starting is safe."""

    FRESH = "fresh"  # no committed offsets, no state: a first start
    RESUMED = "resumed"  # the state holds the history
    OVERRIDDEN = "overridden"  # history lost, started anyway on the operator's explicit override


def check_startup(
    store: ExecutorStore, committed_offsets_exist: bool, allow_missing_state: bool
) -> StartupVerdict:
    """Raise IdempotencyHistoryLost if the group has committed offsets but the store is missing or empty."""
    if not store.is_empty():
        return StartupVerdict.RESUMED
    if not committed_offsets_exist:
        return StartupVerdict.FRESH
    if allow_missing_state:
        return StartupVerdict.OVERRIDDEN
    how = "did not exist" if not store.existed_before_open else "holds no command"
    raise IdempotencyHistoryLost(
        f"Executor state {store.path} {how}, but the executor's consumer group has committed offsets on "
        f"{CMD_EXECUTE_TRADE.name}: commands were executed before and their idempotency history is gone (the "
        "executor-state PVC was deleted, the node was lost without migration, or EXECUTOR_STATE_DIR points "
        "at the wrong place). Starting now could treat already-seen commands as new and execute them again. "
        "Restore the state directory; or rebuild the history from the published results with "
        "`doran executor rebuild-state`; or, accepting that risk, start once with "
        f"{ALLOW_MISSING_STATE_ENV}=true."
    )
