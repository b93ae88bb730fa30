"""run_batch: each command_id reaches the venue at most once across batches, restarts and replays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doran.contracts import ExecuteTrade, ExecuteTradeEvent
from doran.executor import (
    CommandState,
    ExecutorStore,
    OutcomeKind,
    SimulatedAdapter,
    VenueFill,
    count_outcomes,
    run_batch,
)

NOW = datetime(2026, 3, 28, 20, 0, 6, tzinfo=UTC)
CommandFactory = Callable[..., ExecuteTradeEvent]


class CrashingVenue:
    """Stand-in for a venue client that dies on its nth call (no real venue exists here)."""

    def __init__(self, inner: SimulatedAdapter, crash_on_call: int) -> None:
        self.inner = inner
        self.calls = 0
        self.crash_on_call = crash_on_call

    def execute(self, command: ExecuteTrade) -> VenueFill:
        self.calls += 1
        if self.calls == self.crash_on_call:
            raise ConnectionResetError("venue connection dropped mid-request")
        return self.inner.execute(command)

    def lookup(self, command_id: str) -> VenueFill | None:
        return self.inner.lookup(command_id)

    def flush(self) -> None:
        self.inner.flush()


def test_a_mixed_batch_takes_every_path_once(
    store: ExecutorStore, venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    run_batch([make_command("q-done")], store, venue, now=NOW)
    store.begin([make_command("q-interrupted")], now=NOW)  # a run that died before the venue call

    batch = [
        make_command("q-1"),
        make_command("q-2"),
        make_command("q-1"),
        make_command("q-done"),
        make_command("q-interrupted"),
    ]
    outcomes = run_batch(batch, store, venue, now=NOW)

    assert [o.kind for o in outcomes] == [
        OutcomeKind.NEW,
        OutcomeKind.NEW,
        OutcomeKind.DUPLICATE,
        OutcomeKind.DUPLICATE,
        OutcomeKind.RECOVERED,
    ]
    assert outcomes[2].stored_result == outcomes[0].result
    assert count_outcomes(outcomes) == {
        OutcomeKind.NEW: 2,
        OutcomeKind.DUPLICATE: 2,
        OutcomeKind.RECOVERED: 1,
    }
    assert venue.execution_counts() == {"cmd-q-done": 1, "cmd-q-1": 1, "cmd-q-2": 1}


def test_results_are_durable_when_run_batch_returns(
    state_dir: Path, venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    with ExecutorStore.open(state_dir) as store:
        outcomes = run_batch([make_command("q-1"), make_command("q-2")], store, venue, now=NOW)
    with ExecutorStore.open(state_dir) as reopened:
        for outcome in outcomes:
            stored = reopened.get(outcome.command_id)
            assert stored is not None
            assert stored.state is CommandState.DONE
            assert stored.result_event() == outcome.result


def test_replays_across_restarts_execute_nothing_twice(
    state_dir: Path, venue_log: Path, make_command: CommandFactory
) -> None:
    commands = [make_command(f"q-{n}") for n in range(40)]
    published: Counter[str] = Counter()
    for restart in range(3):
        with ExecutorStore.open(state_dir) as store:
            venue = SimulatedAdapter(venue_log)
            # Every restart replays the whole topic, in overlapping batches.
            for start in range(0, 40, 7):
                for outcome in run_batch(commands[start : start + 10], store, venue, now=NOW):
                    if outcome.result is not None:
                        published[outcome.command_id] += 1
                    elif restart > 0:
                        assert outcome.redelivery
            venue.close()
    assert published == Counter({f"cmd-q-{n}": 1 for n in range(40)})
    assert SimulatedAdapter(venue_log).execution_counts() == Counter({f"cmd-q-{n}": 1 for n in range(40)})


def test_a_venue_crash_mid_batch_keeps_the_done_forgets_the_unreached(
    state_dir: Path, venue_log: Path, make_command: CommandFactory
) -> None:
    commands = [make_command(f"q-{n}") for n in range(5)]
    with ExecutorStore.open(state_dir) as store:
        crashing = CrashingVenue(SimulatedAdapter(venue_log), crash_on_call=3)
        with pytest.raises(ConnectionResetError):
            run_batch(commands, store, crashing, now=NOW)
        states = {n: store.get(f"cmd-q-{n}") for n in range(5)}
    assert [r.state if r else None for r in states.values()] == [
        CommandState.DONE,
        CommandState.DONE,
        CommandState.PROCESSING,  # the venue may or may not have it: recovered on redelivery
        None,  # never reached the venue: new on redelivery
        None,
    ]
    with ExecutorStore.open(state_dir) as store:
        venue = SimulatedAdapter(venue_log)
        outcomes = run_batch(commands, store, venue, now=NOW)
    assert [o.kind for o in outcomes] == [
        OutcomeKind.DUPLICATE,
        OutcomeKind.DUPLICATE,
        OutcomeKind.RECOVERED,
        OutcomeKind.NEW,
        OutcomeKind.NEW,
    ]
    assert venue.execution_counts() == Counter({"cmd-q-0": 1, "cmd-q-1": 1, "cmd-q-3": 1, "cmd-q-4": 1})
