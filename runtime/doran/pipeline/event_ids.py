"""Deterministic envelope ids and timestamps: the same input always yields the same event_id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["DORAN_EVENT_NAMESPACE", "derive_event_id", "utc_timestamp"]

# Fixed forever: changing it would mint new ids for replayed events.
DORAN_EVENT_NAMESPACE = uuid.UUID("6f1d4c1e-2b7a-5d0e-9a57-0d0a7a1d0000")


def derive_event_id(event_type: str, upstream_event_id: str) -> str:
    """UUIDv5 of (event_type, upstream event_id): a replay of the upstream event mints the same id."""
    return str(uuid.uuid5(DORAN_EVENT_NAMESPACE, f"{event_type}\x00{upstream_event_id}"))


def utc_timestamp(now: datetime) -> str:
    """RFC 3339 UTC with a literal Z and microseconds, as common.schema.json#/$defs/Timestamp wants."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"Timestamp {now!r} is naive; inject an aware datetime such as datetime.now(UTC).")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
