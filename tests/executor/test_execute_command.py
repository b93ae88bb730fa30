"""execute_command: new -> venue once; done -> duplicate; processing -> recovered, never executed again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doran.contracts import (
    EXEC_TRADE_RESULT,
    ExecuteTrade,
    ExecuteTradeEvent,
    ResultCode,
    TradeStatus,
)
from doran.executor import (
    CommandRecord,
    CommandState,
    OutcomeKind,
    SimulatedAdapter,
    VenueFill,
    VenueLookupError,
    VenueUnreachableError,
    execute_command,
    trade_result_event,
)
from doran.wire import decode, derive_event_id, encode

NOW = datetime(2026, 3, 28, 20, 0, 5, tzinfo=UTC)
CommandFactory = Callable[..., ExecuteTradeEvent]


def record(command: ExecuteTradeEvent, state: CommandState) -> CommandRecord:
    result = None
    if state is CommandState.DONE:
        done = trade_result_event(command, TradeStatus.FILLED, ResultCode.FILLED, "earlier", now=NOW)
        result = done.model_dump(mode="json")
    return CommandRecord(
        command.payload.command_id,
        state,
        command.model_dump(mode="json"),
        result,
        "2026-03-28T20:00:00Z",
        None,
    )


def first_quote(venue: SimulatedAdapter, make_command: CommandFactory, code: str) -> ExecuteTradeEvent:
    """The first command q-N the simulated venue answers with `code` (fills are deterministic)."""
    for n in range(1000):
        command = make_command(f"q-{n}")
        if venue.decide_fill(command.payload).result_code == code:
            return command
    raise AssertionError(f"no command gets {code}")


class UnreachableVenue:
    """Stand-in for a venue that refused the connection (no real venue exists here)."""

    def execute(self, command: ExecuteTrade) -> VenueFill:
        raise VenueUnreachableError("connection refused by solver relay")

    def lookup(self, command_id: str) -> VenueFill | None:
        return None

    def flush(self) -> None:
        pass


class AmnesicVenue:
    """Stand-in for a venue that cannot answer whether it executed a command (no real venue exists here)."""

    def execute(self, command: ExecuteTrade) -> VenueFill:
        raise AssertionError("a recovered command must not be executed")

    def lookup(self, command_id: str) -> VenueFill | None:
        raise VenueLookupError("status endpoint timed out")

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    ("code", "status"),
    [("FILLED", TradeStatus.FILLED), ("VENUE_REJECTED", TradeStatus.REJECTED)],
)
def test_a_new_command_is_executed_once(
    venue: SimulatedAdapter, make_command: CommandFactory, code: str, status: TradeStatus
) -> None:
    command = first_quote(venue, make_command, code)
    outcome = execute_command(command, {}, venue, now=NOW)
    assert outcome.kind is OutcomeKind.NEW
    assert outcome.result is not None
    assert (outcome.result.payload.status, outcome.result.payload.result_code) == (status, ResultCode(code))
    assert venue.execution_counts() == {command.payload.command_id: 1}


def test_result_envelope_is_deterministic_and_on_contract(
    venue_log: Path, make_command: CommandFactory
) -> None:
    command = make_command("q-1")
    results = []
    for name in ("a.jsonl", "b.jsonl"):
        venue = SimulatedAdapter(venue_log.with_name(name))
        outcome = execute_command(command, {}, venue, now=NOW)
        venue.close()
        assert outcome.result is not None
        results.append(outcome.result)
    assert results[0] == results[1]
    result = results[0]
    assert result.event_id == derive_event_id("trade_result", command.event_id)
    payload = result.payload
    assert (payload.command_id, payload.idempotency_key, payload.quote_id) == (
        "cmd-q-1",
        "near_intents:q-1",
        "q-1",
    )
    assert payload.execution_key == command.payload.execution_key
    assert (result.source, result.raw, result.observed_at) == (
        "doran.execute",
        command.raw,
        command.observed_at,
    )
    assert decode(EXEC_TRADE_RESULT, encode(result)) == result


def test_a_completed_command_is_a_duplicate_without_a_venue_call(
    venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    command = make_command("q-1")
    done = record(command, CommandState.DONE)
    outcome = execute_command(command, {"cmd-q-1": done}, venue, now=NOW)
    assert outcome.kind is OutcomeKind.DUPLICATE
    assert outcome.result is None
    assert outcome.stored_result == done.result_event()
    assert outcome.redelivery is True
    assert venue.execution_counts() == {}


def test_a_new_event_with_a_completed_command_id_is_no_redelivery(
    venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    done = record(make_command("q-1"), CommandState.DONE)
    outcome = execute_command(make_command("q-1", event_id="evt-resent"), {"cmd-q-1": done}, venue, now=NOW)
    assert (outcome.kind, outcome.redelivery) == (OutcomeKind.DUPLICATE, False)


def test_processing_and_not_at_the_venue_recovers_as_not_executed(
    venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    command = make_command("q-1")
    outcome = execute_command(command, {"cmd-q-1": record(command, CommandState.PROCESSING)}, venue, now=NOW)
    assert outcome.kind is OutcomeKind.RECOVERED
    assert outcome.result is not None
    assert outcome.result.payload.status is TradeStatus.RECOVERED
    assert outcome.result.payload.result_code is ResultCode.RECOVERED_NOT_EXECUTED
    assert venue.execution_counts() == {}


@pytest.mark.parametrize(
    ("code", "recovered_code"),
    [("FILLED", ResultCode.RECOVERED_FILLED), ("VENUE_REJECTED", ResultCode.RECOVERED_NOT_EXECUTED)],
)
def test_processing_and_executed_at_the_venue_recovers_what_the_venue_did(
    venue: SimulatedAdapter, make_command: CommandFactory, code: str, recovered_code: ResultCode
) -> None:
    command = first_quote(venue, make_command, code)
    venue.execute(command.payload)  # the run that died had reached the venue
    view = {command.payload.command_id: record(command, CommandState.PROCESSING)}
    outcome = execute_command(command, view, venue, now=NOW)
    assert outcome.result is not None
    assert outcome.result.payload.result_code is recovered_code
    assert code in outcome.result.payload.note or code == "FILLED"
    assert venue.execution_counts() == {command.payload.command_id: 1}


def test_recovered_result_takes_the_id_of_the_begun_command(
    venue: SimulatedAdapter, make_command: CommandFactory
) -> None:
    begun = make_command("q-1", event_id="evt-first")
    view = {"cmd-q-1": record(begun, CommandState.PROCESSING)}
    outcome = execute_command(make_command("q-1", event_id="evt-resent"), view, venue, now=NOW)
    assert outcome.result is not None
    assert outcome.result.event_id == derive_event_id("trade_result", "evt-first")


def test_a_venue_that_cannot_tell_recovers_as_unknown(make_command: CommandFactory) -> None:
    command = make_command("q-1")
    view = {"cmd-q-1": record(command, CommandState.PROCESSING)}
    outcome = execute_command(command, view, AmnesicVenue(), now=NOW)
    assert outcome.result is not None
    assert outcome.result.payload.result_code is ResultCode.RECOVERED_UNKNOWN
    assert "timed out" in outcome.result.payload.note


def test_an_unreachable_venue_fails_the_command(make_command: CommandFactory) -> None:
    outcome = execute_command(make_command("q-1"), {}, UnreachableVenue(), now=NOW)
    assert outcome.kind is OutcomeKind.NEW
    assert outcome.result is not None
    assert (outcome.result.payload.status, outcome.result.payload.result_code) == (
        TradeStatus.FAILED,
        ResultCode.ADAPTER_ERROR,
    )
    assert "connection refused" in outcome.result.payload.note
