"""The ingest stage on the real broker: replayed and live frames, consumed back, checked field by field."""

from __future__ import annotations

import asyncio
import base64
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import TypeVar

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from pydantic import SecretStr

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    TOPICS,
    DeadLetterEvent,
    Envelope,
    NearIntentsQuoteRawEvent,
)
from doran.relay import (
    Backoff,
    LiveRelayFeed,
    QuoteEvent,
    RejectedFrame,
    RelaySimulator,
    classify_frame,
    quote_event_id,
    read_recording,
)
from doran.settings import Settings
from doran.stages.counters import read_counters
from doran.stages.ingest import IngestCounters, build_ingest_app, replay
from doran.wire import decode

pytestmark = pytest.mark.integration

RAW_EVENT_TYPE = TOPICS[RAW_NEAR_INTENTS_QUOTE].event_type
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


def _mine(address: str, topic: str, feed: str, model: type[EventT]) -> list[tuple[Message, EventT]]:
    """The records of `topic` that came from this test's feed, decoded and typed.

    A quote names its feed in `source`; a dead letter in `payload.source_topic`.
    """
    mine: list[tuple[Message, EventT]] = []
    for message in _read_all(address, topic):
        event = decode(topic, message.value())
        origin = event.payload.source_topic if isinstance(event, DeadLetterEvent) else event.source
        if origin == feed:
            assert isinstance(event, model)
            mine.append((message, event))
    return mine


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    # A copy under a unique path gives this test its own feed name on the shared broker.
    copy = tmp_path / "relay-quotes.jsonl"
    shutil.copyfile(SAMPLE, copy)
    return copy


def test_replay_produces_every_quote_and_dead_letter_and_a_second_replay_mints_no_new_ids(
    kafka_broker: str, recording: Path, tmp_path: Path
) -> None:
    settings = Settings(
        broker_address=kafka_broker, stats_dir=tmp_path / "stats", quix_state_dir=tmp_path / "state"
    )
    feed = f"replay:{recording}"
    lines = read_recording(recording)

    counts = replay(recording, settings)

    assert counts.as_dict() == {
        "frames_in": len(lines),
        "protocol_frames": 2,
        "quotes_out": 1183,
        "dead_lettered": {"not_json": 6, "invalid_venue_message": 14},
    }
    quotes = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, feed, NearIntentsQuoteRawEvent)
    dead = _mine(kafka_broker, DEAD_LETTER_TOPIC, feed, DeadLetterEvent)
    assert len(quotes) == 1183
    assert len(dead) == 20
    assert read_counters(tmp_path / "stats", "ingest") == {
        "stage": "ingest",
        "consumed": len(lines) - 2,
        "produced": 1183,
        "skipped_duplicates": 0,
        "declined": {},
        "dead_lettered": {"invalid_venue_message": 14, "not_json": 6},
    }

    by_id = {event.event_id: (message, event) for message, event in quotes}
    for line in lines:
        frame = classify_frame(line)
        if not isinstance(frame, QuoteEvent):
            continue
        message, event = by_id[quote_event_id(frame.data)]
        assert message.key() == event.event_id.encode()
        assert event.payload.message == frame.data
        assert event.raw == frame.data
        assert (event.venue, event.event_type, event.schema_version) == ("near_intents", RAW_EVENT_TYPE, 1)
        assert event.observed_at is None  # a recording carries no receive times
        headers = dict(message.headers() or [])
        assert headers["ce_id"] == event.event_id.encode()
        assert headers["ce_source"] == feed.encode()

    originals = {base64.b64decode(event.payload.original_value_b64): event for _, event in dead}
    for line in lines:
        frame = classify_frame(line)
        if isinstance(frame, RejectedFrame):
            letter = originals[line]
            assert (letter.payload.stage, letter.payload.reason, letter.payload.source_topic) == (
                "ingest",
                frame.reason,
                feed,
            )
            assert [v.pointer for v in letter.payload.violations] == [p for p, _ in frame.violations]
    assert {message.key() for message, _ in dead} == {feed.encode()}

    replay(recording, settings)

    quotes_after = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, feed, NearIntentsQuoteRawEvent)
    dead_after = _mine(kafka_broker, DEAD_LETTER_TOPIC, feed, DeadLetterEvent)
    assert len(quotes_after) == 2 * len(quotes)
    assert {e.event_id for _, e in quotes_after} == {e.event_id for _, e in quotes}
    assert {e.event_id for _, e in dead_after} == {e.event_id for _, e in dead}


class _SimulatorThread:
    """Runs a RelaySimulator on its own event loop, so the Quix app can block the main thread."""

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

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def live_frames() -> list[str]:
    # The sample's first 199 frames after its ack: quotes and the malformed frames among them.
    return [line.decode() for line in read_recording(SAMPLE)[1:200]]


def test_live_ingest_through_a_dropped_connection_produces_every_frame_once(
    kafka_broker: str, live_frames: list[str], tmp_path: Path
) -> None:
    token = "live-test-token"
    simulator = RelaySimulator(live_frames, token=token, drop_after=70)
    counters = IngestCounters()
    expected_frames = len(live_frames) + 2  # plus the ack of each connection
    with _SimulatorThread(simulator) as served:
        feed = LiveRelayFeed(served.url, SecretStr(token), backoff=Backoff(base_s=0.05, cap_s=0.2))
        app = build_ingest_app(
            Settings(stats_dir=tmp_path / "stats", quix_state_dir=tmp_path / "state"),
            kafka_broker,
            feed=feed,
            counters=counters,
        )

        def stop_when_done() -> None:
            deadline = time.monotonic() + 60
            while counters.snapshot().frames_in < expected_frames and time.monotonic() < deadline:
                time.sleep(0.05)
            app.stop()

        threading.Thread(target=stop_when_done, daemon=True).start()
        app.run()

    counts = counters.snapshot()
    classified = [classify_frame(frame) for frame in live_frames]
    expected_ids = {quote_event_id(frame.data) for frame in classified if isinstance(frame, QuoteEvent)}
    rejected = sum(isinstance(frame, RejectedFrame) for frame in classified)
    assert counts.frames_in == expected_frames
    assert counts.protocol_frames == 2
    assert sum(counts.dead_lettered.values()) == rejected
    assert simulator.authorizations == [f"Bearer {token}"] * 2
    assert len(simulator.subscribe_requests) == 2

    quotes = _mine(kafka_broker, RAW_NEAR_INTENTS_QUOTE, served.url, NearIntentsQuoteRawEvent)
    assert {event.event_id for _, event in quotes} == expected_ids
    assert len(quotes) == counts.quotes_out
    assert all(event.observed_at is not None for _, event in quotes)
    dead = _mine(kafka_broker, DEAD_LETTER_TOPIC, served.url, DeadLetterEvent)
    assert len(dead) == rejected
