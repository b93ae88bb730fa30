"""The ingest stage on the real broker: replayed and live frames, consumed back, checked field by field."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from pydantic import SecretStr
from support.broker import stage_settings
from support.registry import produced_event

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterEvent,
    Envelope,
    NearIntentsQuoteRawEvent,
)
from doran.devkit.recording import RecordingFeed, read_recording
from doran.devkit.relay_simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator
from doran.relay import Backoff, LiveRelayFeed, ReceivedFrame
from doran.schema_source.registry import TopicSpec
from doran.stages.handling import Handled
from doran.stages.ingest import FrameIngest, run_ingest
from doran.stages.metrics import StageMetrics
from doran.wire import unframe

pytestmark = pytest.mark.integration

EventT = TypeVar("EventT", bound=Envelope)
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"


def _read_all(address: str, topic: str, idle_s: float = 2.0) -> list[Message]:
    """Every record of `topic`, read from the start (assign: no group join) until it stays idle.

    Not up to the high watermark: tansu reports the last batch's base offset + 1 as the high
    watermark, which stops short whenever the last batch holds more than one record.
    """
    consumer = Consumer(
        {"bootstrap.servers": address, "group.id": f"reader-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in partitions])
        messages: list[Message] = []
        last_seen, deadline = time.monotonic(), time.monotonic() + 60
        while time.monotonic() - last_seen < idle_s and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                messages.append(message)
                last_seen = time.monotonic()
        return messages
    finally:
        consumer.close()


def _mine(address: str, topic: TopicSpec[EventT], feed: str) -> list[tuple[Message, EventT]]:
    """The records of `topic` that came from this test's feed, decoded and typed.

    A quote names its feed in `source`; a dead letter in `payload.source_topic`.
    """
    mine: list[tuple[Message, EventT]] = []
    for message in _read_all(address, topic.name):
        event = produced_event(topic, message.value())
        origin = event.payload.source_topic if isinstance(event, DeadLetterEvent) else event.source
        if origin == feed:
            mine.append((message, event))
    return mine


def _expected(lines: list[bytes], feed: str) -> list[Handled]:
    """What the pure ingest core makes of each frame: the reference the broker records are checked against."""
    ingest = FrameIngest(feed, max_frame_bytes=2**18, max_record_bytes=10**6)
    return [ingest(ReceivedFrame(line, None), datetime.now(UTC)) for line in lines]


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    # A copy under a unique name gives this test its own feed name on the shared broker.
    copy = tmp_path / f"relay-quotes-{uuid.uuid4().hex[:8]}.jsonl"
    shutil.copyfile(SAMPLE, copy)
    return copy


def test_replay_produces_every_quote_and_dead_letter_and_a_second_replay_mints_no_new_ids(
    kafka_broker: str, recording: Path, tmp_path: Path
) -> None:
    settings = stage_settings(tmp_path, kafka_broker)
    feed = RecordingFeed(recording)
    lines = read_recording(recording)
    metrics = StageMetrics("ingest")

    run_ingest(settings, kafka_broker, feed, metrics)

    counts = metrics.snapshot()
    assert counts["protocol_frames"] == {"subscribed:quote": 2}
    assert counts["consumed"] == len(lines) - 2
    assert (counts["produced"], counts["dead_lettered"]) == (
        1162,
        {"not_json": 6, "invalid_venue_message": 35},
    )
    quotes = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, feed.name)
    dead = _mine(kafka_broker, DEAD_LETTER_TOPIC, feed.name)
    assert (len(quotes), len(dead)) == (1162, 41)

    by_id = {event.event_id: (message, event) for message, event in quotes}
    originals = {base64.b64decode(event.payload.original_value_b64): event for _, event in dead}
    for line, handled in zip(lines, _expected(lines, feed.name), strict=True):
        if handled.protocol is None and handled.dead_letter is None:
            (record,) = handled.records
            message, event = by_id[record.key]
            assert message.key() == event.event_id.encode()
            # The bytes the core built, but for the time of ingestion.
            produced = json.loads(unframe(RAW_NEAR_INTENTS_QUOTE.name, message.value()).data)
            built = json.loads(record.value)
            assert produced | {"ingested_at": None} == built | {"ingested_at": None}
            assert event.observed_at is None  # a recording carries no receive times
            headers = dict(message.headers() or [])
            assert (headers["ce_id"], headers["ce_source"]) == (event.event_id.encode(), feed.name.encode())
        elif handled.dead_letter is not None:
            letter = originals[line]
            assert (letter.payload.stage, letter.payload.reason, letter.payload.source_topic) == (
                "ingest",
                handled.dead_letter,
                feed.name,
            )
    assert {message.key() for message, _ in dead} == {feed.name.encode()}

    run_ingest(settings, kafka_broker, feed, StageMetrics("ingest"))

    quotes_after = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, feed.name)
    dead_after = _mine(kafka_broker, DEAD_LETTER_TOPIC, feed.name)
    assert len(quotes_after) == 2 * len(quotes)
    assert {e.event_id for _, e in quotes_after} == {e.event_id for _, e in quotes}
    assert {e.event_id for _, e in dead_after} == {e.event_id for _, e in dead}


class _SimulatorThread:
    """Runs a RelaySimulator on its own event loop, so ingest's loop can run in the test's thread."""

    def __init__(self, simulator: RelaySimulator) -> None:
        self.simulator = simulator
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        async with self.simulator:
            self.url = self.simulator.url
            self._ready.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.02)

    def __enter__(self) -> _SimulatorThread:
        self._thread.start()
        assert self._ready.wait(10), "the relay simulator did not start"
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(10)


def test_live_ingest_through_a_dropped_connection_produces_every_frame_once(
    kafka_broker: str, tmp_path: Path
) -> None:
    # The sample's first 199 frames after its ack (quotes and the malformed frames among them), on the
    # subscription the simulator acknowledges.
    recorded = json.loads(read_recording(SAMPLE)[0])["result"]
    live_frames = [
        line.decode().replace(recorded, SIMULATED_SUBSCRIPTION_ID) for line in read_recording(SAMPLE)[1:200]
    ]
    token = "live-test-token"
    simulator = RelaySimulator(live_frames, token=token, drop_after=70)
    metrics = StageMetrics("ingest")
    expected = [o for o in _expected([f.encode() for f in live_frames], "x") if o.protocol is None]
    with _SimulatorThread(simulator) as served:
        feed = LiveRelayFeed(served.url, SecretStr(token), backoff=Backoff(base_s=0.05, cap_s=0.2))
        deadline = time.monotonic() + 60
        run_ingest(
            stage_settings(tmp_path, kafka_broker),
            kafka_broker,
            feed,
            metrics,
            should_stop=lambda: metrics.consumed >= len(live_frames) or time.monotonic() > deadline,
        )

    counts = metrics.snapshot()
    assert counts["consumed"] == len(live_frames)
    assert counts["protocol_frames"]["subscribed:quote"] == 2  # one ack per connection
    assert sum(counts["dead_lettered"].values()) == sum(o.dead_letter is not None for o in expected)
    assert simulator.authorizations == [f"Bearer {token}"] * 2
    assert len(simulator.subscribe_requests) == 2

    quotes = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, served.url)
    expected_ids = {o.records[0].key for o in expected if o.dead_letter is None}
    assert {event.event_id for _, event in quotes} == expected_ids
    assert len(quotes) == counts["produced"]
    assert all(event.observed_at is not None for _, event in quotes)
    assert all(isinstance(event, NearIntentsQuoteRawEvent) for _, event in quotes)
    dead = _mine(kafka_broker, DEAD_LETTER_TOPIC, served.url)
    assert len(dead) == sum(counts["dead_lettered"].values())
