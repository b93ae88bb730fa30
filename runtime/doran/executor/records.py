"""The executor's durable records: what it knows of each command and of each quote it signed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from doran.contracts import ExecuteTrade, ExecuteTradeEvent, TradeResult, TradeResultEvent
from doran.executor.errors import ExecutorStateError
from doran.executor.venue import Ticket

__all__ = ["CommandRecord", "CommandState", "QuoteRecord", "QuoteState"]


class CommandState(StrEnum):
    """Where a command is: possibly at the venue (`processing`) or finished with a result (`done`)."""

    PROCESSING = "processing"
    DONE = "done"


class QuoteState(StrEnum):
    """A signed quote's fate: awaiting its settlement, filled on chain, or expired unused."""

    PENDING = "pending"
    FILLED = "filled"
    EXPIRED = "expired"


def _invalid(what: str, exc: Exception) -> ExecutorStateError:
    return ExecutorStateError(f"Executor state holds a {what} record the executor did not write: {exc!r}")


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What the store knows of one command_id; `command`/`result` are the envelopes as JSON objects.

    While `processing`, the record holds the command and its ticket: a restart recovers from them.
    Once `done`, only the result: it is all a redelivery needs (republished byte for byte), and a
    done record is then a few hundred bytes however large the signed quote was.
    """

    command_id: str
    state: CommandState
    command: dict[str, Any] | None
    ticket: dict[str, Any] | None
    result: dict[str, Any] | None
    began_at: str
    completed_at: str | None

    def to_json(self) -> dict[str, Any]:
        """The record as stored."""
        return {
            "command_id": self.command_id,
            "state": self.state.value,
            "command": self.command,
            "ticket": self.ticket,
            "result": self.result,
            "began_at": self.began_at,
            "completed_at": self.completed_at,
        }

    @classmethod
    def from_json(cls, value: Any) -> CommandRecord:
        """Parse a stored record; raises ExecutorStateError on anything else."""
        try:
            return cls(
                command_id=str(value["command_id"]),
                state=CommandState(value["state"]),
                command=None if value.get("command") is None else dict(value["command"]),
                ticket=None if value.get("ticket") is None else dict(value["ticket"]),
                result=None if value["result"] is None else dict(value["result"]),
                began_at=str(value["began_at"]),
                completed_at=None if value["completed_at"] is None else str(value["completed_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid("command", exc) from exc

    def completed(self, result: dict[str, Any], completed_at: str) -> CommandRecord:
        """This record once its result is in: the command and ticket are no longer needed."""
        return replace(
            self, state=CommandState.DONE, command=None, ticket=None, result=result, completed_at=completed_at
        )

    def command_event(self) -> ExecuteTradeEvent:
        """The stored command as its contract model (a `processing` record's)."""
        if self.command is None:
            raise ExecutorStateError(f"The record of {self.command_id} keeps no command: it is {self.state}.")
        return ExecuteTradeEvent.model_validate(self.command)

    def ticket_of(self) -> Ticket:
        """What was made durable before the command could reach the venue."""
        return Ticket.from_json(self.ticket)

    def result_event(self) -> TradeResultEvent | None:
        """The stored result as its contract model, once done."""
        return None if self.result is None else TradeResultEvent.model_validate(self.result)


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    """A signed quote that may have reached the relay, and its settlement once decided.

    `command` holds the command fields a settlement repeats (command_id, idempotency_key,
    execution_key, quote_id). The settlement's event_id derives from the quote_hash: one id per
    quote, whichever way it settles, and one a rebuilt history derives again. `settled_by` is the
    event_id of the quote_status that filled it; `published` whether its settlement is known to be
    on the bus.
    """

    quote_hash: str
    quote_deadline: str
    command: dict[str, str]
    state: QuoteState = QuoteState.PENDING
    settlement: dict[str, Any] | None = None
    settled_by: str | None = None
    published: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "quote_deadline": self.quote_deadline,
            "command": self.command,
            "state": self.state.value,
            "settlement": self.settlement,
            "settled_by": self.settled_by,
            "published": self.published,
        }

    @classmethod
    def from_json(cls, quote_hash: str, value: Any) -> QuoteRecord:
        try:
            return cls(
                quote_hash=quote_hash,
                quote_deadline=str(value["quote_deadline"]),
                command={str(k): str(v) for k, v in dict(value["command"]).items()},
                state=QuoteState(value["state"]),
                settlement=None if value["settlement"] is None else dict(value["settlement"]),
                settled_by=value["settled_by"],
                published=bool(value["published"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid("quote", exc) from exc

    @classmethod
    def awaiting(cls, quote_hash: str, quote_deadline: str, trade: ExecuteTrade | TradeResult) -> QuoteRecord:
        """A quote awaiting its settlement, for the command (or the result) it answers."""
        command = {
            "command_id": trade.command_id,
            "idempotency_key": trade.idempotency_key,
            "execution_key": trade.execution_key,
            "quote_id": trade.quote_id,
        }
        return cls(quote_hash=quote_hash, quote_deadline=quote_deadline, command=command)

    def settled(self, state: QuoteState, settlement: dict[str, Any], settled_by: str | None) -> QuoteRecord:
        """This quote once settled. An expiry is not yet published: nothing but this record will publish
        it again after a failure. A fill rides on its quote_status, redelivered until it is published."""
        published = state is not QuoteState.EXPIRED
        return replace(self, state=state, settlement=settlement, settled_by=settled_by, published=published)

    def with_published(self) -> QuoteRecord:
        return replace(self, published=True)
