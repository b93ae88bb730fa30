"""A stage's Kafka clients as their statistics show them: readiness, lifecycle events, and the topic checks
that stop a stage (a topic gone, another partition count). The reports are shaped as librdkafka 2.12 emits
them (fields trimmed to the ones read)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from doran.contracts import NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.stages.broker_failure import TopicGone, TopicLayoutChanged
from doran.stages.client_stats import ClientStats
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle
from doran.stages.readiness import Readiness

RAW = RAW_NEAR_INTENTS_QUOTE.name


def stats(
    *,
    broker: str = "UP",
    partitions: int = 3,
    assigned: tuple[int, ...] = (0, 1, 2),
    group: tuple[str, str] | None = ("up", "steady"),
    topic: str = RAW,
) -> str:
    report: dict[str, Any] = {
        "brokers": {
            "127.0.0.1:9092/bootstrap": {"nodeid": -1, "state": "INIT"},
            "127.0.0.1:9092/111": {"nodeid": 111, "state": broker},
            "GroupCoordinator": {"nodeid": -1, "state": "UP"},  # never counts: the same connection
        },
        "topics": {
            topic: {
                "partitions": {
                    **{
                        str(n): {"fetch_state": "active" if n in assigned else "none", "hi_offset": 10}
                        for n in range(partitions)
                    },
                    "-1": {"fetch_state": "none"},
                }
            }
        },
    }
    if group is not None:
        report["cgrp"] = {"state": group[0], "join_state": group[1]}
    return json.dumps(report)


def watched() -> KafkaWatch:
    lifecycle = Lifecycle("normalize")
    watch = KafkaWatch(lifecycle, Readiness(lifecycle, ("assigned", "broker", "producer")))
    watch.expect([RAW_NEAR_INTENTS_QUOTE, NORM_SWAP_DEMAND])
    return watch


def test_a_report_reduces_to_what_doran_acts_on() -> None:
    read = ClientStats.parse(stats(assigned=(1,), group=("up", "wait-assign")))
    assert (read.brokers_up, read.assigned, read.partition_counts) == (True, {(RAW, 1)}, {RAW: 3})
    assert not read.in_group
    assert not ClientStats.parse(stats(broker="TRY_CONNECT")).brokers_up


def test_ready_needs_partitions_in_a_settled_group_and_both_clients_connected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = watched()
    with caplog.at_level(logging.INFO, logger="doran.lifecycle"):
        watch.consumer_monitor.on_stats(stats(assigned=(), group=("up", "wait-join")))
        watch.producer_monitor.on_stats(stats(group=None, topic=NORM_SWAP_DEMAND.name))
        assert watch.readiness.probe() == (False, "not ready: assigned")
        watch.consumer_monitor.on_stats(stats())
        assert watch.readiness.ready
        watch.consumer_monitor.on_stats(stats(broker="TRY_CONNECT"))
        watch.producer_monitor.on_stats(stats(broker="CONNECT", group=None, topic=NORM_SWAP_DEMAND.name))
        assert watch.readiness.probe() == (False, "not ready: broker, producer")
        watch.consumer_monitor.on_stats(stats(broker="TRY_CONNECT", assigned=(), group=("init", "init")))
        watch.consumer_monitor.on_stats(stats(assigned=(2,)))
    assert [r.getMessage().removeprefix("event=") for r in caplog.records] == [
        f"assigned stage=normalize partitions={RAW}/0,{RAW}/1,{RAW}/2",
        "ready stage=normalize",
        "unready stage=normalize missing=broker",
        "broker_lost stage=normalize",  # once, though both clients lost it
        f"revoked stage=normalize partitions={RAW}/0,{RAW}/1,{RAW}/2",
        f"assigned stage=normalize partitions={RAW}/2",
        "broker_back stage=normalize",
    ]


def test_a_topic_with_another_partition_count_stops_the_stage() -> None:
    # tansu creates a topic a producer writes to with 4 partitions; the registry declares 3.
    watch = watched()
    watch.consumer_monitor.on_stats(stats())
    with pytest.raises(
        TopicLayoutChanged, match=f"topic {RAW} has 4 partitions where the registry declares 3"
    ):
        watch.consumer_monitor.on_stats(stats(partitions=4, assigned=(0, 1, 2, 3)))


def test_a_topic_gone_stops_the_stage_but_one_not_known_yet_does_not() -> None:
    watch = watched()
    watch.consumer_monitor.on_stats(stats(partitions=0, assigned=()))  # before metadata: not known yet
    watch.consumer_monitor.on_stats(stats())
    with pytest.raises(TopicGone, match=f"topic {RAW} is gone from the broker"):
        watch.consumer_monitor.on_stats(stats(partitions=0, assigned=()))
