"""Where relay frames come from: the live relay or a JSONL recording."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from doran.relay._backoff import Backoff
from doran.relay._client import ReceivedFrame, RelayClient

__all__ = ["FrameFeed", "LiveRelayFeed", "RecordingFeed", "read_recording"]

_DEFAULT_BACKOFF = Backoff()


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


def read_recording(path: Path) -> list[bytes]:
    """The frames of a JSONL recording: one frame per line, bytes exactly as recorded; blank lines skipped."""
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


@dataclass(frozen=True, slots=True)
class RecordingFeed:
    """A JSONL recording of relay frames; observed_at is unknown (the recording carries no receive times)."""

    path: Path

    @property
    def name(self) -> str:
        return f"replay:{self.path.name}"

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        for line in read_recording(self.path):
            if should_stop():
                return
            yield ReceivedFrame(line, None)
