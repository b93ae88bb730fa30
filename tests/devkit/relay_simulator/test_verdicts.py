"""Verdicts on quote_responses, as the relay and intents.near give them: OK and every refusal."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doran.devkit.relay_simulator import (
    ALREADY_SUBMITTED,
    INVALID_PARAMS,
    QUOTE_NOT_FOUND,
    REFUSED,
    AuctionBook,
    Bid,
    ContractState,
    Instant,
    Rejection,
    ResponseVerdict,
    judge_response,
)
from doran.nep413 import SignedData, SigningKey
from doran.nep413.base58 import b58decode, b58encode

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
OPENED = Instant(100.0, NOW)
INSIDE = Instant(101.0, NOW + timedelta(seconds=1))
MakeQuote = Callable[..., dict[str, Any]]
MakeResponse = Callable[..., dict[str, Any]]


def _book(*quotes: dict[str, Any]) -> AuctionBook:
    book = AuctionBook()
    for quote in quotes:
        book.open(quote, OPENED)
    return book


def _judge(
    request: dict[str, Any], book: AuctionBook, contract: ContractState, when: Instant = INSIDE
) -> ResponseVerdict:
    verdict = judge_response(request["params"], book=book, at=when, contract=contract)
    if isinstance(verdict, Bid):
        book.accept(verdict)  # as the server does
    return verdict


def _refusal(verdict: ResponseVerdict) -> tuple[int, str]:
    assert isinstance(verdict, Rejection), verdict
    return verdict.code, verdict.message


def test_a_genuine_response_is_accepted_with_its_quote_hash(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote("q-1", exact_in=1000)
    request = make_response(quote, 1992, now=NOW)
    verdict = _judge(request, _book(quote), contract)

    signed = SignedData.from_json(request["params"][0]["signed_data"])
    assert verdict == Bid("q-1", signed.quote_hash, "solver.near", signed.payload.nonce, 1992, INSIDE)


def test_an_exact_out_response_quotes_amount_in(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote("q-1", exact_out=500)
    verdict = _judge(make_response(quote, 777, now=NOW), _book(quote), contract)

    assert isinstance(verdict, Bid) and verdict.amount == 777


def test_the_other_quote_output_member_is_tolerated(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote("q-1", exact_in=1000)
    request = make_response(quote, 1992, now=NOW)
    request["params"][0]["quote_output"]["amount_in"] = "1000"  # py-near sends both

    assert isinstance(_judge(request, _book(quote), contract), Bid)


def test_a_tampered_signature_is_refused(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    request = make_response(quote, 1992, now=NOW)
    signed_data = request["params"][0]["signed_data"]
    raw = bytearray(b58decode(signed_data["signature"].removeprefix("ed25519:")))
    raw[0] ^= 1
    signed_data["signature"] = "ed25519:" + b58encode(bytes(raw))

    assert _refusal(_judge(request, _book(quote), contract)) == (REFUSED, "invalid signature")


def test_a_key_intents_near_does_not_know_is_refused(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    stranger = SigningKey.from_seed(b"\7" * 32)
    code, message = _refusal(
        _judge(make_response(quote, 1992, now=NOW, key=stranger), _book(quote), contract)
    )

    assert code == REFUSED
    assert message == f"public key '{stranger.public_key}' doesn't exist for account 'solver.near'"


def test_a_wrong_recipient_is_refused(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    request = make_response(quote, 1992, now=NOW, recipient="defuse.near")

    assert _refusal(_judge(request, _book(quote), contract)) == (REFUSED, "wrong verifying_contract")


def test_a_passed_deadline_is_refused_while_the_auction_is_open(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    request = make_response(quote, 1992, now=NOW - timedelta(hours=1))

    assert _refusal(_judge(request, _book(quote), contract)) == (REFUSED, "deadline has expired")


def test_an_unknown_salt_is_refused(
    make_quote: MakeQuote, make_response: MakeResponse, solver_key: SigningKey
) -> None:
    quote = make_quote()
    contract = ContractState({"solver.near": {solver_key.public_key}}, {bytes.fromhex("00000001")})

    assert _refusal(_judge(make_response(quote, 1992, now=NOW), _book(quote), contract)) == (
        REFUSED,
        "invalid salt",
    )


def test_a_nonce_spent_by_an_accepted_response_is_refused_in_the_next_quote(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    first, second = make_quote("q-1"), make_quote("q-2")
    book = _book(first, second)
    assert isinstance(_judge(make_response(first, 1992, now=NOW, random15=bytes(15)), book, contract), Bid)
    reused = make_response(second, 1992, now=NOW, random15=bytes(15))

    assert _refusal(_judge(reused, book, contract)) == (REFUSED, "nonce was already used")


def test_a_refused_response_spends_no_nonce(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    book = _book(quote)
    late_deadline = make_response(quote, 1992, now=NOW - timedelta(hours=1), random15=bytes(15))
    _refusal(_judge(late_deadline, book, contract))

    assert book.used_nonces == {}


def test_a_late_response_finds_no_quote(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote(max_wait_ms=3000)
    late = Instant(OPENED.monotonic + 3.0, NOW + timedelta(seconds=3))
    verdict = _judge(make_response(quote, 1992, now=NOW), _book(quote), contract, late)

    assert verdict == Rejection(REFUSED, QUOTE_NOT_FOUND, "q-1")


def test_an_unknown_quote_id_finds_no_quote(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    request = make_response(make_quote("q-unknown"), 1992, now=NOW)

    assert _refusal(_judge(request, _book(make_quote("q-1")), contract)) == (REFUSED, QUOTE_NOT_FOUND)


def test_a_second_response_of_the_same_signer_is_refused(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    book = _book(quote)
    request = make_response(quote, 1992, now=NOW)
    assert isinstance(_judge(request, book, contract), Bid)

    assert _refusal(_judge(request, book, contract)) == (REFUSED, ALREADY_SUBMITTED)
    assert _refusal(_judge(make_response(quote, 1995, now=NOW), book, contract)) == (
        REFUSED,
        ALREADY_SUBMITTED,
    )


def test_another_signer_may_answer_the_same_quote(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState
) -> None:
    quote = make_quote()
    other = SigningKey.from_seed(b"\5" * 32)
    both = ContractState({**contract.public_keys, "other.near": {other.public_key}}, contract.valid_salts)
    book = _book(quote)
    assert isinstance(_judge(make_response(quote, 1992, now=NOW), book, both), Bid)

    second = make_response(quote, 1990, now=NOW, key=other, signer_id="other.near")
    assert isinstance(_judge(second, book, both), Bid)


@pytest.mark.parametrize(
    ("quote_kwargs", "output_key", "fragment"),
    [
        (
            {"exact_in": 1000},
            "amount_in",
            "quote_output.amount_out is required: the request fixed exact_amount_in",
        ),
        (
            {"exact_out": 500},
            "amount_out",
            "quote_output.amount_in is required: the request fixed exact_amount_out",
        ),
    ],
)
def test_a_quote_output_on_the_wrong_side_is_invalid(
    make_quote: MakeQuote,
    make_response: MakeResponse,
    contract: ContractState,
    quote_kwargs: dict[str, int],
    output_key: str,
    fragment: str,
) -> None:
    quote = make_quote(**quote_kwargs)
    verdict = _judge(make_response(quote, 1992, now=NOW, output_key=output_key), _book(quote), contract)

    assert _refusal(verdict) == (INVALID_PARAMS, fragment)


@pytest.mark.parametrize("quote_kwargs", [{"exact_in": 1000}, {"exact_out": 500}])
def test_a_quote_output_disagreeing_with_the_signed_diff_is_invalid(
    make_quote: MakeQuote, make_response: MakeResponse, contract: ContractState, quote_kwargs: dict[str, int]
) -> None:
    quote = make_quote(**quote_kwargs)
    request = make_response(quote, 1992, now=NOW, signed_amount=1990)
    code, message = _refusal(_judge(request, _book(quote), contract))

    assert code == INVALID_PARAMS
    assert message.startswith("the token_diff carries 1990 where quote_output.amount_")


@pytest.mark.parametrize(
    ("quote_kwargs", "changed_kwargs", "fragment"),
    [
        ({"exact_in": 1000}, {"exact_in": 999}, "the request fixed exact_amount_in = 1000"),
        ({"exact_out": 500}, {"exact_out": 501}, "the request fixed exact_amount_out = 500"),
        ({}, {"asset_in": "nep141:ft3.near"}, "the quote asks for 'nep141:ft1.near' in"),
        ({}, {"asset_in": "nep141:ft2.near", "asset_out": "nep141:ft1.near"}, "receives 'nep141:ft2.near'"),
    ],
)
def test_a_signed_diff_not_giving_the_requested_trade_is_invalid(
    make_quote: MakeQuote,
    make_response: MakeResponse,
    contract: ContractState,
    quote_kwargs: dict[str, Any],
    changed_kwargs: dict[str, Any],
    fragment: str,
) -> None:
    quote = make_quote(**quote_kwargs)
    signed_for = make_quote(**(quote_kwargs | changed_kwargs))
    code, message = _refusal(_judge(make_response(signed_for, 1992, now=NOW), _book(quote), contract))

    assert code == INVALID_PARAMS and fragment in message


def _broken(request: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    broken = copy.deepcopy(request)
    change(broken)
    return broken


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda r: r.__setitem__("params", r["params"][0]),
            "params must be a list holding one quote response",
        ),
        (lambda r: r["params"].append({}), "params must be a list holding one quote response"),
        (lambda r: r["params"][0].pop("quote_id"), "params[0].quote_id must be a non-empty string"),
        (lambda r: r["params"][0].pop("quote_output"), "quote_output.amount_out is required"),
        (lambda r: r["params"][0]["quote_output"].update(amount_out="-5"), "positive decimal integer string"),
        (lambda r: r["params"][0]["quote_output"].update(amount_out=1992), "positive decimal integer string"),
        (lambda r: r["params"][0].pop("signed_data"), "signed_data must be a JSON object"),
        (lambda r: r["params"][0]["signed_data"].update(standard="erc191"), "signed_data.standard must be"),
        (lambda r: r["params"][0]["signed_data"]["payload"].update(message="{}"), "not one token_diff quote"),
    ],
)
def test_malformed_params_are_invalid(
    make_quote: MakeQuote,
    make_response: MakeResponse,
    contract: ContractState,
    change: Callable[[dict[str, Any]], Any],
    fragment: str,
) -> None:
    quote = make_quote()
    request = _broken(make_response(quote, 1992, now=NOW), change)
    code, message = _refusal(_judge(request, _book(quote), contract))

    assert code == INVALID_PARAMS and fragment in message


def test_a_quote_without_one_exact_amount_cannot_be_answered(
    make_response: MakeResponse, make_quote: MakeQuote, contract: ContractState
) -> None:
    quote = make_quote()
    request = make_response(quote, 1992, now=NOW)
    both = quote | {"exact_amount_out": "5"}

    assert _refusal(_judge(request, _book(both), contract)) == (
        INVALID_PARAMS,
        "quote 'q-1' has no single exact amount to answer",
    )
