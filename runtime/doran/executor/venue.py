"""The executor's venue boundary: what a venue adapter does with trade commands, and what it answers.

A command reaches a venue in two steps, so that nothing leaves the process before it is durable:
`prepare` makes the `Ticket` (for NEAR Intents: the signed quote, its hash and deadline), the
executor commits it as `processing`, then `submit` sends every prepared command of a batch
(concurrently, each at most once) and says what became of each. After a crash, `recover` says what
is known of a command found `processing`, without sending it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from doran.contracts import ExecuteTrade, ResultCode, TradeStatus

__all__ = ["AWAITS_SETTLEMENT", "Prepared", "Ticket", "Venue", "VenueOutcome"]

#: Results whose quote may have reached the relay (accepted, or no answer known): its fate is then
#: decided by a quote_status, or by its deadline passing.
AWAITS_SETTLEMENT = frozenset(
    {
        ResultCode.QUOTE_ACCEPTED,
        ResultCode.RELAY_TIMEOUT,
        ResultCode.RELAY_DISCONNECTED,
        ResultCode.RECOVERED_UNKNOWN,
    }
)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What is made durable with a command before it may reach the venue.

    `quote_hash` and `quote_deadline` name a signed quote (None for a venue without quotes);
    `request` is what the venue will send, kept so the record shows exactly what left.
    """

    quote_hash: str | None = None
    quote_deadline: str | None = None
    request: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"quote_hash": self.quote_hash, "quote_deadline": self.quote_deadline, "request": self.request}

    @classmethod
    def from_json(cls, value: Any) -> Ticket:
        if not isinstance(value, dict):
            return cls()
        return cls(value.get("quote_hash"), value.get("quote_deadline"), value.get("request"))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command and its ticket, ready to submit."""

    command: ExecuteTrade
    ticket: Ticket


@dataclass(frozen=True, slots=True)
class VenueOutcome:
    """What became of one command at the venue: its terminal result, and whether a settlement is to come."""

    status: TradeStatus
    result_code: ResultCode
    note: str

    @property
    def awaits_settlement(self) -> bool:
        """Whether the quote may have reached the relay (its result code is in AWAITS_SETTLEMENT)."""
        return self.result_code in AWAITS_SETTLEMENT


class Venue(Protocol):
    """A venue the executor trades on (`doran.venues`: the NEAR Intents relay, a simulated venue)."""

    def prepare(self, command: ExecuteTrade, now: datetime) -> Ticket:
        """What to make durable before the command may be sent; sends nothing."""
        ...

    def submit(self, batch: Sequence[Prepared], now: datetime) -> list[VenueOutcome]:
        """Send each prepared command at most once, concurrently; one outcome per command, in order.

        Per-command failures are outcomes (a refusal, no answer, not sent), never exceptions.
        """
        ...

    def recover(self, command: ExecuteTrade, ticket: Ticket) -> VenueOutcome:
        """What is known of a command found `processing` after a crash; never sends it again."""
        ...

    def flush(self) -> None:
        """Make the venue's own record of what was sent durable (called before `complete`)."""
        ...
