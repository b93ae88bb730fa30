"""Shared fixtures: the Kafka-protocol brokers the integration tests talk to; Hypothesis's profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from doran.broker import create_topics
from doran.contracts import TOPICS
from doran.devkit.embedded_broker import EmbeddedBroker

# `make test` draws the same examples on every machine, so a run that passed here passes in CI and a
# failure anywhere reproduces everywhere. HYPOTHESIS_PROFILE=explore draws fresh ones, to hunt for bugs.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[str]:
    """A broker of this test's own, every registry topic created: for tests that read whole topics
    (tansu starts in about a tenth of a second, so isolation costs nothing)."""
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        create_topics(broker.address, TOPICS.values())
        yield broker.address
