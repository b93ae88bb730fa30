"""Exactly-once execution of one trade command, given the store's view of it and a venue adapter.

- command_id already `done`      -> duplicate: no adapter call, no new result.
- command_id found `processing`  -> recovered: a previous run died between begin and complete; the
  adapter's `lookup` says what the venue did, and the command is never executed a second time.
- command_id unknown             -> new: the adapter executes it (the caller has committed `begin`).
This module writes nothing; `doran.executor.batch.run_batch` orders the durable commits around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doran.contracts import (
    EXEC_TRADE_RESULT,
    ExecuteTradeEvent,
    ResultCode,
    TradeResult,
    TradeResultEvent,
    TradeStatus,
)
from doran.executor.adapter import VenueAdapter, VenueFill
from doran.executor.errors import VenueLookupError, VenueUnreachableError
from doran.executor.store import CommandState, StoreView
from doran.wire import derive, max_length

__all__ = ["SOURCE", "ExecutionOutcome", "OutcomeKind", "execute_command", "trade_result_event"]

SOURCE = "doran.execute"
_NOTE_MAX = max_length(TradeResult, "note")


class OutcomeKind(StrEnum):
    """Which path a command took."""

    NEW = "new"
    RECOVERED = "recovered"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """The path a command took and the result to publish (None for a duplicate).

    For a duplicate, `stored_result` is the result recorded when the command completed, and
    `redelivery` says the same command event (same event_id) came again rather than a new command
    with the same command_id: a crash after `complete` but before the publish was committed
    re-delivers it, and republishing `stored_result` (same event_id) is then the way not to lose it.
    """

    command_id: str
    kind: OutcomeKind
    result: TradeResultEvent | None
    stored_result: TradeResultEvent | None = None
    redelivery: bool = False


def trade_result_event(
    command: ExecuteTradeEvent, status: TradeStatus, result_code: ResultCode, note: str, *, now: datetime
) -> TradeResultEvent:
    """The result envelope of a command; its event_id derives from the command's, so it is deterministic."""
    trade = command.payload
    payload = {
        "command_id": trade.command_id,
        "idempotency_key": trade.idempotency_key,
        "execution_key": trade.execution_key,
        "quote_id": trade.quote_id,
        "status": status,
        "result_code": result_code,
        "note": note[:_NOTE_MAX],
    }
    return derive(EXEC_TRADE_RESULT, command, payload, source=SOURCE, now=now)


def _executed(command: ExecuteTradeEvent, adapter: VenueAdapter, now: datetime) -> TradeResultEvent:
    try:
        fill = adapter.execute(command.payload)
    except VenueUnreachableError as exc:
        return trade_result_event(
            command, TradeStatus.FAILED, ResultCode.ADAPTER_ERROR, f"venue not reached: {exc}", now=now
        )
    if fill.filled:
        return trade_result_event(command, TradeStatus.FILLED, ResultCode.FILLED, fill.note, now=now)
    return trade_result_event(command, TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, fill.note, now=now)


def _recovered(begun: ExecuteTradeEvent, adapter: VenueAdapter, now: datetime) -> TradeResultEvent:
    command_id = begun.payload.command_id
    try:
        fill: VenueFill | None = adapter.lookup(command_id)
    except VenueLookupError as exc:
        note = f"interrupted mid-execution; the venue cannot say whether it executed: {exc}"
        return trade_result_event(begun, TradeStatus.RECOVERED, ResultCode.RECOVERED_UNKNOWN, note, now=now)
    if fill is None:
        note = "interrupted mid-execution; the venue has no execution of it, and it is not retried"
        return trade_result_event(
            begun, TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED, note, now=now
        )
    if fill.filled:
        note = f"interrupted mid-execution; the venue had filled it: {fill.note}"
        return trade_result_event(begun, TradeStatus.RECOVERED, ResultCode.RECOVERED_FILLED, note, now=now)
    note = f"interrupted mid-execution; the venue had rejected it ({fill.result_code}): {fill.note}"
    return trade_result_event(begun, TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED, note, now=now)


def execute_command(
    command: ExecuteTradeEvent, store_view: StoreView, adapter: VenueAdapter, *, now: datetime
) -> ExecutionOutcome:
    """Take the duplicate, recovered or new path for one command; never executes a known command_id."""
    command_id = command.payload.command_id
    record = store_view.get(command_id)
    if record is None:
        return ExecutionOutcome(command_id, OutcomeKind.NEW, _executed(command, adapter, now))
    if record.state is CommandState.PROCESSING:
        # The result derives from the command that was begun: the id the interrupted run would have used.
        return ExecutionOutcome(
            command_id, OutcomeKind.RECOVERED, _recovered(record.command_event(), adapter, now)
        )
    return ExecutionOutcome(
        command_id,
        OutcomeKind.DUPLICATE,
        None,
        stored_result=record.result_event(),
        redelivery=record.command.get("event_id") == command.event_id,
    )
