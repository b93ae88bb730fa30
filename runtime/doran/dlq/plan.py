"""What replaying dead letters does, per dead letter: pure data and decisions, no I/O.

A dead letter is re-fed to where it came from. One rejected by a consuming stage (normalize, decide,
execute) goes back, original key and bytes, to the partition of the topic it was read from, and that
stage judges it again; stage outputs have deterministic event ids, so a replay mints no new ids
downstream. The relay feed of an ingest dead letter cannot be re-fed: its original frame goes through
the ingest code again (`reingest`) and what that yields now is produced instead.

Every replayed record names its dead letter in the header REPLAY_HEADER. Finding that header on a
target topic is what makes a dead letter "already replayed", so a second replay writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from doran.contracts import DEAD_LETTER_TOPIC, DeadLetter, DeadLetterEvent, DeadLetterReason, DeadLetterStage
from doran.stages.handling import Handled
from doran.wire import KafkaRecord, decode

__all__ = [
    "REPLAY_HEADER",
    "Disposition",
    "PlanItem",
    "Refeed",
    "ReplayPlan",
    "Selection",
    "plan_replay",
    "replay_of",
    "replay_records",
    "replay_search_starts",
]

#: Header of every replayed record: the event_id of the dead letter it re-feeds.
REPLAY_HEADER = "doran_replay_of"

#: The ingest verdict on one original frame of a feed (doran.dlq.reingest.FrameReingest).
Reingest = Callable[[str, bytes], Handled]
#: The bytes a record of a topic goes on the wire as, from its JSON (doran.wire.Framing.frame).
Frame = Callable[[str, bytes], bytes]


class Disposition(StrEnum):
    """What a replay does with one selected dead letter."""

    REPLAY = "will replay"
    ALREADY_REPLAYED = "already replayed"
    NOT_REPLAYABLE = "not replayable"
    STILL_REJECTED = "still rejected"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters to replay: those of any of `stages` and any of `reasons` (empty: every one)."""

    stages: frozenset[DeadLetterStage] = frozenset()
    reasons: frozenset[DeadLetterReason] = frozenset()

    def __contains__(self, letter: DeadLetter) -> bool:
        return (not self.stages or letter.stage in self.stages) and (
            not self.reasons or letter.reason in self.reasons
        )

    def describe(self) -> str:
        stages = ", ".join(sorted(self.stages)) or "any"
        reasons = ", ".join(sorted(self.reasons)) or "any"
        return f"stage {stages}; reason {reasons}"


@dataclass(frozen=True, slots=True)
class Refeed:
    """One record a replay writes: to `partition` of `topic`, or where the producer's partitioner puts
    its key when `partition` is None."""

    topic: str
    partition: int | None
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class PlanItem:
    """The decision for one dead letter.

    `target` is the topic a replay goes (or went) to, None when nothing is produced; `refeed` what a
    replay writes (without REPLAY_HEADER), set for REPLAY and ALREADY_REPLAYED. `why` is the short
    cause of NOT_REPLAYABLE or STILL_REJECTED (for grouping), `detail` the full explanation.
    """

    letter_id: str
    stage: DeadLetterStage
    reason: DeadLetterReason
    source: str
    source_partition: int | None
    source_offset: int | None
    disposition: Disposition
    target: str | None = None
    refeed: Refeed | None = None
    why: str = ""
    detail: str = ""

    @property
    def label(self) -> str:
        """The disposition, with its cause when it has one: `still rejected: not_json`."""
        return f"{self.disposition.value}: {self.why}" if self.why else self.disposition.value

    @property
    def origin(self) -> str:
        """Where the dead letter's original was read: `topic[partition]@offset`, or the feed."""
        if self.source_partition is None:
            return self.source
        offset = "" if self.source_offset is None else f"@{self.source_offset}"
        return f"{self.source}[{self.source_partition}]{offset}"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The decision for every selected dead letter, in the order they were read.

    `read` counts the dead letters read, `repeated` those whose event_id was read before (the same
    message rejected again, e.g. after a redelivery): each event_id is planned once.
    """

    items: tuple[PlanItem, ...]
    read: int
    repeated: int

    @property
    def selected(self) -> int:
        return len(self.items)

    def count(self, disposition: Disposition) -> int:
        return sum(1 for item in self.items if item.disposition is disposition)

    @property
    def to_replay(self) -> tuple[PlanItem, ...]:
        return tuple(item for item in self.items if item.disposition is Disposition.REPLAY)


def plan_replay(
    letters: Sequence[DeadLetterEvent],
    replayed: Collection[str],
    *,
    selection: Selection,
    reingest: Reingest,
    frame: Frame,
) -> ReplayPlan:
    """Decide, for each distinct dead letter of `selection`, what replaying it does.

    `replayed` holds the event ids of dead letters whose replay is already on a target topic (their
    REPLAY_HEADER values). A truncated original cannot be replayed; an ingest dead letter is judged
    by `reingest` and is "still rejected" when the ingest code refuses its frame again; what it yields
    is written as ingest writes it, framed by `frame` (`doran.wire.Framing.frame`). Other originals go
    back byte for byte, in whatever framing they came.
    """
    seen: set[str] = set()
    items: list[PlanItem] = []
    for letter in letters:
        if letter.event_id in seen:
            continue
        seen.add(letter.event_id)
        if letter.payload in selection:
            items.append(_decide(letter, replayed, reingest, frame))
    return ReplayPlan(tuple(items), read=len(letters), repeated=len(letters) - len(seen))


def _decide(letter: DeadLetterEvent, replayed: Collection[str], reingest: Reingest, frame: Frame) -> PlanItem:
    payload = letter.payload
    item = PlanItem(
        letter_id=letter.event_id,
        stage=payload.stage,
        reason=payload.reason,
        source=payload.source_topic,
        source_partition=payload.source_partition,
        source_offset=payload.source_offset,
        disposition=Disposition.NOT_REPLAYABLE,
    )
    original = _original(payload)
    if isinstance(original, _Unusable):
        return replace(item, why=original.why, detail=original.detail)
    key, value = original
    if payload.stage is DeadLetterStage.INGEST:
        handled = reingest(payload.source_topic, value)
        if handled.protocol is not None:
            detail = f"ingest now reads the frame as protocol traffic ({handled.protocol}), not a message"
            return replace(
                item, disposition=Disposition.STILL_REJECTED, why="protocol traffic", detail=detail
            )
        if handled.dead_letter is not None or not handled.records:
            why = handled.dead_letter or "no record"
            first = _first_violation(handled.records[0] if handled.records else None)
            detail = f"ingest rejects the frame again{first}; nothing is produced"
            return replace(item, disposition=Disposition.STILL_REJECTED, why=why, detail=detail)
        (record,) = handled.records
        value = frame(record.topic, record.value)
        refeed = Refeed(record.topic, None, record.key.encode(), value, tuple(record.headers))
    else:
        refeed = Refeed(payload.source_topic, payload.source_partition, key, value)
    if letter.event_id in replayed:
        disposition = Disposition.ALREADY_REPLAYED
        detail = f"a record on {refeed.topic} already carries {REPLAY_HEADER}={letter.event_id}"
    else:
        disposition = Disposition.REPLAY
        detail = ""
    return replace(item, disposition=disposition, target=refeed.topic, refeed=refeed, detail=detail)


def _first_violation(record: KafkaRecord | None) -> str:
    """`: <pointer>: <message>` of the first violation in the dead letter ingest would write now."""
    if record is None:
        return ""
    violations = decode(DEAD_LETTER_TOPIC, record.value).payload.violations
    if not violations:
        return ""
    return f": {violations[0].pointer or '(whole frame)'}: {violations[0].message}"


@dataclass(frozen=True, slots=True)
class _Unusable:
    why: str
    detail: str


def _original(payload: DeadLetter) -> tuple[bytes | None, bytes] | _Unusable:
    """The original key and bytes, whole and intact, or why they cannot be replayed."""
    if payload.original_truncated:
        kept = len(payload.original_value_b64) // 4 * 3
        where = (
            "the relay does not resend frames"
            if payload.source_partition is None
            else f"the whole message may still be at {payload.source_topic}[{payload.source_partition}]"
            f"@{payload.source_offset}"
        )
        return _Unusable(
            "original truncated",
            f"only the first ~{kept} of {payload.original_size_bytes} bytes were kept; {where}",
        )
    try:
        value = base64.b64decode(payload.original_value_b64, validate=True)
        key = (
            None
            if payload.original_key_b64 is None
            else base64.b64decode(payload.original_key_b64, validate=True)
        )
    except binascii.Error as exc:
        return _Unusable("original not base64", f"original_key_b64/original_value_b64 do not decode: {exc}")
    if (
        hashlib.sha256(value).hexdigest() != payload.original_sha256
        or len(value) != payload.original_size_bytes
    ):
        return _Unusable(
            "original damaged",
            f"the {len(value)} kept bytes do not match original_sha256/original_size_bytes "
            f"({payload.original_size_bytes} bytes)",
        )
    return key, value


def replay_records(item: PlanItem) -> tuple[Refeed, ...]:
    """The records replaying `item` produces: its refeed, marked with REPLAY_HEADER; none unless REPLAY."""
    if item.disposition is not Disposition.REPLAY or item.refeed is None:
        return ()
    refeed = item.refeed
    marked = (*refeed.headers, (REPLAY_HEADER, item.letter_id.encode()))
    return (Refeed(refeed.topic, refeed.partition, refeed.key, refeed.value, marked),)


def replay_of(headers: Sequence[tuple[str, bytes | None]] | None) -> str | None:
    """The event_id of the dead letter a record replays, from its headers; None for any other record."""
    for name, value in headers or ():
        if name == REPLAY_HEADER and value is not None:
            return value.decode("utf-8", "replace")
    return None


def replay_search_starts(plan: ReplayPlan) -> dict[tuple[str, int | None], int]:
    """Where earlier replays of the plan's REPLAY items can be: (topic, partition) -> first offset.

    A re-fed original goes to its own partition, so its replay lies after the original's offset there;
    a partition of None (ingest's records, placed by key) means every partition, from the start.
    """
    starts: dict[tuple[str, int | None], int] = {}
    for item in plan.to_replay:
        refeed = item.refeed
        if refeed is None:
            continue
        where: tuple[str, int | None]
        if refeed.partition is None:
            where, first = (refeed.topic, None), 0
        else:
            after = item.source_offset
            where, first = (refeed.topic, refeed.partition), 0 if after is None else after + 1
        starts[where] = min(first, starts.get(where, first))
    return starts
