"""Kafka failures, as raised by confluent-kafka and Quix Streams, become one line an operator can act on;
anything else (a bug) is left alone to keep its traceback."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from quixstreams.checkpointing.exceptions import CheckpointConsumerCommitError, CheckpointProducerTimeout
from quixstreams.kafka.exceptions import (
    KafkaBrokerUnavailableError,
    KafkaConsumerException,
    KafkaProducerDeliveryError,
)

from doran.stages.broker_failure import BrokerFailure, broker_failure


@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (
            KafkaConsumerException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "raw.near_intents.quote")),
            "a topic is gone from the broker (raw.near_intents.quote)",
        ),
        (
            KafkaException(KafkaError(KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, "seq 7", fatal=True)),
            "fatal Kafka client error OUT_OF_ORDER_SEQUENCE_NUMBER: seq 7",
        ),
        (
            KafkaProducerDeliveryError(KafkaError(KafkaError._MSG_TIMED_OUT, "Message timed out")),
            "a record was not delivered: Kafka error _MSG_TIMED_OUT: Message timed out",
        ),
        (KafkaBrokerUnavailableError("All Kafka brokers have been unavailable for 120s"), "no Kafka broker"),
        (CheckpointProducerTimeout("'40' messages failed"), "did not acknowledge produced records in time"),
        (
            CheckpointConsumerCommitError(KafkaError(KafkaError._WAIT_COORD, "Waiting for coordinator")),
            "could not commit the consumed offsets (_WAIT_COORD: Waiting for coordinator)",
        ),
    ],
)
def test_a_kafka_failure_is_one_line_saying_why_and_that_the_stage_exits(
    raised: Exception, says: str
) -> None:
    failure = broker_failure(raised)
    assert isinstance(failure, BrokerFailure)
    text = str(failure)
    assert says in text and "\n" not in text
    assert "exit" in text or "restart" in text


def test_anything_else_is_not_a_broker_failure() -> None:
    assert broker_failure(ValueError("a bug")) is None
    assert broker_failure(KafkaException("no KafkaError inside")) is None
