"""The auction book: which quotes are open for responses, the bids accepted in each, the nonces spent.

Pure and clock-injected: every question takes the monotonic time it is asked at. An auction opens when
its quote event is sent and closes `max_wait_ms` later (the event's own value, else a default), as the
relay's docs describe the window; responses after it fail with "quote not found or already finished".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from doran.devkit.relay_simulator.clock import Instant

__all__ = [
    "DEFAULT_MAX_WAIT_MS",
    "EXACT_IN",
    "EXACT_OUT",
    "Auction",
    "AuctionBook",
    "Bid",
    "exact_side",
    "max_wait_ms",
]

#: The auction window when a quote event names none (the recorded events all say 3000).
DEFAULT_MAX_WAIT_MS = 3_000
EXACT_IN: Literal["exact_amount_in"] = "exact_amount_in"
EXACT_OUT: Literal["exact_amount_out"] = "exact_amount_out"
_AMOUNT = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Auction:
    """One quote request open for responses from `opened` until the monotonic time `closes_at`."""

    serial: int
    quote_id: str
    request: Mapping[str, Any]
    opened: Instant
    closes_at: float

    def is_open(self, monotonic: float) -> bool:
        """Whether a response received at `monotonic` is inside the window."""
        return monotonic < self.closes_at


@dataclass(frozen=True, slots=True)
class Bid:
    """An accepted quote_response: `amount` is its quote_output (amount_out for exact-in requests,
    amount_in for exact-out ones)."""

    quote_id: str
    quote_hash: str
    signer_id: str
    nonce: bytes
    amount: int
    received: Instant


def exact_side(
    request: Mapping[str, Any],
) -> tuple[Literal["exact_amount_in", "exact_amount_out"], int] | None:
    """Which amount the requester fixed and its value; None unless exactly one of `exact_amount_in` /
    `exact_amount_out` is a positive decimal string."""
    sides = [side for side in (EXACT_IN, EXACT_OUT) if side in request]
    if len(sides) != 1:
        return None
    text = request[sides[0]]
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text) or int(text) == 0:
        return None
    return sides[0], int(text)


def max_wait_ms(data: Mapping[str, Any], default_ms: int) -> int:
    """The auction window of a quote event: its `max_wait_ms` when a positive integer, else `default_ms`."""
    value = data.get("max_wait_ms")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default_ms


class AuctionBook:
    """Open auctions by quote_id (a republished quote_id opens a fresh auction), their bids, spent nonces."""

    def __init__(self, default_max_wait_ms: int = DEFAULT_MAX_WAIT_MS) -> None:
        if default_max_wait_ms <= 0:
            raise ValueError(f"default_max_wait_ms must be positive, got {default_max_wait_ms}")
        self.default_max_wait_ms = default_max_wait_ms
        self._auctions: dict[str, Auction] = {}
        self._bids: dict[int, list[Bid]] = {}
        self._used_nonces: dict[str, set[bytes]] = {}

    def open(self, data: Mapping[str, Any], at: Instant) -> Auction | None:
        """Open the auction of a quote event sent at `at`; None when the event has no quote_id to answer."""
        quote_id = data.get("quote_id")
        if not isinstance(quote_id, str) or not quote_id:
            return None
        window_s = max_wait_ms(data, self.default_max_wait_ms) / 1000
        auction = Auction(len(self._bids), quote_id, data, at, at.monotonic + window_s)
        self._auctions[quote_id] = auction
        self._bids[auction.serial] = []
        return auction

    def find_open(self, quote_id: str, monotonic: float) -> Auction | None:
        """The auction of `quote_id` if it is still open at `monotonic`."""
        auction = self._auctions.get(quote_id)
        return auction if auction is not None and auction.is_open(monotonic) else None

    def has_bid(self, auction: Auction, signer_id: str) -> bool:
        """Whether `signer_id` already has an accepted response in `auction`."""
        return any(bid.signer_id == signer_id for bid in self._bids[auction.serial])

    def bids(self, auction: Auction) -> tuple[Bid, ...]:
        """The accepted responses of `auction`, in arrival order."""
        return tuple(self._bids[auction.serial])

    @property
    def used_nonces(self) -> Mapping[str, Collection[bytes]]:
        """Nonces spent per signer: a nonce is spent once a response carrying it is accepted."""
        return self._used_nonces

    def accept(self, bid: Bid) -> Auction:
        """Record `bid` in the auction of its quote, open when the bid was received, and spend its nonce."""
        auction = self.find_open(bid.quote_id, bid.received.monotonic)
        if auction is None:
            raise ValueError(f"No auction of quote {bid.quote_id!r} was open when the bid was received")
        self._bids[auction.serial].append(bid)
        self._used_nonces.setdefault(bid.signer_id, set()).add(bid.nonce)
        return auction
