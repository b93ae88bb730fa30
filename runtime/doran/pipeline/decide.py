"""decide: a swap demand + the policy -> a trade command with the open side priced, or a decline.

Checks run in this order, the first failing one declines: pair allowed, ttl long enough, fixed side
within its asset's bounds, a price exists, the filled side fits in u128, filled side within bounds.
Exact-in fills amount_out rounded down, exact-out fills amount_in rounded up: never in the
solver's disfavour. Integer arithmetic only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    VENUE,
    ExactInSwapDemand,
    ExecuteTrade,
    ExecuteTradeEvent,
    FixedSide,
    SwapDemandEvent,
)
from doran.pipeline.policy import Policy
from doran.pipeline.pricing import U128_MAX, fill_exact_in, fill_exact_out
from doran.wire import derive, max_length

__all__ = ["SOURCE", "Decision", "DeclineReason", "Declined", "decide", "trade_command"]

SOURCE = "doran.decide"
_REASON_MAX = max_length(ExecuteTrade, "reason")


class DeclineReason(StrEnum):
    """The closed set of reasons the policy declines a demand."""

    PAIR_NOT_ALLOWED = "pair_not_allowed"
    AMOUNT_BELOW_MIN = "amount_below_min"
    AMOUNT_ABOVE_MAX = "amount_above_max"
    TTL_TOO_SHORT = "ttl_too_short"
    NO_PRICE = "no_price"
    AMOUNT_OVERFLOW = "amount_overflow"


@dataclass(frozen=True, slots=True)
class Declined:
    """The policy will not quote this demand: a reason code and a sentence saying why."""

    quote_id: str
    reason_code: DeclineReason
    detail: str


Decision = ExecuteTradeEvent | Declined


def _bounds_violation(policy: Policy, asset: str, side: str, amount: int) -> tuple[DeclineReason, str] | None:
    low, high = policy.bounds_of(asset)
    if amount < low:
        return DeclineReason.AMOUNT_BELOW_MIN, f"{side} {amount} of {asset} is below the minimum {low}"
    if amount > high:
        return DeclineReason.AMOUNT_ABOVE_MAX, f"{side} {amount} of {asset} is above the maximum {high}"
    return None


def decide(event: SwapDemandEvent, policy: Policy) -> Decision:
    """Price the open side of the demand under the policy (the command, validated), or decline."""
    command = trade_command(event, policy)
    if isinstance(command, Declined):
        return command
    return derive(CMD_EXECUTE_TRADE, event, command, source=SOURCE)


def trade_command(event: SwapDemandEvent, policy: Policy) -> dict[str, Any] | Declined:
    """The trade command payload (JSON values in the schema's field order), or the reason to decline."""
    demand = event.payload
    quote_id, asset_in, asset_out = demand.quote_id, demand.asset_in, demand.asset_out
    if not policy.allows(asset_in, asset_out):
        return Declined(
            quote_id,
            DeclineReason.PAIR_NOT_ALLOWED,
            f"policy {policy.name} does not quote {asset_in}->{asset_out}",
        )
    if demand.ttl_ms < policy.min_ttl_ms:
        detail = f"ttl_ms {demand.ttl_ms} is below the policy minimum {policy.min_ttl_ms}"
        return Declined(quote_id, DeclineReason.TTL_TOO_SHORT, detail)
    if isinstance(demand, ExactInSwapDemand):
        exact_in, fixed, fixed_side, fixed_asset = True, int(demand.amount_in), "amount_in", asset_in
    else:
        exact_in, fixed, fixed_side, fixed_asset = False, int(demand.amount_out), "amount_out", asset_out
    violation = _bounds_violation(policy, fixed_asset, fixed_side, fixed)
    if violation is not None:
        return Declined(quote_id, *violation)
    priced = policy.price_of(asset_in, asset_out)
    if priced is None:
        return Declined(
            quote_id, DeclineReason.NO_PRICE, f"policy {policy.name} has no price for {asset_in}->{asset_out}"
        )
    price, base_price = priced
    filled = (
        fill_exact_in(fixed, base_price, policy.spread_bps)
        if exact_in
        else fill_exact_out(fixed, base_price, policy.spread_bps)
    )
    open_side, open_asset = ("amount_out", asset_out) if exact_in else ("amount_in", asset_in)
    if filled > U128_MAX:
        return Declined(
            quote_id, DeclineReason.AMOUNT_OVERFLOW, f"{open_side} {filled} exceeds u128 (2^128-1)"
        )
    violation = _bounds_violation(policy, open_asset, open_side, filled)
    if violation is not None:
        return Declined(quote_id, *violation)
    amount_in, amount_out = (fixed, filled) if exact_in else (filled, fixed)
    kind = "exact-in, amount_out rounded down" if exact_in else "exact-out, amount_in rounded up"
    reason = (
        f"policy {policy.name}: pair allowed; price {price.numerator}/{price.denominator} {asset_out} per "
        f"{asset_in}, spread {policy.spread_bps} bps; {kind}"
    )
    return {
        "command_id": f"cmd-{quote_id}",
        "idempotency_key": f"{VENUE}:{quote_id}",
        "execution_key": f"{VENUE}:{asset_in}->{asset_out}",
        "quote_id": quote_id,
        "asset_in": asset_in,
        "asset_out": asset_out,
        "amount_in": str(amount_in),
        "amount_out": str(amount_out),
        "fixed_side": (FixedSide.AMOUNT_IN if exact_in else FixedSide.AMOUNT_OUT).value,
        "ttl_ms": demand.ttl_ms,
        "answer_by": demand.answer_by,
        "reason": reason[:_REASON_MAX],
    }
