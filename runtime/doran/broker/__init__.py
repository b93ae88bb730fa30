"""Talking to the broker's topics: topic setup from the registry, and reading topics to their end.

(The embedded broker of the tests and the demo is a development tool: `doran.devkit.embedded_broker`.)
"""

from __future__ import annotations

from doran.broker._topics import TopicShape, create_topics, quix_topic_config, topic_config
from doran.broker.errors import BrokerError, TopicReadError, TopicSetupError
from doran.broker.topic_reader import LogRecord, TopicReader

__all__ = [
    "BrokerError",
    "LogRecord",
    "TopicReadError",
    "TopicReader",
    "TopicSetupError",
    "TopicShape",
    "create_topics",
    "quix_topic_config",
    "topic_config",
]
