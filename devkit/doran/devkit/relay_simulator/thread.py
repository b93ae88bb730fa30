"""The simulator on its own event loop in a daemon thread, for tests and tools written as synchronous code."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

from doran.devkit.relay_simulator.errors import SimulatorError, SimulatorNotRunning
from doran.devkit.relay_simulator.records import (
    ConnectionInfo,
    PublishedQuote,
    ReceivedResponse,
    SentStatus,
    Summary,
)
from doran.devkit.relay_simulator.server import RelaySimulator
from doran.nep413 import PublicKey

__all__ = ["SimulatorThread"]

T = TypeVar("T")


class SimulatorThread:
    """Runs `simulator` (a default one if None) in a daemon thread while the `with` block lasts.

    Every method is safe to call from any thread: actions run on the simulator's loop and wait for it
    (`timeout_s`, except `publish_quotes`, which takes as long as its schedule); accessors return
    snapshots; `wait_for` blocks until a condition holds.
    """

    def __init__(self, simulator: RelaySimulator | None = None, *, timeout_s: float = 10.0) -> None:
        self.simulator = simulator if simulator is not None else RelaySimulator()
        self._timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._url: str | None = None

    def __enter__(self) -> Self:
        self._ready, self._failure = threading.Event(), None
        self._thread = threading.Thread(target=self._run, name="relay-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._timeout_s):
            raise SimulatorError(f"The relay simulator did not start within {self._timeout_s} s")
        if self._failure is not None:
            raise SimulatorError(f"The relay simulator failed to start: {self._failure}") from self._failure
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(self._timeout_s)
        self._url = None

    def _run(self) -> None:
        with asyncio.Runner() as runner:  # closes async generators and the loop at the end, as asyncio.run
            self._loop = runner.get_loop()
            runner.run(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self.simulator:
                self._url = self.simulator.url
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # reported to the thread that entered; nobody else would see it
            self._failure = exc
            self._ready.set()

    # -- running things on the simulator's loop ------------------------------------------------------

    def _await(self, coroutine: Coroutine[Any, Any, T], timeout_s: float | None) -> T:
        loop = self._loop
        if loop is None or self._url is None or loop.is_closed():
            coroutine.close()
            raise SimulatorNotRunning(
                "The relay simulator thread is not running: use it as a context manager."
            )
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout_s)

    def _call(self, action: Callable[[], T]) -> T:
        async def run() -> T:
            return action()

        return self._await(run(), self._timeout_s)

    @property
    def url(self) -> str:
        """ws:// URL of the running simulator."""
        if self._url is None:
            raise SimulatorNotRunning(
                "The relay simulator thread is not running: use it as a context manager."
            )
        return self._url

    @property
    def rpc_url(self) -> str:
        """http:// URL of the running simulator's JSON-RPC endpoint (get_status)."""
        return self._call(lambda: self.simulator.rpc_url)

    def drop_status(self, data: Mapping[str, str]) -> None:
        """Settle a quote on chain and lose its quote_status frame (get_status says SETTLED)."""
        self._call(lambda: self.simulator.drop_status(data))

    def set_refuse_rpc(self, refuse: bool) -> None:
        """Answer every get_status with HTTP 503 (the relay's RPC unreachable) while True."""

        def apply() -> None:
            self.simulator.rpc.refuse = refuse

        self._call(apply)

    def rpc_requests(self) -> int:
        """How many HTTP RPC requests the simulator received so far."""
        return self.simulator.rpc.requests

    def publish_quote(self, data: Mapping[str, Any]) -> PublishedQuote:
        """Send a quote event to the quote subscribers and open its auction."""
        return self._await(self.simulator.publish_quote(data), self._timeout_s)

    def publish_quotes(
        self, quotes: Iterable[Mapping[str, Any]], rate_per_s: float
    ) -> tuple[PublishedQuote, ...]:
        """Send `quotes` at a steady rate; returns when the last one went out."""
        return self._await(self.simulator.publish_quotes(list(quotes), rate_per_s), None)

    def send_raw(self, text: str) -> int:
        """Send an arbitrary frame to the quote subscribers; to how many it went."""
        return self._await(self.simulator.send_raw(text), self._timeout_s)

    def send_status(self, data: Mapping[str, str]) -> SentStatus:
        """Send a quote_status event with `data` to the quote_status subscribers."""
        return self._await(self.simulator.send_status(data), self._timeout_s)

    def send_unknown_status(self) -> SentStatus:
        """Send a quote_status for a quote_hash no solver signed."""
        return self._await(self.simulator.send_unknown_status(), self._timeout_s)

    def drop_connections(self, kind: str | None = None) -> int:
        """Abort every open connection (or those subscribed to `kind`); how many were dropped."""
        return self._call(lambda: self.simulator.drop_connections(kind))

    def drop_connection(self, connection_id: int) -> bool:
        """Abort one connection; False when it is not open."""
        return self._call(lambda: self.simulator.drop_connection(connection_id))

    def set_answer_responses(self, answer: bool) -> None:
        """Answer quote_responses (True) or judge and record them silently (False)."""

        def apply() -> None:
            self.simulator.answer_responses = answer

        self._call(apply)

    def set_refuse_connections(self, refuse: bool) -> None:
        """Answer every new handshake with 503 (an outage) while True."""

        def apply() -> None:
            self.simulator.refuse_connections = refuse

        self._call(apply)

    def register_solver(self, account_id: str, public_key: PublicKey) -> None:
        """Register a solver's public key with the simulated intents.near."""
        self._call(lambda: self.simulator.register_solver(account_id, public_key))

    def add_salt(self, salt: bytes) -> None:
        """Make a 4-byte nonce salt valid."""
        self._call(lambda: self.simulator.add_salt(salt))

    # -- observing (no round trip to the loop: safe inside wait_for conditions) -----------------------

    def events(self) -> tuple[PublishedQuote, ...]:
        """The quote events sent so far."""
        return self.simulator.journal.events()

    def responses(self) -> tuple[ReceivedResponse, ...]:
        """The quote_responses received so far, with their verdicts."""
        return self.simulator.journal.responses()

    def response_count(self) -> int:
        """How many quote_responses were received so far (O(1); `responses()` copies them all)."""
        return self.simulator.journal.response_count

    def statuses(self) -> tuple[SentStatus, ...]:
        """The quote_status events sent so far."""
        return self.simulator.journal.statuses()

    def connections(self) -> tuple[ConnectionInfo, ...]:
        """Every connection so far, open or closed."""
        return self.simulator.journal.connections()

    def held_statuses(self, instance_id: str) -> int:
        """How many quote_status events wait for `instance_id` (guaranteed delivery)."""
        return self._call(lambda: self.simulator.status_queues.held(instance_id))

    def summary(self) -> Summary:
        """Counts of what happened so far."""
        return self.simulator.journal.summary()

    def wait_for(self, condition: Callable[[], T], timeout: float = 30.0, *, poll_s: float = 0.05) -> T:
        """Block until `condition()` is truthy and return it (see `Journal.wait_for`), else WaitTimeout."""
        return self.simulator.journal.wait_for(condition, timeout, poll_s=poll_s)
