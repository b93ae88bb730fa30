"""A stateful stage's clients, and the executor's relay, followed on every turn of its loop: the
transactional producer is polled (its statistics give readiness `producer`, whether or not a transaction
is under way), the relay connection gives readiness `relay` and the lifecycle events `relay_connected` /
`relay_lost`, and what cannot get better by waiting stops the stage with one line: a relay that refuses
the token (only a restart with another DORAN_RELAY_API_KEY fixes it, as for ingest), or no broker for
longer than DORAN_BROKER_UNAVAILABLE_TIMEOUT_S.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from confluent_kafka import Producer

from doran.relay import RelayRejectedError
from doran.stages.broker_failure import BrokerFailure
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle
from doran.stages.readiness import Readiness

__all__ = ["CONSUMER_READINESS", "EXECUTE_READINESS", "RelayLink", "StatefulTender", "stateful_watch"]

#: What a consuming stage needs to do its job: its partitions assigned (a stateful stage's: restored) in
#: a settled group, its consumer and its producer (transactional or not) connected; the executor its
#: relay too.
CONSUMER_READINESS = ("assigned", "broker", "producer")
EXECUTE_READINESS = (*CONSUMER_READINESS, "relay")


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
        broker_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._watch = watch
        self._producer = producer
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
        """Poll the producer (its statistics, its errors), follow the relay, check the broker's absence."""
        self._producer.poll(0)
        if self._follows_relay:
            self._follow_relay()
        self._check_broker()

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
