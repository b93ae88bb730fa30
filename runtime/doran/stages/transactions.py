"""The transactions of a stateful stage: its outputs, its changelog and its input offsets, all or nothing.

Each replica has its own stable transactional.id (`<group>.<replica>`, doran.settings): its first
`init_transactions` aborts whatever its previous run left open, and two replicas never fence each
other. A transaction the broker asks to abort (a delivery timeout, a coordinator move) is aborted
and tried again with the same records, a few times; a fatal error (fenced: another process runs
under this replica's name, or the group moved on) is raised, and the stage exits to be restarted.

The offsets are committed with the consumer's group metadata: Kafka and Redpanda (KIP-447) refuse
them from a member whose generation is over, so a replica that lost its partitions without knowing
(a zombie) cannot commit work for them. tansu, the embedded broker, does not check the generation.

Outputs are framed as their topics declare (`framing`: the Confluent schema-id prefix); the changelog
is internal, read only by the stage's own restore, and stays bare JSON (no registry subject).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from doran.stages.broker_failure import BrokerFailure
from doran.state import ChangelogRecord, progress_record
from doran.wire import Framing, KafkaRecord

__all__ = ["StageTransactions"]

logger = logging.getLogger("doran.transactions")
_ATTEMPTS = 5


class StageTransactions:
    """Runs a stage's transactions through one producer; `changelog` names its changelog topic."""

    def __init__(
        self, producer: Producer, consumer: Consumer, changelog: str, framing: Framing, *, timeout_s: float
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._changelog = changelog
        self._framing = framing
        self._timeout_s = timeout_s
        self.commits = 0
        self.seconds = 0.0

    def start(self) -> None:
        """Register this replica's transactional.id, aborting what its last run left open."""
        self._producer.init_transactions(self._timeout_s)

    def commit(
        self,
        records: Sequence[KafkaRecord],
        changes: Sequence[ChangelogRecord],
        offsets: Sequence[TopicPartition],
        group: object | None = None,
    ) -> dict[int, int]:
        """Produce everything and commit `offsets` (the next record to read per input partition) in one
        transaction; the last changelog offset written per partition. `group`: the consumer's group
        metadata when the work was done (taken now when not given); may run on another thread."""
        started = time.perf_counter()
        if not records and not changes:  # offsets alone: tansu would not commit them
            changes = [progress_record(tp.partition, tp.topic, tp.offset) for tp in offsets]
        for attempt in range(1, _ATTEMPTS + 1):
            written: dict[int, int] = {}
            failures: list[KafkaError] = []
            try:
                self._producer.begin_transaction()
                self._produce(records, changes, written, failures)
                if offsets:
                    metadata = group if group is not None else self._consumer.consumer_group_metadata()
                    self._producer.send_offsets_to_transaction(list(offsets), metadata, self._timeout_s)
                self._commit()
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if not (isinstance(error, KafkaError) and error.txn_requires_abort()) or attempt == _ATTEMPTS:
                    raise
                logger.warning("transaction attempt %d aborted (%s); producing it again", attempt, error)
                self._abort(error)
                time.sleep(min(0.05 * 2**attempt, 1.0))
                continue
            if failures:  # cannot happen once committed; a guard against a silent loss all the same
                raise KafkaException(failures[0])
            self.commits += 1
            self.seconds += time.perf_counter() - started
            return written
        raise AssertionError("unreachable")

    def _abort(self, error: KafkaError) -> None:
        try:
            self._producer.abort_transaction(self._timeout_s)
        except KafkaException as exc:  # the broker away, or back without this producer's state
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else exc
            what = cause.name() if isinstance(cause, KafkaError) else str(cause)
            raise BrokerFailure(
                f"a transaction failed ({error.name()}: {error.str()}) and its abort did not complete "
                f"({what}): nothing of it is committed, so its input is read again after the restart and "
                "what it began is recovered, never sent twice; exiting to be restarted"
            ) from exc

    def _produce(
        self,
        records: Sequence[KafkaRecord],
        changes: Sequence[ChangelogRecord],
        written: dict[int, int],
        failures: list[KafkaError],
    ) -> None:
        def delivered(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                failures.append(error)
                return
            partition, offset = message.partition(), message.offset()
            if partition is not None and offset is not None:
                written[partition] = max(written.get(partition, -1), offset)

        for record in records:
            value = self._framing.frame(record.topic, record.value)
            self._produce_one(record.topic, value, record.key, headers=record.headers)
        # A transaction writes each partition in order: the last record's offset says how far it went,
        # so only those report their delivery (a report per record costs more than its record).
        last = {change.partition: n for n, change in enumerate(changes)}
        reporting = set(last.values())
        for n, change in enumerate(changes):
            options: dict[str, Any] = {"on_delivery": delivered} if n in reporting else {}
            self._produce_one(
                self._changelog,
                change.value,
                change.key,
                partition=change.partition,
                headers=change.headers,
                **options,
            )
        # Serves the delivery reports (the changelog offsets) before the commit.
        if self._producer.flush(self._timeout_s):
            undelivered = KafkaError(
                KafkaError._MSG_TIMED_OUT, "records not delivered", txn_requires_abort=True
            )
            raise KafkaException(undelivered)

    def _produce_one(self, topic: str, value: bytes | None, key: str | bytes, **options: Any) -> None:
        for _ in range(100):
            try:
                self._producer.produce(topic, value, key, **options)
                return
            except BufferError:  # librdkafka's queue is full: let it drain
                self._producer.poll(0.05)
        raise KafkaException(KafkaError(KafkaError._QUEUE_FULL, "the producer's queue stayed full"))

    def _commit(self) -> None:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                self._producer.commit_transaction(self._timeout_s)
                return
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if not (isinstance(error, KafkaError) and error.retriable()) or attempt == _ATTEMPTS:
                    raise
                logger.warning("commit_transaction attempt %d: %s; retrying", attempt, error)
