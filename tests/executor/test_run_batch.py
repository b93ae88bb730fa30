"""run_batch: each command reaches the venue at most once, each signed quote settles once, all durable."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.commands import command
from support.venues import TX_HASH, ScriptedVenue, quote_hash_of, quote_status

from doran.contracts import ResultCode, TradeStatus
from doran.executor import CommandState, ExecutorStore, OutcomeKind, QuoteState, SettlementKind, run_batch
from doran.venues import SimulatedVenue

NOW = datetime(2026, 3, 28, 20, 0, 6, tzinfo=UTC)
GRACE = timedelta(seconds=30)


def test_a_mixed_batch_takes_every_path_once(store: ExecutorStore, venue: SimulatedVenue) -> None:
    run_batch([command("q-done")], store, venue, now=NOW)
    store.begin([(command("q-interrupted"), venue.prepare(command("q-interrupted").payload, NOW))], now=NOW)

    batch = [command("q-1"), command("q-2"), command("q-1"), command("q-done"), command("q-interrupted")]
    outcome = run_batch(batch, store, venue, now=NOW)

    kinds = [o.kind for o in outcome.commands]
    assert kinds == [
        OutcomeKind.NEW,
        OutcomeKind.NEW,
        OutcomeKind.DUPLICATE,
        OutcomeKind.DUPLICATE,
        OutcomeKind.RECOVERED,
    ]
    assert outcome.commands[2].stored_result == outcome.commands[0].result
    assert outcome.commands[3].redelivery, "the same command event came again"
    assert venue.execution_counts() == {"cmd-q-done": 1, "cmd-q-1": 1, "cmd-q-2": 1}


def test_results_are_durable_when_run_batch_returns(state_dir: Path, venue: SimulatedVenue) -> None:
    with ExecutorStore.open(state_dir) as store:
        outcome = run_batch([command("q-1"), command("q-2")], store, venue, now=NOW)
    with ExecutorStore.open(state_dir) as reopened:
        for executed in outcome.commands:
            stored = reopened.get(executed.command_id)
            assert stored is not None and stored.state is CommandState.DONE
            assert stored.result_event() == executed.result


def test_replays_across_restarts_execute_nothing_twice(state_dir: Path, venue_log: Path) -> None:
    commands = [command(f"q-{n}") for n in range(40)]
    published: Counter[str] = Counter()
    for restart in range(3):
        with ExecutorStore.open(state_dir) as store:
            venue = SimulatedVenue(venue_log)
            for start in range(0, 40, 7):  # every restart replays the whole topic, in overlapping batches
                for executed in run_batch(commands[start : start + 10], store, venue, now=NOW).commands:
                    if executed.result is not None:
                        published[executed.command_id] += 1
                    elif restart > 0:
                        assert executed.redelivery
            venue.close()
    assert published == Counter({f"cmd-q-{n}": 1 for n in range(40)})
    assert SimulatedVenue(venue_log).execution_counts() == Counter({f"cmd-q-{n}": 1 for n in range(40)})


def test_a_venue_failing_mid_submit_leaves_the_batch_processing_and_never_resends_it(state_dir: Path) -> None:
    venue = ScriptedVenue()
    venue.fail_next_submit = ConnectionResetError("relay connection dropped mid-send")
    commands = [command(f"q-{n}") for n in range(3)]
    with ExecutorStore.open(state_dir) as store:
        with pytest.raises(ConnectionResetError):
            run_batch(commands, store, venue, now=NOW)
        assert all(store.get(c.payload.command_id).state is CommandState.PROCESSING for c in commands)  # type: ignore[union-attr]
    with ExecutorStore.open(state_dir) as store:
        outcome = run_batch(commands, store, venue, now=NOW)
    assert [o.kind for o in outcome.commands] == [OutcomeKind.RECOVERED] * 3
    assert venue.sent == Counter(), "a command that may have left is never sent again"
    assert [o.result.payload.result_code for o in outcome.commands if o.result] == [
        ResultCode.RECOVERED_UNKNOWN
    ] * 3
    assert {o.quote.quote_hash for o in outcome.commands if o.quote} == {
        quote_hash_of(f"q-{n}") for n in range(3)
    }


def test_an_accepted_quote_awaits_its_settlement_and_a_status_fills_it_once(store: ExecutorStore) -> None:
    venue = ScriptedVenue()
    first = run_batch([command("q-1")], store, venue, now=NOW)
    (executed,) = first.commands
    assert executed.result is not None and executed.result.payload.status is TradeStatus.QUOTED
    assert executed.result.payload.quote_hash == quote_hash_of("q-1")
    assert [q.quote_hash for q in store.pending()] == [quote_hash_of("q-1")]

    settled = run_batch([], store, venue, now=NOW, statuses=[quote_status(quote_hash_of("q-1"))], grace=GRACE)
    (filled,) = settled.settlements
    assert filled.kind is SettlementKind.FILLED and filled.event is not None
    assert (filled.event.payload.outcome, filled.event.payload.tx_hash) == (
        "filled",
        TX_HASH,
    )
    assert filled.event.payload.command_id == "cmd-q-1"
    assert store.pending() == []

    again = run_batch(
        [],
        store,
        venue,
        now=NOW,
        statuses=[quote_status(quote_hash_of("q-1")), quote_status(quote_hash_of("q-1"), "nears-2")],
        grace=GRACE,
    )
    assert [s.kind for s in again.settlements] == [SettlementKind.REDELIVERED, SettlementKind.DUPLICATE]
    assert again.settlements[0].event == filled.event, "the same status again republishes the same settlement"


def test_a_quote_nobody_takes_expires_after_its_deadline_and_the_grace(store: ExecutorStore) -> None:
    venue = ScriptedVenue()
    run_batch([command("q-1", ttl_ms=1_000)], store, venue, now=NOW)
    assert run_batch([], store, venue, now=NOW + timedelta(seconds=30), grace=GRACE).expired == ()
    (expired,) = run_batch([], store, venue, now=NOW + timedelta(seconds=32), grace=GRACE).expired
    quote, event = expired
    assert (quote.state, event.payload.outcome, event.payload.quote_hash) == (
        QuoteState.EXPIRED,
        "expired",
        quote_hash_of("q-1"),
    )
    assert store.pending() == [] and store.unpublished() == [quote]
    late = run_batch(
        [],
        store,
        venue,
        now=NOW + timedelta(seconds=33),
        statuses=[quote_status(quote_hash_of("q-1"))],
        grace=GRACE,
    )
    assert [s.kind for s in late.settlements] == [SettlementKind.AFTER_EXPIRY]


def test_one_settlement_id_per_quote_whichever_way_it_settles(state_dir: Path) -> None:
    with ExecutorStore.open(state_dir) as store:
        run_batch([command("q-1", ttl_ms=0)], store, ScriptedVenue(), now=NOW)
        filled = (
            run_batch([], store, ScriptedVenue(), now=NOW, statuses=[quote_status(quote_hash_of("q-1"))])
            .settlements[0]
            .event
        )
    with ExecutorStore.open(state_dir.with_name("other")) as store:
        run_batch([command("q-1", ttl_ms=0)], store, ScriptedVenue(), now=NOW)
        ((_, expired),) = run_batch([], store, ScriptedVenue(), now=NOW + GRACE, grace=GRACE).expired
    assert filled is not None and filled.event_id == expired.event_id


def test_a_status_for_no_quote_of_ours_is_refused(store: ExecutorStore) -> None:
    outcome = run_batch(
        [], store, ScriptedVenue(), now=NOW, statuses=[quote_status(quote_hash_of("nobody"))], grace=GRACE
    )
    assert [s.kind for s in outcome.settlements] == [SettlementKind.UNKNOWN]


def test_refused_and_unsent_quotes_await_nothing(store: ExecutorStore) -> None:
    from doran.executor import VenueOutcome

    refused = VenueOutcome(TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, "no")
    outcome = run_batch([command("q-1")], store, ScriptedVenue(lambda _: refused), now=NOW)
    assert outcome.commands[0].quote is None and store.pending() == []
