"""Where relay frames come from: the `FrameFeed` protocol, and the live relay."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Protocol

from pydantic import SecretStr

from doran.relay._backoff import Backoff
from doran.relay._client import ReceivedFrame, RelayClient

__all__ = ["FrameFeed", "LiveRelayFeed"]

_DEFAULT_BACKOFF = Backoff()


class FrameFeed(Protocol):
    """Relay frames: `name` is the envelope `source`; `frames()` yields until exhausted or stopped."""

    @property
    def name(self) -> str: ...

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]: ...


class LiveRelayFeed:
    """The solver relay websocket; never exhausted, reconnects until stopped. `client` tells whether it
    is connected and subscribed, and when its receive loop last ran. `instance_id`: guaranteed delivery
    of quote_status (`RelayClient`)."""

    def __init__(
        self,
        url: str,
        api_key: SecretStr | None = None,
        *,
        instance_id: str | None = None,
        backoff: Backoff = _DEFAULT_BACKOFF,
        max_reconnects: int | None = None,
    ) -> None:
        self.client = RelayClient(
            url, api_key=api_key, instance_id=instance_id, backoff=backoff, max_reconnects=max_reconnects
        )

    @property
    def name(self) -> str:
        return self.client.url

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        return self.client.frames(should_stop)
