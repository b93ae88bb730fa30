"""The benchmark's Kafka tools: a fresh broker per measurement, pre-production, read_committed watching."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from benchmarks._errors import BenchmarkError
from benchmarks._stopwatch import Stopwatch
from doran.broker import create_topics
from doran.contracts import RAW_NEAR_INTENTS_QUOTE, TOPICS
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.schema_registry import published_registry
from doran.publish import stage_framing
from doran.settings import Settings
from doran.wire import Framing, KafkaRecord

__all__ = [
    "IDENTITY_OUT",
    "BenchTopic",
    "FreshBroker",
    "fresh_broker",
    "produce_records",
    "read_committed_consumer",
    "watch_output",
]

# The measuring consumers ask for fetches to return within 5 ms: tansu holds a fetch until
# fetch.wait.max.ms even when data is there, which would blur the clock.
_PROMPT_FETCH = {"fetch.wait.max.ms": 5}


@dataclass(frozen=True, slots=True)
class BenchTopic:
    """A topic only the benchmark uses (the identity app's output), shaped like a registry entry."""

    name: str
    partitions: int
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = 3_600_000


#: The identity app reads the raw quote topic and writes here, with the same partition count.
IDENTITY_OUT = BenchTopic("bench.identity.out", RAW_NEAR_INTENTS_QUOTE.partitions)


@dataclass(frozen=True, slots=True)
class FreshBroker:
    """An embedded broker, and the schema registry its stages look their schema ids up in."""

    broker: EmbeddedBroker
    registry: str
    framing: Framing  # what a stage resolves from the registry: inputs are framed as stages frame them

    @property
    def address(self) -> str:
        return self.broker.address

    @property
    def pid(self) -> int | None:
        return self.broker.pid


@contextmanager
def fresh_broker(log: Path) -> Iterator[FreshBroker]:
    """A new embedded broker with every registry topic and the identity output topic, and a registry
    holding this build's schemas (the stages refuse to start without it)."""
    with EmbeddedBroker(log_path=log) as broker, published_registry() as registry:
        create_topics(broker.address, [*TOPICS.values(), IDENTITY_OUT])
        framing = stage_framing(Settings(registry_url=registry), list(TOPICS.values()))
        yield FreshBroker(broker, registry, framing)


def produce_records(address: str, records: Iterable[KafkaRecord], framing: Framing) -> int:
    """Produce records (key, value framed as `framing` frames them, headers) and wait until the broker
    has them all; returns the count."""
    producer = Producer({"bootstrap.servers": address, "linger.ms": 5, "log_level": 0})
    count = 0
    for record in records:
        while True:
            try:
                value = framing.frame(record.topic, record.value)
                producer.produce(record.topic, value, record.key, headers=record.headers)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.05)
        count += 1
    if left := producer.flush(60):
        raise BenchmarkError(f"{left} pre-produced records were not delivered to {address} within 60 s")
    return count


def read_committed_consumer(address: str, topics: list[str]) -> Consumer:
    """A consumer assigned to every partition of the topics from the start; sees committed records only.

    It assigns rather than subscribes: no group join, so it reads from the first moment."""
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": f"bench-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "log_level": 0,
            **_PROMPT_FETCH,
        }
    )
    metadata = consumer.list_topics(timeout=10).topics
    consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in metadata[t].partitions])
    return consumer


def watch_output(
    address: str,
    topic: str,
    expected: int,
    watch: Stopwatch,
    *,
    timeout_s: float,
    abort: Callable[[], bool] = lambda: False,
) -> None:
    """Tick `watch` as committed records of topic become readable, until `expected` have (or `abort()`)."""
    consumer = read_committed_consumer(address, [topic])
    deadline = time.monotonic() + timeout_s
    try:
        while watch.count < expected and time.monotonic() < deadline and not abort():
            messages = [m for m in consumer.consume(1000, 0.01) if m.error() is None]
            if messages:
                watch.tick(len(messages))
    finally:
        consumer.close()
    if watch.count < expected:
        raise BenchmarkError(
            f"only {watch.count} of {expected} records appeared on {topic} within {timeout_s} s"
        )
