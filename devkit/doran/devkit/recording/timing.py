"""When to play each frame of a timed recording: recorded inter-arrival gaps, scaled; pure.

A frame's offset is the sum of the recorded gaps before it, counted from the first timed frame. A gap
that runs backwards (the recorder's wall clock stepped back) counts as zero, so offsets never decrease.
The schedule is absolute, like the simulator's Pacer: a late frame does not push the ones after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["PlaySchedule", "play_offsets"]


def play_offsets(received_at: Sequence[datetime | None]) -> list[float | None]:
    """Seconds after the first timed frame at which each frame was received; None for an untimed frame
    (it carries no time, so it is played as soon as it is reached)."""
    offsets: list[float | None] = []
    elapsed = 0.0
    previous: datetime | None = None
    for instant in received_at:
        if instant is None:
            offsets.append(None)
            continue
        if previous is not None:
            elapsed += max(0.0, (instant - previous).total_seconds())
        previous = instant
        offsets.append(elapsed)
    return offsets


@dataclass(frozen=True, slots=True)
class PlaySchedule:
    """Plays offset 0 at the monotonic time `start`, and every offset `speed` times faster than recorded."""

    start: float
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"The play speed must be a positive finite factor, got {self.speed}")

    def due(self, offset_s: float) -> float:
        """The monotonic time at which the frame recorded `offset_s` after the first is due."""
        return self.start + offset_s / self.speed

    def wait_s(self, offset_s: float, now: float) -> float:
        """How long to wait at `now` before playing that frame; 0 when it is due or late."""
        return max(0.0, self.due(offset_s) - now)
