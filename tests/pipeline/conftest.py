"""Builders of pipeline stage inputs: raw quote events and swap demand events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from doran.contracts import NearIntentsQuoteRawEvent, SwapDemandEvent


def raw_event(message: dict[str, Any], event_id: str = "nearq-0001") -> NearIntentsQuoteRawEvent:
    """A raw.near_intents.quote envelope around a venue message, as the relay ingest writes it."""
    return NearIntentsQuoteRawEvent.model_validate(
        {
            "event_id": event_id,
            "event_type": "near_intents_quote_raw",
            "venue": "near_intents",
            "source": "wss://solver-relay-v2.chaindefuser.com/ws",
            "schema_version": 1,
            "observed_at": "2026-03-28T19:59:59.5Z",
            "ingested_at": "2026-03-28T19:59:59.600000Z",
            "payload": {"message": message},
            "raw": {"jsonrpc": "2.0", "method": "event", "params": {"data": message}},
        }
    )


def demand_event(
    asset_in: str,
    asset_out: str,
    *,
    amount_in: str | None = None,
    amount_out: str | None = None,
    ttl_ms: int = 60000,
    quote_id: str = "q-0001",
    event_id: str = "demand-0001",
    answer_by: str = "2026-03-28T20:00:02.500000Z",
) -> SwapDemandEvent:
    """A norm.swap_demand envelope with the given fixed side."""
    return SwapDemandEvent.model_validate(
        {
            "event_id": event_id,
            "event_type": "swap_demand",
            "venue": "near_intents",
            "source": "doran.normalize",
            "schema_version": 1,
            "observed_at": "2026-03-28T19:59:59.5Z",
            "ingested_at": "2026-03-28T19:59:59.700000Z",
            "payload": {
                "quote_id": quote_id,
                "asset_in": asset_in,
                "asset_out": asset_out,
                "amount_in": amount_in,
                "amount_out": amount_out,
                "ttl_ms": ttl_ms,
                "answer_by": answer_by,
            },
            "raw": {"quote_id": quote_id},
        }
    )


@pytest.fixture
def make_raw() -> Callable[..., NearIntentsQuoteRawEvent]:
    return raw_event


@pytest.fixture
def make_demand() -> Callable[..., SwapDemandEvent]:
    return demand_event
