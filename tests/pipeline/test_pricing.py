"""Fill math against an exact rational oracle: right value, rounded in the solver's favour."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from doran.pipeline.pricing import U128_MAX, BaseUnitPrice, fill_exact_in, fill_exact_out

amounts = st.integers(min_value=0, max_value=U128_MAX)
terms = st.integers(min_value=1, max_value=10**40)
spreads = st.integers(min_value=0, max_value=9999)


@given(amounts, terms, terms, spreads)
def test_exact_in_is_the_floor_of_the_exact_fill(amount: int, num: int, den: int, spread: int) -> None:
    exact = Fraction(amount) * Fraction(num, den) * Fraction(10_000 - spread, 10_000)
    filled = fill_exact_in(amount, BaseUnitPrice(num, den), spread)
    assert filled == math.floor(exact)
    assert filled <= amount * Fraction(num, den)  # never pays more than the unspread price


@given(amounts, terms, terms, spreads)
def test_exact_out_is_the_ceiling_of_the_exact_fill(amount: int, num: int, den: int, spread: int) -> None:
    exact = Fraction(amount) / Fraction(num, den) * Fraction(10_000 + spread, 10_000)
    filled = fill_exact_out(amount, BaseUnitPrice(num, den), spread)
    assert filled == math.ceil(exact)
    assert filled >= amount / Fraction(num, den)  # never receives less than the unspread price


def test_whole_unit_prices_scale_by_decimals() -> None:
    # 3 USDT (6 decimals) per NEAR (24 decimals).
    assert BaseUnitPrice.from_whole_units(3, 1, 24, 6) == BaseUnitPrice(3 * 10**6, 10**24)


def test_results_are_ints_not_floats() -> None:
    assert type(fill_exact_in(10**30, BaseUnitPrice(1, 3), 30)) is int
    assert type(fill_exact_out(10**30, BaseUnitPrice(1, 3), 30)) is int
