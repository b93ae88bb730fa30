"""The executor's transactional poll-batch loop: one Kafka transaction and three fsyncs per batch.

Per batch: consume up to N commands -> decode each (a contract violation becomes a dead letter) ->
`run_batch` (`processing` durable before the venue call, `done` durable before it returns) -> one
transaction: produce the results and dead letters, send the batch's offsets, commit. A Kafka error
the transaction can recover from aborts it and rewinds to the batch's first offsets; the commands
come again, are `done` in the store, and their stored results go out again with the same event_id.

at-least-once (DORAN_PROCESSING_GUARANTEE): produce, flush, then commit the offsets. A crash between
the flush and the offset commit publishes those results twice (same event_id, same bytes). The venue
still executes each command at most once: that rests on the store, not on Kafka.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from quixstreams.kafka import Consumer, Producer
from quixstreams.models.types import RawConfluentKafkaMessageProto as Message

from doran.contracts import CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, DeadLetterReason, DeadLetterStage, Violation
from doran.contracts import ExecuteTradeEvent as Command
from doran.executor import ExecutorStore, OutcomeKind, VenueAdapter, run_batch
from doran.stages.dead_letter import dead_letter
from doran.stages.handling import Consumed, oversize_violation
from doran.stages.metrics import StageMetrics
from doran.wire import ContractViolation, KafkaRecord, decode, kafka_record

__all__ = ["BatchOutput", "ExecuteLoop", "execute_batch"]

logger = logging.getLogger("doran.execute")
_Partition = tuple[str, int]
_Spans = dict[_Partition, tuple[int, int]]  # partition -> (first, last) offset of a batch
_COMMIT_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class BatchOutput:
    """What one batch publishes, and how each consumed command ended: produced + skipped + dead = consumed."""

    records: tuple[KafkaRecord, ...]
    produced: int  # results: new, recovered, or a stored one published again for a redelivery
    skipped: int  # duplicate commands whose result is already published
    dead_letters: tuple[str, ...]  # one reason per dead-lettered command


@dataclass(frozen=True, slots=True)
class _Rejected:
    record: KafkaRecord
    reason: str


def _rejected(
    message: Consumed, reason: DeadLetterReason, violations: Sequence[Violation], now: datetime, limit: int
) -> _Rejected:
    record = dead_letter(
        DeadLetterStage.EXECUTE, reason, violations, message, now=now, max_record_bytes=limit
    )
    return _Rejected(record, reason.value)


def execute_batch(
    messages: Sequence[Consumed],
    store: ExecutorStore,
    adapter: VenueAdapter,
    *,
    now: datetime,
    max_record_bytes: int,
) -> BatchOutput:
    """Decode, execute (via `run_batch`) and turn the outcomes into records, in input order.

    A duplicate is published again only when it is a redelivery of the very command event whose
    result is stored (its earlier transaction was aborted) and not already published in this batch.
    An event upstream published twice looks the same, so its result then goes out twice, with one
    event_id: the executor never runs it twice, and readers dedupe results by event_id.
    """
    slots: list[_Rejected | Command] = []
    for message in messages:
        try:
            slots.append(decode(CMD_EXECUTE_TRADE, message.value))
        except ContractViolation as exc:
            slots.append(_rejected(message, exc.reason, exc.violations, now, max_record_bytes))
    outcomes = iter(run_batch([s for s in slots if isinstance(s, Command)], store, adapter, now=now))

    records: list[KafkaRecord] = []
    dead: list[str] = []
    published: set[str] = set()
    produced = skipped = 0
    for message, slot in zip(messages, slots, strict=True):
        if isinstance(slot, _Rejected):
            records.append(slot.record)
            dead.append(slot.reason)
            continue
        outcome = next(outcomes)
        result = outcome.result
        if outcome.kind is OutcomeKind.DUPLICATE:
            again = outcome.redelivery and outcome.command_id not in published
            result = outcome.stored_result if again else None
        if result is None:
            skipped += 1
            continue
        published.add(outcome.command_id)
        record = kafka_record(EXEC_TRADE_RESULT, result)
        if record.size > max_record_bytes:
            violation = oversize_violation(record, max_record_bytes)
            rejected = _rejected(
                message, DeadLetterReason.MESSAGE_TOO_LARGE, [violation], now, max_record_bytes
            )
            records.append(rejected.record)
            dead.append(rejected.reason)
            continue
        records.append(record)
        produced += 1
    return BatchOutput(tuple(records), produced, skipped, tuple(dead))


class ExecuteLoop:
    """Consume command batches and publish their outcomes, transactionally when `exactly_once`.

    Rebalances happen inside `consume`, when no batch is in flight (each is committed or rewound
    before the next poll), so revoking needs no commit; records of a partition revoked during the
    poll that returned them are dropped and read again by its next owner from the committed offset.
    """

    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        store: ExecutorStore,
        adapter: VenueAdapter,
        metrics: StageMetrics,
        *,
        exactly_once: bool,
        max_record_bytes: int,
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
        self._adapter = adapter
        self._metrics = metrics
        self._max_record_bytes = max_record_bytes
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
            [CMD_EXECUTE_TRADE.name], on_assign=self._assign, on_revoke=self._revoke, on_lost=self._revoke
        )
        while not stop.is_set():
            batch = self._usable(self._consumer.consume(self._max_batch, self._poll_timeout_s))
            if batch:
                started = time.perf_counter()
                self._process(batch)
                self._metrics.batch_seconds.observe(time.perf_counter() - started)

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
        consumed = [
            Consumed(
                CMD_EXECUTE_TRADE.name, m.partition(), m.offset(), _bytes(m.key()), _bytes(m.value()) or b""
            )
            for m in batch
        ]
        output = execute_batch(
            consumed, self._store, self._adapter, now=self._clock(), max_record_bytes=self._max_record_bytes
        )
        spans: _Spans = {}
        for message in consumed:
            where, offset = (message.topic, message.partition or 0), message.offset or 0  # both set here
            spans[where] = (spans.get(where, (offset, 0))[0], offset)
        publish = self._publish_transaction if self._exactly_once else self._publish_then_commit
        if not publish(output.records, spans):
            self._rewind(spans)
            return
        metrics = self._metrics
        metrics.consumed += len(consumed)
        metrics.skipped += output.skipped
        for record in output.records:
            metrics.produced[record.topic] += 1
        for reason in output.dead_letters:
            metrics.dead_lettered[reason] += 1

    def _produce(
        self, records: Sequence[KafkaRecord], on_delivery: Callable[..., None] | None = None
    ) -> None:
        for record in records:
            self._producer.produce(
                topic=record.topic,
                key=record.key,
                value=record.value,
                headers=record.headers,
                on_delivery=on_delivery,
            )

    def _publish_transaction(self, records: Sequence[KafkaRecord], spans: _Spans) -> bool:
        """Produce and commit the offsets in one transaction; False if it had to be aborted."""
        positions = _positions(spans)
        try:
            self._producer.begin_transaction()
            self._produce(records)
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
