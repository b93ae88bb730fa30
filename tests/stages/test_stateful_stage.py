"""Opening a stateful stage: its inputs must share their partitions (a key lands in partitions of the
same number on each), or the stage refuses to start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from doran.broker import TopicSetupError, create_topics
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.stages.stateful_stage import co_partitions

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class _Topic:
    name: str
    partitions: int
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = 3_600_000


def test_inputs_with_different_partitions_are_refused_and_equal_ones_shared(tmp_path: Path) -> None:
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        signed, statuses, other = _Topic("signed", 3), _Topic("statuses", 3), _Topic("other", 2)
        create_topics(broker.address, [signed, statuses, other])
        assert co_partitions(broker.address, [signed, statuses]) == 3
        with pytest.raises(TopicSetupError, match="signed has 3, other has 2"):
            co_partitions(broker.address, [signed, other])
