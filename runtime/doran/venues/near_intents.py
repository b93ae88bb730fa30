"""The NEAR Intents venue: answer each trade command's quote request with a NEP-413 signed quote_response.

`prepare` signs the quote (token_diff from the solver's side, a versioned nonce that expires with
the quote, deadline = now + the request's min_deadline_ms + a margin); the executor makes it durable;
`send` sends the batch's quote_responses at once over the relay session, and each answer becomes a
result code. (The executor sends only commands whose auction is still open.) A quote that may
have reached the relay (accepted, or no answer) awaits its settlement: a quote_status, or its
deadline passing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from doran.contracts import ExecuteTrade, FixedSide, ResultCode, TradeStatus
from doran.executor import Prepared, Sending, Ticket, VenueOutcome
from doran.nep413 import INTENTS_CONTRACT, SigningKey, TokenDiffIntent, sign_quote
from doran.relay import Answer, ErrorAnswer, NoAnswer, PendingAnswers, ResultAnswer
from doran.wire import utc_timestamp

__all__ = ["AUCTION_CLOSED_ERROR", "NearIntentsVenue", "QuoteSigner", "RequestSession"]

#: The relay's answer to a quote_response that came after the auction (relay docs).
AUCTION_CLOSED_ERROR = "quote not found or already finished"
_NO_ANSWER_CODES = {"timeout": ResultCode.RELAY_TIMEOUT, "disconnected": ResultCode.RELAY_DISCONNECTED}


class RequestSession(Protocol):
    """What the venue needs of a relay connection (`doran.relay.RelaySession`)."""

    def send_many(self, requests: Sequence[tuple[str, Any]], timeout_s: float) -> PendingAnswers: ...


@dataclass(frozen=True, slots=True)
class QuoteSigner:
    """Who signs and how: the solver's account and key in intents.near, the contract's nonce salt."""

    account_id: str
    key: SigningKey
    salt: bytes
    recipient: str = INTENTS_CONTRACT
    deadline_margin: timedelta = timedelta(seconds=10)  # the reference solver's quoteDeadlineExtraMs

    def __repr__(self) -> str:
        return f"QuoteSigner(account_id={self.account_id!r}, key={self.key!r}, recipient={self.recipient!r})"


class NearIntentsVenue:
    """Answers quote requests on the NEAR Intents relay; never sends one command twice."""

    def __init__(
        self,
        session: RequestSession,
        signer: QuoteSigner,
        *,
        answer_timeout_s: float = 2.0,
        random15: Callable[[], bytes] = lambda: secrets.token_bytes(15),
    ) -> None:
        self._session = session
        self._signer = signer
        self._timeout_s = answer_timeout_s
        self._random15 = random15

    @property
    def session(self) -> RequestSession:
        """The relay connection the quotes go through (the stage follows it for its readiness)."""
        return self._session

    def prepare(self, command: ExecuteTrade, now: datetime) -> Ticket:
        """Sign the command's quote: its hash and deadline go to disk before it is sent."""
        signer = self._signer
        deadline = now + timedelta(milliseconds=command.ttl_ms) + signer.deadline_margin
        intent = TokenDiffIntent(
            signer_id=signer.account_id,
            deadline=deadline,
            asset_in=command.asset_in,
            amount_in=int(command.amount_in),
            asset_out=command.asset_out,
            amount_out=int(command.amount_out),
        )
        signed = sign_quote(
            signer.key, intent, salt=signer.salt, recipient=signer.recipient, random15=self._random15()
        )
        # The open side is what the quote answers: exact-in requests get amount_out, exact-out amount_in.
        open_side = "amount_out" if command.fixed_side is FixedSide.AMOUNT_IN else "amount_in"
        params = [
            {
                "quote_id": command.quote_id,
                "quote_output": {open_side: getattr(command, open_side)},
                "signed_data": signed.to_json(),
            }
        ]
        return Ticket(
            signed.quote_hash, utc_timestamp(intent.deadline), {"method": "quote_response", "params": params}
        )

    def send(self, batch: Sequence[Prepared]) -> Sending:
        """Send every signed quote at once (the executor checked their auctions are open); returns at once."""
        requests = []
        for prepared in batch:
            request = prepared.ticket.request
            if request is None:
                raise ValueError(f"{prepared.command.command_id} has no signed quote: prepare() makes one")
            requests.append((request["method"], request["params"]))
        return _Answers(self._session.send_many(requests, self._timeout_s))

    def recover(self, command: ExecuteTrade, ticket: Ticket) -> VenueOutcome:
        """A command found processing: its quote was signed and may have reached the relay; never resent."""
        if ticket.quote_hash is None:
            note = "interrupted before its quote was signed: nothing was sent, and it is not retried"
            return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED, note)
        note = (
            "interrupted after its quote was signed, before the relay's answer was recorded: it may "
            "have been sent; its settlement (a quote_status, or the deadline passing) decides, "
            "and it is not resent"
        )
        return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_UNKNOWN, note)


class _Answers:
    """The relay's answers to a batch of quote_responses, as outcomes."""

    def __init__(self, pending: PendingAnswers) -> None:
        self._pending = pending
        self.seconds: float | None = None

    def ready(self) -> bool:
        return self._pending.done()

    def outcomes(self) -> list[VenueOutcome]:
        answers = self._pending.answers()
        if not any(isinstance(answer, NoAnswer) for answer in answers):
            self.seconds = self._pending.seconds  # a batch the relay answered: how long it took
        return [_outcome(answer) for answer in answers]


def _outcome(answer: Answer) -> VenueOutcome:
    if isinstance(answer, ResultAnswer):
        if answer.result == "OK":
            note = "the relay accepted the signed quote; its settlement follows"
            return VenueOutcome(TradeStatus.QUOTED, ResultCode.QUOTE_ACCEPTED, note)
        note = f"the relay answered {str(answer.result)[:200]!r} instead of OK"
        return VenueOutcome(TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, note)
    if isinstance(answer, ErrorAnswer):
        if AUCTION_CLOSED_ERROR in answer.message:
            return VenueOutcome(
                TradeStatus.REJECTED, ResultCode.AUCTION_CLOSED, f"the relay: {answer.message}"
            )
        code = f" (code {answer.code})" if answer.code is not None else ""
        return VenueOutcome(
            TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, f"the relay refused{code}: {answer.message}"
        )
    return _no_answer(answer)


def _no_answer(answer: NoAnswer) -> VenueOutcome:
    if answer.reason == "not_connected":
        return VenueOutcome(TradeStatus.FAILED, ResultCode.ADAPTER_ERROR, f"not sent: {answer.detail}")
    note = f"sent, but no answer came ({answer.detail}); its settlement decides"
    return VenueOutcome(TradeStatus.FAILED, _NO_ANSWER_CODES[answer.reason], note)
