"""Settings and consumer configuration for tests that talk to the embedded broker."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS
from doran.settings import Settings

__all__ = ["consumer_config", "stage_settings"]


def consumer_config(**extra: Any) -> dict[str, Any]:
    """librdkafka settings of a test's own consumer: the embedded broker's group-join values, plus extra."""
    return {**Settings(**EMBEDDED_BROKER_SETTINGS).consumer_config(), **extra}


def stage_settings(tmp_path: Path, broker: str, **overrides: Any) -> Settings:
    """Settings of a stage under test: the embedded broker's values, state under tmp_path, a fresh group."""
    values: dict[str, Any] = {
        "broker_address": broker,
        "consumer_group_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "quix_state_dir": tmp_path / "quix",
        "executor_state_dir": tmp_path / "executor-state",
        **EMBEDDED_BROKER_SETTINGS,
        **overrides,
    }
    return Settings(**values)
