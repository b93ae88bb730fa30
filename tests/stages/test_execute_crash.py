"""The executor as a real process on the NEAR Intents venue, SIGKILLed mid-run and restarted: the relay
simulator (in this process, so it outlives the kills) receives no quote_id twice, and each command ends
with exactly one committed result on exec.trade_result. The kills land in chosen windows: between
`begin` and `commit` (commands left `processing`, recovered on restart without being sent again) and
inside an open transaction (results produced, not committed: aborted by the restart, then published
again from the store).

tansu 0.6 hides an open transaction from read_committed readers but, once it is aborted, serves its
records as if committed (its Fetch never lists aborted transactions). So this test finds the aborted
records itself, by the Kafka rule (KIP-98): a transactional producer's records are aborted when its
next control record is an ABORT marker. It reads the partitions' record batches with a raw Fetch
(v4) request, and drops those offsets from what librdkafka's read_committed consumer returned.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from quixstreams.kafka import Producer as QuixProducer
from support.broker import stage_settings
from support.commands import command
from support.registry import produced_event
from support.solver import near_settings, quote_request, registered_simulator

from doran.broker import create_topics
from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_TRADE_RESULT,
    TOPICS,
    ResultCode,
    TradeResultEvent,
    TradeStatus,
)
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker, settings_environment
from doran.devkit.ports import free_port
from doran.devkit.relay_simulator import SimulatorThread
from doran.executor import CommandState, ExecutorStore
from doran.settings import Settings
from doran.stages.execute import consumer_group, run_execute_stage
from doran.stages.metrics import StageMetrics, parse_counts
from doran.venues import read_execution_log, simulated_venue_log
from doran.wire import kafka_record

pytestmark = pytest.mark.integration

# Enough work that the kills below always land before the executor runs out of commands: the aim
# can take several tries; the NEAR Intents venue answers about 1,000 commands per second here.
COMMANDS = 12_000
_CONTROL_BATCH, _TRANSACTIONAL, _COMPRESSION = 0x20, 0x10, 0x07
_ABORT = 0


def produce_commands(broker: str, n: int) -> dict[int, int]:
    """Produce n commands; returns the end offset (last + 1) of each partition they landed in."""
    ends: dict[int, int] = {}

    def delivered(error: KafkaError | None, message: Message) -> None:
        assert error is None, error
        ends[message.partition()] = max(ends.get(message.partition(), 0), message.offset() + 1)

    producer = Producer({"bootstrap.servers": broker, "linger.ms": 5})
    for i in range(n):
        record = kafka_record(CMD_EXECUTE_TRADE, command(i, execution_keys=7))
        producer.produce(
            record.topic, record.value, record.key, headers=record.headers, on_delivery=delivered
        )
    assert producer.flush(60) == 0
    return ends


# --- the read_committed oracle: record batches over a raw Fetch v4 -----------------------------------


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection mid-response")
        data += chunk
    return bytes(data)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    shift = raw = 0
    while True:
        byte = data[position]
        position += 1
        raw |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), position


def _fetch(
    broker: str, topic: str, partition: int, offset: int, max_bytes: int = 32 << 20
) -> tuple[int, int, bytes]:
    """One Fetch v4, read_uncommitted (every batch, markers included): high watermark, last stable offset,
    and the raw record-batch bytes."""
    name, client = topic.encode(), b"doran-crash-test"
    request = struct.pack(">hhih", 1, 4, 1, len(client)) + client  # Fetch v4, correlation 1
    request += struct.pack(">iiiib", -1, 50, 1, 64 << 20, 0)
    request += struct.pack(">ih", 1, len(name)) + name + struct.pack(">iiqi", 1, partition, offset, max_bytes)
    host, port = broker.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _exactly(sock, 4))
        data = _exactly(sock, size)
    position = 8  # correlation id, throttle time
    (name_length,) = struct.unpack_from(">h", data, position + 4)  # after the topic count
    position += 4 + 2 + name_length + 4  # topic count, name, partition count
    _, error, high_watermark, last_stable, aborted = struct.unpack_from(">ihqqi", data, position)
    assert error == 0, f"Fetch {topic}[{partition}]@{offset} failed with Kafka error code {error}"
    position += 26 + 16 * max(aborted, 0)
    (length,) = struct.unpack_from(">i", data, position)
    return high_watermark, last_stable, data[position + 4 : position + 4 + max(length, 0)]


def open_transaction(broker: str, topic: str, partitions: int) -> bool:
    """Whether a transaction with records in `topic` is open (its last stable offset is held back)."""
    for partition in range(partitions):
        high_watermark, last_stable, _ = _fetch(broker, topic, partition, 0, max_bytes=1)  # marks only
        if last_stable < high_watermark:
            return True
    return False


def _batches(records: bytes) -> Iterator[tuple[int, int, int, int, int | None]]:
    """(base offset, last offset delta, attributes, producer id, control type or None) of each whole batch."""
    position = 0
    while position + 12 <= len(records):
        base, length = struct.unpack_from(">qi", records, position)
        if position + 12 + length > len(records):
            return  # a batch cut off by the response size: fetched again from its base offset
        _, magic, _, attributes, last_delta, _, _, producer, _, _, _ = struct.unpack_from(
            ">ibIhiqqqhii", records, position + 12
        )
        assert magic == 2, f"record batch magic {magic}: only v2 batches carry transactions"
        control = None
        if attributes & _CONTROL_BATCH:
            cursor = position + 61  # the first record, after the batch header
            _, cursor = _varint(records, cursor)  # record length
            cursor += 1  # record attributes
            for _ in range(3):  # timestamp delta, offset delta, key length
                _, cursor = _varint(records, cursor)
            (control,) = struct.unpack_from(">h", records, cursor + 2)  # key = version, type
        yield base, last_delta, attributes, producer, control
        position += 12 + length


def aborted_offsets(broker: str, topic: str, partitions: int) -> set[tuple[int, int]]:
    """(partition, offset) of every record of `topic` written in a transaction that was aborted."""
    aborted: set[tuple[int, int]] = set()
    for partition in range(partitions):
        offset, pending = 0, defaultdict[int, list[int]](list)
        while batches := list(_batches(_fetch(broker, topic, partition, offset)[2])):
            for base, last_delta, attributes, producer, control in batches:
                assert not attributes & _COMPRESSION, "a compressed batch: this reader does not decompress"
                if control is not None:
                    ended = pending.pop(producer, [])
                    if control == _ABORT:
                        aborted.update((partition, o) for o in ended)
                elif attributes & _TRANSACTIONAL:
                    pending[producer].extend(range(base, base + last_delta + 1))
                offset = base + last_delta + 1
    return aborted


def read_results(broker: str) -> list[Message]:
    """Every record librdkafka's read_committed consumer returns for exec.trade_result."""
    reader = f"reader-{uuid.uuid4().hex}"
    consumer = Consumer(
        {"bootstrap.servers": broker, "group.id": reader, "isolation.level": "read_committed"}
    )
    try:
        topic = EXEC_TRADE_RESULT.name
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list[Message] = []
        last_seen, deadline = time.monotonic(), time.monotonic() + 120
        while time.monotonic() - last_seen < 2 and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.2):
                assert message.error() is None, message.error()
                messages.append(message)
                last_seen = time.monotonic()
        return messages
    finally:
        consumer.close()


# --- the executor process ----------------------------------------------------------------------------


def start_executor(
    settings: Settings, relay: SimulatorThread, log: IO[bytes], health_port: int | None = None
) -> subprocess.Popen[bytes]:
    solver = near_settings()
    env = {
        **os.environ,
        **settings_environment(EMBEDDED_BROKER_SETTINGS),
        "DORAN_BROKER_ADDRESS": str(settings.broker_address),
        "DORAN_REGISTRY_URL": str(settings.registry_url),
        "EXECUTOR_STATE_DIR": str(settings.executor_state_dir),
        "DORAN_QUIX_STATE_DIR": str(settings.quix_state_dir),
        "DORAN_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "DORAN_VENUE": "near_intents",
        "DORAN_RELAY_URL": relay.url,
        "DORAN_NEAR_ACCOUNT_ID": solver["near_account_id"],
        "DORAN_NEAR_SIGNING_KEY": solver["near_signing_key"].get_secret_value(),
        "DORAN_NEAR_NONCE_SALT": solver["near_nonce_salt"],
        **({"DORAN_HEALTH_PORT": str(health_port)} if health_port else {}),
    }
    command = [sys.executable, "-m", "doran.cli", "stage", "execute"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=log)


class AimMissed(Exception):
    """The test could not land a kill inside its window (the executor left it, or ran out of work).

    Only this restarts the scenario: it says nothing about the executor's correctness.
    """


def wait_until(
    condition: Callable[[], bool],
    what: str,
    child: subprocess.Popen[bytes],
    *,
    on_timeout: type[Exception] = AssertionError,
    hopeless: Callable[[], bool] = lambda: False,
) -> None:
    """Poll `condition` until it holds; `on_timeout` after 120 s, or as soon as `hopeless()` says it never
    will (checked every half second: it may ask the broker)."""
    deadline = time.monotonic() + 120
    next_look = time.monotonic() + 0.5
    while not condition():
        assert child.poll() is None, f"the executor exited ({child.returncode}) while waiting for {what}"
        now = time.monotonic()
        if now >= deadline:
            raise on_timeout(f"timed out waiting for {what}")
        if now >= next_look:
            if hopeless():
                raise on_timeout(f"gave up waiting for {what}: it can no longer happen")
            next_look = now + 0.5
        time.sleep(0.005)


class GroupOffsets:
    """The executor group's committed offsets on cmd.execute_trade, asked of the broker (no group join)."""

    def __init__(self, settings: Settings, ends: dict[int, int]) -> None:
        self.ends = ends
        self._consumer = Consumer(
            {"bootstrap.servers": str(settings.broker_address), "group.id": consumer_group(settings)}
        )

    def committed(self) -> int:
        """How many commands the group has committed (their results are committed with them)."""
        tps = [TopicPartition(CMD_EXECUTE_TRADE.name, p) for p in self.ends]
        return sum(max(tp.offset, 0) for tp in self._consumer.committed(tps, timeout=10))

    def all_committed(self) -> bool:
        return self.committed() == sum(self.ends.values())

    def close(self) -> None:
        self._consumer.close()


def kill_inside(
    settings: Settings,
    relay: SimulatorThread,
    log: IO[bytes],
    offsets: GroupOffsets,
    window: Callable[[int], bool],
    landed: Callable[[], bool],
    what: str,
    *,
    freeze_to_aim: bool = False,
) -> None:
    """Start the executor, SIGKILL it once `window(responses sent at its first committed batch)` holds, and
    start again until `landed` confirms the kill hit that window (it may leave it before the signal lands).

    With freeze_to_aim the executor is SIGSTOPped when the window is seen and killed only if `landed`
    still holds while it cannot move: a short window (an open transaction) is then hit, not raced.
    """
    for _ in range(5):
        before = offsets.committed()
        child = start_executor(settings, relay, log)
        try:
            # A first commit of its own: the restarted executor has aborted what its predecessor left open.
            wait_until(
                lambda: offsets.committed() > before,  # noqa: B023
                "a first committed batch",
                child,
                on_timeout=AimMissed,  # nothing left to commit: the executor ran out of work
            )
            first_batch = relay.response_count()
            for _aim in range(200 if freeze_to_aim else 1):
                wait_until(
                    lambda: window(first_batch),  # noqa: B023
                    what,
                    child,
                    on_timeout=AimMissed,
                    hopeless=offsets.all_committed,  # the executor ran out of work before the window came
                )
                if not freeze_to_aim:
                    break
                child.send_signal(signal.SIGSTOP)
                if landed():
                    break
                child.send_signal(signal.SIGCONT)
        finally:
            child.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
        if landed():
            return
    raise AimMissed(f"five SIGKILLs all missed the window: {what}")


def processing_left(settings: Settings) -> bool:
    with ExecutorStore.open(settings.executor_state_dir) as store:
        return any(record.state is CommandState.PROCESSING for record in store)


@pytest.mark.timeout(900)  # up to three runs when the kills miss their windows
def test_sigkilled_executor_restarts_without_answering_twice_or_losing_a_result(tmp_path: Path) -> None:
    missed: list[str] = []
    for attempt in range(3):
        run_dir = tmp_path / f"attempt-{attempt}"
        run_dir.mkdir()
        with (
            EmbeddedBroker(log_path=run_dir / "tansu.log") as broker,
            SimulatorThread(registered_simulator()) as relay,
        ):
            create_topics(broker.address, TOPICS.values())
            try:
                _sigkill_and_restart(broker.address, relay, run_dir)
                return
            except AimMissed as exc:  # a fresh broker, relay and state, and aim again
                missed.append(str(exc))
    pytest.fail(f"three runs could not land their kills: {missed}")


def _sigkill_and_restart(fresh_broker: str, relay: SimulatorThread, tmp_path: Path) -> None:
    settings = stage_settings(
        tmp_path,
        fresh_broker,
        executor_state_dir=tmp_path / "state" / "executor",
        consumer_group_prefix="crash",
    )
    # Every command's auction is open at the relay for the whole test.
    relay.publish_quotes(
        [quote_request(command(i, execution_keys=7), max_wait_ms=3_600_000) for i in range(COMMANDS)],
        rate_per_s=1e9,
    )
    ends = produce_commands(fresh_broker, COMMANDS)
    partitions = len(ends)
    offsets = GroupOffsets(settings, ends)

    def in_transaction() -> bool:
        return open_transaction(fresh_broker, EXEC_TRADE_RESULT.name, partitions)

    with (tmp_path / "executor.log").open("ab") as log:
        kill_inside(
            settings,
            relay,
            log,
            offsets,
            lambda first: relay.response_count() > first,
            lambda: processing_left(settings),
            "a batch begun (processing) but not committed",
        )
        kill_inside(
            settings,
            relay,
            log,
            offsets,
            lambda _: in_transaction(),
            in_transaction,
            "results produced, transaction not committed",
            freeze_to_aim=True,
        )
        assert not offsets.all_committed(), "the last kill came after the last command"
        last_kill = time.monotonic()
        port = free_port()
        child = start_executor(settings, relay, log, health_port=port)
        try:
            wait_until(offsets.all_committed, "every command's offset committed", child)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                final = parse_counts(response.read().decode())
        finally:
            child.send_signal(signal.SIGTERM)
            assert child.wait(60) == 0, (tmp_path / "executor.log").read_text()[-3000:]
    offsets.close()

    responses = relay.responses()
    answered = Counter(r.quote_id for r in responses)
    assert max(answered.values()) == 1, [q for q, k in answered.items() if k > 1][:10]
    assert all(r.accepted for r in responses), {r.verdict for r in responses}

    aborted = aborted_offsets(fresh_broker, EXEC_TRADE_RESULT.name, partitions)
    committed: dict[str, list[TradeResultEvent]] = defaultdict(list)
    committed_bytes: dict[str, bytes] = {}
    aborted_copies: dict[str, list[bytes]] = defaultdict(list)
    for message in read_results(fresh_broker):
        event = produced_event(EXEC_TRADE_RESULT, message.value())
        assert isinstance(event, TradeResultEvent)
        if (message.partition(), message.offset()) in aborted:
            aborted_copies[event.payload.command_id].append(message.value())
        else:
            committed[event.payload.command_id].append(event)
            committed_bytes[event.payload.command_id] = message.value()
    assert sorted(committed) == sorted(
        command(i, execution_keys=7).payload.command_id for i in range(COMMANDS)
    )
    assert [c for c, found in committed.items() if len(found) != 1] == []
    assert aborted_copies, "the kill inside a transaction left no aborted result"
    for command_id, copies in aborted_copies.items():
        # The aborted publication came again from the store: the same event, byte for byte.
        assert set(copies) == {committed_bytes[command_id]}

    by_quote = {r.quote_id: r for r in responses}
    recovered = [r for (r,) in committed.values() if r.payload.status is TradeStatus.RECOVERED]
    assert recovered, "the kill between begin and commit left no command to recover"
    for result in recovered:
        # Its quote was signed, so it may have left: unknown, and never sent by the restarted executor.
        assert result.payload.result_code is ResultCode.RECOVERED_UNKNOWN
        sent = by_quote.get(result.payload.quote_id)
        if sent is not None:
            assert sent.received.monotonic < last_kill, result.payload.quote_id
            assert sent.quote_hash == result.payload.quote_hash
    for (result,) in committed.values():
        if result.payload.status is not TradeStatus.RECOVERED:
            assert result.payload.result_code is ResultCode.QUOTE_ACCEPTED
            assert by_quote[result.payload.quote_id].quote_hash == result.payload.quote_hash
    # The last run's own counts: what it consumed it published or skipped.
    assert final["consumed"] == final["produced"] + final["skipped_duplicates"]


def test_an_aborted_transaction_is_rewound_and_its_results_published_once(
    fresh_broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fault injection at the client boundary, because tansu cannot be made to fail one commit on cue:
    # the first commit_transaction delivers the batch's records, then raises the abortable error a
    # broker would cause. The abort, the rewind and the republication that follow run for real.
    real_commit = QuixProducer.commit_transaction
    injected: list[KafkaError] = []

    def commit_failing_once(self: QuixProducer, timeout: float | None = None) -> None:
        if not injected:
            self.flush(timeout)  # the records reach the broker: the abort must then hide them
            injected.append(KafkaError(KafkaError._MSG_TIMED_OUT, "injected", txn_requires_abort=True))
            raise KafkaException(injected[0])
        real_commit(self, timeout)

    monkeypatch.setattr(QuixProducer, "commit_transaction", commit_failing_once)
    settings = stage_settings(tmp_path, fresh_broker, consumer_group_prefix="abort", venue="simulated")
    ends = produce_commands(fresh_broker, 300)
    stop = threading.Event()
    metrics = StageMetrics("execute")
    executor = threading.Thread(
        target=run_execute_stage,
        args=(settings, fresh_broker),
        kwargs={"stop": stop, "max_batch": 100, "metrics": metrics},
    )
    executor.start()
    offsets = GroupOffsets(settings, ends)
    try:
        deadline = time.monotonic() + 90
        while not offsets.all_committed():
            assert executor.is_alive(), "the executor stopped on the aborted transaction"
            assert time.monotonic() < deadline, "the commands were not all committed in 90 s"
            time.sleep(0.05)
    finally:
        stop.set()
        executor.join(60)
        offsets.close()

    assert len(injected) == 1
    aborted = aborted_offsets(fresh_broker, EXEC_TRADE_RESULT.name, len(ends))
    assert aborted, "the injected failure aborted no transaction"
    committed: Counter[str] = Counter()
    for message in read_results(fresh_broker):
        if (message.partition(), message.offset()) not in aborted:
            event = produced_event(EXEC_TRADE_RESULT, message.value())
            assert isinstance(event, TradeResultEvent)
            committed[event.payload.command_id] += 1
    assert committed == {command(i, execution_keys=7).payload.command_id: 1 for i in range(300)}
    counts = Counter(fill.command_id for fill in read_execution_log(simulated_venue_log(settings)))
    assert counts == {command(i, execution_keys=7).payload.command_id: 1 for i in range(300)}
    final = metrics.snapshot()
    # The aborted batch is not counted; its redelivery is, as produced (its stored results went out again).
    assert (final["consumed"], final["produced"], final["skipped_duplicates"]) == (300, 300, 0)
