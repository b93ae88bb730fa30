"""Websocket client of the solver relay: connect, subscribe, yield every frame, reconnect with backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr
from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

from doran.relay._backoff import Backoff
from doran.relay._endpoint import RelayEndpoint, failure_reason, rejected_credentials, with_instance_id
from doran.relay._frames import ErrorAnswer, ResultAnswer, parse_frame, request_text
from doran.relay.errors import RelayConfigError, RelayRejectedError, RelayUnavailableError

__all__ = ["SUBSCRIPTIONS", "ReceivedFrame", "RelayClient", "Subscription", "utc_now"]

logger = logging.getLogger(__name__)

_DEFAULT_BACKOFF = Backoff()
#: What the relay's subscriptions deliver.
Subscription = Literal["quote", "quote_status"]
#: What ingest subscribes to, in order; the nth is requested with JSON-RPC id n (from 1).
SUBSCRIPTIONS: tuple[Subscription, ...] = ("quote", "quote_status")


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """One websocket frame exactly as delivered, with when it arrived (None when unknown, e.g. a replay)."""

    text: str | bytes
    observed_at: datetime | None


def subscribe_params(subscription: Subscription, guaranteed: bool) -> list[object]:
    """The params of a `subscribe` request. With guaranteed delivery (quote_status only), the relay's
    docs put the flag third, after an optional filter; sending null for "no filter" is unverified."""
    if guaranteed and subscription == "quote_status":
        return [subscription, None, True]
    return [subscription]


class RelayClient:
    """Yields every frame the relay sends after subscribing to `subscriptions`; reconnects with backoff
    forever (or up to `max_reconnects`). `connected` says whether every subscription is acknowledged
    on a live connection (ingest's readiness); `last_alive` when its loop last ran (liveness).

    With `instance_id`, quote_status is subscribed with the relay's guaranteed delivery (early access,
    unverified): the relay queues the statuses sent while this instance is away and replays them on
    reconnect, so a status may come twice (the executor takes them at least once, by quote_hash)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretStr | None = None,
        instance_id: str | None = None,
        subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS,
        max_frame_bytes: int = 2**22,
        backoff: Backoff = _DEFAULT_BACKOFF,
        max_reconnects: int | None = None,
        open_timeout_s: float = 10.0,
        poll_interval_s: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = utc_now,
        unit_random: Callable[[], float] = random.random,
    ) -> None:
        self._endpoint = RelayEndpoint(
            with_instance_id(url, instance_id), api_key, open_timeout_s, max_frame_bytes
        )
        self.url = url  # as configured: the feed's name, the envelope's source
        self.instance_id = instance_id
        self._subscriptions = subscriptions
        self._backoff = backoff
        self._max_reconnects = max_reconnects
        self._poll_interval_s = poll_interval_s
        self._sleep = sleep
        self._clock = clock
        self._unit_random = unit_random
        self.connections = 0
        self.connected = False
        self.last_alive = time.monotonic()
        self.reconnect_delays: list[float] = []

    def __repr__(self) -> str:
        # Never show the API key, not even masked, so it cannot reach a log line.
        return f"RelayClient(url={self.url!r}, authenticated={self._endpoint.authenticated})"

    async def frames(
        self, should_stop: Callable[[], bool] = lambda: False
    ) -> AsyncGenerator[ReceivedFrame, None]:
        """Every frame received, in order, across reconnects, until should_stop(); acks included."""
        failures = 0
        while not should_stop():
            pending = set(range(1, len(self._subscriptions) + 1))
            try:
                async with self._endpoint.open() as socket:
                    self.connections += 1
                    for request_id, subscription in enumerate(self._subscriptions, start=1):
                        params = subscribe_params(subscription, self.instance_id is not None)
                        await socket.send(request_text(request_id, "subscribe", params))
                    logger.info(
                        "Connected to %s; subscribing to %s", self.url, ", ".join(self._subscriptions)
                    )
                    try:
                        while not should_stop():
                            self.last_alive = time.monotonic()
                            try:
                                # recv() is cancellation-safe; the timeout only lets us notice a stop
                                # request. asyncio.timeout, not wait_for: no task per frame.
                                async with asyncio.timeout(self._poll_interval_s):
                                    text = await socket.recv()
                            except TimeoutError:
                                continue
                            received = ReceivedFrame(text, self._clock())
                            if pending and self._acknowledges(text, pending) and not pending:
                                self.connected, failures = True, 0
                            yield received
                    finally:
                        self.connected = False
                    return
            except InvalidURI as exc:
                raise RelayConfigError(f"The relay URL {self.url!r} is invalid: {exc}") from exc
            except InvalidStatus as exc:
                if rejected_credentials(exc):
                    raise RelayRejectedError(
                        f"The relay at {self.url} refused the connection: {failure_reason(exc)}"
                    ) from exc
                reason = failure_reason(exc)
            except (OSError, TimeoutError, WebSocketException) as exc:
                reason = failure_reason(exc)
            await self._wait_before_reconnect(failures, reason)
            failures += 1

    def _acknowledges(self, text: str | bytes, pending: set[int]) -> bool:
        """Whether the frame answers one of our pending subscribe requests (removing it from pending)."""
        frame = parse_frame(text)
        if isinstance(frame, ErrorAnswer) and frame.request_id in pending:
            subscription = self._subscriptions[int(frame.request_id) - 1]
            raise RelayRejectedError(
                f"The relay at {self.url} refused the {subscription} subscription: "
                f"{frame.message} (code {frame.code})"
            )
        if isinstance(frame, ResultAnswer) and frame.request_id in pending:
            pending.discard(int(frame.request_id))
            return True
        return False

    async def _wait_before_reconnect(self, failures: int, reason: str) -> None:
        if self._max_reconnects is not None and failures >= self._max_reconnects:
            raise RelayUnavailableError(
                f"The relay at {self.url} stayed unavailable after {failures} reconnect attempts; "
                f"last failure: {reason}"
            )
        delay = self._backoff.delay(failures, self._unit_random())
        self.reconnect_delays.append(delay)
        self.last_alive = time.monotonic()
        logger.warning("Relay connection to %s failed (%s); reconnecting in %.2fs", self.url, reason, delay)
        await self._sleep(delay)
