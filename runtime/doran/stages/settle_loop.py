"""The settlement stage's poll loop: exec.quote_signed and raw.near_intents.quote_status in, each quote's
one settlement out, on exec.quote_settlement.

The two inputs are keyed by quote_hash with the same partitions, so a quote and its status meet in the
same partition, whose `QuoteBook` decides (`doran.settlement`). Each step is one transaction: the
settlements and dead letters of the poll batch, the expiries the clock brings, the store changes and
the input offsets. The clock acts only while the stage is not behind on its inputs: after a restart
with a backlog of statuses, a quote is filled by its status rather than expired first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from confluent_kafka import TopicPartition

from doran.contracts import (
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterStage,
)
from doran.settlement import PENDING, SETTLED, WAITING, QuoteBook
from doran.stages.consumed import Consumed
from doran.stages.dead_letter import dead_letter
from doran.stages.handling import Handled, event_records, handled
from doran.stages.stateful_loop import StatefulLoop, Timed
from doran.stages.stateful_stage import PendingChange, StageParts
from doran.state import RestoreReport
from doran.verdicts import Publish, Refuse

__all__ = ["SettleLoop"]


class SettleLoop(StatefulLoop):
    """Settle each signed quote once: filled by its quote_status, or expired after its deadline."""

    inputs = (EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS)
    dead_letter_stage = DeadLetterStage.SETTLE

    def __init__(self, parts: StageParts, *, grace: timedelta, unmatched_wait: timedelta) -> None:
        super().__init__(parts, history_tables=(SETTLED,))
        self._grace = grace
        self._wait = unmatched_wait
        self._books: dict[int, QuoteBook] = {}
        self._last_batch = 0

    def _step(self, consumed: list[Consumed], now: datetime) -> None:
        outcomes: list[tuple[Consumed, Handled]] = []
        changes: list[PendingChange] = []
        for message in consumed:
            partition = message.partition or 0
            decision = self._books[partition].receive(
                message.topic,
                partition,
                message.offset or 0,
                message.key,
                message.value,
                now,
                message.headers,
            )
            outcomes.append(
                (
                    message,
                    handled(decision.verdict, message, self.dead_letter_stage, now, self._max_record_bytes),
                )
            )
            source = (message.topic, message.offset or 0)
            changes.extend((partition, change, source) for change in decision.changes)
        timed: list[Timed] = []
        if not self._behind(len(consumed)):
            timed = self._due(now, changes)
        self._commit(outcomes, changes, timed)
        for book in self._books.values():
            book.applied()
        self._metrics.awaiting_settlement = sum(len(book.pending) for book in self._books.values())

    def _due(self, now: datetime, changes: list[PendingChange]) -> list[Timed]:
        """What the clock decides: expired quotes, and statuses that waited for their quote in vain."""
        records: list[Timed] = []
        for partition, book in self._books.items():
            for decision in book.due(now, grace=self._grace, wait=self._wait):
                changes.extend((partition, change, None) for change in decision.changes)
                if isinstance(decision.verdict, Publish):
                    records.extend(("expired", record) for record in event_records(decision.verdict.events))
                elif isinstance(decision.verdict, Refuse) and decision.waiting is not None:
                    status = decision.waiting
                    origin = Consumed(status.topic, status.partition, status.offset, status.key, status.value)
                    refused = dead_letter(
                        self.dead_letter_stage,
                        decision.verdict.reason,
                        decision.verdict.violations,
                        origin,
                        now=now,
                        max_record_bytes=self._max_record_bytes,
                    )
                    records.append((decision.verdict.reason.value, refused))
        return records

    def _behind(self, polled: int) -> bool:
        """Whether records wait beyond what this step read: a full batch, or a partition whose end is
        more than a batch past the consumer's position."""
        if polled >= self._max_batch:
            return True
        partitions = [TopicPartition(topic.name, number) for topic in self.inputs for number in self._books]
        if not partitions:
            return False
        for position in self._consumer.position(partitions):
            low, high = self._consumer.get_watermark_offsets(position, cached=True)
            if high < 0:
                return True  # nothing fetched yet
            at = position.offset if position.offset >= 0 else low
            if high - at > self._max_batch:
                return True
        return False

    def _ready(self, partition: int, report: RestoreReport, committed: Mapping[str, int]) -> None:
        store = self._stores[partition]

        def settled(quote_hash: str, born_at: datetime | None) -> str | None:
            row = store.get(SETTLED, quote_hash, born_at=born_at)
            return None if row is None else str(row.value)

        self._books[partition] = QuoteBook.load(
            settled, self._framing, store.rows(PENDING), store.rows(WAITING)
        )

    def _revoking(self, partitions: set[int]) -> None:
        for partition in partitions:
            self._books.pop(partition, None)

    def _losing(self, partitions: set[int]) -> None:
        self._revoking(partitions)
