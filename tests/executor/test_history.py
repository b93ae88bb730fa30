"""history_horizon: the executor never forgets a command a topic could still bring back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doran.contracts import CMD_EXECUTE_TRADE
from doran.executor import REDELIVERING_TOPICS, HistoryTooShort, history_horizon
from doran.settings import Settings


def test_the_default_outlives_every_topic_that_can_redeliver_a_command() -> None:
    horizon = history_horizon(Settings().executor_history_days)
    assert horizon is not None
    assert all(timedelta(milliseconds=t.retention_ms) < horizon for t in REDELIVERING_TOPICS)


def test_a_history_shorter_than_a_topics_retention_is_refused_naming_both() -> None:
    days = CMD_EXECUTE_TRADE.retention_ms // 86_400_000 - 1
    with pytest.raises(
        HistoryTooShort, match=f"DORAN_EXECUTOR_HISTORY_DAYS={days}.*{CMD_EXECUTE_TRADE.name}"
    ):
        history_horizon(days)


def test_zero_keeps_everything() -> None:
    assert history_horizon(0) is None
