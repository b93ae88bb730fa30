"""Executor replicas as real processes on the NEAR Intents venue (the relay simulator, in this process,
outlives them and journals every quote_response it receives), sharing one group on a four-partition
cmd.execute_trade: SIGKILLed mid-batch again and again and restarted (as a StatefulSet would), a state
directory deleted, a replica added while batches are in flight. Whatever happens, no quote_id reaches
the relay twice, and every command ends with exactly one committed result (read by Kafka's rule:
tansu serves aborted transactions' records as committed, `support.committed_records` drops them).
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from support.commands import command
from support.committed_records import committed_records
from support.executor_processes import ExecutorReplicas
from support.registry import produced_event
from support.solver import quote_request, registered_simulator

from doran.broker import create_topics
from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_TRADE_RESULT,
    TOPICS,
    ExecuteTradeEvent,
    ResultCode,
    TradeResultEvent,
)
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.relay_simulator import SimulatorThread
from doran.wire import kafka_record, utc_timestamp

pytestmark = pytest.mark.integration

PARTITIONS = 4


@dataclass(frozen=True)
class _Partitioned:
    """cmd.execute_trade with four partitions: two replicas get two each."""

    name: str = CMD_EXECUTE_TRADE.name
    partitions: int = PARTITIONS
    replication_factor: int = 1
    cleanup_policy: str = "delete"
    retention_ms: int = CMD_EXECUTE_TRADE.retention_ms


@dataclass
class Run:
    broker: str
    relay: SimulatorThread
    replicas: ExecutorReplicas
    group: str

    def offer(
        self,
        commands: list[ExecuteTradeEvent],
        ends: dict[int, int] | None = None,
        window: timedelta = timedelta(hours=1),
    ) -> dict[int, int]:
        """Open every command's auction at the relay for `window`, then produce the commands, due by the
        end of it; the end offset of each partition they landed in (updating `ends`)."""
        answer_by = utc_timestamp(datetime.now(UTC) + window)
        closing = int(window.total_seconds() * 1000)
        self.relay.publish_quotes([quote_request(c, max_wait_ms=closing) for c in commands], rate_per_s=1e9)
        commands = [
            c.model_copy(update={"payload": c.payload.model_copy(update={"answer_by": answer_by})})
            for c in commands
        ]
        ends = {} if ends is None else ends

        def delivered(error: KafkaError | None, message: Message) -> None:
            assert error is None, error
            partition, offset = message.partition(), message.offset()
            assert partition is not None and offset is not None
            ends[partition] = max(ends.get(partition, 0), offset + 1)

        producer = Producer({"bootstrap.servers": self.broker, "linger.ms": 5})
        for sent in commands:
            record = kafka_record(CMD_EXECUTE_TRADE, sent)
            producer.produce(
                record.topic, record.value, record.key, headers=record.headers, on_delivery=delivered
            )
        assert producer.flush(60) == 0
        return ends

    @contextmanager
    def offering(
        self,
        commands: list[ExecuteTradeEvent],
        rate_per_s: float,
        ends: dict[int, int],
        window: timedelta = timedelta(hours=1),
    ) -> Iterator[None]:
        """Offer `commands` in the background, `rate_per_s` of them a second, each due `window` after it
        is offered; the block ends once all are produced, with their end offsets in `ends`."""
        failures: list[BaseException] = []
        chunk = max(1, int(rate_per_s / 50))  # 50 chunks a second

        def pace() -> None:
            try:
                started = time.monotonic()
                for first in range(0, len(commands), chunk):
                    time.sleep(max(0.0, started + first / rate_per_s - time.monotonic()))
                    self.offer(commands[first : first + chunk], ends, window)
            except BaseException as exc:
                failures.append(exc)

        pacing = threading.Thread(target=pace, name="offering")
        pacing.start()
        try:
            yield
        finally:
            pacing.join(300)
        if failures:
            raise failures[0]

    def committed(self) -> dict[int, int]:
        consumer = Consumer({"bootstrap.servers": self.broker, "group.id": self.group})
        try:
            tps = [TopicPartition(CMD_EXECUTE_TRADE.name, p) for p in range(PARTITIONS)]
            return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=10) if tp.offset >= 0}
        finally:
            consumer.close()

    def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert not self.replicas.exited(), (
                f"replicas {self.replicas.exited()} exited while waiting for {what}"
            )
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)


@contextmanager
def replicated_executor(tmp_path: Path, environment: dict[str, str] | None = None) -> Iterator[Run]:
    with (
        EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker,
        SimulatorThread(registered_simulator()) as relay,
    ):
        create_topics(
            broker.address,
            [_Partitioned(), *(t for t in TOPICS.values() if t.name != CMD_EXECUTE_TRADE.name)],
        )
        prefix = f"replicas-{uuid.uuid4().hex[:6]}"
        replicas = ExecutorReplicas(broker.address, relay.url, tmp_path, prefix, environment or {})
        try:
            yield Run(broker.address, relay, replicas, f"{prefix}.execute")
        finally:
            replicas.stop_all()


def commands(n: int, start: int = 0) -> list[ExecuteTradeEvent]:
    return [command(i, execution_keys=11) for i in range(start, start + n)]


def each_answered_once_with_one_result(
    run: Run, sent: list[ExecuteTradeEvent], opened: dict[str, float] | None = None
) -> list[TradeResultEvent]:
    """The promises, checked: no quote_id answered twice, none answered after its auction closed, one
    committed result per command (and each result says what the relay saw). The results. `opened` says
    when auctions opened, for a response refused as early (a harness that fell behind, not doran)."""
    responses = run.relay.responses()
    answered = Counter(r.quote_id for r in responses)
    assert max(answered.values(), default=0) <= 1, [q for q, k in answered.items() if k > 1][:10]
    refused = [r for r in responses if not r.accepted]
    early = [
        r for r in refused if opened and r.quote_id in opened and r.received.monotonic < opened[r.quote_id]
    ]
    assert early == [], f"{len(early)} responses came before their auction opened: the harness fell behind"
    assert refused == [], (
        Counter(r.verdict for r in refused),
        "received this long after the auction opened (s):",
        sorted(
            round(r.received.monotonic - opened[r.quote_id], 3)
            for r in refused
            if opened and r.quote_id in opened
        )[:20],
    )
    results: dict[str, list[TradeResultEvent]] = {}
    for message in committed_records(run.broker, EXEC_TRADE_RESULT.name):
        event = produced_event(EXEC_TRADE_RESULT, message.value())
        assert isinstance(event, TradeResultEvent)
        results.setdefault(event.payload.command_id, []).append(event)
    assert sorted(results) == sorted(c.payload.command_id for c in sent)
    assert [c for c, found in results.items() if len(found) != 1] == []
    by_quote = {r.quote_id: r for r in responses}
    for (result,) in results.values():
        response = by_quote.get(result.payload.quote_id)
        if result.payload.result_code is ResultCode.RECOVERED_UNKNOWN:
            # Begun by a replica that died: it may have left, once, and was never sent again.
            assert response is None or response.quote_hash == result.payload.quote_hash
        elif result.payload.result_code is ResultCode.QUOTE_EXPIRED:
            assert response is None  # its window had closed: never sent
        elif result.payload.result_code is ResultCode.RELAY_TIMEOUT:
            # Sent, its answer slower than relay_answer_timeout_ms (a loaded machine): received or not.
            assert response is None or response.quote_hash == result.payload.quote_hash
        else:
            assert result.payload.result_code is ResultCode.QUOTE_ACCEPTED, result.payload
            assert response is not None and response.quote_hash == result.payload.quote_hash
    return [found[0] for found in results.values()]


def recovered(results: list[TradeResultEvent]) -> int:
    return sum(r.payload.result_code is ResultCode.RECOVERED_UNKNOWN for r in results)


@pytest.mark.timeout(900)
def test_two_replicas_sigkilled_mid_batch_again_and_again_answer_nothing_twice(tmp_path: Path) -> None:
    with replicated_executor(tmp_path) as run:
        sent = commands(8_000)
        ends = run.offer(sent)
        for name in ("r0", "r1"):
            run.replicas.start(name)
        answered = 0
        for kill in range(4):
            victim = ("r0", "r1")[kill % 2]
            # Killed while commands flow: between a batch's processing records and its results.
            run.wait(lambda a=answered: run.relay.response_count() >= a + 400, "answers flowing")  # type: ignore[misc]
            run.replicas.kill(victim)
            answered = run.relay.response_count()
            run.replicas.start(victim)  # its pod restarts: same name, same volume
        run.wait(lambda: run.committed() == ends, "every command's offset committed")
        assert run.replicas.stop("r0") == 0 and run.replicas.stop("r1") == 0
        results = each_answered_once_with_one_result(run, sent)
    assert recovered(results) > 0, "no kill left a batch begun but not concluded"


@pytest.mark.timeout(600)
def test_a_replica_whose_state_directory_is_deleted_restores_it_from_kafka(tmp_path: Path) -> None:
    with replicated_executor(tmp_path) as run:
        first = commands(3_000)
        ends = run.offer(first)
        run.replicas.start("r0")
        run.wait(lambda: run.relay.response_count() >= 1_500, "half of the commands answered")
        run.replicas.kill("r0")
        shutil.rmtree(run.replicas.state_dir("r0"))  # the node and its volume are gone
        run.replicas.start("r0")  # replaced, with an empty volume; no operator command
        run.wait(lambda: run.committed() == ends, "every command's offset committed")
        # The same commands again (a rewound consumer, a re-run decide): the restored history knows them.
        run.offer(first[:500], ends)
        run.wait(lambda: run.committed() == ends, "the repeated commands consumed")
        counts = run.replicas.counts("r0")
        assert run.replicas.stop("r0") == 0
        restored = [
            int(n)
            for n in re.findall(
                r"restored \S+ offsets \d+\.\.\d+: (\d+) changes applied", run.replicas.log("r0")
            )
        ]
        each_answered_once_with_one_result(run, first)
    assert sum(restored) >= 1_500, "the replaced replica did not restore its history from the changelog"
    assert counts["skipped_duplicates"] >= 500


@pytest.mark.timeout(600)
def test_a_replica_added_while_batches_are_in_flight_takes_over_cleanly(tmp_path: Path) -> None:
    with replicated_executor(tmp_path) as run:
        backlog, more = commands(3_000), commands(3_000, start=3_000)
        ends = run.offer(backlog)
        run.replicas.start("r0")
        run.wait(lambda: run.relay.response_count() >= 1_000, "answers flowing")
        with run.offering(more, rate_per_s=400, ends=ends):
            run.replicas.start("r1")  # the group rebalances while r0 has a batch at the relay
        run.wait(lambda: run.committed() == ends, "every offset committed")
        assert run.replicas.counts("r1")["consumed"] > 0, "the added replica took no partition"
        assert run.replicas.stop("r0") == 0 and run.replicas.stop("r1") == 0
        drained = re.findall(r"concluded and committed (\d+) commands in flight", run.replicas.log("r0"))
        results = each_answered_once_with_one_result(run, backlog + more)
    # The revoked replica concluded its batch in flight before letting go: nothing to recover.
    assert recovered(results) == 0
    assert any(int(n) > 0 for n in drained), "no batch was in flight when the partitions moved"


@pytest.mark.timeout(600)
def test_overload_at_three_times_the_sustainable_rate_answers_nothing_late(tmp_path: Path) -> None:
    # The relay's longest auction, and a margin for the simulator itself: it shares this machine's
    # two cores with everything else, and stamps a quote's receipt when its event loop gets to it.
    window = timedelta(milliseconds=3_000)
    margin = {"DORAN_EXECUTOR_ANSWER_MARGIN_MS": "1000"}
    with replicated_executor(tmp_path, margin) as run:
        # The sustainable rate here, as one replica answers a backlog of open auctions.
        backlog = commands(2_000)
        ends = run.offer(backlog)
        run.replicas.start("r0")
        run.wait(lambda: run.relay.response_count() >= 200, "answers flowing")
        started, first = time.monotonic(), run.relay.response_count()
        run.wait(lambda: run.relay.response_count() >= 1_800, "the backlog answered")
        sustainable = (run.relay.response_count() - first) / (time.monotonic() - started)
        run.wait(lambda: run.committed() == ends, "the backlog committed")

        # Then 3x that for 20 s: the relay opens auction i at start + i/rate for `window`, and command i,
        # due at its auction's end, follows 100 ms later (decide's hops, in a real pipeline).
        rate = 3 * sustainable
        offered = [command(f"ov-{i}", execution_keys=11) for i in range(int(rate * 20))]
        opened = paced_overload(run, offered, rate, window, ends)
        run.wait(lambda: run.committed() == ends, "every offered command committed", timeout_s=300)
        counts = run.replicas.counts("r0")
        assert run.replicas.stop("r0") == 0
        results = {
            r.payload.quote_id: r for r in each_answered_once_with_one_result(run, backlog + offered, opened)
        }

    codes = Counter(results[c.payload.quote_id].payload.result_code for c in offered)
    assert set(codes) <= {ResultCode.QUOTE_ACCEPTED, ResultCode.QUOTE_EXPIRED}, codes
    assert codes[ResultCode.QUOTE_ACCEPTED] > 0 and codes[ResultCode.QUOTE_EXPIRED] > 0, codes
    dead = sum(counts["dead_lettered"].values())
    assert counts["consumed"] == counts["published"] + counts["skipped_duplicates"] + dead


def paced_overload(
    run: Run, offered: list[ExecuteTradeEvent], rate: float, window: timedelta, ends: dict[int, int]
) -> dict[str, float]:
    """Open each auction at the relay on its schedule (the simulator paces itself) and produce its
    command 100 ms later from records built beforehand, so that this process's own work does not hold
    the simulator back; each auction's opening time (monotonic), by quote_id."""
    lead = datetime.now(UTC) + timedelta(seconds=2)
    start = time.monotonic() + (lead - datetime.now(UTC)).total_seconds()
    records = []
    for i, sent in enumerate(offered):
        answer_by = utc_timestamp(lead + timedelta(seconds=i / rate) + window)
        due = sent.model_copy(update={"payload": sent.payload.model_copy(update={"answer_by": answer_by})})
        records.append(kafka_record(CMD_EXECUTE_TRADE, due))
    quotes = [quote_request(c, max_wait_ms=int(window.total_seconds() * 1000)) for c in offered]
    published: list[Any] = []

    def open_auctions() -> None:
        time.sleep(max(0.0, start - time.monotonic()))
        published.extend(run.relay.publish_quotes(quotes, rate_per_s=rate))

    relay_side = threading.Thread(target=open_auctions, name="auctions")
    relay_side.start()

    def delivered(error: KafkaError | None, message: Message) -> None:
        assert error is None, error
        partition, offset = message.partition(), message.offset()
        assert partition is not None and offset is not None
        ends[partition] = max(ends.get(partition, 0), offset + 1)

    producer = Producer({"bootstrap.servers": run.broker, "linger.ms": 1})
    for i, record in enumerate(records):
        time.sleep(max(0.0, start + i / rate + 0.1 - time.monotonic()))
        producer.produce(
            record.topic, record.value, record.key, headers=record.headers, on_delivery=delivered
        )
        producer.poll(0)
    assert producer.flush(60) == 0
    relay_side.join(120)
    return {quote.quote_id: quote.sent.monotonic for quote in published if quote.quote_id is not None}
