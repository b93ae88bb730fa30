"""The execute stage's batch core without a broker: decode, execute once, publish or skip, dead-letter."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from support.commands import command

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    EXEC_TRADE_RESULT,
    DeadLetterEvent,
    ExecuteTradeEvent,
    ResultCode,
    TradeResultEvent,
    TradeStatus,
)
from doran.executor import CommandState, ExecutorStore, SimulatedAdapter
from doran.stages.execute_loop import BatchOutput, execute_batch
from doran.stages.handling import Consumed
from doran.wire import KafkaRecord, decode, encode

NOW = datetime(2026, 3, 28, 20, 0, 8, tzinfo=UTC)


def run_batch_of(
    messages: list[Consumed], store: ExecutorStore, venue: SimulatedAdapter, *, now: datetime
) -> BatchOutput:
    return execute_batch(messages, store, venue, now=now, max_record_bytes=1_000_000)


def consumed(value: bytes, offset: int, partition: int = 1) -> Consumed:
    return Consumed(CMD_EXECUTE_TRADE.name, partition, offset, b"key", value)


def as_messages(events: list[ExecuteTradeEvent], first_offset: int = 0) -> list[Consumed]:
    return [consumed(encode(event), first_offset + i) for i, event in enumerate(events)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ExecutorStore]:
    opened = ExecutorStore.open(tmp_path / "state")
    yield opened
    opened.close()


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[SimulatedAdapter]:
    adapter = SimulatedAdapter(tmp_path / "venue" / "simulated-venue.jsonl")
    yield adapter
    adapter.close()


def results_of(records: Iterable[KafkaRecord]) -> list[TradeResultEvent]:
    found = []
    for record in records:
        assert record.topic == EXEC_TRADE_RESULT.name
        event = decode(EXEC_TRADE_RESULT, record.value)
        assert isinstance(event, TradeResultEvent)
        found.append(event)
    return found


def test_new_commands_get_one_result_each_in_input_order(
    store: ExecutorStore, venue: SimulatedAdapter
) -> None:
    commands = [command(n) for n in range(40)]

    output = run_batch_of(as_messages(commands), store, venue, now=NOW)

    assert (output.produced, output.skipped, output.dead_letters) == (40, 0, ())
    results = results_of(output.records)
    assert [r.payload.command_id for r in results] == [c.payload.command_id for c in commands]
    for record, result, sent in zip(output.records, results, commands, strict=True):
        fill = venue.decide_fill(sent.payload)
        expected = (
            (TradeStatus.FILLED, ResultCode.FILLED)
            if fill.filled
            else (TradeStatus.REJECTED, ResultCode.VENUE_REJECTED)
        )
        assert (result.payload.status, result.payload.result_code) == expected
        assert result.payload.note == fill.note
        assert record.key == sent.payload.execution_key
    assert venue.execution_counts() == {c.payload.command_id: 1 for c in commands}
    assert {r.state for r in store} == {CommandState.DONE}


def test_a_new_command_with_a_known_command_id_is_skipped_and_not_executed(
    store: ExecutorStore, venue: SimulatedAdapter
) -> None:
    run_batch_of(as_messages([command(1)]), store, venue, now=NOW)
    again = command(1, event_id="evt-resent-by-another-decide-run")

    output = run_batch_of(as_messages([again], first_offset=7), store, venue, now=NOW)

    assert (output.records, output.produced, output.skipped) == ((), 0, 1)
    assert venue.execution_counts() == {"cmd-q-00001": 1}


def test_a_redelivered_command_event_republishes_its_stored_result_byte_for_byte(
    store: ExecutorStore, venue: SimulatedAdapter
) -> None:
    # The first batch's transaction was aborted after `complete`: Kafka delivers the same records again.
    first = run_batch_of(as_messages([command(2), command(3)]), store, venue, now=NOW)

    again = run_batch_of(as_messages([command(2), command(3)]), store, venue, now=datetime.now(UTC))

    assert (again.produced, again.skipped) == (2, 0)
    assert [r.value for r in again.records] == [r.value for r in first.records]
    assert venue.execution_counts() == {"cmd-q-00002": 1, "cmd-q-00003": 1}


def test_the_same_command_twice_in_one_batch_is_executed_and_published_once(
    store: ExecutorStore, venue: SimulatedAdapter
) -> None:
    twice = [command(4), command(4), command(4, event_id="evt-other")]

    output = run_batch_of(as_messages(twice), store, venue, now=NOW)

    assert (output.produced, output.skipped) == (1, 2)
    assert [r.payload.command_id for r in results_of(output.records)] == ["cmd-q-00004"]
    assert venue.execution_counts() == {"cmd-q-00004": 1}


@pytest.mark.parametrize(
    ("n", "venue_executed", "code"),
    [
        (16, True, ResultCode.RECOVERED_FILLED),
        (37, True, ResultCode.RECOVERED_NOT_EXECUTED),  # the simulated venue rejects q-00037
        (5, False, ResultCode.RECOVERED_NOT_EXECUTED),
    ],
    ids=["venue-filled-it", "venue-rejected-it", "venue-never-saw-it"],
)
def test_a_command_left_processing_is_recovered_without_calling_the_venue(
    store: ExecutorStore, venue: SimulatedAdapter, n: int, venue_executed: bool, code: ResultCode
) -> None:
    begun = command(n)
    store.begin([begun], now=NOW)  # a previous run died between begin and complete
    if venue_executed:
        venue.execute(begun.payload)
    before = venue.execution_counts()

    output = run_batch_of(as_messages([begun]), store, venue, now=NOW)

    (result,) = results_of(output.records)
    assert (result.payload.status, result.payload.result_code) == (TradeStatus.RECOVERED, code)
    assert (output.produced, output.skipped) == (1, 0)
    assert venue.execution_counts() == before


@pytest.mark.parametrize(
    ("value", "reason", "pointer"),
    [
        (b"{not json", "not_json", ""),
        (
            orjson.dumps({**command(6).model_dump(mode="json"), "event_type": "trade_result"}),
            "wrong_event_type",
            "/event_type",
        ),
        (
            orjson.dumps(
                {
                    **command(7).model_dump(mode="json"),
                    "payload": {**command(7).payload.model_dump(), "amount_in": "1.5"},
                }
            ),
            "schema_violation",
            "/payload/amount_in",
        ),
    ],
    ids=["not-json", "wrong-event-type", "schema-violation"],
)
def test_a_malformed_command_becomes_a_dead_letter_and_the_rest_of_the_batch_runs(
    store: ExecutorStore, venue: SimulatedAdapter, value: bytes, reason: str, pointer: str
) -> None:
    messages = [consumed(encode(command(8)), 40), consumed(value, 41), consumed(encode(command(9)), 42)]

    output = run_batch_of(messages, store, venue, now=NOW)

    assert (output.produced, output.skipped, output.dead_letters) == (2, 0, (reason,))
    dead = [r for r in output.records if r.topic == DEAD_LETTER_TOPIC.name]
    (letter,) = [decode(DEAD_LETTER_TOPIC, r.value) for r in dead]
    assert isinstance(letter, DeadLetterEvent)
    payload = letter.payload
    assert (payload.stage.value, payload.reason.value) == ("execute", reason)
    where = (payload.source_topic, payload.source_partition, payload.source_offset)
    assert where == (CMD_EXECUTE_TRADE.name, 1, 41)
    assert base64.b64decode(payload.original_value_b64) == value
    assert payload.original_key_b64 == base64.b64encode(b"key").decode()
    assert pointer in [v.pointer for v in payload.violations]
    assert venue.execution_counts() == {"cmd-q-00008": 1, "cmd-q-00009": 1}
