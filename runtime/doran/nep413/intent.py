"""The token_diff message a solver signs: what it receives (+) and what it gives (-), as compact JSON.

Shape (defuse-protocol/near-intents-amm-solver `src/services/quoter.service.ts`; near/intents
`contracts/defuse/core/src/intents/token_diff.rs`):
    {"signer_id":"solver.near","deadline":"2024-10-14T12:53:40.000Z",
     "intents":[{"intent":"token_diff","diff":{"<asset_in>":"1000","<asset_out>":"-1992"}}]}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from doran.nep413._time import format_deadline, parse_rfc3339_ns
from doran.nep413.errors import IntentError, TimestampError

__all__ = [
    "I128_MAX",
    "I128_MIN",
    "TokenDiffIntent",
    "check_token_id",
    "is_account_id",
    "parse_delta",
]

I128_MIN, I128_MAX = -(2**127), 2**127 - 1
# Rust's `i128::from_str` (the contract reads deltas with DisplayFromStr): optional sign, ASCII digits.
_DELTA = re.compile(r"[+-]?[0-9]+")
# NEAR account ids (nomicon "Account ID" rules): 2-64 chars, lowercase parts joined by . - _
_ACCOUNT_ID = re.compile(r"(?:(?:[a-z\d]+[-_])*[a-z\d]+\.)*(?:[a-z\d]+[-_])*[a-z\d]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_account_id(text: str) -> bool:
    """Whether `text` is a valid NEAR account id."""
    return 2 <= len(text) <= 64 and _ACCOUNT_ID.fullmatch(text) is not None


def check_token_id(text: str) -> None:
    """Refuse anything but `nep141:<account>`, `nep171:<account>:<id>`, `nep245:<account>:<id>`."""
    standard, _, rest = text.partition(":")
    account, _, token = rest.partition(":")
    ok = standard == "nep141" and is_account_id(rest)
    ok = ok or (standard in ("nep171", "nep245") and is_account_id(account) and token != "")
    if not ok:
        raise IntentError(f"Asset {text!r} is not a token id like 'nep141:wrap.near'")


def parse_delta(text: str) -> int:
    """A signed base-10 amount string as the contract reads it into an i128."""
    if not _DELTA.fullmatch(text):
        raise IntentError(f"Amount {text!r} is not a base-10 integer string")
    value = int(text)
    if not I128_MIN <= value <= I128_MAX:
        raise IntentError(f"Amount {text} is outside the contract's i128 range")
    return value


def _check_amount(name: str, value: int, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise IntentError(f"{name} must be an int (base units), got {type(value).__name__}")
    if not 0 < value <= limit:
        raise IntentError(f"{name} must be in 1..{limit}: a zero delta is an invalid intent, got {value}")


@dataclass(frozen=True, slots=True)
class TokenDiffIntent:
    """One quote as a token_diff: the solver receives `amount_in` of `asset_in`, gives `amount_out`."""

    signer_id: str
    deadline: datetime
    asset_in: str
    amount_in: int
    asset_out: str
    amount_out: int

    def __post_init__(self) -> None:
        if not is_account_id(self.signer_id):
            raise IntentError(f"signer_id {self.signer_id!r} is not a NEAR account id")
        check_token_id(self.asset_in)
        check_token_id(self.asset_out)
        if self.asset_in == self.asset_out:
            raise IntentError(f"asset_in and asset_out are both {self.asset_in!r}")
        _check_amount("amount_in", self.amount_in, I128_MAX)
        _check_amount("amount_out", self.amount_out, -I128_MIN)  # it is written negated
        if self.deadline.utcoffset() is None:
            raise IntentError(f"deadline {self.deadline!r} must be a timezone-aware datetime")
        try:
            utc = self.deadline.astimezone(UTC)
        except OverflowError:
            raise IntentError(f"deadline {self.deadline!r} is out of range once converted to UTC") from None
        # The wire carries milliseconds; hold exactly what is signed.
        object.__setattr__(self, "deadline", utc.replace(microsecond=utc.microsecond // 1000 * 1000))

    @property
    def diff(self) -> dict[str, int]:
        """The signed deltas from the solver's side."""
        return {self.asset_in: self.amount_in, self.asset_out: -self.amount_out}

    def to_message(self) -> str:
        """The compact JSON that goes into `payload.message`: these exact characters are signed."""
        body = {
            "signer_id": self.signer_id,
            "deadline": format_deadline(self.deadline),
            "intents": [{"intent": "token_diff", "diff": {k: str(v) for k, v in self.diff.items()}}],
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_message(cls, text: str) -> TokenDiffIntent:
        """Read back a message of exactly this shape (any key order) and check every rule."""
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise IntentError(f"The message is not JSON: {exc}") from None
        _expect_keys(body, {"signer_id", "deadline", "intents"}, "message")
        intents = body["intents"]
        if not isinstance(intents, list) or len(intents) != 1:
            raise IntentError("message.intents must be a list of exactly one token_diff intent")
        _expect_keys(intents[0], {"intent", "diff"}, "message.intents[0]")
        if intents[0]["intent"] != "token_diff":
            raise IntentError(f"message.intents[0].intent must be 'token_diff', got {intents[0]['intent']!r}")
        diff = intents[0]["diff"]
        if not isinstance(diff, dict) or len(diff) != 2 or not all(isinstance(v, str) for v in diff.values()):
            raise IntentError("The diff must map exactly two assets to amount strings")
        deltas = {asset: parse_delta(amount) for asset, amount in diff.items()}
        (asset_in, amount_in), (asset_out, amount_out) = sorted(deltas.items(), key=lambda kv: -kv[1])
        if not amount_in > 0 > amount_out:
            raise IntentError(f"The diff must have one positive and one negative amount, got {diff}")
        signer_id = body["signer_id"]
        if not isinstance(signer_id, str):
            raise IntentError(f"message.signer_id must be a string, got {signer_id!r}")
        deadline = _wire_deadline(body["deadline"])
        return cls(signer_id, deadline, asset_in, amount_in, asset_out, -amount_out)


def _expect_keys(obj: Any, keys: set[str], where: str) -> None:
    if not isinstance(obj, dict) or set(obj) != keys:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise IntentError(f"{where} must be an object with exactly {sorted(keys)}, got {found}")


def _wire_deadline(value: Any) -> datetime:
    """A deadline written exactly as `to_message` writes it: UTC, milliseconds, `Z`."""
    try:
        nanos = parse_rfc3339_ns(value) if isinstance(value, str) else None
    except TimestampError:
        nanos = None
    moment = None if nanos is None else _EPOCH + timedelta(microseconds=nanos // 1000)
    if moment is None or format_deadline(moment) != value:
        raise IntentError(
            f"message.deadline {value!r} must be UTC with milliseconds: 2024-10-14T12:53:40.000Z"
        )
    return moment
