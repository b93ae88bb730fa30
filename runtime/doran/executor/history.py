"""How long the executor remembers finished commands and quotes: as long as they can come again.

A command can come again while it, or anything it derives from, is still in a topic: a consumer
rewound to the start of cmd.execute_trade, or normalize and decide run again over the raw quotes,
re-derive the very same command. A settlement notification can come again while it is in its raw
topic. So the history must outlive the longest retention among those topics; anything older can be
forgotten (`ExecutorStore.forget`).
"""

from __future__ import annotations

from datetime import timedelta

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
)
from doran.executor.errors import ExecutorError

__all__ = ["REDELIVERING_TOPICS", "HistoryTooShort", "history_horizon"]

#: Topics whose records can bring a command or a settlement back to the executor.
REDELIVERING_TOPICS = (
    RAW_NEAR_INTENTS_QUOTE,
    NORM_SWAP_DEMAND,
    CMD_EXECUTE_TRADE,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
)


class HistoryTooShort(ExecutorError):
    """DORAN_EXECUTOR_HISTORY_DAYS is shorter than a topic that can redeliver a command keeps it."""


def history_horizon(days: int) -> timedelta | None:
    """The history to keep for DORAN_EXECUTOR_HISTORY_DAYS=`days` (None: keep everything, for 0).

    Raises HistoryTooShort when a topic in REDELIVERING_TOPICS keeps records longer, or forever.
    """
    if days == 0:
        return None
    history = timedelta(days=days)
    for topic in REDELIVERING_TOPICS:
        if topic.retention_ms < 0 or timedelta(milliseconds=topic.retention_ms) > history:
            kept = "forever" if topic.retention_ms < 0 else f"{topic.retention_ms / 86_400_000:g} days"
            raise HistoryTooShort(
                f"DORAN_EXECUTOR_HISTORY_DAYS={days} is shorter than {topic.name} keeps its records "
                f"({kept}): "
                "a command forgotten sooner could come again and be sent twice. Raise it above the "
                "longest retention (plus the broker's segment roll time), or set 0 to forget nothing."
            )
    return history
