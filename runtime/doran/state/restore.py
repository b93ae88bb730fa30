"""Bring a partition's working store up to date from its changelog partition.

On assignment, before the partition's first record is processed: read the changelog partition
(read_committed) from the offset after the one the store applied (from the start, for a new or lost
store) to its end, and apply each change. The end is where the broker says a fetch reached the end
of what is committed (partition EOF at the last stable offset): tansu's ListOffsets is not reliable
while a transaction is open, its fetch is.

A transaction still open there is not read. Only the replica that owned the partition could end it,
and nothing it holds was applied or sent: a replica applies changes and sends quotes only after its
transaction committed. If it aborts (that replica's restart, or the broker's transaction timeout),
the new owner has lost nothing. Could it still commit? On Kafka and Redpanda, the caller asked the
group's committed offsets first (`committed`), which waits for pending transactional offsets
(require_stable), so the restore runs once it has ended either way; and its offsets carry the old
group generation, which the broker checks. tansu checks neither: a replica that does not know it
lost its partitions (a zombie) is not fenced there.

A change that carries its input offset (`doran.state.changelog`) is applied only if the group's
committed offset on that input partition is past it; those at or beyond the committed offset when the
restore starts wait, superseded by any later change of the same key, and the committed offsets are
asked again at the end (a transaction that committed meanwhile counts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from doran.state.changelog import decode_change, input_offset
from doran.state.errors import RestoreIncomplete, StateError
from doran.state.partition_store import Change, PartitionStore

__all__ = ["RestoreReport", "StoreAhead", "restore_partition"]

logger = logging.getLogger("doran.state")
_BATCH = 1_000
_POLL_S = 0.2


class StoreAhead(StateError):
    """The store applied an offset the changelog does not have: it belongs to another changelog."""


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore did: the changelog span it read, and how many changes it applied or skipped."""

    partition: int
    start: int
    end: int  # where the committed changelog ends; 0: it was never written
    applied: int
    skipped: int  # changes whose transaction did not commit (their input offset was never committed)
    seconds: float


def restore_partition(
    store: PartitionStore,
    *,
    broker: str,
    topic: str,
    partition: int,
    committed: Callable[[], Mapping[str, int]],
    timeout_s: float,
) -> RestoreReport:
    """Replay changelog `topic`[`partition`] into `store`; `committed()` gives the group's committed
    offset per input topic on this partition number (absent: nothing committed there)."""
    started = time.monotonic()
    applied = store.applied_offset
    start = 0 if applied is None else applied + 1
    consumer = Consumer(
        {
            "bootstrap.servers": broker,
            "group.id": f"{topic}.restore",  # required by the client; never joined, nothing committed
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",  # a start retention deleted: the oldest change kept
            "fetch.wait.max.ms": 10,
            "log_level": 0,
        }
    )
    where = f"{topic}[{partition}]"
    try:
        if applied is not None:
            low, high = _watermarks(broker, TopicPartition(topic, partition), min(timeout_s, 10.0))
            if start > high:  # a fetch past the end would wait forever on tansu
                raise StoreAhead(_ahead(store, where, applied))
            start = max(start, low)
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING if applied is None else start)])
        replay = _Replay(store, dict(committed()))
        deadline = started + timeout_s
        end: int | None = None
        while end is None:
            if time.monotonic() > deadline:
                raise RestoreIncomplete(
                    f"Did not read the changelog {where} to its end within {timeout_s:g} s at {broker}."
                )
            for message in consumer.consume(_BATCH, _POLL_S):
                error = message.error()
                offset = message.offset() or 0
                if error is None:
                    if offset < start:
                        raise StoreAhead(_ahead(store, where, applied))
                    replay.add(message, f"{where}@{offset}")
                elif error.code() == KafkaError._PARTITION_EOF:
                    if offset < start:
                        raise StoreAhead(_ahead(store, where, applied))
                    end = offset
                    break
                elif error.fatal() or error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise RestoreIncomplete(f"Cannot read the changelog {where} at {broker}: {error}")
            replay.flush()
        skipped = replay.finish(dict(committed()))
    finally:
        consumer.close()
    report = RestoreReport(partition, start, end, replay.applied, skipped, time.monotonic() - started)
    logger.info(
        "restored %s offsets %d..%d: %d changes applied, %d of uncommitted transactions skipped, %.2f s",
        where,
        start,
        end,
        report.applied,
        report.skipped,
        report.seconds,
    )
    return report


def _watermarks(broker: str, where: TopicPartition, timeout_s: float) -> tuple[int, int]:
    """The partition's first offset and high watermark, read_uncommitted (tansu answers a
    read_committed ListOffsets wrongly while a transaction is open)."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker,
            "group.id": f"{where.topic}.restore",
            "isolation.level": "read_uncommitted",  # librdkafka's default is read_committed
            "log_level": 0,
        }
    )
    try:
        low, high = consumer.get_watermark_offsets(where, timeout=timeout_s, cached=False)
    except KafkaException as exc:
        raise RestoreIncomplete(
            f"Cannot read the offsets of {where.topic}[{where.partition}]: {exc}"
        ) from exc
    finally:
        consumer.close()
    return int(low), int(high)


def _ahead(store: PartitionStore, where: str, applied: int | None) -> str:
    return (
        f"{store.path} applied {where} up to offset {applied}, but the changelog ends before it: the "
        "store was built from another changelog (the topic was recreated)."
    )


class _Replay:
    """Applies changes in changelog order; holds back those whose input offset is not committed yet."""

    def __init__(self, store: PartitionStore, committed: dict[str, int]) -> None:
        self._store = store
        self._committed = committed
        self._pending: list[Change] = []
        self._last: int | None = None
        # (table, key) -> the change held back, where its input was read, its changelog offset
        self._waiting: dict[tuple[str, str], tuple[Change, tuple[str, int], int]] = {}
        self.applied = 0

    def add(self, message: Message, where: str) -> None:
        change = decode_change(message.key(), message.value(), where)
        offset = message.offset()
        assert offset is not None  # a consumed record has one
        self._last = offset
        if change is None:
            return  # a progress record: nothing changed
        source = input_offset(message.headers())
        slot = (change.table, change.key)
        if source is not None and source[1] >= self._committed.get(source[0], 0):
            self._waiting[slot] = (change, source, offset)
            return
        self._waiting.pop(slot, None)
        self._pending.append(change)

    def flush(self) -> None:
        """Apply what is ready. The store records as applied no more than the offset before the
        first change still held back: a crash before `finish` replays from there."""
        if self._last is None:
            return
        held = min((offset for _, _, offset in self._waiting.values()), default=None)
        self._store.apply(self._pending, self._last if held is None else held - 1)
        self.applied += len(self._pending)
        self._pending = []

    def finish(self, committed: Mapping[str, int]) -> int:
        """Apply the held-back changes whose input offset is now committed; how many stay skipped."""
        ready = [c for c, (topic, offset), _ in self._waiting.values() if offset < committed.get(topic, 0)]
        if self._last is not None:
            self._store.apply(ready, self._last)
            self.applied += len(ready)
        return len(self._waiting) - len(ready)
