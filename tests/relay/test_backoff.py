"""Reconnect backoff: exponential, capped, jittered downwards only."""

from __future__ import annotations

import pytest

from doran.relay import Backoff


def test_without_jitter_the_delay_doubles_until_the_cap() -> None:
    backoff = Backoff(base_s=0.5, factor=2.0, cap_s=5.0, jitter=0.0)
    assert [backoff.delay(n, 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_shortens_the_delay_by_at_most_its_fraction() -> None:
    backoff = Backoff(base_s=1.0, cap_s=8.0, jitter=0.5)
    assert backoff.delay(3, 0.0) == 8.0
    assert backoff.delay(3, 0.999999) == pytest.approx(4.0, abs=1e-5)


def test_a_very_long_outage_stays_at_the_cap() -> None:
    assert Backoff(jitter=0.0).delay(10_000, 0.0) == 30.0


@pytest.mark.parametrize("kwargs", [{"base_s": 0}, {"factor": 0.5}, {"cap_s": 0.1}, {"jitter": 1.5}], ids=str)
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Invalid backoff"):
        Backoff(**kwargs)


@pytest.mark.parametrize(("attempt", "unit_random"), [(-1, 0.0), (0, 1.0), (0, -0.1)])
def test_out_of_range_inputs_are_refused(attempt: int, unit_random: float) -> None:
    with pytest.raises(ValueError, match="attempt must be"):
        Backoff().delay(attempt, unit_random)
