"""The stage contract shared by every consuming stage: one consumed record in, records out, nothing lost.

A handler never raises for bad input: a message it cannot use becomes a dead letter, a demand it
will not trade becomes a counted decline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from doran.contracts import DeadLetterReason, DeadLetterStage, Envelope
from doran.pipeline import Declined, InvalidVenueMessage
from doran.stages.dead_letter import dead_letter
from doran.stages.outbound import Outbound, outbound
from doran.wire import ContractViolation, decode

__all__ = ["Consumed", "Handled", "Transform", "transform_record"]


@dataclass(frozen=True, slots=True)
class Consumed:
    """One record as read from Kafka, with where it was read."""

    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one consumed record: what to produce, and why nothing was when so."""

    records: tuple[Outbound, ...]
    declined: str | None = None
    dead_letter: str | None = None


Transform = Callable[[Envelope, datetime], Envelope | Declined]


def _rejected(
    stage: DeadLetterStage, reason: DeadLetterReason, violations: object, message: Consumed, now: datetime
) -> Handled:
    record = dead_letter(
        stage,
        reason,
        violations,  # type: ignore[arg-type]
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        now=now,
    )
    return Handled((record,), dead_letter=reason.value)


def transform_record(
    stage: DeadLetterStage, out_topic: str, transform: Transform, message: Consumed, now: datetime
) -> Handled:
    """Validate the input, apply the stage's pure transform, validate the output; failures go to the DLQ."""
    try:
        event = decode(message.topic, message.value)
    except ContractViolation as exc:
        return _rejected(stage, DeadLetterReason(exc.reason), exc.violations, message, now)
    try:
        result = transform(event, now)
    except InvalidVenueMessage as exc:
        return _rejected(stage, DeadLetterReason.INVALID_VENUE_MESSAGE, exc.violations, message, now)
    except ValidationError as exc:  # the transform built an event its own contract refuses
        found = [("/" + "/".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        return _rejected(stage, DeadLetterReason.OUTPUT_VIOLATION, found, message, now)
    if isinstance(result, Declined):
        return Handled((), declined=result.reason_code.value)
    try:
        return Handled((outbound(out_topic, result),))
    except ContractViolation as exc:
        return _rejected(stage, DeadLetterReason.OUTPUT_VIOLATION, exc.violations, message, now)
