"""Dead letters: a message a stage could not process, kept whole with the reason and where it came from."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime

from doran.contracts import DEAD_LETTER_TOPIC, DeadLetter, DeadLetterReason, DeadLetterStage, Violation
from doran.stages.consumed import Consumed
from doran.wire import KafkaRecord, build, content_id, kafka_record, max_length, utc_timestamp

__all__ = ["ORIGINAL_KEPT_BYTES", "dead_letter"]

_MAX_VIOLATIONS = max_length(DeadLetter, "violations")
_MAX_SOURCE = max_length(DeadLetter, "source_topic")
# The head of the original that fits original_value_b64 once base64-encoded (4 characters per 3
# bytes); a larger original keeps that head, its size and its hash.
ORIGINAL_KEPT_BYTES = max_length(DeadLetter, "original_value_b64") // 4 * 3


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def dead_letter(
    stage: DeadLetterStage,
    reason: DeadLetterReason,
    violations: Sequence[Violation],
    message: Consumed,
    *,
    now: datetime,
    max_record_bytes: int,
) -> KafkaRecord:
    """The dead-letter record of one rejected message, at most max_record_bytes long.

    Its event_id derives from where the message was read (topic, partition, offset) or, for a venue
    feed that has no offsets, from the feed and the bytes: a replay mints no new dead-letter ids.
    A hostile message can carry violations and bytes larger than a record may be: then the
    violations are cut (saying how many were left out) and a shorter head of the original kept.
    """
    where = f"{stage.value}|{message.topic}|{message.partition}|{message.offset}|".encode()
    event_id = content_id("dlq-", where, message.value if message.offset is None else b"")
    count, kept = min(len(violations), _MAX_VIOLATIONS), ORIGINAL_KEPT_BYTES
    while True:
        listed = list(violations[:count])
        if 0 < count < len(violations):
            listed[-1] = Violation(
                pointer="", message=f"{len(violations) - count + 1} more violations left out"
            )
        record = _record(stage, reason, listed, message, kept, event_id, now)
        if record.size <= max_record_bytes or (count <= 1 and kept == 0):
            return record
        if count > 1:
            count //= 2
        else:
            kept = kept // 2 if kept > 1024 else 0


def _record(
    stage: DeadLetterStage,
    reason: DeadLetterReason,
    violations: list[Violation],
    message: Consumed,
    kept: int,
    event_id: str,
    now: datetime,
) -> KafkaRecord:
    key = message.key
    payload = {
        "stage": stage,
        "reason": reason,
        "violations": violations,
        "source_topic": message.topic[:_MAX_SOURCE],
        "source_partition": message.partition,
        "source_offset": message.offset,
        "original_key_b64": _b64(key[:kept] if key is not None else None),
        "original_value_b64": _b64(message.value[:kept]),
        "original_truncated": len(message.value) > kept,
        "original_size_bytes": len(message.value),
        "original_sha256": hashlib.sha256(message.value).hexdigest(),
    }
    event = build(
        DEAD_LETTER_TOPIC,
        payload,
        event_id=event_id,
        source=f"doran.{stage.value}",
        observed_at=None,
        ingested_at=utc_timestamp(now),
        raw={},
    )
    return kafka_record(DEAD_LETTER_TOPIC, event)
