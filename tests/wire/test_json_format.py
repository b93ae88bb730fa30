"""One JSON writer: whichever serialiser json_bytes falls back to, the bytes are those `encode` writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doran.contracts import RAW_NEAR_INTENTS_QUOTE
from doran.wire import decode, encode, json_bytes

_RAW_QUOTE = {
    "event_id": "q-1",
    "event_type": "near_intents_quote_raw",
    "venue": "near_intents",
    "source": None,
    "schema_version": 1,
    "observed_at": None,
    "ingested_at": "2026-03-28T20:00:00Z",
    "payload": {
        "message": {
            "quote_id": "q-1",
            "defuse_asset_identifier_in": "nep141:a.near",
            "defuse_asset_identifier_out": "nep141:b.near",
            "exact_amount_in": "1",
            "min_deadline_ms": 60_000,
        }
    },
}

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    # where Python's repr and the JSON writers part ways: repr writes 1e-05, they write 0.00001
    | st.floats(1e-7, 1e-4)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@given(_json_values)
def test_raw_venue_data_is_written_alike_by_both_writers(raw: object) -> None:
    """A venue's raw data beyond 64-bit integers takes the fallback writer; floats beside it are unchanged."""
    instance = {**_RAW_QUOTE, "raw": {"value": raw, "wide": 10**40}}
    event = decode(RAW_NEAR_INTENTS_QUOTE, json_bytes(instance))
    assert json_bytes(instance) == encode(event)


def test_a_float_keeps_its_shortest_form_next_to_a_wide_integer() -> None:
    assert (
        json_bytes({"small": 1e-05, "wide": 10**40})
        == b'{"small":0.00001,"wide":10000000000000000000000000000000000000000}'
    )
    assert json_bytes({"small": 1e-05}) == b'{"small":0.00001}'
