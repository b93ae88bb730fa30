"""normalize: a raw NEAR Intents quote request -> a swap demand with exactly one fixed side.

The quote request was checked against its contract (schemas/venue/near_intents.quote_request)
when ingest took it onto the bus, so this only maps fields: which side is fixed, the asset ids,
the amounts, the requester's minimum deadline, and when the relay's auction for it closes.
"""

from __future__ import annotations

from datetime import timedelta

from doran.contracts import NORM_SWAP_DEMAND, NearIntentsQuoteRawEvent, SwapDemandEvent
from doran.wire import derive, parse_timestamp, utc_timestamp

__all__ = ["SOURCE", "normalize"]

SOURCE = "doran.normalize"


def normalize(event: NearIntentsQuoteRawEvent, *, auction_window_ms: int) -> SwapDemandEvent:
    """The swap demand of a raw quote request; ContractViolation (output_violation) only on a bug.

    The auction closes max_wait_ms after the relay sent the request (when it says so; else after
    `auction_window_ms`), counted from when doran observed it: the answer_by every later stage keeps.
    """
    message = event.payload.message
    observed = parse_timestamp(event.observed_at or event.ingested_at)
    window = message.max_wait_ms if message.max_wait_ms is not None else auction_window_ms
    payload = {
        "quote_id": message.quote_id,
        "asset_in": message.defuse_asset_identifier_in,
        "asset_out": message.defuse_asset_identifier_out,
        "amount_in": message.exact_amount_in,
        "amount_out": message.exact_amount_out,
        "ttl_ms": message.min_deadline_ms,
        "answer_by": utc_timestamp(observed + timedelta(milliseconds=window)),
    }
    return derive(NORM_SWAP_DEMAND, event, payload, source=SOURCE)
