"""The simulator's notion of now: a monotonic reading for durations and a UTC wall clock for deadlines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Clock", "Instant", "system_clock"]


@dataclass(frozen=True, slots=True)
class Instant:
    """One moment read twice: `monotonic` (seconds, for auction windows and latencies) and `wall` (aware UTC,
    for the contract's deadlines)."""

    monotonic: float
    wall: datetime


#: Where the simulator reads the time; tests pass a fake one to move time by hand.
Clock = Callable[[], Instant]


def system_clock() -> Instant:
    """The current instant from `time.monotonic` and the UTC wall clock."""
    return Instant(time.monotonic(), datetime.now(UTC))
