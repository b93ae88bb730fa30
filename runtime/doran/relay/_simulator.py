"""A local relay: a websocket server speaking the solver relay protocol and streaming given frames.

The real relay is not reachable offline; tests and the demo drive the real client against this.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from doran.relay._logging import redacting_logger

__all__ = ["SIMULATED_SUBSCRIPTION_ID", "RelaySimulator"]

#: The subscription id the simulator hands out.
SIMULATED_SUBSCRIPTION_ID = "5b0c2f7e-3d4a-4e1b-9c8d-7f6e5d4c3b2a"


class RelaySimulator:
    """Acks `subscribe`, then streams `frames` once in total across connections; optionally aborts the first
    connection after `drop_after` frames, and answers 401 unless Authorization is `Bearer <token>`."""

    def __init__(
        self,
        frames: Sequence[str],
        *,
        token: str | None = None,
        drop_after: int | None = None,
        refuse_subscription: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.frames = list(frames)
        self.subscription_id = SIMULATED_SUBSCRIPTION_ID
        self.authorizations: list[str | None] = []
        self.subscribe_requests: list[dict[str, Any]] = []
        self.frames_sent = 0
        self._token = token
        self._drop_after = drop_after
        self._refuse_subscription = refuse_subscription
        self._host = host
        self._port = port
        self._server: Server | None = None

    @property
    def url(self) -> str:
        """ws:// URL of the running simulator."""
        if self._server is None:
            raise RuntimeError("The relay simulator is not running: use it as an async context manager.")
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://{self._host}:{port}/ws"

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        given = request.headers.get("Authorization")
        self.authorizations.append(given)
        if self._token is not None and not hmac.compare_digest(given or "", f"Bearer {self._token}"):
            return connection.respond(401, "missing or wrong bearer token\n")
        return None

    async def _session(self, socket: ServerConnection) -> None:
        request = json.loads(await socket.recv())
        self.subscribe_requests.append(request)
        if self._refuse_subscription:
            error = {"code": -32000, "message": "subscription not allowed"}
            await socket.send(json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "error": error}))
            await socket.wait_closed()
            return
        ack = {"jsonrpc": "2.0", "id": request.get("id"), "result": self.subscription_id}
        await socket.send(json.dumps(ack))
        first_connection = len(self.subscribe_requests) == 1
        acks = asyncio.create_task(self._ack_further_subscriptions(socket))
        try:
            while self.frames_sent < len(self.frames):
                if first_connection and self.frames_sent == self._drop_after:
                    socket.transport.abort()  # a dropped TCP connection, not a polite close
                    return
                await socket.send(self.frames[self.frames_sent])
                self.frames_sent += 1
            await socket.wait_closed()
        finally:
            acks.cancel()

    async def _ack_further_subscriptions(self, socket: ServerConnection) -> None:
        async for text in socket:
            request = json.loads(text)
            if request.get("method") == "subscribe":
                result = f"{self.subscription_id}-{request.get('id')}"
                await socket.send(json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": result}))

    async def __aenter__(self) -> Self:
        self._server = await serve(
            self._session,
            self._host,
            self._port,
            process_request=self._authorize,
            logger=redacting_logger(f"{__name__}.server"),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0)
