"""The embedded Kafka-protocol broker (tansu) for tests and the demo, topic setup from the registry, and
reading topics to their end."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from doran.broker._tansu import EmbeddedBroker, tansu_binary
from doran.broker._topics import TopicShape, create_topics, quix_topic_config, topic_config
from doran.broker.errors import (
    BrokerError,
    BrokerNotInstalledError,
    BrokerStartError,
    TopicReadError,
    TopicSetupError,
)
from doran.broker.topic_reader import LogRecord, TopicReader

__all__ = [
    "EMBEDDED_BROKER_SETTINGS",
    "BrokerError",
    "BrokerNotInstalledError",
    "BrokerStartError",
    "EmbeddedBroker",
    "LogRecord",
    "TopicReadError",
    "TopicReader",
    "TopicSetupError",
    "TopicShape",
    "broker_address",
    "create_topics",
    "quix_topic_config",
    "settings_environment",
    "tansu_binary",
    "topic_config",
]

#: What a process talking to the embedded broker sets (Settings fields): tansu holds a group join
#: for the whole rebalance timeout (= max.poll.interval.ms), so with production's 300 s a join takes
#: minutes; with these ~3 s. tansu also holds every fetch for fetch.wait.max.ms even when data is
#: ready (Redpanda answers as soon as there is data), so that wait is short: each hop of the
#: pipeline waited up to 100 ms otherwise. Production (Redpanda) keeps the defaults of Settings.
EMBEDDED_BROKER_SETTINGS: Mapping[str, int] = MappingProxyType(
    {"session_timeout_ms": 6000, "max_poll_interval_ms": 6000, "fetch_wait_max_ms": 5}
)


def settings_environment(overrides: Mapping[str, object]) -> dict[str, str]:
    """Settings field overrides as the DORAN_* environment variables of a child process."""
    return {f"DORAN_{name.upper()}": str(value) for name, value in overrides.items()}


@contextmanager
def broker_address(configured: str | None) -> Iterator[str]:
    """Yield `configured` if set, else the address of an embedded broker started for the block."""
    if configured:
        yield configured
        return
    with EmbeddedBroker() as broker:
        yield broker.address
