"""How a stateful stage (execute, settle) is opened: its topics and its changelog (as many partitions as
its inputs, which must agree), its Kafka clients (read_committed; this replica's stable
transactional.id; a static group member when DORAN_GROUP_INSTANCE_ID is set), the working store of each
partition it will be assigned, and SIGTERM/SIGINT as a request to stop (logged as `stopping`).
`StageParts` is what its loop (`doran.stages.stateful_loop`) runs on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from doran.broker import TopicSetupError, TopicShape, create_topics
from doran.contracts import DEAD_LETTER_TOPIC, Envelope
from doran.publish import stage_framing
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle
from doran.stages.metrics import StageMetrics
from doran.stages.stateful_tender import StatefulTender
from doran.stages.stop_signals import stop_on_signals
from doran.stages.transactions import StageTransactions
from doran.state import (
    Change,
    PartitionStore,
    RestoreReport,
    StateError,
    StoreAhead,
    StoreUnreadable,
    changelog_topic,
    ensure_changelog,
    history_horizon,
    restore_partition,
    store_failure,
)
from doran.wire import Framing

__all__ = [
    "PartitionStores",
    "PendingChange",
    "StageParts",
    "input_partitions",
    "open_stateful_stage",
    "stateful_clients",
]

logger = logging.getLogger("doran.stateful")
_BATCH_BYTES = 1 << 20  # a fetch allowed to wait waits for this much: in practice, for its time
#: librdkafka's own log lines, served by the clients' polls: none comes after a stage's last line.
_KAFKA_LOG = logging.getLogger("doran.kafka")

#: A change to commit: the partition it belongs to, the change, and the input record that caused it.
PendingChange = tuple[int, Change, tuple[str, int] | None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _nothing() -> None:
    return None


def _no_report(_error: StateError) -> None:
    return None


@dataclass(frozen=True, slots=True)
class StageParts:
    """What a stateful stage's loop runs on: its clients, its stores, its counts, and its limits."""

    consumer: Consumer
    transactions: StageTransactions
    stores: PartitionStores
    metrics: StageMetrics
    framing: Framing  # reads the inputs in any framing; frames the outputs as their topics declare
    max_batch: int
    poll_timeout_s: float
    max_record_bytes: int
    history: timedelta | None  # rows older than this are forgotten; None: kept forever
    on_assigned: Callable[[], None] = _nothing
    on_state_failure: Callable[[StateError], None] = _no_report  # before the loop raises it: unready
    clock: Callable[[], datetime] = _utc_now
    #: Follows the clients (and the relay) every turn of the loop; raises what must stop the stage.
    tender: StatefulTender | None = None
    lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle("stateful"))


def open_stateful_stage(
    stack: ExitStack,
    settings: Settings,
    broker: str,
    stage: str,
    *,
    inputs: Sequence[TopicSpec[Envelope]],
    outputs: Sequence[TopicSpec[Envelope]],
    tables: Sequence[str],
    state_dir: Path,
    redelivering: Sequence[TopicSpec[Any]],
    metrics: StageMetrics,
    watch: KafkaWatch,
    max_batch: int,
    stop: threading.Event,
    on_assigned: Callable[[], None] = _nothing,
    read_in_batches_ms: int | None = None,
) -> StageParts:
    """Everything the stage's loop needs, set up in order: the history horizon checked first (it
    raises HistoryTooShort before anything starts), the schema ids of the topics it writes looked up
    (fails closed: see `doran.publish.stage_framing`), the topics and changelog created, the clients
    made (the consumer closes with `stack`: it leaves the group, a static member included), the stores'
    directory chosen, and SIGTERM/SIGINT set `stop` for as long as `stack` is open. `watch` follows the
    clients: their statistics give its readiness conditions (`assigned`, `broker`, `producer`), its
    lifecycle log, and the topics it expects; `state` holds until a working store fails.
    `read_in_batches_ms`: for a stage off the quote's path, how long the broker may hold a fetch to
    fill it (see `stateful_clients`)."""
    history = history_horizon(settings.history_days, redelivering)
    framing = stage_framing(settings, [*outputs, DEAD_LETTER_TOPIC])
    changelog = changelog_topic(settings.stage_group(stage))
    create_topics(broker, [*inputs, *outputs, DEAD_LETTER_TOPIC])
    partitions = co_partitions(broker, inputs)
    ensure_changelog(
        broker,
        changelog,
        partitions=partitions,
        replication_factor=inputs[0].replication_factor,
        retention_ms=-1 if history is None else int(history.total_seconds() * 1000),
    )
    # Its inputs as they are now (the changelog has as many partitions): the stage stops if they change.
    watch.expect(replace(topic, partitions=partitions) for topic in inputs)
    consumer_stats = _StatsGate(watch.consumer_monitor.on_stats)
    consumer, producer = stateful_clients(
        settings, broker, stage, watch, consumer_stats, read_in_batches_ms=read_in_batches_ms
    )
    stack.callback(consumer.close)  # leaves the group; offsets are committed by transactions only
    # A report served inside close() is not listened to: a listener's raise (a topic gone) would leave
    # close() as a SystemError and hide why the stage stops.
    stack.callback(consumer_stats.close)
    stores = PartitionStores(
        state_dir, tables, broker=broker, changelog=changelog, restore_timeout_s=settings.restore_timeout_s
    )
    stack.enter_context(stop_on_signals(stop, watch.lifecycle))
    watch.readiness.set("state", True)
    logger.info(
        "%s replica %s (transactional.id %s), state in %s, changelog %s",
        stage,
        settings.replica,
        settings.transactional_id(stage),
        state_dir,
        changelog,
    )
    return StageParts(
        consumer,
        StageTransactions(producer, consumer, changelog, framing, timeout_s=30.0),
        stores,
        metrics,
        framing,
        max_batch=max_batch,
        poll_timeout_s=settings.poll_timeout_s,
        max_record_bytes=settings.max_message_bytes,
        history=history,
        on_assigned=on_assigned,
        # Unready before the loop raises the failure: the probe says so while the stage stops.
        on_state_failure=lambda _error: watch.readiness.set("state", False),
        tender=StatefulTender(
            watch,
            producer,
            consumer,
            [topic.name for topic in (*inputs, *outputs, DEAD_LETTER_TOPIC)] + [changelog],
            settings.broker_unavailable_timeout_s,
        ),
        lifecycle=watch.lifecycle,
    )


def input_partitions(broker: str, topic: str, *, timeout_s: float = 15.0) -> int:
    """How many partitions `topic` has on the broker."""
    found = AdminClient({"bootstrap.servers": broker, "log_level": 0}).list_topics(topic, timeout=timeout_s)
    metadata = found.topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise TopicSetupError(f"Topic {topic!r} has no partitions on {broker}.")
    return len(metadata.partitions)


def co_partitions(broker: str, inputs: Sequence[TopicShape]) -> int:
    """The partitions the stage's inputs share (its changelog gets as many); TopicSetupError when they
    differ: records of one key must land in partitions of the same number on every input."""
    found = {topic.name: input_partitions(broker, topic.name) for topic in inputs}
    if len(set(found.values())) != 1:
        listed = ", ".join(f"{name} has {n}" for name, n in found.items())
        raise TopicSetupError(
            f"The inputs of one stage must have the same partitions: {listed}. Give each the partitions "
            "schemas/topics.json declares."
        )
    return next(iter(found.values()))


class _StatsGate:
    """A client's `stats_cb` that stops passing the reports on once closed."""

    def __init__(self, on_stats: Callable[[str], None]) -> None:
        self._on_stats = on_stats
        self._open = True

    def __call__(self, stats_json: str) -> None:
        if self._open:
            self._on_stats(stats_json)

    def close(self) -> None:
        self._open = False


def stateful_clients(
    settings: Settings,
    broker: str,
    stage: str,
    watch: KafkaWatch,
    consumer_stats: Callable[[str], None] | None = None,
    *,
    read_in_batches_ms: int | None = None,
) -> tuple[Consumer, Producer]:
    """The consumer (read_committed, offsets committed by transactions only; a static member when
    DORAN_GROUP_INSTANCE_ID names it, so that a restart within the session timeout keeps its
    partitions) and the transactional producer (this replica's stable transactional.id) of a stateful
    stage, both reporting their statistics to `watch` (the consumer's through `consumer_stats` when
    given). With `read_in_batches_ms` the broker holds each fetch until it has a batch's worth or that
    long: every fetch costs the broker (the embedded one most: about 0.1 core per idle consumer at
    5 ms), and a stage whose work is not on a quote's way reads as well every quarter second."""
    consumer: dict[str, Any] = {
        "bootstrap.servers": broker,
        "group.id": settings.stage_group(stage),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        **settings.consumer_config(),
        **settings.group_membership(),
        "logger": _KAFKA_LOG,
        "stats_cb": consumer_stats or watch.consumer_monitor.on_stats,
        "statistics.interval.ms": settings.statistics_interval_ms,
    }
    if read_in_batches_ms is not None:
        consumer["fetch.wait.max.ms"] = max(settings.fetch_wait_max_ms, read_in_batches_ms)
        consumer["fetch.min.bytes"] = _BATCH_BYTES
    producer = {
        "bootstrap.servers": broker,
        "transactional.id": settings.transactional_id(stage),
        "transaction.timeout.ms": settings.transaction_timeout_ms,
        "message.max.bytes": settings.max_message_bytes + 100_000,  # room for a record's framing
        **settings.producer_config(),
        "logger": _KAFKA_LOG,
        "stats_cb": watch.producer_monitor.on_stats,
        "statistics.interval.ms": settings.statistics_interval_ms,
    }
    return Consumer(consumer), Producer(producer)


class PartitionStores:
    """The working store of each assigned partition: `<directory>/partition-<n>.sqlite`."""

    def __init__(
        self, directory: Path, tables: Sequence[str], *, broker: str, changelog: str, restore_timeout_s: float
    ) -> None:
        self.directory = directory
        self._tables = tuple(tables)
        self._broker = broker
        self._changelog = changelog
        self._timeout_s = restore_timeout_s
        self._stores: dict[int, PartitionStore] = {}

    def open(self, partition: int, committed: Callable[[], Mapping[str, int]]) -> RestoreReport:
        """Open the partition's store and replay the changelog into it; a store that cannot be read,
        or that was built from another changelog, is moved aside and rebuilt from the changelog."""
        path = self.directory / f"partition-{partition}.sqlite"
        for attempt in (1, 2):
            try:
                store = PartitionStore.open(path, self._tables)
            except StoreUnreadable as exc:
                if attempt == 2:
                    raise
                _move_aside(path, exc)
                continue
            try:
                report = restore_partition(
                    store,
                    broker=self._broker,
                    topic=self._changelog,
                    partition=partition,
                    committed=committed,
                    timeout_s=self._timeout_s,
                )
            except (StoreAhead, StoreUnreadable) as exc:
                store.close()
                if attempt == 2 or (isinstance(exc, StoreUnreadable) and str(path) not in str(exc)):
                    raise  # the changelog itself is unreadable: rebuilding would not help
                _move_aside(path, exc)
                continue
            except BaseException:
                store.close()
                raise
            self._stores[partition] = store
            return report
        raise AssertionError("unreachable")

    def close(self, partition: int) -> None:
        store = self._stores.pop(partition, None)
        if store is not None:
            store.close()

    def close_all(self) -> None:
        """Close every store; the first StateError of their closing (a last commit failed), if any."""
        failure: StateError | None = None
        for partition in list(self._stores):
            try:
                self.close(partition)
            except StateError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def check(self) -> None:
        """Raise the failure a store's thread kept (a commit that did not happen); no round trip."""
        for store in self._stores.values():
            store.check()

    def __getitem__(self, partition: int) -> PartitionStore:
        return self._stores[partition]

    def __contains__(self, partition: object) -> bool:
        return partition in self._stores

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._stores))

    def apply(self, changes: Sequence[PendingChange], written: Mapping[int, int]) -> None:
        """Write committed changes into their stores, each recording the changelog offset it reached."""
        by_partition: dict[int, list[Change]] = {}
        for partition, change, _ in changes:
            by_partition.setdefault(partition, []).append(change)
        for partition, mine in by_partition.items():
            if partition in self._stores and partition in written:
                self._stores[partition].apply(mine, written[partition])


def _move_aside(path: Path, why: Exception) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    try:
        for suffix in ("", "-wal", "-shm"):
            old = path.with_name(path.name + suffix)
            if old.exists():
                old.rename(path.with_name(f"{path.name}{suffix}.unreadable-{stamp}"))
    except OSError as exc:  # a read-only volume: the stage cannot rebuild it, the operator must
        raise store_failure(path, "moving it aside", exc) from exc
    logger.warning("moved %s aside to %s, rebuilding it from the changelog: %s", path, aside.name, why)
