"""committed_offsets_exist against the real embedded broker: a group that committed, one that did not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, Producer
from support.broker import consumer_config

from doran.broker import create_topics
from doran.executor import CommittedOffsetsUnknownError, committed_offsets_exist

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = 3_600_000


def test_only_a_group_that_committed_has_offsets(kafka_broker: str) -> None:
    topic = f"test.executor_offsets.{uuid.uuid4().hex[:10]}"
    create_topics(kafka_broker, [Topic(topic, partitions=2)])
    producer = Producer({"bootstrap.servers": kafka_broker})
    producer.produce(topic, b"command", partition=1)
    producer.flush(10)

    group = f"executor-{uuid.uuid4().hex[:8]}"
    assert committed_offsets_exist(kafka_broker, group, topic) is False

    consumer = Consumer(
        {"bootstrap.servers": kafka_broker, "group.id": group, "auto.offset.reset": "earliest"}
        | consumer_config()
    )
    consumer.subscribe([topic])
    message = None
    for _ in range(60):
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            break
    assert message is not None
    assert message.error() is None
    consumer.commit(message=message, asynchronous=False)
    consumer.close()

    assert committed_offsets_exist(kafka_broker, group, topic) is True
    assert committed_offsets_exist(kafka_broker, f"other-{group}", topic) is False


def test_a_missing_topic_has_no_offsets(kafka_broker: str) -> None:
    assert committed_offsets_exist(kafka_broker, "executor", f"test.absent.{uuid.uuid4().hex[:10]}") is False


def test_an_unreachable_broker_is_an_error_not_a_guess() -> None:
    with pytest.raises(CommittedOffsetsUnknownError, match="does not start"):
        committed_offsets_exist("127.0.0.1:1", "executor", "cmd.execute_trade", timeout_s=1.0)
