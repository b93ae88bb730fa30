"""A relay frame feed for the ingest stage that hands over frames at a fixed rate and logs when.

It runs in the ingest Source's subprocess (so it is a picklable dataclass); the send time of each
frame (wall clock, comparable across processes) goes to `sent_log` as a JSON list when it ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from doran.relay import ReceivedFrame, read_recording

__all__ = ["PacedFeed"]


@dataclass(frozen=True, slots=True)
class PacedFeed:
    """Frames of a JSONL recording at `rate` per second on an absolute schedule (no drift)."""

    recording: Path
    rate: float
    sent_log: Path

    @property
    def name(self) -> str:
        return f"bench:paced:{self.rate:g}/s"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        frames = read_recording(self.recording)
        sent: list[float] = []
        started = time.perf_counter()
        try:
            for index, frame in enumerate(frames):
                if should_stop():
                    return
                delay = started + index / self.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent.append(time.time())  # handed to ingest now: the start of its end-to-end latency
                yield ReceivedFrame(frame, datetime.now(UTC))
        finally:
            self.sent_log.write_bytes(orjson.dumps(sent))
