"""The stateful stages' tender without a broker: the relay connection as readiness and lifecycle, a refused
token as the one line the executor exits with, and no broker for too long as a BrokerFailure. Its clients
are real confluent-kafka clients pointed at a closed port (nothing is asked of them but a poll); the relay
is a plain object with the attributes `RelaySession` has; the statistics are shaped as librdkafka emits
them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, Producer

from doran.relay import RelayRejectedError
from doran.stages.broker_failure import BrokerFailure
from doran.stages.stateful_tender import EXECUTE_READINESS, STATEFUL_READINESS, StatefulTender, stateful_watch

CLOSED = "127.0.0.1:9"  # nothing listens: the clients never connect


def stats(*, broker: str) -> str:
    """A client's statistics, trimmed to its brokers (as librdkafka 2.12 emits them)."""
    brokers = {"127.0.0.1:9/bootstrap": {"nodeid": -1, "state": broker}}
    return json.dumps({"brokers": brokers, "topics": {}})


@dataclass
class Relay:
    url: str = "ws://relay.test/ws"
    connected: bool = False
    refused: str | None = None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clients() -> Iterator[tuple[Producer, Consumer]]:
    producer = Producer({"bootstrap.servers": CLOSED, "log_level": 0})
    consumer = Consumer({"bootstrap.servers": CLOSED, "group.id": "tender-test", "log_level": 0})
    yield producer, consumer
    consumer.close()


def test_the_relay_connection_is_the_executors_relay_readiness_and_lifecycle(
    clients: tuple[Producer, Consumer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="doran.lifecycle")
    watch = stateful_watch("execute", EXECUTE_READINESS)
    tender = StatefulTender(watch, *clients, topics=[], broker_timeout_s=60)
    relay = Relay()
    tender.follow_relay(relay)
    for condition in STATEFUL_READINESS:
        watch.readiness.set(condition, True)

    tender.tend()
    assert watch.readiness.missing() == ("relay",)
    relay.connected = True
    tender.tend()
    assert watch.readiness.ready
    relay.connected = False
    tender.tend()
    tender.tend()  # said once
    assert watch.readiness.probe() == (False, "not ready: relay")

    events = [r.getMessage().split(" ", 1)[0] for r in caplog.records]
    assert events == ["event=relay_connected", "event=ready", "event=relay_lost", "event=unready"]


def test_a_refused_token_stops_the_executor_with_a_line_naming_the_setting(
    clients: tuple[Producer, Consumer],
) -> None:
    watch = stateful_watch("execute", EXECUTE_READINESS)
    tender = StatefulTender(watch, *clients, topics=[], broker_timeout_s=60)
    relay = Relay(refused="HTTP 401: check DORAN_RELAY_API_KEY")
    tender.follow_relay(relay)
    with pytest.raises(RelayRejectedError, match=r"HTTP 401: check DORAN_RELAY_API_KEY.*restart"):
        tender.tend()


def test_a_venue_without_a_relay_holds_the_relay_condition(clients: tuple[Producer, Consumer]) -> None:
    watch = stateful_watch("execute", EXECUTE_READINESS)
    StatefulTender(watch, *clients, topics=[], broker_timeout_s=60).follow_relay(None)
    assert "relay" not in watch.readiness.missing()


def test_no_broker_for_longer_than_the_timeout_stops_the_stage(clients: tuple[Producer, Consumer]) -> None:
    clock = Clock()
    watch = stateful_watch("settle", STATEFUL_READINESS)
    tender = StatefulTender(watch, *clients, topics=[], broker_timeout_s=120, clock=clock)
    watch.consumer_monitor.on_stats(stats(broker="DOWN"))
    tender.tend()
    clock.now = 120.0
    tender.tend()  # at the timeout, not past it
    watch.consumer_monitor.on_stats(stats(broker="UP"))
    clock.now = 200.0
    tender.tend()  # back: the count starts again
    watch.consumer_monitor.on_stats(stats(broker="DOWN"))
    tender.tend()
    clock.now = 320.5
    with pytest.raises(BrokerFailure, match="no Kafka broker reachable for 120 s"):
        tender.tend()
