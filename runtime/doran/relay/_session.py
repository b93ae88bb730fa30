"""A request session with the solver relay: JSON-RPC calls over one authenticated websocket, by id.

The executor's side of the relay (ingest's is `RelayClient`, which subscribes and streams). The
session runs its own event loop in a daemon thread, stays connected (reconnecting with backoff),
and `send_many` sends a batch of requests at once and returns; their answers, matched by request id,
are waited for (up to a timeout) when the caller needs them. Every request ends as exactly one
`Answer`: the relay's result or error, or `NoAnswer` (timed out, connection lost with it in flight,
or never sent because not connected).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus, WebSocketException

from doran.relay._backoff import Backoff
from doran.relay._endpoint import RelayEndpoint, failure_reason, rejected_credentials
from doran.relay._frames import ErrorAnswer, ResultAnswer, parse_frame, request_text

__all__ = ["Answer", "NoAnswer", "PendingAnswers", "RelaySession"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """A request the relay did not answer: `timeout`, `disconnected` (lost in flight), `not_connected`
    (never sent). Only the last is certain not to have reached the relay."""

    reason: Literal["timeout", "disconnected", "not_connected"]
    detail: str


Answer = ResultAnswer | ErrorAnswer | NoAnswer


class PendingAnswers:
    """Requests on their way (`RelaySession.send_many`): `answers()` waits for one Answer each, in order;
    `seconds` is then how long they took, from the caller's send to the last answer."""

    def __init__(
        self, future: Future[tuple[list[Answer], float]] | None, count: int, timeout_s: float
    ) -> None:
        self._future = future
        self._count = count
        self._timeout_s = timeout_s
        self._started = time.monotonic()  # when the caller sent: the session's thread may start later
        self.seconds = 0.0

    def done(self) -> bool:
        """Whether every answer is in (or timed out): `answers()` would not wait."""
        return self._future is None or self._future.done()

    def answers(self) -> list[Answer]:
        if self._future is None:
            return []
        try:
            answers, answered_at = self._future.result(self._timeout_s + 5.0)
            self.seconds = answered_at - self._started
        except FutureTimeout:
            self._future.cancel()
            self.seconds = self._timeout_s
            return [
                NoAnswer("timeout", f"no answer within {self._timeout_s:g} s") for _ in range(self._count)
            ]
        return answers


class RelaySession:
    """One websocket to the relay for requests; a context manager that connects in the background."""

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretStr | None = None,
        backoff: Backoff | None = None,
        open_timeout_s: float = 10.0,
        max_frame_bytes: int = 2**22,
    ) -> None:
        self._endpoint = RelayEndpoint(url, api_key, open_timeout_s, max_frame_bytes)
        self.url = url
        self._backoff = backoff or Backoff()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay-session", daemon=True)
        self._ids = itertools.count(1)
        self._inflight: dict[int, asyncio.Future[ResultAnswer | ErrorAnswer]] = {}
        self._socket: ClientConnection | None = None
        self._connected = threading.Event()
        self._stopping = False
        self.connections = 0
        self.unmatched_answers = 0  # answers to no request in flight (late, or unknown ids)
        self.last_error = ""
        #: Why the relay refused the latest handshake's credentials (401/403); None once connected.
        self.refused: str | None = None

    def __repr__(self) -> str:
        # Never show the API key, not even masked, so it cannot reach a log line.
        return f"RelaySession(url={self.url!r}, authenticated={self._endpoint.authenticated})"

    @property
    def connected(self) -> bool:
        """Whether a connection is up (requests can be sent)."""
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        """Block until connected or timeout_s passed; whether it is connected."""
        return self._connected.wait(timeout_s)

    def __enter__(self) -> Self:
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._run(), self._loop)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping = True
        self._task.cancel()
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        except TimeoutError:  # a relay too busy to close politely must not hide why the stage stops
            logger.warning("Relay session to %s did not close within 10 s; dropped", self.url)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()

    async def _close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                async with self._endpoint.open() as socket:
                    self._socket, failures, self.refused = socket, 0, None
                    self.connections += 1
                    self._connected.set()
                    logger.info("Relay session connected to %s", self.url)
                    async for frame in socket:
                        self._dispatch(frame)
                reason = "closed by the relay"
            except (OSError, TimeoutError, WebSocketException) as exc:  # InvalidStatus included
                reason = failure_reason(exc)
                if isinstance(exc, InvalidStatus) and rejected_credentials(exc):
                    self.refused = reason
            finally:
                self._connected.clear()
                self._socket = None
                self._fail_inflight("disconnected")
            self.last_error = reason
            if self._stopping:
                return
            delay = self._backoff.delay(min(failures, 64), random.random())
            failures += 1
            logger.warning("Relay session to %s lost (%s); reconnecting in %.2fs", self.url, reason, delay)
            await asyncio.sleep(delay)

    def _dispatch(self, frame: str | bytes) -> None:
        answer = parse_frame(frame)
        if isinstance(answer, ResultAnswer | ErrorAnswer) and isinstance(answer.request_id, int):
            future = self._inflight.pop(answer.request_id, None)
            if future is not None and not future.done():
                future.set_result(answer)
                return
        if isinstance(answer, ResultAnswer | ErrorAnswer):
            self.unmatched_answers += 1

    def _fail_inflight(self, reason: Literal["disconnected"]) -> None:
        for future in self._inflight.values():
            if not future.done():
                future.set_exception(ConnectionError(reason))
        self._inflight.clear()

    def send_many(self, requests: Sequence[tuple[str, Any]], timeout_s: float) -> PendingAnswers:
        """Start sending every (method, params) request at once and return; `answers()` waits for them."""
        if not requests:
            return PendingAnswers(None, 0, timeout_s)
        future = asyncio.run_coroutine_threadsafe(self._call_many(requests, timeout_s), self._loop)
        return PendingAnswers(future, len(requests), timeout_s)

    async def _call_many(
        self, requests: Sequence[tuple[str, Any]], timeout_s: float
    ) -> tuple[list[Answer], float]:
        socket = self._socket
        if socket is None:
            detail = f"not connected to {self.url} ({self.last_error or 'connecting'})"
            return [NoAnswer("not_connected", detail) for _ in requests], time.monotonic()
        started = time.monotonic()
        futures: list[asyncio.Future[ResultAnswer | ErrorAnswer] | NoAnswer] = []
        for method, params in requests:
            request_id = next(self._ids)
            future: asyncio.Future[ResultAnswer | ErrorAnswer] = self._loop.create_future()
            self._inflight[request_id] = future
            try:
                await socket.send(request_text(request_id, method, params).decode())
            except (OSError, WebSocketException) as exc:
                self._inflight.pop(request_id, None)
                # The frame may have left before the error: not "not_connected", which promises it did not.
                futures.append(NoAnswer("disconnected", f"{type(exc).__name__}: {exc}"))
                continue
            futures.append(future)
        waiting = [f for f in futures if isinstance(f, asyncio.Future)]
        if waiting:
            await asyncio.wait(waiting, timeout=max(0.0, timeout_s - (time.monotonic() - started)))
        answered_at = time.monotonic()
        answers: list[Answer] = []
        for item in futures:
            if isinstance(item, NoAnswer):
                answers.append(item)
            elif not item.done():
                item.cancel()
                answers.append(NoAnswer("timeout", f"no answer within {timeout_s:g} s"))
            elif item.exception() is not None:
                answers.append(NoAnswer("disconnected", "the connection was lost with the request in flight"))
            else:
                answers.append(item.result())
        for request_id in [i for i, f in self._inflight.items() if f.done()]:
            del self._inflight[request_id]
        return answers, answered_at
