"""normalize: a raw NEAR Intents quote request -> a swap demand with exactly one fixed side.

The relay's `params.data` (our `payload.message`) carries quote_id, defuse_asset_identifier_in/out,
exactly one of exact_amount_in / exact_amount_out (u128 decimal strings) and min_deadline_ms.
Anything else is an InvalidVenueMessage listing every problem by JSON pointer into the envelope.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from doran.contracts import (
    NORM_SWAP_DEMAND,
    TOPICS,
    NearIntentsQuoteRawEvent,
    SwapDemandEvent,
    bundled_schema,
)
from doran.pipeline.amounts import parse_u128
from doran.pipeline.errors import InvalidVenueMessage
from doran.pipeline.event_ids import derived_envelope

__all__ = ["SOURCE", "normalize"]

SOURCE = "doran.normalize"
_EVENT_TYPE = TOPICS[NORM_SWAP_DEMAND].event_type
_MESSAGE = "/payload/message"

# The output contract's own constraints, so a message is judged by the schema it must become.
_DEFS: dict[str, Any] = bundled_schema(NORM_SWAP_DEMAND)["$defs"]
_QUOTE_ID = re.compile(_DEFS["QuoteId"]["pattern"])
_QUOTE_ID_MAX = int(_DEFS["QuoteId"]["maxLength"])
_ASSET_ID = re.compile(_DEFS["AssetId"]["pattern"])
_ASSET_ID_MAX = int(_DEFS["AssetId"]["maxLength"])
_TTL_MAX = int(_DEFS["ExactInSwapDemand"]["properties"]["ttl_ms"]["maximum"])


def _quote_id(message: dict[str, Any], violations: list[tuple[str, str]]) -> str:
    value = message.get("quote_id")
    pointer = f"{_MESSAGE}/quote_id"
    if value is None:
        violations.append((pointer, "quote_id is missing"))
    elif not isinstance(value, str) or len(value) > _QUOTE_ID_MAX or _QUOTE_ID.fullmatch(value) is None:
        violations.append((pointer, f"quote_id {value!r} is not a quote id (pattern {_QUOTE_ID.pattern})"))
    else:
        return value
    return ""


def _asset(message: dict[str, Any], field: str, violations: list[tuple[str, str]]) -> str:
    value = message.get(field)
    pointer = f"{_MESSAGE}/{field}"
    if value is None:
        violations.append((pointer, f"{field} is missing"))
    elif not isinstance(value, str) or len(value) > _ASSET_ID_MAX or _ASSET_ID.fullmatch(value) is None:
        violations.append((pointer, f"{field} {value!r} is not a nep141/nep171/nep245 asset id"))
    else:
        return value
    return ""


def _fixed_side(message: dict[str, Any], violations: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(amount_in, amount_out) with exactly one set, from exact_amount_in / exact_amount_out."""
    present = [f for f in ("exact_amount_in", "exact_amount_out") if message.get(f) is not None]
    if len(present) != 1:
        found = "both" if present else "neither"
        violations.append(
            (_MESSAGE, f"exactly one of exact_amount_in / exact_amount_out must be set, found {found}")
        )
        return None, None
    field = present[0]
    value = message[field]
    if parse_u128(value) is None:
        violations.append(
            (
                f"{_MESSAGE}/{field}",
                f"{field} {value!r} is not a u128 decimal string (digits, no leading zero, <= 2^128-1)",
            )
        )
        return None, None
    return (value, None) if field == "exact_amount_in" else (None, value)


def _ttl_ms(message: dict[str, Any], violations: list[tuple[str, str]]) -> int:
    value = message.get("min_deadline_ms")
    pointer = f"{_MESSAGE}/min_deadline_ms"
    # bool is an int in Python but not an integer in JSON.
    if value is None:
        violations.append((pointer, "min_deadline_ms is missing"))
    elif not isinstance(value, int) or isinstance(value, bool):
        violations.append((pointer, f"min_deadline_ms {value!r} is not an integer"))
    elif not 0 <= value <= _TTL_MAX:
        violations.append((pointer, f"min_deadline_ms {value} is outside 0..{_TTL_MAX}"))
    else:
        return value
    return 0


def normalize(event: NearIntentsQuoteRawEvent, *, now: datetime) -> SwapDemandEvent:
    """The swap demand of a raw quote request; raises InvalidVenueMessage with every violation found."""
    message = event.payload.message
    violations: list[tuple[str, str]] = []
    quote_id = _quote_id(message, violations)
    asset_in = _asset(message, "defuse_asset_identifier_in", violations)
    asset_out = _asset(message, "defuse_asset_identifier_out", violations)
    amount_in, amount_out = _fixed_side(message, violations)
    ttl_ms = _ttl_ms(message, violations)
    if violations:
        raise InvalidVenueMessage(event.event_id, violations)
    payload = {
        "quote_id": quote_id,
        "asset_in": asset_in,
        "asset_out": asset_out,
        "amount_in": amount_in,
        "amount_out": amount_out,
        "ttl_ms": ttl_ms,
    }
    envelope = derived_envelope(event, _EVENT_TYPE, SOURCE, payload, now=now)
    return SwapDemandEvent.model_validate(envelope, strict=True)
