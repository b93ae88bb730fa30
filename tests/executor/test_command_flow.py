"""CommandFlow, the executor's core, without Kafka: one verdict per consumed record, a quote signed only
inside its window and sent only after its processing record, never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.commands import command
from support.framing import SCHEMA_IDS, TEST_FRAMING
from support.venues import ACCEPTED, ScriptedVenue, quote_hash_of

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_TRADE_RESULT,
    DeadLetterReason,
    ExecuteTrade,
    QuoteSignedEvent,
    ResultCode,
    TradeResultEvent,
    TradeStatus,
)
from doran.executor import DONE, CommandFlow, CommandRecord, CommandState, Ticket, VenueOutcome
from doran.verdicts import Publish, Refuse, Skip
from doran.wire import VALUE_SCHEMA_ID_HEADER, derive_event_id, encode, schema_prefix, utc_timestamp

NOW = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
MARGIN = timedelta(milliseconds=100)


class Store:
    """The records a stage would look up, as a dict (partition, command_id) -> record."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, str], CommandRecord] = {}
        self.lookups = 0

    def __call__(self, partition: int, command_id: str, born_at: datetime | None) -> CommandRecord | None:
        self.lookups += 1
        return self.records.get((partition, command_id))


def value(n: int, **options: object) -> bytes:
    return encode(command(n, **options))  # type: ignore[arg-type]


def events(verdict: object) -> tuple[TradeResultEvent | QuoteSignedEvent, ...]:
    """A Publish verdict's events as their models (the flow builds them as JSON objects)."""
    assert isinstance(verdict, Publish)
    models = {"trade_result": TradeResultEvent, "quote_signed": QuoteSignedEvent}
    return tuple(models[e["event_type"]].model_validate(e) for e in verdict.events)  # type: ignore[index]


def results(verdict: object) -> tuple[TradeResultEvent, ...]:
    return tuple(e for e in events(verdict) if isinstance(e, TradeResultEvent))


def test_a_new_command_is_signed_begun_then_sent_and_ends_with_its_result_and_signed_quote() -> None:
    venue, store = ScriptedVenue(), Store()
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)

    batch = flow.admit([(0, value(1), None)], NOW)
    assert [(p, c, r.state) for p, c, r in batch.begun] == [(0, "cmd-q-00001", CommandState.PROCESSING)]
    assert batch.begun[0][2].quote_hash == quote_hash_of("q-00001")  # the hash made durable first
    assert not venue.sent  # nothing left before the processing record is committed

    flow.send(batch, NOW)
    flow.conclude(batch, NOW)

    (item,) = batch.items
    assert venue.sent == {"cmd-q-00001": 1}
    assert item.record == DONE
    result, signed = events(item.verdict)
    assert isinstance(result, TradeResultEvent) and isinstance(signed, QuoteSignedEvent)
    assert (result.payload.result_code, result.payload.quote_hash) == (
        ResultCode.QUOTE_ACCEPTED,
        quote_hash_of("q-00001"),
    )
    assert (signed.payload.quote_hash, signed.payload.quote_deadline) == (
        result.payload.quote_hash,
        result.payload.quote_deadline,
    )


def test_a_done_command_is_skipped_and_a_duplicate_in_flight_too() -> None:
    venue, store = ScriptedVenue(), Store()
    store.records[(0, "cmd-q-00001")] = DONE
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)

    first = flow.admit([(0, value(1), None), (0, value(2), None), (0, value(2), None)], NOW)
    second = flow.admit([(0, value(2), None)], NOW)  # batch 1 is still in flight

    assert [type(i.verdict) for i in first.items] == [Skip, type(None), Skip]
    assert isinstance(second.items[0].verdict, Skip)
    flow.send(first, NOW)
    flow.conclude(first, NOW)
    flow.release(first)
    third = flow.admit([(0, value(2), None)], NOW)  # released but not in the store: a stage applies first
    assert third.items[0].verdict is None
    assert venue.sent == {"cmd-q-00002": 1}


def test_a_command_found_processing_is_recovered_never_sent_and_keeps_the_begun_event_id() -> None:
    venue, store = ScriptedVenue(), Store()
    begun = CommandRecord.processing(
        "evt-begun", Ticket(quote_hash_of("q-00003"), "2026-03-28T20:01:00.000000Z")
    )
    store.records[(2, "cmd-q-00003")] = begun
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)

    batch = flow.admit([(2, value(3), None)], NOW)
    flow.send(batch, NOW)
    flow.conclude(batch, NOW)

    (item,) = batch.items
    (result,) = results(item.verdict)
    assert not venue.sent and venue.recovered == ["cmd-q-00003"]
    assert result.payload.result_code is ResultCode.RECOVERED_UNKNOWN
    assert result.payload.quote_hash == quote_hash_of("q-00003")
    # The id the interrupted run would have published: a copy of it that did get out dedupes.
    assert result.event_id == derive_event_id("trade_result", "evt-begun")
    assert isinstance(events(item.verdict)[1], QuoteSignedEvent)


def test_a_command_whose_auction_closes_within_the_margin_is_expired_unsigned() -> None:
    venue, store = ScriptedVenue(), Store()
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)
    closing = utc_timestamp(NOW + MARGIN / 2)
    impossible = "2026-02-31T00:00:00.000000Z"  # the contract's pattern admits it; no calendar does

    batch = flow.admit(
        [(0, value(4, answer_by=closing), None), (0, value(5, answer_by=impossible), None)], NOW
    )

    assert batch.begun == [] and not venue.sent
    for item in batch.items:
        (result,) = results(item.verdict)
        assert (result.payload.status, result.payload.result_code) == (
            TradeStatus.EXPIRED,
            ResultCode.QUOTE_EXPIRED,
        )
        assert result.payload.quote_hash is None
        assert item.record == DONE


def test_a_signed_command_whose_window_closed_before_sending_is_expired_and_not_sent() -> None:
    venue, store = ScriptedVenue(), Store()
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)
    closes = NOW + timedelta(seconds=1)

    batch = flow.admit([(0, value(6, answer_by=utc_timestamp(closes)), None)], NOW)
    assert len(batch.begun) == 1  # signed in time
    flow.send(batch, closes)  # but its processing record took until the auction closed
    flow.conclude(batch, closes)

    (result,) = results(batch.items[0].verdict)
    assert result.payload.result_code is ResultCode.QUOTE_EXPIRED
    assert result.payload.quote_hash == quote_hash_of("q-00006")  # signed, never sent
    assert not venue.sent


def test_a_record_that_is_not_a_command_is_refused_and_the_batch_goes_on() -> None:
    venue, store = ScriptedVenue(), Store()
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)

    batch = flow.admit([(0, b"{not json", None), (0, value(7), None)], NOW)
    flow.send(batch, NOW)
    flow.conclude(batch, NOW)

    refused, published = (item.verdict for item in batch.items)
    assert isinstance(refused, Refuse) and refused.reason is DeadLetterReason.NOT_JSON
    assert isinstance(published, Publish)


def test_commands_are_read_in_any_framing_and_one_naming_another_topics_schema_is_refused() -> None:
    flow = CommandFlow(ScriptedVenue(), Store(), TEST_FRAMING, answer_margin=MARGIN)
    own, other = (schema_prefix(SCHEMA_IDS[topic.name]) for topic in (CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT))
    header = [(VALUE_SCHEMA_ID_HEADER, schema_prefix(SCHEMA_IDS[CMD_EXECUTE_TRADE.name]))]

    batch = flow.admit(
        [(0, own + value(10), None), (0, value(11), header), (0, other + value(12), None)], NOW
    )
    flow.send(batch, NOW)
    flow.conclude(batch, NOW)

    prefixed, headed, foreign = (item.verdict for item in batch.items)
    assert isinstance(prefixed, Publish) and isinstance(headed, Publish)
    assert isinstance(foreign, Refuse) and foreign.reason is DeadLetterReason.SCHEMA_ID_OF_OTHER_SUBJECT


def test_outcomes_without_a_settlement_to_come_publish_no_signed_quote() -> None:
    def refuse(trade: ExecuteTrade) -> VenueOutcome:
        return VenueOutcome(TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, "no")

    flow = CommandFlow(ScriptedVenue(refuse), Store(), TEST_FRAMING, answer_margin=MARGIN)
    batch = flow.admit([(0, value(8), None)], NOW)
    flow.send(batch, NOW)
    flow.conclude(batch, NOW)
    assert isinstance(batch.items[0].verdict, Publish) and len(batch.items[0].verdict.events) == 1


def test_lookups_say_when_the_command_could_first_have_been_seen() -> None:
    seen: list[datetime | None] = []

    def lookup(partition: int, command_id: str, born_at: datetime | None) -> CommandRecord | None:
        seen.append(born_at)
        return None

    flow = CommandFlow(ScriptedVenue(lambda _: ACCEPTED), lookup, TEST_FRAMING, answer_margin=MARGIN)
    flow.admit([(0, value(9), None)], NOW)
    assert seen == [datetime(2026, 3, 28, 19, 59, 59, 800_000, tzinfo=UTC)]  # the command's ingested_at


def _answer(flow: CommandFlow, n: int, partition: int = 0) -> tuple[list[str], CommandRecord]:
    """Answer command n: the event ids it published, and its `processing` record."""
    batch = flow.admit([(partition, value(n), None)], NOW)
    ((_, _, begun),) = batch.begun
    flow.send(batch, NOW)
    flow.conclude(batch, NOW)
    (item,) = batch.items
    return [event.event_id for event in events(item.verdict)], begun


def test_a_command_answered_again_under_an_override_of_lost_history_publishes_under_new_ids() -> None:
    first, _ = _answer(CommandFlow(ScriptedVenue(), Store(), TEST_FRAMING, answer_margin=MARGIN), 1)
    overridden = {0: "overridden-at-7"}

    def again() -> CommandFlow:
        return CommandFlow(
            ScriptedVenue(), Store(), TEST_FRAMING, answer_margin=MARGIN, incarnation=overridden.get
        )

    second, begun = _answer(again(), 1)
    replayed, _ = _answer(again(), 1)

    assert len(first) == len(second) == 2  # its result and its signed quote
    assert not set(first) & set(second), "a consumer deduping by event_id would drop the second answer"
    assert second == replayed, "the same input under the same override gets the same ids"
    # A crash after signing: its recovery derives from the record, so it keeps the ids of its answer.
    store = Store()
    store.records[(0, "cmd-q-00001")] = begun
    recovered = CommandFlow(
        ScriptedVenue(), store, TEST_FRAMING, answer_margin=MARGIN, incarnation=overridden.get
    )
    (item,) = recovered.admit([(0, value(1), None)], NOW).items
    assert events(item.verdict)[0].event_id == second[0]
    # Another partition, not overridden, keeps the ids derived from the command's own.
    plain, _ = _answer(CommandFlow(ScriptedVenue(), Store(), TEST_FRAMING, answer_margin=MARGIN), 2)
    assert _answer(again(), 2, partition=1)[0] == plain != _answer(again(), 2, partition=0)[0]


def test_a_batch_the_venue_is_still_answering_counts_as_its_lag_before_any_answer_says_so() -> None:
    # A relay whose queue grows answers late; the first sign is a batch still unanswered.
    venue, store = ScriptedVenue(), Store()
    flow = CommandFlow(venue, store, TEST_FRAMING, answer_margin=MARGIN)
    first = flow.admit([(0, value(7), None)], NOW)
    flow.send(first, NOW)  # sent; its answers not concluded yet
    later = NOW + timedelta(milliseconds=800)
    closes = later + MARGIN + timedelta(milliseconds=500)  # open by the margin alone
    second = flow.admit([(0, value(8, answer_by=utc_timestamp(closes)), None)], later)

    assert second.begun == []  # 800 ms waiting on the venue: it would reach the relay too late
    (result,) = results(second.items[0].verdict)
    assert result.payload.result_code is ResultCode.QUOTE_EXPIRED

    flow.conclude(first, later)  # answered: what it took is the lag from now on (for 5 s)
    third = flow.admit([(0, value(9, answer_by=utc_timestamp(closes)), None)], later)
    assert len(third.begun) == 1  # the venue answered (at once, as scripted): open again
