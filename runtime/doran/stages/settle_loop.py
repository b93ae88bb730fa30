"""The settlement stage's poll loop: exec.quote_signed and raw.near_intents.quote_status in, each quote's
one settlement out, on exec.quote_settlement.

The two inputs are keyed by quote_hash with the same partitions, so a quote and its status meet in the
same partition, whose `QuoteBook` decides (`doran.settlement`). Each step is one transaction: the
settlements and dead letters of the poll batch, the expiries the clock brings, the store changes and
the input offsets.

The clock never outruns a backlog. A quote expires only once its quote_status partition has been read
through the quote's deadline and grace: the stage asks the broker for that partition's end (its high
watermark) once the instant has passed, and waits until its consumer's position reaches it (after a
restart, a rebalance or a lag, a status already on the topic is read before its quote can expire). A
status waiting for its quote is refused likewise, once the quote partition has been read through its
wait (`doran.settlement.horizon`). What never reached the topic (ingest down or disconnected) no
watermark shows: reconciliation asks the relay (`asker`; answers are decided in the loop, in the same
transaction as their settlements).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from confluent_kafka import OFFSET_INVALID, KafkaException, TopicPartition

from doran.contracts import (
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterStage,
)
from doran.relay.intent_status import IntentState, IntentStatus, IntentStatusAsker
from doran.settlement import PENDING, SETTLED, WAITING, QuoteBook
from doran.settlement.horizon import ReadHorizon
from doran.settlement.reconciliation import ReconcileSchedule
from doran.stages.consumed import Consumed
from doran.stages.dead_letter import dead_letter
from doran.stages.handling import Handled, event_records, handled
from doran.stages.stateful_loop import StatefulLoop, Timed
from doran.stages.stateful_stage import PendingChange, StageParts
from doran.state import RestoreReport
from doran.verdicts import Publish, Refuse

__all__ = ["SettleLoop"]

logger = logging.getLogger("doran.settle")
_WATERMARK_TIMEOUT_S = 2.0  # asking a partition's end; without an answer nothing expires this step
_ANSWER_POLL_S = 0.01  # the longest poll while get_status answers are awaited
_FETCHED_WITHIN = timedelta(seconds=1)  # a consumer's fetch returns at least this often (fetch.wait.max.ms)


class SettleLoop(StatefulLoop):
    """Settle each signed quote once: filled by its quote_status, or expired after its deadline."""

    inputs = (EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS)
    dead_letter_stage = DeadLetterStage.SETTLE

    def __init__(
        self,
        parts: StageParts,
        *,
        grace: timedelta,
        unmatched_wait: timedelta,
        asker: IntentStatusAsker | None = None,
        reconcile_retry: timedelta = timedelta(seconds=5),
    ) -> None:
        super().__init__(parts, history_tables=(SETTLED,))
        self._grace = grace
        self._wait = unmatched_wait
        self._asker = asker
        self._reconcile_retry = reconcile_retry
        self._books: dict[int, QuoteBook] = {}
        self._horizons: dict[tuple[str, int], ReadHorizon] = {}
        self._starts: dict[tuple[str, int], int] = {}  # where reading began: the committed offset

    def _poll_timeout(self) -> float:
        # Answers from the relay are taken between polls: while some are awaited, poll briefly.
        base = super()._poll_timeout()
        return min(base, _ANSWER_POLL_S) if self._asker is not None and self._asker.in_flight else base

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
        timed = self._reconciled(now, changes)
        timed.extend(self._due(now, changes))
        self._commit(outcomes, changes, timed)
        for book in self._books.values():
            book.applied()
        self._ask(now)
        self._metrics.awaiting_settlement = sum(len(book.pending) for book in self._books.values())
        if self._asker is not None:
            self._metrics.unknown_reconcile = sum(book.unknown for book in self._books.values())

    def _due(self, now: datetime, changes: list[PendingChange]) -> list[Timed]:
        """What the clock decides: expired quotes, and statuses that waited for their quote in vain."""
        records: list[Timed] = []
        self._read_through(now)
        for partition, book in self._books.items():
            statuses_read = self._horizons[(RAW_NEAR_INTENTS_QUOTE_STATUS.name, partition)].through
            quotes_read = self._horizons[(EXEC_QUOTE_SIGNED.name, partition)].through
            due = book.due(
                now, grace=self._grace, wait=self._wait, statuses_read=statuses_read, quotes_read=quotes_read
            )
            for decision in due:
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

    def _read_through(self, now: datetime) -> None:
        """Bring each partition's read horizons forward: ask the broker for the end of a partition whose
        decision waits on it (a round trip: only then, at most every quarter second), then see whether
        the consumer's position reached the ends asked (local, every step)."""
        for partition, book in self._books.items():
            for topic, needed in (
                (RAW_NEAR_INTENTS_QUOTE_STATUS.name, book.next_expiry(self._grace)),
                (EXEC_QUOTE_SIGNED.name, book.next_refusal(self._wait)),
            ):
                horizon = self._horizons[(topic, partition)]
                if needed is not None and horizon.wants_mark(needed, now):
                    self._mark(topic, partition, horizon, now)
        marked = [TopicPartition(*where) for where, horizon in self._horizons.items() if horizon.marked]
        if not marked:
            return
        for position in self._consumer.position(marked):
            where = (position.topic, position.partition)
            # Nothing read since the assignment: reading starts at the committed offset (or the start).
            at = position.offset if position.offset != OFFSET_INVALID else self._starts.get(where, 0)
            self._horizons[where].read_to(at)

    def _mark(self, topic: str, partition: int, horizon: ReadHorizon, now: datetime) -> None:
        where = TopicPartition(topic, partition)
        # The end the consumer's fetches saw (they run all the time): never past the true end. tansu's
        # ListOffsets answers a partition's end as its last batch's base offset + 1 (a batch of 3 from
        # offset 0 "ends at 1"), its fetches the true end: the larger of the two is right on both, and
        # the mark waits for the first fetch. A fetch may be up to `_FETCHED_WITHIN` old, so a mark
        # claims that much less (on a broker whose ListOffsets is right, that only costs a second).
        _, fetched = self._consumer.get_watermark_offsets(where, cached=True)
        if fetched < 0:
            return
        try:
            low, high = self._consumer.get_watermark_offsets(
                where, timeout=_WATERMARK_TIMEOUT_S, cached=False
            )
        except KafkaException as exc:
            logger.info(
                "the end of %s [%d] is unknown (%s): nothing of it expires yet", topic, partition, exc
            )
            return
        horizon.mark(now, max(high, fetched))
        self._starts.setdefault((topic, partition), max(low, 0))

    def _reconciled(self, now: datetime, changes: list[PendingChange]) -> list[Timed]:
        """The relay's answers that came: final ones settle their quotes (in this step's transaction)."""
        if self._asker is None:
            return []
        records: list[Timed] = []
        missed: list[tuple[str, str]] = []
        for quote_hash, answer in self._asker.answers():
            partition = next((n for n, book in self._books.items() if quote_hash in book.pending), None)
            if partition is None:
                continue  # settled by its status meanwhile, or the partition went to another replica
            book = self._books[partition]
            if not isinstance(answer, IntentStatus):
                book.unreachable(quote_hash, now)
                missed.append((quote_hash, str(answer)))
                continue
            decision = book.reconciled(answer, now)
            if decision is None or not isinstance(decision.verdict, Publish):
                continue
            changes.extend((partition, change, None) for change in decision.changes)
            for record in event_records(decision.verdict.events):
                kind = "reconciled_filled" if answer.state is IntentState.SETTLED else "expired"
                records.append((kind, record))
                if kind == "reconciled_filled":
                    logger.info(
                        "quote %s filled by reconciliation: the relay's get_status says SETTLED", quote_hash
                    )
        if missed:
            unknown = sum(book.unknown for book in self._books.values())
            logger.info(
                "unknown, reconcile: %d quote(s) without a status could not be asked about (%s), e.g. %s; "
                "%d unknown now, asked again from %g s",
                len(missed),
                missed[0][1],
                missed[0][0],
                unknown,
                self._reconcile_retry.total_seconds(),
            )
        return records

    def _ask(self, now: datetime) -> None:
        """Ask the relay about the quotes due, as many as its workers can take without a queue."""
        if self._asker is None:
            return
        room = 2 * self._asker.workers - self._asker.in_flight
        for book in self._books.values():
            if room <= 0:
                return
            for quote_hash in book.asks(now, room):
                self._asker.ask(quote_hash)
                room -= 1

    def _ready(self, partition: int, report: RestoreReport, committed: Mapping[str, int]) -> None:
        store = self._stores[partition]

        def settled(quote_hash: str, born_at: datetime | None) -> str | None:
            row = store.get(SETTLED, quote_hash, born_at=born_at)
            return None if row is None else str(row.value)

        schedule = None if self._asker is None else ReconcileSchedule(self._reconcile_retry)
        self._books[partition] = QuoteBook.load(
            settled, self._framing, store.rows(PENDING), store.rows(WAITING), schedule
        )
        for topic in self.inputs:
            self._horizons[(topic.name, partition)] = ReadHorizon(slack=_FETCHED_WITHIN)
            if topic.name in committed:
                self._starts[(topic.name, partition)] = committed[topic.name]

    def _revoking(self, partitions: set[int]) -> None:
        for partition in partitions:
            self._books.pop(partition, None)
            for topic in self.inputs:
                self._horizons.pop((topic.name, partition), None)
                self._starts.pop((topic.name, partition), None)

    def _losing(self, partitions: set[int]) -> None:
        self._revoking(partitions)
