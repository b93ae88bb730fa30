"""cmd.execute_trade events as decide writes them, for executor tests."""

from __future__ import annotations

from doran.contracts import ExecuteTradeEvent

__all__ = ["command"]


def command(n: int, *, event_id: str | None = None, execution_keys: int = 5) -> ExecuteTradeEvent:
    """The command for quote `q-<n>`, spread over `execution_keys` distinct execution keys."""
    quote_id = f"q-{n:05d}"
    asset_in = f"nep141:token{n % execution_keys}.near"
    return ExecuteTradeEvent.model_validate(
        {
            "event_id": event_id or f"evt-{quote_id}",
            "event_type": "execute_trade",
            "venue": "near_intents",
            "source": "doran.decide",
            "schema_version": 1,
            "observed_at": "2026-03-28T19:59:59.500Z",
            "ingested_at": "2026-03-28T19:59:59.800Z",
            "payload": {
                "command_id": f"cmd-{quote_id}",
                "idempotency_key": f"near_intents:{quote_id}",
                "execution_key": f"near_intents:{asset_in}->nep141:usdt.tether-token.near",
                "quote_id": quote_id,
                "asset_in": asset_in,
                "asset_out": "nep141:usdt.tether-token.near",
                "amount_in": str(10**24 + n),
                "amount_out": str(2_991_000 + n),
                "reason": "test",
            },
            "raw": {"quote_id": quote_id},
        }
    )
