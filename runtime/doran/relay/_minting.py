"""Deterministic ids and raw envelopes for relay quotes; pure."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from doran.contracts import RAW_NEAR_INTENTS_QUOTE, SCHEMA_VERSION, TOPICS, VENUE

__all__ = ["canonical_json", "content_id", "mint_quote_envelope", "quote_event_id", "rfc3339_utc"]

_QUOTE_ID_PREFIX = "nearq-"


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no whitespace: equal values give equal bytes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode()


def content_id(prefix: str, *parts: bytes) -> str:
    """`prefix` + 32 hex chars of sha256 over the length-prefixed parts; a pure function of the content."""
    digest = hashlib.sha256()
    for part in parts:
        # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return prefix + digest.hexdigest()[:32]


def quote_event_id(data: dict[str, Any]) -> str:
    """Event id of a venue quote: `nearq-` + sha256 of its canonical JSON, so a replay mints no new ids."""
    return content_id(_QUOTE_ID_PREFIX, canonical_json(data))


def rfc3339_utc(instant: datetime) -> str:
    """`instant` as RFC 3339 in UTC with microseconds and a literal Z; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"Timestamps must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mint_quote_envelope(
    data: dict[str, Any], *, source: str, observed_at: datetime | None, ingested_at: datetime
) -> dict[str, Any]:
    """The raw.near_intents.quote envelope of one venue quote; payload.message and raw are `data` verbatim."""
    return {
        "event_id": quote_event_id(data),
        "event_type": TOPICS[RAW_NEAR_INTENTS_QUOTE].event_type,
        "venue": VENUE,
        "source": source,
        "schema_version": SCHEMA_VERSION,
        "observed_at": None if observed_at is None else rfc3339_utc(observed_at),
        "ingested_at": rfc3339_utc(ingested_at),
        "payload": {"message": data},
        "raw": data,
    }
