"""The pure ingest step: every relay frame becomes a quote record, a dead letter, or a protocol frame."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from doran.contracts import (
    CONTRACT_SHA256,
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    TOPICS,
    DeadLetterEvent,
    NearIntentsQuoteRawEvent,
)
from doran.relay import ReceivedFrame, RecordingFeed, quote_event_id, read_recording
from doran.stages.ingest import IngestConfigError, IngestCounters, IngestSource, ingest_frame
from doran.wire import CONTRACT_HEADER, decode

FEED = "wss://solver-relay-v2.chaindefuser.com/ws"
NOW = datetime(2026, 3, 28, 19, 53, 29, 500000, tzinfo=UTC)
OBSERVED = NOW - timedelta(milliseconds=2)
RECORDING = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"
DATA: dict[str, Any] = {
    "quote_id": "927b069b-287f-4295-9053-05ad3ebfc646",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1",
    "exact_amount_in": "340282366920938463463374607431768211455",
    "min_deadline_ms": 60000,
    "protocol_fee_included": False,
}


def _event_frame(data: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "event", "params": {"subscription": "s-1", "data": data}})


def _headers(headers: list[tuple[str, bytes]]) -> dict[str, bytes]:
    return dict(headers)


def test_a_quote_event_becomes_a_valid_raw_quote_record_keyed_by_its_event_id() -> None:
    outcome = ingest_frame(ReceivedFrame(_event_frame(DATA), OBSERVED), feed=FEED, now=NOW)

    assert outcome.kind == "quote"
    assert outcome.record is not None
    record = outcome.record
    event = decode(RAW_NEAR_INTENTS_QUOTE, record.value)
    assert isinstance(event, NearIntentsQuoteRawEvent)
    assert record.topic == RAW_NEAR_INTENTS_QUOTE
    assert record.key == event.event_id == quote_event_id(DATA)
    assert event.payload.message == DATA
    assert event.raw == DATA
    assert (event.source, event.venue, event.schema_version) == (FEED, "near_intents", 1)
    assert event.observed_at == "2026-03-28T19:53:29.498000Z"
    assert event.ingested_at == "2026-03-28T19:53:29.500000Z"
    headers = _headers(record.headers)
    assert headers["ce_id"] == event.event_id.encode()
    assert headers["ce_type"] == b"near_intents_quote_raw"
    assert headers["ce_source"] == FEED.encode()
    assert headers[CONTRACT_HEADER] == TOPICS[RAW_NEAR_INTENTS_QUOTE].schema_sha256.encode()
    assert CONTRACT_SHA256  # the registry hash exists; the header carries the topic schema's own hash


def test_the_event_id_depends_on_the_venue_data_only() -> None:
    first = ingest_frame(ReceivedFrame(_event_frame(DATA), OBSERVED), feed=FEED, now=NOW)
    tomorrow = NOW + timedelta(days=1)
    later = ingest_frame(ReceivedFrame(_event_frame(DATA), None), feed="replay:x.jsonl", now=tomorrow)
    assert first.record is not None
    assert later.record is not None
    assert first.record.key == later.record.key


def test_the_subscribe_ack_is_a_protocol_frame_with_nothing_to_produce() -> None:
    ack = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "s-1"})
    outcome = ingest_frame(ReceivedFrame(ack, OBSERVED), feed=FEED, now=NOW)
    assert (outcome.kind, outcome.record, outcome.reason) == ("protocol", None, None)


@pytest.mark.parametrize(
    ("text", "reason", "pointers"),
    [
        ('{"jsonrpc":"2.0","method":"event","params":{"subscr', "not_json", [""]),
        (
            _event_frame({k: v for k, v in DATA.items() if k != "quote_id"}),
            "invalid_venue_message",
            ["/params/data/quote_id"],
        ),
        (
            _event_frame({"quote_hash": "q", "intent_hash": "i", "tx_hash": "h"}),
            "invalid_venue_message",
            [
                "/params/data/quote_id",
                "/params/data/defuse_asset_identifier_in",
                "/params/data/defuse_asset_identifier_out",
                "/params/data",
                "/params/data/min_deadline_ms",
            ],
        ),
        (
            json.dumps({"jsonrpc": "2.0", "id": 3, "error": {"code": -32600, "message": "bad request"}}),
            "invalid_venue_message",
            ["/error"],
        ),
    ],
    ids=["not-json", "missing-quote-id", "quote-status-event", "error-response"],
)
def test_malformed_frames_become_dead_letters_carrying_the_original_bytes(
    text: str, reason: str, pointers: list[str]
) -> None:
    outcome = ingest_frame(ReceivedFrame(text, OBSERVED), feed=FEED, now=NOW)

    assert outcome.kind == "dead_letter"
    assert outcome.reason == reason
    assert outcome.record is not None
    event = decode(DEAD_LETTER_TOPIC, outcome.record.value)
    assert isinstance(event, DeadLetterEvent)
    assert outcome.record.topic == DEAD_LETTER_TOPIC
    assert outcome.record.key == FEED
    payload = event.payload
    assert (payload.stage, payload.reason, payload.source_topic) == ("ingest", reason, FEED)
    assert (payload.source_partition, payload.source_offset, payload.original_key_b64) == (None, None, None)
    assert base64.b64decode(payload.original_value_b64) == text.encode()
    assert [violation.pointer for violation in payload.violations] == pointers
    assert event.event_id.startswith("dlq-")


def test_dead_letter_ids_repeat_for_the_same_frame_and_feed() -> None:
    frame = ReceivedFrame(b"<html>502 Bad Gateway", None)
    first = ingest_frame(frame, feed=FEED, now=NOW)
    again = ingest_frame(frame, feed=FEED, now=NOW + timedelta(hours=1))
    other_feed = ingest_frame(frame, feed="replay:other.jsonl", now=NOW)
    assert first.record is not None
    assert again.record is not None
    assert other_feed.record is not None
    first_id = decode(DEAD_LETTER_TOPIC, first.record.value).event_id
    assert first_id == decode(DEAD_LETTER_TOPIC, again.record.value).event_id
    assert first_id != decode(DEAD_LETTER_TOPIC, other_feed.record.value).event_id


def test_every_frame_of_the_sample_recording_has_exactly_one_outcome_and_none_is_lost() -> None:
    frames = read_recording(RECORDING)
    outcomes = [ingest_frame(ReceivedFrame(line, None), feed="replay:sample", now=NOW) for line in frames]
    kinds = Counter(outcome.kind for outcome in outcomes)
    reasons = Counter(outcome.reason for outcome in outcomes if outcome.reason is not None)

    assert kinds == {"protocol": 2, "quote": 1183, "dead_letter": 20}
    assert reasons == {"not_json": 6, "invalid_venue_message": 14}
    keys = [outcome.record.key for outcome in outcomes if outcome.kind == "quote" and outcome.record]
    assert len(set(keys)) == 1183 - 3, "the three redelivered frames repeat their event ids"


def test_counters_count_each_frame_once_by_outcome() -> None:
    counters = IngestCounters()
    for line in read_recording(RECORDING)[:40]:
        counters.record(ingest_frame(ReceivedFrame(line, None), feed="replay:sample", now=NOW))
    counts = counters.snapshot()
    dead = sum(counts.dead_lettered.values())
    assert counts.frames_in == 40
    assert counts.protocol_frames + counts.quotes_out + dead == 40
    assert counts.protocol_frames == 1
    assert counts.as_dict()["quotes_out"] == counts.quotes_out


def test_a_feed_name_longer_than_a_dead_letter_source_topic_is_refused(tmp_path: Path) -> None:
    long_dir = tmp_path / ("d" * 120) / ("e" * 120)
    with pytest.raises(IngestConfigError, match="1 to 249 characters"):
        IngestSource(_NamedFeed("x" * 250))
    assert len(RecordingFeed(long_dir / "f.jsonl").name) <= 249


@dataclass(frozen=True)
class _NamedFeed:
    name: str

    def frames(self, should_stop: Callable[[], bool]) -> AsyncGenerator[ReceivedFrame, None]:
        return RecordingFeed(Path("unused")).frames(should_stop)
