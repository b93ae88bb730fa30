"""The events the executor publishes for a command: its one trade result, and its signed quote when that
quote awaits a settlement. Both derive their event_id from the command event's, so a command begun
once yields the same ids whoever publishes them (a recovery after a crash included).

A command answered again because its history was declared lost (DORAN_EXECUTOR_ALLOW_MISSING_STATE)
derives them from `answered_again(event_id, incarnation)` instead: ids of their own, never those of its
first answer, which consumers that dedupe by event_id would drop.

They are built as the JSON objects of their events (`doran.wire.event_object`), without validating
what was just built: on the per-command path that costs more than the rest of the executor (the
command's raw quote is carried over). tests/executor/test_events_hold_their_contracts.py proves
each is, byte for byte, the record of the event `doran.wire.derive` validates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from doran.contracts import EXEC_QUOTE_SIGNED, EXEC_TRADE_RESULT, ExecuteTradeEvent, TradeResult
from doran.executor.venue import Ticket, VenueOutcome
from doran.wire import derive_event_id, event_object, max_length, utc_timestamp

__all__ = ["SOURCE", "answered_again", "quote_signed_event", "trade_result_event"]

SOURCE = "doran.execute"
_NOTE_MAX = max_length(TradeResult, "note")


def answered_again(event_id: str, incarnation: str) -> str:
    """The id a command's outputs derive from when its partition's history was overridden as missing:
    the command event's id with the override's `incarnation` (the same for a replay of the same input
    under the same override, so the ids stay deterministic)."""
    return f"{event_id}~{incarnation}"


def trade_result_event(
    command: ExecuteTradeEvent, outcome: VenueOutcome, ticket: Ticket, *, now: datetime
) -> dict[str, Any]:
    """The command's result; stamped `now`, the moment its fate was known."""
    trade = command.payload
    payload: dict[str, Any] = {
        "command_id": trade.command_id,
        "idempotency_key": trade.idempotency_key,
        "execution_key": trade.execution_key,
        "quote_id": trade.quote_id,
        "status": outcome.status.value,
        "result_code": outcome.result_code.value,
        "note": outcome.note[:_NOTE_MAX],
    }
    if ticket.quote_hash is not None:
        payload["quote_hash"] = ticket.quote_hash
    if ticket.quote_deadline is not None:
        payload["quote_deadline"] = ticket.quote_deadline
    return _derived(EXEC_TRADE_RESULT.event_type, command, payload, now)


def quote_signed_event(command: ExecuteTradeEvent, ticket: Ticket, *, now: datetime) -> dict[str, Any] | None:
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
    return _derived(EXEC_QUOTE_SIGNED.event_type, command, payload, now)


def _derived(
    event_type: str, command: ExecuteTradeEvent, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """What `doran.wire.derive(topic, command, payload, source=SOURCE, now=now)` makes, as JSON."""
    topic = EXEC_TRADE_RESULT if event_type == EXEC_TRADE_RESULT.event_type else EXEC_QUOTE_SIGNED
    return event_object(
        topic,
        payload,
        event_id=derive_event_id(event_type, command.event_id),
        source=SOURCE,
        observed_at=command.observed_at,
        ingested_at=utc_timestamp(now),
        raw=command.raw,
    )
