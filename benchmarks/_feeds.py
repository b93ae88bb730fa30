"""The relay frame feed the ingest throughput run hands to `run_ingest`: a recording, as fast as it
takes the frames. (The latency runs feed ingest through the relay simulator, which paces them.)

It satisfies `doran.relay.FrameFeed`. Each frame is stamped as received now (a live relay frame
carries its receive time; a replay's does not), so ingest does the same work as on the live feed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from doran.relay import ReceivedFrame

__all__ = ["StreamedRecording"]


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
