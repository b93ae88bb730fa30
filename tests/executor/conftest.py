"""Builders of executor inputs: trade commands, a fresh store and a simulated venue per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from doran.contracts import ExecuteTradeEvent
from doran.executor import ExecutorStore, SimulatedAdapter


def trade_command(quote_id: str, event_id: str | None = None) -> ExecuteTradeEvent:
    """A cmd.execute_trade envelope as decide writes it, for quote `quote_id`."""
    return ExecuteTradeEvent.model_validate(
        {
            "event_id": event_id or f"evt-{quote_id}",
            "event_type": "execute_trade",
            "venue": "near_intents",
            "source": "doran.decide",
            "schema_version": 1,
            "observed_at": "2026-03-28T19:59:59.5Z",
            "ingested_at": "2026-03-28T19:59:59.800000Z",
            "payload": {
                "command_id": f"cmd-{quote_id}",
                "idempotency_key": f"near_intents:{quote_id}",
                "execution_key": "near_intents:nep141:wrap.near->nep141:usdt.tether-token.near",
                "quote_id": quote_id,
                "asset_in": "nep141:wrap.near",
                "asset_out": "nep141:usdt.tether-token.near",
                "amount_in": "1000000000000000000000000",
                "amount_out": "2991000",
                "reason": "test",
            },
            "raw": {"quote_id": quote_id},
        }
    )


@pytest.fixture
def make_command() -> Callable[..., ExecuteTradeEvent]:
    return trade_command


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "executor-state"


@pytest.fixture
def venue_log(tmp_path: Path) -> Path:
    return tmp_path / "venue" / "simulated-venue.jsonl"


@pytest.fixture
def store(state_dir: Path) -> Iterator[ExecutorStore]:
    opened = ExecutorStore.open(state_dir)
    yield opened
    opened.close()


@pytest.fixture
def venue(venue_log: Path) -> Iterator[SimulatedAdapter]:
    adapter = SimulatedAdapter(venue_log)
    yield adapter
    adapter.close()
