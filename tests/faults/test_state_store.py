"""The executor's working store runs out of room mid-run (issue 18: the executor hung after a quote, its
/readyz 200, SIGTERM ignored). A real `doran stage execute` on the embedded broker and the relay
simulator, its sqlite connections capped at a few pages (`support.store_limits`: sqlite's own
"database or disk is full", as on a full volume): it turns unready, exits with one line naming the
file, and every quote the relay received has its `processing` record in the committed changelog.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer
from support.commands import command
from support.committed_records import committed_records
from support.executor_processes import ExecutorReplicas
from support.solver import quote_request, registered_simulator
from support.store_limits import page_limit_environment
from support.waiting import wait_until

from doran.broker import create_topics
from doran.contracts import CMD_EXECUTE_TRADE, TOPICS, ExecuteTradeEvent
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.relay_simulator import SimulatorThread
from doran.executor import TABLE
from doran.state import changelog_topic
from doran.wire import kafka_record, utc_timestamp

pytestmark = pytest.mark.integration

#: Room for the tables and some hundred commands' records, then sqlite's SQLITE_FULL.
PAGES = 40
_ASCTIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def offer(broker: str, relay: SimulatorThread, commands: list[ExecuteTradeEvent]) -> None:
    """Open each command's auction at the relay for an hour, then produce the commands."""
    answer_by = utc_timestamp(datetime.now(UTC) + timedelta(hours=1))
    relay.publish_quotes([quote_request(c, max_wait_ms=3_600_000) for c in commands], rate_per_s=1e9)
    producer = Producer({"bootstrap.servers": broker, "linger.ms": 5})
    for sent in commands:
        due = sent.model_copy(update={"payload": sent.payload.model_copy(update={"answer_by": answer_by})})
        record = kafka_record(CMD_EXECUTE_TRADE, due)
        producer.produce(record.topic, record.value, record.key, headers=record.headers)
    assert producer.flush(60) == 0


@contextmanager
def polling(replicas: ExecutorReplicas, name: str) -> Iterator[list[tuple[datetime, int | None]]]:
    """/readyz of replica `name` every 20 ms, with the local time of each answer (None: no answer)."""
    seen: list[tuple[datetime, int | None]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.append((datetime.now(), replicas.process(name).status("/readyz")))
            done.wait(0.02)

    poller = threading.Thread(target=poll, name="readyz", daemon=True)
    poller.start()
    try:
        yield seen
    finally:
        done.set()
        poller.join(10)


def logged_at(log: str, event: str) -> datetime:
    """The local time of the first line of `log` with lifecycle `event=<event>`."""
    for line in log.splitlines():
        if f"event={event} " in line or line.endswith(f"event={event}"):
            found = _ASCTIME.match(line)
            assert found, line
            return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
    raise AssertionError(f"no event={event} in the log:\n{log[-3000:]}")


@pytest.mark.timeout(600)
def test_an_executor_whose_store_fills_up_turns_unready_exits_naming_the_file_and_sent_only_what_it_recorded(
    tmp_path: Path,
) -> None:
    with (
        EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker,
        SimulatorThread(registered_simulator()) as relay,
    ):
        create_topics(broker.address, TOPICS.values())
        prefix = f"store-{uuid.uuid4().hex[:6]}"
        replicas = ExecutorReplicas(
            broker.address, relay.url, tmp_path, prefix, page_limit_environment(PAGES)
        )
        try:
            offer(broker.address, relay, [command(i, execution_keys=11) for i in range(20)])
            replicas.start("r0")
            wait_until(lambda: replicas.process("r0").ready(), "r0 ready", 120)
            wait_until(lambda: relay.response_count() >= 20, "the first commands answered", 120)
            with polling(replicas, "r0") as readyz:
                # Far more than its store has room for.
                offer(broker.address, relay, [command(i, execution_keys=11) for i in range(20, 3_000)])
                wait_until(lambda: replicas.process("r0").exited, "r0 to exit", 240)
            code = replicas.process("r0").process.returncode
            log = replicas.log("r0")
        finally:
            replicas.stop_all()

        # It exited for a restart, with one line saying which file and why.
        assert code == 2, log[-3000:]
        errors = [line for line in log.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, log[-3000:]
        state = replicas.state_dir("r0")
        assert re.search(rf"{re.escape(str(state))}/partition-\d+\.sqlite", errors[0]), errors[0]
        assert "its volume is full" in errors[0] and "Free space" in errors[0]
        assert "Traceback" not in log, log[-5000:]

        # Unready at once: no /readyz 200 from the moment the store failed.
        unready = logged_at(log, "unready")
        assert "missing=state" in next(line for line in log.splitlines() if "event=unready" in line)
        assert logged_at(log, "failed") >= unready
        assert any(status == 200 for _, status in readyz), "never saw it ready"
        late = [(at, status) for at, status in readyz if at > unready and status == 200]
        assert late == [], late[:5]

        # Nothing sent that was not recorded: each quote at the relay has its committed processing record.
        recorded = set()
        for message in committed_records(broker.address, changelog_topic(f"{prefix}.execute")):
            key, value = (message.key() or b"").decode(), message.value()
            if key.startswith(f"{TABLE}/") and value:
                row = orjson.loads(value)["value"]
                if row.get("state") == "processing":
                    recorded.add(row["quote_hash"])
        sent = {response.quote_hash for response in relay.responses()}
        assert len(sent) > 20, "the store failed before it answered anything after the first commands"
        assert sent - recorded == set()
        assert len(sent) < 3_000, "the store never filled up"
