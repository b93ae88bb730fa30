"""rebuild_history: the history rebuilt from what the executor published behaves as the original did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.commands import command
from support.venues import ACCEPTED, ScriptedVenue, quote_hash_of, quote_status

from doran.contracts import QuoteSettlementEvent, ResultCode, TradeResultEvent, TradeStatus
from doran.executor import (
    CommandState,
    ExecutorStore,
    OutcomeKind,
    QuoteState,
    SettlementKind,
    VenueOutcome,
    rebuild_history,
    run_batch,
)

NOW = datetime(2026, 3, 28, 20, 0, 6, tzinfo=UTC)
GRACE = timedelta(seconds=30)
REFUSED = VenueOutcome(TradeStatus.REJECTED, ResultCode.AUCTION_CLOSED, "too late")


def answer(trade: object) -> VenueOutcome:
    return REFUSED if getattr(trade, "quote_id", "").endswith("3") else ACCEPTED


def publish_a_history(state_dir: Path) -> tuple[list[TradeResultEvent], list[QuoteSettlementEvent]]:
    """Commands q-00000..q-00005 (q-00003 refused); q-00001 fills, q-00002 expires, the rest pend."""
    results: list[TradeResultEvent] = []
    settlements: list[QuoteSettlementEvent] = []
    with ExecutorStore.open(state_dir) as store:
        venue = ScriptedVenue(answer)
        short = command(2, ttl_ms=1_000)
        ran = run_batch(
            [command(0), command(1), short, *(command(n) for n in (3, 4, 5))], store, venue, now=NOW
        )
        results += [o.result for o in ran.commands if o.result is not None]
        filled = run_batch(
            [], store, venue, now=NOW, statuses=[quote_status(quote_hash_of("q-00001"))], grace=GRACE
        )
        settlements += [s.event for s in filled.settlements if s.event is not None]
        expired = run_batch([], store, venue, now=NOW + GRACE + timedelta(seconds=15), grace=GRACE)
        settlements += [event for _, event in expired.expired]
    return results, settlements


def test_the_rebuilt_history_holds_every_result_and_each_quotes_fate(tmp_path: Path) -> None:
    results, settlements = publish_a_history(tmp_path / "original")

    history = rebuild_history([*results, results[0]], settlements)

    assert sorted(history.commands) == [f"cmd-q-0000{n}" for n in range(6)]
    assert {r.state for r in history.commands.values()} == {CommandState.DONE}
    assert history.repeated_results == 1
    states = {quote.command["quote_id"]: quote.state for quote in history.quotes.values()}
    assert states == {
        "q-00000": QuoteState.PENDING,
        "q-00001": QuoteState.FILLED,
        "q-00002": QuoteState.EXPIRED,
        "q-00004": QuoteState.PENDING,
        "q-00005": QuoteState.PENDING,
    }  # q-00003 was refused: nothing of it can settle
    assert all(q.published for q in history.quotes.values() if q.state is not QuoteState.PENDING)


def test_after_a_restore_commands_are_duplicates_and_statuses_settle_as_before(tmp_path: Path) -> None:
    results, settlements = publish_a_history(tmp_path / "original")
    history = rebuild_history(results, settlements)
    venue = ScriptedVenue(answer)
    with ExecutorStore.open(tmp_path / "rebuilt") as store:
        store.restore(list(history.commands.values()), list(history.quotes.values()))

        again = run_batch([command(n) for n in range(6)], store, venue, now=NOW + timedelta(minutes=1))
        statuses = [quote_status(quote_hash_of(q), f"nears-{q}") for q in ("q-00001", "q-00002", "q-00004")]
        settled = run_batch([], store, venue, now=NOW + timedelta(minutes=1), statuses=statuses)

    assert {o.kind for o in again.commands} == {OutcomeKind.DUPLICATE}
    assert all(o.redelivery for o in again.commands)  # same events: their stored results go out again
    assert [o.stored_result for o in again.commands] == sorted(results, key=lambda r: r.payload.command_id)
    assert venue.sent == {}
    assert [s.kind for s in settled.settlements] == [
        SettlementKind.DUPLICATE,  # already filled and published
        SettlementKind.AFTER_EXPIRY,  # declared expired before the rebuild
        SettlementKind.FILLED,  # still pending: the rebuilt history settles it
    ]
