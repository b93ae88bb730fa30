"""Ingest's producer, tended on a timer beside the frame pump: delivery reports, errors and statistics are
served every 50 ms whatever the relay sends, so a failure surfaces when it happens, not at the next frame;
the relay connection and the broker are followed for /readyz and the lifecycle log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from doran.relay import RelayClient
from doran.settings import Settings
from doran.stages.broker_failure import BrokerFailure, TopicGone
from doran.stages.delivery import TrackedProducer
from doran.stages.kafka_watch import KafkaWatch

__all__ = ["READINESS", "IngestTender", "producer_config"]

#: How often ingest serves its producer's delivery reports and statistics, whatever the relay sends.
_TEND_INTERVAL_S = 0.05
#: A record unacknowledged this long while a broker is up means the producer is not delivering (a
#: healthy broker acknowledges in milliseconds): ingest is unready and asks the broker for its topics.
_STALL_S = 5.0
#: What ingest needs to do its job: the relay subscribed, the producer connected and delivering.
READINESS = ("relay", "producer", "delivering")


def producer_config(settings: Settings, broker: str, watch: KafkaWatch) -> dict[str, Any]:
    """The librdkafka configuration of ingest's producer."""
    return {
        # As Quix Streams configures its producers: idempotent, keys partitioned as Java's clients do.
        "enable.idempotence": True,
        "partitioner": "murmur2",
        **settings.producer_config(),
        "bootstrap.servers": broker,
        # A record the broker has not taken by then fails its delivery, and ingest exits (naming it).
        "message.timeout.ms": int(settings.broker_unavailable_timeout_s * 1000),
        "statistics.interval.ms": settings.statistics_interval_ms,
        "stats_cb": watch.producer_monitor.on_stats,
    }


class IngestTender:
    """Serves ingest's producer on a timer and follows the relay and the broker (readiness, lifecycle)."""

    def __init__(
        self, producer: TrackedProducer, watch: KafkaWatch, relay: RelayClient | None, timeout_s: float
    ) -> None:
        self._producer = producer
        self._watch = watch
        self._relay = relay
        self._timeout_s = timeout_s
        self._connected: bool | None = None
        self._without_broker_since: float | None = None
        self._next_topic_check = 0.0

    async def run(self, pumping: asyncio.Task[None], topics: list[str]) -> None:
        """Until the pump ends; a producer failure, a topic gone or no broker for too long raise here."""
        while not pumping.done():
            self._producer.poll(0)
            self._follow_relay()
            await self._check_delivery(topics)
            await asyncio.sleep(_TEND_INTERVAL_S)

    def _follow_relay(self) -> None:
        up = True if self._relay is None else self._relay.connected
        if up == self._connected:
            return
        if self._relay is not None and (self._connected is not None or up):
            self._watch.lifecycle.log("relay_connected" if up else "relay_lost", url=self._relay.url)
        self._watch.readiness.set("relay", up)
        self._connected = up

    async def _check_delivery(self, topics: list[str]) -> None:
        now = time.monotonic()
        if self._watch.producer_monitor.stats is not None:
            broker_up = self._watch.broker_up
            self._without_broker_since = None if broker_up else (self._without_broker_since or now)
        if self._without_broker_since is not None and now - self._without_broker_since > self._timeout_s:
            raise BrokerFailure(
                f"no Kafka broker reachable for {self._timeout_s:g} s "
                "(DORAN_BROKER_UNAVAILABLE_TIMEOUT_S); exiting to be restarted"
            )
        waited = self._producer.oldest_pending_s()
        self._watch.readiness.set("delivering", waited < _STALL_S)
        if waited >= _STALL_S and self._watch.broker_up and now >= self._next_topic_check:
            self._next_topic_check = now + _STALL_S
            missing = await asyncio.to_thread(self._producer.missing_topics, topics, _STALL_S)
            if missing:
                raise TopicGone(
                    f"{', '.join(missing)} gone from the broker: the broker lost its topics (restarted "
                    "without persistent storage?) or they were deleted; exiting to be restarted, which "
                    "creates them again"
                )
