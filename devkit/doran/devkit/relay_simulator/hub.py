"""The open connections and what each subscribed to: fan-out of event frames, and dropping connections.

Events go to the connections subscribed when they are sent; a connection that was down misses them, as
on the real relay (without guaranteed delivery).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection

from doran.devkit.relay_simulator.connection import Connection
from doran.devkit.relay_simulator.guaranteed import instance_id_of
from doran.devkit.relay_simulator.journal import Journal
from doran.devkit.relay_simulator.messages import event_frame

__all__ = ["Hub"]

logger = logging.getLogger(__name__)


class Hub:
    """Open connections by id; `subscription_id(kind)` mints subscription ids; the first quote subscriber
    gets `drop_after`."""

    def __init__(
        self, journal: Journal, subscription_id: Callable[[str], str], drop_after: int | None
    ) -> None:
        self._journal = journal
        self._subscription_id = subscription_id
        self._drop_after = drop_after
        self._connections: dict[int, Connection] = {}
        self._ids = itertools.count(1)

    def open(self, socket: ServerConnection) -> Connection:
        """Register a new client connection."""
        request = socket.request
        instance = None if request is None else instance_id_of(request.path)
        connection = Connection(next(self._ids), socket, instance_id=instance)
        self._connections[connection.connection_id] = connection
        self._journal.set_connection(connection.info())
        logger.debug("Relay simulator: connection %d opened", connection.connection_id)
        return connection

    def close(self, connection: Connection) -> None:
        """Forget a connection that ended, however it ended."""
        connection.open = False
        self._connections.pop(connection.connection_id, None)
        if connection.stream_task is not None:
            connection.stream_task.cancel()
        self._journal.set_connection(connection.info())
        logger.debug("Relay simulator: connection %d closed", connection.connection_id)

    def subscribe(self, connection: Connection, kind: str) -> tuple[str, bool]:
        """The subscription id of `kind` on `connection` (the same one if subscribed again), and whether
        the subscription is new."""
        known = connection.subscriptions.get(kind)
        if known is not None:
            return known, False
        subscription = connection.subscriptions[kind] = self._subscription_id(kind)
        if kind == "quote" and self._drop_after is not None:
            connection.drop_after, self._drop_after = self._drop_after, None  # the first subscriber only
        self._journal.set_connection(connection.info())
        return subscription, True

    def event_frames(self, kind: str, data: object) -> list[tuple[Connection, str]]:
        """The event frame of `data` for each open connection subscribed to `kind`, with its own id."""
        return [
            (c, event_frame(c.subscriptions[kind], data))
            for c in self._connections.values()
            if c.open and kind in c.subscriptions
        ]

    def guaranteed_instances(self) -> set[str]:
        """The instance ids with an open guaranteed quote_status subscription."""
        return {
            c.instance_id
            for c in self._connections.values()
            if c.open and c.guaranteed and c.instance_id is not None
        }

    def subscribers(self, kind: str) -> list[Connection]:
        """The open connections subscribed to `kind`."""
        return [c for c in self._connections.values() if c.open and kind in c.subscriptions]

    async def deliver(self, frames: list[tuple[Connection, str]], *, stream: bool) -> int:
        """Send each frame to its connection (`stream`: as part of the quote stream); how many went out."""
        sent = 0
        for connection, frame in frames:
            sent += await (connection.send_stream(frame) if stream else connection.send(frame))
        return sent

    def drop(self, kind: str | None = None) -> int:
        """Abort every open connection (or those subscribed to `kind`); how many were dropped."""
        dropped = [
            c for c in self._connections.values() if c.open and (kind is None or kind in c.subscriptions)
        ]
        for connection in dropped:
            connection.abort()
        return len(dropped)

    def drop_connection(self, connection_id: int) -> bool:
        """Abort connection `connection_id`; False when it is not open."""
        connection = self._connections.get(connection_id)
        if connection is None or not connection.open:
            return False
        connection.abort()
        return True
