"""NearIntentsVenue over a real websocket to the relay simulator, which verifies every signature as
intents.near would: each answer the relay can give maps to its result code, and nothing is sent twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from support.commands import command
from support.solver import ACCOUNT, KEY, SALT_HEX, near_settings, quote_request, registered_simulator

from doran.contracts import ExecuteTradeEvent, ResultCode, TradeStatus
from doran.devkit.relay_simulator import SimulatorThread
from doran.executor import Prepared, Ticket, VenueOutcome
from doran.nep413 import SigningKey, parse_salt
from doran.relay import PendingAnswers, RelaySession
from doran.venues import NearIntentsVenue, QuoteSigner

SIGNER = QuoteSigner(account_id=ACCOUNT, key=KEY, salt=parse_salt(SALT_HEX))


@pytest.fixture
def relay() -> Iterator[SimulatorThread]:
    with SimulatorThread(registered_simulator()) as running:
        yield running


@pytest.fixture
def session(relay: SimulatorThread) -> Iterator[RelaySession]:
    with RelaySession(relay.url) as connected:
        assert connected.wait_connected(10), connected.last_error
        yield connected


def send(venue: NearIntentsVenue, *commands: ExecuteTradeEvent) -> tuple[list[Ticket], list[VenueOutcome]]:
    now = datetime.now(UTC)
    tickets = [venue.prepare(c.payload, now) for c in commands]
    outcomes = venue.send([Prepared(c.payload, t) for c, t in zip(commands, tickets, strict=True)]).outcomes()
    return tickets, outcomes


def test_open_auctions_get_signed_quotes_the_relay_accepts(
    relay: SimulatorThread, session: RelaySession
) -> None:
    commands = [command(n) for n in range(3)] + [command(3, exact_out=True)]
    for sent in commands:
        relay.publish_quote(quote_request(sent))

    tickets, outcomes = send(NearIntentsVenue(session, SIGNER), *commands)

    assert {(o.status, o.result_code, o.awaits_settlement) for o in outcomes} == {
        (TradeStatus.QUOTED, ResultCode.QUOTE_ACCEPTED, True)
    }
    received = {r.quote_id: r for r in relay.responses()}
    assert sorted(received) == sorted(c.payload.quote_id for c in commands)
    for sent, ticket in zip(commands, tickets, strict=True):
        response = received[sent.payload.quote_id]
        assert response.accepted, response.verdict
        assert response.quote_hash == ticket.quote_hash  # the hash made durable is the one the relay saw
    exact_out = received[commands[3].payload.quote_id].request["params"][0]["quote_output"]
    assert exact_out == {"amount_in": commands[3].payload.amount_in}


def test_send_returns_at_once_and_the_answers_come_later(
    relay: SimulatorThread, session: RelaySession
) -> None:
    # What lets the executor sign the next batch while the relay answers this one.
    relay.set_answer_responses(False)
    sent = command(1)
    relay.publish_quote(quote_request(sent))
    venue = NearIntentsVenue(session, SIGNER, answer_timeout_s=1.0)
    ticket = venue.prepare(sent.payload, datetime.now(UTC))

    started = time.monotonic()
    sending = venue.send([Prepared(sent.payload, ticket)])
    returned = time.monotonic() - started
    (outcome,) = sending.outcomes()
    answered = time.monotonic() - started

    assert returned < 0.5 <= answered  # the answer timeout is waited for by outcomes(), not by send()
    assert outcome.result_code is ResultCode.RELAY_TIMEOUT


def test_an_auction_the_relay_already_closed_is_auction_closed(
    relay: SimulatorThread, session: RelaySession
) -> None:
    sent = command(2)
    published = relay.publish_quote(quote_request(sent, max_wait_ms=50))
    assert published.closes_at is not None
    closes_at = published.closes_at
    relay.wait_for(lambda: time.monotonic() > closes_at, 10, poll_s=0.01)

    _, (outcome,) = send(NearIntentsVenue(session, SIGNER), sent)

    assert (outcome.status, outcome.result_code, outcome.awaits_settlement) == (
        TradeStatus.REJECTED,
        ResultCode.AUCTION_CLOSED,
        False,
    )


def test_a_signature_by_an_unregistered_key_is_refused_with_the_relays_reason(
    relay: SimulatorThread, session: RelaySession
) -> None:
    stranger = QuoteSigner(account_id=ACCOUNT, key=SigningKey.from_seed(bytes(32)), salt=SIGNER.salt)
    sent = command(4)
    relay.publish_quote(quote_request(sent))

    _, (outcome,) = send(NearIntentsVenue(session, stranger), sent)

    (response,) = relay.responses()
    assert (outcome.status, outcome.result_code) == (TradeStatus.REJECTED, ResultCode.VENUE_REJECTED)
    assert response.verdict in outcome.note and not outcome.awaits_settlement


def test_no_answer_in_time_is_relay_timeout_and_awaits_settlement(
    relay: SimulatorThread, session: RelaySession
) -> None:
    relay.set_answer_responses(False)
    sent = command(5)
    relay.publish_quote(quote_request(sent))

    _, (outcome,) = send(NearIntentsVenue(session, SIGNER, answer_timeout_s=0.3), sent)

    assert (outcome.status, outcome.result_code, outcome.awaits_settlement) == (
        TradeStatus.FAILED,
        ResultCode.RELAY_TIMEOUT,
        True,
    )
    assert [r.quote_id for r in relay.responses()] == [sent.payload.quote_id]  # it did leave


def test_a_connection_lost_in_flight_is_relay_disconnected_and_not_resent(
    relay: SimulatorThread, session: RelaySession
) -> None:
    relay.set_answer_responses(False)
    sent = command(6)
    relay.publish_quote(quote_request(sent))
    venue = NearIntentsVenue(session, SIGNER, answer_timeout_s=30)
    outcomes: list[VenueOutcome] = []
    submitting = threading.Thread(target=lambda: outcomes.extend(send(venue, sent)[1]))

    submitting.start()
    relay.wait_for(lambda: len(relay.responses()) == 1, 10)
    relay.drop_connections()
    submitting.join(20)

    (outcome,) = outcomes
    assert (outcome.result_code, outcome.awaits_settlement) == (ResultCode.RELAY_DISCONNECTED, True)
    assert session.wait_connected(10)  # the session reconnects; the lost request is not sent again
    assert len(relay.responses()) == 1


def test_not_connected_means_not_sent() -> None:
    with SimulatorThread(registered_simulator()) as relay:
        url = relay.url
    with RelaySession(url) as session:  # nothing listens there any more
        _, (outcome,) = send(NearIntentsVenue(session, SIGNER), command(7))
    assert (outcome.status, outcome.result_code, outcome.awaits_settlement) == (
        TradeStatus.FAILED,
        ResultCode.ADAPTER_ERROR,
        False,
    )


def test_recover_never_sends_and_says_what_is_known(relay: SimulatorThread, session: RelaySession) -> None:
    venue = NearIntentsVenue(session, SIGNER)
    sent = command(8)
    ticket = venue.prepare(sent.payload, datetime.now(UTC))

    signed = venue.recover(sent.payload, ticket)
    unsigned = venue.recover(sent.payload, Ticket())

    assert (signed.result_code, signed.awaits_settlement) == (ResultCode.RECOVERED_UNKNOWN, True)
    assert (unsigned.result_code, unsigned.awaits_settlement) == (ResultCode.RECOVERED_NOT_EXECUTED, False)
    assert relay.responses() == ()


def test_the_signed_deadline_is_the_requests_ttl_plus_the_margin() -> None:
    now = datetime(2026, 3, 28, 20, 0, 0, tzinfo=UTC)
    ticket = NearIntentsVenue(_Unused(), SIGNER).prepare(command(9, ttl_ms=45_000).payload, now)
    assert SIGNER.deadline_margin == timedelta(seconds=10)
    assert ticket.quote_deadline == "2026-03-28T20:00:55.000000Z"


def test_the_signer_never_shows_its_key(session: RelaySession) -> None:
    secret = near_settings()["near_signing_key"].get_secret_value()
    venue = NearIntentsVenue(session, SIGNER)
    for shown in (repr(SIGNER), str(SIGNER), repr(KEY), repr(venue), repr(venue.__dict__)):
        assert secret.removeprefix("ed25519:")[:20] not in shown
    assert str(KEY.public_key) in repr(SIGNER)


class _Unused:
    def send_many(self, requests: object, timeout_s: float) -> PendingAnswers:
        raise AssertionError("prepare sends nothing")
