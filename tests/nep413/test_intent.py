"""The token_diff message: solver-side signs, i128 range, exact bytes, and reading it back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doran.nep413 import IntentError, TimestampError, TokenDiffIntent
from doran.nep413._time import format_deadline, parse_rfc3339_ns
from doran.nep413.intent import I128_MAX, I128_MIN, is_account_id, parse_delta

DEADLINE = datetime(2024, 10, 14, 12, 53, 40, tzinfo=UTC)
INTENT = TokenDiffIntent("solver.near", DEADLINE, "nep141:ft1.near", 1000, "nep141:ft2.near", 1992)


def test_the_message_is_compact_and_in_the_reference_solvers_order() -> None:
    # defuse-protocol/near-intents-amm-solver src/services/quoter.service.ts: the message it signs; these
    # bytes are also the ones behind the derived golden quote (note, section 2.4, vector 5).
    assert INTENT.to_message() == (
        '{"signer_id":"solver.near","deadline":"2024-10-14T12:53:40.000Z","intents":[{"intent":"token_diff",'
        '"diff":{"nep141:ft1.near":"1000","nep141:ft2.near":"-1992"}}]}'
    )
    assert INTENT.diff == {"nep141:ft1.near": 1000, "nep141:ft2.near": -1992}


def test_the_docs_message_reads_back_whatever_its_key_order() -> None:
    # defuse-protocol/docs integration/market-makers/message-bus/websocket.mdx, quote_response example.
    message = (
        '{"deadline":"2024-10-14T12:53:40.000Z","intents":[{"intent":"token_diff","diff":'
        '{"nep141:ft2.near":"-300","nep141:ft1.near":"500"}}],"signer_id":"solver.near"}'
    )
    assert TokenDiffIntent.from_message(message) == TokenDiffIntent(
        "solver.near", DEADLINE, "nep141:ft1.near", 500, "nep141:ft2.near", 300
    )


def test_the_deadline_is_kept_in_utc_at_millisecond_precision() -> None:
    local = (DEADLINE + timedelta(microseconds=123_999)).astimezone(timezone(timedelta(hours=-5)))
    intent = TokenDiffIntent("solver.near", local, "nep141:a.near", 1, "nep141:b.near", 1)
    assert intent.deadline == DEADLINE + timedelta(milliseconds=123)
    assert intent.deadline.tzinfo is UTC
    assert '"deadline":"2024-10-14T12:53:40.123Z"' in intent.to_message()


def test_the_i128_extremes_are_allowed() -> None:
    intent = TokenDiffIntent("solver.near", DEADLINE, "nep141:a.near", I128_MAX, "nep141:b.near", -I128_MIN)
    assert TokenDiffIntent.from_message(intent.to_message()) == intent


accounts = st.from_regex(r"[a-z0-9]{2,20}(\.[a-z0-9]{1,10}){0,2}", fullmatch=True)


@given(
    signer=accounts,
    asset_in=accounts,
    asset_out=accounts,
    amount_in=st.integers(1, I128_MAX),
    amount_out=st.integers(1, -I128_MIN),
    millis=st.integers(0, 2**41),
)
def test_every_valid_intent_round_trips(
    signer: str, asset_in: str, asset_out: str, amount_in: int, amount_out: int, millis: int
) -> None:
    deadline = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    if asset_in == asset_out:
        asset_out += ".x"
    intent = TokenDiffIntent(
        signer, deadline, f"nep141:{asset_in}", amount_in, f"nep245:{asset_out}:7", amount_out
    )
    assert TokenDiffIntent.from_message(intent.to_message()) == intent


def _intent(**changes: object) -> TokenDiffIntent:
    fields: dict[str, object] = {
        "signer_id": "solver.near",
        "deadline": DEADLINE,
        "asset_in": "nep141:ft1.near",
        "amount_in": 1000,
        "asset_out": "nep141:ft2.near",
        "amount_out": 1992,
    } | changes
    return TokenDiffIntent(**fields)  # type: ignore[arg-type]


BAD_INTENTS = {
    "zero in": ({"amount_in": 0}, "zero delta is an invalid intent"),
    "zero out": ({"amount_out": 0}, "zero delta is an invalid intent"),
    "negative in": ({"amount_in": -5}, "amount_in must be in 1"),
    "in above i128": ({"amount_in": I128_MAX + 1}, "amount_in must be in 1"),
    "out below i128": ({"amount_out": -I128_MIN + 1}, "amount_out must be in 1"),
    "float amount": ({"amount_in": 1000.0}, "must be an int"),
    "bool amount": ({"amount_out": True}, "must be an int"),
    "string amount": ({"amount_in": "1000"}, "must be an int"),
    "same asset": ({"asset_out": "nep141:ft1.near"}, "both 'nep141:ft1.near'"),
    "unknown standard": ({"asset_in": "erc20:ft1.near"}, "not a token id"),
    "nep171 without token": ({"asset_in": "nep171:nft.near"}, "not a token id"),
    "bad account in asset": ({"asset_out": "nep141:FT2.near"}, "not a token id"),
    "bad signer": ({"signer_id": "Solver.near"}, "not a NEAR account id"),
    "one-char signer": ({"signer_id": "a"}, "not a NEAR account id"),
    "naive deadline": ({"deadline": datetime(2024, 10, 14)}, "timezone-aware"),
    "deadline past year 9999 in UTC": (
        {"deadline": datetime.max.replace(tzinfo=timezone(timedelta(hours=-1)))},
        "out of range once converted to UTC",
    ),
}


@pytest.mark.parametrize(("changes", "message"), BAD_INTENTS.values(), ids=list(BAD_INTENTS))
def test_intents_breaking_a_rule_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(IntentError, match=message):
        _intent(**changes)


def _message(**changes: object) -> str:
    body = json.loads(INTENT.to_message())
    diff = changes.pop("diff", None)
    intent_changes = changes.pop("intent", None)
    body.update(changes)
    if diff is not None:
        body["intents"][0]["diff"] = diff
    if intent_changes is not None:
        body["intents"][0].update(intent_changes)
    return json.dumps(body)


BAD_MESSAGES = {
    "not json": ("{", "not JSON"),
    "not an object": ("[]", "exactly \\['deadline', 'intents', 'signer_id'\\], got list"),
    "extra key": (_message(memo="x"), "exactly"),
    "two intents": (_message(intents=[{}, {}]), "exactly one token_diff"),
    "intent with memo": (_message(intent={"memo": "m"}), "message.intents\\[0\\] must be an object"),
    "other intent kind": (_message(intent={"intent": "transfer"}), "must be 'token_diff'"),
    "one asset": (_message(diff={"nep141:a.near": "1"}), "exactly two assets"),
    "number amounts": (_message(diff={"nep141:a.near": 1, "nep141:b.near": -1}), "exactly two assets"),
    "both positive": (_message(diff={"nep141:a.near": "1", "nep141:b.near": "2"}), "one positive and one"),
    "zero delta": (_message(diff={"nep141:a.near": "0", "nep141:b.near": "-2"}), "one positive and one"),
    "spaced amount": (_message(diff={"nep141:a.near": " 1", "nep141:b.near": "-2"}), "not a base-10"),
    "underscored": (_message(diff={"nep141:a.near": "1_0", "nep141:b.near": "-2"}), "not a base-10"),
    "non-ascii digits": (_message(diff={"nep141:a.near": "١٢", "nep141:b.near": "-2"}), "not a base-10"),
    "decimal": (_message(diff={"nep141:a.near": "1.5", "nep141:b.near": "-2"}), "not a base-10"),
    "beyond i128": (_message(diff={"nep141:a.near": str(2**127), "nep141:b.near": "-2"}), "i128 range"),
    "bad token": (_message(diff={"a.near": "1", "nep141:b.near": "-2"}), "not a token id"),
    "signer not a string": (_message(signer_id=5), "signer_id must be a string"),
    "seconds only": (_message(deadline="2024-10-14T12:53:40Z"), "must be UTC with milliseconds"),
    "offset": (_message(deadline="2024-10-14T14:53:40.000+02:00"), "must be UTC with milliseconds"),
    "not a date": (_message(deadline="2024-02-30T12:53:40.000Z"), "must be UTC with milliseconds"),
    "deadline number": (_message(deadline=1728910420), "must be UTC with milliseconds"),
}


@pytest.mark.parametrize(("text", "message"), BAD_MESSAGES.values(), ids=list(BAD_MESSAGES))
def test_messages_not_of_the_solvers_shape_are_refused(text: str, message: str) -> None:
    with pytest.raises(IntentError, match=message):
        TokenDiffIntent.from_message(text)


def test_amounts_parse_as_the_contracts_i128_from_str() -> None:
    assert parse_delta("+5") == 5
    assert parse_delta("-0007") == -7
    assert parse_delta(str(I128_MIN)) == I128_MIN


@pytest.mark.parametrize(
    ("account", "valid"),
    [
        ("solver.near", True),
        ("a1", True),
        ("pool-1.registry_x.near", True),
        ("74affa71ab030d400fdfa1bed033dfa6fd3ae34f92d17c046ebe368e80d53751", True),
        ("a" * 65, False),
        ("a..near", False),
        ("-a.near", False),
        ("a.near.", False),
        ("a__b.near", False),
    ],
)
def test_account_ids_follow_the_near_rules(account: str, valid: bool) -> None:
    assert is_account_id(account) is valid


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("2024-10-14T12:53:40.000Z", 1728910420_000_000_000),
        ("2024-10-14T12:53:40Z", 1728910420_000_000_000),
        ("2024-10-14T14:53:40.123456789+02:00", 1728910420_123_456_789),
        ("2024-10-14t12:53:40.5z", 1728910420_500_000_000),
        ("1969-12-31T23:59:59.999999999Z", -1),
    ],
)
def test_rfc3339_parses_to_exact_nanoseconds(text: str, nanos: int) -> None:
    assert parse_rfc3339_ns(text) == nanos


@pytest.mark.parametrize("text", ["2024-10-14 12:53:40Z", "2024-10-14T12:53:40", "2024-13-01T00:00:00Z", ""])
def test_not_rfc3339_is_refused(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_rfc3339_ns(text)


def test_format_deadline_writes_what_javascript_to_iso_string_writes() -> None:
    assert format_deadline(datetime(2024, 1, 2, 3, 4, 5, 6999, tzinfo=UTC)) == "2024-01-02T03:04:05.006Z"
