"""Settling signed quotes: a relay quote_status fills one, a deadline passing unused expires it; pure.

Each quote that may have reached the relay settles once: its settlement's event_id derives from
its quote_hash, so a filled and an expired settlement of one quote could never both pass as new. A
quote_status delivered again is harmless: the same event after a rewound batch republishes the
stored settlement, another one for a settled quote is a counted duplicate. A quote_status that
matches no quote of this executor, or comes after its quote was declared expired, is refused
(and dead-lettered by the caller: nothing is dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from doran.contracts import (
    EXEC_QUOTE_SETTLEMENT,
    NearIntentsQuoteStatusRawEvent,
    QuoteSettlement,
    QuoteSettlementEvent,
    SettlementOutcome,
)
from doran.executor.records import QuoteRecord, QuoteState
from doran.wire import build, derive_event_id, encoded_object, max_length, parse_timestamp, utc_timestamp

__all__ = ["SettlementKind", "StatusOutcome", "expire_due", "settle"]

SOURCE = "doran.execute"
_NOTE_MAX = max_length(QuoteSettlement, "note")


class SettlementKind(StrEnum):
    """What one quote_status did."""

    FILLED = "filled"  # settled a pending quote
    REDELIVERED = "redelivered"  # the very status that settled it, again: publish the stored settlement
    DUPLICATE = "duplicate"  # another status for a quote already filled: nothing to do
    UNKNOWN = "unknown_quote_hash"  # no quote of this executor has that hash
    AFTER_EXPIRY = "settled_after_expiry"  # its quote was already declared expired


class QuoteView(Protocol):
    def quote(self, quote_hash: str, /) -> QuoteRecord | None: ...


@dataclass(frozen=True, slots=True)
class StatusOutcome:
    """The quote as it now stands (to commit, when changed) and the settlement to publish, if any."""

    kind: SettlementKind
    quote: QuoteRecord | None = None
    event: QuoteSettlementEvent | None = None


def _event(
    quote: QuoteRecord,
    outcome: SettlementOutcome,
    note: str,
    *,
    now: datetime,
    observed_at: str | None = None,
    raw: Mapping[str, Any] | None = None,
    hashes: Mapping[str, str] | None = None,
) -> QuoteSettlementEvent:
    command = quote.command
    payload = {
        "command_id": command["command_id"],
        "idempotency_key": command["idempotency_key"],
        "execution_key": command["execution_key"],
        "quote_id": command["quote_id"],
        "quote_hash": quote.quote_hash,
        "quote_deadline": quote.quote_deadline,
        "outcome": outcome,
        **(hashes or {}),
        "note": note[:_NOTE_MAX],
    }
    return build(
        EXEC_QUOTE_SETTLEMENT,
        payload,
        event_id=derive_event_id(EXEC_QUOTE_SETTLEMENT.event_type, quote.quote_hash),
        source=SOURCE,
        observed_at=observed_at,
        ingested_at=utc_timestamp(now),
        raw=raw or {},
    )


def settle(status: NearIntentsQuoteStatusRawEvent, quotes: QuoteView, *, now: datetime) -> StatusOutcome:
    """What one quote_status does to the quote it names."""
    message = status.payload.message
    quote = quotes.quote(message.quote_hash)
    if quote is None:
        return StatusOutcome(SettlementKind.UNKNOWN)
    if quote.state is QuoteState.EXPIRED:
        return StatusOutcome(SettlementKind.AFTER_EXPIRY, quote)
    if quote.state is QuoteState.FILLED:
        if quote.settled_by == status.event_id and quote.settlement is not None:
            return StatusOutcome(
                SettlementKind.REDELIVERED, quote, QuoteSettlementEvent.model_validate(quote.settlement)
            )
        return StatusOutcome(SettlementKind.DUPLICATE, quote)
    hashes = {"tx_hash": message.tx_hash, "intent_hash": message.intent_hash}
    event = _event(
        quote,
        SettlementOutcome.FILLED,
        f"executed on chain in {message.tx_hash}",
        now=now,
        observed_at=status.observed_at,
        raw=status.raw,
        hashes=hashes,
    )
    settled = quote.settled(QuoteState.FILLED, encoded_object(event), status.event_id)
    return StatusOutcome(SettlementKind.FILLED, settled, event)


def _deadline(quote: QuoteRecord) -> datetime:
    try:
        return parse_timestamp(quote.quote_deadline)
    except ValueError:  # only a rebuilt history can hold one (from a hostile result): long past
        return datetime.min.replace(tzinfo=UTC)


def expire_due(
    pending: Iterable[QuoteRecord], *, now: datetime, grace: timedelta
) -> list[tuple[QuoteRecord, QuoteSettlementEvent]]:
    """The pending quotes (soonest deadline first) whose deadline and grace have passed, expired, with
    their settlements. The grace covers the time between a quote executing and its quote_status
    reaching doran."""
    expired = []
    for quote in pending:
        if _deadline(quote) + grace > now:
            break
        note = f"no settlement by its deadline {quote.quote_deadline} and {grace.total_seconds():g} s after"
        event = _event(quote, SettlementOutcome.EXPIRED, note, now=now)
        expired.append((quote.settled(QuoteState.EXPIRED, encoded_object(event), None), event))
    return expired
