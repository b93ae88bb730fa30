"""The executor's venue boundary: what a venue adapter does with trade commands, and what it answers.

A command reaches a venue in two steps, so that nothing leaves the process before it is durable:
`prepare` makes the `Ticket` (for NEAR Intents: the signed quote, its hash and deadline); the
executor commits the command as `processing` with the ticket's hash and deadline; then `send`
starts sending a batch of prepared commands (concurrently, each at most once) and returns at once,
and its `Sending.outcomes()` says what became of each. After a crash, `recover` says what is known
of a command found `processing`, without sending it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from doran.contracts import ExecuteTrade, ResultCode, TradeStatus

__all__ = ["AWAITS_SETTLEMENT", "Prepared", "Sending", "Sent", "Ticket", "Venue", "VenueOutcome"]

#: Results whose quote may have reached the relay (accepted, or no answer known): its fate is then
#: decided by a quote_status, or by its deadline passing (the settlement stage).
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
    """What is made durable with a command before it may reach the venue, and what will be sent.

    `quote_hash` and `quote_deadline` name a signed quote (None for a venue without quotes); they go
    into the command's `processing` record. `request` is the request the venue sends (in memory only).
    """

    quote_hash: str | None = None
    quote_deadline: str | None = None
    request: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command and its ticket, ready to send."""

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


class Sending(Protocol):
    """A batch on its way to the venue."""

    #: Once `outcomes()` returned: how long the venue took to answer the whole batch, from its first
    #: send to its last answer (the relay's queue included); None when not every command got an answer.
    seconds: float | None

    def ready(self) -> bool:
        """Whether every answer is in (or timed out): `outcomes()` would not wait."""
        ...

    def outcomes(self) -> list[VenueOutcome]:
        """One outcome per command sent, in order, once every answer is in or timed out (blocks).

        Per-command failures are outcomes (a refusal, no answer, not sent), never exceptions."""
        ...


class Venue(Protocol):
    """A venue the executor trades on (`doran.venues`: the NEAR Intents relay, a simulated venue)."""

    def prepare(self, command: ExecuteTrade, now: datetime) -> Ticket:
        """What to make durable before the command may be sent; sends nothing."""
        ...

    def send(self, batch: Sequence[Prepared]) -> Sending:
        """Start sending each prepared command, at most once; returns at once."""
        ...

    def recover(self, command: ExecuteTrade, ticket: Ticket) -> VenueOutcome:
        """What is known of a command found `processing` after a crash; never sends it again."""
        ...


@dataclass(slots=True)
class Sent:
    """A `Sending` whose outcomes are known already (a venue that answers at once)."""

    known: list[VenueOutcome]
    seconds: float | None = 0.0

    def ready(self) -> bool:
        return True

    def outcomes(self) -> list[VenueOutcome]:
        return list(self.known)
