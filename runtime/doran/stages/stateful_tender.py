"""A stateful stage's clients, and the executor's relay, followed on every turn of its loop: the
transactional producer is polled (its statistics give readiness `producer`, whether or not a transaction
is under way), the relay connection gives readiness `relay` and the lifecycle events `relay_connected` /
`relay_lost`, and what cannot get better by waiting stops the stage with one line: a relay that refuses
the token (only a restart with another DORAN_RELAY_API_KEY fixes it, as for ingest), no broker for
longer than DORAN_BROKER_UNAVAILABLE_TIMEOUT_S, or a topic it uses gone from the broker (a broker that
lost its data: the stage's consumer is then assigned nothing, and says nothing else).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from confluent_kafka import Consumer, Producer

from doran.relay import RelayRejectedError
from doran.stages.broker_failure import BrokerFailure, TopicGone
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle
from doran.stages.readiness import Readiness

__all__ = [
    "CONSUMER_READINESS",
    "EXECUTE_READINESS",
    "STATEFUL_READINESS",
    "RelayLink",
    "StatefulTender",
    "stateful_watch",
]

#: What a consuming stage needs to do its job: its partitions assigned (a stateful stage's: restored) in
#: a settled group, its consumer and its producer (transactional or not) connected; the executor its
#: relay too.
CONSUMER_READINESS = ("assigned", "broker", "producer")
#: A stateful stage's (execute, settle): its working stores writable too (`doran.state.StoreFailed`).
STATEFUL_READINESS = (*CONSUMER_READINESS, "state")
EXECUTE_READINESS = (*STATEFUL_READINESS, "relay")
#: Unassigned this long with a broker up, the stage asks the broker whether its topics are still there.
_UNASSIGNED_S = 5.0


def stateful_watch(stage: str, conditions: Sequence[str]) -> KafkaWatch:
    """A watch of a stateful stage's clients, its readiness made of `conditions`."""
    lifecycle = Lifecycle(stage)
    return KafkaWatch(lifecycle, Readiness(lifecycle, conditions))


class RelayLink(Protocol):
    """What the tender follows of a relay connection (`doran.relay.RelaySession`)."""

    url: str

    @property
    def connected(self) -> bool: ...

    @property
    def refused(self) -> str | None:
        """Why the relay refused the latest handshake's credentials (HTTP 401/403); None otherwise."""
        ...


class StatefulTender:
    """Follows a stateful stage's producer and relay for `watch` (readiness, lifecycle): `tend()` it
    every turn of the loop."""

    def __init__(
        self,
        watch: KafkaWatch,
        producer: Producer,
        consumer: Consumer,
        topics: Sequence[str],
        broker_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._watch = watch
        self._producer = producer
        self._consumer = consumer
        self._topics = tuple(topics)
        self._unassigned_since: float | None = None
        self._next_topic_check = 0.0
        self._broker_timeout_s = broker_timeout_s
        self._clock = clock
        self._without_broker_since: float | None = None
        self._relay: RelayLink | None = None
        self._follows_relay = False
        self._relay_up: bool | None = None

    def follow_relay(self, relay: RelayLink | None) -> None:
        """Readiness `relay` follows `relay`'s connection from now on; None: a venue without a relay
        (the condition holds)."""
        self._follows_relay = True
        self._relay = relay
        if relay is None:
            self._watch.readiness.set("relay", True)

    def check_relay(self) -> None:
        """Raise RelayRejectedError when the relay refused the credentials; a refusal is never waited out."""
        relay = self._relay
        if relay is None:
            return
        refused = relay.refused
        if refused is not None:
            raise RelayRejectedError(
                f"The relay at {relay.url} refused the executor's connection ({refused}); exiting: "
                "the token is read only at start, so fix DORAN_RELAY_API_KEY and restart"
            )

    def tend(self) -> None:
        """Poll the producer (its statistics, its errors), follow the relay, check the broker's absence
        and, while nothing is assigned, that the topics are there."""
        self._producer.poll(0)
        if self._follows_relay:
            self._follow_relay()
        self._check_broker()
        self._check_topics()

    def _follow_relay(self) -> None:
        relay = self._relay
        if relay is None:
            return
        self.check_relay()
        up = relay.connected
        if up == self._relay_up:
            return
        if self._relay_up is not None or up:
            self._watch.lifecycle.log("relay_connected" if up else "relay_lost", url=relay.url)
        self._watch.readiness.set("relay", up)
        self._relay_up = up

    def _check_broker(self) -> None:
        watch = self._watch
        if watch.consumer_monitor.stats is None and watch.producer_monitor.stats is None:
            return  # nothing reported yet
        now = self._clock()
        self._without_broker_since = None if watch.broker_up else (self._without_broker_since or now)
        since = self._without_broker_since
        if since is not None and now - since > self._broker_timeout_s:
            raise BrokerFailure(
                f"no Kafka broker reachable for {self._broker_timeout_s:g} s "
                "(DORAN_BROKER_UNAVAILABLE_TIMEOUT_S); exiting to be restarted"
            )

    def _check_topics(self) -> None:
        watch, now = self._watch, self._clock()
        if not watch.broker_up or "assigned" not in watch.readiness.missing():
            self._unassigned_since = None
            return
        self._unassigned_since = self._unassigned_since or now
        if now - self._unassigned_since < _UNASSIGNED_S or now < self._next_topic_check:
            return
        self._next_topic_check = now + _UNASSIGNED_S
        found = self._consumer.list_topics(timeout=_UNASSIGNED_S).topics  # every topic: creates none
        missing = [t for t in self._topics if t not in found or found[t].error is not None]
        if missing:
            raise TopicGone(
                f"{', '.join(missing)} gone from the broker: the broker lost its topics (restarted without "
                "persistent storage?) or they were deleted; exiting to be restarted, which creates them again"
            )
