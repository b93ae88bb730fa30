"""normalize and decide as real Quix Streams apps on a real broker: counts reconcile, records check out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka import Producer
from support.broker import read_records, run_until, stage_settings
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
    run_until(build_normalize_app(settings, fresh_broker, normalize_counts), normalize_counts, consumed=43)
    decide_counts = StageMetrics("decide")
    run_until(build_decide_app(settings, fresh_broker, decide_counts), decide_counts, consumed=40)

    n, d = normalize_counts.snapshot(), decide_counts.snapshot()
    assert n["produced"] == 40 and n["dead_lettered"] == {
        "not_json": 1,
        "wrong_event_type": 1,
        "schema_violation": 1,
    }
    assert d["consumed"] == d["produced"] + sum(d["declined"].values()) + sum(d["dead_lettered"].values())

    demands = read_records(fresh_broker, NORM_SWAP_DEMAND.name, 40)
    commands = read_records(fresh_broker, CMD_EXECUTE_TRADE.name, d["produced"])
    letters = read_records(fresh_broker, DEAD_LETTER_TOPIC.name, 3)
    assert (len(demands), len(commands), len(letters)) == (40, d["produced"], 3)
    assert d["produced"] > 0
    for message in commands:
        command = produced_event(CMD_EXECUTE_TRADE, message.value()).payload
        quote_id = command.quote_id
        assert command.command_id == f"cmd-{quote_id}"
        assert message.key().decode() == command.execution_key
        assert int(command.amount_in) == 10**24 + int(quote_id.split("-")[1])
        assert dict(message.headers())["ce_type"] == b"execute_trade"
