"""cmd.execute_trade events as decide writes them, for executor tests."""

from __future__ import annotations

from doran.contracts import ExecuteTradeEvent

__all__ = ["command"]

# Far in the future: a test command's auction is open unless a test says otherwise.
OPEN_AUCTION = "2099-01-01T00:00:00.000000Z"


def command(
    n: int | str,
    *,
    event_id: str | None = None,
    execution_keys: int = 5,
    answer_by: str = OPEN_AUCTION,
    ttl_ms: int = 60_000,
    exact_out: bool = False,
) -> ExecuteTradeEvent:
    """The command for quote `q-<n>` (or quote id n when it is a string), spread over `execution_keys`
    distinct execution keys."""
    quote_id = n if isinstance(n, str) else f"q-{n:05d}"
    number = n if isinstance(n, int) else sum(map(ord, n))
    asset_in = f"nep141:token{number % execution_keys}.near"
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
                "amount_in": str(10**24 + number),
                "amount_out": str(2_991_000 + number),
                "fixed_side": "amount_out" if exact_out else "amount_in",
                "ttl_ms": ttl_ms,
                "answer_by": answer_by,
                "reason": "test",
            },
            "raw": {"quote_id": quote_id},
        }
    )
