"""normalize: a raw NEAR Intents quote request -> a swap demand with exactly one fixed side.

The quote request was checked against its contract (schemas/venue/near_intents.quote_request)
when ingest took it onto the bus, so this only maps fields: which side is fixed, the asset ids,
the amounts and the requester's minimum deadline.
"""

from __future__ import annotations

from datetime import datetime

from doran.contracts import NORM_SWAP_DEMAND, ExactInQuoteRequest, NearIntentsQuoteRawEvent, SwapDemandEvent
from doran.wire import derive

__all__ = ["SOURCE", "normalize"]

SOURCE = "doran.normalize"


def normalize(event: NearIntentsQuoteRawEvent, *, now: datetime) -> SwapDemandEvent:
    """The swap demand of a raw quote request; ContractViolation (output_violation) only on a bug."""
    message = event.payload.message
    exact_in = isinstance(message, ExactInQuoteRequest)
    payload = {
        "quote_id": message.quote_id,
        "asset_in": message.defuse_asset_identifier_in,
        "asset_out": message.defuse_asset_identifier_out,
        "amount_in": message.exact_amount_in,
        "amount_out": message.exact_amount_out,
        "ttl_ms": message.min_deadline_ms,
    }
    assert exact_in == (payload["amount_out"] is None)  # the two request shapes fix opposite sides
    return derive(NORM_SWAP_DEMAND, event, payload, source=SOURCE, now=now)
