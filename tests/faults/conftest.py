"""Fault tests: the real `doran stage` processes on the embedded broker and the relay simulator, with the
broker, the relay or a stage taken away and given back. Every wait is a condition with a bound.

What holds on tansu (memory storage: a restart loses every topic, offset and producer state) and what
would need Redpanda (persistent storage, KIP-345 static rejoin) is said in each test and in
docs/operations.md ("Failure modes").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doran.broker import create_topics
from doran.contracts import TOPICS
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.ports import free_port


@pytest.fixture
def restartable_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """An embedded broker on a fixed port, so that a stop and a start give the clients the same address."""
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    create_topics(broker.address, TOPICS.values())
    try:
        yield broker
    finally:
        broker.stop()
