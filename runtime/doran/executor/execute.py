"""One trade command's path through the executor, and the result it ends with; writes nothing.

- command_id already `done`      -> duplicate: no venue call, no new result.
- command_id found `processing`  -> recovered: a previous run died between begin and commit; the
  venue's `recover` says what is known, and the command is never sent a second time.
- command_id unknown             -> new: the venue answers it (the caller has committed `begin`).
`doran.executor.batch.run_batch` orders the durable commits around these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doran.contracts import EXEC_TRADE_RESULT, ExecuteTradeEvent, TradeResult, TradeResultEvent
from doran.executor.records import QuoteRecord
from doran.executor.venue import Ticket, VenueOutcome
from doran.wire import derive, derive_event_id, max_length

__all__ = [
    "SOURCE",
    "ExecutionOutcome",
    "OutcomeKind",
    "pending_quote",
    "result_event_id",
    "trade_result_event",
]

SOURCE = "doran.execute"
_NOTE_MAX = max_length(TradeResult, "note")


class OutcomeKind(StrEnum):
    """Which path a command took."""

    NEW = "new"
    RECOVERED = "recovered"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """The path a command took, the result to publish (None for a duplicate) and its pending quote.

    For a duplicate, `stored_result` is the result recorded when the command completed, and
    `redelivery` says the same command event came again (the stored result's event_id is the one
    this event derives) rather than a new command with the same command_id: a crash after the
    commit but before the publication was committed re-delivers it, and republishing
    `stored_result` (same event_id) is then the way not to lose it.
    """

    command_id: str
    kind: OutcomeKind
    result: TradeResultEvent | None
    quote: QuoteRecord | None = None
    stored_result: TradeResultEvent | None = None
    redelivery: bool = False


def result_event_id(command: ExecuteTradeEvent) -> str:
    """The event_id of the result of this command event: a stored result with it is this very event's."""
    return derive_event_id(EXEC_TRADE_RESULT.event_type, command.event_id)


def trade_result_event(
    command: ExecuteTradeEvent, outcome: VenueOutcome, ticket: Ticket, *, now: datetime
) -> TradeResultEvent:
    """The result envelope of a command; its event_id derives from the command's, so it is deterministic."""
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


def pending_quote(command: ExecuteTradeEvent, outcome: VenueOutcome, ticket: Ticket) -> QuoteRecord | None:
    """The quote whose settlement is awaited after this outcome, if any."""
    if not outcome.awaits_settlement or ticket.quote_hash is None or ticket.quote_deadline is None:
        return None
    return QuoteRecord.awaiting(ticket.quote_hash, ticket.quote_deadline, command.payload)
