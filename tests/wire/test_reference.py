"""The reference validator explains a refusal so a person can act on it: the reason always shows, a
pattern is explained in the schema's words, and a long bad value is elided in the middle."""

from __future__ import annotations

import json
from typing import Any

from support import golden

from doran.contracts import NORM_SWAP_DEMAND
from doran.wire import violations

DEMAND = json.loads(
    next(e.data for e in golden.golden_examples() if e.id == "norm.swap_demand/valid/exact_in")
)


def _messages(change: dict[str, Any]) -> dict[str, str]:
    demand = {**DEMAND, "payload": {**DEMAND["payload"], **change}}
    return {v.pointer: v.message for v in violations(NORM_SWAP_DEMAND.name, demand)}


def test_a_negative_amount_is_told_a_sign_is_not_allowed_not_shown_the_regex() -> None:
    message = _messages({"amount_in": "-5"})["/payload/amount_in"]
    assert message.startswith("'-5' is not a valid U128: ") and "without sign" in message
    assert "[0-9]" not in message and len(message) < 300


def test_a_long_bad_value_is_elided_in_the_middle_so_the_reason_shows() -> None:
    message = _messages({"ttl_ms": "9" * 2_000_000})["/payload/ttl_ms"]
    assert message.endswith("is not of type 'integer'") and "characters left out" in message
    assert len(message) < 200


def test_a_long_string_breaking_a_pattern_keeps_its_explanation() -> None:
    message = _messages({"asset_in": "X" * 250})["/payload/asset_in"]  # within maxLength
    assert "is not a valid AssetId: A NEAR Intents (Defuse) asset identifier" in message
    assert "characters left out" in message and len(message) < 400
