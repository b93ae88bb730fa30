"""Builders shared by the simulator tests: quote requests and genuine, signed quote_responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from doran.devkit.relay_simulator import ContractState
from doran.nep413 import SigningKey, TokenDiffIntent, parse_salt, sign_quote

SOLVER = "solver.near"
KEY = SigningKey.from_seed(bytes(range(32)))
SALT = parse_salt("252812b3")


def _quote(
    quote_id: str = "q-1",
    *,
    exact_in: int | None = 1000,
    exact_out: int | None = None,
    max_wait_ms: int | None = 3000,
    asset_in: str = "nep141:ft1.near",
    asset_out: str = "nep141:ft2.near",
) -> dict[str, Any]:
    quote: dict[str, Any] = {
        "quote_id": quote_id,
        "defuse_asset_identifier_in": asset_in,
        "defuse_asset_identifier_out": asset_out,
        "min_deadline_ms": 60000,
    }
    if exact_out is not None:
        quote["exact_amount_out"] = str(exact_out)
    elif exact_in is not None:
        quote["exact_amount_in"] = str(exact_in)
    if max_wait_ms is not None:
        quote["max_wait_ms"] = max_wait_ms
    return quote


def _response(
    quote: dict[str, Any],
    amount: int,
    *,
    now: datetime | None = None,
    key: SigningKey = KEY,
    signer_id: str = SOLVER,
    recipient: str = "intents.near",
    random15: bytes | None = None,
    request_id: int = 7,
    signed_amount: int | None = None,
    output_key: str | None = None,
) -> dict[str, Any]:
    """The quote_response request a solver sends for `quote` at `amount`, signed as the reference solver
    signs (deadline = now + min_deadline_ms + 10 s). `signed_amount` signs a different amount than the
    quote_output says; `output_key` names a different quote_output member."""
    deadline = (now or datetime.now(UTC)) + timedelta(
        milliseconds=quote.get("min_deadline_ms", 60000) + 10000
    )
    exact_in = "exact_amount_in" in quote
    signed = amount if signed_amount is None else signed_amount
    fixed = int(quote["exact_amount_in" if exact_in else "exact_amount_out"])
    asset_in, asset_out = quote["defuse_asset_identifier_in"], quote["defuse_asset_identifier_out"]
    if exact_in:
        intent = TokenDiffIntent(signer_id, deadline, asset_in, fixed, asset_out, signed)
    else:
        intent = TokenDiffIntent(signer_id, deadline, asset_in, signed, asset_out, fixed)
    signed_data = sign_quote(key, intent, salt=SALT, recipient=recipient, random15=random15)
    key_name = output_key or ("amount_out" if exact_in else "amount_in")
    params = {
        "quote_id": quote["quote_id"],
        "quote_output": {key_name: str(amount)},
        "signed_data": signed_data.to_json(),
    }
    return {"jsonrpc": "2.0", "id": request_id, "method": "quote_response", "params": [params]}


@pytest.fixture
def make_quote() -> Callable[..., dict[str, Any]]:
    """quote event data: make_quote(quote_id, exact_in=..., exact_out=..., max_wait_ms=...)."""
    return _quote


@pytest.fixture
def make_response() -> Callable[..., dict[str, Any]]:
    """A signed quote_response request: make_response(quote, amount, now=..., key=..., ...)."""
    return _response


@pytest.fixture
def contract() -> ContractState:
    """intents.near knowing the test solver's key and salt."""
    return ContractState({SOLVER: {KEY.public_key}}, {SALT})


@pytest.fixture
def solver_key() -> SigningKey:
    return KEY


@pytest.fixture
def salt() -> bytes:
    return SALT
