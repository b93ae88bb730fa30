"""Measuring tools of the pipeline benchmark: a stopwatch over message counts, a fresh broker per
measurement, pre-production, a read_committed output watcher, and running a Quix app until N."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from quixstreams import Application

from doran.broker import EmbeddedBroker, create_topics
from doran.contracts import RAW_NEAR_INTENTS_QUOTE, TOPICS
from doran.errors import DoranError
from doran.stages.outbound import Outbound

__all__ = [
    "IDENTITY_OUT",
    "BenchTopic",
    "BenchmarkError",
    "Stopwatch",
    "cpu_seconds",
    "fresh_broker",
    "produce_records",
    "read_committed_consumer",
    "run_quix_until",
    "watch_output",
]

# The measuring consumers ask for fetches to return within 5 ms: tansu holds a fetch ~200 ms even
# when data is there (librdkafka's default fetch.wait.max.ms is 500), which would blur the clock.
_PROMPT_FETCH = {"fetch.wait.max.ms": 5}


class BenchmarkError(DoranError):
    """A measurement could not complete: a stage stopped early, or its output never arrived in time."""


@dataclass(frozen=True, slots=True)
class BenchTopic:
    """A topic only the benchmark uses (the identity app's output), shaped like a registry entry."""

    name: str
    partitions: int
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = 3_600_000


#: The identity app reads the raw quote topic and writes here, with the same partition count.
IDENTITY_OUT = BenchTopic("bench.identity.out", TOPICS[RAW_NEAR_INTENTS_QUOTE].partitions)


class Stopwatch:
    """Counts messages as they pass one point; rate = messages after the first tick / time since it.

    The first tick's messages are excluded because they mark the start of the window, so a rate is
    (count - first batch) / (last tick - first tick): group join and start-up fall outside it.
    """

    def __init__(self) -> None:
        self.count = 0
        self._first_n = 0
        self._first = self._last = 0.0
        self._first_cpu = self._last_cpu = 0.0

    def tick(self, n: int = 1) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.count == 0:
            self._first, self._first_cpu, self._first_n = now, cpu, n
        self.count += n
        self._last, self._last_cpu = now, cpu

    @property
    def cpu_us_per_msg(self) -> float:
        """CPU time of this whole process (every thread, librdkafka's too) per message in the window, µs.

        Unlike the rate it does not depend on what else the machine runs."""
        return (self._last_cpu - self._first_cpu) / self.counted * 1e6 if self.counted else 0.0

    @property
    def window_s(self) -> float:
        return self._last - self._first

    @property
    def counted(self) -> int:
        """Messages inside the window: all but the first tick's."""
        return self.count - self._first_n

    @property
    def rate(self) -> float:
        """Messages per second over the window; 0.0 before two ticks."""
        return self.counted / self.window_s if self.window_s > 0 else 0.0


@contextmanager
def fresh_broker(log: Path) -> Iterator[EmbeddedBroker]:
    """A new embedded broker with every registry topic and the identity output topic."""
    with EmbeddedBroker(log_path=log) as broker:
        create_topics(broker.address, [*TOPICS.values(), IDENTITY_OUT])
        yield broker


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a live process has used so far (Linux /proc); NaN when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def produce_records(address: str, records: Iterable[Outbound], *, partition_by_key: bool = True) -> int:
    """Produce records (key, value, headers) and wait until the broker has them all; returns the count."""
    producer = Producer({"bootstrap.servers": address, "linger.ms": 5, "log_level": 0})
    count = 0
    for record in records:
        while True:
            try:
                producer.produce(record.topic, record.value, record.key, headers=record.headers)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.05)
        count += 1
    if left := producer.flush(60):
        raise BenchmarkError(f"{left} pre-produced records were not delivered to {address} within 60 s")
    return count


def read_committed_consumer(address: str, topics: str | list[str]) -> Consumer:
    """A consumer assigned to every partition of the topic(s) from the start; sees committed records only."""
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
    names = [topics] if isinstance(topics, str) else topics
    metadata = consumer.list_topics(timeout=10).topics
    consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in names for p in metadata[t].partitions])
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
    consumer = read_committed_consumer(address, topic)
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


def run_quix_until(app: Application, watch: Stopwatch, expected: int, *, timeout_s: float) -> None:
    """Run app (it must own the main thread) until `watch` has counted `expected` messages, then stop it."""
    deadline = time.monotonic() + timeout_s

    def stop_when_done() -> None:
        while watch.count < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        app.stop()

    threading.Thread(target=stop_when_done, name="bench-stopper", daemon=True).start()
    app.run()
    if watch.count < expected:
        raise BenchmarkError(f"the app consumed {watch.count} of {expected} messages within {timeout_s} s")
