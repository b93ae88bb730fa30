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

from doran.contracts import VENUE, DeadLetterReason, Envelope, Violation
from doran.schema_source.migration import MigrationFailed
from doran.schema_source.registry import TopicSpec
from doran.wire.errors import ContractViolation
from doran.wire.json_format import json_bytes
from doran.wire.reference import explain

__all__ = [
    "build",
    "canonical_json",
    "content_id",
    "derive",
    "derive_event_id",
    "derived_object",
    "event_object",
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
    offset = instant.utcoffset()
    if offset is None:
        raise ValueError(
            f"Timestamp {instant!r} is naive; inject an aware datetime such as datetime.now(UTC)."
        )
    if offset:
        instant = instant.astimezone(UTC)
    # Formatted by hand: on the per-message path, strftime costs several times this.
    return (
        f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}T{instant.hour:02d}:"
        f"{instant.minute:02d}:{instant.second:02d}.{instant.microsecond:06d}Z"
    )


def parse_timestamp(text: str) -> datetime:
    """The instant of a contract Timestamp (RFC 3339, UTC, Z); digits beyond microseconds are dropped.

    ValueError on anything else. Checked by hand and read by fromisoformat: strptime costs twenty
    times this on the per-message path.
    """
    digits = text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
    fraction = text[20:-1]
    if not (
        len(text) >= 20
        and text[4] + text[7] + text[10] + text[13] + text[16] == "--T::"
        and digits.isascii()
        and digits.isdigit()
        and text[-1] == "Z"
        and (len(text) == 20 or (text[19] == "." and fraction.isascii() and fraction.isdigit()))
    ):
        raise ValueError(f"{text!r} is not a contract Timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)")
    return datetime.fromisoformat(text)  # the shape is checked: this only reads it (C, microseconds)


def build(
    topic: TopicSpec[E],
    payload: Mapping[str, Any],
    *,
    event_id: str,
    source: str | None,
    observed_at: str | None,
    ingested_at: str,
    raw: Mapping[str, Any],
) -> E:
    """The event of `topic` carrying payload; ContractViolation (reason output_violation, every
    violation with its JSON pointer) if the result breaks the topic's contract."""
    envelope = event_object(
        topic,
        payload,
        event_id=event_id,
        source=source,
        observed_at=observed_at,
        ingested_at=ingested_at,
        raw=raw,
    )
    try:
        # As the JSON it becomes: strict JSON mode takes an enum's value, as a consumer will.
        return topic.event_model.__pydantic_validator__.validate_json(json_bytes(envelope), strict=True)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ContractViolation(
            topic.name, DeadLetterReason.OUTPUT_VIOLATION, explain(topic.name, envelope, exc)
        ) from None


def event_object(
    topic: TopicSpec[E],
    payload: Mapping[str, Any],
    *,
    event_id: str,
    source: str | None,
    observed_at: str | None,
    ingested_at: str,
    raw: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON object of the event `build` would make, built without validating it: for stages whose
    construction is proven correct by property tests against the reference validator (ingest:
    tests/stages/test_ingest_core.py; normalize, decide: tests/pipeline/test_outputs_hold_their_contracts.py),
    on the per-message path where validating what was just built costs as much as the rest of the
    stage. `payload` holds JSON values only, in the schema's field order, of the topic's newest
    version: a topic written in an earlier version (`doran.wire.writing`) maps it down first
    (ContractViolation, migration_failed, when its downgrade cannot).
    """
    if topic.from_newest is not None:
        try:
            payload = topic.from_newest.apply(payload)
        except MigrationFailed as exc:
            violation = Violation(
                pointer=f"/payload{exc.pointer}",
                message=f"writing {topic.name} version {topic.schema_version}: {exc.message}",
            )
            raise ContractViolation(topic.name, DeadLetterReason.MIGRATION_FAILED, [violation]) from None
    return {
        "event_id": event_id,
        "event_type": topic.event_type,
        "venue": VENUE,
        "source": source,
        "schema_version": topic.schema_version,
        "observed_at": observed_at,
        "ingested_at": ingested_at,
        "payload": payload,
        "raw": raw,
    }


def derived_object(
    topic: TopicSpec[E], upstream: Envelope, payload: Mapping[str, Any], *, source: str
) -> dict[str, Any]:
    """`event_object` of the event `derive(topic, upstream, payload, source=source)` would make."""
    return event_object(
        topic,
        payload,
        event_id=derive_event_id(topic.event_type, upstream.event_id),
        source=source,
        observed_at=upstream.observed_at,
        ingested_at=upstream.ingested_at,
        raw=upstream.raw,
    )


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
        ingested_at=upstream.ingested_at if now is None else utc_timestamp(now),
        raw=upstream.raw,
    )
