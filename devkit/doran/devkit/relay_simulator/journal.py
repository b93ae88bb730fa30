"""What the simulator did, for tests, the demo and the benchmark, kept thread-safe, with waiting on
conditions instead of sleeping.

Records are appended on the simulator's event loop and read from any thread; every change bumps a
generation counter and wakes waiters, so a test waits exactly as long as its condition takes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from doran.devkit.relay_simulator.errors import WaitTimeout
from doran.devkit.relay_simulator.records import (
    ConnectionInfo,
    PublishedQuote,
    ReceivedResponse,
    SentStatus,
    Summary,
)

__all__ = ["Journal"]

T = TypeVar("T")


class Journal:
    """The simulator's records; every accessor returns a snapshot."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0
        self._events: list[PublishedQuote] = []
        self._responses: list[ReceivedResponse] = []
        self._statuses: list[SentStatus] = []
        self._connections: dict[int, ConnectionInfo] = {}
        self._raw_frames = 0
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def _record(self, change: Callable[[], None]) -> None:
        with self._changed:
            change()
            self._generation += 1
            self._changed.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, waiter in waiters:
            loop.call_soon_threadsafe(_wake, waiter)  # each waiter belongs to its own loop

    def add_event(self, event: PublishedQuote) -> None:
        """Record a quote event sent."""
        self._record(lambda: self._events.append(event))

    def add_raw_frame(self) -> None:
        """Count a raw frame sent to the quote subscribers."""

        def count() -> None:
            self._raw_frames += 1

        self._record(count)

    def add_response(self, response: ReceivedResponse) -> None:
        """Record a quote_response judged."""
        self._record(lambda: self._responses.append(response))

    def add_status(self, status: SentStatus) -> None:
        """Record a quote_status sent."""
        self._record(lambda: self._statuses.append(status))

    def set_connection(self, info: ConnectionInfo) -> None:
        """Record a connection's current state."""
        self._record(lambda: self._connections.__setitem__(info.connection_id, info))

    def events(self) -> tuple[PublishedQuote, ...]:
        """The quote events sent, in order."""
        with self._changed:
            return tuple(self._events)

    def responses(self) -> tuple[ReceivedResponse, ...]:
        """The quote_responses received, in order."""
        with self._changed:
            return tuple(self._responses)

    @property
    def response_count(self) -> int:
        """How many quote_responses were received: O(1), for conditions polled in a tight loop."""
        with self._changed:
            return len(self._responses)

    def statuses(self) -> tuple[SentStatus, ...]:
        """The quote_status events sent, in order."""
        with self._changed:
            return tuple(self._statuses)

    def connections(self) -> tuple[ConnectionInfo, ...]:
        """Every connection accepted so far, open or not, in connection order."""
        with self._changed:
            return tuple(self._connections.values())

    def summary(self) -> Summary:
        """The counts so far."""
        with self._changed:
            refused = Counter(r.verdict for r in self._responses if not r.accepted)
            kinds = Counter(status.kind for status in self._statuses)
            return Summary(
                quotes_published=len(self._events),
                raw_frames_sent=self._raw_frames,
                responses_received=len(self._responses),
                accepted=sum(r.accepted for r in self._responses),
                refused=dict(sorted(refused.items())),
                settlements_sent=kinds["settlement"],
                duplicates_sent=kinds["duplicate"],
                unknown_sent=kinds["unknown"],
            )

    @property
    def generation(self) -> int:
        """How many changes were recorded so far."""
        with self._changed:
            return self._generation

    def wait_for(self, condition: Callable[[], T], timeout: float, *, poll_s: float = 0.05) -> T:
        """Block until `condition()` is truthy and return it; re-checked after every change, and every
        `poll_s` for conditions on state the journal does not see (a client's).

        `condition` runs without the journal's lock held, so it may call anything. Raises WaitTimeout
        after `timeout` seconds. Not for the simulator's own event loop thread (it would block it).
        """
        deadline = time.monotonic() + timeout
        while True:
            generation = self.generation
            value = condition()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"The condition did not hold within {timeout} s")
            with self._changed:
                if self._generation == generation:
                    self._changed.wait(min(remaining, poll_s))

    async def wait_for_async(self, condition: Callable[[], T], timeout: float, *, poll_s: float = 0.05) -> T:
        """`wait_for` for a coroutine: waits without blocking its event loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed: asyncio.Future[None] = loop.create_future()
            with self._changed:
                self._async_waiters.append((loop, changed))
            value = condition()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(f"The condition did not hold within {timeout} s")
            await asyncio.wait({changed}, timeout=min(remaining, poll_s))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
