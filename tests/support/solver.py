"""A test solver's identity on the simulated relay, and the quote request a command answers.

The key is generated from a fixed seed for tests only; the simulator registers its public key as
intents.near's `add_public_key` would.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from doran.contracts import ExecuteTrade, ExecuteTradeEvent, FixedSide
from doran.devkit.relay_simulator import RelaySimulator
from doran.nep413 import SigningKey, parse_salt
from doran.nep413.base58 import b58encode

__all__ = ["ACCOUNT", "KEY", "SALT_HEX", "near_settings", "quote_request", "registered_simulator"]

ACCOUNT = "solver.test.near"
_SEED = bytes(range(100, 132))
KEY = SigningKey.from_seed(_SEED)
SALT_HEX = "252812b3"


def near_settings() -> dict[str, Any]:
    """The DORAN_NEAR_* settings (as Settings fields) of this solver."""
    secret = "ed25519:" + b58encode(_SEED + KEY.public_key.raw)
    return {
        "venue": "near_intents",
        "near_account_id": ACCOUNT,
        "near_signing_key": SecretStr(secret),
        "near_nonce_salt": SALT_HEX,
    }


def registered_simulator(**options: Any) -> RelaySimulator:
    """A relay simulator whose intents.near knows this solver's key and salt."""
    return RelaySimulator(
        solver_keys={ACCOUNT: [KEY.public_key]}, valid_salts=[parse_salt(SALT_HEX)], **options
    )


def quote_request(command: ExecuteTradeEvent | ExecuteTrade, *, max_wait_ms: int = 3_000) -> dict[str, Any]:
    """The relay's quote event data that `command` answers: its fixed side, assets and ttl."""
    trade = command.payload if isinstance(command, ExecuteTradeEvent) else command
    fixed = (
        {"exact_amount_in": trade.amount_in}
        if trade.fixed_side is FixedSide.AMOUNT_IN
        else {"exact_amount_out": trade.amount_out}
    )
    return {
        "quote_id": trade.quote_id,
        "defuse_asset_identifier_in": trade.asset_in,
        "defuse_asset_identifier_out": trade.asset_out,
        **fixed,
        "min_deadline_ms": trade.ttl_ms,
        "max_wait_ms": max_wait_ms,
    }
