"""u128 parsing at its edges; deterministic, contract-valid event ids and timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from doran.pipeline.amounts import U128_MAX, format_u128, parse_u128
from doran.pipeline.event_ids import derive_event_id, utc_timestamp

EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")


@pytest.mark.parametrize("text", ["0", "1", "340282366920938463463374607431768211455"])
def test_u128_accepts_canonical_decimals_up_to_max(text: str) -> None:
    assert parse_u128(text) == int(text)


@pytest.mark.parametrize(
    "value", [str(U128_MAX + 1), "9" * 39, "00", "01", "-0", "+1", "1.0", "1e3", "", " 1", 1, True, None, 1.0]
)
def test_u128_rejects_everything_else(value: object) -> None:
    assert parse_u128(value) is None


def test_format_u128_refuses_out_of_range() -> None:
    assert format_u128(U128_MAX) == str(U128_MAX)
    with pytest.raises(OverflowError):
        format_u128(U128_MAX + 1)
    with pytest.raises(OverflowError):
        format_u128(-1)


def test_event_ids_are_deterministic_distinct_and_contract_valid() -> None:
    first = derive_event_id("swap_demand", "nearq-1")
    assert first == derive_event_id("swap_demand", "nearq-1")
    assert first != derive_event_id("swap_demand", "nearq-2")
    assert first != derive_event_id("execute_trade", "nearq-1")
    assert EVENT_ID.fullmatch(first)
    assert len(first) <= 128


def test_timestamps_are_utc_with_z() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert utc_timestamp(datetime(2026, 3, 28, 22, 0, 0, 5, tzinfo=plus_two)) == "2026-03-28T20:00:00.000005Z"
    assert TIMESTAMP.fullmatch(utc_timestamp(datetime.now(UTC)))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_timestamp(datetime(2026, 3, 28, 20, 0, 0))
