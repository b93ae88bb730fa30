"""Where relay frames come from: the live relay or a JSONL recording."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from doran.relay._backoff import Backoff
from doran.relay._client import ReceivedFrame, RelayClient
from doran.relay._recording import read_recording, recorded_frames
from doran.relay._replay_timing import ReplaySchedule, replay_offsets

# read_recording lives with the recording format; it stays importable from here, where callers found it.
__all__ = ["FrameFeed", "LiveRelayFeed", "RecordingFeed", "read_recording"]

_DEFAULT_BACKOFF = Backoff()
# The longest a paced replay sleeps before checking for a stop: a long recorded gap must not delay one.
_STOP_CHECK_S = 0.25


class FrameFeed(Protocol):
    """Relay frames: `name` is the envelope `source`; `frames()` yields until exhausted or stopped."""

    @property
    def name(self) -> str: ...

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]: ...


class LiveRelayFeed:
    """The solver relay websocket; never exhausted, reconnects until stopped. `client` tells whether it
    is connected and subscribed, and when its receive loop last ran."""

    def __init__(
        self,
        url: str,
        api_key: SecretStr | None = None,
        *,
        backoff: Backoff = _DEFAULT_BACKOFF,
        max_reconnects: int | None = None,
    ) -> None:
        self.client = RelayClient(url, api_key=api_key, backoff=backoff, max_reconnects=max_reconnects)

    @property
    def name(self) -> str:
        return self.client.url

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        return self.client.frames(should_stop)


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
        ReplaySchedule(0.0, self.speed)  # refuses a bad speed here rather than at the first frame

    @property
    def name(self) -> str:
        return f"replay:{self.path.name}"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        frames = recorded_frames(self.path)
        offsets: list[float | None] = [None] * len(frames)
        if self.pace:
            offsets = replay_offsets([frame.observed_at for frame in frames])
        schedule = ReplaySchedule(self.clock(), self.speed)
        for frame, offset in zip(frames, offsets, strict=True):
            if offset is not None:
                while (wait_s := schedule.wait_s(offset, self.clock())) > 0:
                    if should_stop():
                        return
                    await self.sleep(min(wait_s, _STOP_CHECK_S))
            if should_stop():
                return
            yield frame
