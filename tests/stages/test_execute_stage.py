"""The execute stage on a real broker: results field by field, duplicates, recovery, refusal, dead letters."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from support.broker import stage_settings
from support.commands import command
from support.registry import produced_event

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
from doran.executor import ExecutorStore, IdempotencyHistoryLost, Ticket
from doran.publish.publication import contract_source
from doran.settings import Settings
from doran.stages.execute import run_execute_stage
from doran.stages.health import HealthServer
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.venues import SimulatedVenue, simulated_venue_log
from doran.wire import CONTRACT_HEADER, encode, encoded_object, kafka_record

pytestmark = pytest.mark.integration


def produce_commands(broker: str, commands: list[ExecuteTradeEvent]) -> None:
    producer = Producer({"bootstrap.servers": broker, "linger.ms": 5})
    for event in commands:
        record = kafka_record(CMD_EXECUTE_TRADE, event)
        producer.produce(record.topic, record.value, record.key, headers=record.headers)
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
    stop = threading.Event()
    failure: list[BaseException] = []
    kwargs.setdefault("metrics", StageMetrics("execute", kwargs.get("monitor")))
    metrics = kwargs["metrics"]

    def target() -> None:
        try:
            run_execute_stage(settings, str(settings.broker_address), stop=stop, **kwargs)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="executor")
    thread.start()
    try:
        yield metrics
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), "the executor did not stop within 60 s of its stop event"
    if failure:
        raise failure[0]


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
    return bool(counters["consumed"] == counters["produced"] + dead + counters["skipped_duplicates"])


@pytest.mark.parametrize("guarantee", ["exactly-once", "at-least-once"])
def test_each_command_gets_exactly_one_result_field_by_field(
    fresh_broker: str, tmp_path: Path, unused_port: int, guarantee: str
) -> None:
    commands = [command(n) for n in range(300)]
    produce_commands(fresh_broker, commands)
    settings = settings_for(
        fresh_broker, tmp_path, executor_processing_guarantee=guarantee, health_port=unused_port
    )

    with running_executor(settings, max_batch=100) as metrics:
        counters = wait_for_consumed(metrics, len(commands))

    final = metrics.snapshot()
    assert (final["consumed"], final["produced"], final["skipped_duplicates"]) == (300, 300, 0)
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
    monitor = ConsumerMonitor()
    metrics = StageMetrics("execute", monitor)
    health = HealthServer(
        unused_port,
        registry=metrics.registry,
        live=lambda: monitor.polled_within(5),
        ready=lambda: bool(monitor.assigned),
    )
    with health, running_executor(settings, metrics=metrics, monitor=monitor):
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

    assert (counters["produced"], counters["skipped_duplicates"]) == (20, 5)
    assert reconciles(counters)
    assert all(len(found) == 1 for found in results_by_command(fresh_broker).values())
    assert venue_counts(settings) == {f"cmd-q-{n:05d}": 1 for n in range(20)}


def test_a_command_left_processing_yields_a_recovered_result_without_the_venue(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    interrupted = [command(n) for n in range(3)]
    with ExecutorStore.open(settings.executor_state_dir) as store:
        store.begin([(c, Ticket()) for c in interrupted], now=datetime.now(UTC))
    venue = SimulatedVenue(simulated_venue_log(settings))
    venue.execute(interrupted[0].payload)  # the venue got only the first before the crash
    venue.close()
    produce_commands(fresh_broker, interrupted)

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


def test_a_lost_state_with_committed_offsets_refuses_to_start_unless_overridden(
    fresh_broker: str, tmp_path: Path
) -> None:
    settings = settings_for(fresh_broker, tmp_path)
    produce_commands(fresh_broker, [command(n) for n in range(10)])
    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 10)
    for leftover in settings.executor_state_dir.iterdir():  # the PVC was deleted
        leftover.unlink()

    with pytest.raises(IdempotencyHistoryLost, match="DORAN_EXECUTOR_ALLOW_MISSING_STATE=true"):
        run_execute_stage(settings, fresh_broker)
    child = subprocess.run(
        [sys.executable, "-m", "doran.cli", "stage", "execute"],
        env={**os.environ, **child_env(settings)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 2
    assert "idempotency history is gone" in child.stderr

    overridden = settings_for(fresh_broker, tmp_path, executor_allow_missing_state=True)
    produce_commands(fresh_broker, [command(10)])
    with running_executor(overridden) as metrics:
        counters = wait_for_consumed(metrics, 1)
    # It resumed after the committed offsets: only the new command ran; the first ten were not re-executed.
    assert (counters["consumed"], counters["produced"]) == (1, 1)
    assert venue_counts(settings) == {f"cmd-q-{n:05d}": 1 for n in range(11)}


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
    assert counters["produced"] == 3
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
        "DORAN_EXECUTOR_PROCESSING_GUARANTEE": settings.executor_processing_guarantee,
        "DORAN_VENUE": settings.venue,
        "DORAN_EXECUTOR_ALLOW_MISSING_STATE": str(settings.executor_allow_missing_state).lower(),
    }


def http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.05)


def test_a_lost_state_rebuilt_from_the_results_runs_nothing_twice(fresh_broker: str, tmp_path: Path) -> None:
    from doran.executor import rebuild_state

    settings = settings_for(fresh_broker, tmp_path)
    sent = [command(n) for n in range(30)]
    produce_commands(fresh_broker, sent)
    with running_executor(settings) as metrics:
        wait_for_consumed(metrics, 30)
    for leftover in settings.executor_state_dir.iterdir():  # the PVC was deleted
        leftover.unlink()
    with pytest.raises(IdempotencyHistoryLost, match="doran executor rebuild-state"):
        run_execute_stage(settings, fresh_broker)

    report = rebuild_state(
        settings.executor_state_dir, fresh_broker, settings.consumer_group_prefix, timeout_s=60
    )

    assert (report.commands, report.without_result, report.not_consumed) == (30, [], 0)
    # The same command events again, as a rewound consumer or a re-run decide would bring them: each
    # is recognised as done, and its stored result goes out again byte for byte (same event_id).
    produce_commands(fresh_broker, sent)
    with running_executor(settings) as metrics:
        counters = wait_for_consumed(metrics, 30)
    assert (counters["produced"], counters["skipped_duplicates"]) == (30, 0)
    assert venue_counts(settings) == {c.payload.command_id: 1 for c in sent}
    copies = results_by_command(fresh_broker)
    assert all(len({m.value for m, _ in found}) == 1 and len(found) == 2 for found in copies.values())
    with pytest.raises(Exception, match="already holds a history"):
        rebuild_state(settings.executor_state_dir, fresh_broker, settings.consumer_group_prefix, timeout_s=60)


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

    assert (counts["produced"], counts["dead_lettered"]) == (6, {})
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
