"""Which auctions settle, which bid wins, and the quote_status data: deterministic, and keyed by the very
quote_hash the solver's signed_data hashes to."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from doran.devkit.relay_simulator import (
    AuctionBook,
    Bid,
    ContractState,
    Instant,
    default_settles,
    judge_response,
    settlement,
    status_data,
    winner,
)
from doran.nep413 import SignedData
from doran.nep413.base58 import b58decode

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _bid(quote_id: str, amount: int, received: float, quote_hash: str = "h") -> Bid:
    return Bid(quote_id, quote_hash, "solver.near", bytes(32), amount, Instant(received, NOW))


def test_the_default_choice_is_a_deterministic_third_of_quote_ids() -> None:
    ids = [f"quote-{n}" for n in range(3000)]
    chosen = [quote_id for quote_id in ids if default_settles(quote_id)]

    assert chosen == [quote_id for quote_id in ids if default_settles(quote_id)]
    assert all(hashlib.sha256(q.encode()).digest()[0] % 3 == 0 for q in chosen)
    assert 900 < len(chosen) < 1100


def test_status_data_is_derived_from_the_quote_hash() -> None:
    data = status_data("8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt")

    assert data == status_data("8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt")
    assert data["quote_hash"] == "8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt"
    assert len(b58decode(data["intent_hash"])) == len(b58decode(data["tx_hash"])) == 32
    assert data["intent_hash"] != data["tx_hash"]
    assert status_data("other")["intent_hash"] != data["intent_hash"]


def test_the_best_price_wins_and_ties_go_to_the_earliest(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    exact_in = book.open(make_quote("in", exact_in=1000), Instant(0.0, NOW))
    exact_out = book.open(make_quote("out", exact_out=500), Instant(0.0, NOW))
    assert exact_in is not None and exact_out is not None
    bids = [_bid("x", 1990, 0.1, "a"), _bid("x", 1995, 0.2, "b"), _bid("x", 1995, 0.3, "c")]

    assert winner(exact_in, bids) == bids[1]  # the most out for the requester
    assert winner(exact_out, bids) == bids[0]  # the least in
    assert winner(exact_in, []) is None


def test_only_chosen_auctions_with_a_bid_settle(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    auction = book.open(make_quote("q-1"), Instant(0.0, NOW))
    assert auction is not None
    bids = [_bid("q-1", 1992, 0.5, "hash-1")]

    assert settlement(auction, bids, lambda _: True) == status_data("hash-1")
    assert settlement(auction, bids, lambda _: False) is None
    assert settlement(auction, [], lambda _: True) is None


def test_the_settled_quote_hash_is_the_signed_data_quote_hash(
    make_quote: Callable[..., dict[str, Any]],
    make_response: Callable[..., dict[str, Any]],
    contract: ContractState,
) -> None:
    book = AuctionBook()
    auction = book.open(make_quote("q-1"), Instant(0.0, NOW))
    assert auction is not None
    request = make_response(auction.request, 1992, now=NOW)
    bid = judge_response(request["params"], book=book, at=Instant(0.5, NOW), contract=contract)
    assert isinstance(bid, Bid)
    book.accept(bid)

    data = settlement(auction, book.bids(auction), lambda _: True)
    assert data is not None
    assert data["quote_hash"] == SignedData.from_json(request["params"][0]["signed_data"]).quote_hash
