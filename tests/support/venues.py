"""A scripted venue for the executor core's unit tests: it answers each command with a chosen outcome.

A test double of doran's own `Venue` protocol, so the core's order of durable steps is tested in
milliseconds; the real venues are tested on their own (`tests/venues/`: the NEAR Intents venue
against the relay simulator over a websocket).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from doran.contracts import ExecuteTrade, NearIntentsQuoteStatusRawEvent, ResultCode, TradeStatus
from doran.executor import Prepared, Sending, Sent, Ticket, VenueOutcome
from doran.nep413.base58 import b58encode
from doran.wire import utc_timestamp

__all__ = ["ACCEPTED", "TX_HASH", "ScriptedVenue", "quote_hash_of", "quote_status"]

ACCEPTED = VenueOutcome(TradeStatus.QUOTED, ResultCode.QUOTE_ACCEPTED, "accepted")


TX_HASH = "4tfgPJU7BJYKNqxdbTK7e7RAUSDptrv4U5pBMhEB2z6p"


def quote_status(quote_hash: str, event_id: str = "nears-1") -> NearIntentsQuoteStatusRawEvent:
    """The relay's settlement notification for `quote_hash`, as ingest puts it on its raw topic."""
    message = {
        "quote_hash": quote_hash,
        "intent_hash": "BeHFFMdrGwSefrVUgVccuo2L2yaf2cftcwMn8if43qZa",
        "tx_hash": TX_HASH,
    }
    return NearIntentsQuoteStatusRawEvent.model_validate(
        {
            "event_id": event_id,
            "event_type": "near_intents_quote_status_raw",
            "venue": "near_intents",
            "source": "test",
            "schema_version": 1,
            "observed_at": "2026-03-28T20:00:07.000000Z",
            "ingested_at": "2026-03-28T20:00:07.000000Z",
            "payload": {"message": message},
            "raw": message,
        }
    )


def quote_hash_of(quote_id: str) -> str:
    """The quote hash the scripted venue gives a quote: base58 of sha256(quote_id), a real hash's form."""
    return b58encode(hashlib.sha256(quote_id.encode()).digest())


class ScriptedVenue:
    """Tickets name a quote `quote_hash_of(quote_id)` valid for ttl_ms; `answer(command)` picks outcomes."""

    def __init__(self, answer: Callable[[ExecuteTrade], VenueOutcome] = lambda _: ACCEPTED) -> None:
        self.answer = answer
        self.sent: Counter[str] = Counter()
        self.recovered: list[str] = []

    def prepare(self, command: ExecuteTrade, now: datetime) -> Ticket:
        deadline = utc_timestamp(now + timedelta(milliseconds=command.ttl_ms))
        return Ticket(quote_hash_of(command.quote_id), deadline, {"method": "quote_response", "params": []})

    def send(self, batch: Sequence[Prepared]) -> Sending:
        self.sent.update(prepared.command.command_id for prepared in batch)
        return Sent([self.answer(prepared.command) for prepared in batch])

    def recover(self, command: ExecuteTrade, ticket: Ticket) -> VenueOutcome:
        self.recovered.append(command.command_id)
        note = "recovered: may have been sent"
        return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_UNKNOWN, note)
