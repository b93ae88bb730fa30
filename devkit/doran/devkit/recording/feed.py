"""A JSONL recording played as a frame feed (what `doran play` ingests), paced or as fast as taken."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from doran.devkit.recording.lines import recorded_frames
from doran.devkit.recording.timing import PlaySchedule, play_offsets
from doran.relay import ReceivedFrame

__all__ = ["RecordingFeed"]

# The longest a paced feed sleeps before checking for a stop: a long recorded gap must not delay one.
_STOP_CHECK_S = 0.25


@dataclass(frozen=True, slots=True)
class RecordingFeed:
    """A JSONL recording of relay frames (raw or timed lines, see `doran.relay.recorded_frames`).

    A timed line's frame carries its recorded receive time as observed_at; a raw line's has none. By
    default frames come as fast as they are taken; with `pace`, timed frames keep their recorded gaps,
    played `speed` times faster (raw lines, having no time, follow without a wait).
    """

    path: Path
    pace: bool = False
    speed: float = 1.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        PlaySchedule(0.0, self.speed)  # refuses a bad speed here rather than at the first frame

    @property
    def name(self) -> str:
        return f"recording:{self.path.name}"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        frames = recorded_frames(self.path)
        offsets: list[float | None] = [None] * len(frames)
        if self.pace:
            offsets = play_offsets([frame.observed_at for frame in frames])
        schedule = PlaySchedule(self.clock(), self.speed)
        for frame, offset in zip(frames, offsets, strict=True):
            if offset is not None:
                while (wait_s := schedule.wait_s(offset, self.clock())) > 0:
                    if should_stop():
                        return
                    await self.sleep(min(wait_s, _STOP_CHECK_S))
            if should_stop():
                return
            yield frame
