"""The executor builds its events without validating them (`doran.executor.events`): these properties are
why that is safe. For any valid command, any outcome and any ticket, the record the stage produces is
byte for byte the record of the event `doran.wire.derive` validates, and the reference validator
accepts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_QUOTE_SIGNED,
    EXEC_TRADE_RESULT,
    ResultCode,
    TradeStatus,
    bundled_schema,
)
from doran.executor import SOURCE, Ticket, VenueOutcome, quote_signed_event, trade_result_event
from doran.stages.handling import event_records
from doran.wire import decode, derive, json_bytes, kafka_record, violations

NOW = datetime(2026, 3, 28, 20, 0, 0, 123_456, tzinfo=UTC)
HASH = st.from_regex(r"\A[1-9A-HJ-NP-Za-km-z]{32,44}\Z")
DEADLINE = st.just("2026-03-28T20:01:10.125000Z") | st.just("2026-03-28T20:01:10Z")


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    if draw(st.booleans()):
        return Ticket()
    return Ticket(draw(HASH), draw(DEADLINE))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    from_schema(bundled_schema(CMD_EXECUTE_TRADE.name)),
    st.sampled_from(list(TradeStatus)),
    st.sampled_from(list(ResultCode)),
    st.text(max_size=1_500),
    tickets(),
)
def test_results_and_signed_quotes_are_the_validated_events_bytes(
    instance: dict[str, Any], status: TradeStatus, code: ResultCode, note: str, ticket: Ticket
) -> None:
    command = decode(CMD_EXECUTE_TRADE, json_bytes(instance))
    outcome = VenueOutcome(status, code, note)

    (fast,) = event_records([trade_result_event(command, outcome, ticket, now=NOW)])

    payload: dict[str, object] = {
        "command_id": command.payload.command_id,
        "idempotency_key": command.payload.idempotency_key,
        "execution_key": command.payload.execution_key,
        "quote_id": command.payload.quote_id,
        "status": status,
        "result_code": code,
        "note": note[:1024],
        **({"quote_hash": ticket.quote_hash} if ticket.quote_hash else {}),
        **({"quote_deadline": ticket.quote_deadline} if ticket.quote_deadline else {}),
    }
    checked = kafka_record(
        EXEC_TRADE_RESULT, derive(EXEC_TRADE_RESULT, command, payload, source=SOURCE, now=NOW)
    )
    assert (fast.topic, fast.key, fast.value, fast.headers) == (
        checked.topic,
        checked.key,
        checked.value,
        checked.headers,
    )
    assert violations(fast.topic, orjson.loads(fast.value)) == []

    signed = quote_signed_event(command, ticket, now=NOW)
    if ticket.quote_hash is None:
        assert signed is None
        return
    assert signed is not None
    (fast_signed,) = event_records([signed])
    quote = {k: payload[k] for k in ("command_id", "idempotency_key", "execution_key", "quote_id")}
    quote |= {"quote_hash": ticket.quote_hash, "quote_deadline": ticket.quote_deadline}
    checked = kafka_record(
        EXEC_QUOTE_SIGNED, derive(EXEC_QUOTE_SIGNED, command, quote, source=SOURCE, now=NOW)
    )
    assert (fast_signed.key, fast_signed.value, fast_signed.headers) == (
        checked.key,
        checked.value,
        checked.headers,
    )
    assert violations(fast_signed.topic, orjson.loads(fast_signed.value)) == []
