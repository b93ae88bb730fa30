"""Building events: deterministic ids, timestamps, and the one `build` every stage constructs events with.

Ids are content-derived, so the same input always yields the same event_id: a replay, a
redelivery or a second run mints no new ids, and consumers dedupe by event_id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from doran.contracts import SCHEMA_VERSION, VENUE, DeadLetterReason, Envelope
from doran.schema_source.registry import TopicSpec
from doran.wire.errors import ContractViolation
from doran.wire.reference import explain

__all__ = [
    "build",
    "canonical_json",
    "content_id",
    "derive",
    "derive_event_id",
    "parse_timestamp",
    "utc_timestamp",
]

E = TypeVar("E", bound=Envelope)


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


def derive_event_id(event_type: str, upstream_event_id: str) -> str:
    """Id of the event of `event_type` derived from an upstream event: `<event_type>-<32 hex>`."""
    return content_id(f"{event_type}-", event_type.encode(), upstream_event_id.encode())


def utc_timestamp(instant: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a literal Z; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"Timestamp {instant!r} is naive; inject an aware datetime such as datetime.now(UTC)."
        )
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """The instant of a contract Timestamp (RFC 3339, UTC, Z); digits beyond microseconds are dropped."""
    whole, _, fraction = text.removesuffix("Z").partition(".")
    instant = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return instant.replace(microsecond=int((fraction + "000000")[:6])) if fraction else instant


def build(
    topic: TopicSpec[E],
    payload: Mapping[str, Any],
    *,
    event_id: str,
    source: str | None,
    observed_at: str | None,
    now: datetime,
    raw: Mapping[str, Any],
) -> E:
    """The event of `topic` carrying payload; ContractViolation (reason output_violation, every
    violation with its JSON pointer) if the result breaks the topic's contract."""
    envelope = {
        "event_id": event_id,
        "event_type": topic.event_type,
        "venue": VENUE,
        "source": source,
        "schema_version": SCHEMA_VERSION,
        "observed_at": observed_at,
        "ingested_at": utc_timestamp(now),
        "payload": payload,
        "raw": raw,
    }
    try:
        return topic.event_model.model_validate(envelope, strict=True)
    except ValidationError as exc:
        raise ContractViolation(
            topic.name, DeadLetterReason.OUTPUT_VIOLATION, explain(topic.name, envelope, exc)
        ) from None


def derive(
    topic: TopicSpec[E],
    upstream: Envelope,
    payload: Mapping[str, Any],
    *,
    source: str,
    now: datetime | None = None,
) -> E:
    """The event a stage derives from `upstream`: id from its id, observed_at and raw carried over.

    Without `now`, ingested_at is the upstream's too (when the venue event entered doran): the event
    is then a pure function of its input, and a stage that delivers at least once publishes the
    same bytes again, never a variant. `now` stamps events that record when they were made (the
    executor's results).
    """
    return build(
        topic,
        payload,
        event_id=derive_event_id(topic.event_type, upstream.event_id),
        source=source,
        observed_at=upstream.observed_at,
        now=now if now is not None else parse_timestamp(upstream.ingested_at),
        raw=upstream.raw,
    )
