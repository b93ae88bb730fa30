"""Where relay frames come from: the live relay or a JSONL recording; picklable for a Source subprocess."""

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
_MAX_FEED_NAME = 249  # the dead-letter source_topic limit (a Kafka topic name's)


class FrameFeed(Protocol):
    """Relay frames: `name` is the envelope `source`; `frames()` yields until exhausted or stopped."""

    @property
    def name(self) -> str: ...

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]: ...


@dataclass(frozen=True, slots=True)
class LiveRelayFeed:
    """The solver relay websocket; never exhausted, reconnects until stopped."""

    url: str
    api_key: SecretStr | None = None
    backoff: Backoff = _DEFAULT_BACKOFF
    max_reconnects: int | None = None

    @property
    def name(self) -> str:
        return self.url[:_MAX_FEED_NAME]

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        client = RelayClient(
            self.url,
            api_key=self.api_key,
            backoff=self.backoff,
            max_reconnects=self.max_reconnects,
            should_stop=should_stop,
        )
        return client.frames()


def read_recording(path: Path) -> list[bytes]:
    """The frames of a JSONL recording: one frame per line, bytes exactly as recorded; blank lines skipped."""
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


@dataclass(frozen=True, slots=True)
class RecordingFeed:
    """A JSONL recording of relay frames; observed_at is unknown (the recording carries no receive times)."""

    path: Path

    @property
    def name(self) -> str:
        name = f"replay:{self.path}"
        return name if len(name) <= _MAX_FEED_NAME else f"replay:{self.path.name}"[:_MAX_FEED_NAME]

    async def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        for line in read_recording(self.path):
            if should_stop():
                return
            yield ReceivedFrame(line, None)
