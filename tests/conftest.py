"""Shared fixtures: the Kafka-protocol broker every integration test talks to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from doran.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a running broker: $DORAN_BROKER_ADDRESS if set, else an embedded tansu.

    The broker is shared by the whole session, so tests use their own topic names or consumer groups.
    """
    configured = os.environ.get("DORAN_BROKER_ADDRESS")
    if configured:
        yield configured
        return
    log_path: Path = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as broker:
        yield broker.address
