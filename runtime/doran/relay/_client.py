"""Websocket client of the solver relay: connect, subscribe to quotes, yield every frame, reconnect."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

from doran.relay._backoff import Backoff
from doran.relay._frames import RelayErrorResponse, SubscribeAck, classify_frame, subscribe_request
from doran.relay._logging import redacting_logger
from doran.relay.errors import RelayConfigError, RelayRejectedError, RelayUnavailableError

__all__ = ["ReceivedFrame", "RelayClient", "utc_now"]

logger = logging.getLogger(__name__)


# The logger handed to websockets: it redacts the Authorization header websockets logs at DEBUG.
_socket_logger = redacting_logger(f"{__name__}.websocket")

_SUBSCRIBE_REQUEST_ID = 1
_DEFAULT_BACKOFF = Backoff()


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """One websocket frame exactly as delivered, with when it arrived (None when unknown, e.g. a replay)."""

    text: str | bytes
    observed_at: datetime | None


class RelayClient:
    """Yields every frame the relay sends after subscribing to quotes; reconnects with backoff forever
    (or up to `max_reconnects`), until `should_stop()` is true."""

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretStr | None = None,
        backoff: Backoff = _DEFAULT_BACKOFF,
        max_reconnects: int | None = None,
        open_timeout_s: float = 10.0,
        poll_interval_s: float = 0.5,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = utc_now,
        unit_random: Callable[[], float] = random.random,
    ) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise RelayConfigError(f"DORAN_RELAY_URL must start with ws:// or wss://, got {url!r}.")
        self.url = url
        self._api_key = api_key
        self._backoff = backoff
        self._max_reconnects = max_reconnects
        self._open_timeout_s = open_timeout_s
        self._poll_interval_s = poll_interval_s
        self._should_stop = should_stop
        self._sleep = sleep
        self._clock = clock
        self._unit_random = unit_random
        self.connections = 0
        self.reconnect_delays: list[float] = []

    def __repr__(self) -> str:
        # Never show the API key, not even masked, so it cannot reach a log line.
        return f"RelayClient(url={self.url!r}, authenticated={self._api_key is not None})"

    def _headers(self) -> dict[str, str]:
        if self._api_key is None:
            return {}
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    async def frames(self) -> AsyncGenerator[ReceivedFrame, None]:
        """Every frame received, in order, across reconnects; the subscribe ack included."""
        failures = 0
        while not self._should_stop():
            subscribed = False
            try:
                async with connect(
                    self.url,
                    additional_headers=self._headers(),
                    open_timeout=self._open_timeout_s,
                    max_size=2**22,
                    logger=_socket_logger,
                ) as socket:
                    self.connections += 1
                    await socket.send(subscribe_request(_SUBSCRIBE_REQUEST_ID))
                    logger.info("Connected to %s; subscribed to quotes", self.url)
                    while not self._should_stop():
                        try:
                            # recv() is cancellation-safe; the timeout only lets us notice a stop request.
                            text = await asyncio.wait_for(socket.recv(), self._poll_interval_s)
                        except TimeoutError:
                            continue
                        received = ReceivedFrame(text, self._clock())
                        if not subscribed:
                            subscribed = self._check_subscription(text)
                            if subscribed:
                                failures = 0
                        yield received
                    return
            except InvalidURI as exc:
                raise RelayConfigError(f"The relay URL {self.url!r} is invalid: {exc}") from exc
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    raise RelayRejectedError(
                        f"The relay at {self.url} refused the connection with HTTP {status}: "
                        "check DORAN_RELAY_API_KEY"
                    ) from exc
                reason = f"HTTP {status}"
            except (OSError, TimeoutError, WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            await self._wait_before_reconnect(failures, reason)
            failures += 1

    def _check_subscription(self, text: str | bytes) -> bool:
        frame = classify_frame(text)
        if isinstance(frame, RelayErrorResponse) and frame.request_id == _SUBSCRIBE_REQUEST_ID:
            raise RelayRejectedError(
                f"The relay at {self.url} refused the quote subscription: {frame.message} (code {frame.code})"
            )
        return isinstance(frame, SubscribeAck) and frame.request_id == _SUBSCRIBE_REQUEST_ID

    async def _wait_before_reconnect(self, failures: int, reason: str) -> None:
        if self._max_reconnects is not None and failures >= self._max_reconnects:
            raise RelayUnavailableError(
                f"The relay at {self.url} stayed unavailable after {failures} reconnect attempts; "
                f"last failure: {reason}"
            )
        delay = self._backoff.delay(failures, self._unit_random())
        self.reconnect_delays.append(delay)
        logger.warning("Relay connection to %s failed (%s); reconnecting in %.2fs", self.url, reason, delay)
        await self._sleep(delay)
