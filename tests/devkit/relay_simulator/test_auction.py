"""The auction book on a hand-moved clock: windows, republished quotes, bids and spent nonces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from doran.devkit.relay_simulator import DEFAULT_MAX_WAIT_MS, AuctionBook, Bid, Instant

WALL = datetime(2025, 1, 1, tzinfo=UTC)


def at(monotonic: float) -> Instant:
    return Instant(monotonic, WALL)


def _bid(quote_id: str, received: float, *, signer: str = "solver.near", nonce: bytes = bytes(32)) -> Bid:
    return Bid(quote_id, "hash", signer, nonce, 1992, at(received))


def test_an_auction_is_open_from_its_event_for_max_wait_ms(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    auction = book.open(make_quote("q-1", max_wait_ms=1500), at(100.0))

    assert auction is not None and auction.closes_at == 101.5
    assert book.find_open("q-1", 100.0) == auction
    assert book.find_open("q-1", 101.499) == auction
    assert book.find_open("q-1", 101.5) is None  # closed at exactly max_wait_ms
    assert book.find_open("q-2", 100.0) is None


@pytest.mark.parametrize("max_wait_ms", [None, 0, -5, "3000", True])
def test_the_default_window_applies_when_the_event_names_no_usable_one(
    make_quote: Callable[..., dict[str, Any]], max_wait_ms: Any
) -> None:
    book = AuctionBook(default_max_wait_ms=250)
    quote = make_quote() | {"max_wait_ms": max_wait_ms}
    auction = book.open(quote, at(10.0))

    assert auction is not None and auction.closes_at == pytest.approx(10.25)
    assert AuctionBook().default_max_wait_ms == DEFAULT_MAX_WAIT_MS == 3000


def test_an_event_without_a_quote_id_opens_no_auction(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    assert book.open({"defuse_asset_identifier_in": "nep141:ft1.near"}, at(0.0)) is None
    assert book.open(make_quote(""), at(0.0)) is None


def test_a_republished_quote_id_opens_a_fresh_auction(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    first = book.open(make_quote("q-1", max_wait_ms=1000), at(0.0))
    assert first is not None
    book.accept(_bid("q-1", 0.5))
    second = book.open(make_quote("q-1", max_wait_ms=1000), at(5.0))

    assert second is not None and second.serial != first.serial
    assert book.find_open("q-1", 5.5) == second
    assert book.bids(second) == () and len(book.bids(first)) == 1
    assert not book.has_bid(second, "solver.near") and book.has_bid(first, "solver.near")


def test_an_accepted_bid_spends_its_nonce_for_its_signer(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    book.open(make_quote("q-1"), at(0.0))
    auction = book.accept(_bid("q-1", 1.0, nonce=b"\1" * 32))

    assert book.bids(auction) == (_bid("q-1", 1.0, nonce=b"\1" * 32),)
    assert book.used_nonces == {"solver.near": {b"\1" * 32}}


def test_a_bid_outside_its_window_is_not_recorded(make_quote: Callable[..., dict[str, Any]]) -> None:
    book = AuctionBook()
    book.open(make_quote("q-1", max_wait_ms=1000), at(0.0))

    with pytest.raises(ValueError, match="No auction of quote 'q-1' was open"):
        book.accept(_bid("q-1", 1.0))
    with pytest.raises(ValueError, match="positive"):
        AuctionBook(default_max_wait_ms=0)
