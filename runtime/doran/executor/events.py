"""The events the executor publishes for a command: its one trade result, and its signed quote when that
quote awaits a settlement. Both derive their event_id from the command event's, so a command begun
once yields the same ids whoever publishes them (a recovery after a crash included)."""

from __future__ import annotations

from datetime import datetime

from doran.contracts import (
    EXEC_QUOTE_SIGNED,
    EXEC_TRADE_RESULT,
    ExecuteTradeEvent,
    QuoteSignedEvent,
    TradeResult,
    TradeResultEvent,
)
from doran.executor.venue import Ticket, VenueOutcome
from doran.wire import derive, max_length

__all__ = ["SOURCE", "quote_signed_event", "trade_result_event"]

SOURCE = "doran.execute"
_NOTE_MAX = max_length(TradeResult, "note")


def trade_result_event(
    command: ExecuteTradeEvent, outcome: VenueOutcome, ticket: Ticket, *, now: datetime
) -> TradeResultEvent:
    """The command's result; stamped `now`, the moment its fate was known."""
    trade = command.payload
    payload: dict[str, object] = {
        "command_id": trade.command_id,
        "idempotency_key": trade.idempotency_key,
        "execution_key": trade.execution_key,
        "quote_id": trade.quote_id,
        "status": outcome.status,
        "result_code": outcome.result_code,
        "note": outcome.note[:_NOTE_MAX],
    }
    if ticket.quote_hash is not None:
        payload["quote_hash"] = ticket.quote_hash
    if ticket.quote_deadline is not None:
        payload["quote_deadline"] = ticket.quote_deadline
    return derive(EXEC_TRADE_RESULT, command, payload, source=SOURCE, now=now)


def quote_signed_event(
    command: ExecuteTradeEvent, ticket: Ticket, *, now: datetime
) -> QuoteSignedEvent | None:
    """The signed quote whose settlement is awaited, or None for a ticket without a quote."""
    if ticket.quote_hash is None or ticket.quote_deadline is None:
        return None
    trade = command.payload
    payload = {
        "command_id": trade.command_id,
        "idempotency_key": trade.idempotency_key,
        "execution_key": trade.execution_key,
        "quote_id": trade.quote_id,
        "quote_hash": ticket.quote_hash,
        "quote_deadline": ticket.quote_deadline,
    }
    return derive(EXEC_QUOTE_SIGNED, command, payload, source=SOURCE, now=now)
