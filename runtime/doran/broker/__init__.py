"""The embedded Kafka-protocol broker (tansu) for tests and the demo, and topic setup from the registry."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from doran.broker._tansu import EmbeddedBroker, tansu_binary
from doran.broker._topics import TopicShape, create_topics, quix_topic_config, topic_config
from doran.broker.errors import BrokerError, BrokerNotInstalledError, BrokerStartError, TopicSetupError

__all__ = [
    "FAST_GROUP_JOIN",
    "BrokerError",
    "BrokerNotInstalledError",
    "BrokerStartError",
    "EmbeddedBroker",
    "TopicSetupError",
    "TopicShape",
    "broker_address",
    "create_topics",
    "quix_topic_config",
    "tansu_binary",
    "topic_config",
]

#: Consumer settings every doran consumer uses (Quix `consumer_extra_config=dict(FAST_GROUP_JOIN)`).
#: tansu holds a group join for the whole rebalance timeout (= max.poll.interval.ms): with these a
#: join takes ~3 s, with librdkafka's defaults minutes. 6000 ms is also Kafka's and Redpanda's
#: minimum session timeout, so the same values are valid in production.
FAST_GROUP_JOIN: Mapping[str, int] = MappingProxyType(
    {"session.timeout.ms": 6000, "max.poll.interval.ms": 6000}
)


@contextmanager
def broker_address(configured: str | None) -> Iterator[str]:
    """Yield `configured` if set, else the address of an embedded broker started for the block."""
    if configured:
        yield configured
        return
    with EmbeddedBroker() as broker:
        yield broker.address
