"""The execute stage's batch core without a broker: decode, execute once, publish or skip, dead-letter."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from support.commands import command
from support.framing import SCHEMA_IDS, TEST_FRAMING
from support.venues import ScriptedVenue, quote_hash_of, quote_status

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_TRADE_RESULT,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterEvent,
    ExecuteTradeEvent,
    QuoteSettlementEvent,
    ResultCode,
    SettlementOutcome,
    TradeResultEvent,
    TradeStatus,
)
from doran.executor import CommandState, ExecutorStore, Ticket, Venue
from doran.stages.execute_batch import BatchOutput, execute_batch
from doran.stages.handling import Consumed
from doran.venues import SimulatedVenue
from doran.wire import KafkaRecord, decode, encode, schema_prefix

NOW = datetime(2026, 3, 28, 20, 0, 8, tzinfo=UTC)


GRACE = timedelta(seconds=30)


def run_batch_of(
    messages: list[Consumed], store: ExecutorStore, venue: Venue, *, now: datetime
) -> BatchOutput:
    return execute_batch(
        messages, store, venue, now=now, grace=GRACE, max_record_bytes=1_000_000, framing=TEST_FRAMING
    )


def consumed(value: bytes, offset: int, partition: int = 1, topic: str = CMD_EXECUTE_TRADE.name) -> Consumed:
    return Consumed(topic, partition, offset, b"key", value)


def produced(output: BatchOutput) -> int:
    return sum(record.topic != DEAD_LETTER_TOPIC.name for record in output.records)


def as_messages(events: list[ExecuteTradeEvent], first_offset: int = 0) -> list[Consumed]:
    return [consumed(encode(event), first_offset + i) for i, event in enumerate(events)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ExecutorStore]:
    opened = ExecutorStore.open(tmp_path / "state")
    yield opened
    opened.close()


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[SimulatedVenue]:
    simulated = SimulatedVenue(tmp_path / "venue" / "simulated-venue.jsonl")
    yield simulated
    simulated.close()


def results_of(records: Iterable[KafkaRecord]) -> list[TradeResultEvent]:
    return [decode(EXEC_TRADE_RESULT, r.value) for r in records if r.topic == EXEC_TRADE_RESULT.name]


def settlements_of(records: Iterable[KafkaRecord]) -> list[QuoteSettlementEvent]:
    return [decode(EXEC_QUOTE_SETTLEMENT, r.value) for r in records if r.topic == EXEC_QUOTE_SETTLEMENT.name]


def test_commands_are_read_in_every_framing(store: ExecutorStore, venue: SimulatedVenue) -> None:
    own_id = schema_prefix(SCHEMA_IDS[CMD_EXECUTE_TRADE.name])
    messages = [
        consumed(encode(command(1)), 0),
        consumed(own_id + encode(command(2)), 1),
        Consumed(CMD_EXECUTE_TRADE.name, 1, 2, b"key", encode(command(3)), [("__value_schema_id", own_id)]),
    ]

    output = run_batch_of(messages, store, venue, now=NOW)

    assert (produced(output), output.dead_letters) == (3, [])
    assert venue.execution_counts() == {"cmd-q-00001": 1, "cmd-q-00002": 1, "cmd-q-00003": 1}


def test_new_commands_get_one_result_each_in_input_order(store: ExecutorStore, venue: SimulatedVenue) -> None:
    commands = [command(n) for n in range(40)]

    output = run_batch_of(as_messages(commands), store, venue, now=NOW)

    assert (produced(output), output.skipped, output.dead_letters) == (40, 0, [])
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
    store: ExecutorStore, venue: SimulatedVenue
) -> None:
    run_batch_of(as_messages([command(1)]), store, venue, now=NOW)
    again = command(1, event_id="evt-resent-by-another-decide-run")

    output = run_batch_of(as_messages([again], first_offset=7), store, venue, now=NOW)

    assert (output.records, output.skipped) == ([], 1)
    assert venue.execution_counts() == {"cmd-q-00001": 1}


def test_a_redelivered_command_event_republishes_its_stored_result_byte_for_byte(
    store: ExecutorStore, venue: SimulatedVenue
) -> None:
    # The first batch's transaction was aborted after `complete`: Kafka delivers the same records again.
    first = run_batch_of(as_messages([command(2), command(3)]), store, venue, now=NOW)

    again = run_batch_of(as_messages([command(2), command(3)]), store, venue, now=datetime.now(UTC))

    assert (produced(again), again.skipped) == (2, 0)
    assert [r.value for r in again.records] == [r.value for r in first.records]
    assert venue.execution_counts() == {"cmd-q-00002": 1, "cmd-q-00003": 1}


def test_the_same_command_twice_in_one_batch_is_executed_and_published_once(
    store: ExecutorStore, venue: SimulatedVenue
) -> None:
    twice = [command(4), command(4), command(4, event_id="evt-other")]

    output = run_batch_of(as_messages(twice), store, venue, now=NOW)

    assert (produced(output), output.skipped) == (1, 2)
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
    store: ExecutorStore, venue: SimulatedVenue, n: int, venue_executed: bool, code: ResultCode
) -> None:
    begun = command(n)
    store.begin([(begun, Ticket())], now=NOW)  # a previous run died between begin and commit
    if venue_executed:
        venue.execute(begun.payload)
    before = venue.execution_counts()

    output = run_batch_of(as_messages([begun]), store, venue, now=NOW)

    (result,) = results_of(output.records)
    assert (result.payload.status, result.payload.result_code) == (TradeStatus.RECOVERED, code)
    assert (produced(output), output.skipped) == (1, 0)
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
        (
            schema_prefix(SCHEMA_IDS[EXEC_TRADE_RESULT.name]) + encode(command(6)),
            "schema_id_of_other_subject",
            "",
        ),
    ],
    ids=["not-json", "wrong-event-type", "schema-violation", "schema-id-of-another-topic"],
)
def test_a_malformed_command_becomes_a_dead_letter_and_the_rest_of_the_batch_runs(
    store: ExecutorStore, venue: SimulatedVenue, value: bytes, reason: str, pointer: str
) -> None:
    messages = [consumed(encode(command(8)), 40), consumed(value, 41), consumed(encode(command(9)), 42)]

    output = run_batch_of(messages, store, venue, now=NOW)

    assert (produced(output), output.skipped, output.dead_letters) == (2, 0, [reason])
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


def test_a_quote_status_settles_its_accepted_quote_once_and_redelivery_republishes_it(
    store: ExecutorStore,
) -> None:
    venue = ScriptedVenue()
    (accepted,) = results_of(run_batch_of(as_messages([command(10)]), store, venue, now=NOW).records)
    assert accepted.payload.status is TradeStatus.QUOTED
    filled = consumed(
        encode(quote_status(quote_hash_of("q-00010"))), 3, topic=RAW_NEAR_INTENTS_QUOTE_STATUS.name
    )

    first = run_batch_of([filled], store, venue, now=NOW)
    again = run_batch_of([filled], store, venue, now=NOW)

    (settlement,) = settlements_of(first.records)
    assert settlement.payload.outcome is SettlementOutcome.FILLED
    assert settlement.payload.command_id == "cmd-q-00010"
    assert [r.value for r in again.records] == [r.value for r in first.records]
    other = consumed(
        encode(quote_status(quote_hash_of("q-00010"), "nears-2")), 4, topic=RAW_NEAR_INTENTS_QUOTE_STATUS.name
    )
    assert (run_batch_of([other], store, venue, now=NOW).records, venue.sent["cmd-q-00010"]) == ([], 1)


def test_a_quote_status_for_an_unknown_quote_is_a_dead_letter_naming_the_hash(store: ExecutorStore) -> None:
    stranger = quote_hash_of("signed-by-someone-else")
    message = consumed(encode(quote_status(stranger)), 9, topic=RAW_NEAR_INTENTS_QUOTE_STATUS.name)

    output = run_batch_of([message], store, ScriptedVenue(), now=NOW)

    assert output.dead_letters == ["unknown_quote_hash"]
    (letter,) = [decode(DEAD_LETTER_TOPIC, r.value) for r in output.records]
    assert isinstance(letter, DeadLetterEvent)
    (violation,) = letter.payload.violations
    assert violation.pointer == "/payload/message/quote_hash"
    assert stranger in violation.message


def test_an_idle_batch_settles_quotes_whose_deadline_and_grace_passed(store: ExecutorStore) -> None:
    venue = ScriptedVenue()
    run_batch_of(as_messages([command(11, ttl_ms=1_000)]), store, venue, now=NOW)

    early = run_batch_of([], store, venue, now=NOW + timedelta(seconds=2))
    late = run_batch_of([], store, venue, now=NOW + GRACE + timedelta(seconds=2))

    assert (early.records, early.expired) == ([], [])
    (settlement,) = settlements_of(late.records)
    assert settlement.payload.outcome is SettlementOutcome.EXPIRED
    assert late.expired == [quote_hash_of("q-00011")]
