"""`doran dlq replay` on the real embedded broker: dead letters go back where they came from, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from confluent_kafka import Producer
from support.broker import read_records, run_until, stage_settings
from support.registry import produced_event, registry_framing

from doran.cli import main
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterReason,
    DeadLetterStage,
)
from doran.devkit.recording import read_recording
from doran.dlq import REPLAY_HEADER, Selection, execute_replay, prepare_replay
from doran.dlq.plan import Disposition
from doran.relay import ReceivedFrame
from doran.settings import Settings
from doran.stages.dead_letter import ORIGINAL_KEPT_BYTES
from doran.stages.decide import build_decide_app
from doran.stages.ingest import FrameIngest, quote_event_id
from doran.stages.metrics import StageMetrics

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"
FEED = "wss://relay.example/ws"


def _run_decide_until(settings: Settings, broker: str, consumed: int) -> None:
    metrics = StageMetrics("decide")
    run_until(build_decide_app(settings, broker, metrics), metrics, consumed)


def _replay(settings: Settings, *, dry_run: bool = False, **selection: Any) -> tuple[Any, int | None]:
    prepared = prepare_replay(settings, Selection(**selection), timeout_s=60, now=datetime.now(UTC))
    return prepared.plan, None if dry_run else execute_replay(prepared, timeout_s=60)


def test_a_demand_decide_rejected_goes_back_to_its_partition_once(fresh_broker: str, tmp_path: Path) -> None:
    settings = stage_settings(tmp_path, fresh_broker)
    producer = Producer({"bootstrap.servers": fresh_broker})
    producer.produce(NORM_SWAP_DEMAND.name, b"{not a demand", key=b"near_intents:a->b")
    producer.flush(30)
    _run_decide_until(settings, fresh_broker, consumed=1)
    (original,) = read_records(fresh_broker, NORM_SWAP_DEMAND.name, 1, settle_s=2.0)
    (letter_record,) = read_records(fresh_broker, DEAD_LETTER_TOPIC.name, 1, settle_s=2.0)
    letter = produced_event(DEAD_LETTER_TOPIC, letter_record.value())
    assert (letter.payload.stage, letter.payload.reason) == (
        DeadLetterStage.DECIDE,
        DeadLetterReason.NOT_JSON,
    )

    dry_plan, _ = _replay(settings, dry_run=True)
    assert [item.disposition for item in dry_plan.items] == [Disposition.REPLAY]
    assert (
        len(read_records(fresh_broker, NORM_SWAP_DEMAND.name, 1, settle_s=2.0)) == 1
    )  # a dry run writes nothing

    plan, written = _replay(settings)

    assert written == 1 and plan.count(Disposition.REPLAY) == 1
    demands = read_records(fresh_broker, NORM_SWAP_DEMAND.name, 2, settle_s=2.0)
    assert len(demands) == 2
    replayed = demands[1] if demands[0].offset() == original.offset() else demands[0]
    assert (replayed.partition(), replayed.key(), replayed.value()) == (
        original.partition(),
        b"near_intents:a->b",
        b"{not a demand",
    )
    assert replayed.offset() > original.offset()
    assert dict(replayed.headers() or [])[REPLAY_HEADER] == letter.event_id.encode()

    again = CliRunner().invoke(main, ["dlq", "replay"], env={"DORAN_BROKER_ADDRESS": fresh_broker})

    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == (
        "selected 1 = replayed 0 + already replayed 1 + not replayable 0 + still rejected 0; "
        "nothing new to replay, no record written"
    )
    assert len(read_records(fresh_broker, NORM_SWAP_DEMAND.name, 2, settle_s=2.0)) == 2


def test_ingest_dead_letters_are_re_ingested_with_the_current_code(fresh_broker: str, tmp_path: Path) -> None:
    frame = read_recording(SAMPLE)[1]
    data = json.loads(frame)["params"]["data"]
    # Dead letters an ingest with too small a frame limit wrote: a quote (whole), a frame too large
    # even to keep whole, and a frame that is not JSON under any limit.
    strict = FrameIngest(FEED, max_frame_bytes=len(frame) - 1, max_record_bytes=1_000_000)
    frames = [frame, b"x" * (ORIGINAL_KEPT_BYTES + 1), b"{not json"]
    producer = Producer({"bootstrap.servers": fresh_broker, "message.max.bytes": 2_000_000})
    for each in frames:
        (record,) = strict(ReceivedFrame(each, None), datetime.now(UTC)).records
        assert record.topic == DEAD_LETTER_TOPIC.name
        value = registry_framing().frame(record.topic, record.value)  # as ingest writes it
        producer.produce(record.topic, value, key=record.key, headers=record.headers)
    producer.flush(30)
    letters = [
        produced_event(DEAD_LETTER_TOPIC, m.value())
        for m in read_records(fresh_broker, DEAD_LETTER_TOPIC.name, 3, settle_s=2.0)
    ]
    settings = stage_settings(tmp_path, fresh_broker)  # the default frame limit: the fix

    plan, written = _replay(settings, stages=frozenset({DeadLetterStage.INGEST}))

    by_letter = {item.letter_id: item for item in plan.items}
    assert [by_letter[letter.event_id].label for letter in letters] == [
        "will replay",
        "not replayable: original truncated",
        "still rejected: not_json",
    ]
    assert written == 1
    (raw,) = read_records(fresh_broker, RAW_NEAR_INTENTS_QUOTE.name, 1, settle_s=2.0)
    event = produced_event(RAW_NEAR_INTENTS_QUOTE, raw.value())
    (minted,) = FrameIngest(FEED, max_frame_bytes=2**18, max_record_bytes=10**6)(
        ReceivedFrame(frame, None), datetime.now(UTC)
    ).records
    assert event.event_id == quote_event_id(data) == minted.key
    assert raw.key() == event.event_id.encode()
    assert (event.source, event.payload.message.quote_id) == (FEED, data["quote_id"])
    headers = dict(raw.headers() or [])
    assert headers[REPLAY_HEADER] == letters[0].event_id.encode()
    assert headers["ce_id"] == event.event_id.encode()
    assert (
        len(read_records(fresh_broker, DEAD_LETTER_TOPIC.name, 3, settle_s=2.0)) == 3
    )  # still rejected: no new dead letter

    plan_again, written_again = _replay(settings, stages=frozenset({DeadLetterStage.INGEST}))

    assert written_again == 0
    assert {d: plan_again.count(d) for d in Disposition} == {
        Disposition.REPLAY: 0,
        Disposition.ALREADY_REPLAYED: 1,
        Disposition.NOT_REPLAYABLE: 1,
        Disposition.STILL_REJECTED: 1,
    }
    assert len(read_records(fresh_broker, RAW_NEAR_INTENTS_QUOTE.name, 1, settle_s=2.0)) == 1
