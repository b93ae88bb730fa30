"""Deterministic quote ids, RFC 3339 timestamps and the raw envelope of a relay quote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from doran.contracts import RAW_NEAR_INTENTS_QUOTE, TOPICS, NearIntentsQuoteRawEvent
from doran.relay import canonical_json, content_id, mint_quote_envelope, quote_event_id, rfc3339_utc

DATA: dict[str, Any] = {
    "quote_id": "q-1",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:eth.omft.near",
    "exact_amount_out": "340282366920938463463374607431768211455",
    "min_deadline_ms": 60000,
}
INGESTED = datetime(2026, 3, 28, 19, 53, 29, 123456, tzinfo=UTC)


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_the_same_payload_gets_the_same_id_and_any_change_a_new_one() -> None:
    reordered = dict(reversed(list(DATA.items())))
    assert quote_event_id(DATA) == quote_event_id(reordered)
    assert quote_event_id(DATA) != quote_event_id({**DATA, "min_deadline_ms": 60001})


def test_quote_event_ids_have_the_nearq_form() -> None:
    event_id = quote_event_id(DATA)
    assert event_id.startswith("nearq-")
    assert len(event_id) == len("nearq-") + 32
    int(event_id.removeprefix("nearq-"), 16)


def test_content_id_separates_its_parts() -> None:
    assert content_id("x-", b"ab", b"c") != content_id("x-", b"a", b"bc")


def test_rfc3339_utc_converts_to_utc_with_a_z() -> None:
    plus_two = datetime(2026, 3, 28, 21, 53, 29, 5, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339_utc(plus_two) == "2026-03-28T19:53:29.000005Z"


def test_rfc3339_utc_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rfc3339_utc(datetime(2026, 3, 28, 19, 53, 29))


def test_the_minted_envelope_is_a_valid_raw_quote_event_carrying_the_data_verbatim() -> None:
    observed = INGESTED - timedelta(milliseconds=3)
    envelope = mint_quote_envelope(
        DATA, source="wss://relay.example/ws", observed_at=observed, ingested_at=INGESTED
    )
    event = NearIntentsQuoteRawEvent.model_validate(envelope)
    assert event.event_id == quote_event_id(DATA)
    assert event.event_type == TOPICS[RAW_NEAR_INTENTS_QUOTE].event_type
    assert event.venue == "near_intents"
    assert event.source == "wss://relay.example/ws"
    assert event.observed_at == "2026-03-28T19:53:29.120456Z"
    assert event.ingested_at == "2026-03-28T19:53:29.123456Z"
    assert event.payload.message == DATA
    assert event.raw == DATA


def test_an_unknown_observation_time_is_null() -> None:
    envelope = mint_quote_envelope(DATA, source="replay:x.jsonl", observed_at=None, ingested_at=INGESTED)
    assert envelope["observed_at"] is None
