"""Ingest's producer on the real broker: a failed delivery surfaces from the next poll, when it happens,
naming the record, with nothing else produced; the broker's missing topics are found by asking it."""

from __future__ import annotations

import re
import time

import pytest

from doran.contracts import DEAD_LETTER_TOPIC
from doran.stages.delivery import DeliveryFailed, TrackedProducer
from doran.wire import KafkaRecord

pytestmark = pytest.mark.integration


def _record(topic: str, n: int) -> KafkaRecord:
    return KafkaRecord(topic, f"key-{n}", b'{"n": %d}' % n, [("ce_id", f"evt-{n}".encode())])


def _producer(address: str, **config: object) -> TrackedProducer:
    return TrackedProducer({"bootstrap.servers": address, "allow.auto.create.topics": False, **config})


def test_acknowledged_records_are_no_longer_pending(fresh_broker: str) -> None:
    producer = _producer(fresh_broker)
    for n in range(5):
        producer.produce(_record(DEAD_LETTER_TOPIC.name, n))
    producer.flush(10)
    assert (producer.delivered, producer.pending, producer.oldest_pending_s()) == (5, 0, 0.0)


def test_a_failed_delivery_surfaces_from_poll_without_another_record(fresh_broker: str) -> None:
    # A topic the broker does not have, and a producer that may not create it: librdkafka gives up after
    # message.timeout.ms. The failure must surface on a poll, with no later produce to carry it.
    producer = _producer(fresh_broker, **{"message.timeout.ms": 1000})
    producer.produce(_record("no.such.topic", 7))
    deadline = time.monotonic() + 30
    with pytest.raises(DeliveryFailed, match=re.escape("event evt-7 to no.such.topic")):  # noqa: PT012
        while time.monotonic() < deadline:
            producer.poll(0.1)
    assert [r.event_id for r in producer.undelivered()] == ["evt-7"]
    with pytest.raises(DeliveryFailed):
        producer.produce(_record(DEAD_LETTER_TOPIC.name, 8))  # nothing more goes out after a failure


def test_missing_topics_are_those_the_broker_does_not_have(fresh_broker: str) -> None:
    producer = _producer(fresh_broker)
    missing = producer.missing_topics([DEAD_LETTER_TOPIC.name, "no.such.topic"], timeout_s=10)
    assert missing == ["no.such.topic"]
