"""A stage's changelog: the Kafka topic its state lives in, and the record each change becomes.

One topic per stateful stage, `<consumer group>.changelog`, with as many partitions as its input
topic: partition n holds the state of input partition n, and only the replica that owns input
partition n writes to it, in the transaction that also publishes its outputs and commits its input
offsets. A record's key is `<table>/<key>`; its value is the row as JSON, or null (a tombstone)
for a deletion.

A change made because of an input record carries where that record was read (header
`doran_input_offset`, "<topic>:<offset>"): a restore applies it only once the consumer group's
committed offset is past it, that is once its transaction committed. Kafka's read_committed hides
an aborted transaction by itself; tansu (the embedded broker) serves an aborted transaction's
records as committed once it is aborted, and this rule keeps a restore right on both.

A transaction that commits input offsets but changes nothing (every record a duplicate) carries a
progress record (`progress_record`: key `~progress/<input topic>`, the next offset to read), which a
restore passes over: tansu commits no offsets from a transaction without records.

cleanup.policy compact,delete: compaction keeps each key's latest row, and retention.ms (the
stage's history) forgets rows as old as the working store forgets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from doran.state.errors import ChangelogMismatch, StoreUnreadable
from doran.state.partition_store import Change, Row

__all__ = [
    "INPUT_OFFSET_HEADER",
    "ChangelogRecord",
    "changelog_record",
    "changelog_topic",
    "decode_change",
    "ensure_changelog",
    "input_offset",
    "progress_record",
]

INPUT_OFFSET_HEADER = "doran_input_offset"
_PROGRESS = "~progress"


def changelog_topic(group: str) -> str:
    """The changelog topic of the stage whose consumer group is `group`."""
    return f"{group}.changelog"


@dataclass(frozen=True, slots=True)
class ChangelogRecord:
    """A change as the record to produce, to the changelog partition of its input partition."""

    partition: int
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


def changelog_record(
    partition: int, change: Change, source: tuple[str, int] | None = None
) -> ChangelogRecord:
    """The record of `change` for changelog `partition`; `source` (topic, offset) of the input record
    that caused it, if one did."""
    value = None if change.row is None else orjson.dumps({"at": change.row.at, "value": change.row.value})
    headers = [] if source is None else [(INPUT_OFFSET_HEADER, f"{source[0]}:{source[1]}".encode())]
    return ChangelogRecord(partition, f"{change.table}/{change.key}".encode(), value, headers)


def progress_record(partition: int, topic: str, offset: int) -> ChangelogRecord:
    """The record that says input `topic`[`partition`] was read up to `offset`, and nothing changed."""
    return ChangelogRecord(partition, f"{_PROGRESS}/{topic}".encode(), orjson.dumps({"offset": offset}), [])


def decode_change(key: bytes | None, value: bytes | None, where: str) -> Change | None:
    """The change a changelog record carries (None for a progress record); StoreUnreadable (naming
    `where`) for anything else."""
    try:
        table, _, name = (key or b"").decode().partition("/")
        if not table or not name:
            raise ValueError(f"key {key!r} is not <table>/<key>")
        if table == _PROGRESS:
            return None
        if value is None:
            return Change(table, name, None)
        stored = orjson.loads(value)
        return Change(table, name, Row(str(stored["at"]), stored["value"]))
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise StoreUnreadable(f"{where} is not a changelog record doran wrote: {exc}") from exc


def input_offset(headers: Sequence[tuple[str, bytes | None]] | None) -> tuple[str, int] | None:
    """Where the input record that caused a change was read, if one did."""
    for name, value in headers or ():
        if name == INPUT_OFFSET_HEADER and value:
            topic, _, offset = value.decode().rpartition(":")
            return topic, int(offset)
    return None


def ensure_changelog(
    broker: str,
    topic: str,
    *,
    partitions: int,
    replication_factor: int,
    retention_ms: int,
    timeout_s: float = 15.0,
) -> None:
    """Create the changelog topic if missing; ChangelogMismatch when it exists with other partitions."""
    admin = AdminClient({"bootstrap.servers": broker, "log_level": 0})
    try:
        existing = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as exc:
        raise ChangelogMismatch(f"Cannot list topics on {broker}: {exc}") from exc
    if topic in existing:
        have = len(existing[topic].partitions)
        if have != partitions:
            raise ChangelogMismatch(
                f"The changelog {topic!r} has {have} partitions, its input topic {partitions}: each input "
                "partition's state lives in the changelog partition of the same number. The input was "
                "repartitioned; the state must be moved by hand (docs/operations.md, 'Scaling the executor')."
            )
        return
    policy = "compact" if retention_ms < 0 else "compact,delete"
    config = {"cleanup.policy": policy, "retention.ms": str(retention_ms)}
    future = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor, config=config)],
        operation_timeout=timeout_s,
        request_timeout=timeout_s,
    )[topic]
    try:
        future.result()
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return  # another replica created it meanwhile
        raise ChangelogMismatch(f"Cannot create the changelog {topic!r} on {broker}: {exc}") from exc
