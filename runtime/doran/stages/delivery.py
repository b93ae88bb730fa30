"""A producer whose failures surface when they happen: every record is held until the broker acknowledges
it, the owner polls it on a timer (not only when it produces), and a failed delivery or a fatal client
error is raised from the next poll or produce, naming what was lost.

Ingest's producer: the relay sends frames whenever it likes, so a producer polled only after each frame
would hear of a broker failure only at the next frame, and a fatal idempotent-producer error would wait
for traffic to be seen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from doran.stages.broker_failure import BrokerFailure, broker_failure
from doran.wire import KafkaRecord

__all__ = ["DeliveryFailed", "TrackedProducer", "Undelivered"]

logger = logging.getLogger("doran.delivery")
_TOPIC_GONE = (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC)
_SHOWN = 20  # event ids named in the log line of records lost


class DeliveryFailed(BrokerFailure):
    """The broker did not take records (or the producer can no longer send); they are named in the log."""


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A record produced but not acknowledged: where it was going, what it was, when it was produced."""

    topic: str
    event_id: str
    produced_at: float  # time.monotonic()


def _event_id(record: KafkaRecord) -> str:
    # The CloudEvents id header is the envelope's event_id; the key when a record has none.
    for name, value in record.headers:
        if name == "ce_id":
            return value.decode("utf-8", "replace")
    return record.key


class TrackedProducer:
    """confluent-kafka's Producer with delivery tracking; `config` is its librdkafka configuration,
    `frame(topic, value)` the bytes a record's value leaves the process as (its topic's wire framing)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        frame: Callable[[str, bytes], bytes] = lambda _topic, value: value,
        make: Callable[[dict[str, Any]], Producer] = Producer,
        max_queue_wait_s: float = 5.0,
    ) -> None:
        kafka_log = logging.getLogger("doran.kafka")
        self._producer = make({**config, "error_cb": self._on_error, "logger": kafka_log})
        self._frame = frame
        self._pending: dict[int, Undelivered] = {}
        self._serial = 0
        self._failure: DeliveryFailed | None = None
        self._max_queue_wait_s = max_queue_wait_s
        self.delivered = 0

    @property
    def pending(self) -> int:
        """Records produced and not yet acknowledged."""
        return len(self._pending)

    def undelivered(self) -> list[Undelivered]:
        """The records produced and not acknowledged, in the order they were produced."""
        return list(self._pending.values())

    def oldest_pending_s(self) -> float:
        """How long the oldest record not yet acknowledged has waited (0 when none waits)."""
        oldest = next(iter(self._pending.values()), None)
        return 0.0 if oldest is None else time.monotonic() - oldest.produced_at

    def missing_topics(self, topics: Iterable[str], timeout_s: float) -> list[str]:
        """Which of `topics` the broker says it does not have (blocks up to `timeout_s`: run it off the
        event loop). A producer that may not create topics waits for a missing one without end."""
        metadata = self._producer.list_topics(timeout=timeout_s)
        missing = []
        for name in topics:
            topic = metadata.topics.get(name)
            if topic is None or (topic.error is not None and topic.error.code() in _TOPIC_GONE):
                missing.append(name)
        return missing

    def _on_error(self, error: KafkaError) -> None:
        # Transport errors are retried by librdkafka and show in the statistics; only a fatal one ends it.
        if error.fatal() and self._failure is None:
            self._fail(broker_failure(KafkaException(error)) or BrokerFailure(error.str()))

    def _fail(self, cause: BrokerFailure) -> None:
        self._failure = DeliveryFailed(str(cause))

    def _delivery(self, serial: int) -> Callable[[KafkaError | None, Message], None]:
        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            record = self._pending.pop(serial, None)
            if error is None:
                self.delivered += 1
                return
            if self._failure is None:
                where = "" if record is None else f" (event {record.event_id} to {record.topic})"
                cause = broker_failure(KafkaException(error)) or BrokerFailure(error.str())
                self._fail(BrokerFailure(f"a record was not delivered{where}: {cause}"))
            if record is not None:
                self._pending[serial] = record  # lost, not delivered: kept for the account

        return on_delivery

    def raise_failure(self) -> None:
        """Raise what went wrong since the last call, if anything did."""
        if self._failure is not None:
            raise self._failure

    def produce(self, record: KafkaRecord) -> None:
        """Queue `record`; waits (polling) while librdkafka's queue is full, up to a bound."""
        self.raise_failure()
        self._serial += 1
        serial = self._serial
        value = self._frame(record.topic, record.value)
        deadline = time.monotonic() + self._max_queue_wait_s
        while True:
            try:
                self._producer.produce(
                    record.topic,
                    value,
                    record.key,
                    headers=record.headers,
                    on_delivery=self._delivery(serial),
                )
                break
            except BufferError:
                if time.monotonic() >= deadline:
                    raise DeliveryFailed(
                        f"the producer's queue stayed full for {self._max_queue_wait_s:g} s with "
                        f"{self.pending} records waiting for the broker"
                    ) from None
                self._producer.poll(0.1)
                self.raise_failure()
        self._pending[serial] = Undelivered(record.topic, _event_id(record), time.monotonic())

    def poll(self, timeout_s: float = 0.0) -> None:
        """Serve delivery reports, errors and statistics; raise a failure they reported."""
        self._producer.poll(timeout_s)
        self.raise_failure()

    def flush(self, timeout_s: float) -> None:
        """Wait up to `timeout_s` for every record to be acknowledged; DeliveryFailed if some were not."""
        left = self._producer.flush(timeout_s)
        self.raise_failure()
        if left:
            raise DeliveryFailed(f"{left} records were not acknowledged within {timeout_s:g} s")

    def log_undelivered(self) -> None:
        """One ERROR line naming the records that were never acknowledged (lost unless the source resends)."""
        lost = self.undelivered()
        if not lost:
            return
        by_topic: dict[str, int] = {}
        for record in lost:
            by_topic[record.topic] = by_topic.get(record.topic, 0) + 1
        ids = ", ".join(record.event_id for record in lost[:_SHOWN])
        more = "" if len(lost) <= _SHOWN else f" and {len(lost) - _SHOWN} more"
        counts = ", ".join(f"{topic}: {count}" for topic, count in sorted(by_topic.items()))
        logger.error("%d records were not delivered (%s): %s%s", len(lost), counts, ids, more)
