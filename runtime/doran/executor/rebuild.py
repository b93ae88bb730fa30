"""Rebuild the executor's history from what it published: pure, from result and settlement events.

Every command with a committed result on exec.trade_result is done, with that result (a redelivery
republishes it byte for byte, as from the original history). Every quote a result says may have
reached the relay is pending, or settled as exec.quote_settlement says. What this cannot know:
commands whose results the topic no longer holds (older than its retention), and commands that were
in flight (`processing`) when the history was lost, whose results were never committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from doran.contracts import QuoteSettlementEvent, SettlementOutcome, TradeResultEvent
from doran.executor.records import CommandRecord, CommandState, QuoteRecord, QuoteState
from doran.executor.venue import AWAITS_SETTLEMENT
from doran.wire import encoded_object

__all__ = ["RebuiltHistory", "rebuild_history"]

_SETTLED = {SettlementOutcome.FILLED: QuoteState.FILLED, SettlementOutcome.EXPIRED: QuoteState.EXPIRED}


@dataclass
class RebuiltHistory:
    """The records to restore, and what the events said beyond them."""

    commands: dict[str, CommandRecord] = field(default_factory=dict)
    quotes: dict[str, QuoteRecord] = field(default_factory=dict)
    repeated_results: int = 0  # a command's result published again (same event): one record
    stray_settlements: int = 0  # settlements of quotes no result names (their result aged out)
    oldest_result: str | None = None  # ingested_at of the oldest result: the history starts there

    @property
    def pending_quotes(self) -> int:
        return sum(quote.state is QuoteState.PENDING for quote in self.quotes.values())


def rebuild_history(
    results: Iterable[TradeResultEvent], settlements: Iterable[QuoteSettlementEvent]
) -> RebuiltHistory:
    """The history that published `results` and `settlements` (each in topic order)."""
    history = RebuiltHistory()
    for result in results:
        trade = result.payload
        if trade.command_id in history.commands:
            history.repeated_results += 1
            continue
        if history.oldest_result is None or result.ingested_at < history.oldest_result:
            history.oldest_result = result.ingested_at
        history.commands[trade.command_id] = CommandRecord(
            command_id=trade.command_id,
            state=CommandState.DONE,
            command=None,
            ticket=None,
            result=encoded_object(result),
            began_at=result.ingested_at,
            completed_at=result.ingested_at,
        )
        if trade.result_code in AWAITS_SETTLEMENT and trade.quote_hash and trade.quote_deadline:
            history.quotes[trade.quote_hash] = QuoteRecord.awaiting(
                trade.quote_hash, trade.quote_deadline, trade
            )
    for settlement in settlements:
        quote = history.quotes.get(settlement.payload.quote_hash)
        if quote is None:
            history.stray_settlements += 1
            continue
        if quote.state is QuoteState.PENDING:
            # On the bus already: published. settled_by is unknown, so a quote_status seen again
            # counts as a duplicate, which is what it is.
            settled = quote.settled(_SETTLED[settlement.payload.outcome], encoded_object(settlement), None)
            history.quotes[quote.quote_hash] = settled.with_published()
    return history
