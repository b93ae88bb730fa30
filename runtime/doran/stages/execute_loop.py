"""The executor's transactional poll-batch loop: one Kafka transaction and two fsyncs per batch.

Per batch: consume up to N commands and settlement notifications -> `execute_batch` (decode,
`processing` durable before a quote leaves, results and settlements durable before they are
published) -> one transaction: produce the records, send the batch's offsets, commit. A Kafka error
the transaction can recover from aborts it and rewinds to the batch's first offsets; the messages
come again, are settled in the store, and their stored results go out again with the same event_id.
Between batches, quotes whose deadline passed unused expire; an expiry settlement is kept in the
store as unpublished until a transaction carrying it commits (at worst published twice, same id).

at-least-once (DORAN_EXECUTOR_PROCESSING_GUARANTEE): produce, flush, then commit the offsets. A crash between
the flush and the offset commit publishes those results twice (same event_id, same bytes). The venue
still sees each command at most once: that rests on the store, not on Kafka.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from quixstreams.kafka import Consumer, Producer
from quixstreams.models.types import RawConfluentKafkaMessageProto as Message

from doran.contracts import EXEC_QUOTE_SETTLEMENT, QuoteSettlementEvent
from doran.executor import ExecutorStore, Venue
from doran.stages.execute_batch import INPUTS, BatchOutput, execute_batch
from doran.stages.handling import Consumed
from doran.stages.metrics import StageMetrics
from doran.wire import Framing, KafkaRecord, kafka_record

__all__ = ["ExecuteLoop"]

logger = logging.getLogger("doran.execute")
_Partition = tuple[str, int]
_Spans = dict[_Partition, tuple[int, int]]  # partition -> (first, last) offset of a batch
_COMMIT_ATTEMPTS = 5


class ExecuteLoop:
    """Consume batches and publish their outcomes, transactionally when `exactly_once`.

    Rebalances happen inside `consume`, when no batch is in flight (each is committed or rewound
    before the next poll), so revoking needs no commit; records of a partition revoked during the
    poll that returned them are dropped and read again by its next owner from the committed offset.
    """

    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        store: ExecutorStore,
        venue: Venue,
        metrics: StageMetrics,
        *,
        exactly_once: bool,
        max_record_bytes: int,
        settlement_grace: timedelta,
        framing: Framing,
        history: timedelta | None = None,
        max_batch: int = 500,
        poll_timeout_s: float = 0.2,
        kafka_timeout_s: float = 30.0,
        on_assigned: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._consumer = consumer
        self._producer = producer
        self._store = store
        self._venue = venue
        self._metrics = metrics
        self._max_record_bytes = max_record_bytes
        self._grace = settlement_grace
        self._framing = framing
        self._history = history
        self._exactly_once = exactly_once
        self._max_batch = max_batch
        self._poll_timeout_s = poll_timeout_s
        self._kafka_timeout_s = kafka_timeout_s
        self._on_assigned = on_assigned
        self._clock = clock
        self._assigned: set[_Partition] = set()

    def run(self, stop: threading.Event) -> None:
        """Subscribe and process batches until `stop` is set; the batch in hand is finished first."""
        if self._exactly_once:
            # Quix initialises a transactional producer lazily, on first use. init_transactions must
            # come first: it aborts what a killed predecessor left open, and until then the group's
            # committed offsets stay unstable, so the consumer would wait for them and never poll.
            self._producer.begin_transaction()
            self._producer.abort_transaction(self._kafka_timeout_s)
        self._consumer.subscribe(
            [topic.name for topic in INPUTS],
            on_assign=self._assign,
            on_revoke=self._revoke,
            on_lost=self._revoke,
        )
        while not stop.is_set():
            batch = self._usable(self._next_batch())
            started = time.perf_counter()
            self._process(batch)
            if batch:
                self._metrics.batch_seconds.observe(time.perf_counter() - started)

    def _next_batch(self) -> list[Message]:
        """Wait for one message, then take what is already fetched, up to max_batch: a batch never
        waits to fill (consume(n, timeout) would hold a lone quote for the whole timeout), and grows
        with the load on its own."""
        first = self._consumer.poll(self._poll_timeout_s)
        if first is None:
            return []
        return [first, *self._consumer.consume(self._max_batch - 1, 0)] if self._max_batch > 1 else [first]

    def _assign(self, _consumer: object, partitions: list[TopicPartition]) -> None:
        self._assigned.update((tp.topic, tp.partition) for tp in partitions)
        logger.info("assigned %s", sorted(self._assigned))
        self._on_assigned()

    def _revoke(self, _consumer: object, partitions: list[TopicPartition]) -> None:
        self._assigned.difference_update((tp.topic, tp.partition) for tp in partitions)
        logger.info("revoked %s", sorted((tp.topic, tp.partition) for tp in partitions))

    def _usable(self, polled: list[Message]) -> list[Message]:
        usable = []
        for message in polled:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                logger.warning("consumer: %s", error)
                continue
            if (message.topic(), message.partition()) in self._assigned:
                usable.append(message)
        return usable

    def _process(self, batch: list[Message]) -> None:
        """Run one batch (or, when idle, only the quotes' expiry) and publish it with its offsets."""
        consumed = [
            Consumed(
                m.topic() or "",
                m.partition(),
                m.offset(),
                _bytes(m.key()),
                _bytes(m.value()) or b"",
                m.headers(),
            )
            for m in batch
        ]
        now = self._clock()
        output = execute_batch(
            consumed,
            self._store,
            self._venue,
            now=now,
            grace=self._grace,
            max_record_bytes=self._max_record_bytes,
            framing=self._framing,
        )
        leftovers = self._unpublished_expiries(output)
        self._metrics.awaiting_settlement = self._store.awaiting_settlement
        if not consumed and not output.records and not leftovers:
            return
        spans: _Spans = {}
        for message in consumed:
            where, offset = (message.topic, message.partition or 0), message.offset or 0  # both set here
            spans[where] = (spans.get(where, (offset, 0))[0], offset)
        records = [*output.records, *(record for _, record in leftovers)]
        publish = self._publish_transaction if self._exactly_once else self._publish_then_commit
        if not publish(records, spans):
            self._rewind(spans)
            return
        self._store.mark_published([*output.expired, *(quote_hash for quote_hash, _ in leftovers)])
        if self._history is not None:
            # A batch's worth at a time: the history shrinks as steadily as it grows, never in a pause.
            self._store.forget(now - self._history, limit=self._max_batch)
        metrics = self._metrics
        metrics.consumed += len(consumed)
        metrics.skipped += output.skipped
        for record in records:
            metrics.produced[record.topic] += 1
        for reason in output.dead_letters:
            metrics.dead_lettered[reason] += 1

    def _unpublished_expiries(self, output: BatchOutput) -> list[tuple[str, KafkaRecord]]:
        """Expiry settlements of earlier batches whose transaction did not commit (aborted, or a crash)."""
        fresh = set(output.expired)
        return [
            (
                quote.quote_hash,
                kafka_record(EXEC_QUOTE_SETTLEMENT, QuoteSettlementEvent.model_validate(quote.settlement)),
            )
            for quote in self._store.unpublished()
            if quote.quote_hash not in fresh and quote.settlement is not None
        ]

    def _produce(
        self, records: Sequence[KafkaRecord], on_delivery: Callable[..., None] | None = None
    ) -> None:
        for record in records:
            self._producer.produce(
                topic=record.topic,
                key=record.key,
                value=self._framing.frame(record.topic, record.value),
                headers=record.headers,
                on_delivery=on_delivery,
            )

    def _publish_transaction(self, records: Sequence[KafkaRecord], spans: _Spans) -> bool:
        """Produce and commit the offsets in one transaction; False if it had to be aborted."""
        positions = _positions(spans)
        try:
            self._producer.begin_transaction()
            self._produce(records)
            if positions:  # an idle loop's expiries consume nothing
                self._producer.send_offsets_to_transaction(
                    positions, self._consumer.consumer_group_metadata(), self._kafka_timeout_s
                )
            self._commit_transaction()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not (isinstance(error, KafkaError) and error.txn_requires_abort()):
                raise  # fatal (e.g. fenced by a newer instance): crash; the restart aborts the transaction
            logger.warning("aborting the batch's transaction and rewinding: %s", error)
            self._producer.abort_transaction(self._kafka_timeout_s)
            return False
        return True

    def _commit_transaction(self) -> None:
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            try:
                self._producer.commit_transaction(self._kafka_timeout_s)
                return
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if not (isinstance(error, KafkaError) and error.retriable()) or attempt == _COMMIT_ATTEMPTS:
                    raise
                logger.warning("commit_transaction attempt %d: %s; retrying", attempt, error)

    def _publish_then_commit(self, records: Sequence[KafkaRecord], spans: _Spans) -> bool:
        """at-least-once: produce, flush, commit the offsets; False (publish again) on any failure."""
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: object) -> None:
            if error is not None:
                failures.append(error)

        self._produce(records, delivered)
        if self._producer.flush(self._kafka_timeout_s) or failures:
            logger.warning("%d records not delivered (%s); rewinding", len(records), failures[:1])
            return False
        positions = _positions(spans)
        if not positions:
            return True
        try:
            self._consumer.commit(offsets=positions, asynchronous=False)
        except KafkaException as exc:
            logger.warning("offset commit failed (%s); rewinding, the batch's results will repeat", exc)
            return False
        return True

    def _rewind(self, spans: _Spans) -> None:
        for (topic, partition), (first, _) in spans.items():
            if (topic, partition) in self._assigned:
                self._consumer.seek(TopicPartition(topic, partition, first))


def _positions(spans: _Spans) -> list[TopicPartition]:
    """The offsets to commit after a batch: the next record of each partition it read."""
    return [TopicPartition(topic, partition, last + 1) for (topic, partition), (_, last) in spans.items()]


def _bytes(data: str | bytes | None) -> bytes | None:
    return data.encode() if isinstance(data, str) else data
