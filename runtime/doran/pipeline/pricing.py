"""Integer fill math: the solver's price for the open side of a swap, rounded in the solver's favour."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BPS", "U128_MAX", "BaseUnitPrice", "fill_exact_in", "fill_exact_out"]

BPS = 10_000
# NEAR amounts are u128: a filled side above this cannot be quoted (the contracts check the string form).
U128_MAX = 2**128 - 1


@dataclass(frozen=True, slots=True)
class BaseUnitPrice:
    """A rational price: `numerator / denominator` base units of asset_out per base unit of asset_in."""

    numerator: int
    denominator: int

    @classmethod
    def from_whole_units(
        cls, numerator: int, denominator: int, decimals_in: int, decimals_out: int
    ) -> BaseUnitPrice:
        """Scale a price in whole tokens (out per in) to base units by the assets' decimals, exactly."""
        return cls(numerator * 10**decimals_out, denominator * 10**decimals_in)


def fill_exact_in(amount_in: int, price: BaseUnitPrice, spread_bps: int) -> int:
    """amount_out = floor(amount_in * price * (1 - spread)): the solver pays never more than its price."""
    return (amount_in * price.numerator * (BPS - spread_bps)) // (price.denominator * BPS)


def fill_exact_out(amount_out: int, price: BaseUnitPrice, spread_bps: int) -> int:
    """amount_in = ceil(amount_out / price * (1 + spread)): the solver receives never less than its price."""
    dividend = amount_out * price.denominator * (BPS + spread_bps)
    divisor = price.numerator * BPS
    return -(-dividend // divisor)
