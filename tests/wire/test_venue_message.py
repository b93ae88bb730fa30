"""The relay's quote request is a contract too: its rules, and where a violation is located in a frame."""

from __future__ import annotations

import json
from typing import Any

import pytest

from doran.contracts import (
    MISSING,
    NEAR_INTENTS_QUOTE_REQUEST,
    DeadLetterReason,
    ExactInQuoteRequest,
    ExactOutQuoteRequest,
)
from doran.pipeline.pricing import U128_MAX
from doran.wire import ContractViolation, decode_venue_message, encode, violations

QUOTE: dict[str, Any] = {
    "quote_id": "q-0001",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
    "exact_amount_in": "1000000000000000000000000",
    "min_deadline_ms": 60000,
}
AT = "/params/data"


def pointers(message: Any) -> list[str]:
    with pytest.raises(ContractViolation) as caught:
        decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, message, at=AT)
    assert caught.value.reason is DeadLetterReason.SCHEMA_VIOLATION
    return sorted({violation.pointer for violation in caught.value.violations})


def test_an_exact_in_request_keeps_every_venue_field() -> None:
    message = decode_venue_message(
        NEAR_INTENTS_QUOTE_REQUEST, QUOTE | {"new_field": {"x": 1}, "min_wait_ms": 1000}
    )
    assert isinstance(message, ExactInQuoteRequest)
    assert message.model_dump(exclude_none=True) == QUOTE | {"new_field": {"x": 1}, "min_wait_ms": 1000}


def test_an_exact_out_request_is_the_other_shape() -> None:
    message = decode_venue_message(
        NEAR_INTENTS_QUOTE_REQUEST,
        {k: v for k, v in QUOTE.items() if k != "exact_amount_in"} | {"exact_amount_out": "5"},
    )
    assert isinstance(message, ExactOutQuoteRequest)
    assert (message.exact_amount_in, message.exact_amount_out) == (None, "5")


@pytest.mark.parametrize("quote_id", ["", "has space", 42, "-leading-dash", "x" * 129])
def test_malformed_quote_id(quote_id: object) -> None:
    assert pointers(QUOTE | {"quote_id": quote_id}) == [f"{AT}/quote_id"]


def test_missing_quote_id() -> None:
    assert pointers({k: v for k, v in QUOTE.items() if k != "quote_id"}) == [f"{AT}/quote_id"]


def test_both_amounts_are_refused_at_the_side_that_should_be_open() -> None:
    assert pointers(QUOTE | {"exact_amount_out": "5"}) == [f"{AT}/exact_amount_out"]


def test_neither_amount_is_refused() -> None:
    without = {k: v for k, v in QUOTE.items() if k != "exact_amount_in"}
    assert pointers(without) == [f"{AT}/exact_amount_in"]


@pytest.mark.parametrize(
    "amount", ["1.5", "-1", "+1", "01", "1e18", " 1", "", "0x10", str(U128_MAX + 1), 1000, 10.0, True, ["1"]]
)
def test_amounts_are_u128_decimal_strings(amount: object) -> None:
    assert pointers(QUOTE | {"exact_amount_in": amount}) == [f"{AT}/exact_amount_in"]


def test_u128_max_is_accepted() -> None:
    message = decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, QUOTE | {"exact_amount_in": str(U128_MAX)})
    assert message.exact_amount_in == str(U128_MAX)


@pytest.mark.parametrize(
    "asset",
    ["wrap.near", "nep999:wrap.near", "nep141:", "nep141:Wrap.Near", "erc20:0xabc", "nep171:nft.near", 7],
)
def test_asset_ids_are_nep141_171_or_245(asset: object) -> None:
    message = QUOTE | {"defuse_asset_identifier_in": asset, "defuse_asset_identifier_out": asset}
    assert pointers(message) == [f"{AT}/defuse_asset_identifier_in", f"{AT}/defuse_asset_identifier_out"]


@pytest.mark.parametrize("deadline", [-1, "60000", 60000.5, True, 86_400_001])
def test_min_deadline_ms_is_an_integer_of_at_most_a_day(deadline: object) -> None:
    assert pointers(QUOTE | {"min_deadline_ms": deadline}) == [f"{AT}/min_deadline_ms"]


def test_an_integer_written_with_a_fraction_of_zero_is_an_integer() -> None:
    # JSON Schema's reading (the reference): 60000.0 is the integer 60000.
    message = decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, QUOTE | {"min_deadline_ms": 60000.0})
    assert message.min_deadline_ms == 60000


def test_every_violation_is_reported_at_once() -> None:
    assert pointers({}) == [
        f"{AT}/defuse_asset_identifier_in",
        f"{AT}/defuse_asset_identifier_out",
        f"{AT}/exact_amount_in",
        f"{AT}/min_deadline_ms",
        f"{AT}/quote_id",
    ]


@pytest.mark.parametrize("message", [None, [], "quote", 7])
def test_a_message_that_is_not_an_object_is_refused_whole(message: object) -> None:
    assert pointers(message) == [AT]


@pytest.mark.parametrize("field", ["min_wait_ms", "max_wait_ms"])
def test_an_optional_field_that_may_not_be_null_refuses_null(field: str) -> None:
    # The schema tells absent from null: these may be absent, never null, and both paths agree.
    assert violations(NEAR_INTENTS_QUOTE_REQUEST.name, QUOTE | {field: None}) != []
    assert pointers(QUOTE | {field: None}) == [f"{AT}/{field}"]
    absent = decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, QUOTE)
    assert getattr(absent, field) is MISSING
    assert json.loads(encode(absent)) == QUOTE


def test_an_optional_field_that_may_be_null_reads_absent_as_null_and_keeps_it_absent() -> None:
    absent = decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, QUOTE)
    given = decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, QUOTE | {"exact_amount_out": None})
    assert absent.exact_amount_out is None and given.exact_amount_out is None
    assert "exact_amount_out" not in json.loads(encode(absent))
    assert json.loads(encode(given))["exact_amount_out"] is None
