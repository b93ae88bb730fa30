"""Judge one quote_response as the relay and then intents.near would, in that order.

The relay's own checks come first (the auction is open, the params are well formed, the quote_output is on
the side the request left open and agrees with the signed token_diff, one response per signer), then the
contract's (`doran.nep413.judge_signed_data`: signature, recipient, deadline, registered key, nonce). Pure:
the book, the instant and the contract's state are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from doran.devkit.relay_simulator.auction import EXACT_IN, EXACT_OUT, Auction, AuctionBook, Bid, exact_side
from doran.devkit.relay_simulator.clock import Instant
from doran.nep413 import (
    INTENTS_CONTRACT,
    IntentError,
    PayloadError,
    PublicKey,
    Refused,
    SignedData,
    TokenDiffIntent,
    judge_signed_data,
)

__all__ = [
    "ALREADY_SUBMITTED",
    "INVALID_PARAMS",
    "QUOTE_NOT_FOUND",
    "REFUSED",
    "ContractState",
    "Rejection",
    "ResponseVerdict",
    "judge_response",
]

#: The relay's documented answer to a response for an unknown quote or after its auction closed.
QUOTE_NOT_FOUND = "quote not found or already finished"
#: The answer to a response from a signer whose earlier response to the same quote was accepted.
ALREADY_SUBMITTED = "quote response already submitted"
#: JSON-RPC "Invalid params": the response is not a well-formed answer to its quote.
INVALID_PARAMS = -32602
#: JSON-RPC server-error range: a well-formed response the relay or the contract refuses.
REFUSED = -32000

_AMOUNT = re.compile(r"[0-9]+")
_OUTPUT_KEY = {EXACT_IN: "amount_out", EXACT_OUT: "amount_in"}


@dataclass(frozen=True, slots=True)
class ContractState:
    """What intents.near knows when it judges: registered keys per account, valid salts, its own id."""

    public_keys: Mapping[str, Collection[PublicKey]]
    valid_salts: Collection[bytes]
    verifying_contract: str = INTENTS_CONTRACT


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused response: the JSON-RPC error `{code, message}` to answer, and what could be read of it."""

    code: int
    message: str
    quote_id: str | None = None
    quote_hash: str | None = None


#: An accepted response is its `Bid`.
ResponseVerdict = Bid | Rejection


class _Invalid(Exception):
    """The params are not a well-formed response to the quote."""


def judge_response(
    params: Any, *, book: AuctionBook, at: Instant, contract: ContractState
) -> ResponseVerdict:
    """The verdict on the `params` of a quote_response received at `at`; never raises."""
    response = params[0] if isinstance(params, list) and len(params) == 1 else None
    if not isinstance(response, dict):
        return Rejection(INVALID_PARAMS, "params must be a list holding one quote response object")
    quote_id = response.get("quote_id")
    if not isinstance(quote_id, str) or not quote_id:
        return Rejection(INVALID_PARAMS, "params[0].quote_id must be a non-empty string")
    auction = book.find_open(quote_id, at.monotonic)
    if auction is None:
        return Rejection(REFUSED, QUOTE_NOT_FOUND, quote_id)
    quote_hash = None
    try:
        side, fixed, amount = _quoted_amount(response.get("quote_output"), auction)
        try:
            signed = SignedData.from_json(response.get("signed_data"))
        except PayloadError as exc:
            raise _Invalid(str(exc)) from None
        quote_hash = signed.quote_hash
        try:
            intent = TokenDiffIntent.from_message(signed.payload.message)
        except IntentError as exc:
            raise _Invalid(f"signed_data.payload.message is not one token_diff quote: {exc}") from None
        _check_agreement(intent, auction.request, side, fixed, amount)
    except _Invalid as exc:
        return Rejection(INVALID_PARAMS, str(exc), quote_id, quote_hash)
    # Before the contract's checks: a resent response would otherwise read "nonce was already used".
    if book.has_bid(auction, intent.signer_id):
        return Rejection(REFUSED, ALREADY_SUBMITTED, quote_id, quote_hash)
    verdict = judge_signed_data(
        signed,
        public_keys=contract.public_keys,
        now=at.wall,
        used_nonces=book.used_nonces,
        valid_salts=contract.valid_salts,
        verifying_contract=contract.verifying_contract,
    )
    if isinstance(verdict, Refused):
        return Rejection(REFUSED, verdict.error, quote_id, quote_hash)
    return Bid(quote_id, verdict.quote_hash, verdict.signer_id, verdict.nonce, amount, at)


def _quoted_amount(output: Any, auction: Auction) -> tuple[str, int, int]:
    """The side the request fixed, its amount, and the amount the solver quotes, read from the key the
    request left open (the other key is ignored: py-near sends both)."""
    side = exact_side(auction.request)
    if side is None:
        raise _Invalid(f"quote {auction.quote_id!r} has no single exact amount to answer")
    key = _OUTPUT_KEY[side[0]]
    if not isinstance(output, dict) or key not in output:
        raise _Invalid(f"quote_output.{key} is required: the request fixed {side[0]}")
    text = output[key]
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text) or int(text) == 0:
        raise _Invalid(f"quote_output.{key} must be a positive decimal integer string, got {text!r}")
    return side[0], side[1], int(text)


def _check_agreement(
    intent: TokenDiffIntent, request: Mapping[str, Any], side: str, fixed: int, amount: int
) -> None:
    """The signed diff trades the requested assets, the fixed amount on its side, `amount` on the other."""
    wanted = (request.get("defuse_asset_identifier_in"), request.get("defuse_asset_identifier_out"))
    if (intent.asset_in, intent.asset_out) != wanted:
        raise _Invalid(
            f"the token_diff receives {intent.asset_in!r} and gives {intent.asset_out!r}; "
            f"the quote asks for {wanted[0]!r} in and {wanted[1]!r} out"
        )
    signed_fixed, signed_quoted = (
        (intent.amount_in, intent.amount_out) if side == EXACT_IN else (intent.amount_out, intent.amount_in)
    )
    quoted_key = _OUTPUT_KEY[side]
    if signed_fixed != fixed:
        raise _Invalid(f"the token_diff carries {signed_fixed} where the request fixed {side} = {fixed}")
    if signed_quoted != amount:
        raise _Invalid(
            f"the token_diff carries {signed_quoted} where quote_output.{quoted_key} says {amount}"
        )
