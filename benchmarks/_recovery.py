"""The time to recover the executor's state of N commands from Kafka: its changelog, written as the
executor writes it, restored into empty working stores as a replica does when its volume is lost.

One run: a fresh embedded broker; the executor's changelog topic (its partitions: cmd.execute_trade's);
for each of N commands, in transactions of 500 commands as the executor commits them, a `processing`
record then a `done` record (`doran.executor.CommandRecord`, `doran.state.changelog_record`: the
stage's own encoders), the `done` record carrying its input offset. Then every partition restored at
once into an empty directory (`PartitionStores.open`, side by side as the stage does on assignment),
timed from the first restore's start to the last one's end; the stores must then hold every command.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Producer

from benchmarks._errors import BenchmarkError
from benchmarks._kafka import fresh_broker
from doran.contracts import CMD_EXECUTE_TRADE
from doran.executor import DONE, TABLE, CommandRecord, Ticket
from doran.stages.stateful_stage import PartitionStores
from doran.state import Change, Row, changelog_record, changelog_topic, ensure_changelog
from doran.wire import utc_timestamp

__all__ = ["Recovery", "measure_recovery"]

_PER_TRANSACTION = 500
_HASH = "8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt"


@dataclass(frozen=True, slots=True)
class Recovery:
    """N commands' state restored from their changelog: records read, seconds, commands per second."""

    commands: int
    changelog_records: int
    partitions: int
    seconds: float

    @property
    def commands_per_s(self) -> float:
        return self.commands / self.seconds


def _write_changelog(broker: str, topic: str, n: int, partitions: int) -> int:
    producer = Producer({"bootstrap.servers": broker, "transactional.id": f"{topic}.bench", "linger.ms": 5})
    producer.init_transactions(30)
    at = utc_timestamp(datetime.now(UTC))
    written = 0
    for first in range(0, n, _PER_TRANSACTION):
        producer.begin_transaction()
        for i in range(first, min(n, first + _PER_TRANSACTION)):
            partition, command_id = i % partitions, f"cmd-{i:012d}"
            begun = CommandRecord.processing(f"evt-{i}", Ticket(_HASH, "2026-03-28T20:01:10.000000Z"))
            for change, source in (
                (Change(TABLE, command_id, Row(at, begun.to_json())), None),
                (
                    Change(TABLE, command_id, Row(at, DONE.to_json())),
                    (CMD_EXECUTE_TRADE.name, i // partitions),
                ),
            ):
                record = changelog_record(partition, change, source)
                producer.produce(topic, record.value, record.key, partition=partition, headers=record.headers)
                written += 1
            producer.poll(0)
        producer.commit_transaction(60)
    return written


def measure_recovery(run_dir: Path, n: int) -> Recovery:
    """Write N commands' changelog, then time restoring it into empty working stores."""
    run_dir.mkdir(parents=True, exist_ok=True)
    partitions = CMD_EXECUTE_TRADE.partitions
    with fresh_broker(run_dir / "tansu.log") as broker:
        topic = changelog_topic("bench-recovery.execute")
        ensure_changelog(broker.address, topic, partitions=partitions, replication_factor=1, retention_ms=-1)
        records = _write_changelog(broker.address, topic, n, partitions)
        stores = PartitionStores(
            run_dir / "executor-state",
            (TABLE,),
            broker=broker.address,
            changelog=topic,
            restore_timeout_s=600,
        )
        committed = {CMD_EXECUTE_TRADE.name: n}  # every command's transaction committed its offsets
        started = time.perf_counter()
        with ThreadPoolExecutor(partitions) as restoring:
            reports = list(restoring.map(lambda p: stores.open(p, lambda: committed), range(partitions)))
        seconds = time.perf_counter() - started
        restored = 0
        for partition in range(partitions):
            restored += sum(1 for _, row in stores[partition].rows(TABLE) if row.value == DONE.to_json())
        stores.close_all()
    if restored != n or sum(r.applied for r in reports) != records:
        raise BenchmarkError(
            f"restored {restored} done commands of {n} ({[r.applied for r in reports]} changes)"
        )
    return Recovery(n, records, partitions, seconds)
