"""normalize: a raw NEAR Intents quote request -> a swap demand with exactly one fixed side.

The quote request was checked against its contract (schemas/venue/near_intents.quote_request)
when ingest took it onto the bus, so this only maps fields: which side is fixed, the asset ids,
the amounts, the requester's minimum deadline, and when the relay's auction for it closes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from doran.contracts import (
    MISSING,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterReason,
    NearIntentsQuoteRawEvent,
    SwapDemandEvent,
    Violation,
)
from doran.wire import ContractViolation, derive, parse_timestamp, utc_timestamp

__all__ = ["SOURCE", "normalize", "swap_demand"]

SOURCE = "doran.normalize"
_LATEST = datetime.max.replace(tzinfo=UTC)


def normalize(event: NearIntentsQuoteRawEvent, *, auction_window_ms: int) -> SwapDemandEvent:
    """The swap demand of a raw quote request, validated (ContractViolation, output_violation: a bug)."""
    return derive(
        NORM_SWAP_DEMAND, event, swap_demand(event, auction_window_ms=auction_window_ms), source=SOURCE
    )


def _instant(event: NearIntentsQuoteRawEvent) -> datetime:
    """When the request was observed. The contract's Timestamp pattern admits dates no calendar has
    (February 31st, year 0): such an input is refused as a schema violation, never a crash."""
    field = "observed_at" if event.observed_at is not None else "ingested_at"
    try:
        return parse_timestamp(event.observed_at or event.ingested_at)
    except ValueError as exc:
        violation = Violation(pointer=f"/{field}", message=f"not a calendar instant: {exc}")
        raise ContractViolation(
            RAW_NEAR_INTENTS_QUOTE.name, DeadLetterReason.SCHEMA_VIOLATION, [violation]
        ) from None


def swap_demand(event: NearIntentsQuoteRawEvent, *, auction_window_ms: int) -> dict[str, Any]:
    """The swap demand payload of a raw quote request, as JSON values in the schema's field order.

    The auction closes max_wait_ms after the relay sent the request (when it says so; else after
    `auction_window_ms`), counted from when doran observed it: the answer_by every later stage keeps.
    """
    message = event.payload.message
    observed = _instant(event)
    window = message.max_wait_ms if message.max_wait_ms is not MISSING else auction_window_ms
    # A contract timestamp may be the last representable instant: the auction then closes there.
    closes = observed + timedelta(milliseconds=window) if observed < _LATEST - timedelta(days=2) else _LATEST
    payload: dict[str, Any] = {
        "quote_id": message.quote_id,
        "asset_in": message.defuse_asset_identifier_in,
        "asset_out": message.defuse_asset_identifier_out,
        "amount_in": message.exact_amount_in,
        "amount_out": message.exact_amount_out,
        "ttl_ms": message.min_deadline_ms,
        "answer_by": utc_timestamp(closes),
    }
    return payload
