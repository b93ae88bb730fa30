"""A fresh store and a simulated venue per executor test; commands come from `support.commands`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doran.executor import ExecutorStore
from doran.venues import SimulatedVenue


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "executor-state"


@pytest.fixture
def venue_log(tmp_path: Path) -> Path:
    return tmp_path / "venue" / "simulated-venue.jsonl"


@pytest.fixture
def store(state_dir: Path) -> Iterator[ExecutorStore]:
    opened = ExecutorStore.open(state_dir)
    yield opened
    opened.close()


@pytest.fixture
def venue(venue_log: Path) -> Iterator[SimulatedVenue]:
    simulated = SimulatedVenue(venue_log)
    yield simulated
    simulated.close()
