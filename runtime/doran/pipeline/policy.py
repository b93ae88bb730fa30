"""The decide stage's policy: which pairs to quote, amount bounds, minimum ttl, prices and spread.

Loaded from a JSON file (`DORAN_POLICY_FILE`) or the built-in `default_policy()`. Shape::

    {"name": "demo", "min_ttl_ms": 1000, "spread_bps": 30,
     "assets": {"nep141:wrap.near": {"decimals": 24, "min_amount": "1", "max_amount": "10"}, ...},
     "pairs": [{"asset_in": "nep141:wrap.near", "asset_out": "nep141:usdt.tether-token.near"}, ...],
     "prices": [{"asset_in": "...", "asset_out": "...", "numerator": 3, "denominator": 1}, ...]}

A price is whole asset_out tokens per whole asset_in token as an integer fraction; the assets'
decimals scale it to base units exactly. Amounts are u128 strings; nothing here is a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from doran.contracts import ExecuteTrade
from doran.json_pointer import pointer
from doran.pipeline.errors import PolicyError
from doran.pipeline.pricing import BPS, BaseUnitPrice
from doran.wire import contract_type

__all__ = ["AllowedPair", "AssetLimits", "PairPrice", "Policy", "default_policy", "load_policy"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
# The contract's own rules for asset ids and u128 amounts, so a policy names only what can trade.
if TYPE_CHECKING:
    AssetIdText = str
    U128Text = str
else:
    AssetIdText = contract_type(ExecuteTrade, "asset_in")
    U128Text = contract_type(ExecuteTrade, "amount_in")


class AssetLimits(BaseModel):
    """Per-asset facts: decimals, and the inclusive bounds of any amount of it in a trade (base units)."""

    model_config = _FROZEN
    decimals: int = Field(ge=0, le=38)
    min_amount: U128Text
    max_amount: U128Text

    @model_validator(mode="after")
    def _bounds_are_ordered(self) -> Self:
        low, high = int(self.min_amount), int(self.max_amount)
        if low < 1:
            raise ValueError("min_amount must be at least 1: a zero amount trades nothing")
        if low > high:
            raise ValueError(f"min_amount {self.min_amount} exceeds max_amount {self.max_amount}")
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        """(min, max) as ints."""
        return int(self.min_amount), int(self.max_amount)


class AllowedPair(BaseModel):
    """A direction the solver quotes: it receives asset_in and pays asset_out."""

    model_config = _FROZEN
    asset_in: AssetIdText
    asset_out: AssetIdText


class PairPrice(BaseModel):
    """numerator/denominator whole asset_out tokens per whole asset_in token."""

    model_config = _FROZEN
    asset_in: AssetIdText
    asset_out: AssetIdText
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)


@dataclass(frozen=True, slots=True)
class _PolicyIndex:
    allowed: frozenset[tuple[str, str]]
    prices: dict[tuple[str, str], tuple[PairPrice, BaseUnitPrice]]
    bounds: dict[str, tuple[int, int]]


class Policy(BaseModel):
    """A complete, self-consistent quoting policy; every asset a pair or price names has limits."""

    model_config = _FROZEN
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    min_ttl_ms: int = Field(ge=0)
    spread_bps: int = Field(ge=0, lt=BPS)
    assets: dict[AssetIdText, AssetLimits]
    pairs: list[AllowedPair]
    prices: list[PairPrice]

    @model_validator(mode="after")
    def _assets_are_known(self) -> Self:
        named = [(p.asset_in, p.asset_out) for p in self.pairs] + [
            (p.asset_in, p.asset_out) for p in self.prices
        ]
        unknown = sorted({a for pair in named for a in pair} - self.assets.keys())
        if unknown:
            raise ValueError(f"assets without limits (add them to 'assets'): {', '.join(unknown)}")
        directions = [(p.asset_in, p.asset_out) for p in self.prices]
        if len(set(directions)) != len(directions):
            raise ValueError("a direction has more than one price")
        if any(a == b for a, b in named):
            raise ValueError("a pair or price swaps an asset for itself")
        return self

    @cached_property
    def _index(self) -> _PolicyIndex:
        # Built once per policy: decide() runs per message and must stay O(1) dict lookups.
        return _PolicyIndex(
            allowed=frozenset((p.asset_in, p.asset_out) for p in self.pairs),
            prices={
                (p.asset_in, p.asset_out): (
                    p,
                    BaseUnitPrice.from_whole_units(
                        p.numerator,
                        p.denominator,
                        self.assets[p.asset_in].decimals,
                        self.assets[p.asset_out].decimals,
                    ),
                )
                for p in self.prices
            },
            bounds={asset: limits.bounds for asset, limits in self.assets.items()},
        )

    def allows(self, asset_in: str, asset_out: str) -> bool:
        """Whether the solver quotes this direction."""
        return (asset_in, asset_out) in self._index.allowed

    def price_of(self, asset_in: str, asset_out: str) -> tuple[PairPrice, BaseUnitPrice] | None:
        """The configured price of a direction and its base-unit form, or None when there is none."""
        return self._index.prices.get((asset_in, asset_out))

    def bounds_of(self, asset: str) -> tuple[int, int]:
        """(min, max) amount of an asset the policy trades, in base units."""
        return self._index.bounds[asset]


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; raises PolicyError naming the file and every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"Policy file {path} cannot be read: {exc}") from exc
    try:
        # strict: a JSON number with a fraction (or 3.0) is never taken for an integer.
        return Policy.model_validate_json(text, strict=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{pointer(list(error['loc'])) or '(the file)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise PolicyError(f"Policy file {path} is not a valid policy: {problems}") from exc


# Demo reference prices in USD per whole token (as fractions) and decimals: the real NEAR Intents
# asset ids of samples/relay-quotes.jsonl at rough market levels; the demo needs plausible, not live.
_DEMO_ASSETS: dict[str, tuple[int, int, int]] = {
    # asset id: (usd numerator, usd denominator, decimals)
    "nep141:wrap.near": (3, 1, 24),
    "nep141:usdt.tether-token.near": (1, 1, 6),
    "nep141:17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1": (1, 1, 6),  # native USDC
    "nep141:eth.omft.near": (3500, 1, 18),
    "nep141:btc.omft.near": (100_000, 1, 8),
    "nep141:sol.omft.near": (150, 1, 9),
    "nep141:zec.omft.near": (40, 1, 8),
    "nep141:eth-0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48.omft.near": (1, 1, 6),  # USDC on Ethereum
    "nep141:base-0x833589fcd6edb6e08f4c7c32d4f71b54bda02913.omft.near": (1, 1, 6),  # USDC on Base
    "nep141:arb-0xaf88d065e77c8cc2239327c5edb3a432268e5831.omft.near": (1, 1, 6),  # USDC on Arbitrum
    "nep245:v2_1.omni.hot.tg:56_11111111111111111111": (600, 1, 18),  # BNB via HOT omni
    "nep245:v2_1.omni.hot.tg:43114_11111111111111111111": (25, 1, 18),  # AVAX via HOT omni
    "nep245:v2_1.omni.hot.tg:137_qiStmoQJDQPTebaPjgx5VBxZv6L": (1, 1, 6),  # USDC on Polygon via HOT omni
}
# Trade size bounds of the demo, in USD: one cent to one million.
_DEMO_MIN_USD = (1, 100)
_DEMO_MAX_USD = (1_000_000, 1)


def _usd_to_base_units(usd: tuple[int, int], price: tuple[int, int], decimals: int, *, round_up: bool) -> int:
    """usd / price whole tokens in base units, exactly rounded the asked way."""
    scale: int = 10**decimals
    dividend = usd[0] * price[1] * scale
    divisor = usd[1] * price[0]
    return -(-dividend // divisor) if round_up else dividend // divisor


def default_policy() -> Policy:
    """The built-in demo policy: every direction between the sample assets, priced via USD, 30 bps spread."""
    assets = {
        asset: AssetLimits(
            decimals=decimals,
            min_amount=str(max(1, _usd_to_base_units(_DEMO_MIN_USD, (num, den), decimals, round_up=True))),
            max_amount=str(_usd_to_base_units(_DEMO_MAX_USD, (num, den), decimals, round_up=False)),
        )
        for asset, (num, den, decimals) in _DEMO_ASSETS.items()
    }
    directions = [(a, b) for a in _DEMO_ASSETS for b in _DEMO_ASSETS if a != b]
    prices = []
    for asset_in, asset_out in directions:
        in_num, in_den, _ = _DEMO_ASSETS[asset_in]
        out_num, out_den, _ = _DEMO_ASSETS[asset_out]
        # (in_num/in_den) / (out_num/out_den) whole asset_out per whole asset_in.
        prices.append(
            PairPrice(
                asset_in=asset_in,
                asset_out=asset_out,
                numerator=in_num * out_den,
                denominator=in_den * out_num,
            )
        )
    return Policy(
        name="demo",
        min_ttl_ms=1_000,
        spread_bps=30,
        assets=assets,
        pairs=[AllowedPair(asset_in=a, asset_out=b) for a, b in directions],
        prices=prices,
    )
