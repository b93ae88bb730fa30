"""QuoteBook, the settlement core: every signed quote settles once, whichever of its two inputs comes
first, and late or unknown statuses are refused, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.framing import SCHEMA_IDS, TEST_FRAMING
from support.venues import quote_status

from doran.contracts import (
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterReason,
    QuoteSettlementEvent,
    QuoteSignedEvent,
    SettlementOutcome,
)
from doran.relay.intent_status import IntentState, IntentStatus
from doran.settlement import PENDING, SETTLED, WAITING, QuoteBook
from doran.settlement.reconciliation import ReconcileSchedule
from doran.state import Change, Row
from doran.verdicts import Keep, Publish, Refuse, Skip
from doran.wire import build, encode, schema_prefix, utc_timestamp

NOW = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
GRACE, WAIT = timedelta(seconds=120), timedelta(seconds=60)
HASH = "8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt"
OTHER = "BeHFFMdrGwSefrVUgVccuo2L2yaf2cftcwMn8if43qZa"


def signed(quote_hash: str = HASH, deadline: datetime = NOW + timedelta(seconds=70)) -> QuoteSignedEvent:
    payload = {
        "command_id": "cmd-q-1",
        "idempotency_key": "near_intents:q-1",
        "execution_key": "near_intents:nep141:a.near->nep141:b.near",
        "quote_id": "q-1",
        "quote_hash": quote_hash,
        "quote_deadline": utc_timestamp(deadline),
    }
    return build(
        EXEC_QUOTE_SIGNED,
        payload,
        event_id=f"quote_signed-{quote_hash[:8]}",
        source="doran.execute",
        observed_at="2026-03-28T19:59:59.500000Z",
        ingested_at=utc_timestamp(NOW),
        raw={},
    )


class Settled:
    """What the store says is settled, as a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def __call__(self, quote_hash: str, born_at: datetime | None) -> str | None:
        return self.rows.get(quote_hash)

    def apply(self, changes: tuple[Change, ...]) -> None:
        for change in changes:
            if change.table == SETTLED and change.row is not None:
                self.rows[change.key] = change.row.value


def receive_status(
    book: QuoteBook, quote_hash: str, now: datetime = NOW, offset: int = 1, prefix: bytes = b""
):  # type: ignore[no-untyped-def]
    status = quote_status(quote_hash)
    return book.receive(
        RAW_NEAR_INTENTS_QUOTE_STATUS.name, 0, offset, quote_hash.encode(), prefix + encode(status), now
    )


def receive_signed(book: QuoteBook, event: QuoteSignedEvent, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return book.receive(EXEC_QUOTE_SIGNED.name, 0, 7, event.payload.quote_hash.encode(), encode(event), now)


def settlement(decision: object) -> QuoteSettlementEvent:
    verdict = getattr(decision, "verdict", None)
    assert isinstance(verdict, Publish)
    (event,) = verdict.events
    assert isinstance(event, QuoteSettlementEvent)
    return event


def test_a_signed_quote_waits_and_its_status_fills_it_once() -> None:
    settled = Settled()
    book = QuoteBook(settled, TEST_FRAMING)

    opened = receive_signed(book, signed())
    assert isinstance(opened.verdict, Keep) and [c.table for c in opened.changes] == [PENDING]
    filled = receive_status(book, HASH)
    settled.apply(filled.changes)
    book.applied()
    again = receive_status(book, HASH, offset=2)

    event = settlement(filled)
    assert (event.payload.outcome, event.payload.tx_hash) == (
        SettlementOutcome.FILLED,
        quote_status(HASH).payload.message.tx_hash,
    )
    assert {(c.table, c.row is None) for c in filled.changes} == {(PENDING, True), (SETTLED, False)}
    assert isinstance(again.verdict, Skip) and book.pending == {}


def test_a_status_before_its_quote_waits_and_fills_it_when_the_quote_comes() -> None:
    book = QuoteBook(Settled(), TEST_FRAMING)

    early = receive_status(book, HASH)
    assert isinstance(early.verdict, Keep) and [c.table for c in early.changes] == [WAITING]
    filled = receive_signed(book, signed())

    assert settlement(filled).payload.outcome is SettlementOutcome.FILLED
    assert book.waiting == {} and book.pending == {}


def test_a_framed_status_kept_waiting_is_read_again_when_its_quote_comes() -> None:
    book = QuoteBook(Settled(), TEST_FRAMING)
    framed = schema_prefix(SCHEMA_IDS[RAW_NEAR_INTENTS_QUOTE_STATUS.name])

    early = receive_status(book, HASH, prefix=framed)
    assert book.waiting[HASH].value.startswith(framed)  # kept as received, for its dead letter
    filled = receive_signed(book, signed())

    assert isinstance(early.verdict, Keep) and settlement(filled).payload.outcome is SettlementOutcome.FILLED


def test_a_quote_expires_after_its_deadline_and_the_grace_and_a_later_status_is_refused() -> None:
    settled = Settled()
    book = QuoteBook(settled, TEST_FRAMING)
    deadline = NOW + timedelta(seconds=10)
    receive_signed(book, signed(deadline=deadline))

    assert book.due(deadline + GRACE - timedelta(milliseconds=1), grace=GRACE, wait=WAIT) == []
    (expired,) = book.due(deadline + GRACE, grace=GRACE, wait=WAIT)
    settled.apply(expired.changes)
    book.applied()
    late = receive_status(book, HASH, deadline + GRACE)

    assert settlement(expired).payload.outcome is SettlementOutcome.EXPIRED
    assert settlement(expired).event_id == settlement(receive_fill_elsewhere()).event_id  # one id per quote
    assert isinstance(late.verdict, Refuse) and late.verdict.reason is DeadLetterReason.SETTLED_AFTER_EXPIRY


def receive_fill_elsewhere() -> object:
    book = QuoteBook(Settled(), TEST_FRAMING)
    receive_signed(book, signed())
    return receive_status(book, HASH)


def test_a_status_no_quote_comes_for_is_refused_once_the_wait_is_over_with_where_it_was_read() -> None:
    book = QuoteBook(Settled(), TEST_FRAMING)
    receive_status(book, OTHER, NOW, offset=41)

    assert book.due(NOW + WAIT - timedelta(seconds=1), grace=GRACE, wait=WAIT) == []
    (refused,) = book.due(NOW + WAIT, grace=GRACE, wait=WAIT)
    assert (
        isinstance(refused.verdict, Refuse) and refused.verdict.reason is DeadLetterReason.UNKNOWN_QUOTE_HASH
    )
    assert refused.waiting is not None and (refused.waiting.topic, refused.waiting.offset) == (
        RAW_NEAR_INTENTS_QUOTE_STATUS.name,
        41,
    )
    assert refused.changes == (Change(WAITING, OTHER, None),)


def test_a_quote_signed_twice_is_skipped_even_once_settled() -> None:
    settled = Settled()
    book = QuoteBook(settled, TEST_FRAMING)
    receive_signed(book, signed())
    assert isinstance(receive_signed(book, signed()).verdict, Skip)
    settled.apply(receive_status(book, HASH).changes)
    book.applied()
    assert isinstance(receive_signed(book, signed()).verdict, Skip)


def test_a_book_loaded_from_its_store_expires_and_matches_as_before() -> None:
    at = utc_timestamp(NOW)
    pending = {
        "command_id": "cmd-q-1",
        "idempotency_key": "near_intents:q-1",
        "execution_key": "near_intents:nep141:a.near->nep141:b.near",
        "quote_id": "q-1",
        "quote_deadline": utc_timestamp(NOW),
    }
    book = QuoteBook.load(Settled(), TEST_FRAMING, [(HASH, Row(at, pending))], [])
    assert book.pending == {HASH: pending}
    assert len(book.due(NOW + GRACE, grace=GRACE, wait=WAIT)) == 1


def test_a_record_that_is_not_its_contract_is_refused() -> None:
    decision = QuoteBook(Settled(), TEST_FRAMING).receive(EXEC_QUOTE_SIGNED.name, 0, 1, None, b"[]", NOW)
    assert (
        isinstance(decision.verdict, Refuse) and decision.verdict.reason is DeadLetterReason.SCHEMA_VIOLATION
    )


# --- the clock waits for the backlog; reconciliation ---------------------------------------------------


def answer(quote_hash: str, state: IntentState, tx_hash: str | None = None) -> IntentStatus:
    data = {} if tx_hash is None else {"data": {"hash": tx_hash}}
    return IntentStatus(
        quote_hash, state, tx_hash, {"intent_hash": quote_hash, "status": state.value, **data}
    )


def test_a_quote_expires_only_once_its_status_partition_is_read_through_its_deadline_and_grace() -> None:
    book = QuoteBook(Settled(), TEST_FRAMING)
    deadline = NOW + timedelta(seconds=10)
    receive_signed(book, signed(deadline=deadline))
    due = deadline + GRACE
    later = due + timedelta(minutes=5)  # a restart: the wall clock is far past, the backlog unread

    assert book.next_expiry(GRACE) == due
    assert book.due(later, grace=GRACE, wait=WAIT, statuses_read=due - timedelta(milliseconds=1)) == []
    filled = receive_status(book, HASH, later)  # the backlog held its status

    assert settlement(filled).payload.outcome is SettlementOutcome.FILLED
    assert book.due(later, grace=GRACE, wait=WAIT, statuses_read=later) == []
    assert book.next_expiry(GRACE) is None


def test_a_waiting_status_is_refused_only_once_the_quote_partition_is_read_through_its_wait() -> None:
    book = QuoteBook(Settled(), TEST_FRAMING)
    receive_status(book, HASH, NOW)
    later = NOW + WAIT + timedelta(minutes=5)

    assert book.next_refusal(WAIT) == NOW + WAIT
    assert book.due(later, grace=GRACE, wait=WAIT, quotes_read=datetime.min.replace(tzinfo=UTC)) == []
    assert book.due(later, grace=GRACE, wait=WAIT, quotes_read=NOW + WAIT - timedelta(seconds=1)) == []
    filled = receive_signed(book, signed(), later)  # its quote was in the unread backlog

    assert settlement(filled).payload.outcome is SettlementOutcome.FILLED and book.next_refusal(WAIT) is None


def reconciling_book(retry: timedelta = timedelta(seconds=5)) -> tuple[QuoteBook, datetime]:
    book = QuoteBook(Settled(), TEST_FRAMING, ReconcileSchedule(retry))
    deadline = NOW + timedelta(seconds=10)
    receive_signed(book, signed(HASH, deadline))
    receive_signed(book, signed(OTHER, deadline))
    due = deadline + GRACE
    assert book.due(due, grace=GRACE, wait=WAIT) == []  # asked about, never expired unconfirmed
    return book, due


def test_reconciling_a_quote_settled_on_chain_fills_it_from_the_relays_answer() -> None:
    book, due = reconciling_book()
    assert sorted(book.asks(due, limit=10)) == sorted([HASH, OTHER]) and book.asks(due, limit=10) == []
    tx = "4tfgPJU7BJYKNqxdbTK7e7RAUSDptrv4U5pBMhEB2z6p"

    filled = settlement(book.reconciled(answer(HASH, IntentState.SETTLED, tx), due))
    expired = settlement(book.reconciled(answer(OTHER, IntentState.NOT_FOUND_OR_NOT_VALID), due))

    assert (filled.payload.outcome, filled.payload.tx_hash, filled.payload.intent_hash) == (
        SettlementOutcome.FILLED,
        tx,
        None,
    )
    assert filled.payload.note.startswith("reconciled:") and filled.raw["get_status"]["status"] == "SETTLED"
    assert (
        expired.payload.outcome is SettlementOutcome.EXPIRED
        and "NOT_FOUND_OR_NOT_VALID" in expired.payload.note
    )
    assert book.pending == {} and book.asks(due + timedelta(hours=1), limit=10) == []


def test_a_pending_answer_or_an_unreachable_relay_keeps_the_quote_unknown_and_asks_again_later() -> None:
    retry = timedelta(seconds=5)
    book, due = reconciling_book(retry)
    book.asks(due, limit=10)

    assert book.reconciled(answer(HASH, IntentState.PENDING), due) is None
    book.unreachable(OTHER, due)
    assert (book.unknown, set(book.pending)) == (1, {HASH, OTHER})
    assert book.asks(due + retry - timedelta(milliseconds=1), limit=10) == []
    assert sorted(book.asks(due + retry, limit=10)) == sorted([HASH, OTHER])
    book.unreachable(OTHER, due + retry)
    assert book.asks(due + 2 * retry, limit=10) == []  # twice as long after a second miss
    assert book.asks(due + 3 * retry, limit=10) == [OTHER]
    assert book.due(due + timedelta(days=1), grace=GRACE, wait=WAIT) == []  # never expired unasked


def test_a_status_that_comes_while_the_relay_is_asked_fills_the_quote_and_the_answer_is_ignored() -> None:
    book, due = reconciling_book()
    book.asks(due, limit=10)

    filled = receive_status(book, HASH, due)

    assert settlement(filled).payload.outcome is SettlementOutcome.FILLED
    assert book.reconciled(answer(HASH, IntentState.NOT_FOUND_OR_NOT_VALID), due) is None
    assert set(book.pending) == {OTHER}
