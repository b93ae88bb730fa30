"""ReadHorizon: a partition counts as read through an instant only once the consumer reached the end
the broker reported at that instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from doran.settlement.horizon import ReadHorizon

NOW = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
EVERY = timedelta(milliseconds=250)


def test_the_partition_is_read_through_the_instant_of_a_mark_once_the_position_reaches_it() -> None:
    horizon = ReadHorizon(EVERY)
    needed = NOW - timedelta(seconds=1)

    assert horizon.wants_mark(needed, NOW)
    horizon.mark(NOW, high_watermark=40)
    assert not horizon.wants_mark(needed, NOW + EVERY)  # one mark outstanding at a time
    horizon.read_to(39)
    assert horizon.through < needed
    horizon.read_to(40)

    assert horizon.through == NOW and not horizon.wants_mark(needed, NOW + EVERY)


def test_a_horizon_asks_again_no_sooner_than_every_and_never_for_an_instant_not_passed() -> None:
    horizon = ReadHorizon(EVERY)
    horizon.mark(NOW, high_watermark=0)
    horizon.read_to(0)
    later = NOW + timedelta(seconds=3)

    assert not horizon.wants_mark(later + timedelta(seconds=1), later)  # not passed yet
    assert not horizon.wants_mark(NOW + timedelta(milliseconds=100), NOW + timedelta(milliseconds=100))
    assert horizon.wants_mark(NOW + EVERY, NOW + EVERY)


def test_a_mark_with_slack_claims_that_much_less_and_is_asked_only_for_an_instant_it_covers() -> None:
    slack = timedelta(seconds=1)
    horizon = ReadHorizon(EVERY, slack)
    needed = NOW - timedelta(milliseconds=500)

    assert not horizon.wants_mark(needed, NOW)  # a mark now would claim NOW - 1 s: not enough
    assert horizon.wants_mark(needed, NOW + timedelta(milliseconds=500))
    horizon.mark(NOW + timedelta(milliseconds=500), high_watermark=3)
    horizon.read_to(3)

    assert horizon.through == needed
