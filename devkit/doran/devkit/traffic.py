"""Steady traffic through a running pipeline and a watch on what comes out, for the fault tests and the
restart benchmark: quote requests the relay simulator publishes at a fixed rate from a thread, and the
records that arrive on a topic, each with the moment it arrived.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaException, TopicPartition

from doran.devkit.relay_simulator import SimulatorThread

__all__ = ["Arrival", "QuoteStream", "TopicWatch", "quote_request", "wait_until"]

#: A quote request the built-in demo policy trades (1 wNEAR for USDt): it takes the whole path.
_TEMPLATE: Mapping[str, Any] = {
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
    "exact_amount_in": "1000000000000000000000000",
    "min_deadline_ms": 60000,
}


def quote_request(quote_id: str) -> dict[str, Any]:
    """A quote request's `data` with this quote_id."""
    return {"quote_id": quote_id, **_TEMPLATE}


def wait_until(condition: Callable[[], Any], timeout_s: float, what: str, *, poll_s: float = 0.1) -> Any:
    """Poll `condition` until it is truthy and return it; TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(poll_s)


class _Background:
    """Runs `_run` in a daemon thread while the `with` block lasts; `_stop` tells it to end."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """What to release once the thread has ended."""

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(10)
        self._close()


class QuoteStream(_Background):
    """Publishes quote requests through the relay simulator at `rate_per_s` until stopped; `sent` counts
    them. Each quote_id is `<prefix>-<n>`; a fresh prefix per stream keeps runs apart."""

    def __init__(self, relay: SimulatorThread, rate_per_s: float, *, prefix: str | None = None) -> None:
        super().__init__("quote-stream")
        self._relay = relay
        self._interval_s = 1.0 / rate_per_s
        self.prefix = prefix or f"q{uuid.uuid4().hex[:8]}"
        self.sent = 0

    def _run(self) -> None:
        start = time.monotonic()
        for n in itertools.count():
            # Paced from the start, so a slow publish does not lower the rate.
            if self._stop.wait(max(0.0, start + n * self._interval_s - time.monotonic())):
                return
            self._relay.publish_quote(quote_request(f"{self.prefix}-{n}"))
            self.sent += 1


@dataclass(frozen=True, slots=True)
class Arrival:
    """A record seen on the watched topic: when (time.monotonic()), its key and value."""

    at: float
    key: bytes | None
    value: bytes


class TopicWatch(_Background):
    """Reads `topic` in a thread (assigned partitions, no group) from its end, or from its beginning with
    `from_start`, and keeps every record with the moment it arrived. A broker that is away, or a topic not
    there yet, is waited for: the watch assigns once the topic exists."""

    def __init__(self, address: str, topic: str, *, from_start: bool = False) -> None:
        super().__init__(f"watch-{topic}")
        self._consumer = Consumer(
            {
                "bootstrap.servers": address,
                "group.id": f"watch-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 5,  # tansu holds a fetch this long even when data is there
                "log_level": 0,
            }
        )
        self._topic = topic
        self._offset = OFFSET_BEGINNING if from_start else OFFSET_END
        self._assigned = threading.Event()
        self._lock = threading.Lock()
        self._arrivals: list[Arrival] = []

    def _assign(self) -> bool:
        try:
            metadata = self._consumer.list_topics(self._topic, timeout=1)
        except KafkaException:
            return False
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None or not topic.partitions:
            return False
        self._consumer.assign([TopicPartition(self._topic, p, self._offset) for p in topic.partitions])
        return True

    def _run(self) -> None:
        while not self._stop.is_set() and not self._assign():
            self._stop.wait(0.2)
        self._assigned.set()
        while not self._stop.is_set():
            message = self._consumer.poll(0.05)
            if message is None or message.error() is not None:
                continue
            arrival = Arrival(time.monotonic(), message.key(), message.value() or b"")
            with self._lock:
                self._arrivals.append(arrival)

    def arrivals(self) -> list[Arrival]:
        """What arrived so far, in order."""
        with self._lock:
            return list(self._arrivals)

    def count(self) -> int:
        with self._lock:
            return len(self._arrivals)

    def first_after(self, moment: float) -> float | None:
        """When the first record arriving after `moment` arrived, if one has."""
        with self._lock:
            return next((a.at for a in self._arrivals if a.at > moment), None)

    def __enter__(self) -> Self:
        super().__enter__()
        if not self._assigned.wait(60):
            self.__exit__(None, None, None)
            raise TimeoutError(f"the watch on {self._topic} found no such topic within 60 s")
        return self

    def _close(self) -> None:
        self._consumer.close()
