"""normalize: field mapping, envelope, deterministic ids, and every InvalidVenueMessage rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doran.contracts import NORM_SWAP_DEMAND, ExactInSwapDemand, ExactOutSwapDemand, NearIntentsQuoteRawEvent
from doran.errors import DoranError
from doran.pipeline import InvalidVenueMessage, normalize
from doran.pipeline.amounts import U128_MAX
from doran.wire import decode, encode

NOW = datetime(2026, 3, 28, 20, 0, 0, 250000, tzinfo=UTC)
QUOTE: dict[str, Any] = {
    "quote_id": "q-0001",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
    "exact_amount_in": "1000000000000000000000000",
    "min_deadline_ms": 60000,
}
RawFactory = Callable[..., NearIntentsQuoteRawEvent]
M = "/payload/message"


def pointers(message: dict[str, Any], make_raw: RawFactory) -> list[str]:
    with pytest.raises(InvalidVenueMessage) as caught:
        normalize(make_raw(message), now=NOW)
    return [pointer for pointer, _ in caught.value.violations]


def test_exact_in_maps_every_field(make_raw: RawFactory) -> None:
    demand = normalize(make_raw(QUOTE), now=NOW).payload
    assert isinstance(demand, ExactInSwapDemand)
    assert demand.model_dump() == {
        "quote_id": "q-0001",
        "asset_in": "nep141:wrap.near",
        "asset_out": "nep141:usdt.tether-token.near",
        "amount_in": "1000000000000000000000000",
        "amount_out": None,
        "ttl_ms": 60000,
    }


def test_exact_out_sets_amount_out_and_leaves_amount_in_open(make_raw: RawFactory) -> None:
    message = {k: v for k, v in QUOTE.items() if k != "exact_amount_in"} | {"exact_amount_out": "2500000"}
    demand = normalize(make_raw(message), now=NOW).payload
    assert isinstance(demand, ExactOutSwapDemand)
    assert (demand.amount_in, demand.amount_out) == (None, "2500000")


def test_envelope_carries_registry_constants_times_and_raw(make_raw: RawFactory) -> None:
    raw = make_raw(QUOTE)
    event = normalize(raw, now=NOW)
    assert (event.event_type, event.venue, event.schema_version) == ("swap_demand", "near_intents", 1)
    assert event.source == "doran.normalize"
    assert event.observed_at == raw.observed_at
    assert event.ingested_at == "2026-03-28T20:00:00.250000Z"
    assert event.raw == raw.raw


def test_output_passes_the_wire_contract(make_raw: RawFactory) -> None:
    event = normalize(make_raw(QUOTE), now=NOW)
    assert decode(NORM_SWAP_DEMAND, encode(event)) == event


def test_event_id_derives_from_the_upstream_id_only(make_raw: RawFactory) -> None:
    first = normalize(make_raw(QUOTE, event_id="nearq-1"), now=NOW)
    replay = normalize(make_raw(QUOTE, event_id="nearq-1"), now=NOW + timedelta(hours=1))
    other = normalize(make_raw(QUOTE, event_id="nearq-2"), now=NOW)
    assert first.event_id == replay.event_id
    assert first.event_id != other.event_id
    assert first.event_id != "nearq-1"


def test_u128_max_is_accepted(make_raw: RawFactory) -> None:
    demand = normalize(make_raw(QUOTE | {"exact_amount_in": str(U128_MAX)}), now=NOW).payload
    assert isinstance(demand, ExactInSwapDemand)
    assert demand.amount_in == str(U128_MAX)


def test_unknown_venue_fields_are_ignored(make_raw: RawFactory) -> None:
    event = normalize(make_raw(QUOTE | {"new_venue_field": {"x": 1}}), now=NOW)
    assert event.payload.quote_id == "q-0001"


@pytest.mark.parametrize("quote_id", [None, "", "has space", 42, "-leading-dash", "x" * 129])
def test_missing_or_malformed_quote_id(make_raw: RawFactory, quote_id: object) -> None:
    message = QUOTE | {"quote_id": quote_id}
    if quote_id is None:
        del message["quote_id"]
    assert pointers(message, make_raw) == [f"{M}/quote_id"]


def test_both_amounts_is_a_violation_of_the_message(make_raw: RawFactory) -> None:
    assert pointers(QUOTE | {"exact_amount_out": "5"}, make_raw) == [M]


def test_neither_amount_is_a_violation_of_the_message(make_raw: RawFactory) -> None:
    message = {k: v for k, v in QUOTE.items() if k != "exact_amount_in"}
    assert pointers(message, make_raw) == [M]
    assert pointers(message | {"exact_amount_in": None, "exact_amount_out": None}, make_raw) == [M]


@pytest.mark.parametrize(
    "amount", ["1.5", "-1", "+1", "01", "1e18", " 1", "", "0x10", str(U128_MAX + 1), 1000, 10.0, True, ["1"]]
)
def test_amount_must_be_a_u128_decimal_string(make_raw: RawFactory, amount: object) -> None:
    assert pointers(QUOTE | {"exact_amount_in": amount}, make_raw) == [f"{M}/exact_amount_in"]
    out_message = {k: v for k, v in QUOTE.items() if k != "exact_amount_in"} | {"exact_amount_out": amount}
    assert pointers(out_message, make_raw) == [f"{M}/exact_amount_out"]


@pytest.mark.parametrize(
    "asset",
    [
        None,
        "wrap.near",
        "nep999:wrap.near",
        "nep141:",
        "nep141:Wrap.Near",
        "erc20:0xabc",
        "nep171:nft.near",
        7,
    ],
)
def test_asset_ids_must_be_nep141_171_or_245(make_raw: RawFactory, asset: object) -> None:
    message = QUOTE | {"defuse_asset_identifier_in": asset, "defuse_asset_identifier_out": asset}
    assert pointers(message, make_raw) == [
        f"{M}/defuse_asset_identifier_in",
        f"{M}/defuse_asset_identifier_out",
    ]


@pytest.mark.parametrize("asset", ["nep171:nft.near:token-7", "nep245:multi.near:42"])
def test_nep171_and_nep245_ids_are_accepted(make_raw: RawFactory, asset: str) -> None:
    assert (
        normalize(make_raw(QUOTE | {"defuse_asset_identifier_out": asset}), now=NOW).payload.asset_out
        == asset
    )


@pytest.mark.parametrize("deadline", [None, -1, "60000", 60000.0, True, 86_400_001])
def test_min_deadline_ms_missing_negative_or_not_an_integer(make_raw: RawFactory, deadline: object) -> None:
    message = QUOTE | {"min_deadline_ms": deadline}
    if deadline is None:
        del message["min_deadline_ms"]
    assert pointers(message, make_raw) == [f"{M}/min_deadline_ms"]


def test_zero_deadline_is_a_valid_ttl(make_raw: RawFactory) -> None:
    assert normalize(make_raw(QUOTE | {"min_deadline_ms": 0}), now=NOW).payload.ttl_ms == 0


def test_every_violation_is_reported_at_once(make_raw: RawFactory) -> None:
    with pytest.raises(InvalidVenueMessage) as caught:
        normalize(make_raw({}, event_id="nearq-bad"), now=NOW)
    error = caught.value
    assert [p for p, _ in error.violations] == [
        f"{M}/quote_id",
        f"{M}/defuse_asset_identifier_in",
        f"{M}/defuse_asset_identifier_out",
        M,
        f"{M}/min_deadline_ms",
    ]
    assert error.event_id == "nearq-bad"
    assert error.reason == "invalid_venue_message"
    assert isinstance(error, DoranError)
    assert isinstance(error, ValueError)
    assert "nearq-bad" in str(error)
    assert "5 violation(s)" in str(error)
