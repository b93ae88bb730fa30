"""The simulated relay's websocket server on 127.0.0.1: handshake auth, one session per client, and the
API that sends quote events, statuses and raw frames; a thin shell over the pure parts.

Live mode (no `frames`): quote events go out when `publish_quote` is called, to the connections
subscribed at that moment. Scripted mode (`frames` given): those frames stream once in total to quote
subscribers, across reconnects, as the earlier scripted simulator did; the live API works there too.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from doran.devkit.relay_simulator.auction import DEFAULT_MAX_WAIT_MS, Auction, AuctionBook
from doran.devkit.relay_simulator.clock import Clock, system_clock
from doran.devkit.relay_simulator.connection import Connection
from doran.devkit.relay_simulator.errors import SimulatorNotRunning
from doran.devkit.relay_simulator.guaranteed import StatusQueues
from doran.devkit.relay_simulator.hub import Hub
from doran.devkit.relay_simulator.journal import Journal
from doran.devkit.relay_simulator.pacing import Pacer
from doran.devkit.relay_simulator.records import (
    ConnectionInfo,
    PublishedQuote,
    ReceivedResponse,
    SentStatus,
    StatusKind,
    Summary,
)
from doran.devkit.relay_simulator.requests import RequestHandler
from doran.devkit.relay_simulator.rpc import RpcServer, intent_status
from doran.devkit.relay_simulator.settlement import Settles, default_settles, settlement, unknown_status_data
from doran.devkit.relay_simulator.verdicts import ContractState
from doran.nep413 import INTENTS_CONTRACT, PublicKey
from doran.relay import redacting_logger

__all__ = ["SIMULATED_SUBSCRIPTION_ID", "RelaySimulator"]

T = TypeVar("T")

#: The quote subscription id of scripted mode: scripted frames name it in `params.subscription`.
SIMULATED_SUBSCRIPTION_ID = "5b0c2f7e-3d4a-4e1b-9c8d-7f6e5d4c3b2a"


def _never(quote_id: str) -> bool:
    return False


class RelaySimulator:
    """A local solver relay: auth, subscriptions, quote events with auctions, judged quote_responses,
    settlements as quote_status events; an async context manager serving on `url`.

    `solver_keys` are the public keys intents.near has registered per account and `valid_salts` its
    valid nonce salts (4 bytes each). `settles(quote_id)` picks the auctions that settle, `settle_delay_s`
    after they close; `duplicate_statuses(quote_id)` those whose status is sent twice. With
    `answer_responses` False, responses are judged and recorded but not answered. `drop_after` aborts the
    first quote subscriber's connection once it was sent that many stream frames; `refuse_connections`
    answers every handshake with 503 while set (an outage). A client that connects with `?instance_id=`
    and subscribes to quote_status with the guaranteed flag gets the statuses sent while it was away when
    it subscribes again (`status_queues`, the relay's guaranteed delivery). `drop_statuses(quote_id)`
    picks settlements whose quote_status frame is lost (settled on chain, never sent: `dropped`).
    `rpc_url` serves the relay's HTTP `get_status`, answered from what was settled (`settled`, and
    `settling` inside the settle delay); `rpc.refuse` answers it 503 while set. `clock` stamps events
    and judges deadlines; its monotonic reading must be `time.monotonic`'s (timers run on the event loop),
    while its wall reading may be shifted to move the chain's time.
    """

    def __init__(
        self,
        frames: Sequence[str] | None = None,
        *,
        token: str | None = None,
        drop_after: int | None = None,
        refuse_subscription: bool = False,
        solver_keys: Mapping[str, Iterable[PublicKey]] | None = None,
        valid_salts: Iterable[bytes] = (),
        verifying_contract: str = INTENTS_CONTRACT,
        default_max_wait_ms: int = DEFAULT_MAX_WAIT_MS,
        settles: Settles = default_settles,
        settle_delay_s: float = 0.2,
        duplicate_statuses: Settles = _never,
        drop_statuses: Settles = _never,
        answer_responses: bool = True,
        clock: Clock = system_clock,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.frames = list(frames or ())
        self.scripted = frames is not None
        self.subscription_id = SIMULATED_SUBSCRIPTION_ID
        self.authorizations: list[str | None] = []  # what the scripted simulator recorded; never logged
        self.extensions_offered: list[str | None] = []  # each handshake's Sec-WebSocket-Extensions
        self.frames_sent = 0  # scripted frames sent so far
        self.journal = Journal()
        self.book = AuctionBook(default_max_wait_ms)
        self._public_keys = {account: set(keys) for account, keys in (solver_keys or {}).items()}
        self._valid_salts = set(valid_salts)
        self._verifying_contract = verifying_contract
        self._hub = Hub(self.journal, self._new_subscription_id, drop_after)
        self.status_queues = StatusQueues()
        self.refuse_connections = False  # an outage: handshakes answered 503 while set
        self._requests = RequestHandler(
            self._hub,
            self.book,
            self.journal,
            self._contract,
            refuse_subscription=refuse_subscription,
            answer_responses=answer_responses,
            status_queues=self.status_queues,
        )
        self._settles = settles
        self._settle_delay_s = settle_delay_s
        self._duplicate_statuses = duplicate_statuses
        self._drop_statuses = drop_statuses
        self.settled: dict[str, dict[str, str]] = {}  # quote_hash -> its quote_status data, sent or not
        self.settling: dict[str, dict[str, str]] = {}  # inside the settle delay: get_status says PENDING
        self.dropped: list[dict[str, str]] = []  # settled, their quote_status frames lost
        self.rpc = RpcServer(self._rpc_answer, token=token, host=host)
        self._token = token
        self._clock = clock
        self._host = host
        self._port = port
        self._server: Server | None = None
        self._unknown_statuses = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._script_lock: asyncio.Lock | None = None

    @property
    def url(self) -> str:
        """ws:// URL of the running simulator."""
        if self._server is None:
            raise SimulatorNotRunning(
                "The relay simulator is not running: use it as an async context manager."
            )
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://{self._host}:{port}/ws"

    @property
    def rpc_url(self) -> str:
        """http:// URL of the running simulator's JSON-RPC endpoint (get_status)."""
        if self._server is None:
            raise SimulatorNotRunning(
                "The relay simulator is not running: use it as an async context manager."
            )
        return self.rpc.url

    @property
    def subscribe_requests(self) -> list[dict[str, Any]]:
        """Each connection's first subscribe request, in connection order."""
        return self._requests.subscribe_requests

    @property
    def answer_responses(self) -> bool:
        """Whether quote_responses are answered (else judged and recorded silently)."""
        return self._requests.answer_responses

    @answer_responses.setter
    def answer_responses(self, answer: bool) -> None:
        self._requests.answer_responses = answer

    async def __aenter__(self) -> Self:
        self._script_lock = asyncio.Lock()
        self._server = await serve(
            self._session,
            self._host,
            self._port,
            process_request=self._authorize,
            logger=redacting_logger(f"{__name__}.websocket"),
        )
        await self.rpc.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.rpc.stop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- intents.near's state ----------------------------------------------------------------------

    def register_solver(self, account_id: str, public_key: PublicKey) -> None:
        """Register `public_key` for `account_id`, as `add_public_key` on intents.near does."""
        self._public_keys.setdefault(account_id, set()).add(public_key)

    def add_salt(self, salt: bytes) -> None:
        """Make a 4-byte nonce salt valid (intents.near keeps the current and recent salts valid)."""
        if len(salt) != 4:
            raise ValueError(f"A nonce salt has 4 bytes, got {len(salt)}")
        self._valid_salts.add(bytes(salt))

    def _contract(self) -> ContractState:
        return ContractState(self._public_keys, self._valid_salts, self._verifying_contract)

    # -- connections -------------------------------------------------------------------------------

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.refuse_connections:
            return connection.respond(503, "relay unavailable\n")
        given = request.headers.get("Authorization")
        self.authorizations.append(given)
        self.extensions_offered.append(request.headers.get("Sec-WebSocket-Extensions"))
        # Constant-time: the comparison must not tell how much of the token a guess got right.
        expected = f"Bearer {self._token}".encode()
        if self._token is not None and not hmac.compare_digest((given or "").encode(), expected):
            return connection.respond(401, "missing or wrong bearer token\n")
        return None

    async def _session(self, socket: ServerConnection) -> None:
        connection = self._hub.open(socket)
        try:
            async for text in socket:
                received = self._clock()  # first thing: a response's latency is measured up to here
                if await self._requests.handle(connection, text, received) and self.scripted:
                    connection.stream_task = self._spawn(self._stream_script(connection))
        except ConnectionClosed:
            pass  # a dropped client: what it had in flight is lost, as on the real relay
        finally:
            self._hub.close(connection)

    def _new_subscription_id(self, kind: str) -> str:
        if self.scripted and kind == "quote":
            return SIMULATED_SUBSCRIPTION_ID  # the scripted frames carry it
        return str(uuid.uuid4())

    async def _stream_script(self, connection: Connection) -> None:
        assert self._script_lock is not None  # set by __aenter__, before any session
        # One connection at a time, so each scripted frame goes out once in total.
        async with self._script_lock:
            while self.frames_sent < len(self.frames):
                if not await connection.send_stream(self.frames[self.frames_sent]):
                    return
                self.frames_sent += 1
                self.journal.add_raw_frame()

    def connections(self) -> tuple[ConnectionInfo, ...]:
        """Every connection so far, open or closed."""
        return self.journal.connections()

    def drop_connections(self, kind: str | None = None) -> int:
        """Abort every open connection (or those subscribed to `kind`); how many were dropped."""
        return self._hub.drop(kind)

    def drop_connection(self, connection_id: int) -> bool:
        """Abort connection `connection_id`; False when it is not open."""
        return self._hub.drop_connection(connection_id)

    # -- sending -----------------------------------------------------------------------------------

    async def publish_quote(self, data: Mapping[str, Any]) -> PublishedQuote:
        """Send a quote event to every quote subscriber and open its auction (when it has a quote_id)."""
        data = dict(data)
        frames = self._hub.event_frames("quote", data)
        sent = self._clock()  # after serializing, just before the first write
        auction = self.book.open(data, sent)
        quote_id = data.get("quote_id")
        closes_at = None if auction is None else auction.closes_at
        event = PublishedQuote(
            quote_id if isinstance(quote_id, str) else None, data, sent, len(frames), closes_at
        )
        self.journal.add_event(event)
        await self._hub.deliver(frames, stream=True)
        if auction is not None:
            self._spawn(self._settle_after_close(auction))
        return event

    async def publish_quotes(
        self, quotes: Iterable[Mapping[str, Any]], rate_per_s: float
    ) -> tuple[PublishedQuote, ...]:
        """Publish `quotes` at a steady `rate_per_s`, each event's send time recorded as it goes out."""
        loop = asyncio.get_running_loop()
        pacer = Pacer(loop.time(), rate_per_s)
        events = []
        for n, data in enumerate(quotes):
            wait_s = pacer.wait_s(n, loop.time())
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            events.append(await self.publish_quote(data))
        return tuple(events)

    async def send_raw(self, text: str) -> int:
        """Send an arbitrary frame to every quote subscriber; to how many it went."""
        frames = [(connection, text) for connection in self._hub.subscribers("quote")]
        self.journal.add_raw_frame()
        return await self._hub.deliver(frames, stream=True)

    async def send_status(
        self, data: Mapping[str, str], kind: StatusKind = "manual", quote_id: str | None = None
    ) -> SentStatus:
        """Send a quote_status event with `data` to every quote_status subscriber."""
        data = dict(data)
        self.settled.setdefault(data["quote_hash"], data)
        frames = self._hub.event_frames("quote_status", data)
        status = SentStatus(kind, data, self._clock(), len(frames), quote_id)
        self.journal.add_status(status)
        # Guaranteed delivery: instances away now get it when they subscribe again.
        self.status_queues.hold(data, self._hub.guaranteed_instances())
        await self._hub.deliver(frames, stream=False)
        return status

    def drop_status(self, data: Mapping[str, str]) -> None:
        """Settle a quote on chain and lose its quote_status frame: no subscriber gets it, none is held
        for guaranteed delivery; get_status says SETTLED."""
        data = dict(data)
        self.settled.setdefault(data["quote_hash"], data)
        self.dropped.append(data)

    def _rpc_answer(self, method: str, params: Any) -> Any:
        if method != "get_status":
            raise LookupError(method)
        first = params[0] if isinstance(params, list) and params else params
        intent_hash = first.get("intent_hash") if isinstance(first, dict) else None
        if not isinstance(intent_hash, str):
            raise ValueError('expected [{"intent_hash": "<base58>"}]')
        return intent_status(intent_hash, self.settled, self.settling)

    async def send_unknown_status(self) -> SentStatus:
        """Send a quote_status for a quote_hash no solver signed (a foreign quote, or a stale replay)."""
        return await self.send_status(unknown_status_data(next(self._unknown_statuses)), "unknown")

    async def _settle_after_close(self, auction: Auction) -> None:
        await asyncio.sleep(max(0.0, auction.closes_at - self._clock().monotonic))
        data = settlement(auction, self.book.bids(auction), self._settles)
        if data is None:
            return
        self.settling[data["quote_hash"]] = data
        await asyncio.sleep(self._settle_delay_s)
        del self.settling[data["quote_hash"]]
        if self._drop_statuses(auction.quote_id):
            self.drop_status(data)
            return
        await self.send_status(data, "settlement", auction.quote_id)
        if self._duplicate_statuses(auction.quote_id):
            await self.send_status(data, "duplicate", auction.quote_id)

    # -- observing ---------------------------------------------------------------------------------

    def events(self) -> tuple[PublishedQuote, ...]:
        """The quote events sent so far."""
        return self.journal.events()

    def responses(self) -> tuple[ReceivedResponse, ...]:
        """The quote_responses received so far, with their verdicts."""
        return self.journal.responses()

    def statuses(self) -> tuple[SentStatus, ...]:
        """The quote_status events sent so far."""
        return self.journal.statuses()

    def summary(self) -> Summary:
        """Counts of what happened so far."""
        return self.journal.summary()

    async def wait_for(self, condition: Callable[[], T], timeout: float, *, poll_s: float = 0.05) -> T:
        """Wait (on the running loop) until `condition()` is truthy and return it; WaitTimeout otherwise."""
        return await self.journal.wait_for_async(condition, timeout, poll_s=poll_s)
