"""Relay frame feeds the benchmark hands to `run_ingest`: as fast as it takes them, or at a fixed rate.

Both satisfy `doran.relay.FrameFeed`. Each frame is stamped as received now (a live relay frame
carries its receive time; a replay's does not), so ingest does the same work as on the live feed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from doran.relay import ReceivedFrame

__all__ = ["PacedFeed", "StreamedRecording"]


@dataclass(frozen=True, slots=True)
class StreamedRecording:
    """A JSONL recording read line by line as ingest asks for frames.

    Unlike `doran.relay.RecordingFeed` it never holds the whole recording, so the ingest process's
    peak memory is the stage's, not the recording's size."""

    path: Path

    @property
    def name(self) -> str:
        return f"bench:{self.path.name}"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        with self.path.open("rb") as lines:
            for line in lines:
                if should_stop():
                    return
                if line.strip():
                    yield ReceivedFrame(line.rstrip(b"\n"), datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class PacedFeed:
    """Frames at `rate` per second on an absolute schedule (no drift); `sent` gets each one's send time."""

    frames_to_send: Sequence[bytes]
    rate: float
    sent: list[float] = field(default_factory=list)  # wall clock, comparable with the reader's

    @property
    def name(self) -> str:
        return f"bench:paced:{self.rate:g}/s"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        started = time.perf_counter()
        for index, frame in enumerate(self.frames_to_send):
            if should_stop():
                return
            delay = started + index / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.sent.append(time.time())  # handed to ingest now: the start of its end-to-end latency
            yield ReceivedFrame(frame, datetime.now(UTC))
