"""Dead letters: a message a stage could not process, kept whole with the reason and where it came from."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    SCHEMA_VERSION,
    VENUE,
    DeadLetterEvent,
    DeadLetterReason,
    DeadLetterStage,
    Violation,
)
from doran.pipeline.event_ids import utc_timestamp
from doran.stages.outbound import Outbound, outbound

__all__ = ["ORIGINAL_KEPT_BYTES", "dead_letter"]

_MAX_VIOLATIONS = 100  # the dead-letter schema's maxItems
# Kept whole up to this size: base64 of it plus the envelope stays well under the 1 MB message limit
# that brokers apply by default; a larger original keeps its head, its size and its hash.
ORIGINAL_KEPT_BYTES = 262_144


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def dead_letter(
    stage: DeadLetterStage,
    reason: DeadLetterReason,
    violations: Iterable[Violation | tuple[str, str]],
    *,
    source_topic: str,
    partition: int | None,
    offset: int | None,
    key: bytes | None,
    value: bytes,
    now: datetime,
) -> Outbound:
    """The dead-letter record for one rejected message; its event_id is derived from where it was read."""
    where = f"{stage.value}|{source_topic}|{partition}|{offset}|".encode()
    digest = hashlib.sha256(where + (value if offset is None else b"")).hexdigest()[:32]
    listed = [
        v if isinstance(v, Violation) else Violation(pointer=v[0], message=v[1][:2048]) for v in violations
    ]
    payload = {
        "stage": stage,
        "reason": reason,
        "violations": listed[:_MAX_VIOLATIONS],
        "source_topic": source_topic[:249],
        "source_partition": partition,
        "source_offset": offset,
        "original_key_b64": _b64(key[:ORIGINAL_KEPT_BYTES] if key is not None else None),
        "original_value_b64": _b64(value[:ORIGINAL_KEPT_BYTES]) or "",
        "original_truncated": len(value) > ORIGINAL_KEPT_BYTES,
        "original_size_bytes": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
    }
    envelope = {
        "event_id": f"dlq-{digest}",
        "event_type": "dead_letter",
        "venue": VENUE,
        "source": f"doran.{stage.value}",
        "schema_version": SCHEMA_VERSION,
        "observed_at": None,
        "ingested_at": utc_timestamp(now),
        "payload": payload,
        "raw": {},
    }
    event = DeadLetterEvent.model_validate(envelope, strict=True)
    return outbound(DEAD_LETTER_TOPIC, event)
