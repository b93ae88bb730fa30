"""normalize and decide as real Quix Streams apps on a real broker: counts reconcile, records check out."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from quixstreams import Application
from support.broker import consumer_config, stage_settings
from support.registry import produced_event

from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.stages.decide import build_decide_app
from doran.stages.metrics import StageMetrics
from doran.stages.normalize import build_normalize_app

pytestmark = pytest.mark.integration
EXAMPLE = json.loads(
    (
        Path(__file__).resolve().parents[2] / "schemas/examples/raw.near_intents.quote/valid/exact_in.json"
    ).read_text()
)["message"]


def _raw_quotes(n: int) -> list[bytes]:
    quotes = []
    for i in range(n):
        message = {
            **EXAMPLE["payload"]["message"],
            "quote_id": f"quote-{i:05d}",
            "exact_amount_in": str(10**24 + i),
        }
        quotes.append(
            json.dumps(
                {**EXAMPLE, "event_id": f"nearq-{i:032x}", "payload": {"message": message}, "raw": message}
            ).encode()
        )
    return quotes


def _run_until(app: Application, counters: StageMetrics, consumed: int, timeout_s: float = 90) -> None:
    started = time.monotonic()

    def watch() -> None:
        while counters.snapshot()["consumed"] < consumed and time.monotonic() - started < timeout_s:
            time.sleep(0.1)
        app.stop()

    threading.Thread(target=watch, daemon=True).start()
    app.run()  # Quix wants the main thread (signal handlers); the watcher stops it
    assert counters.snapshot()["consumed"] == consumed


def _read_all(address: str, topic: str, expected: int) -> list[Any]:
    """Every committed record of topic: read until `expected` arrived, then 1 s more to catch extras.

    Not to the high watermark: tansu reports the last batch's base offset + 1 there.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": "t",
            "isolation.level": "read_committed",
            **consumer_config(),
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    messages: list[Any] = []
    deadline, quiet_until = time.monotonic() + 30, None
    while time.monotonic() < (quiet_until or deadline):
        message = consumer.poll(0.1)
        if message is not None and not message.error():
            messages.append(message)
        if quiet_until is None and len(messages) >= expected:
            quiet_until = time.monotonic() + 1.0
    consumer.close()
    return messages


def test_normalize_then_decide_on_the_broker(fresh_broker: str, tmp_path: Path) -> None:
    settings = stage_settings(tmp_path, fresh_broker)
    good = _raw_quotes(40)
    bad = [
        b"not json",
        json.dumps({**EXAMPLE, "event_type": "trade_result"}).encode(),
        json.dumps({**EXAMPLE, "payload": {"message": {"quote_id": "x"}}}).encode(),
    ]
    producer = Producer({"bootstrap.servers": fresh_broker})
    for value in [*good[:20], *bad, *good[20:]]:
        producer.produce(RAW_NEAR_INTENTS_QUOTE.name, value)
    producer.flush()

    normalize_counts = StageMetrics("normalize")
    _run_until(build_normalize_app(settings, fresh_broker, normalize_counts), normalize_counts, consumed=43)
    decide_counts = StageMetrics("decide")
    _run_until(build_decide_app(settings, fresh_broker, decide_counts), decide_counts, consumed=40)

    n, d = normalize_counts.snapshot(), decide_counts.snapshot()
    assert n["produced"] == 40 and n["dead_lettered"] == {
        "not_json": 1,
        "wrong_event_type": 1,
        "schema_violation": 1,
    }
    assert d["consumed"] == d["produced"] + sum(d["declined"].values()) + sum(d["dead_lettered"].values())

    demands = _read_all(fresh_broker, NORM_SWAP_DEMAND.name, 40)
    commands = _read_all(fresh_broker, CMD_EXECUTE_TRADE.name, d["produced"])
    letters = _read_all(fresh_broker, DEAD_LETTER_TOPIC.name, 3)
    assert (len(demands), len(commands), len(letters)) == (40, d["produced"], 3)
    assert d["produced"] > 0
    for message in commands:
        command = produced_event(CMD_EXECUTE_TRADE, message.value()).payload
        quote_id = command.quote_id
        assert command.command_id == f"cmd-{quote_id}"
        assert message.key().decode() == command.execution_key
        assert int(command.amount_in) == 10**24 + int(quote_id.split("-")[1])
        assert dict(message.headers())["ce_type"] == b"execute_trade"
