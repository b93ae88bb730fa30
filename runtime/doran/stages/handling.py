"""The contract of every stage: one consumed message in, one `Handled` out, nothing lost.

A handler never raises for bad input: a message it cannot use becomes a dead letter, a demand it
will not trade becomes a counted decline, an output too large for the broker a dead letter. Every
stage says what became of each message with the one type `Handled`, and counts it with the one
rule `StageMetrics.count`: consumed = published + declined + dead-lettered + skipped + kept. The
stateful stages' cores decide a `doran.verdicts.Verdict` per message, which `handled(...)` encodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from doran.contracts import TOPICS, DeadLetterReason, DeadLetterStage, Envelope, Violation
from doran.pipeline import Declined
from doran.schema_source.registry import TopicSpec
from doran.stages.consumed import Consumed
from doran.stages.dead_letter import dead_letter
from doran.verdicts import Event, Keep, Refuse, Skip, Verdict
from doran.wire import (
    ContractViolation,
    Framing,
    KafkaRecord,
    derived_object,
    kafka_record,
    object_record,
    size_violation,
)

__all__ = ["Consumed", "Handled", "RecordHandler", "event_records", "handled", "oversize_violation", "reject"]

In = TypeVar("In", bound=Envelope)
Out = TypeVar("Out", bound=Envelope)


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one consumed message: the records to produce, and how it ended, exactly one of

    - published: `records` hold its outputs (none of them a dead letter);
    - `declined`: the policy's reason, nothing produced;
    - `dead_letter`: the reason, `records` hold its one dead letter;
    - `skipped`: why nothing is produced again (a duplicate whose output is already published);
    - `kept`: why nothing is produced yet (held in a stateful stage until what it waits for comes:
      a signed quote awaiting its status, a status awaiting its quote);
    - `protocol`: not a message of the pipeline at all (ingest: relay protocol traffic, by kind),
      so not counted as consumed.
    """

    records: tuple[KafkaRecord, ...]
    declined: str | None = None
    dead_letter: str | None = None
    skipped: str | None = None
    protocol: str | None = None
    kept: str | None = None


#: The topic of each event type: a verdict's events go to their own topics.
_TOPIC_OF: dict[str, TopicSpec[Envelope]] = {spec.event_type: spec for spec in TOPICS.values()}


def event_records(events: Iterable[Event]) -> tuple[KafkaRecord, ...]:
    """The records of events, each to its topic (a model, or its JSON object)."""
    return tuple(
        object_record(_TOPIC_OF[event["event_type"]], event)
        if isinstance(event, Mapping)
        else kafka_record(_TOPIC_OF[event.event_type], event)
        for event in events
    )


def handled(
    verdict: Verdict, message: Consumed, stage: DeadLetterStage, now: datetime, max_record_bytes: int
) -> Handled:
    """A core's verdict on `message` as the records to produce: its events, or its dead letter (also
    when one of its events would be larger than the broker takes)."""
    if isinstance(verdict, Skip):
        return Handled((), skipped=verdict.reason)
    if isinstance(verdict, Keep):
        return Handled((), kept=verdict.reason)
    if isinstance(verdict, Refuse):
        return reject(stage, verdict.reason, verdict.violations, message, now, max_record_bytes)
    records = event_records(verdict.events)
    for record in records:
        if record.size > max_record_bytes:
            violation = oversize_violation(record, max_record_bytes)
            return reject(
                stage, DeadLetterReason.MESSAGE_TOO_LARGE, [violation], message, now, max_record_bytes
            )
    return Handled(records)


def reject(
    stage: DeadLetterStage,
    reason: DeadLetterReason,
    violations: Sequence[Violation],
    message: Consumed,
    now: datetime,
    max_record_bytes: int,
) -> Handled:
    """The dead letter of a consumed record, with the reason and every violation's pointer."""
    record = dead_letter(stage, reason, violations, message, now=now, max_record_bytes=max_record_bytes)
    return Handled((record,), dead_letter=reason.value)


def oversize_violation(record: KafkaRecord, limit: int) -> Violation:
    """Why a record a stage built cannot be produced."""
    return size_violation(f"The {record.topic} record built from this message", record.size, limit)


@dataclass(frozen=True, slots=True)
class RecordHandler(Generic[In, Out]):
    """A stage's pure transform between two topics, wrapped so every failure becomes a dead letter.

    The transform gets the typed input event (the source's newest version, whichever version was
    read) and returns the output's payload (JSON values in the schema's field order, of the target's
    newest version; a target written in an earlier version maps it down) or a decline; the handler
    derives the event and encodes it without validating it again (`doran.wire.derived_object`): the
    pipeline's property tests prove each
    transform's outputs hold their contract. A ContractViolation it raises is a dead letter. It is a
    pure function of its input: the same record handled again (a redelivery under at-least-once)
    yields the same bytes. `now` only stamps dead letters. `framing` reads the input in any framing
    and checks the schema it names; the records it returns hold bare JSON, framed by the producer.
    """

    stage: DeadLetterStage
    source: TopicSpec[In]
    target: TopicSpec[Out]
    transform: Callable[[In], Mapping[str, Any] | Declined]
    event_source: str  # the `source` of the events it derives, e.g. doran.normalize
    max_record_bytes: int
    framing: Framing

    def __call__(self, message: Consumed, now: datetime) -> Handled:
        try:
            upstream = self.framing.decode(self.source, message.value, message.headers)
            result = self.transform(upstream)
            if isinstance(result, Declined):
                return Handled((), declined=result.reason_code.value)
            # Written in the target's configured version: a downgrade that cannot map it is a dead letter.
            event = derived_object(self.target, upstream, result, source=self.event_source)
        except ContractViolation as exc:
            return reject(self.stage, exc.reason, exc.violations, message, now, self.max_record_bytes)
        record = object_record(self.target, event)
        if record.size > self.max_record_bytes:
            violation = oversize_violation(record, self.max_record_bytes)
            return reject(
                self.stage,
                DeadLetterReason.MESSAGE_TOO_LARGE,
                [violation],
                message,
                now,
                self.max_record_bytes,
            )
        return Handled((record,))
