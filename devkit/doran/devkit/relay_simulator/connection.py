"""One client connection to the simulator: its subscriptions, its stream of events, and how it is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import struct
import termios
import time
from types import MappingProxyType

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from doran.devkit.relay_simulator.records import ConnectionInfo

__all__ = ["Connection"]

# Linux's SIOCOUTQ: bytes of a TCP socket's send queue the peer has not acknowledged yet.
_OUTQ = getattr(termios, "TIOCOUTQ", None)
_INT = struct.Struct("i")


class Connection:
    """A client socket; `drop_after` aborts it when its quote stream would exceed that many frames."""

    def __init__(
        self,
        connection_id: int,
        socket: ServerConnection,
        *,
        instance_id: str | None = None,
        flush_timeout_s: float = 10.0,
    ) -> None:
        self.connection_id = connection_id
        self.socket = socket
        self.instance_id = instance_id  # from ?instance_id= on the URL (guaranteed delivery)
        self.guaranteed = False  # subscribed to quote_status with the guaranteed flag
        self.subscriptions: dict[str, str] = {}  # kind -> subscription id
        self.stream_frames = 0
        self.drop_after: int | None = None
        self.subscribed_before = False
        self.open = True
        self.stream_task: asyncio.Task[None] | None = None
        self._flush_timeout_s = flush_timeout_s

    def info(self) -> ConnectionInfo:
        """A snapshot for the journal."""
        return ConnectionInfo(self.connection_id, MappingProxyType(dict(self.subscriptions)), self.open)

    def abort(self) -> None:
        """Drop the TCP connection now, without a closing handshake, as a network failure would: frames
        not yet delivered are lost."""
        self.open = False
        self.socket.transport.abort()

    async def abort_after_delivery(self) -> None:
        """Drop the connection once the client's kernel holds every frame sent so far (or after
        `flush_timeout_s`), so exactly the frames counted as sent reach it."""
        deadline = time.monotonic() + self._flush_timeout_s
        # An abort discards what the transport and the kernel still hold; a busy client may not have
        # taken it yet, and the frame would be lost although counted as sent.
        while (
            self._undelivered_bytes()
            and time.monotonic() < deadline
            and not self.socket.transport.is_closing()
        ):
            await asyncio.sleep(0.001)
        self.abort()

    def _undelivered_bytes(self) -> int:
        transport = self.socket.transport
        pending = transport.get_write_buffer_size()
        sock = transport.get_extra_info("socket")
        if _OUTQ is not None and sock is not None:
            # OSError: not a socket the kernel reports on; then the transport's buffer is all we know.
            with contextlib.suppress(OSError):
                pending += _INT.unpack(fcntl.ioctl(sock.fileno(), _OUTQ, _INT.pack(0)))[0]
        return pending

    async def send(self, text: str) -> bool:
        """Send one frame; False when the connection is already gone (what it missed is not replayed)."""
        if not self.open:
            return False
        try:
            await self.socket.send(text)
        except ConnectionClosed:
            self.open = False
            return False
        return True

    async def send_stream(self, text: str) -> bool:
        """Send one frame of the quote stream; drop the connection instead once `drop_after` went out."""
        if self.drop_after is not None and self.stream_frames >= self.drop_after:
            await self.abort_after_delivery()
            return False
        sent = await self.send(text)
        self.stream_frames += sent
        return sent
