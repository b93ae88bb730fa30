"""The Kafka shell of `doran dlq replay`: read dlq.doran, plan, find earlier replays, re-feed.

Two steps, so the plan can be shown before anything is written: `prepare_replay` reads the dead
letters and the replay targets and returns the plan (a dry run stops there); `execute_replay`
produces the plan's records. The decisions are `doran.dlq.plan`'s; this module only moves bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaException, Producer

from doran.broker import TopicReader, TopicReadError
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterEvent,
    DeadLetterStage,
)
from doran.dlq.errors import ReplayConfigError, ReplayTargetError, ReplayWriteError
from doran.dlq.plan import (
    REPLAY_HEADER,
    Refeed,
    ReplayPlan,
    Selection,
    plan_replay,
    replay_of,
    replay_records,
    replay_search_starts,
)
from doran.dlq.reingest import FrameReingest
from doran.publish import stage_framing
from doran.settings import Settings
from doran.wire import ContractViolation, Framing, KnownSchemas, decode

__all__ = ["PreparedReplay", "execute_replay", "prepare_replay"]


@dataclass(frozen=True, slots=True)
class PreparedReplay:
    """The plan of a replay, and what it was made from: the broker, and how many records of dlq.doran
    were no dead letter of this contract (`unreadable`: never selected, never replayed)."""

    broker: str
    plan: ReplayPlan
    unreadable: int


def prepare_replay(
    settings: Settings, selection: Selection, *, timeout_s: float, now: datetime
) -> PreparedReplay:
    """Read dlq.doran to its end, select, and decide each dead letter against the replays already made.

    Writes nothing. `now` is the ingest time of records re-ingested from relay frames.
    """
    broker = settings.broker_address
    if not broker:
        raise ReplayConfigError(
            "doran dlq replay needs the broker that holds dlq.doran: set DORAN_BROKER_ADDRESS "
            "(e.g. redpanda:9092)."
        )
    reingest = FrameReingest(settings.relay_max_frame_bytes, settings.max_message_bytes, now)
    with TopicReader(broker, timeout_s=timeout_s, group_id="doran-dlq-replay") as reader:
        letters, unreadable = _read_dead_letters(reader)
        frame = _ingest_framing(settings, letters, selection).frame
        # First without earlier replays: which targets would be written, hence where to look for them.
        draft = plan_replay(letters, frozenset(), selection=selection, reingest=reingest, frame=frame)
        replayed = _find_replayed(reader, draft)
    plan = plan_replay(letters, replayed, selection=selection, reingest=reingest, frame=frame)
    return PreparedReplay(broker, plan, unreadable)


def _ingest_framing(settings: Settings, letters: list[DeadLetterEvent], selection: Selection) -> Framing:
    """How re-ingested records are written: as the ingest stage writes them, with the schema ids of the
    registry (a replay without ingest dead letters writes originals only, and needs no registry)."""
    if not any(
        letter.payload.stage is DeadLetterStage.INGEST and letter.payload in selection for letter in letters
    ):
        return Framing({}, KnownSchemas({}))
    return stage_framing(settings, [RAW_NEAR_INTENTS_QUOTE, RAW_NEAR_INTENTS_QUOTE_STATUS])


def _read_dead_letters(reader: TopicReader) -> tuple[list[DeadLetterEvent], int]:
    topic = DEAD_LETTER_TOPIC.name
    partitions = reader.partitions(topic)
    if partitions is None:
        raise TopicReadError(
            f"{topic} does not exist at {reader.address}: a wrong DORAN_BROKER_ADDRESS, "
            "or the topics were never created (the topic bootstrap Job, or `doran demo`)."
        )
    letters: list[DeadLetterEvent] = []
    unreadable = 0
    for record in reader.read({(topic, partition): 0 for partition in partitions}):
        try:
            letters.append(decode(DEAD_LETTER_TOPIC, record.unframed().data))
        except ContractViolation:
            unreadable += 1  # not a dead letter doran wrote: nothing in it says where to re-feed
    return letters, unreadable


def _find_replayed(reader: TopicReader, draft: ReplayPlan) -> set[str]:
    """The dead-letter ids named by REPLAY_HEADER on the partitions where the draft's replays would go."""
    starts: dict[tuple[str, int], int] = {}
    for (topic, partition), first in replay_search_starts(draft).items():
        existing = reader.partitions(topic)
        if existing is None:
            raise ReplayTargetError(
                f"{_going_to(draft, topic)} would go back to {topic}, which does not exist at "
                f"{reader.address}. Create it (the topic bootstrap), or leave them out with --stage/--reason."
            )
        if partition is not None and partition not in existing:
            raise ReplayTargetError(
                f"{_going_to(draft, topic, partition)} would go back to {topic}[{partition}], but {topic} "
                f"has partitions {existing} at {reader.address}. Leave them out with --stage/--reason."
            )
        for candidate in existing if partition is None else [partition]:
            where = (topic, candidate)
            starts[where] = min(first, starts.get(where, first))
    found: set[str] = set()
    for record in reader.read(starts):
        letter_id = replay_of(record.headers)
        if letter_id is not None:
            found.add(letter_id)
    return found


def _going_to(draft: ReplayPlan, topic: str, partition: int | None = None) -> str:
    """`Dead letter(s) dlq-..., ... (N)`: the draft's dead letters replayed to topic (and partition)."""
    going = [
        item.letter_id
        for item in draft.to_replay
        if item.refeed is not None
        and item.refeed.topic == topic
        and (partition is None or item.refeed.partition == partition)
    ]
    more = f" and {len(going) - 3} more" if len(going) > 3 else ""
    return f"Dead letter(s) {', '.join(going[:3])}{more}"


def execute_replay(prepared: PreparedReplay, *, timeout_s: float) -> int:
    """Produce the records of every REPLAY item of the plan; returns how many the broker acknowledged.

    ReplayWriteError when some were not acknowledged within `timeout_s` (it says how many were);
    running the replay again writes only the missing ones, recognising the others by their header.
    """
    records = [record for item in prepared.plan.to_replay for record in replay_records(item)]
    if not records:
        return 0
    producer = Producer(
        {
            "bootstrap.servers": prepared.broker,
            # Retries never duplicate a record; a duplicate would be harmless downstream, but noise.
            "enable.idempotence": True,
            "message.timeout.ms": int(timeout_s * 1000),
            "log_level": 0,
        }
    )
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    try:
        for record in records:
            _produce(producer, record, delivered)
        unsent = producer.flush(timeout_s)
    except KafkaException as exc:
        raise ReplayWriteError(
            f"The producer failed at {prepared.broker}: {exc.args[0] if exc.args else exc}. {_rerun_hint()}"
        ) from exc
    if failures or unsent:
        landed = len(records) - len(failures) - unsent
        cause = failures[0] if failures else f"no acknowledgement within {timeout_s:g} s"
        raise ReplayWriteError(
            f"{landed} of {len(records)} replayed records were written to {prepared.broker}; "
            f"{len(records) - landed} were not ({cause}). {_rerun_hint()}"
        )
    return len(records)


def _produce(producer: Any, record: Refeed, delivered: Any) -> None:
    placement: dict[str, Any] = {} if record.partition is None else {"partition": record.partition}
    while True:
        try:
            producer.produce(
                record.topic,
                value=record.value,
                key=record.key,
                headers=list(record.headers),
                on_delivery=delivered,
                **placement,
            )
            break
        except BufferError:
            producer.poll(0.5)  # the local queue is full: let deliveries drain it
    producer.poll(0)


def _rerun_hint() -> str:
    return (
        f"Run the replay again: what was written carries the {REPLAY_HEADER} header and is not written twice."
    )
