"""The pure core of `doran dlq replay`: dead letters + earlier replays -> a plan -> the records to write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.framing import TEST_FRAMING

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterEvent,
    DeadLetterReason,
    DeadLetterStage,
    Violation,
)
from doran.devkit.recording import read_recording
from doran.dlq.plan import (
    REPLAY_HEADER,
    Disposition,
    Refeed,
    ReplayPlan,
    Selection,
    plan_replay,
    replay_of,
    replay_records,
    replay_search_starts,
)
from doran.dlq.reingest import FrameReingest
from doran.dlq.report import render_counts, render_plan
from doran.relay import ReceivedFrame
from doran.stages.consumed import Consumed
from doran.stages.dead_letter import ORIGINAL_KEPT_BYTES, dead_letter
from doran.stages.ingest import FrameIngest, quote_event_id
from doran.wire import decode

NOW = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
FEED = "wss://solver-relay-v2.chaindefuser.com/ws"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"
REINGEST = FrameReingest(max_frame_bytes=262_144, max_record_bytes=1_000_000, now=NOW)
EVERYTHING = Selection()


def _letter(
    stage: DeadLetterStage,
    reason: DeadLetterReason,
    origin: Consumed,
) -> DeadLetterEvent:
    record = dead_letter(
        stage,
        reason,
        [Violation(pointer="", message="rejected in a test")],
        origin,
        now=NOW,
        max_record_bytes=2_000_000,
    )
    return decode(DEAD_LETTER_TOPIC, record.value)


def _stage_letter(
    offset: int = 7,
    *,
    stage: DeadLetterStage = DeadLetterStage.DECIDE,
    reason: DeadLetterReason = DeadLetterReason.NOT_JSON,
    topic: str = "norm.swap_demand",
    partition: int = 2,
    key: bytes | None = b"near_intents:a->b",
    value: bytes = b"not json",
) -> DeadLetterEvent:
    return _letter(stage, reason, Consumed(topic, partition, offset, key, value))


def _ingest_letter(
    frame: bytes, reason: DeadLetterReason = DeadLetterReason.INVALID_VENUE_MESSAGE
) -> DeadLetterEvent:
    return _letter(DeadLetterStage.INGEST, reason, Consumed(FEED, None, None, None, frame))


def _quote_frame() -> tuple[bytes, Any]:
    """A recorded quote event frame and its data."""
    line = read_recording(SAMPLE)[1]
    return line, json.loads(line)["params"]["data"]


def _plan(*letters: DeadLetterEvent, replayed: frozenset[str] = frozenset(), **selection: Any) -> ReplayPlan:
    return plan_replay(
        list(letters), replayed, selection=Selection(**selection), reingest=REINGEST, frame=TEST_FRAMING.frame
    )


def test_a_stage_dead_letter_goes_back_to_its_partition_with_its_key_and_bytes_marked_with_its_id() -> None:
    letter = _stage_letter(offset=7, partition=2, key=b"k-1", value=b"not json")

    plan = _plan(letter)

    (item,) = plan.items
    assert (item.disposition, item.target, item.origin) == (
        Disposition.REPLAY,
        "norm.swap_demand",
        "norm.swap_demand[2]@7",
    )
    assert replay_records(item) == (
        Refeed("norm.swap_demand", 2, b"k-1", b"not json", ((REPLAY_HEADER, letter.event_id.encode()),)),
    )


def test_an_original_without_a_key_is_refed_without_one() -> None:
    (record,) = replay_records(_plan(_stage_letter(key=None)).items[0])

    assert record.key is None


def test_a_dead_letter_already_replayed_writes_nothing_and_says_so() -> None:
    letter = _stage_letter()

    plan = _plan(letter, replayed=frozenset({letter.event_id}))

    (item,) = plan.items
    assert item.disposition is Disposition.ALREADY_REPLAYED
    assert item.target == "norm.swap_demand"
    assert letter.event_id in item.detail
    assert replay_records(item) == ()
    assert plan.to_replay == ()


def test_a_truncated_original_is_reported_not_replayable_and_never_produced() -> None:
    big = b"x" * (ORIGINAL_KEPT_BYTES + 10)
    letter = _stage_letter(reason=DeadLetterReason.MESSAGE_TOO_LARGE, value=big)
    assert letter.payload.original_truncated

    (item,) = _plan(letter).items

    assert (item.disposition, item.why) == (Disposition.NOT_REPLAYABLE, "original truncated")
    assert str(len(big)) in item.detail and "norm.swap_demand[2]@7" in item.detail
    assert replay_records(item) == ()


def test_an_original_that_does_not_match_its_sha256_is_not_replayed() -> None:
    letter = _stage_letter()
    payload = letter.payload.model_copy(update={"original_sha256": "0" * 64})
    damaged = letter.model_copy(update={"payload": payload})

    (item,) = _plan(damaged).items

    assert (item.disposition, item.why) == (Disposition.NOT_REPLAYABLE, "original damaged")
    assert replay_records(item) == ()


def test_stages_and_reasons_select_and_each_filter_alone_means_any_of_the_other() -> None:
    letters = [
        _stage_letter(1, stage=DeadLetterStage.NORMALIZE, reason=DeadLetterReason.NOT_JSON),
        _stage_letter(2, stage=DeadLetterStage.DECIDE, reason=DeadLetterReason.NOT_JSON),
        _stage_letter(3, stage=DeadLetterStage.DECIDE, reason=DeadLetterReason.SCHEMA_VIOLATION),
        _stage_letter(4, stage=DeadLetterStage.EXECUTE, reason=DeadLetterReason.UNKNOWN_QUOTE_HASH),
    ]

    def chosen(**selection: Any) -> list[int | None]:
        return [item.source_offset for item in _plan(*letters, **selection).items]

    assert chosen() == [1, 2, 3, 4]
    assert chosen(stages=frozenset({DeadLetterStage.DECIDE})) == [2, 3]
    assert chosen(reasons=frozenset({DeadLetterReason.NOT_JSON})) == [1, 2]
    assert chosen(
        stages=frozenset({DeadLetterStage.DECIDE, DeadLetterStage.EXECUTE}),
        reasons=frozenset({DeadLetterReason.SCHEMA_VIOLATION, DeadLetterReason.UNKNOWN_QUOTE_HASH}),
    ) == [3, 4]
    assert _plan(*letters, stages=frozenset({DeadLetterStage.INGEST})).read == 4


def test_a_dead_letter_read_twice_is_planned_once() -> None:
    letter = _stage_letter()

    plan = _plan(letter, letter)

    assert (plan.read, plan.repeated, plan.selected) == (2, 1, 1)
    assert len([r for item in plan.items for r in replay_records(item)]) == 1


def test_an_ingest_frame_ingest_now_accepts_yields_the_raw_record_ingest_would_mint() -> None:
    frame, data = _quote_frame()
    letter = _ingest_letter(frame)

    (item,) = _plan(letter).items
    (record,) = replay_records(item)

    (expected,) = FrameIngest(FEED, max_frame_bytes=262_144, max_record_bytes=1_000_000)(
        ReceivedFrame(frame, None), NOW
    ).records
    assert (item.disposition, item.target) == (Disposition.REPLAY, RAW_NEAR_INTENTS_QUOTE.name)
    framed = TEST_FRAMING.frame(expected.topic, expected.value)  # as ingest writes it
    assert (record.topic, record.partition, record.value) == (expected.topic, None, framed)
    assert record.key == quote_event_id(data).encode() == expected.key.encode()
    assert record.headers == (*expected.headers, (REPLAY_HEADER, letter.event_id.encode()))
    assert TEST_FRAMING.decode(RAW_NEAR_INTENTS_QUOTE, record.value).source == FEED


def test_a_frame_too_large_for_the_old_limit_replays_once_the_limit_is_raised() -> None:
    frame, _ = _quote_frame()
    strict = FrameIngest(FEED, max_frame_bytes=len(frame) - 1, max_record_bytes=1_000_000)
    handled = strict(ReceivedFrame(frame, None), NOW)
    assert handled.dead_letter == DeadLetterReason.MESSAGE_TOO_LARGE.value
    letter = decode(DEAD_LETTER_TOPIC, handled.records[0].value)

    still = FrameReingest(max_frame_bytes=len(frame) - 1, max_record_bytes=1_000_000, now=NOW)
    before = plan_replay(
        [letter], frozenset(), selection=EVERYTHING, reingest=still, frame=TEST_FRAMING.frame
    ).items[0]
    after = _plan(letter).items[0]

    assert (before.disposition, before.why) == (Disposition.STILL_REJECTED, "message_too_large")
    assert "DORAN_RELAY_MAX_FRAME_BYTES" in before.detail
    assert after.disposition is Disposition.REPLAY


def test_a_frame_ingest_still_rejects_is_reported_with_its_reason_and_produces_nothing() -> None:
    (item,) = _plan(_ingest_letter(b"{not json", DeadLetterReason.NOT_JSON)).items

    assert (item.disposition, item.why, item.target) == (Disposition.STILL_REJECTED, "not_json", None)
    assert item.label == "still rejected: not_json"
    assert replay_records(item) == ()


def test_a_frame_ingest_now_reads_as_protocol_traffic_is_still_rejected() -> None:
    ack = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "s-1"}).encode()

    (item,) = _plan(_ingest_letter(ack)).items

    assert (item.disposition, item.why) == (Disposition.STILL_REJECTED, "protocol traffic")
    assert replay_records(item) == ()


def test_the_counts_of_a_mixed_plan_reconcile() -> None:
    frame, _ = _quote_frame()
    replayed = _stage_letter(1)
    letters = [
        _stage_letter(0),
        replayed,
        _stage_letter(2, value=b"y" * (ORIGINAL_KEPT_BYTES + 1)),
        _ingest_letter(frame),
        _ingest_letter(b"nope", DeadLetterReason.NOT_JSON),
    ]

    plan = _plan(*letters, replayed=frozenset({replayed.event_id}))

    counts = {disposition: plan.count(disposition) for disposition in Disposition}
    assert counts == {
        Disposition.REPLAY: 2,
        Disposition.ALREADY_REPLAYED: 1,
        Disposition.NOT_REPLAYABLE: 1,
        Disposition.STILL_REJECTED: 1,
    }
    assert plan.selected == sum(counts.values()) == 5
    assert render_counts(plan, written=None) == (
        "dry run, nothing written: selected 5 = to replay 2 + already replayed 1 + not replayable 1"
        " + still rejected 1"
    )
    assert render_counts(plan, written=2).startswith("selected 5 = replayed 2 + already replayed 1")


def test_earlier_replays_are_searched_after_the_originals_and_on_every_partition_for_ingest() -> None:
    frame, _ = _quote_frame()
    plan = _plan(
        _stage_letter(9, partition=1),
        _stage_letter(4, partition=1),
        _stage_letter(6, partition=0, topic="cmd.execute_trade", stage=DeadLetterStage.EXECUTE),
        _stage_letter(2, partition=0, value=b"z" * (ORIGINAL_KEPT_BYTES + 1)),  # truncated: not searched
        _ingest_letter(frame),
    )

    assert replay_search_starts(plan) == {
        ("norm.swap_demand", 1): 5,
        ("cmd.execute_trade", 0): 7,
        (RAW_NEAR_INTENTS_QUOTE.name, None): 0,
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("ce_id", b"x"), (REPLAY_HEADER, b"dlq-1")], "dlq-1"),
        ([("ce_id", b"x")], None),
        ([(REPLAY_HEADER, None)], None),
        (None, None),
    ],
)
def test_a_replayed_record_is_recognised_by_its_header(
    headers: list[tuple[str, bytes | None]] | None, expected: str | None
) -> None:
    assert replay_of(headers) == expected


def test_the_rendered_plan_groups_by_stage_reason_target_and_decision_and_can_list_each() -> None:
    letters = [_stage_letter(0), _stage_letter(1), _ingest_letter(b"nope", DeadLetterReason.NOT_JSON)]
    plan = _plan(*letters, letters[0], replayed=frozenset({letters[1].event_id}))

    grouped = render_plan(plan, broker="b:9092", unreadable=2, selection=EVERYTHING)
    listed = render_plan(plan, broker="b:9092", unreadable=2, selection=EVERYTHING, each=True)

    assert grouped[0] == (
        "dlq.doran at b:9092: 4 dead letter(s) read, 1 repeated id(s) counted once, "
        "2 unreadable record(s) skipped; 3 selected (stage any; reason any)"
    )
    rows = [line.split() for line in grouped[2:]]
    assert rows == [
        ["decide", "not_json", "norm.swap_demand", "already", "replayed", "1"],
        ["decide", "not_json", "norm.swap_demand", "will", "replay", "1"],
        ["ingest", "not_json", "-", "still", "rejected:", "not_json", "1"],
    ]
    assert listed[: len(grouped)] == grouped
    assert [line.split()[0] for line in listed[len(grouped) + 1 :]] == [letter.event_id for letter in letters]
