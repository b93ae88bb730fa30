"""The pure ingest step: every relay frame ends as exactly one of protocol traffic, a quote record, or a
dead letter carrying the original bytes, whatever the frame holds."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doran.contracts import DEAD_LETTER_TOPIC, RAW_NEAR_INTENTS_QUOTE, RAW_NEAR_INTENTS_QUOTE_STATUS
from doran.devkit.recording import read_recording
from doran.relay import ReceivedFrame
from doran.stages.handling import Handled
from doran.stages.ingest import FrameIngest, IngestConfigError, quote_event_id
from doran.stages.metrics import StageMetrics
from doran.wire import CONTRACT_HEADER, KafkaRecord, decode, violations

FEED = "wss://solver-relay-v2.chaindefuser.com/ws"
NOW = datetime(2026, 3, 28, 19, 53, 29, 500000, tzinfo=UTC)
OBSERVED = NOW - timedelta(milliseconds=2)
RECORDING = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"
MAX_FRAME = 65_536
MAX_RECORD = 1_000_000
HASH = "4tfgPJU7BJYKNqxdbTK7e7RAUSDptrv4U5pBMhEB2z6p"  # base58 of 32 bytes, like a quote_hash
DATA: dict[str, Any] = {
    "quote_id": "927b069b-287f-4295-9053-05ad3ebfc646",
    "defuse_asset_identifier_in": "nep141:wrap.near",
    "defuse_asset_identifier_out": "nep141:17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1",
    "exact_amount_in": "340282366920938463463374607431768211455",
    "min_deadline_ms": 60000,
    "protocol_fee_included": False,
}


def _ingest(feed: str = FEED, *, max_frame: int = MAX_FRAME, max_record: int = MAX_RECORD) -> FrameIngest:
    """An ingest that has seen the relay acknowledge its quote subscription as "s-1"."""
    ingest = FrameIngest(feed, max_frame_bytes=max_frame, max_record_bytes=max_record)
    ingest(ReceivedFrame(json.dumps({"jsonrpc": "2.0", "id": 1, "result": "s-1"}), None), NOW)
    return ingest


def _kind(handled: Handled) -> str:
    """What a frame became: protocol traffic, a quote, a quote_status, or a dead letter."""
    if handled.protocol is not None:
        return "protocol"
    if handled.dead_letter is not None:
        return "dead_letter"
    (record,) = handled.records
    return {RAW_NEAR_INTENTS_QUOTE.name: "quote", RAW_NEAR_INTENTS_QUOTE_STATUS.name: "quote_status"}[
        record.topic
    ]


def _record(handled: Handled) -> KafkaRecord | None:
    return handled.records[0] if handled.records else None


def _event_frame(data: Any, subscription: str = "s-1") -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "method": "event", "params": {"subscription": subscription, "data": data}}
    )


def test_a_quote_event_becomes_a_valid_raw_quote_record_keyed_by_its_event_id() -> None:
    outcome = _ingest()(ReceivedFrame(_event_frame(DATA), OBSERVED), NOW)

    assert _kind(outcome) == "quote" and _record(outcome) is not None
    record = _record(outcome)
    event = decode(RAW_NEAR_INTENTS_QUOTE, record.value)
    assert record.topic == RAW_NEAR_INTENTS_QUOTE.name
    assert record.key == event.event_id == quote_event_id(DATA)
    assert event.payload.message.model_dump(exclude_unset=True) == DATA
    assert json.loads(record.value)["payload"]["message"] == DATA  # verbatim, no field added
    assert event.raw == DATA
    assert (event.source, event.venue, event.schema_version) == (FEED, "near_intents", 1)
    assert event.observed_at == "2026-03-28T19:53:29.498000Z"
    assert event.ingested_at == "2026-03-28T19:53:29.500000Z"
    headers = dict(record.headers)
    assert headers["ce_id"] == event.event_id.encode()
    assert headers["ce_type"] == b"near_intents_quote_raw"
    assert headers["ce_source"] == FEED.encode()
    assert headers[CONTRACT_HEADER] == RAW_NEAR_INTENTS_QUOTE.schema_sha256.encode()


def test_the_event_id_depends_on_the_venue_data_only() -> None:
    first = _ingest()(ReceivedFrame(_event_frame(DATA), OBSERVED), NOW)
    later = _ingest("recording:x.jsonl")(
        ReceivedFrame(_event_frame(DATA, "other"), None), NOW + timedelta(days=1)
    )
    assert _record(first) is not None and _record(later) is not None
    assert _record(first).key == _record(later).key
    reordered = dict(reversed(list(DATA.items())))
    assert quote_event_id(reordered) == quote_event_id(DATA) != quote_event_id(DATA | {"min_deadline_ms": 1})


def test_venue_integers_beyond_64_bits_are_kept_exactly() -> None:
    data = DATA | {"venue_counter": 2**130 + 7}
    outcome = _ingest()(ReceivedFrame(_event_frame(data), OBSERVED), NOW)
    assert _record(outcome) is not None
    assert json.loads(_record(outcome).value)["raw"]["venue_counter"] == 2**130 + 7


@pytest.mark.parametrize(
    ("frame", "protocol"),
    [
        (json.dumps({"jsonrpc": "2.0", "id": 1, "result": "s-1"}), "subscribed:quote"),
        (json.dumps({"jsonrpc": "2.0", "id": 2, "result": "s-2"}), "subscribed:quote_status"),
        (json.dumps({"jsonrpc": "2.0", "id": 7, "result": "OK"}), "answer"),
        (
            json.dumps({"jsonrpc": "2.0", "id": 3, "error": {"code": -32600, "message": "bad"}}),
            "error_answer",
        ),
        (json.dumps({"jsonrpc": "2.0", "method": "ping", "params": []}), "notification:ping"),
    ],
    ids=["quote-ack", "status-ack", "answer", "error", "other-method"],
)
def test_json_rpc_protocol_traffic_is_counted_not_dead_lettered(frame: str, protocol: str) -> None:
    outcome = _ingest()(ReceivedFrame(frame, OBSERVED), NOW)
    assert outcome == Handled((), protocol=protocol)


def test_an_event_on_a_subscription_never_made_is_a_dead_letter_unless_it_carries_a_quote() -> None:
    fresh = FrameIngest(FEED, max_frame_bytes=MAX_FRAME, max_record_bytes=MAX_RECORD)
    assert _kind(fresh(ReceivedFrame(_event_frame(DATA, "unknown"), None), NOW)) == "quote"
    stray = fresh(ReceivedFrame(_event_frame({"hello": 1}, "unknown"), None), NOW)
    assert (_kind(stray), stray.dead_letter) == ("dead_letter", "invalid_venue_message")


def test_events_are_routed_by_the_subscription_they_arrive_on() -> None:
    ingest = _ingest()
    ingest(ReceivedFrame(json.dumps({"jsonrpc": "2.0", "id": 2, "result": "status-sub"}), None), NOW)
    status = {"quote_hash": HASH, "intent_hash": HASH, "tx_hash": HASH}
    settled = ingest(ReceivedFrame(_event_frame(status, "status-sub"), None), NOW)
    assert _kind(settled) == "quote_status" and _record(settled) is not None
    assert _record(settled).topic == RAW_NEAR_INTENTS_QUOTE_STATUS.name
    assert (
        _record(settled).key == HASH
    )  # the registry's key: the quote_hash, so one quote's statuses stay in order
    # On the quote subscription, the same data is a malformed quote.
    ingest(ReceivedFrame(json.dumps({"jsonrpc": "2.0", "id": 1, "result": "quote-sub"}), None), NOW)
    misrouted = ingest(ReceivedFrame(_event_frame(status, "quote-sub"), None), NOW)
    assert misrouted.dead_letter == "invalid_venue_message"


@pytest.mark.parametrize(
    ("text", "reason", "pointers"),
    [
        ('{"jsonrpc":"2.0","method":"event","params":{"subscr', "not_json", [""]),
        (
            '{"jsonrpc":"2.0","method":"event","params":{"subscription":"s","data":"\\udc00"}}',
            "not_json",
            [""],
        ),
        ("[" * 20_000 + "]" * 20_000, "not_json", [""]),
        (
            _event_frame({k: v for k, v in DATA.items() if k != "quote_id"}),
            "invalid_venue_message",
            ["/params/data/quote_id"],
        ),
        (
            _event_frame(DATA | {"exact_amount_out": "5"}),
            "invalid_venue_message",
            ["/params/data/exact_amount_out"],
        ),
        (
            _event_frame(DATA | {"exact_amount_in": 5}),
            "invalid_venue_message",
            ["/params/data/exact_amount_in"],
        ),
        (
            json.dumps({"jsonrpc": "2.0", "method": "event", "params": {"data": DATA}}),
            "invalid_venue_message",
            ["/params/subscription"],
        ),
    ],
    ids=[
        "truncated",
        "lone-surrogate",
        "too-deep",
        "missing-quote-id",
        "both-sides",
        "number-amount",
        "no-subscription",
    ],
)
def test_malformed_frames_become_dead_letters_carrying_the_original_bytes(
    text: str, reason: str, pointers: list[str]
) -> None:
    outcome = _ingest()(ReceivedFrame(text, OBSERVED), NOW)

    assert _kind(outcome) == "dead_letter" and outcome.dead_letter == reason and _record(outcome) is not None
    assert _record(outcome).topic == DEAD_LETTER_TOPIC.name
    assert _record(outcome).key == FEED
    event = decode(DEAD_LETTER_TOPIC, _record(outcome).value)
    payload = event.payload
    assert (payload.stage, payload.reason, payload.source_topic) == ("ingest", reason, FEED)
    assert (payload.source_partition, payload.source_offset, payload.original_key_b64) == (None, None, None)
    assert base64.b64decode(payload.original_value_b64) == text.encode()
    assert [violation.pointer for violation in payload.violations] == pointers
    assert event.event_id.startswith("dlq-")


def test_a_frame_above_the_cap_is_a_dead_letter_with_its_head_size_and_hash() -> None:
    frame = _event_frame(DATA | {"blob": "x" * 2_000_000})  # a 2 MiB quote: far above any real one
    outcome = _ingest()(ReceivedFrame(frame, OBSERVED), NOW)
    assert (_kind(outcome), outcome.dead_letter) == ("dead_letter", "message_too_large")
    assert _record(outcome) is not None and _record(outcome).size <= MAX_RECORD
    letter = decode(DEAD_LETTER_TOPIC, _record(outcome).value).payload
    assert letter.original_truncated is True
    assert letter.original_size_bytes == len(frame)
    assert letter.original_sha256 == hashlib.sha256(frame.encode()).hexdigest()
    assert "DORAN_RELAY_MAX_FRAME_BYTES" in letter.violations[0].message


def test_a_raw_record_above_the_broker_limit_is_a_dead_letter_not_a_failed_produce() -> None:
    # Under the frame cap, but the raw record carries the quote twice and outgrows the record limit.
    frame = _event_frame(DATA | {"blob": "x" * 60_000})
    outcome = _ingest(max_frame=200_000, max_record=100_000)(ReceivedFrame(frame, OBSERVED), NOW)
    assert (_kind(outcome), outcome.dead_letter) == ("dead_letter", "message_too_large")
    assert _record(outcome) is not None and _record(outcome).size <= 100_000


def test_dead_letter_ids_repeat_for_the_same_frame_and_feed() -> None:
    frame = ReceivedFrame(b"<html>502 Bad Gateway", None)
    first = _record(_ingest()(frame, NOW))
    again = _record(_ingest()(frame, NOW + timedelta(hours=1)))
    other_feed = _record(_ingest("recording:other.jsonl")(frame, NOW))
    assert first is not None and again is not None and other_feed is not None
    first_id = decode(DEAD_LETTER_TOPIC, first.value).event_id
    assert first_id == decode(DEAD_LETTER_TOPIC, again.value).event_id
    assert first_id != decode(DEAD_LETTER_TOPIC, other_feed.value).event_id


def test_every_frame_of_the_sample_recording_has_exactly_one_outcome_and_none_is_lost() -> None:
    ingest = _ingest("recording:sample")
    outcomes = [ingest(ReceivedFrame(line, None), NOW) for line in read_recording(RECORDING)]
    kinds = Counter(_kind(outcome) for outcome in outcomes)
    reasons = Counter(outcome.dead_letter for outcome in outcomes if outcome.dead_letter is not None)

    assert kinds == {"protocol": 2, "quote": 1162, "dead_letter": 41}
    assert reasons == {"not_json": 6, "invalid_venue_message": 35}
    keys = [_record(outcome).key for outcome in outcomes if _kind(outcome) == "quote" and _record(outcome)]
    assert len(set(keys)) == 1162 - 3, "the three redelivered frames repeat their event ids"


def test_metrics_count_each_frame_once_by_what_it_became() -> None:
    ingest, metrics = _ingest("recording:sample"), StageMetrics("ingest")
    for line in read_recording(RECORDING):
        metrics.count(ingest(ReceivedFrame(line, None), NOW))
    snapshot = metrics.snapshot()
    assert snapshot["protocol_frames"] == {"subscribed:quote": 2}  # no messages of the pipeline
    assert snapshot["consumed"] == len(read_recording(RECORDING)) - 2
    dead = sum(snapshot["dead_lettered"].values())
    assert (snapshot["published"], dead) == (1162, 41)
    assert snapshot["consumed"] == snapshot["published"] + dead  # nothing declined or skipped here


def test_a_feed_name_that_cannot_be_a_source_is_refused() -> None:
    with pytest.raises(IngestConfigError, match="1 to 249 characters"):
        _ingest("x" * 250)


_REAL_FRAMES = [line for line in read_recording(RECORDING)[:200]]


@st.composite
def _mutated_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(_REAL_FRAMES)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(frame)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(
            st.binary(min_size=1, max_size=6)
            | st.sampled_from([b"\\ud800", b"[", b'"', b"{", b"1e999", b"\x00"])
        )
        if action == "insert":
            frame[position:position] = chunk
        elif action == "delete":
            del frame[position : position + len(chunk)]
        else:
            frame[position : position + len(chunk)] = chunk
    return bytes(frame)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), _mutated_frames(), st.text(max_size=200).map(str.encode)))
def test_no_frame_escapes_an_exception_and_each_ends_as_exactly_one_outcome(frame: bytes) -> None:
    outcome = _ingest()(ReceivedFrame(frame, None), NOW)
    if _kind(outcome) == "protocol":
        assert _record(outcome) is None and outcome.protocol
    elif _kind(outcome) in ("quote", "quote_status"):
        # Built without validation (event_object): the reference validator must accept every one.
        topic = RAW_NEAR_INTENTS_QUOTE if _kind(outcome) == "quote" else RAW_NEAR_INTENTS_QUOTE_STATUS
        assert _record(outcome) is not None and _record(outcome).topic == topic.name
        assert violations(topic.name, json.loads(_record(outcome).value)) == []
        decode(topic, _record(outcome).value)
    else:
        assert (
            _kind(outcome) == "dead_letter"
            and outcome.dead_letter is not None
            and _record(outcome) is not None
        )
        letter = decode(DEAD_LETTER_TOPIC, _record(outcome).value).payload
        assert letter.original_sha256 == hashlib.sha256(frame).hexdigest()
