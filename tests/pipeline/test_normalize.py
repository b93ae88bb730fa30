"""normalize: field mapping, envelope and deterministic ids (the quote request's rules are its contract's:
tests/wire/test_venue_message.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from doran.contracts import NORM_SWAP_DEMAND, ExactInSwapDemand, ExactOutSwapDemand, NearIntentsQuoteRawEvent
from doran.pipeline import normalize
from doran.pipeline.pricing import U128_MAX
from doran.wire import decode, encode

NOW = datetime(2026, 3, 28, 20, 0, 0, 250000, tzinfo=UTC)
QUOTE: dict[str, Any] = {
    "quote_id": "q-0001",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
    "exact_amount_in": "1000000000000000000000000",
    "min_deadline_ms": 60000,
}
WINDOW_MS = 3_000
RawFactory = Callable[..., NearIntentsQuoteRawEvent]


def test_exact_in_maps_every_field(make_raw: RawFactory) -> None:
    demand = normalize(make_raw(QUOTE), auction_window_ms=WINDOW_MS).payload
    assert isinstance(demand, ExactInSwapDemand)
    assert demand.model_dump() == {
        "quote_id": "q-0001",
        "asset_in": "nep141:wrap.near",
        "asset_out": "nep141:usdt.tether-token.near",
        "amount_in": "1000000000000000000000000",
        "amount_out": None,
        "ttl_ms": 60000,
        # observed_at 19:59:59.5 + the 3 s auction window
        "answer_by": "2026-03-28T20:00:02.500000Z",
    }


def test_exact_out_sets_amount_out_and_leaves_amount_in_open(make_raw: RawFactory) -> None:
    message = {k: v for k, v in QUOTE.items() if k != "exact_amount_in"} | {"exact_amount_out": "2500000"}
    demand = normalize(make_raw(message), auction_window_ms=WINDOW_MS).payload
    assert isinstance(demand, ExactOutSwapDemand)
    assert (demand.amount_in, demand.amount_out) == (None, "2500000")


def test_envelope_carries_registry_constants_times_and_raw(make_raw: RawFactory) -> None:
    raw = make_raw(QUOTE)
    event = normalize(raw, auction_window_ms=WINDOW_MS)
    assert (event.event_type, event.venue, event.schema_version) == ("swap_demand", "near_intents", 1)
    assert event.source == "doran.normalize"
    assert event.observed_at == raw.observed_at
    assert event.ingested_at == raw.ingested_at  # when the venue event entered doran: no clock here
    assert event.raw == raw.raw


def test_output_passes_the_wire_contract(make_raw: RawFactory) -> None:
    event = normalize(make_raw(QUOTE), auction_window_ms=WINDOW_MS)
    assert decode(NORM_SWAP_DEMAND, encode(event)) == event


def test_event_id_derives_from_the_upstream_id_only(make_raw: RawFactory) -> None:
    first = normalize(make_raw(QUOTE, event_id="nearq-1"), auction_window_ms=WINDOW_MS)
    replay = normalize(make_raw(QUOTE, event_id="nearq-1"), auction_window_ms=WINDOW_MS)
    other = normalize(make_raw(QUOTE, event_id="nearq-2"), auction_window_ms=WINDOW_MS)
    assert first.event_id == replay.event_id
    assert first.event_id != other.event_id
    assert first.event_id != "nearq-1"


def test_u128_max_is_accepted(make_raw: RawFactory) -> None:
    demand = normalize(
        make_raw(QUOTE | {"exact_amount_in": str(U128_MAX)}), auction_window_ms=WINDOW_MS
    ).payload
    assert isinstance(demand, ExactInSwapDemand)
    assert demand.amount_in == str(U128_MAX)


def test_unknown_venue_fields_are_ignored(make_raw: RawFactory) -> None:
    event = normalize(make_raw(QUOTE | {"new_venue_field": {"x": 1}}), auction_window_ms=WINDOW_MS)
    assert event.payload.quote_id == "q-0001"


@pytest.mark.parametrize("asset", ["nep171:nft.near:token-7", "nep245:multi.near:42"])
def test_nep171_and_nep245_ids_are_mapped(make_raw: RawFactory, asset: str) -> None:
    event = normalize(make_raw(QUOTE | {"defuse_asset_identifier_out": asset}), auction_window_ms=WINDOW_MS)
    assert event.payload.asset_out == asset


def test_zero_deadline_is_a_valid_ttl(make_raw: RawFactory) -> None:
    assert (
        normalize(make_raw(QUOTE | {"min_deadline_ms": 0}), auction_window_ms=WINDOW_MS).payload.ttl_ms == 0
    )


def test_answer_by_is_the_relays_max_wait_when_given_else_the_configured_window(make_raw: RawFactory) -> None:
    default = normalize(make_raw(QUOTE), auction_window_ms=WINDOW_MS).payload
    told = normalize(make_raw(QUOTE | {"max_wait_ms": 1200}), auction_window_ms=WINDOW_MS).payload
    assert (default.answer_by, told.answer_by) == (
        "2026-03-28T20:00:02.500000Z",
        "2026-03-28T20:00:00.700000Z",
    )
