"""When the broker can no longer serve a stage as it is, the stage exits so that it is restarted, with one
line saying why (`doran stage` prints it as `error: ...`, exit code 2). This module is where a Kafka-side
exception, from confluent-kafka or Quix Streams, becomes that line.

What ends a stage: a topic it uses is gone or has a different partition count (a broker that lost its
data, or a topic recreated by hand: its offsets and its key-to-partition mapping no longer hold), a fatal
client error (the idempotent producer's sequence broken, a fenced static member), records the broker did
not take, no broker for longer than DORAN_BROKER_UNAVAILABLE_TIMEOUT_S. What does not: a broker that is
briefly down (librdkafka reconnects by itself; the stage is unready meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import KafkaError, KafkaException
from quixstreams.checkpointing.exceptions import CheckpointConsumerCommitError, CheckpointProducerTimeout
from quixstreams.exceptions import PartitionAssignmentError
from quixstreams.kafka.exceptions import (
    BaseKafkaException,
    KafkaBrokerUnavailableError,
    KafkaProducerDeliveryError,
)

from doran.errors import DoranError

__all__ = ["BrokerFailure", "TopicGone", "TopicLayoutChanged", "broker_failure", "check_topics"]

_RESTART = "exiting to be restarted"
_TOPIC_GONE = {KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION}


class BrokerFailure(DoranError):
    """The broker cannot serve this stage as it is now; the stage exits so that it is restarted."""


class TopicLayoutChanged(BrokerFailure):
    """A topic the stage uses has another partition count than the registry declares."""


class TopicGone(BrokerFailure):
    """A topic the stage used is no longer on the broker."""


def _kafka_error(exc: BaseException) -> KafkaError | None:
    if isinstance(exc, BaseKafkaException):
        return exc.error
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def _describe(error: KafkaError) -> str:
    if error.code() in _TOPIC_GONE:
        return (
            f"a topic is gone from the broker ({error.str()}): the broker lost its topics (restarted "
            f"without persistent storage?) or the topic was deleted; {_RESTART}, which creates it again"
        )
    if error.fatal():
        return (
            f"fatal Kafka client error {error.name()}: {error.str()} (e.g. the broker lost the idempotent "
            f"producer's state, or another process took this static member's group.instance.id); {_RESTART}"
        )
    return f"Kafka error {error.name()}: {error.str()}; {_RESTART}"


def broker_failure(exc: BaseException) -> BrokerFailure | None:
    """`exc` as a BrokerFailure with one line an operator can act on; None when it is not a Kafka failure
    (a bug, which keeps its traceback)."""
    if isinstance(exc, BrokerFailure):
        return exc
    if isinstance(exc, PartitionAssignmentError) and exc.__cause__ is not None:
        return broker_failure(exc.__cause__)
    if isinstance(exc, KafkaBrokerUnavailableError):
        # Quix's text goes on to name its own parameter; the first sentence says what happened.
        what = str(exc).split(". ", 1)[0]
        return BrokerFailure(
            f"no Kafka broker reachable: {what} (DORAN_BROKER_UNAVAILABLE_TIMEOUT_S); {_RESTART}"
        )
    if isinstance(exc, CheckpointProducerTimeout):
        return BrokerFailure(
            f"the broker did not acknowledge produced records in time ({exc}); nothing of this checkpoint "
            f"is committed, so its input is consumed again after the restart; {_RESTART}"
        )
    error = _kafka_error(exc)
    if error is None:
        return None
    if isinstance(exc, CheckpointConsumerCommitError):
        return BrokerFailure(
            f"could not commit the consumed offsets ({error.name()}: {error.str()}): what was consumed since "
            f"the last commit is consumed again after the restart; {_RESTART}"
        )
    prefix = "a record was not delivered: " if isinstance(exc, KafkaProducerDeliveryError) else ""
    return BrokerFailure(prefix + _describe(error))


def check_topics(expected: Mapping[str, int], before: Mapping[str, int], now: Mapping[str, int]) -> None:
    """Raise when a topic of `expected` (name -> partitions) is gone (known before, not now) or known with
    another partition count: TopicGone, TopicLayoutChanged. `before` and `now` are a client's
    partition counts by topic in two successive reports (0 or absent: not known).

    Keys map to partitions by count, and offsets belong to a topic's life: a stage stops rather than
    consume a topic whose offsets and key mapping no longer mean what they meant.
    """
    for topic, partitions in expected.items():
        count = now.get(topic, 0)
        if count and count != partitions:
            raise TopicLayoutChanged(
                f"topic {topic} has {count} partitions where the registry declares {partitions} (recreated "
                f"by a broker that lost its topics, or by hand?); {_RESTART} once the topic is fixed"
            )
        if not count and before.get(topic, 0):
            raise TopicGone(
                f"topic {topic} is gone from the broker: the broker lost its topics (restarted without "
                f"persistent storage?) or the topic was deleted; {_RESTART}, which creates it again"
            )
