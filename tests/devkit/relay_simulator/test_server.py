"""The simulator over a real websocket on 127.0.0.1, driven from test code through SimulatorThread:
auth, subscriptions, quote events, judged responses, settlements, drops."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from doran.devkit.relay_simulator import (
    ALREADY_SUBMITTED,
    INVALID_PARAMS,
    QUOTE_NOT_FOUND,
    REFUSED,
    RelaySimulator,
    SimulatorThread,
    status_data,
)
from doran.nep413 import SignedData, SigningKey
from doran.nep413.base58 import b58decode, b58encode
from doran.relay.intent_status import IntentState, IntentStatusClient

TOKEN = "s3cr3t-relay-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT_S = 30.0  # generous: a loaded 2-core machine must pass
MakeQuote = Callable[..., dict[str, Any]]
MakeResponse = Callable[..., dict[str, Any]]


@pytest.fixture
def relay(solver_key: SigningKey, salt: bytes) -> Iterator[SimulatorThread]:
    simulator = RelaySimulator(
        token=TOKEN,
        solver_keys={"solver.near": [solver_key.public_key]},
        valid_salts=[salt],
        settles=lambda _: True,
        settle_delay_s=0.05,
    )
    with SimulatorThread(simulator) as running:
        yield running


@contextmanager
def _client(relay: SimulatorThread, *kinds: str) -> Iterator[tuple[ClientConnection, dict[str, str]]]:
    """A connected client subscribed to `kinds` (ids 1, 2, ... as ingest numbers them), with its sub ids."""
    with connect(relay.url, additional_headers=AUTH, open_timeout=TIMEOUT_S) as socket:
        subscriptions = {}
        for request_id, kind in enumerate(kinds, start=1):
            socket.send(
                json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "subscribe", "params": [kind]})
            )
            ack = _recv(socket)
            assert ack["id"] == request_id, ack
            subscriptions[kind] = ack["result"]
        yield socket, subscriptions


def _recv(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=TIMEOUT_S))
    return message


def _ask(socket: ClientConnection, request: dict[str, Any]) -> dict[str, Any]:
    socket.send(json.dumps(request))
    return _recv(socket)


def test_a_handshake_without_the_token_is_refused_with_401(
    relay: SimulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        with pytest.raises(InvalidStatus) as refused:
            connect(relay.url, additional_headers=headers, open_timeout=TIMEOUT_S)
        assert refused.value.response.status_code == 401
    with connect(relay.url, additional_headers=AUTH, open_timeout=TIMEOUT_S):
        pass

    server_records = [
        record for record in caplog.records if record.name.startswith("doran.devkit.relay_simulator")
    ]
    assert any("Authorization" in record.getMessage() for record in server_records), "handshake was logged"
    assert all(TOKEN not in record.getMessage() for record in server_records)  # the test's client logs it


def test_subscriptions_are_acknowledged_with_ids_distinct_per_connection_and_kind(
    relay: SimulatorThread,
) -> None:
    with (
        _client(relay, "quote", "quote_status") as (first, ids_1),
        _client(relay, "quote", "quote_status") as (
            _,
            ids_2,
        ),
    ):
        ids = [*ids_1.values(), *ids_2.values()]
        assert len(set(ids)) == 4 and all(isinstance(i, str) and i for i in ids)
        again = _ask(first, {"jsonrpc": "2.0", "id": 3, "method": "subscribe", "params": ["quote"]})
        assert again == {"jsonrpc": "2.0", "id": 3, "result": ids_1["quote"]}
        wrong = _ask(first, {"jsonrpc": "2.0", "id": 4, "method": "subscribe", "params": ["trades"]})
        assert wrong["id"] == 4 and wrong["error"]["code"] == INVALID_PARAMS
        assert "quote, quote_status" in wrong["error"]["message"]
        unknown = _ask(first, {"jsonrpc": "2.0", "id": 5, "method": "get_status", "params": []})
        assert unknown["error"]["code"] == -32601
        garbage = _ask(first, {"jsonrpc": "2.0", "id": 6})
        assert garbage["error"]["code"] == -32600
        first.send("{not json")
        assert _recv(first)["error"]["code"] == -32700
    closed = relay.wait_for(lambda: all(not c.open for c in relay.connections()), TIMEOUT_S)
    assert closed and [dict(c.subscriptions) for c in relay.connections()] == [ids_1, ids_2]


def test_subscriptions_can_be_refused() -> None:
    with (
        SimulatorThread(RelaySimulator(refuse_subscription=True)) as relay,
        connect(relay.url, open_timeout=TIMEOUT_S) as socket,
    ):
        answer = _ask(socket, {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": ["quote"]})
    assert answer == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": REFUSED, "message": "subscription not allowed"},
    }


def test_a_quote_event_reaches_every_quote_subscriber(relay: SimulatorThread, make_quote: MakeQuote) -> None:
    quote = make_quote("q-1")
    with (
        _client(relay, "quote", "quote_status") as (ingest, ingest_ids),
        _client(relay, "quote") as (other, other_ids),
        _client(relay, "quote_status") as (statuses_only, _),
    ):
        event = relay.publish_quote(quote)
        for socket, ids in ((ingest, ingest_ids), (other, other_ids)):
            assert _recv(socket) == {
                "jsonrpc": "2.0",
                "method": "event",
                "params": {
                    "subscription": ids["quote"],
                    "data": quote,
                    "metadata": {"partner_id": "doran-sim"},
                },
            }
        relay.send_raw("not json at all")
        assert ingest.recv(timeout=TIMEOUT_S) == other.recv(timeout=TIMEOUT_S) == "not json at all"
        with pytest.raises(TimeoutError):
            statuses_only.recv(
                timeout=0.2
            )  # nothing for a status-only subscriber (not an assertion on timing)

    assert event.subscribers == 2 and event.quote_id == "q-1"
    assert event.closes_at == pytest.approx(event.sent.monotonic + 3.0)
    assert relay.summary().quotes_published == 1 and relay.summary().raw_frames_sent == 1


def test_an_accepted_response_gets_ok_and_its_settlement_reaches_the_status_subscriber(
    relay: SimulatorThread, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    quote = make_quote("q-1", max_wait_ms=300)
    with (
        _client(relay, "quote", "quote_status") as (ingest, ids),
        connect(relay.url, additional_headers=AUTH) as executor,
    ):
        relay.publish_quote(quote)
        assert _recv(ingest)["params"]["data"] == quote
        request = make_response(quote, 1992, request_id=41)
        assert _ask(executor, request) == {"jsonrpc": "2.0", "id": 41, "result": "OK"}
        status = _recv(ingest)

    quote_hash = SignedData.from_json(request["params"][0]["signed_data"]).quote_hash
    assert status == {
        "jsonrpc": "2.0",
        "method": "event",
        "params": {
            "subscription": ids["quote_status"],
            "data": status_data(quote_hash),
            "metadata": {"partner_id": "doran-sim"},
        },
    }
    (response,) = relay.responses()
    assert (response.quote_id, response.verdict, response.quote_hash, response.request) == (
        "q-1",
        "OK",
        quote_hash,
        request,
    )
    assert response.received.monotonic > relay.events()[0].sent.monotonic  # a latency is measurable
    (sent,) = relay.statuses()
    assert (sent.kind, sent.quote_id, sent.subscribers) == ("settlement", "q-1", 1)
    closes_at = relay.events()[0].closes_at
    assert closes_at is not None and sent.sent.monotonic >= closes_at  # after the auction closed


def test_a_late_response_finds_no_quote(
    relay: SimulatorThread, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    quote = make_quote("q-late", max_wait_ms=50)
    with connect(relay.url, additional_headers=AUTH) as executor:
        closes_at = relay.publish_quote(quote).closes_at
        assert closes_at is not None
        relay.wait_for(lambda: time.monotonic() > closes_at, TIMEOUT_S)  # the window has passed
        answer = _ask(executor, make_response(quote, 1992))

    assert answer == {"jsonrpc": "2.0", "id": 7, "error": {"code": REFUSED, "message": QUOTE_NOT_FOUND}}
    assert relay.summary().refused == {QUOTE_NOT_FOUND: 1}


def test_a_tampered_signature_is_refused(
    relay: SimulatorThread, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    quote = make_quote("q-1")
    request = make_response(quote, 1992)
    signed_data = request["params"][0]["signed_data"]
    raw = bytearray(b58decode(signed_data["signature"].removeprefix("ed25519:")))
    raw[10] ^= 0x40
    signed_data["signature"] = "ed25519:" + b58encode(bytes(raw))
    with connect(relay.url, additional_headers=AUTH) as executor:
        relay.publish_quote(quote)
        answer = _ask(executor, request)

    assert answer["error"] == {"code": REFUSED, "message": "invalid signature"}
    assert relay.responses()[0].quote_hash == SignedData.from_json(signed_data).quote_hash


def test_a_connection_dropped_with_a_response_in_flight(
    relay: SimulatorThread, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    quote = make_quote("q-1", max_wait_ms=60_000)
    request = make_response(quote, 1992)
    relay.set_answer_responses(False)
    relay.publish_quote(quote)
    with connect(relay.url, additional_headers=AUTH) as executor:
        executor.send(json.dumps(request))
        relay.wait_for(relay.responses, TIMEOUT_S)
        assert relay.drop_connections() == 1
        with pytest.raises(ConnectionClosed):
            executor.recv(timeout=TIMEOUT_S)  # the answer never comes: the connection is gone

    relay.set_answer_responses(True)
    with connect(relay.url, additional_headers=AUTH) as executor:
        retried = _ask(executor, request)  # the relay had judged it before the drop
    assert retried["error"] == {"code": REFUSED, "message": ALREADY_SUBMITTED}
    assert [(r.verdict, r.answered) for r in relay.responses()] == [("OK", False), (ALREADY_SUBMITTED, True)]


def test_frames_missed_while_disconnected_are_not_replayed(
    relay: SimulatorThread, make_quote: MakeQuote
) -> None:
    with _client(relay, "quote") as (ingest, _):
        relay.publish_quote(make_quote("q-1"))
        assert _recv(ingest)["params"]["data"]["quote_id"] == "q-1"
        relay.drop_connections("quote")
        with pytest.raises(ConnectionClosed):
            ingest.recv(timeout=TIMEOUT_S)
    missed = relay.publish_quote(make_quote("q-2"))
    with _client(relay, "quote") as (ingest, _):
        relay.publish_quote(make_quote("q-3"))
        assert _recv(ingest)["params"]["data"]["quote_id"] == "q-3"
    assert missed.subscribers == 0


def test_the_first_quote_subscriber_is_dropped_after_n_frames(make_quote: MakeQuote) -> None:
    with SimulatorThread(RelaySimulator(drop_after=2)) as relay, _client(relay, "quote") as (ingest, _):
        for n in range(3):
            relay.publish_quote(make_quote(f"q-{n}"))
        assert [_recv(ingest)["params"]["data"]["quote_id"] for _ in range(2)] == ["q-0", "q-1"]
        with pytest.raises(ConnectionClosed):
            ingest.recv(timeout=TIMEOUT_S)


def test_duplicate_and_unknown_statuses_can_be_sent(
    solver_key: SigningKey, salt: bytes, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    simulator = RelaySimulator(
        solver_keys={"solver.near": [solver_key.public_key]},
        valid_salts=[salt],
        settles=lambda _: True,
        duplicate_statuses=lambda _: True,
        default_max_wait_ms=100,
        settle_delay_s=0.0,
    )
    quote = make_quote("q-1", max_wait_ms=None)
    with SimulatorThread(simulator) as relay, _client(relay, "quote_status") as (ingest, _):
        with connect(relay.url) as executor:
            relay.publish_quote(quote)
            assert _ask(executor, make_response(quote, 1992))["result"] == "OK"
        first, second = _recv(ingest), _recv(ingest)
        unknown = relay.send_unknown_status()
        third = _recv(ingest)

    assert first == second
    assert third["params"]["data"] == unknown.data != first["params"]["data"]
    summary = relay.summary()
    assert (summary.settlements_sent, summary.duplicates_sent, summary.unknown_sent) == (1, 1, 1)


def test_no_status_for_an_auction_that_does_not_settle(
    solver_key: SigningKey, salt: bytes, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    simulator = RelaySimulator(
        solver_keys={"solver.near": [solver_key.public_key]}, valid_salts=[salt], settles=lambda q: q == "q-2"
    )
    with SimulatorThread(simulator) as relay, _client(relay, "quote_status") as (ingest, _):
        with connect(relay.url) as executor:
            for quote_id in ("q-1", "q-2"):
                quote = make_quote(quote_id, max_wait_ms=100)
                relay.publish_quote(quote)
                assert _ask(executor, make_response(quote, 1992))["result"] == "OK"
        status = _recv(ingest)  # only q-2's; q-1 closed first and sent nothing

    assert [s.quote_id for s in relay.statuses()] == ["q-2"]
    assert status["params"]["data"] == relay.statuses()[0].data


def test_quotes_are_paced_and_each_send_time_recorded(relay: SimulatorThread, make_quote: MakeQuote) -> None:
    quotes = [make_quote(f"q-{n}") for n in range(10)]
    with _client(relay, "quote") as (ingest, _):
        events = relay.publish_quotes(quotes, rate_per_s=100.0)
        received = [_recv(ingest)["params"]["data"]["quote_id"] for _ in quotes]

    assert received == [q["quote_id"] for q in quotes]
    assert [e.quote_id for e in events] == received and all(e.subscribers == 1 for e in events)
    sends = [e.sent.monotonic for e in events]
    assert sends == sorted(sends)
    assert sends[-1] - sends[0] >= 9 / 100 - 0.002  # never ahead of the schedule (1 ms timer slack)


def test_get_status_follows_a_settlement_whose_status_frame_is_lost(
    solver_key: SigningKey, salt: bytes, make_quote: MakeQuote, make_response: MakeResponse
) -> None:
    simulator = RelaySimulator(
        solver_keys={"solver.near": [solver_key.public_key]},
        valid_salts=[salt],
        settles=lambda q: q == "q-1",
        drop_statuses=lambda _: True,
        settle_delay_s=2.0,
    )
    with SimulatorThread(simulator) as relay, _client(relay, "quote_status") as (ingest, _):
        with connect(relay.url) as executor, IntentStatusClient(relay.rpc_url, timeout_s=TIMEOUT_S) as rpc:
            for quote_id in ("q-1", "q-2"):
                quote = make_quote(quote_id, max_wait_ms=100)
                relay.publish_quote(quote)
                assert _ask(executor, make_response(quote, 1992))["result"] == "OK"
            settled, unused = (r.quote_hash for r in relay.responses())
            assert settled is not None and unused is not None
            states, deadline = [], time.monotonic() + TIMEOUT_S
            while IntentState.SETTLED not in states:  # PENDING inside the settle delay, then SETTLED
                assert time.monotonic() < deadline, states
                state = rpc.get_status(settled).state
                if not states or states[-1] is not state:
                    states.append(state)
                time.sleep(0.05)
            other = rpc.get_status(unused)
        with pytest.raises(TimeoutError):
            ingest.recv(timeout=0.5)  # the frame was lost

    assert states[-2:] == [IntentState.PENDING, IntentState.SETTLED]
    assert other.state is IntentState.NOT_FOUND_OR_NOT_VALID
    assert relay.statuses() == () and [d["quote_hash"] for d in relay.simulator.dropped] == [settled]
