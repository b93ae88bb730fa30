"""How long a stateful stage remembers what it handled: as long as it can come again.

A record can come again while it, or anything it derives from, is still in a topic: a consumer
rewound to the start, or an upstream stage run again over its input, re-deriving the very same
records. So a stage's history must outlive the longest retention among the topics that can bring
its input back; anything older can be forgotten (`PartitionStore.forget`, and the changelog's own
retention).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from doran.state.errors import StateError

__all__ = ["HistoryTooShort", "history_horizon"]


class HistoryTooShort(StateError):
    """DORAN_HISTORY_DAYS is shorter than a topic that can bring a record back keeps it."""


class _Retained(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def retention_ms(self) -> int: ...


def history_horizon(days: int, redelivering: Sequence[_Retained]) -> timedelta | None:
    """The history to keep for DORAN_HISTORY_DAYS=`days` (None: keep everything, for 0).

    Raises HistoryTooShort when a topic of `redelivering` keeps records longer, or forever.
    """
    if days == 0:
        return None
    history = timedelta(days=days)
    for topic in redelivering:
        if topic.retention_ms < 0 or timedelta(milliseconds=topic.retention_ms) > history:
            kept = "forever" if topic.retention_ms < 0 else f"{topic.retention_ms / 86_400_000:g} days"
            raise HistoryTooShort(
                f"DORAN_HISTORY_DAYS={days} is shorter than {topic.name} keeps its records ({kept}): "
                "a record forgotten sooner could come again and be handled twice. Raise it above the "
                "longest retention (plus the broker's segment roll time), or set 0 to forget nothing."
            )
    return history
