"""The settlement of a signed quote, as published on exec.quote_settlement: one event id per quote
(derived from its quote_hash), whichever way it settles, so a filled and an expired settlement of one
quote can never both pass as new."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from doran.contracts import (
    EXEC_QUOTE_SETTLEMENT,
    NearIntentsQuoteStatusRawEvent,
    QuoteSettlement,
    QuoteSettlementEvent,
    SettlementOutcome,
)
from doran.relay.intent_status import IntentState, IntentStatus
from doran.wire import build, derive_event_id, max_length, utc_timestamp

__all__ = ["SOURCE", "expired_settlement", "filled_settlement", "reconciled_settlement"]

SOURCE = "doran.settle"
_NOTE_MAX = max_length(QuoteSettlement, "note")


def filled_settlement(
    quote_hash: str, quote: Mapping[str, str], status: NearIntentsQuoteStatusRawEvent, *, now: datetime
) -> QuoteSettlementEvent:
    """The quote filled, as the relay's quote_status reports it."""
    message = status.payload.message
    hashes = {"tx_hash": message.tx_hash, "intent_hash": message.intent_hash}
    note = f"executed on chain in {message.tx_hash}"
    return _event(
        quote_hash, quote, SettlementOutcome.FILLED, note, now, status.observed_at, status.raw, hashes
    )


def expired_settlement(
    quote_hash: str, quote: Mapping[str, str], *, grace: timedelta, now: datetime
) -> QuoteSettlementEvent:
    """The quote expired: no quote_status by its deadline and the grace after it."""
    note = f"no settlement by its deadline {quote['quote_deadline']} and {grace.total_seconds():g} s after"
    return _event(quote_hash, quote, SettlementOutcome.EXPIRED, note, now, None, {}, {})


def reconciled_settlement(
    quote_hash: str, quote: Mapping[str, str], answer: IntentStatus, *, now: datetime
) -> QuoteSettlementEvent:
    """The quote's fate as the relay's get_status told it, no quote_status having been read: SETTLED is
    filled (the transaction from its answer; the user's intent hash unknown), anything else final is
    expired. The note says so, and `raw` holds the relay's answer as received."""
    raw = {"get_status": answer.answer}
    if answer.state is IntentState.SETTLED:
        note = (
            "reconciled: no quote_status was read; the relay's get_status answered SETTLED "
            f"(tx {answer.tx_hash})"
        )
        hashes = {} if answer.tx_hash is None else {"tx_hash": answer.tx_hash}
        return _event(quote_hash, quote, SettlementOutcome.FILLED, note, now, None, raw, hashes)
    note = (
        f"reconciled: no quote_status by its deadline {quote['quote_deadline']} and the grace; the relay's "
        f"get_status answered {answer.state.value}"
    )
    return _event(quote_hash, quote, SettlementOutcome.EXPIRED, note, now, None, raw, {})


def _event(
    quote_hash: str,
    quote: Mapping[str, str],
    outcome: SettlementOutcome,
    note: str,
    now: datetime,
    observed_at: str | None,
    raw: Mapping[str, Any],
    hashes: Mapping[str, str],
) -> QuoteSettlementEvent:
    payload = {
        "command_id": quote["command_id"],
        "idempotency_key": quote["idempotency_key"],
        "execution_key": quote["execution_key"],
        "quote_id": quote["quote_id"],
        "quote_hash": quote_hash,
        "quote_deadline": quote["quote_deadline"],
        "outcome": outcome,
        **hashes,
        "note": note[:_NOTE_MAX],
    }
    return build(
        EXEC_QUOTE_SETTLEMENT,
        payload,
        event_id=derive_event_id(EXEC_QUOTE_SETTLEMENT.event_type, quote_hash),
        source=SOURCE,
        observed_at=observed_at,
        ingested_at=utc_timestamp(now),
        raw=raw,
    )
