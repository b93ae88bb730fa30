"""A steady schedule for sending quote events at a given rate; pure.

Send n is due at `start + n / rate_per_s`: the schedule is absolute, so a late send does not push the
ones after it (no drift), and a backlog is sent as fast as possible until the schedule is caught up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Pacer"]


@dataclass(frozen=True, slots=True)
class Pacer:
    """Sends at `rate_per_s` from the monotonic time `start`."""

    start: float
    rate_per_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_per_s) and self.rate_per_s > 0):
            raise ValueError(f"rate_per_s must be a positive finite number, got {self.rate_per_s}")

    def due(self, n: int) -> float:
        """When send `n` (from 0) is due."""
        return self.start + n / self.rate_per_s

    def wait_s(self, n: int, now: float) -> float:
        """How long to wait at `now` before send `n`; 0 when it is due or late."""
        return max(0.0, self.due(n) - now)
