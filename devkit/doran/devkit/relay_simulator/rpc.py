"""The simulated relay's HTTP JSON-RPC endpoint, `POST /rpc`, on 127.0.0.1 beside its websocket: the
`get_status` method, answered from what the simulator settled.

The real relay serves its HTTP RPC at https://<host>/rpc (get_status, publish_intent, ...); the
simulator's websocket server speaks only the upgrade handshake, so this endpoint has a port of its own
(`RelaySimulator.rpc_url`). One request per connection (answered with `Connection: close`), which any
HTTP client handles.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["RpcServer", "intent_status"]

_LARGEST_REQUEST = 65_536
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}


def intent_status(
    intent_hash: str, settled: Mapping[str, Mapping[str, str]], settling: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    """get_status's result for `intent_hash`: SETTLED for a quote the simulator settled (its tx hash in
    `data.hash`), PENDING for one inside its settle delay, NOT_FOUND_OR_NOT_VALID for any other."""
    if intent_hash in settled:
        return {
            "intent_hash": intent_hash,
            "status": "SETTLED",
            "data": {"hash": settled[intent_hash]["tx_hash"]},
        }
    if intent_hash in settling:
        return {"intent_hash": intent_hash, "status": "PENDING"}
    return {"intent_hash": intent_hash, "status": "NOT_FOUND_OR_NOT_VALID"}


class RpcServer:
    """`POST /rpc` on `host`; `answer(method, params)` gives a JSON-RPC result or raises LookupError
    (method not found) / ValueError (invalid params); `refuse` answers 503 while True."""

    def __init__(
        self,
        answer: Callable[[str, Any], Any],
        *,
        token: str | None,
        host: str = "127.0.0.1",
    ) -> None:
        self._answer = answer
        self._token = token
        self._host = host
        self.refuse = False
        self.requests = 0  # get_status and other calls received (refused ones too)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self._host}:{port}/rpc"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await self._respond(reader)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            status, body = 400, {"error": "malformed HTTP request"}
        payload = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        try:
            writer.write(head.encode() + payload)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        except ConnectionError:
            pass

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[int, Any]:
        request_line = (await reader.readuntil(b"\r\n")).decode("latin-1").split()
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length > _LARGEST_REQUEST:
            return 400, {"error": "request too large"}
        body = await reader.readexactly(length)
        self.requests += 1
        if len(request_line) < 2 or request_line[0] != "POST" or request_line[1] != "/rpc":
            return 404, {"error": "POST /rpc only"}
        if self.refuse:
            return 503, {"error": "relay unavailable"}
        expected = f"Bearer {self._token}".encode()
        if self._token is not None and not hmac.compare_digest(
            headers.get("authorization", "").encode(), expected
        ):
            return 401, {"error": "missing or wrong bearer token"}
        try:
            call = json.loads(body)
            method, params, call_id = call["method"], call.get("params"), call.get("id")
        except (ValueError, KeyError, TypeError):
            return 200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
        try:
            return 200, {"jsonrpc": "2.0", "id": call_id, "result": self._answer(method, params)}
        except LookupError:
            error = {"code": -32601, "message": f"method not found: {method}"}
        except ValueError as exc:
            error = {"code": -32602, "message": f"invalid params: {exc}"}
        return 200, {"jsonrpc": "2.0", "id": call_id, "error": error}
