"""A local NEAR Intents solver relay that behaves like the real one, for tests, `make demo` and `make bench`.

It authenticates the handshake, acknowledges subscriptions, sends quote events and opens an auction for
each, judges quote_responses as the relay and intents.near would (auction window, quote_output against
the signed token_diff, NEP-413 signature, recipient, deadline, registered key, salt, nonce), and sends
quote_status events for a deterministic subset of settled auctions. The pure parts (auction book,
verdicts, settlement, pacing) take the clock as a parameter; `server` (with `hub` and `requests`) is the
websocket shell, and `thread` runs it beside synchronous code.
"""

from __future__ import annotations

from doran.devkit.relay_simulator.auction import DEFAULT_MAX_WAIT_MS, Auction, AuctionBook, Bid
from doran.devkit.relay_simulator.clock import Clock, Instant, system_clock
from doran.devkit.relay_simulator.errors import SimulatorError, SimulatorNotRunning, WaitTimeout
from doran.devkit.relay_simulator.journal import Journal
from doran.devkit.relay_simulator.messages import METADATA
from doran.devkit.relay_simulator.pacing import Pacer
from doran.devkit.relay_simulator.recording import quotes_from_recording
from doran.devkit.relay_simulator.records import (
    OK,
    ConnectionInfo,
    PublishedQuote,
    ReceivedResponse,
    SentStatus,
    StatusKind,
    Summary,
)
from doran.devkit.relay_simulator.requests import SUBSCRIPTION_KINDS, SUBSCRIPTION_REFUSED
from doran.devkit.relay_simulator.server import SIMULATED_SUBSCRIPTION_ID, RelaySimulator
from doran.devkit.relay_simulator.settlement import default_settles, settlement, status_data, winner
from doran.devkit.relay_simulator.thread import SimulatorThread
from doran.devkit.relay_simulator.verdicts import (
    ALREADY_SUBMITTED,
    INVALID_PARAMS,
    QUOTE_NOT_FOUND,
    REFUSED,
    ContractState,
    Rejection,
    ResponseVerdict,
    judge_response,
)

__all__ = [
    "ALREADY_SUBMITTED",
    "DEFAULT_MAX_WAIT_MS",
    "INVALID_PARAMS",
    "METADATA",
    "OK",
    "QUOTE_NOT_FOUND",
    "REFUSED",
    "SIMULATED_SUBSCRIPTION_ID",
    "SUBSCRIPTION_KINDS",
    "SUBSCRIPTION_REFUSED",
    "Auction",
    "AuctionBook",
    "Bid",
    "Clock",
    "ConnectionInfo",
    "ContractState",
    "Instant",
    "Journal",
    "Pacer",
    "PublishedQuote",
    "ReceivedResponse",
    "Rejection",
    "RelaySimulator",
    "ResponseVerdict",
    "SentStatus",
    "SimulatorError",
    "SimulatorNotRunning",
    "SimulatorThread",
    "StatusKind",
    "Summary",
    "WaitTimeout",
    "default_settles",
    "judge_response",
    "quotes_from_recording",
    "settlement",
    "status_data",
    "system_clock",
    "winner",
]
