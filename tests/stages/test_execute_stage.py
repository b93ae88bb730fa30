"""The execute stage on a real broker: results field by field, duplicates, recovery from the changelog,
a lost state directory, a lost changelog, dead letters, an aborted transaction."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from support.broker import stage_settings
from support.commands import command
from support.registry import produced_event
from support.waiting import stage_in_thread, wait_until

from doran.broker import LogRecord, TopicReader
from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    EXEC_TRADE_RESULT,
    DeadLetterEvent,
    ExecuteTradeEvent,
    ResultCode,
    TradeResultEvent,
    TradeStatus,
)
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, settings_environment
from doran.devkit.ports import free_port
from doran.executor import TABLE, CommandRecord, IdempotencyHistoryLost, Ticket
from doran.publish.publication import contract_source
from doran.settings import Settings
from doran.stages import stateful_stage
from doran.stages.execute import run_execute_stage
from doran.stages.health import HealthServer
from doran.stages.metrics import StageMetrics
from doran.stages.stateful_tender import EXECUTE_READINESS, stateful_watch
from doran.state import Change, Row, changelog_record, changelog_topic, ensure_changelog
from doran.venues import SimulatedVenue, simulated_venue_log
from doran.wire import CONTRACT_HEADER, derive_event_id, encode, encoded_object, kafka_record, utc_timestamp

pytestmark = pytest.mark.integration


def produce_commands(broker: str, commands: list[ExecuteTradeEvent], partition: int | None = None) -> None:
    producer = Producer({"bootstrap.servers": broker, "linger.ms": 5})
    for event in commands:
        record = kafka_record(CMD_EXECUTE_TRADE, event)
        where = {} if partition is None else {"partition": partition}
        producer.produce(record.topic, record.value, record.key, headers=record.headers, **where)
    assert producer.flush(30) == 0


def produce_raw(broker: str, values: list[bytes], key: bytes = b"raw") -> None:
    producer = Producer({"bootstrap.servers": broker})
    for value in values:
        producer.produce(CMD_EXECUTE_TRADE.name, value, key, partition=0)
    assert producer.flush(30) == 0


def read_topic(broker: str, topic: str) -> list[LogRecord]:
    """Every committed record of `topic` (read_committed, no group join), to its end."""
    with TopicReader(broker, timeout_s=120) as reader:
        return list(reader.read_all([topic]))


def results_by_command(broker: str) -> dict[str, list[tuple[LogRecord, TradeResultEvent]]]:
    found: dict[str, list[tuple[LogRecord, TradeResultEvent]]] = {}
    for message in read_topic(broker, EXEC_TRADE_RESULT.name):
        event = produced_event(EXEC_TRADE_RESULT, message.value)
        assert isinstance(event, TradeResultEvent)
        found.setdefault(event.payload.command_id, []).append((message, event))
    return found


def settings_for(broker: str, root: Path, **overrides: Any) -> Settings:
    # The simulated venue: the NEAR Intents venue on a broker is test_execute_near_intents.py's.
    return stage_settings(root, broker, venue="simulated", consumer_group_prefix="test", **overrides)


def wait_for_consumed(metrics: StageMetrics, consumed: int, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = metrics.snapshot()
        if counts["consumed"] >= consumed:
            return counts
        time.sleep(0.1)
    raise AssertionError(
        f"the executor did not consume {consumed} commands in {timeout_s}s: {metrics.snapshot()}"
    )


@contextmanager
def running_executor(settings: Settings, **kwargs: Any) -> Iterator[StageMetrics]:
    """run_execute_stage in a thread, counting into the yielded metrics; stopped (and its exception
    re-raised) when the block ends."""
    kwargs.setdefault("metrics", StageMetrics("execute", kwargs.get("monitor")))
    address = str(settings.broker_address)
    with stage_in_thread("executor", lambda stop: run_execute_stage(settings, address, stop=stop, **kwargs)):
        yield kwargs["metrics"]


def venue_counts(settings: Settings) -> Counter[str]:
    venue = SimulatedVenue(simulated_venue_log(settings))
    try:
        return venue.execution_counts()
    finally:
        venue.close()


@pytest.fixture
def unused_port() -> int:
    return free_port()


def reconciles(counters: dict[str, Any]) -> bool:
    dead = sum(counters["dead_lettered"].values())
    return bool(counters["consumed"] == counters["published"] + dead + counters["skipped_duplicates"])


def test_each_command_gets_exactly_one_result_field_by_field(
    fresh_broker: str, tmp_path: Path, unused_port: int
) -> None:
    commands = [command(n) for n in range(300)]
    produce_commands(fresh_broker, commands)
    settings = settings_for(fresh_broker, tmp_path, health_port=unused_port)

    with running_executor(settings, max_batch=100) as metrics:
        counters = wait_for_consumed(metrics, len(commands))

    final = metrics.snapshot()
    assert (final["consumed"], final["published"], final["skipped_duplicates"]) == (300, 300, 0)
    assert reconciles(final)
    assert reconciles(counters)
    venue = SimulatedVenue(simulated_venue_log(settings))
    results = results_by_command(fresh_broker)
    assert sorted(results) == sorted(c.payload.command_id for c in commands)
    for sent in commands:
        ((message, result),) = results[sent.payload.command_id]
        fill = venue.decide_fill(sent.payload)
        expected = (
            (TradeStatus.FILLED, ResultCode.FILLED)
            if fill.filled
            else (TradeStatus.REJECTED, ResultCode.VENUE_REJECTED)
        )
        got = result.payload
        assert (got.status, got.result_code, got.note) == (*expected, fill.note)
        carried = ("command_id", "idempotency_key", "execution_key", "quote_id")
        assert [getattr(got, f) for f in carried] == [getattr(sent.payload, f) for f in carried]
        assert (result.observed_at, result.raw) == (sent.observed_at, sent.raw)
        assert result.source == "doran.execute"
        assert message.key == sent.payload.execution_key.encode()
        headers = dict(message.headers)
        assert headers["ce_id"] == result.event_id.encode()
        assert headers["ce_type"] == b"trade_result"
        assert {"ce_specversion", "ce_source", "ce_time", "ce_dataschema", CONTRACT_HEADER} <= set(headers)
    venue.close()
    assert venue_counts(settings) == {c.payload.command_id: 1 for c in commands}


def test_a_duplicated_command_is_skipped_and_counted(
    fresh_broker: str, tmp_path: Path, unused_port: int
) -> None:
    settings = settings_for(fresh_broker, tmp_path, statistics_interval_ms=100)
    produce_commands(fresh_broker, [command(n) for n in range(20)])
    watch = stateful_watch("execute", EXECUTE_READINESS)
    monitor = watch.consumer_monitor
    metrics = StageMetrics("execute", monitor)
    health = HealthServer(
        unused_port,
        registry=metrics.registry,
        live=lambda: monitor.polled_within(5),
        ready=watch.readiness.probe,
    )
    with health, running_executor(settings, metrics=metrics, watch=watch):
        wait_for_consumed(metrics, 20)
        wait_until(lambda: http_status(unused_port, "/readyz") == 200, "ready once partitions are assigned")
        assert http_status(unused_port, "/healthz") == 200
        # Same command_ids, new events: decide ran again over the same quotes.
        produce_commands(fresh_broker, [command(n, event_id=f"evt-again-{n}") for n in range(5)])
        counters = wait_for_consumed(metrics, 25)
        exposition = (
            urllib.request.urlopen(f"http://127.0.0.1:{unused_port}/metrics", timeout=5).read().decode()
        )
    assert 'doran_duplicates_skipped_total{stage="execute"} 5.0' in exposition
    assert "doran_consumer_lag{partition=" in exposition

    assert (counters["published"], counters["skipped_duplicates"]) == (20, 5)
    assert reconciles(counters)
    assert all(len(found) == 1 for found in results_by_command(fresh_broker).values())
    assert venue_counts(settings) == {f"cmd-q-{n:05d}": 1 for n in range(20)}


def begun_by_a_replica_that_died(settings: Settings, commands: list[ExecuteTradeEvent]) -> None:
    """The processing records a replica committed to the changelog (partition 0) before it died."""
    changelog = changelog_topic(settings.stage_group("execute"))
    broker = str(settings.broker_address)
    ensure_changelog(broker, changelog, partitions=3, replication_factor=1, retention_ms=-1)
    producer = Producer({"bootstrap.servers": broker, "transactional.id": "a-replica-that-died"})
    producer.init_transactions(10)
    producer.begin_transaction()
    at = utc_timestamp(datetime.now(UTC))
    for sent in commands:
        record = CommandRecord.processing(sent.event_id, Ticket())
        change = changelog_record(0, Change(TABLE, sent.payload.command_id, Row(at, record.to_json())))
        producer.produce(changelog, change.value, change.key, partition=0, headers=change.headers)
    producer.commit_transaction(10)


def test_a_command_a_dead_replica_left_processing_is_recovered_not_executed_again(
    fresh_broker: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="doran.lifecycle")
    settings = settings_for(fresh_broker, tmp_path)
    interrupted = [command(n) for n in range(3)]
    begun_by_a_replica_that_died(settings, interrupted)
    venue = SimulatedVenue(simulated_venue_log(settings))
    venue.execute(interrupted[0].payload)  # the venue got only the first before the crash
    venue.close()
    produce_commands(fresh_broker, interrupted, partition=0)

    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 3)

    results = results_by_command(fresh_broker)
    codes = [results[c.payload.command_id][0][1].payload for c in interrupted]
    assert [(p.status, p.result_code) for p in codes] == [
        (TradeStatus.RECOVERED, ResultCode.RECOVERED_FILLED),
        (TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED),
        (TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED),
    ]
    assert venue_counts(settings) == {"cmd-q-00000": 1}
    lines = [r.getMessage() for r in caplog.records if r.name == "doran.lifecycle"]
    recovered = [line for line in lines if line.startswith("event=recovered stage=execute partition=0 ")]
    assert sum(int(line.rsplit("commands=", 1)[1]) for line in recovered) == 3, lines
    restored = [line for line in lines if line.startswith("event=restored") and "partition=0" in line]
    assert restored and "history=restored" in restored[0], restored


def test_a_deleted_state_directory_is_restored_from_the_changelog_without_an_operator(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    sent = [command(n) for n in range(30)]
    produce_commands(fresh_broker, sent)
    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 30)
    for leftover in settings.executor_state_dir.iterdir():  # the volume was lost
        leftover.unlink()

    # The same command events again, as a rewound consumer or a re-run decide would bring them.
    produce_commands(fresh_broker, sent)
    with running_executor(settings) as metrics:
        counters = wait_for_consumed(metrics, 30)

    assert (counters["published"], counters["skipped_duplicates"]) == (0, 30)
    assert venue_counts(settings) == {c.payload.command_id: 1 for c in sent}
    assert all(len(found) == 1 for found in results_by_command(fresh_broker).values())


def test_a_lost_changelog_with_committed_offsets_refuses_to_start_unless_overridden(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    produce_commands(fresh_broker, [command(n) for n in range(10)], partition=0)
    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 10)
    admin = AdminClient({"bootstrap.servers": fresh_broker})
    for done in admin.delete_topics([changelog_topic(settings.stage_group("execute"))]).values():
        done.result()
    for leftover in settings.executor_state_dir.iterdir():  # and the volume with it
        leftover.unlink()

    with pytest.raises(IdempotencyHistoryLost, match="DORAN_EXECUTOR_ALLOW_MISSING_STATE=true"):
        run_execute_stage(settings, fresh_broker)
    child = subprocess.run(
        [sys.executable, "-m", "doran.cli", "stage", "execute"],
        env={**os.environ, **child_env(settings)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 2
    assert "idempotency history is gone" in child.stderr

    first_answer = {e.event_id for _, e in results_by_command(fresh_broker)["cmd-q-00003"]}
    overridden = settings_for(fresh_broker, tmp_path, executor_allow_missing_state=True)
    # Command 3 again (a rewound decide): with its history gone, it is answered again.
    produce_commands(fresh_broker, [command(3), command(10)], partition=0)
    with running_executor(overridden) as metrics:
        counters = wait_for_consumed(metrics, 2)
    # It resumed after the committed offsets: the first ten were not read again.
    assert (counters["consumed"], counters["published"]) == (2, 2)
    assert venue_counts(settings) == {**{f"cmd-q-{n:05d}": 1 for n in range(11)}, "cmd-q-00003": 2}
    answers = [e.event_id for _, e in results_by_command(fresh_broker)["cmd-q-00003"]]
    assert len(answers) == 2 and set(answers) - first_answer, "answered again under a new event_id"

    # Restarted without the override: the partition's changelog keeps the override's incarnation, so
    # what it answers next still derives new ids (a command answered before could come again).
    produce_commands(fresh_broker, [command(11)], partition=0)
    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 1)
    ((_, result),) = results_by_command(fresh_broker)["cmd-q-00011"]
    assert result.event_id != derive_event_id(EXEC_TRADE_RESULT.event_type, command(11).event_id)


def test_malformed_commands_are_dead_lettered_and_the_stage_keeps_running(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    valid = command(1).model_dump(mode="json")
    bad = {
        b"not json at all": "not_json",
        orjson.dumps({**valid, "event_type": "swap_demand"}): "wrong_event_type",
        orjson.dumps({**valid, "payload": {**valid["payload"], "amount_in": "-5"}}): "schema_violation",
    }
    produce_raw(fresh_broker, [encode(command(0)), *bad, encode(command(1))])

    with running_executor(settings) as metrics:
        counters = wait_for_consumed(metrics, 5)
        produce_commands(fresh_broker, [command(2)])
        counters = wait_for_consumed(metrics, 6)

    assert counters["dead_lettered"] == {"not_json": 1, "schema_violation": 1, "wrong_event_type": 1}
    assert counters["published"] == 3
    assert sorted(results_by_command(fresh_broker)) == ["cmd-q-00000", "cmd-q-00001", "cmd-q-00002"]
    letters = [
        produced_event(DEAD_LETTER_TOPIC, m.value) for m in read_topic(fresh_broker, DEAD_LETTER_TOPIC.name)
    ]
    assert all(isinstance(letter, DeadLetterEvent) for letter in letters)
    found = {
        base64.b64decode(letter.payload.original_value_b64): (
            letter.payload.reason.value,
            letter.payload.source_topic,
            letter.payload.source_partition,
            letter.payload.source_offset,
            letter.payload.stage.value,
        )
        for letter in letters
        if isinstance(letter, DeadLetterEvent)
    }
    assert found == {
        value: (reason, CMD_EXECUTE_TRADE.name, 0, offset, "execute")
        for offset, (value, reason) in enumerate(bad.items(), start=1)
    }


def child_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `doran stage execute` use these settings."""
    return {
        **settings_environment(EMBEDDED_BROKER_SETTINGS),
        "DORAN_BROKER_ADDRESS": str(settings.broker_address),
        "DORAN_REGISTRY_URL": str(settings.registry_url),
        "EXECUTOR_STATE_DIR": str(settings.executor_state_dir),
        "DORAN_QUIX_STATE_DIR": str(settings.quix_state_dir),
        "DORAN_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "DORAN_VENUE": settings.venue,
        "DORAN_EXECUTOR_ALLOW_MISSING_STATE": str(settings.executor_allow_missing_state).lower(),
    }


def http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class _Wrapped:
    """The stage's producer with some methods replaced: fault injection and observation at the client
    boundary (tansu cannot be made to fail one commit on cue, nor tell what a transaction held)."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


W = TypeVar("W", bound=_Wrapped)


def wrap_producers(monkeypatch: pytest.MonkeyPatch, wrap: Callable[[Producer], W]) -> list[W]:
    """Every stateful stage started from now on gets its producer wrapped; the wrappers, in order."""
    real = stateful_stage.stateful_clients
    wrapped: list[W] = []

    def clients(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        consumer, producer = real(*args, **kwargs)
        wrapped.append(wrap(producer))
        return consumer, wrapped[-1]

    monkeypatch.setattr(stateful_stage, "stateful_clients", clients)
    return wrapped


class _FailsOneCommit(_Wrapped):
    """Its first commit delivers its records, then fails as a broker would make it abort."""

    failed = 0

    def commit_transaction(self, *args: Any) -> None:
        if not self.failed:
            self.failed += 1
            self._producer.flush(10)  # the records reach the broker: the abort must then hide them
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "injected", txn_requires_abort=True))
        self._producer.commit_transaction(*args)


def test_an_aborted_transaction_is_produced_again_and_each_result_committed_once(
    fresh_broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    injected = wrap_producers(monkeypatch, _FailsOneCommit)
    settings = settings_for(fresh_broker, tmp_path)
    sent = [command(n) for n in range(300)]
    produce_commands(fresh_broker, sent)

    with running_executor(settings, max_batch=100) as metrics:
        counters = wait_for_consumed(metrics, 300)

    assert [producer.failed for producer in injected] == [1]
    assert (counters["published"], counters["skipped_duplicates"]) == (300, 0)
    assert venue_counts(settings) == {c.payload.command_id: 1 for c in sent}  # the venue once each
    # Read as Kafka serves it, the aborted copy is gone; tansu serves it too (same event, same bytes).
    for found in results_by_command(fresh_broker).values():
        assert len({message.value for message, _ in found}) == 1


class _WatchesTransactions(_Wrapped):
    """Notes of each transaction whether it wrote `processing` records to the changelog and whether it
    committed offsets with the consumer group's metadata."""

    def __init__(self, producer: Producer) -> None:
        super().__init__(producer)
        self._begins = self._with_group = False
        self.transactions: list[tuple[bool, bool]] = []

    def produce(self, topic: str, value: bytes | None, *args: Any, **kwargs: Any) -> None:
        self._begins |= topic.endswith(".changelog") and b'"processing"' in (value or b"")
        self._producer.produce(topic, value, *args, **kwargs)

    def send_offsets_to_transaction(self, offsets: Any, metadata: Any, *args: Any) -> None:
        self._with_group = metadata is not None
        self._producer.send_offsets_to_transaction(offsets, metadata, *args)

    def commit_transaction(self, *args: Any) -> None:
        self._producer.commit_transaction(*args)
        self.transactions.append((self._begins, self._with_group))
        self._begins = self._with_group = False


def test_every_transaction_that_lets_quotes_leave_carries_the_group_metadata(
    fresh_broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On Redpanda/Kafka a replica that lost the group cannot commit such a transaction (KIP-447), so
    # the quotes it begins never leave: that holds only if every one of them commits offsets.
    watched = wrap_producers(monkeypatch, _WatchesTransactions)
    settings = settings_for(fresh_broker, tmp_path)
    sent = [command(n) for n in range(200)]
    with running_executor(settings, max_batch=20) as metrics:
        produce_commands(fresh_broker, sent[:100])
        wait_for_consumed(metrics, 100)
        produce_commands(fresh_broker, sent[100:])
        wait_for_consumed(metrics, 200)

    (producer,) = watched
    beginning = [with_group for begins, with_group in producer.transactions if begins]
    assert beginning and all(beginning), producer.transactions


def test_commands_confluents_serializer_made_are_executed_and_confluent_reads_the_results(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    client = SchemaRegistryClient({"url": settings.registry_url})
    conf: dict[str, Any] = {"auto.register.schemas": False, "use.latest.version": True}
    schema = contract_source(CMD_EXECUTE_TRADE).text
    prefix = JSONSerializer(schema, client, conf=conf)
    header = JSONSerializer(
        schema, client, conf={**conf, "schema.id.serializer": header_schema_id_serializer}
    )
    commands = [command(n) for n in range(6)]
    producer = Producer({"bootstrap.servers": fresh_broker})
    for n, event in enumerate(commands):
        headers: list[tuple[str, bytes]] = []
        context = SerializationContext(CMD_EXECUTE_TRADE.name, MessageField.VALUE, headers)
        value = (prefix, header)[n % 2](encoded_object(event), context)
        producer.produce(
            CMD_EXECUTE_TRADE.name, value, kafka_record(CMD_EXECUTE_TRADE, event).key, headers=headers
        )
    assert producer.flush(30) == 0

    with running_executor(settings) as metrics:
        counts = wait_for_consumed(metrics, len(commands))

    assert (counts["published"], counts["dead_lettered"]) == (6, {})
    results = read_topic(fresh_broker, EXEC_TRADE_RESULT.name)
    deserialize = JSONDeserializer(None, schema_registry_client=client)
    read = [
        deserialize(
            r.value, SerializationContext(EXEC_TRADE_RESULT.name, MessageField.VALUE, list(r.headers))
        )
        for r in results
    ]
    assert read == [
        produced_event(EXEC_TRADE_RESULT, r.value).model_dump(mode="json", exclude_unset=True)
        for r in results
    ]
    assert sorted(result["payload"]["command_id"] for result in read) == sorted(
        c.payload.command_id for c in commands
    )
