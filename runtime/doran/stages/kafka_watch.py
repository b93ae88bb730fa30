"""A stage's Kafka clients, watched through their statistics: readiness conditions (`broker` for the
consumer's connection, `producer` for the producer's, `assigned` for partitions in a settled group),
lifecycle events (assigned, revoked, broker_lost, broker_back), and the checks that must stop a stage
before it consumes: a topic it uses gone from the broker, or with another partition count than the
registry declares.

Listeners run inside the client's poll(), in the stage's own thread; what they raise leaves that poll().
"""

from __future__ import annotations

from collections.abc import Iterable

from doran.broker import TopicShape
from doran.stages.broker_failure import check_topics
from doran.stages.client_stats import ClientMonitor, ClientStats, ConsumerMonitor
from doran.stages.lifecycle import Lifecycle
from doran.stages.readiness import Readiness

__all__ = ["KafkaWatch"]


def _partitions(assigned: Iterable[tuple[str, int]]) -> list[str]:
    return [f"{topic}/{partition}" for topic, partition in sorted(assigned)]


class KafkaWatch:
    """Watches the clients of one stage process: give `consumer_monitor.on_stats` to its consumer and
    `producer_monitor.on_stats` to its producer as `stats_cb`, and `expect` the topics it uses."""

    def __init__(self, lifecycle: Lifecycle, readiness: Readiness) -> None:
        self.lifecycle = lifecycle
        self.readiness = readiness
        self.consumer_monitor = ConsumerMonitor()
        self.producer_monitor = ClientMonitor()
        self.consumer_monitor.listen(self._on_consumer)
        self.producer_monitor.listen(self._on_producer)
        self._topics: dict[str, int] = {}
        self._broker_up: dict[str, bool] = {}  # by client role
        self._connected: bool | None = None  # any client up; None until one reported

    def expect(self, topics: Iterable[TopicShape]) -> None:
        """Stop the stage (TopicLayoutChanged) if one of `topics` shows another partition count."""
        self._topics.update({topic.name: topic.partitions for topic in topics})

    @property
    def broker_up(self) -> bool:
        """Whether a client of this stage reached a broker in its latest statistics."""
        return bool(self._connected)

    def _check_topics(self, previous: ClientStats | None, current: ClientStats) -> None:
        before = {} if previous is None else previous.partition_counts
        check_topics(self._topics, before, current.partition_counts)

    def _on_consumer(self, previous: ClientStats | None, current: ClientStats) -> None:
        self._check_topics(previous, current)
        before = frozenset() if previous is None else previous.assigned
        if current.assigned - before:
            self.lifecycle.log("assigned", partitions=_partitions(current.assigned - before))
        if before - current.assigned:
            self.lifecycle.log("revoked", partitions=_partitions(before - current.assigned))
        self._broker("consumer", current.brokers_up)
        self.readiness.set("broker", current.brokers_up)
        self.readiness.set("assigned", bool(current.assigned) and current.in_group)

    def _on_producer(self, previous: ClientStats | None, current: ClientStats) -> None:
        self._check_topics(previous, current)
        self._broker("producer", current.brokers_up)
        self.readiness.set("producer", current.brokers_up)

    def _broker(self, role: str, up: bool) -> None:
        self._broker_up[role] = up
        connected = any(self._broker_up.values())
        if connected == self._connected:
            return
        if self._connected is not None or not connected:
            self.lifecycle.log("broker_back" if connected else "broker_lost")
        self._connected = connected
