"""restore_partition on the embedded broker: a store rebuilt from its changelog partition holds what the
committed transactions wrote, resumes where it stopped, and never takes an uncommitted change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer

from doran.state import (
    Change,
    PartitionStore,
    Row,
    StoreAhead,
    changelog_record,
    ensure_changelog,
    restore_partition,
)
from doran.wire import utc_timestamp

pytestmark = pytest.mark.integration

AT = utc_timestamp(datetime(2026, 12, 1, tzinfo=UTC))


@pytest.fixture
def changelog(kafka_broker: str) -> str:
    topic = f"test-{uuid.uuid4().hex[:8]}.changelog"
    ensure_changelog(kafka_broker, topic, partitions=2, replication_factor=1, retention_ms=-1)
    return topic


@pytest.fixture
def producer(kafka_broker: str) -> Iterator[Producer]:
    transactional = Producer({"bootstrap.servers": kafka_broker, "transactional.id": uuid.uuid4().hex})
    transactional.init_transactions(10)
    yield transactional
    transactional.flush(10)


def write(
    producer: Producer,
    topic: str,
    partition: int,
    changes: Sequence[Change],
    source: tuple[str, int] | None = None,
    *,
    commit: bool = True,
) -> None:
    producer.begin_transaction()
    for change in changes:
        record = changelog_record(partition, change, source)
        producer.produce(topic, record.value, record.key, partition=partition, headers=record.headers)
    producer.flush(10)
    if commit:
        producer.commit_transaction(10)
    else:
        producer.abort_transaction(10)


def done(key: str) -> Change:
    return Change("commands", key, Row(AT, {"state": "done"}))


def restore(
    store: PartitionStore, broker: str, topic: str, committed: dict[str, int] | None = None, **kw: float
):  # type: ignore[no-untyped-def]
    return restore_partition(
        store,
        broker=broker,
        topic=topic,
        partition=1,
        committed=lambda: committed or {},
        timeout_s=kw.get("timeout_s", 30.0),
    )


def test_a_lost_store_is_rebuilt_from_the_changelog_and_resumes_where_it_stopped(
    kafka_broker: str, changelog: str, producer: Producer, tmp_path: Path
) -> None:
    write(producer, changelog, 1, [done(f"cmd-{i}") for i in range(50)])
    write(producer, changelog, 1, [Change("commands", "cmd-3", None)])
    write(producer, changelog, 0, [done("cmd-elsewhere")])  # another partition's state

    with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
        first = restore(store, kafka_broker, changelog)
        assert (first.start, first.applied) == (0, 51)
        assert store.get("commands", "cmd-3") is None
        assert store.get("commands", "cmd-4") == Row(AT, {"state": "done"})
        assert store.get("commands", "cmd-elsewhere") is None

    write(producer, changelog, 1, [done("cmd-new")])
    with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
        second = restore(store, kafka_broker, changelog)
        assert second.start > first.start and second.applied == 1  # only what it missed
        assert store.get("commands", "cmd-new") is not None


def test_a_change_whose_input_offset_was_never_committed_is_not_taken(
    kafka_broker: str, changelog: str, producer: Producer, tmp_path: Path
) -> None:
    # tansu serves an aborted transaction's records as committed; the committed input offset decides.
    write(producer, changelog, 1, [done("cmd-committed")], ("cmd.execute_trade", 4))
    write(producer, changelog, 1, [done("cmd-aborted")], ("cmd.execute_trade", 5), commit=False)
    write(producer, changelog, 1, [Change("commands", "cmd-begun", Row(AT, {"state": "processing"}))])

    with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
        report = restore(store, kafka_broker, changelog, {"cmd.execute_trade": 5})
        assert store.get("commands", "cmd-committed") is not None
        assert store.get("commands", "cmd-aborted") is None
        assert store.get("commands", "cmd-begun") is not None  # no input offset: always taken
        assert report.skipped == 1


def test_a_store_ahead_of_its_changelog_is_refused(
    kafka_broker: str, changelog: str, producer: Producer, tmp_path: Path
) -> None:
    write(producer, changelog, 1, [done("cmd-1")])
    with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
        store.apply([], 10_000)  # built from another changelog
        with pytest.raises(StoreAhead, match="another changelog"):
            restore(store, kafka_broker, changelog)


def test_a_transaction_still_open_is_not_read_and_does_not_hold_the_restore(
    kafka_broker: str, changelog: str, producer: Producer, tmp_path: Path
) -> None:
    # Only its replica could end it, and nothing in it was applied or sent (module docstring).
    write(producer, changelog, 1, [done("cmd-1")])
    producer.begin_transaction()
    record = changelog_record(1, done("cmd-2"))
    producer.produce(changelog, record.value, record.key, partition=1)
    producer.flush(10)
    try:
        with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
            restore(store, kafka_broker, changelog, timeout_s=10)
            assert store.get("commands", "cmd-1") is not None
            assert store.get("commands", "cmd-2") is None
    finally:
        producer.abort_transaction(10)


def test_a_changelog_never_written_ends_at_zero(kafka_broker: str, changelog: str, tmp_path: Path) -> None:
    with PartitionStore.open(tmp_path / "p.sqlite", ["commands"]) as store:
        report = restore(store, kafka_broker, changelog)
    assert (report.end, report.applied) == (0, 0)
