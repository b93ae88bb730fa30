"""Settings, consumers and app runs for tests that talk to the embedded broker."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition
from quixstreams import Application

from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS
from doran.settings import Settings
from doran.stages.metrics import StageMetrics
from support.registry import published_registry

__all__ = ["consumer_config", "read_records", "run_until", "stage_settings"]


def consumer_config(**extra: Any) -> dict[str, Any]:
    """librdkafka settings of a test's own consumer: the embedded broker's group-join values, plus extra."""
    return {**Settings(**EMBEDDED_BROKER_SETTINGS).consumer_config(), **extra}


def stage_settings(tmp_path: Path, broker: str, **overrides: Any) -> Settings:
    """Settings of a stage under test: the embedded broker's values, state under tmp_path, a fresh group,
    and a schema registry that holds this build's schemas."""
    values: dict[str, Any] = {
        "broker_address": broker,
        "registry_url": published_registry(),
        "consumer_group_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "quix_state_dir": tmp_path / "quix",
        "executor_state_dir": tmp_path / "executor-state",
        "settlement_state_dir": tmp_path / "settlement-state",
        **EMBEDDED_BROKER_SETTINGS,
        **overrides,
    }
    return Settings(**values)


def read_records(address: str, topic: str, expected: int, *, settle_s: float = 1.0) -> list[Message]:
    """Every committed record of `topic`: read until `expected` arrived (60 s at most), then `settle_s`
    more to catch extras.

    Not to the high watermark: tansu reports the last batch's base offset + 1 there.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": "t",
            "isolation.level": "read_committed",
            **consumer_config(),
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        messages: list[Message] = []
        deadline, quiet_until = time.monotonic() + 60, None
        while time.monotonic() < (quiet_until or deadline):
            message = consumer.poll(0.1)
            if message is not None and not message.error():
                messages.append(message)
            if quiet_until is None and len(messages) >= expected:
                quiet_until = time.monotonic() + settle_s
        return messages
    finally:
        consumer.close()


def run_until(
    app: Application, metrics: StageMetrics, consumed: int, timeout_s: float = 120
) -> dict[str, Any]:
    """Run a stage's Quix app until its metrics counted `consumed` messages; its counts, checked."""
    started = time.monotonic()

    def watch() -> None:
        while metrics.snapshot()["consumed"] < consumed and time.monotonic() - started < timeout_s:
            time.sleep(0.1)
        app.stop()

    threading.Thread(target=watch, daemon=True).start()
    app.run()  # Quix wants the main thread (signal handlers); the watcher stops it
    counts = metrics.snapshot()
    assert counts["consumed"] == consumed
    return counts
