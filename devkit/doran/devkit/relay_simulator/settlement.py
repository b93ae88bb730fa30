"""Which quotes settle, which bid wins, and the quote_status a settlement sends; pure and deterministic.

The real relay sends quote_status only when a quote is executed on chain. Here a deterministic subset of
auctions settles (by default a third, chosen from sha256 of the quote_id, so reruns settle the same ones),
and the intent and transaction hashes derive from the winning quote_hash, so tests can predict them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from doran.devkit.relay_simulator.auction import EXACT_IN, Auction, Bid, exact_side
from doran.nep413.base58 import b58encode

__all__ = ["Settles", "default_settles", "settlement", "status_data", "unknown_status_data", "winner"]

#: Decides whether the auction of a quote_id settles.
Settles = Callable[[str], bool]


def default_settles(quote_id: str) -> bool:
    """True for about a third of quote ids: sha256(quote_id)'s first byte is divisible by 3."""
    return hashlib.sha256(quote_id.encode("utf-8")).digest()[0] % 3 == 0


def _derived(label: str, seed: str) -> str:
    return b58encode(hashlib.sha256(f"doran-sim:{label}:{seed}".encode()).digest())


def status_data(quote_hash: str) -> dict[str, str]:
    """The `data` of the quote_status event for `quote_hash`: intent and tx hashes are base58 of 32 bytes
    derived from it."""
    return {
        "quote_hash": quote_hash,
        "intent_hash": _derived("intent_hash", quote_hash),
        "tx_hash": _derived("tx_hash", quote_hash),
    }


def unknown_status_data(serial: int) -> dict[str, str]:
    """A quote_status for a quote_hash no solver signed (the `serial`-th such), as a foreign status looks."""
    return status_data(_derived("unknown_quote_hash", str(serial)))


def winner(auction: Auction, bids: Sequence[Bid]) -> Bid | None:
    """The best bid for the requester: the most out for exact-in, the least in for exact-out; ties go to
    the earliest."""
    if not bids:
        return None
    side = exact_side(auction.request)
    best_first = (
        (lambda bid: -bid.amount) if side is not None and side[0] == EXACT_IN else (lambda bid: bid.amount)
    )
    return min(bids, key=best_first)  # min keeps the first of equal keys


def settlement(auction: Auction, bids: Sequence[Bid], settles: Settles) -> dict[str, str] | None:
    """The quote_status data to send once `auction` has closed with `bids`, or None if nothing settles."""
    best = winner(auction, bids)
    if best is None or not settles(auction.quote_id):
        return None
    return status_data(best.quote_hash)
