"""Deterministic, contract-valid event ids and timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from doran.wire import content_id, derive_event_id, utc_timestamp

EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")


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


def test_content_ids_keep_part_boundaries() -> None:
    assert content_id("x-", b"ab", b"c") != content_id("x-", b"a", b"bc")
    assert content_id("x-", b"ab", b"c") == content_id("x-", b"ab", b"c")
