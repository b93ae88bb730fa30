"""Read topic partitions from given offsets up to their end offsets as of the start of the read.

Committed records only (read_committed), on assigned partitions: no consumer group is joined and no
offset is committed, so reading never disturbs the stages' groups.

A partition is read to its end once a record at or past the end offset taken at the start arrived,
or the broker said the fetch reached the end (partition EOF: the log may end in a transaction marker,
which is never delivered). Then whatever the client already fetched is taken too: the embedded broker
(tansu) reports the last batch's base offset + 1 as the end offset, short of the batch's later records,
which come in the same fetch.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from doran.broker.errors import TopicReadError
from doran.wire import Unframed, unframe

__all__ = ["LogRecord", "TopicReader"]

_BATCH = 500
_POLL_S = 0.2
_DRAIN_S = 5.0
_METADATA_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One committed record: where it is, its key, bytes and headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]

    def unframed(self) -> Unframed:
        """The schema the value names (Confluent prefix or `__value_schema_id` header; None when plain)
        and its JSON bytes; ContractViolation when the framing is broken. The schema is not checked."""
        return unframe(self.topic, self.value or b"", self.headers)


class TopicReader:
    """A consumer that reads partitions to their end (dead-letter replay, the executor's rebuild, the
    demo's summary): topic metadata, and bounded reads; a context manager."""

    def __init__(self, address: str, *, timeout_s: float, group_id: str = "doran-topic-reader") -> None:
        self.address = address
        self._timeout_s = timeout_s
        self._consumer = Consumer(
            {
                "bootstrap.servers": address,
                # Required by the client even for assigned partitions; nothing joins or commits it.
                "group.id": group_id,
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                # A start offset retention already deleted: begin at the oldest record kept.
                "auto.offset.reset": "earliest",
                # Every failure surfaces as a TopicReadError naming the broker; no librdkafka log lines.
                "log_level": 0,
            }
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def partitions(self, topic: str) -> list[int] | None:
        """The partition ids of `topic`, or None when the broker has no such topic."""
        try:
            metadata = self._consumer.list_topics(topic, timeout=min(self._timeout_s, _METADATA_TIMEOUT_S))
        except KafkaException as exc:
            raise TopicReadError(
                f"Cannot reach the broker at {self.address}: {exc.args[0] if exc.args else exc}. "
                "Is DORAN_BROKER_ADDRESS right and the broker up?"
            ) from exc
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            return None
        return sorted(found.partitions)

    def read_all(self, topics: Iterable[str]) -> Iterator[LogRecord]:
        """Every committed record of `topics` (those the broker has), from the oldest kept to the end."""
        starts = {(t, p): 0 for t in topics for p in self.partitions(t) or ()}
        return self.read(starts)

    def read(self, starts: Mapping[tuple[str, int], int]) -> Iterator[LogRecord]:
        """Every committed record of each (topic, partition) from its start offset to its end as of now.

        TopicReadError when a partition is not read to its end within the timeout (an unreachable
        broker, or a transaction left open: read_committed readers wait for it to end).
        """
        deadline = time.monotonic() + self._timeout_s
        ends: dict[tuple[str, int], int] = {}
        assignment = []
        for (topic, partition), start in starts.items():
            low, high = self._watermarks(topic, partition)
            first = max(start, low)
            if first < high:
                ends[(topic, partition)] = high
                assignment.append(TopicPartition(topic, partition, first))
        if not assignment:
            return
        self._consumer.assign(assignment)
        try:
            last_error: KafkaError | None = None
            while ends:
                if time.monotonic() > deadline:
                    raise TopicReadError(self._unfinished(ends, last_error))
                for message in self._consumer.consume(_BATCH, _POLL_S):
                    where = (message.topic(), message.partition())
                    error = message.error()
                    if error is None:
                        if message.offset() + 1 >= ends.get(where, 0):
                            ends.pop(where, None)
                        yield _record(message)
                    elif error.code() == KafkaError._PARTITION_EOF:
                        ends.pop(where, None)
                    elif error.fatal() or error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                        raise TopicReadError(f"Cannot read {where[0]}[{where[1]}] at {self.address}: {error}")
                    else:
                        last_error = error  # transient (a reconnect): the client retries by itself
            yield from self._fetched()
        finally:
            self._consumer.unassign()

    def _watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        try:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition),
                timeout=min(self._timeout_s, _METADATA_TIMEOUT_S),
                cached=False,
            )
        except KafkaException as exc:
            raise TopicReadError(
                f"Cannot read the offsets of {topic}[{partition}] at {self.address}: "
                f"{exc.args[0] if exc.args else exc}"
            ) from exc
        return int(low), int(high)

    def _fetched(self) -> Iterator[LogRecord]:
        """What the client fetched already beyond the end offsets (the rest of the last batch).

        Already in the client's queue, so taken without waiting; bounded in time all the same, since a
        busy topic keeps the client fetching.
        """
        until = time.monotonic() + _DRAIN_S
        while time.monotonic() < until:
            messages = self._consumer.consume(_BATCH, 0)
            if not messages:
                return
            for message in messages:
                if message.error() is None:
                    yield _record(message)

    def _unfinished(self, ends: Mapping[tuple[str, int], int], error: KafkaError | None) -> str:
        behind = ", ".join(
            f"{topic}[{partition}] (end offset {end})" for (topic, partition), end in ends.items()
        )
        cause = f"; last error: {error}" if error is not None else ""
        return (
            f"Did not reach the end of {behind} at {self.address} within {self._timeout_s:g} s{cause}. "
            "A transaction left open holds read_committed readers back until it ends or times out; "
            "try again, or allow it more time."
        )


def _record(message: Any) -> LogRecord:
    headers = message.headers() or []
    return LogRecord(
        message.topic(),
        message.partition(),
        message.offset(),
        message.key(),
        message.value(),
        tuple((str(name), value) for name, value in headers),
    )
