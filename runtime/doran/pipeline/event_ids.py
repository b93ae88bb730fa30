"""Deterministic envelope ids, timestamps and derived envelopes: the same input yields the same event_id."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from doran.contracts import SCHEMA_VERSION, VENUE, Envelope

__all__ = ["derive_event_id", "derived_envelope", "utc_timestamp"]


def derive_event_id(event_type: str, upstream_event_id: str) -> str:
    """`<event_type>-<32 hex of sha256(event_type, upstream id)>`: a replay of the input mints the same id."""
    digest = hashlib.sha256(f"{event_type}\x00{upstream_event_id}".encode()).hexdigest()
    return f"{event_type}-{digest[:32]}"


def utc_timestamp(now: datetime) -> str:
    """RFC 3339 UTC with a literal Z and microseconds, as common.schema.json#/$defs/Timestamp wants."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"Timestamp {now!r} is naive; inject an aware datetime such as datetime.now(UTC).")
    # isoformat of a UTC datetime ends in +00:00; the contract wants Z.
    return now.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def derived_envelope(
    upstream: Envelope, event_type: str, source: str, payload: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """The envelope of an event one stage derives from another: id from the upstream id, observed_at
    and raw carried over, ingested_at now. Validate it with the topic's event model."""
    return {
        "event_id": derive_event_id(event_type, upstream.event_id),
        "event_type": event_type,
        "venue": VENUE,
        "source": source,
        "schema_version": SCHEMA_VERSION,
        "observed_at": upstream.observed_at,
        "ingested_at": utc_timestamp(now),
        "payload": payload,
        "raw": upstream.raw,
    }
