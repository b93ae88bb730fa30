"""Replay tests read whole topics, so each integration test gets its own embedded broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doran.broker import EmbeddedBroker, create_topics
from doran.contracts import TOPICS


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[str]:
    """Address of a broker of this test's own, with every registry topic created."""
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        create_topics(broker.address, TOPICS)
        yield broker.address
