"""decide: accepted commands, every decline reason in check order, rounding direction, ids."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from doran.contracts import CMD_EXECUTE_TRADE, ExecuteTradeEvent, FixedSide, SwapDemandEvent
from doran.pipeline import Declined, DeclineReason, Policy, decide, default_policy
from doran.pipeline.pricing import U128_MAX
from doran.wire import decode, encode

NOW = datetime(2026, 3, 28, 20, 0, 1, tzinfo=UTC)
A, B, C = "nep141:a.near", "nep141:b.near", "nep141:c.near"
HUGE, TINY = "nep141:huge.near", "nep141:tiny.near"
DemandFactory = Callable[..., SwapDemandEvent]

POLICY = Policy.model_validate(
    {
        "name": "test-policy",
        "min_ttl_ms": 1000,
        "spread_bps": 30,
        "assets": {
            A: {"decimals": 6, "min_amount": "100", "max_amount": str(10**12)},
            B: {"decimals": 18, "min_amount": "1", "max_amount": str(10**24)},
            C: {"decimals": 0, "min_amount": "1", "max_amount": "10"},
            HUGE: {"decimals": 0, "min_amount": "1", "max_amount": str(U128_MAX)},
            TINY: {"decimals": 0, "min_amount": "1", "max_amount": str(U128_MAX)},
        },
        "pairs": [
            {"asset_in": A, "asset_out": B},
            {"asset_in": B, "asset_out": A},
            {"asset_in": A, "asset_out": C},
            {"asset_in": HUGE, "asset_out": TINY},
        ],
        "prices": [
            {"asset_in": A, "asset_out": B, "numerator": 2, "denominator": 3},
            {"asset_in": B, "asset_out": A, "numerator": 3, "denominator": 2},
            {"asset_in": HUGE, "asset_out": TINY, "numerator": 2, "denominator": 1},
        ],
    }
)


def accepted(event: SwapDemandEvent, policy: Policy = POLICY) -> ExecuteTradeEvent:
    decision = decide(event, policy)
    assert isinstance(decision, ExecuteTradeEvent), decision
    return decision


def declined(event: SwapDemandEvent, policy: Policy = POLICY) -> Declined:
    decision = decide(event, policy)
    assert isinstance(decision, Declined), decision
    return decision


def test_exact_in_fills_amount_out_rounded_down(make_demand: DemandFactory) -> None:
    command = accepted(make_demand(A, B, amount_in="1000000"))
    # 1 A at 2/3 B per A, less 30 bps: 0.664666...B, in 18-decimal base units, floored.
    exact = Fraction(1_000_000) * Fraction(2, 3) * 10**18 / 10**6 * Fraction(9970, 10000)
    assert command.payload.amount_in == "1000000"
    assert command.payload.amount_out == str(math.floor(exact)) == "664666666666666666"
    assert int(command.payload.amount_out) < exact


def test_exact_out_fills_amount_in_rounded_up(make_demand: DemandFactory) -> None:
    command = accepted(make_demand(A, B, amount_out=str(10**18 + 1)))
    exact = Fraction(10**18 + 1) / (Fraction(2, 3) * 10**18 / 10**6) * Fraction(10030, 10000)
    assert command.payload.amount_out == str(10**18 + 1)
    assert command.payload.amount_in == str(math.ceil(exact)) == "1504501"
    assert int(command.payload.amount_in) > exact


def test_command_ids_keys_and_reason(make_demand: DemandFactory) -> None:
    command = accepted(make_demand(A, B, amount_in="1000000", quote_id="q-77"))
    assert command.payload.command_id == "cmd-q-77"
    assert command.payload.idempotency_key == "near_intents:q-77"
    assert command.payload.execution_key == f"near_intents:{A}->{B}"
    assert command.payload.quote_id == "q-77"
    assert (command.payload.asset_in, command.payload.asset_out) == (A, B)
    assert "test-policy" in command.payload.reason
    assert "2/3" in command.payload.reason
    assert "30 bps" in command.payload.reason


def test_the_command_keeps_which_side_was_fixed_the_ttl_and_the_auction_close(
    make_demand: DemandFactory,
) -> None:
    exact_in = accepted(make_demand(A, B, amount_in="1000000", ttl_ms=45_000)).payload
    exact_out = accepted(
        make_demand(A, B, amount_out=str(10**18 + 1), answer_by="2026-03-28T20:00:01.000000Z")
    ).payload
    assert (exact_in.fixed_side, exact_in.ttl_ms, exact_in.answer_by) == (
        FixedSide.AMOUNT_IN,
        45_000,
        "2026-03-28T20:00:02.500000Z",
    )
    assert (exact_out.fixed_side, exact_out.answer_by) == (
        FixedSide.AMOUNT_OUT,
        "2026-03-28T20:00:01.000000Z",
    )


def test_envelope_and_wire_contract(make_demand: DemandFactory) -> None:
    demand = make_demand(A, B, amount_in="1000000")
    command = accepted(demand)
    assert (command.event_type, command.venue, command.source) == (
        "execute_trade",
        "near_intents",
        "doran.decide",
    )
    assert command.observed_at == demand.observed_at
    assert command.ingested_at == demand.ingested_at
    assert command.raw == demand.raw
    assert decode(CMD_EXECUTE_TRADE, encode(command)) == command


def test_event_id_is_deterministic_per_demand_event(make_demand: DemandFactory) -> None:
    first = accepted(make_demand(A, B, amount_in="1000000", event_id="d-1"))
    again = decide(make_demand(A, B, amount_in="1000000", event_id="d-1"), POLICY)
    other = accepted(make_demand(A, B, amount_in="1000000", event_id="d-2"))
    assert isinstance(again, ExecuteTradeEvent)
    assert first.event_id == again.event_id
    assert first.event_id != other.event_id
    assert first.payload == again.payload


def test_pair_not_allowed(make_demand: DemandFactory) -> None:
    decision = declined(make_demand(C, A, amount_in="5"))
    assert decision.reason_code is DeclineReason.PAIR_NOT_ALLOWED
    assert decision.quote_id == "q-0001"
    assert f"{C}->{A}" in decision.detail


def test_ttl_below_minimum_declines_and_minimum_itself_passes(make_demand: DemandFactory) -> None:
    assert (
        declined(make_demand(A, B, amount_in="1000000", ttl_ms=999)).reason_code
        is DeclineReason.TTL_TOO_SHORT
    )
    accepted(make_demand(A, B, amount_in="1000000", ttl_ms=1000))


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("99", DeclineReason.AMOUNT_BELOW_MIN), (str(10**12 + 1), DeclineReason.AMOUNT_ABOVE_MAX)],
)
def test_fixed_side_outside_its_bounds(
    make_demand: DemandFactory, amount: str, reason: DeclineReason
) -> None:
    decision = declined(make_demand(A, B, amount_in=amount))
    assert decision.reason_code is reason
    assert decision.detail.startswith(f"amount_in {amount} of {A}")


@pytest.mark.parametrize("amount", ["100", str(10**12)])
def test_fixed_side_on_its_bounds_is_accepted(make_demand: DemandFactory, amount: str) -> None:
    accepted(make_demand(A, B, amount_in=amount))


def test_filled_side_below_its_minimum(make_demand: DemandFactory) -> None:
    # 1e-18 B buys 0 base units of A after flooring.
    decision = declined(make_demand(B, A, amount_in="1"))
    assert decision.reason_code is DeclineReason.AMOUNT_BELOW_MIN
    assert decision.detail.startswith(f"amount_out 0 of {A}")


def test_filled_side_above_its_maximum(make_demand: DemandFactory) -> None:
    decision = declined(make_demand(B, A, amount_in=str(10**24)))
    assert decision.reason_code is DeclineReason.AMOUNT_ABOVE_MAX
    assert decision.detail.startswith("amount_out ")


def test_no_price_for_an_allowed_pair(make_demand: DemandFactory) -> None:
    decision = declined(make_demand(A, C, amount_in="1000"))
    assert decision.reason_code is DeclineReason.NO_PRICE


def test_u128_max_input_whose_fill_overflows_declines(make_demand: DemandFactory) -> None:
    decision = declined(make_demand(HUGE, TINY, amount_in=str(U128_MAX)))
    assert decision.reason_code is DeclineReason.AMOUNT_OVERFLOW
    assert "2^128-1" in decision.detail


def test_u128_max_output_is_still_accepted(make_demand: DemandFactory) -> None:
    # Half of u128 max in, at 2x less 30 bps, fits.
    command = accepted(make_demand(HUGE, TINY, amount_in=str(U128_MAX // 2)))
    assert int(command.payload.amount_out) <= U128_MAX


def test_checks_run_in_documented_order(make_demand: DemandFactory) -> None:
    # Not allowed and too short and out of bounds: the pair check wins.
    assert declined(make_demand(C, B, amount_in="0", ttl_ms=0)).reason_code is DeclineReason.PAIR_NOT_ALLOWED
    # Too short and out of bounds: ttl wins.
    assert declined(make_demand(A, B, amount_in="0", ttl_ms=0)).reason_code is DeclineReason.TTL_TOO_SHORT
    # Out of bounds and no price: bounds win.
    assert declined(make_demand(A, C, amount_in="0")).reason_code is DeclineReason.AMOUNT_BELOW_MIN


def test_decline_reasons_are_the_closed_set() -> None:
    assert {r.value for r in DeclineReason} == {
        "pair_not_allowed",
        "amount_below_min",
        "amount_above_max",
        "ttl_too_short",
        "no_price",
        "amount_overflow",
    }


def test_default_policy_quotes_a_demo_swap(make_demand: DemandFactory) -> None:
    command = accepted(
        make_demand("nep141:wrap.near", "nep141:usdt.tether-token.near", amount_in=str(10**24)),
        default_policy(),
    )
    # 1 NEAR at 3 USDT less 30 bps, 6 decimals.
    assert command.payload.amount_out == "2991000"
